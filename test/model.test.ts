// Model and trainModel: agreement with the tutorial's functions, mini-batches, predict/evaluate, save/load,
// non-finite stops, fitAsync (worker thread, abort, responsiveness) and the allocation-free training step.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  accuracy,
  computeCost,
  initializeParametersDeep,
  Matrix,
  Model,
  modelBackward,
  modelForward,
  NonFiniteCostError,
  type Parameters,
  predict,
  RandomState,
  trainModel,
  updateParameters,
} from '../lib/index';
import { assertArrayClose, assertClose, assertMatrixClose } from './support/helpers';

const cases = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'seed-cases.json'), 'utf8')).cases;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dnn-model-test-'));

/** A seeded binary task: X (n, m) gaussian, Y = 1 where a fixed linear score is positive. */
function dataset(n: number, m: number, seed: number, dtype: 'float32' | 'float64' = 'float64') {
  const rng = new RandomState(seed);
  const X = rng.randn(n, m);
  const Y = Matrix.zeros(1, m);
  for (let j = 0; j < m; j++) {
    let score = 0;
    for (let i = 0; i < n; i++) score += X.get(i, j) * (i % 2 === 0 ? 1 : -0.5);
    Y.set(0, j, score > 0 ? 1 : 0);
  }
  return { X: X.astype(dtype), Y: Y.astype(dtype) };
}

/** The tutorial's loop with the tutorial's functions, one batch per step. */
function tutorialSteps(parameters: Parameters, batches: { X: Matrix; Y: Matrix }[], learningRate: number) {
  const costs: number[] = [];
  for (const { X, Y } of batches) {
    const [AL, caches] = modelForward(X, parameters);
    costs.push(computeCost(AL, Y));
    parameters = updateParameters(parameters, modelBackward(AL, Y, caches), learningRate);
  }
  return { parameters, costs };
}

function assertParametersClose(actual: Parameters, expected: Parameters, tol: number) {
  assert.equal(Object.keys(actual).sort(), Object.keys(expected).sort());
  for (const key of Object.keys(expected)) assertArrayClose(actual[key].data, expected[key].data, tol, key);
}

test('trainModel reproduces the train_small fixture (costs before each update, final parameters)', () => {
  const { inputs, expected } = cases.train_small;
  const { parameters, costs } = trainModel(Matrix.fromRows(inputs.X), Matrix.fromRows(inputs.Y), inputs.layer_dims, {
    learningRate: inputs.learning_rate,
    numIterations: inputs.iterations,
    seed: 1,
    init: 'small',
    costEvery: 1,
  });
  assertArrayClose(costs, expected.costs_before_each_update, 1e-12, 'costs');
  for (const [key, rows] of Object.entries<number[][]>(expected.parameters))
    assertMatrixClose(parameters[key], rows, 1e-12, key);
});

test('trainModel records the cost at 0, costEvery, ... and the last iteration', () => {
  const { X, Y } = dataset(6, 30, 3);
  const { costs, costAt } = trainModel(X, Y, [6, 5, 1], { numIterations: 250, costEvery: 100, seed: 2 });
  assert.equal(costAt, [0, 100, 200, 249]);
  assert.is(costs.length, 4);
  assert.ok(costs[3] < costs[0], 'the cost goes down');
});

test('Model (float64) agrees with the tutorial functions over 60 full-batch steps to 1e-12', () => {
  const { X, Y } = dataset(7, 40, 11);
  const dims = [7, 6, 4, 1];
  const model = new Model({ layerDims: dims, init: 'he', seed: 5 });
  const start = initializeParametersDeep(dims, { seed: 5, init: 'he' });
  assertParametersClose(model.parameters, start, 0);
  const result = model.fit(X, Y, { learningRate: 0.05, iterations: 60, costEvery: 1 });
  const reference = tutorialSteps(
    start,
    Array.from({ length: 60 }, () => ({ X, Y })),
    0.05,
  );
  assertArrayClose(result.costs, reference.costs, 1e-12, 'costs');
  assertParametersClose(model.parameters, reference.parameters, 1e-12);
});

