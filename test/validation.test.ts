// Validation while training: a seeded, stratified split; the validation cost and metric at every recorded cost;
// early stopping that keeps the best parameters.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Matrix, Model, RandomState } from '../lib/index';
import { gatherColumns, splitValidation } from '../lib/model/validation';
import { assertClose } from './support/helpers';

test('the split is seeded and stratified: each class keeps its share, and the same seed gives the same split', () => {
  const classes = Uint32Array.from({ length: 100 }, (_, j) => (j < 80 ? 0 : 1)); // 80 / 20
  const split = splitValidation(100, 0.25, 7, classes);
  assert.is(split.validation.length, 25);
  assert.is(Array.from(split.validation).filter((j) => classes[j] === 1).length, 5, '25% of the 20 ones');
  assert.equal(Array.from(splitValidation(100, 0.25, 7, classes).validation), Array.from(split.validation));
  assert.not.equal(Array.from(splitValidation(100, 0.25, 8, classes).validation), Array.from(split.validation));
  const all = new Set([...split.train, ...split.validation]);
  assert.is(all.size, 100, 'every example is in exactly one part');
  assert.throws(() => splitValidation(1, 0.5, 1), /leaves no examples/);
});

/** A noisy binary task small enough for a wide network to overfit. */
function noisy(m: number, seed: number) {
  const rng = new RandomState(seed);
  const X = rng.randn(5, m);
  const noise = rng.rand(1, m);
  const Y = Matrix.zeros(1, m);
  for (let j = 0; j < m; j++) Y.set(0, j, X.get(0, j) + X.get(1, j) > 0 !== noise.get(0, j) < 0.25 ? 1 : 0);
  return { X, Y };
}

test('fit with validationSplit reports the validation cost and accuracy per epoch, on held-out examples', () => {
  const { X, Y } = noisy(200, 3);
  const model = new Model({ layerDims: [5, 8, 1], seed: 1, optimizer: 'adam' });
  const result = model.fit(X, Y, {
    validationSplit: 0.2,
    earlyStopping: false,
    epochs: 6,
    batchSize: 32,
    learningRate: 0.01,
    seed: 4,
  });
  assert.is(result.validationCosts?.length, 6);
  assert.is(result.validationMetrics?.length, 6);
  assert.is(result.epochs, 6);
  // the last figure is the trained model's cost on the held-out columns
  const classes = Uint32Array.from(Y.data);
  const { validation } = splitValidation(200, 0.2, 4, classes);
  const last = model.evaluate(gatherColumns(X, validation), gatherColumns(Y, validation));
  assertClose(result.validationCosts![5], last.cost, 1e-12, 'validation cost');
  assertClose(result.validationMetrics![5], last.accuracy, 0, 'validation accuracy');
});

test('early stopping stops after `patience` epochs without improvement and keeps the best parameters', () => {
  const { X, Y } = noisy(120, 5);
  const model = new Model({ layerDims: [5, 64, 64, 1], seed: 2, optimizer: 'adam', init: 'he' });
  const result = model.fit(X, Y, { validationSplit: 0.3, patience: 5, epochs: 300, batchSize: 16, learningRate: 0.01 });
  assert.ok(result.stoppedEarly, 'a wide network on noisy labels overfits');
  assert.ok(result.epochs < 300);
  const costs = result.validationCosts!;
  const best = costs.indexOf(Math.min(...costs));
  assert.is(result.bestEpoch, best);
  assert.is(result.epochs, best + 1 + 5, 'stopped patience epochs after the best');
  const { validation } = splitValidation(120, 0.3, 0, Uint32Array.from(Y.data));
  const kept = model.evaluate(gatherColumns(X, validation), gatherColumns(Y, validation));
  assertClose(kept.cost, costs[best], 1e-12, 'the model holds the best epoch parameters');
});

test('earlyStopping without a validation split is refused', () => {
  const { X, Y } = noisy(20, 1);
  assert.throws(
    () => new Model({ layerDims: [5, 1], seed: 1 }).fit(X, Y, { earlyStopping: true }),
    /options.earlyStopping needs options.validationSplit/,
  );
});

test.run();
