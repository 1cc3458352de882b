// Beyond the tutorial: softmax with categorical cross-entropy, leaky relu / tanh / sigmoid hidden layers, L2,
// inverted dropout, momentum, Adam, learning-rate decay and shuffled mini-batches, each against plain numpy
// (test/fixtures/make_extensions.py, float64, the course's formulas) to 1e-12; gradient checking.

import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type HiddenActivation, linearForward, Matrix, Model, type ModelOptions, RandomState } from '../lib/index';
import native from '../lib/native';
import { assertArrayClose, assertClose, assertMatrixClose } from './support/helpers';

const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'extensions.json'), 'utf8'));

for (const c of fixture.cases) {
  test(`numpy reference: ${c.name}`, () => {
    const cfg = c.config;
    const model = new Model({
      layerDims: cfg.dims,
      init: cfg.init,
      seed: cfg.seed,
      hiddenActivation: cfg.hidden,
      output: cfg.output,
      keepProb: cfg.keep,
      l2: cfg.l2,
      optimizer: cfg.optimizer,
      beta1: cfg.beta1,
      beta2: cfg.beta2,
      epsilon: cfg.epsilon,
    });
    const X = Matrix.fromRows(c.X);
    const Y = cfg.output === 'softmax' ? c.labels : Matrix.fromRows(c.labels);
    const f = c.fit;
    const result =
      f.batch === undefined
        ? model.fit(X, Y, {
            learningRate: f.lr,
            iterations: f.iterations,
            costEvery: 1,
            seed: f.seed,
            decayRate: f.decayRate,
            decayEvery: f.decayEvery,
          })
        : model.fit(X, Y, {
            learningRate: f.lr,
            epochs: f.epochs,
            batchSize: f.batch,
            seed: f.seed,
            decayRate: f.decayRate,
            decayEvery: f.decayEvery,
          });
    assertArrayClose(result.costs, c.recorded_costs, 1e-12, 'costs');
    for (const [key, rows] of Object.entries<number[][]>(c.parameters))
      assertMatrixClose(model.parameters[key], rows, 1e-12, key);
  });
}

test('softmax models take one-hot matrices, (1, m) class matrices and index arrays alike', () => {
  const rng = new RandomState(3);
  const X = rng.randn(4, 12);
  const classes = Array.from({ length: 12 }, (_, j) => j % 3);
  const oneHot = Matrix.zeros(3, 12);
  classes.forEach((k, j) => oneHot.set(k, j, 1));
  const options: ModelOptions = { layerDims: [4, 5, 3], output: 'softmax', seed: 2 };
  const results = [oneHot, Matrix.fromRows([classes]), Uint8Array.from(classes), classes].map((Y) => {
    const model = new Model(options);
    model.fit(X, Y, { iterations: 20, learningRate: 0.1 });
    return Array.from(model.flatParameters);
  });
  for (const r of results.slice(1)) assert.equal(r, results[0]);
  const model = new Model(options);
  assert.throws(
    () =>
      model.fit(
        X,
        classes.map((k) => k + 1),
      ),
    (e: Error) => e instanceof RangeError && /class indices from 0 to 2/.test(e.message),
  );
  const twoHot = oneHot.clone();
  twoHot.set(0, 0, 1);
  twoHot.set(1, 0, 1);
  assert.throws(
    () => model.fit(X, twoHot),
    (e: Error) => e instanceof RangeError && /one-hot: column 0 has 2 ones/.test(e.message),
  );
});

test('softmax predict gives class indices, predictProba columns sum to 1, evaluate counts argmax hits', () => {
  const rng = new RandomState(8);
  const X = rng.randn(5, 40);
  const classes = Array.from({ length: 40 }, (_, j) => (X.get(0, j) > 0 ? (X.get(1, j) > 0 ? 2 : 1) : 0));
  const model = new Model({ layerDims: [5, 16, 3], output: 'softmax', seed: 1, optimizer: 'adam' });
  model.fit(X, classes, { iterations: 300, learningRate: 0.01 });
  const p = model.predictProba(X);
  for (let j = 0; j < 40; j++) assertClose(p.get(0, j) + p.get(1, j) + p.get(2, j), 1, 1e-14, `column ${j}`);
  const predicted = model.predict(X);
  assert.equal(predicted.shape, [1, 40]);
  const hits = classes.filter((k, j) => predicted.data[j] === k).length;
  assert.is(model.evaluate(X, classes).accuracy, hits / 40);
  assert.ok(hits / 40 > 0.9, `learns a separable 3-class rule (${hits}/40)`);
});