test('mini-batches without shuffling are consecutive column batches, the last one partial', () => {
  const { X, Y } = dataset(5, 23, 4);
  const dims = [5, 4, 1];
  const model = new Model({ layerDims: dims, seed: 9 });
  const start = initializeParametersDeep(dims, { seed: 9, init: 'lecun' });
  const result = model.fit(X, Y, { learningRate: 0.1, batchSize: 8, epochs: 3, shuffle: false });
  const batches = [];
  for (let e = 0; e < 3; e++)
    for (let s = 0; s < 23; s += 8)
      batches.push({ X: X.columns(s, Math.min(23, s + 8)), Y: Y.columns(s, Math.min(23, s + 8)) });
  const reference = tutorialSteps(start, batches, 0.1);
  assertParametersClose(model.parameters, reference.parameters, 1e-12);
  assert.is(result.iterations, 9);
  assert.is(result.costs.length, 3, 'one cost per epoch');
  // epoch cost = example-weighted mean of the batch costs
  const epoch0 = (reference.costs[0] * 8 + reference.costs[1] * 8 + reference.costs[2] * 7) / 23;
  assertClose(result.costs[0], epoch0, 1e-12, 'epoch 0 cost');
});

// numpy's own output: np.random.seed(s); np.random.permutation(n), printed by numpy 1.24 (not by this package's
// shuffle, so a shuffle bug cannot hide behind itself)
const NUMPY_PERMUTATIONS: { seed: number; n: number; permutation: number[] }[] = [
  { seed: 11, n: 12, permutation: [6, 3, 8, 10, 2, 11, 4, 5, 7, 1, 0, 9] },
  { seed: 12, n: 12, permutation: [10, 5, 9, 8, 0, 4, 7, 3, 2, 1, 6, 11] },
  ...[
    [1, 0],
    [0, 1],
    [1, 0],
    [1, 0],
    [1, 0],
    [0, 1],
  ].map((permutation, seed) => ({ seed, n: 2, permutation })),
  ...[
    [2, 1, 0],
    [0, 2, 1],
    [2, 1, 0],
    [1, 0, 2],
    [1, 0, 2],
    [0, 1, 2],
  ].map((permutation, seed) => ({ seed, n: 3, permutation })),
  ...[
    [2, 0, 1, 3, 4],
    [2, 1, 4, 0, 3],
    [2, 4, 1, 3, 0],
    [3, 4, 1, 0, 2],
    [0, 3, 1, 4, 2],
    [4, 0, 1, 2, 3],
  ].map((permutation, seed) => ({ seed, n: 5, permutation })),
];

test('RandomState.permutation equals numpy permutations', () => {
  for (const { seed, n, permutation } of NUMPY_PERMUTATIONS)
    assert.equal(Array.from(new RandomState(seed).permutation(n)), permutation, `seed ${seed}, n ${n}`);
  assert.equal(
    Array.from(new RandomState(7).permutation(1000).subarray(0, 10)),
    [778, 334, 271, 802, 216, 408, 812, 94, 487, 170],
    'seed 7, n 1000 (first 10)',
  );
});

test('shuffled mini-batches follow np.random.seed(seed + epoch + 1) permutations', () => {
  const { X, Y } = dataset(4, 12, 8);
  const dims = [4, 3, 1];
  const model = new Model({ layerDims: dims, seed: 1 });
  const start = initializeParametersDeep(dims, { seed: 1, init: 'lecun' });
  model.fit(X, Y, { learningRate: 0.2, batchSize: 5, epochs: 2, seed: 10 });
  const batches = [];
  for (const epochSeed of [11, 12]) {
    const order = NUMPY_PERMUTATIONS.find((p) => p.seed === epochSeed && p.n === 12)!.permutation;
    const Xs = Matrix.zeros(4, 12),
      Ys = Matrix.zeros(1, 12);
    order.forEach((source, j) => {
      for (let i = 0; i < 4; i++) Xs.set(i, j, X.get(i, source));
      Ys.set(0, j, Y.get(0, source));
    });
    for (let s = 0; s < 12; s += 5)
      batches.push({ X: Xs.columns(s, Math.min(12, s + 5)), Y: Ys.columns(s, Math.min(12, s + 5)) });
  }
  assertParametersClose(model.parameters, tutorialSteps(start, batches, 0.2).parameters, 1e-12);
});

