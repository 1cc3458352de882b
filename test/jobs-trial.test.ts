// The sweep's trial runner: its segments (one epoch, or a run of full-batch steps) chain bit for bit into the fit
// one call would make, for gd, momentum and adam, with learning-rate decay; a trial resumed from a checkpoint (in a
// fresh model, through the checkpoint's bytes) ends with the same metrics; the validation split is seeded and
// stratified; the data bytes round-trip and refuse corruption.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type Matrix, Model } from '../lib/index';
import { decodeCheckpoint, encodeCheckpoint } from '../lib/jobs/checkpoint';
import { decodeSweepData, encodeSweepData, type SweepData, splitValidation } from '../lib/jobs/data';
import { runTrial, type TrialCheckpoint, type TrialJob } from '../lib/jobs/trial';
import { threeClasses } from './support/three-classes';

const { X, Y } = threeClasses(240, 7);
const data: SweepData = splitValidation(X, Y, { fraction: 0.25, seed: 11, output: 'softmax', outputs: 3 });

function job(model: Partial<TrialJob['model']>, fit: TrialJob['fit']): TrialJob {
  return {
    sweep: 'test',
    index: 0,
    data: '0'.repeat(64),
    model: { layerDims: [4, 6, 3], output: 'softmax', seed: 5, ...model },
    fit,
    threads: 1,
  };
}

function bits(values: ArrayLike<number>): string {
  return Buffer.from(new Float64Array(Array.from(values)).buffer).toString('hex');
}

for (const optimizer of ['gd', 'momentum', 'adam'] as const) {
  test(`${optimizer}: epoch by epoch equals one fit, bit for bit (mini-batches, shuffled, decayed rate)`, () => {
    const fit = { batchSize: 32, epochs: 5, learningRate: 0.05, decayRate: 0.5, seed: 3 };
    const whole = new Model({ layerDims: [4, 6, 3], output: 'softmax', seed: 5, optimizer });
    const result = whole.fit(data.trainX, data.trainY, fit);
    const trial = runTrial(job({ optimizer }, fit), data);
    assert.is(trial.status, 'done');
    if (trial.status !== 'done') return;
    assert.is(bits(trial.model.flatParameters), bits(whole.flatParameters), 'parameters');
    assert.is(bits(trial.costs), bits(result.costs), 'epoch costs');
    const expected = whole.evaluate(data.validationX, data.validationY);
    assert.equal(trial.metrics, { validationAccuracy: expected.accuracy, validationCost: expected.cost });
  });
}

test('full batch: runs of steps equal one fit, bit for bit (adam, decay every 7 steps)', () => {
  const fit = { iterations: 45, learningRate: 0.02, decayRate: 0.3, decayEvery: 7, seed: 1 };
  const whole = new Model({ layerDims: [4, 6, 3], output: 'softmax', seed: 5, optimizer: 'adam' });
  whole.fit(data.trainX, data.trainY, fit);
  const trial = runTrial(job({ optimizer: 'adam' }, fit), data);
  assert.is(trial.status, 'done');
  if (trial.status === 'done') assert.is(bits(trial.model.flatParameters), bits(whole.flatParameters));
});

// With dropout too: each segment reseeds the masks (with its epoch's seed), the same way in every run, so a resumed
// dropout trial matches an uninterrupted trial (not one fit of all epochs: that draws the masks from one stream).
for (const model of [
  { optimizer: 'adam', l2: 0.1 },
  { optimizer: 'momentum', keepProb: 0.8 },
] as const) {
  test(`a trial stopped at a checkpoint and resumed elsewhere from its bytes ends with the same metrics (${JSON.stringify(model)})`, () => {
    const fit = { batchSize: 16, epochs: 6, learningRate: 0.01, seed: 9 };
    const trialJob = job(model, fit);
    const straight = runTrial(trialJob, data);
    const saved: Uint8Array[] = [];
    let asked = 0;
    const stopped = runTrial(trialJob, data, {
      onCheckpoint: (checkpoint) => saved.push(encodeCheckpoint(checkpoint)),
      shouldStop: () => ++asked === 3,
    });
    assert.is(stopped.status, 'stopped');
    const last: TrialCheckpoint = decodeCheckpoint(saved[saved.length - 1], 'float64');
    assert.is(last.done, 3);
    const resumed = runTrial(trialJob, decodeSweepData(encodeSweepData(data)), { resumeFrom: last });
    assert.is(resumed.status, 'done');
    assert.is(straight.status, 'done');
    if (resumed.status !== 'done' || straight.status !== 'done') return;
    assert.is(resumed.resumedFrom, 3);
    assert.equal(resumed.metrics, straight.metrics);
    assert.is(bits(resumed.costs), bits(straight.costs));
  });
}

test('a checkpoint of the wrong size for the model is refused, naming the part', () => {
  const fit = { batchSize: 16, epochs: 2, seed: 9 };
  const checkpoint: TrialCheckpoint = {
    done: 1,
    costs: [1],
    state: { params: new Float64Array(5), velocity: null, squares: null, adamStep: 0 },
  };
  assert.throws(
    () => runTrial(job({}, fit), data, { resumeFrom: checkpoint }),
    /checkpoint: params must be 51 float64 values/,
  );
});

test('the validation split is seeded, stratified by class and keeps the data order', () => {
  const again = splitValidation(X, Y, { fraction: 0.25, seed: 11, output: 'softmax', outputs: 3 });
  assert.is(bits(again.validationX.data), bits(data.validationX.data));
  const count = (labels: Matrix, k: number) => Array.from(labels.data).filter((v) => v === k).length;
  for (let k = 0; k < 3; k++) {
    const all = count(Y, k);
    assert.is(count(data.validationY, k), Math.round(all * 0.25), `class ${k}`);
    assert.is(count(data.trainY, k) + count(data.validationY, k), all);
  }
  const other = splitValidation(X, Y, { fraction: 0.25, seed: 12, output: 'softmax', outputs: 3 });
  assert.is.not(bits(other.validationX.data), bits(data.validationX.data));
});

test('sweep data bytes round-trip, and truncated or relabelled bytes are refused', () => {
  const bytes = encodeSweepData(data);
  const back = decodeSweepData(bytes);
  assert.is(bits(back.trainX.data), bits(data.trainX.data));
  assert.is(bits(back.validationY.data), bits(data.validationY.data));
  assert.throws(() => decodeSweepData(bytes.subarray(0, bytes.length - 8)), /bytes, expected/);
  const relabelled = Buffer.from(bytes);
  relabelled.writeDoubleLE(7, relabelled.length - 8); // the last validation label becomes class 7 of 3
  assert.throws(() => decodeSweepData(relabelled), /validation labels\[\d+\] is 7: labels must be class indices 0..2/);
  assert.throws(() => decodeSweepData(Buffer.from('hello world, not data')), /magic/);
});

test.run();