test('gradientCheck: backprop agrees with centred differences for every output, activation, L2 and optimiser', () => {
  const rng = new RandomState(4);
  const X = rng.randn(4, 9);
  const binary = Matrix.zeros(1, 9);
  for (let j = 0; j < 9; j++) binary.set(0, j, j % 2);
  const classes = Array.from({ length: 9 }, (_, j) => j % 3);
  const hidden: HiddenActivation[] = ['relu', 'leakyRelu', 'tanh', 'sigmoid'];
  // Centred differences are wrong at a kink of relu / leaky relu (z = 0 exactly, e.g. a layer whose inputs are all
  // zero): draw seeds until every hidden pre-activation is at least 1e-3 away from 0.
  const clearOfKinks = (model: Model) => {
    let A: Matrix = X;
    for (let l = 1; l < model.numLayers; l++) {
      const [Z] = linearForward(A, model.parameters[`W${l}`], model.parameters[`b${l}`]);
      if (Z.data.some((z) => Math.abs(z) < 1e-3)) return false;
      A = new Matrix(
        Z.rows,
        Z.cols,
        Z.data.map((z) => Math.max(z, 0)),
      );
    }
    return true;
  };
  for (const activation of hidden) {
    for (const output of ['sigmoid', 'softmax'] as const) {
      for (const l2 of [0, 0.5]) {
        let model: Model;
        let seed = 7;
        do
          model = new Model({
            layerDims: [4, 5, 4, output === 'softmax' ? 3 : 1],
            hiddenActivation: activation,
            output,
            l2,
            seed: seed++,
            init: 'he',
            keepProb: 0.5,
          });
        while (!clearOfKinks(model));
        const { difference, checked } = model.gradientCheck(X, output === 'softmax' ? classes : binary);
        assert.ok(difference < 1e-7, `${activation}/${output}/l2=${l2}: difference ${difference}`);
        assert.is(checked, model.parameterCount);
      }
    }
  }
  // float32 models are checked on a float64 copy; maxParameters samples a subset
  const model = new Model({ layerDims: [4, 30, 1], dtype: 'float32', seed: 1 });
  const { difference, checked } = model.gradientCheck(X.astype('float32'), binary.astype('float32'), {
    maxParameters: 40,
  });
  assert.ok(difference < 1e-7, `float32 model: ${difference}`);
  assert.is(checked, 40);
});

test('gradientCheck notices a wrong gradient (the L2 term left out of backprop)', () => {
  // Backprop without the L2 term (l2 = 0) against differences of the cost with it (l2 = 1), on shared parameters
  // through the raw binding: the course's measure must flag it.
  const dims = [3, 4, 1],
    m = 6;
  const rng = new RandomState(2);
  const X = rng.randn(3, m).data,
    Y = Float64Array.from({ length: m }, (_, j) => j % 2);
  const P = native.parameterCount(dims);
  const params = rng.randn(1, P).data,
    g = new Float64Array(P);
  const make = (l2: number, grads: Float64Array) =>
    new native.Network({
      layerDims: dims,
      activations: [1, 2],
      capacity: m,
      params,
      nextParams: null,
      grads,
      workspace: new Float64Array(native.workspaceLength(dims, m)),
      l2,
    });
  const withL2 = make(1, new Float64Array(P)),
    net = make(0, g);
  net.forward(X, m);
  net.backward(X, Y, m);
  let diff = 0,
    a = 0,
    b = 0;
  for (let i = 0; i < P; i++) {
    const saved = params[i];
    params[i] = saved + 1e-7;
    withL2.forward(X, m);
    const plus = withL2.cost(Y, m);
    params[i] = saved - 1e-7;
    withL2.forward(X, m);
    const minus = withL2.cost(Y, m);
    params[i] = saved;
    const approx = (plus - minus) / 2e-7;
    diff += (g[i] - approx) ** 2;
    a += g[i] ** 2;
    b += approx ** 2;
  }
  assert.ok(Math.sqrt(diff) / (Math.sqrt(a) + Math.sqrt(b)) > 1e-3, 'a gradient missing the L2 term is far off');
});