test('predictProba, predict and evaluate agree with the tutorial forward pass, in chunks beyond the batch capacity', () => {
  const { X, Y } = dataset(6, 50, 21);
  const model = new Model({ layerDims: [6, 5, 1], seed: 3 });
  model.fit(X.columns(0, 10), Y.columns(0, 10), { iterations: 5, learningRate: 0.1 }); // capacity 10 < 50
  const [AL] = modelForward(X, model.parameters);
  assertArrayClose(model.predictProba(X).data, AL.data, 1e-13, 'AL');
  const predictions = model.predict(X);
  assert.equal(Array.from(predictions.data), Array.from(predict(X, model.parameters).data));
  const { cost, accuracy: acc } = model.evaluate(X, Y);
  assertClose(cost, computeCost(AL, Y), 1e-12, 'cost');
  assert.is(acc, accuracy(predictions, Y));
});

test('float32 models train and agree with float64 to float32 precision', () => {
  const { X, Y } = dataset(8, 64, 5);
  const m64 = new Model({ layerDims: [8, 6, 1], seed: 4 });
  const m32 = new Model({ layerDims: [8, 6, 1], seed: 4, dtype: 'float32' });
  const r64 = m64.fit(X, Y, { iterations: 50, learningRate: 0.1, costEvery: 10 });
  const r32 = m32.fit(X.astype('float32'), Y.astype('float32'), { iterations: 50, learningRate: 0.1, costEvery: 10 });
  assertArrayClose(r32.costs, r64.costs, 1e-5, 'costs');
  assert.instance(m32.parameters.W1.data, Float32Array);
});

test('save / load: exact round trip, atomic write, clear errors for missing, truncated, corrupt and foreign files', () => {
  for (const dtype of ['float64', 'float32'] as const) {
    const model = new Model({ layerDims: [5, 4, 3, 1], dtype, seed: 7, init: 'he' });
    const file = path.join(tmp, `model-${dtype}.dnn`);
    model.save(file);
    const loaded = Model.load(file);
    assert.equal(loaded.layerDims, model.layerDims);
    assert.is(loaded.dtype, dtype);
    assert.equal(Array.from(loaded.flatParameters), Array.from(model.flatParameters), 'bit-exact parameters');
    assert.equal(
      fs.readdirSync(tmp).filter((f) => f.endsWith('.tmp')),
      [],
      'no temporary file left behind',
    );
  }
  const file = path.join(tmp, 'model-float64.dnn');
  const bytes = fs.readFileSync(file);
  const variants: [string, Buffer, RegExp][] = [
    ['truncated', bytes.subarray(0, bytes.length - 9), /truncated/],
    [
      'flipped',
      Buffer.concat([bytes.subarray(0, bytes.length - 1), Buffer.from([bytes[bytes.length - 1] ^ 1])]),
      /checksum/,
    ],
    ['foreign', Buffer.from('{"not": "a model"}'), /not a dnn-native model file/],
    ['empty', Buffer.alloc(0), /not a dnn-native model file/],
    [
      'bad-header',
      Buffer.concat([bytes.subarray(0, 20), Buffer.from('{{{{'), bytes.subarray(24)]),
      /does not match its checksum/,
    ],
  ];
  for (const [name, contents, pattern] of variants) {
    const bad = path.join(tmp, `${name}.dnn`);
    fs.writeFileSync(bad, contents);
    assert.throws(
      () => Model.load(bad),
      (e: Error) => pattern.test(e.message) && e.message.includes(bad),
      name,
    );
  }
  assert.throws(() => Model.load(path.join(tmp, 'missing.dnn')), /no such model file/);
  // overwriting keeps a complete file at every moment: the new one replaces the old by rename
  const model = new Model({ layerDims: [5, 4, 3, 1], seed: 8 });
  model.save(file);
  assert.equal(Array.from(Model.load(file).flatParameters), Array.from(model.flatParameters));
});

test('a non-finite cost stops training, names the iteration, and keeps the last finite parameters', () => {
  const { X, Y } = dataset(5, 20, 2);
  for (let i = 0; i < X.data.length; i++) X.data[i] *= 1e100;
  const options = { layerDims: [5, 50, 50, 1], seed: 3, init: 'he' as const };
  const model = new Model(options);
  let error: unknown;
  try {
    model.fit(X, Y, { learningRate: 1e30, iterations: 500 });
  } catch (e) {
    error = e;
  }
  assert.instance(error, NonFiniteCostError);
  const { iteration } = error as NonFiniteCostError;
  assert.match((error as Error).message, new RegExp(`iteration ${iteration}\\b`));
  assert.ok(iteration > 0, 'diverges after some steps');
  // The parameters kept are those of iteration - 1: a fresh model trained for iteration - 1 steps has them.
  const replay = new Model(options);
  if (iteration > 1) replay.fit(X, Y, { learningRate: 1e30, iterations: iteration - 1 });
  assert.equal(Array.from(model.flatParameters), Array.from(replay.flatParameters));
  assert.ok(model.flatParameters.every(Number.isFinite));
});

