// The options table: unknown keys are refused with a did-you-mean, errors carry the option they concern, and the
// command line's flags and defaults are the table's.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Matrix, Model } from '../lib/index';
import { didYouMean, MODEL_OPTION_KEYS, OPTIONS } from '../lib/model/options';

const X = Matrix.fromRows([
  [0, 1, 2, 3],
  [1, 0, 1, 0],
]);
const Y = Matrix.fromRows([[0, 1, 0, 1]]);

function thrown(run: () => unknown): Error & { option?: string } {
  try {
    run();
  } catch (error) {
    return error as Error & { option?: string };
  }
  throw new Error('expected a throw');
}

test('fit refuses misspelt keys with a did-you-mean, before training (issue: { epoch, batchsize, lr } ran 3000 steps)', () => {
  const model = new Model({ layerDims: [2, 3, 1], seed: 1 });
  const before = Array.from(model.flatParameters);
  for (const [key, meant] of [
    ['epoch', 'epochs'],
    ['batchsize', 'batchSize'],
    ['lr', 'learningRate'],
    ['learning_rate', 'learningRate'],
    ['iteration', 'iterations'],
  ]) {
    const error = thrown(() => model.fit(X, Y, { [key]: 10 } as never));
    assert.instance(error, TypeError, key);
    assert.match(error.message, `options.${key} is not an option here; did you mean ${meant}?`);
    assert.is(error.option, key);
  }
  assert.equal(Array.from(model.flatParameters), before, 'nothing trained');
});

test('an option given to the wrong call says where it belongs', () => {
  const error = thrown(() => new Model({ layerDims: [2, 1], learningRate: 0.1 } as never));
  assert.instance(error, TypeError);
  assert.match(
    error.message,
    'options.learningRate is not an option here: it is a fit option, for model.fit(X, Y, options)',
  );
  const model = new Model({ layerDims: [2, 1], seed: 1 });
  assert.match(thrown(() => model.fit(X, Y, { optimizer: 'adam' } as never)).message, 'it is a model option');
  assert.match(thrown(() => model.fit(X, Y, { blasThreads: 1 } as never)).message, 'it is a fitAsync option');
});

test('fitAsync refuses unknown keys too, and a far-off key lists the known ones', async () => {
  const model = new Model({ layerDims: [2, 1], seed: 1 });
  const error = await model.fitAsync(X, Y, { zzzzzzzzzz: 1 } as never).then(
    () => undefined,
    (e: Error) => e,
  );
  assert.instance(error, TypeError);
  assert.match(
    String(error?.message),
    /options\.zzzzzzzzzz is not an option here \(known: learningRate, .*signal, blasThreads\)/,
  );
});

test('errors carry the option they concern, also for an entry of a per-layer list', () => {
  const bad = thrown(() => new Model({ layerDims: [2, 3, 3, 1], keepProb: [0.5, 2] }));
  assert.instance(bad, RangeError);
  assert.is(bad.option, 'keepProb');
  assert.match(bad.message, /^options\.keepProb\[1\] must be in \(0, 1\], got 2/);
  const softmax = thrown(() => new Model({ layerDims: [2, 1], output: 'softmax' }));
  assert.is(softmax.option, 'layerDims', 'the fix is in the layer sizes');
  const rate = thrown(() => new Model({ layerDims: [2, 1], seed: 1 }).fit(X, Y, { learningRate: 0 }));
  assert.is(rate.option, 'learningRate');
});

test('the table: one default per option, the model file keys, and a did-you-mean that stays quiet when nothing is close', () => {
  assert.equal(MODEL_OPTION_KEYS, [
    'layerDims',
    'dtype',
    'init',
    'seed',
    'hiddenActivation',
    'output',
    'optimizer',
    'beta1',
    'beta2',
    'epsilon',
    'l2',
    'keepProb',
  ]);
  const model = new Model({ layerDims: [2, 1] });
  assert.is(model.dtype, OPTIONS.dtype.default);
  assert.is(model.init, OPTIONS.init.default);
  assert.is(model.config.optimizer, OPTIONS.optimizer.default);
  assert.is(didYouMean('xyzzy', ['learningRate', 'epochs']), undefined);
  assert.is(didYouMean('Epochs', ['learningRate', 'epochs']), 'epochs');
});

test.run();
