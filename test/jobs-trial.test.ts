// The sweep's trial runner: a trial is the fit one call with its options makes, bit for bit, for gd, momentum and
// adam, with learning-rate decay, full batch, and dropout (one mask stream, as `dnn-native train`); a trial stopped
// at a checkpoint and resumed from its bytes in a fresh model ends with the same parameters and metrics; a
// checkpoint of another model is refused; the validation split is seeded and stratified; the data bytes round-trip
// and refuse corruption.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type Matrix, Model } from '../lib/index';
import { decodeSweepData, encodeSweepData, type SweepData, splitValidation } from '../lib/jobs/data';
import { runTrial, type TrialCheckpoint, type TrialJob } from '../lib/jobs/trial';
import type { ModelOptions } from '../lib/model/options';
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

// With dropout (and L2): the masks come from one stream, as in one fit; a resumed trial replays it (fit's resume).
for (const model of [
  { optimizer: 'adam', l2: 0.1 },
  { optimizer: 'momentum', keepProb: 0.8 },
  { optimizer: 'gd', keepProb: 0.9, l2: 0.05 },
] as const) {
  test(`a trial equals one fit, and stopped at a checkpoint then resumed elsewhere from its bytes ends the same (${JSON.stringify(model)})`, () => {
    const fit = { batchSize: 16, epochs: 6, learningRate: 0.01, seed: 9 };
    const trialJob = job(model as Partial<ModelOptions>, fit);
    const whole = new Model({ layerDims: [4, 6, 3], output: 'softmax', seed: 5, ...(model as Partial<ModelOptions>) });
    const result = whole.fit(data.trainX, data.trainY, fit);
    const straight = runTrial(trialJob, data);
    const saved: TrialCheckpoint[] = [];
    let asked = 0;
    const stopped = runTrial(trialJob, data, {
      onCheckpoint: (checkpoint) => saved.push(checkpoint),
      shouldStop: () => ++asked === 3,
    });
    assert.is(stopped.status, 'stopped');
    assert.equal(
      saved.map((c) => c.done),
      [1, 2],
    );
    if (stopped.status !== 'stopped') return;
    assert.is(stopped.checkpoint.done, 3);
    // the checkpoint is a model file: Model.load reads it
    const file = path.join(os.tmpdir(), `dnn-trial-test-${process.pid}.model`);
    fs.writeFileSync(file, stopped.checkpoint.bytes);
    assert.is(Model.load(file).parameterCount, whole.parameterCount);
    fs.rmSync(file);
    const resumed = runTrial(trialJob, decodeSweepData(encodeSweepData(data)), {
      resumeFrom: Buffer.from(stopped.checkpoint.bytes),
    });
    assert.is(resumed.status, 'done');
    assert.is(straight.status, 'done');
    if (resumed.status !== 'done' || straight.status !== 'done') return;
    assert.is(bits(straight.model.flatParameters), bits(whole.flatParameters), 'a trial is one fit');
    assert.is(bits(straight.costs), bits(result.costs));
    assert.is(resumed.resumedFrom, 3);
    assert.is(bits(resumed.model.flatParameters), bits(whole.flatParameters), 'resumed');
    assert.equal(resumed.metrics, straight.metrics);
    assert.is(bits(resumed.costs), bits(straight.costs));
  });
}

test('full batch with dropout: stopped at a checkpoint (a tenth of the steps) and resumed equals one fit', () => {
  const fit = { iterations: 40, learningRate: 0.05, seed: 4 };
  const options = { optimizer: 'momentum', keepProb: 0.75 } as const;
  const whole = new Model({ layerDims: [4, 6, 3], output: 'softmax', seed: 5, ...options });
  whole.fit(data.trainX, data.trainY, fit);
  const stopped = runTrial(job(options, fit), data, { shouldStop: () => true });
  assert.is(stopped.status, 'stopped');
  if (stopped.status !== 'stopped') return;
  assert.is(stopped.checkpoint.done, 4);
  const resumed = runTrial(job(options, fit), data, { resumeFrom: stopped.checkpoint.bytes });
  assert.is(resumed.status, 'done');
  if (resumed.status !== 'done') return;
  assert.is(resumed.unit, 'step');
  assert.is(resumed.resumedFrom, 4);
  assert.is(bits(resumed.model.flatParameters), bits(whole.flatParameters));
});

test("a checkpoint of another model or other data is refused by fit's checks", () => {
  const fit = { batchSize: 16, epochs: 3, seed: 9 };
  const stopped = runTrial(job({}, fit), data, { shouldStop: () => true });
  if (stopped.status !== 'stopped') throw new Error('expected a stopped trial');
  assert.throws(
    () => runTrial(job({ layerDims: [4, 7, 3] }, fit), data, { resumeFrom: stopped.checkpoint.bytes }),
    /layerDims/,
  );
  assert.throws(
    () => runTrial(job({}, { ...fit, learningRate: 0.5 }), data, { resumeFrom: stopped.checkpoint.bytes }),
    /learningRate/,
  );
  assert.throws(() => runTrial(job({}, fit), data, { resumeFrom: Buffer.from('not a checkpoint') }), /checkpoint/);
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