test('fitAsync trains in a worker: same parameters as fit, progress events, and the event loop keeps running', async () => {
  const { X, Y } = dataset(30, 400, 6);
  const options = { layerDims: [30, 64, 32, 1], seed: 12 };
  const sync = new Model(options);
  const syncResult = sync.fit(X, Y, { iterations: 400, learningRate: 0.05, costEvery: 50 });
  const model = new Model(options);
  let ticks = 0,
    progressEvents = 0;
  const timer = setInterval(() => ticks++, 1);
  const result = await model.fitAsync(X, Y, {
    iterations: 400,
    learningRate: 0.05,
    costEvery: 50,
    onProgress: () => progressEvents++,
  });
  clearInterval(timer);
  assert.equal(result.costs, syncResult.costs);
  assert.equal(
    Array.from(model.flatParameters),
    Array.from(sync.flatParameters),
    'bit-identical to training in the main thread',
  );
  assert.is(progressEvents, syncResult.costs.length);
  assert.ok(ticks > 0, `timers fired while the worker trained (${ticks} ticks)`);
});

test('fitAsync aborts: rejects with an AbortError and keeps the parameters of the last completed step', async () => {
  const { X, Y } = dataset(20, 200, 7);
  const options = { layerDims: [20, 16, 1], seed: 2 };
  const model = new Model(options);
  const controller = new AbortController();
  const before = Array.from(model.flatParameters);
  let error: unknown;
  try {
    await model.fitAsync(X, Y, {
      iterations: 1_000_000,
      learningRate: 0.01,
      progressEvery: 50,
      signal: controller.signal,
      onProgress: () => controller.abort(),
    });
  } catch (e) {
    error = e;
  }
  assert.is((error as Error).name, 'AbortError');
  const after = Array.from(model.flatParameters);
  assert.not.equal(after, before, 'training happened before the abort');
  // find the step count k whose parameters these are: replay one step at a time
  const replay = new Model(options);
  let k = 0;
  while (k < 100_000 && Array.from(replay.flatParameters).some((v, i) => v !== after[i])) {
    replay.fit(X, Y, { iterations: 1, learningRate: 0.01 });
    k++;
  }
  assert.ok(k < 100_000, `the kept parameters are exactly those after ${k} completed steps`);
  // the model is usable again afterwards
  assert.is(model.fit(X, Y, { iterations: 2, learningRate: 0.01 }).iterations, 2);
});

test('an aborted signal rejects before training starts; bad options reject with the named error', async () => {
  const { X, Y } = dataset(4, 10, 1);
  const model = new Model({ layerDims: [4, 3, 1], seed: 1 });
  const before = Array.from(model.flatParameters);
  await model.fitAsync(X, Y, { signal: AbortSignal.abort() }).then(
    () => assert.unreachable('resolved'),
    (e) => assert.is(e.name, 'AbortError'),
  );
  await model.fitAsync(X, Y, { learningRate: -1 }).then(
    () => assert.unreachable('resolved'),
    (e) => {
      assert.instance(e, RangeError);
      assert.match(e.message, /learningRate/);
    },
  );
  assert.equal(Array.from(model.flatParameters), before);
});

