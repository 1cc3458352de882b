// Regression (a linear output with half the mean squared error) and what a model knows of its data: input scaling
// applied by fit, predict and evaluate to raw features, target scaling, classes and feature names saved with it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fitScaling } from '../lib/estimators/preprocessing';
import { Matrix, Model, RandomState } from '../lib/index';
import { assertArrayClose, assertClose } from './support/helpers';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dnn-regression-'));

/** y = 3 x0 - 2 x1 + 0.5 + noise-free, with x on very different scales. */
function linearData(m: number, seed: number) {
  const rng = new RandomState(seed);
  const Z = rng.randn(2, m);
  const X = Matrix.zeros(2, m),
    y = new Float64Array(m);
  for (let j = 0; j < m; j++) {
    X.set(0, j, 1000 + 50 * Z.get(0, j));
    X.set(1, j, 0.01 * Z.get(1, j));
    y[j] = 3 * Z.get(0, j) - 2 * Z.get(1, j) + 0.5;
  }
  return { X, y };
}

test('a linear output learns a linear target; the cost is half the mean squared error and its gradient checks', () => {
  const { X, y } = linearData(200, 1);
  const model = new Model({ layerDims: [2, 1], output: 'linear', seed: 3 });
  model.setMetadata({ task: 'regression', inputScaling: fitScaling(X, 'standardize') });
  const result = model.fit(X, y, { iterations: 2000, learningRate: 0.1 });
  assert.ok(result.costs[result.costs.length - 1] < 1e-10, `converges: ${result.costs.at(-1)}`);
  const { r2, rmse, cost } = model.evaluate(X, y);
  assertClose(r2 as number, 1, 1e-9, 'r2');
  assert.ok((rmse as number) < 1e-4, `rmse ${rmse}`);
  assertClose(cost, (rmse as number) ** 2 / 2, 1e-9, 'cost is half the mean squared error');
  assertArrayClose(model.predict(X.columns(0, 5)).data, y.subarray(0, 5), 1e-6, 'predictions');
  assert.throws(() => model.predictProba(X), /no probabilities; use predict/);
  // the gradient of a fresh (far from converged) model against centred differences
  const fresh = new Model({ layerDims: [2, 3, 1], output: 'linear', hiddenActivation: 'tanh', seed: 9, l2: 0.1 });
  fresh.setMetadata({ inputScaling: fitScaling(X, 'standardize') });
  const { difference } = fresh.gradientCheck(X.columns(0, 20), y.subarray(0, 20));
  assert.ok(difference < 1e-7, `gradient check ${difference}`);
});

test('target scaling: trained on standardised targets, predictions and r2 come back in the targets units', () => {
  const { X } = linearData(120, 2);
  const y = Float64Array.from({ length: 120 }, (_, j) => 5000 + (100 * (X.get(0, j) - 1000)) / 50);
  let mean = 0;
  for (const v of y) mean += v / y.length;
  let variance = 0;
  for (const v of y) variance += (v - mean) ** 2 / y.length;
  const model = new Model({ layerDims: [2, 1], output: 'linear', seed: 1 });
  model.setMetadata({
    task: 'regression',
    inputScaling: fitScaling(X, 'standardize'),
    targetScaling: { offset: mean, scale: Math.sqrt(variance) },
  });
  model.fit(X, y, { iterations: 1500, learningRate: 0.1 });
  const evaluation = model.evaluate(X, y);
  assert.ok((evaluation.r2 as number) > 0.999999, `r2 ${evaluation.r2}`);
  assertArrayClose(model.predict(X.columns(0, 3)).data, y.subarray(0, 3), 1e-6, 'in the targets units');
});

test('metadata is saved and loaded with the model; predictions from a loaded model are identical', () => {
  const { X, y } = linearData(60, 4);
  const model = new Model({ layerDims: [2, 4, 1], output: 'linear', seed: 5, optimizer: 'adam' });
  model.setMetadata({
    task: 'regression',
    featureNames: ['big', 'small'],
    inputScaling: fitScaling(X, 'minmax'),
    targetScaling: { offset: 1, scale: 2 },
  });
  model.fit(X, y, { epochs: 3, batchSize: 16, learningRate: 0.01 });
  const file = path.join(tmp, 'reg.dnn');
  model.save(file);
  const loaded = Model.load(file);
  assert.equal(loaded.metadata.featureNames, ['big', 'small']);
  assert.equal(loaded.metadata.task, 'regression');
  assert.equal(Array.from(loaded.metadata.inputScaling!.scale), Array.from(model.metadata.inputScaling!.scale));
  assert.equal(Array.from(loaded.predict(X).data), Array.from(model.predict(X).data));
  const classifier = new Model({ layerDims: [2, 3], output: 'softmax', seed: 1 });
  classifier.setMetadata({ task: 'classification', classes: ['setosa', 'versicolor', 'virginica'] });
  classifier.save(file);
  assert.equal(Model.load(file).metadata.classes, ['setosa', 'versicolor', 'virginica']);
});

test('metadata that does not fit the model is refused, naming the field', () => {
  const model = new Model({ layerDims: [2, 3], output: 'softmax', seed: 1 });
  assert.throws(() => model.setMetadata({ classes: ['a', 'b'] }), /metadata.classes must list 3 labels/);
  assert.throws(() => model.setMetadata({ featureNames: ['x'] }), /metadata.featureNames must be 2 strings/);
  assert.throws(() => model.setMetadata({ task: 'regression' }), /does not fit a softmax output/);
  assert.throws(() => model.setMetadata({ targetScaling: { offset: 0, scale: 1 } }), /targetScaling is for regression/);
  assert.throws(() => model.setMetadata({ colour: 'red' } as never), /metadata.colour is not a metadata field/);
});

test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
test.run();
