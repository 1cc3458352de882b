// fitAsync under load: a small view of a large matrix, the main thread's work at start, progress faster than the
// callback, abort with a slow callback, the BLAS thread count afterwards, one rule for a throwing onProgress in fit
// and fitAsync, and dispose() freeing a model's workspace at once.

import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Matrix, Model, RandomState } from '../lib/index';
import native from '../lib/native';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function binaryData(n: number, m: number, seed: number, dtype: 'float32' | 'float64' = 'float64') {
  const X = new RandomState(seed).randn(n, m).astype(dtype);
  const Y = Matrix.zeros(1, m, dtype);
  for (let j = 0; j < m; j++) Y.data[j] = X.get(0, j) > 0 ? 1 : 0;
  return { X, Y };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const busy = (ms: number) => {
  const until = performance.now() + ms;
  while (performance.now() < until);
};

test('a 10-column view of a large matrix: only those columns are copied, and they train as a compact copy would', async () => {
  const big = Matrix.zeros(784, 32_000, 'float32'); // 100 MB
  const rng = new RandomState(1);
  const first = rng.randn(784, 10).astype('float32');
  big.data.set(first.data);
  const view = big.columns(0, 10);
  const Y = Matrix.fromRows([[1, 0, 1, 0, 1, 0, 1, 0, 1, 0]]).astype('float32');
  const options = { layerDims: [784, 4, 1], dtype: 'float32' as const, seed: 2 };
  const fit = { iterations: 20, learningRate: 0.05 };
  gc();
  // resident memory of the whole process (the worker's copy included); the untouched zeros of `big` are not resident
  const before = process.memoryUsage.rss();
  let during = 0;
  const model = new Model(options);
  await model.fitAsync(view, Y, {
    ...fit,
    progressEvery: 1,
    onProgress: () => {
      during = Math.max(during, process.memoryUsage.rss());
    },
  });
  assert.ok(
    during - before < 50e6,
    `fitAsync held ${((during - before) / 1e6).toFixed(1)} MB more (the view is 31 KB)`,
  );
  const compact = new Model(options);
  compact.fit(first, Y, fit);
  assert.equal(Array.from(model.flatParameters), Array.from(compact.flatParameters));
});

test('starting a training on 784 x 4096 float32 keeps the main thread nearly free', async () => {
  const { X, Y } = binaryData(784, 4096, 3, 'float32');
  const model = new Model({ layerDims: [784, 16, 1], dtype: 'float32', seed: 1 });
  await model.fitAsync(X.columns(0, 8), Y.columns(0, 8), { iterations: 1 }); // the worker's code is loaded once
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const started = performance.now();
  // one BLAS thread: the worker and the main thread then have a core each (the delay is measured in wall time)
  const training = model.fitAsync(X, Y, {
    epochs: 1,
    batchSize: 512,
    blasThreads: 1,
    progressEvery: 1,
    onProgress: () => loop.disable(), // the copy is done once the worker trains
  });
  const blockedMs = performance.now() - started;
  await training;
  const worstMs = loop.max / 1e6;
  console.log(
    `  fitAsync start: ${blockedMs.toFixed(1)} ms in the call; the event loop's longest delay ${worstMs.toFixed(1)} ms`,
  );
  assert.ok(
    blockedMs < 20,
    `the call blocked the main thread ${blockedMs.toFixed(1)} ms (the structured clone took 63-70)`,
  );
  assert.ok(worstMs < 40, `the event loop was held up to ${worstMs.toFixed(1)} ms`);
});

test('progress is coalesced: a slow onProgress sees the latest report, a timer stays on time, abort settles at once', async () => {
  const { X, Y } = binaryData(4, 64, 4);
  const model = new Model({ layerDims: [4, 3, 1], seed: 1 });
  const controller = new AbortController();
  const seen: number[] = [];
  let abortedAt = Number.POSITIVE_INFINITY,
    afterAbort = 0,
    firstReport: () => void = () => {};
  const reporting = new Promise<void>((resolve) => {
    firstReport = resolve;
  });
  const training = model.fitAsync(X, Y, {
    iterations: 5_000_000,
    progressEvery: 1,
    costEvery: 1_000_000,
    signal: controller.signal,
    onProgress: (p) => {
      if (performance.now() > abortedAt) afterAbort++;
      seen.push(p.iteration);
      firstReport();
      busy(5); // far slower than a step
    },
  });
  await reporting;
  const timerDue = performance.now() + 100;
  const timerLate = await new Promise<number>((resolve) =>
    setTimeout(() => resolve(performance.now() - timerDue), 100),
  );
  await sleep(100);
  abortedAt = performance.now();
  controller.abort();
  const outcome = await training.then(
    () => 'resolved',
    (error) => (error as Error).name,
  );
  const settleMs = performance.now() - abortedAt;
  assert.is(outcome, 'AbortError');
  assert.ok(settleMs < 1000, `settled ${settleMs.toFixed(0)} ms after abort`);
  assert.is(afterAbort, 0, 'no progress delivered after abort');
  assert.ok(timerLate < 200, `a 100 ms timer fired ${timerLate.toFixed(0)} ms late`);
  assert.ok(seen.length > 5 && seen.length < 200, `${seen.length} deliveries`);
  // latest wins: reports skip ahead by many steps instead of queueing every one
  assert.ok(seen[seen.length - 1] - seen[0] > 10 * seen.length, `iterations seen: ${seen.slice(0, 5).join(', ')}...`);
  assert.ok(
    seen.every((v, i) => i === 0 || v > seen[i - 1]),
    'in order',
  );
});

test('the BLAS thread count comes back after fitAsync; a refused option leaves the thread policy balanced', async () => {
  const { X, Y } = binaryData(4, 32, 5);
  const model = new Model({ layerDims: [4, 3, 1], seed: 1 });
  const original = native.getNumThreads();
  try {
    native.setNumThreads(3);
    let during = 0;
    await model.fitAsync(X, Y, {
      iterations: 3,
      blasThreads: 1,
      progressEvery: 1,
      onProgress: () => {
        during = native.getNumThreads();
      },
    });
    assert.is(during, 1, 'the run used the threads asked for');
    assert.is(native.getNumThreads(), 3, 'and gave the process its count back');
    // refused before any worker starts: the policy's counter is not left entered
    for (const options of [{ seed: Symbol('x') }, { epochs: 2, stray: 1 }, { onProgress: 5 }]) {
      const refused = await model.fitAsync(X, Y, options as never).then(
        () => null,
        (error) => error,
      );
      assert.instance(refused, TypeError);
    }
    await model.fitAsync(X, Y, {
      iterations: 2,
      progressEvery: 1,
      onProgress: () => {
        during = native.getNumThreads();
      },
    });
    assert.is(during, 3, 'a lone training keeps the process count (the counter is balanced)');
    assert.is(native.getNumThreads(), 3);
  } finally {
    native.setNumThreads(original);
  }
});

test('a throwing onProgress: fit and fitAsync both keep the steps done and rethrow the error', async () => {
  const { X, Y } = binaryData(4, 32, 6);
  const options = { layerDims: [4, 5, 1], optimizer: 'adam' as const, seed: 2 };
  const stopAt5 = {
    iterations: 100,
    progressEvery: 1,
    onProgress: (p: { iteration: number }) => {
      if (p.iteration === 5) throw new Error('enough');
    },
  };
  const synchronous = new Model(options);
  assert.throws(() => synchronous.fit(X, Y, stopAt5), /enough/);
  const fiveSteps = new Model(options);
  fiveSteps.fit(X, Y, { iterations: 5 });
  assert.equal(Array.from(synchronous.flatParameters), Array.from(fiveSteps.flatParameters));

  const initial = Array.from(new Model(options).flatParameters);
  const asynchronous = new Model(options);
  const error = await asynchronous
    .fitAsync(X, Y, {
      iterations: 1_000_000,
      progressEvery: 1,
      onProgress: () => {
        throw new Error('stop here');
      },
    })
    .then(
      () => null,
      (e) => e,
    );
  assert.is((error as Error).message, 'stop here');
  assert.not.equal(Array.from(asynchronous.flatParameters), initial, 'the steps done are kept');
  assert.ok(asynchronous.optimizerState().step > 0);
  asynchronous.fit(X, Y, { iterations: 1 }); // and the model is free again
});

test('dispose() frees the workspace at once: a synchronous loop of models does not grow', () => {
  const X = new RandomState(7).randn(100, 2048);
  gc();
  const before = process.memoryUsage().arrayBuffers;
  let peak = 0;
  for (let i = 0; i < 30; i++) {
    const model = new Model({ layerDims: [100, 200, 1], seed: i }); // a 6.6 MB workspace for 2048 columns
    model.predict(X);
    model.dispose();
    gc();
    peak = Math.max(peak, process.memoryUsage().arrayBuffers - before);
  }
  assert.ok(peak < 30e6, `grew by ${(peak / 1e6).toFixed(1)} MB over 30 models`);
  const model = new Model({ layerDims: [100, 200, 1], seed: 1 });
  const expected = model.predictProba(X);
  model.dispose();
  assert.equal(Array.from(model.predictProba(X).data), Array.from(expected.data), 'still usable after dispose');
});

test.run();
