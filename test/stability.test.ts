// Long runs (no leaks), memory freed with the model, concurrent training in workers, and numerical edge cases.

import v8 from 'node:v8';
import vm from 'node:vm';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { computeCost, getNumThreads, Matrix, Model, RandomState, setNumThreads } from '../lib/index';
import native from '../lib/native';
import { assertClose } from './support/helpers';

v8.setFlagsFromString('--expose-gc');
const gc: () => void = vm.runInNewContext('gc');
const settle = () => {
  for (let i = 0; i < 3; i++) gc();
};

function binaryData(n: number, m: number, seed: number, dtype: 'float32' | 'float64' = 'float64') {
  const rng = new RandomState(seed);
  const X = rng.randn(n, m).astype(dtype);
  const Y = Matrix.zeros(1, m, dtype);
  for (let j = 0; j < m; j++) Y.data[j] = X.get(0, j) + 0.5 * X.get(1 % n, j) > 0 ? 1 : 0;
  return { X, Y };
}

test('10^5 kernel calls and 10^4 training steps: RSS and the JS heap stay flat', () => {
  const W = new Float64Array(12).fill(0.1),
    A = new Float64Array(16).fill(0.2),
    b = new Float64Array(3),
    Z = new Float64Array(12);
  const model = new Model({ layerDims: [8, 16, 8, 1], seed: 1 });
  const { X, Y } = binaryData(8, 64, 2);
  const run = () => {
    for (let i = 0; i < 100_000; i++) native.linearForward(Z, W, A, b, 3, 4, 4);
    model.fit(X, Y, { iterations: 10_000, learningRate: 0.01, costEvery: 10_000 });
  };
  run(); // warm-up: code compiled, workspaces allocated
  settle();
  const before = process.memoryUsage();
  run();
  run();
  settle();
  const after = process.memoryUsage();
  const rssGrowth = after.rss - before.rss,
    heapGrowth = after.heapUsed - before.heapUsed;
  // A leak of even 100 bytes per call would add 20 MB over these 2·10^5 calls; the bounds leave room for allocator noise.
  // (under AddressSanitizer freed memory is held in quarantine, so RSS says nothing there)
  if (process.env.DNN_SANITIZE !== '1')
    assert.ok(rssGrowth < 16 * 2 ** 20, `RSS grew by ${(rssGrowth / 2 ** 20).toFixed(1)} MiB`);
  assert.ok(heapGrowth < 4 * 2 ** 20, `heap grew by ${(heapGrowth / 2 ** 20).toFixed(1)} MiB`);
  assert.ok(Number.isFinite(model.evaluate(X, Y).cost));
});