test('dropout is off at predict time and reproducible in training with the same seed', () => {
  const rng = new RandomState(6);
  const X = rng.randn(6, 30),
    Y = Matrix.zeros(1, 30);
  for (let j = 0; j < 30; j++) Y.set(0, j, X.get(0, j) > 0 ? 1 : 0);
  const options: ModelOptions = { layerDims: [6, 20, 1], keepProb: 0.5, seed: 3 };
  const a = new Model(options),
    b = new Model(options),
    c = new Model(options);
  a.fit(X, Y, { iterations: 10, seed: 1 });
  b.fit(X, Y, { iterations: 10, seed: 1 });
  c.fit(X, Y, { iterations: 10, seed: 2 });
  assert.equal(Array.from(a.flatParameters), Array.from(b.flatParameters), 'same seed, same masks');
  assert.not.equal(Array.from(a.flatParameters), Array.from(c.flatParameters), 'another seed, other masks');
  assert.equal(Array.from(a.predictProba(X).data), Array.from(a.predictProba(X).data), 'prediction is deterministic');
  const plain = new Model({ ...options, keepProb: 1 });
  plain.setFlatParameters(a.flatParameters);
  assert.equal(
    Array.from(a.predictProba(X).data),
    Array.from(plain.predictProba(X).data),
    'no dropout at predict time',
  );
});

test('save / load keeps every setting; fitAsync carries the optimiser state', async () => {
  const rng = new RandomState(2);
  const X = rng.randn(5, 24);
  const classes = Array.from({ length: 24 }, (_, j) => j % 4);
  const options: ModelOptions = {
    layerDims: [5, 7, 6, 4],
    output: 'softmax',
    hiddenActivation: ['tanh', 'leakyRelu'],
    optimizer: 'adam',
    beta1: 0.85,
    beta2: 0.99,
    epsilon: 1e-6,
    l2: 0.3,
    keepProb: [0.9, 0.8],
    seed: 4,
    dtype: 'float32',
  };
  const model = new Model(options);
  model.fit(X.astype('float32'), classes, { iterations: 5, learningRate: 0.01 });
  const file = path.join(fs.mkdtempSync('/tmp/dnn-ext-'), 'model.dnn');
  model.save(file);
  const loaded = Model.load(file);
  assert.equal(loaded.config, model.config);
  assert.equal(Array.from(loaded.flatParameters), Array.from(model.flatParameters));
  fs.rmSync(path.dirname(file), { recursive: true });
  // training on in a worker continues Adam where it stopped: same as continuing in the main thread
  const sync = model.clone();
  sync.fit(X.astype('float32'), classes, { iterations: 7, learningRate: 0.01, seed: 5 });
  await model.fitAsync(X.astype('float32'), classes, { iterations: 7, learningRate: 0.01, seed: 5 });
  assert.equal(Array.from(model.flatParameters), Array.from(sync.flatParameters));
});

test('bad settings are rejected with the argument named', () => {
  const cases: [ModelOptions, RegExp, typeof TypeError | typeof RangeError][] = [
    [{ layerDims: [3, 2, 1], output: 'softmax' }, /softmax output needs at least 2 units/, RangeError],
    [
      { layerDims: [3, 2, 1], hiddenActivation: 'softmax' as any },
      /options.hiddenActivation must be one of/,
      TypeError,
    ],
    [
      { layerDims: [3, 2, 2, 1], hiddenActivation: ['relu'] },
      /options.hiddenActivation has 1 entries, expected one per hidden layer \(2\)/,
      RangeError,
    ],
    [{ layerDims: [3, 2, 1], keepProb: 0 }, /options.keepProb must be in \(0, 1\]/, RangeError],
    [{ layerDims: [3, 2, 1], keepProb: 1.5 }, /options.keepProb must be in/, RangeError],
    [
      { layerDims: [3, 2, 1], optimizer: 'sgd' as any },
      /options.optimizer must be 'gd', 'momentum' or 'adam'/,
      TypeError,
    ],
    [{ layerDims: [3, 2, 1], beta1: 1 }, /options.beta1 must be in \[0, 1\)/, RangeError],
    [{ layerDims: [3, 2, 1], l2: -1 }, /options.l2 must be a finite number >= 0/, RangeError],
    [{ layerDims: [3, 2, 1], l2: NaN }, /options.l2/, RangeError],
    [{ layerDims: [3, 2, 1], epsilon: 0 }, /options.epsilon must be in \(0, 1\]/, RangeError],
  ];
  for (const [options, pattern, ErrorClass] of cases)
    assert.throws(
      () => new Model(options),
      (e: Error) => e instanceof ErrorClass && pattern.test(e.message),
      pattern.source,
    );
  const model = new Model({ layerDims: [3, 2, 1], seed: 1 });
  const X = Matrix.zeros(3, 4),
    Y = Matrix.zeros(1, 4);
  assert.throws(() => model.fit(X, Y, { decayRate: -1 }), /options.decayRate must be a finite number >= 0/);
  assert.throws(() => model.fit(X, Y, { decayEvery: 0 }), /options.decayEvery must be a positive integer/);
});

test.run();