// Every way JavaScript code can make a typed array or buffer: the constructors, the %TypedArray% methods that
// return new arrays, and Buffer's factories. Counted while `run` runs; restored afterwards.
function countJsAllocations(run: () => void): number {
  let created = 0;
  const g = globalThis as any;
  const constructors = [
    'Int8Array',
    'Uint8Array',
    'Uint8ClampedArray',
    'Int16Array',
    'Uint16Array',
    'Int32Array',
    'Uint32Array',
    'Float32Array',
    'Float64Array',
    'BigInt64Array',
    'BigUint64Array',
    'ArrayBuffer',
    'SharedArrayBuffer',
    'DataView',
  ];
  const typedArray = Object.getPrototypeOf(Uint8Array);
  const patches: [object, string, unknown][] = [
    ...constructors.map((name) => [g, name, g[name]] as [object, string, unknown]),
    ...['subarray', 'slice', 'map', 'filter', 'toSorted', 'toReversed', 'with'].map(
      (name) => [typedArray.prototype, name, typedArray.prototype[name]] as [object, string, unknown],
    ),
    ...['from', 'of'].map((name) => [typedArray, name, typedArray[name]] as [object, string, unknown]),
    ...['alloc', 'allocUnsafe', 'allocUnsafeSlow', 'from', 'concat'].map(
      (name) => [Buffer, name, (Buffer as any)[name]] as [object, string, unknown],
    ),
  ];
  const counting = (original: any) =>
    typeof original === 'function' && /^[A-Z]/.test(original.name) && original !== Buffer.from
      ? new Proxy(original, {
          construct(target, args, newTarget) {
            created++;
            return Reflect.construct(target, args, newTarget);
          },
        })
      : function (this: unknown, ...args: unknown[]) {
          created++;
          return original.apply(this, args);
        };
  for (const [owner, name, original] of patches)
    Object.defineProperty(owner, name, { value: counting(original), configurable: true, writable: true });
  try {
    run();
  } finally {
    for (const [owner, name, original] of patches)
      Object.defineProperty(owner, name, { value: original, configurable: true, writable: true });
  }
  return created;
}

/** The most ArrayBuffer memory (JS and native/external) in use at any step of `fit`, above what it was before. */
function peakArrayBufferGrowth(fit: (onProgress: () => void) => void): number {
  const before = process.memoryUsage().arrayBuffers;
  let peak = before;
  fit(() => {
    peak = Math.max(peak, process.memoryUsage().arrayBuffers);
  });
  return peak - before;
}

test('a training step allocates nothing: no typed array, buffer or native memory per step', () => {
  const { X, Y } = dataset(10, 64, 9, 'float32');
  const model = new Model({ layerDims: [10, 8, 1], dtype: 'float32', seed: 1 });
  model.fit(X, Y, { batchSize: 16, epochs: 1 }); // workspaces exist from here on
  const few = countJsAllocations(() => model.fit(X, Y, { batchSize: 16, epochs: 2, shuffle: true, seed: 1 }));
  const many = countJsAllocations(() => model.fit(X, Y, { batchSize: 16, epochs: 40, shuffle: true, seed: 1 }));
  assert.ok(few > 0, 'the counter sees the per-fit set-up');
  assert.is(many, few, 'no typed array is created per step or per epoch');
  model.fit(X, Y, { iterations: 1 }); // grows the workspace to the full batch
  const fullFew = countJsAllocations(() => model.fit(X, Y, { iterations: 3 }));
  const fullMany = countJsAllocations(() => model.fit(X, Y, { iterations: 300 }));
  assert.is(fullMany, fullFew);
  // the same with every extension on: softmax, Adam, L2, dropout, decay
  const classes = Uint8Array.from({ length: 64 }, (_, j) => j % 3);
  const rich = new Model({
    layerDims: [10, 8, 6, 3],
    dtype: 'float32',
    output: 'softmax',
    optimizer: 'adam',
    l2: 0.1,
    keepProb: 0.8,
    hiddenActivation: 'tanh',
    seed: 1,
  });
  rich.fit(X, classes, { batchSize: 16, epochs: 1 });
  const richFew = countJsAllocations(() => rich.fit(X, classes, { batchSize: 16, epochs: 2, decayRate: 0.1 }));
  const richMany = countJsAllocations(() => rich.fit(X, classes, { batchSize: 16, epochs: 40, decayRate: 0.1 }));
  assert.is(richMany, richFew, 'softmax + Adam + L2 + dropout: nothing per step');
  // Native and external memory (what the JS counters cannot see: a buffer made inside the addon): over 8,000 steps,
  // ArrayBuffer memory never rises by more than 256 KB above where it started (8 KB per step would be 64 MB).
  const growth = peakArrayBufferGrowth((onProgress) =>
    rich.fit(X, classes, { batchSize: 16, epochs: 2000, decayRate: 0.1, progressEvery: 1, onProgress }),
  );
  assert.ok(growth < 256 * 1024, `ArrayBuffer memory grew by ${growth} bytes during training`);
});

test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
test.run();