test('a model and its workspaces are freed when it is garbage-collected', async () => {
  settle();
  const base = process.memoryUsage().arrayBuffers;
  const registry = new FinalizationRegistry<number>(() => collected++);
  let collected = 0;
  (() => {
    for (let i = 0; i < 8; i++) {
      const model = new Model({ layerDims: [512, 256, 1], seed: i });
      const { X, Y } = binaryData(512, 1024, i);
      model.fit(X, Y, { iterations: 1 }); // workspace: ~ (2·257 + 1)·1024 doubles = 4 MiB
      registry.register(model, i);
    }
  })();
  const during = process.memoryUsage().arrayBuffers;
  // The native Network's references to the buffers go when its finalizer runs (after the collection that finds
  // it), and the buffers in a later collection: give it a few rounds.
  for (let i = 0; i < 30 && (collected < 8 || process.memoryUsage().arrayBuffers - base > 4 * 2 ** 20); i++) {
    settle();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const after = process.memoryUsage().arrayBuffers;
  assert.ok(
    during - base > 30 * 2 ** 20,
    `the models held their buffers (${((during - base) / 2 ** 20).toFixed(1)} MiB)`,
  );
  assert.is(collected, 8, 'every model was collected');
  assert.ok(
    after - base < 4 * 2 ** 20,
    `their memory was released (${((after - base) / 2 ** 20).toFixed(1)} MiB left)`,
  );
});

test('several models training at once in workers give the parameters of training them one after another', async () => {
  const threads = getNumThreads();
  const jobs = [0, 1, 2].map((i) => ({
    ...binaryData(32, 256, 10 + i),
    options: { layerDims: [32, 24, 16, 1], seed: 20 + i, init: 'he' as const },
  }));
  const fitOptions = { batchSize: 32, epochs: 5, learningRate: 0.05, seed: 3 };
  try {
    // One OpenBLAS thread per training: three workers on two cores must not also each start a BLAS pool.
    setNumThreads(1);
    const sequential = jobs.map(({ X, Y, options }) => {
      const model = new Model(options);
      model.fit(X, Y, fitOptions);
      return Array.from(model.flatParameters);
    });
    const models = jobs.map(({ options }) => new Model(options));
    await Promise.all(
      models.map((model, i) => model.fitAsync(jobs[i].X, jobs[i].Y, { ...fitOptions, blasThreads: 1 })),
    );
    models.forEach((model, i) => assert.equal(Array.from(model.flatParameters), sequential[i], `model ${i}`));
    // the default policy: the first training keeps the process's count, concurrent ones run on 1 thread, and the
    // count comes back afterwards
    setNumThreads(threads);
    const again = jobs.map(({ options }) => new Model(options));
    await Promise.all(again.map((model, i) => model.fitAsync(jobs[i].X, jobs[i].Y, fitOptions)));
    assert.is(getNumThreads(), threads, 'the thread count is restored');
  } finally {
    setNumThreads(threads);
  }
});

test('extreme logits (|z| up to 1000): finite cost and gradients, float64 and float32', () => {
  for (const dtype of ['float64', 'float32'] as const) {
    const model = new Model({ layerDims: [2, 1], dtype, seed: 1 });
    const X = Matrix.fromRows(
      [
        [1, -1, 1, -1],
        [0, 0, 0, 0],
      ],
      dtype,
    );
    const Y = Matrix.fromRows([[1, 0, 0, 1]], dtype); // two confident right answers, two confident wrong ones
    model.setFlatParameters(dtype === 'float32' ? Float32Array.of(1000, 0, 0) : Float64Array.of(1000, 0, 0));
    const p = model.predictProba(X).data;
    assert.equal(Array.from(p), [1, 0, 1, 0], 'AL rounds to exactly 0 and 1');
    const { cost } = model.evaluate(X, Y);
    // each wrong answer costs softplus(1000) = 1000; the right ones cost log1p(e^-1000) ~ 0
    assertClose(cost, 500, 1e-6, `${dtype} cost`);
    const { difference } = model.gradientCheck(X, Y, { epsilon: 1e-4 });
    assert.ok(Number.isFinite(difference), 'gradients finite');
    const result = model.fit(X, Y, { iterations: 5, learningRate: 0.1, costEvery: 1 });
    assert.ok(result.costs.every(Number.isFinite), `${dtype}: training costs stay finite`);
  }
  // softmax: logits of ±1000
  const soft = new Model({ layerDims: [1, 3], output: 'softmax', seed: 1 });
  soft.setFlatParameters(Float64Array.of(1000, -1000, 0, 0, 0, 0));
  assertClose(soft.evaluate(Matrix.fromRows([[1, 1]]), [0, 1]).cost, 1000, 1e-9, 'softmax cost');
});

test('computeCost gives the limits where the formula gives NaN', () => {
  // AL exactly 0 or 1 with an agreeing label: the term 0·log(0) is 0 in the limit
  assert.is(computeCost(Matrix.fromRows([[0, 1]]), Matrix.fromRows([[0, 1]])), 0);
  // with a disagreeing label the true cost is infinite
  assert.is(computeCost(Matrix.fromRows([[0, 0.5]]), Matrix.fromRows([[1, 1]])), Infinity);
  assert.is(computeCost(Matrix.fromRows([[0, 1]], 'float32'), Matrix.fromRows([[0, 1]], 'float32')), 0);
});

test('all-zero and all-one labels, a single example, single units: training stays finite and moves the right way', () => {
  for (const label of [0, 1]) {
    const { X } = binaryData(3, 20, 4);
    const Y = Matrix.zeros(1, 20);
    Y.data.fill(label);
    const model = new Model({ layerDims: [3, 4, 1], seed: 2 });
    const { costs } = model.fit(X, Y, { iterations: 200, learningRate: 0.5, costEvery: 50 });
    assert.ok(costs.every(Number.isFinite) && costs[costs.length - 1] < costs[0], `labels all ${label}`);
    const p = model.predictProba(X).data;
    assert.ok(
      p.every((v) => (label === 1 ? v > 0.5 : v < 0.5)),
      `predicts ${label}`,
    );
  }
  const single = new Model({ layerDims: [1, 1, 1], seed: 3, init: 'he' });
  const X = Matrix.fromRows([[2]]),
    Y = Matrix.fromRows([[1]]);
  const { costs } = single.fit(X, Y, { iterations: 100, learningRate: 0.1, costEvery: 99 });
  assert.ok(costs.every(Number.isFinite));
  assert.equal(single.predict(X).toRows(), [[single.predictProba(X).data[0] > 0.5 ? 1 : 0]]);
});

test.run();
