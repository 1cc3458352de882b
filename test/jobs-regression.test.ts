// Regression sweeps (a linear output): the unstratified seeded split, the targets and their scaling in the data
// bytes (refused when corrupt), a trial that equals one fit of a model with the same target scaling and scores
// validationR2 and validationCost, saved models that predict in the targets' units, the command line choosing
// regression for a CSV file whose labels are not whole numbers and ranking by R², and the same sweep through Redis
// with a worker process: the local run's metrics, bit for bit.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Matrix, Model, RandomState } from '../lib/index';
import { decodeSweepData, encodeSweepData, splitValidation } from '../lib/jobs/data';
import { sweep, type TrialResult } from '../lib/jobs/sweep';
import { runTrial, type TrialJob } from '../lib/jobs/trial';
import { cli } from './support/cli-in-process';
import { type RedisServer, startRedis, startWorkerProcess, type WorkerProcess } from './support/redis';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dnn-sweep-regression-'));
const file = (name: string) => path.join(tmp, name);

/** X (4, m) gaussian; targets in their own units (mean about 50, spread about 8), never whole numbers. */
function regressionData(m: number, seed: number): { X: Matrix; Y: Matrix } {
  const X = new RandomState(seed).randn(4, m);
  const noise = new RandomState(seed + 1).randn(1, m);
  const Y = Matrix.zeros(1, m);
  for (let j = 0; j < m; j++)
    Y.set(0, j, 50 + 6 * X.get(0, j) - 4 * X.get(1, j) + 2 * X.get(2, j) * X.get(3, j) + 0.5 * noise.get(0, j) + 1e-3);
  return { X, Y };
}

const { X, Y } = regressionData(200, 3);
const bits = (values: ArrayLike<number>) => Buffer.from(new Float64Array(Array.from(values)).buffer).toString('hex');
const mean = (v: ArrayLike<number>) => Array.from(v).reduce((s, x) => s + x / v.length, 0);

test('the split: seeded, unstratified, round(fraction · m) held out, the target scaling learnt on the training part', () => {
  const data = splitValidation(X, Y, { fraction: 0.25, seed: 9, output: 'linear', outputs: 1 });
  assert.is(data.validationX.cols, 50);
  assert.is(data.trainX.cols, 150);
  assert.is(data.output, 'linear');
  const again = splitValidation(X, Y, { fraction: 0.25, seed: 9, output: 'linear', outputs: 1 });
  assert.is(bits(again.validationY.data), bits(data.validationY.data));
  const other = splitValidation(X, Y, { fraction: 0.25, seed: 10, output: 'linear', outputs: 1 });
  assert.is.not(bits(other.validationY.data), bits(data.validationY.data));
  // targets travel as they are, in their units; the scaling is the training part's mean and standard deviation
  const y = data.trainY.data;
  const offset = mean(y);
  assert.ok(Math.abs(data.targetScaling!.offset - offset) < 1e-12);
  const std = Math.sqrt(mean(Array.from(y, (v) => (v - offset) ** 2)));
  assert.ok(Math.abs(data.targetScaling!.scale - std) < 1e-9);
  assert.ok(data.targetScaling!.scale > 5 && data.targetScaling!.offset > 45);

  assert.throws(
    () => splitValidation(X, Y, { fraction: 0.25, seed: 9, output: 'softmax', outputs: 3 }),
    /labels must be class indices/,
  );
  const bad = Y.astype('float64');
  bad.data[7] = Number.NaN;
  assert.throws(
    () => splitValidation(X, bad, { fraction: 0.25, seed: 9, output: 'linear', outputs: 1 }),
    /\[7\] is NaN/,
  );
});

test('the data bytes: targets and their scaling round-trip exactly; a corrupt header or target is refused', () => {
  const data = splitValidation(X, Y, { fraction: 0.2, seed: 4, output: 'linear', outputs: 1 });
  const bytes = encodeSweepData(data);
  const back = decodeSweepData(bytes);
  assert.equal(back.targetScaling, data.targetScaling);
  assert.is(back.output, 'linear');
  for (const part of ['trainX', 'trainY', 'validationX', 'validationY'] as const)
    assert.is(bits(back[part].data), bits(data[part].data), part);

  const headerLength = bytes.readUInt32LE(12);
  const header = JSON.parse(bytes.toString('utf8', 16, 16 + headerLength));
  const withHeader = (changed: object) => {
    const json = Buffer.from(JSON.stringify(changed));
    assert.ok(json.length <= headerLength);
    // same length, so the payload stays where it is: pad the JSON with spaces
    const padded = Buffer.concat([json, Buffer.alloc(headerLength - json.length, ' ')]);
    const copy = Buffer.from(bytes);
    padded.copy(copy, 16);
    return copy;
  };
  assert.throws(
    () => decodeSweepData(withHeader({ ...header, targetScaling: { offset: 1, scale: 0 } })),
    /needs targetScaling/,
  );
  assert.throws(() => decodeSweepData(withHeader({ ...header, targetScaling: undefined })), /needs targetScaling/);
  assert.throws(
    () => decodeSweepData(withHeader({ ...header, output: 'sigmoid', targetScaling: { offset: 1, scale: 1 } })),
    /targetScaling is for a linear output/,
  );
  const corrupt = Buffer.from(bytes);
  const at = Math.ceil((16 + headerLength) / 8) * 8 + 8 * data.trainX.data.length; // the first training target
  corrupt.writeDoubleLE(Number.POSITIVE_INFINITY, at);
  assert.throws(() => decodeSweepData(corrupt), /training targets\[0\] is Infinity: targets must be finite/);
});

test('a trial: one fit of a model with the data target scaling, scored by validation R² and cost (targets units)', () => {
  const data = splitValidation(X, Y, { fraction: 0.2, seed: 4, output: 'linear', outputs: 1 });
  const fit = { batchSize: 20, epochs: 6, learningRate: 0.01, seed: 2 };
  const options = { layerDims: [4, 8, 1], output: 'linear' as const, seed: 5, optimizer: 'adam' as const };
  const job: TrialJob = { sweep: 'test', index: 0, data: '0'.repeat(64), model: options, fit, threads: 1 };
  const outcome = runTrial(job, data);
  assert.is(outcome.status, 'done');
  if (outcome.status !== 'done') return;
  const whole = new Model(options);
  whole.setMetadata({ task: 'regression', targetScaling: data.targetScaling });
  whole.fit(data.trainX, data.trainY, fit);
  assert.is(bits(outcome.model.flatParameters), bits(whole.flatParameters));
  const expected = whole.evaluate(data.validationX, data.validationY);
  assert.equal(outcome.metrics, { validationR2: expected.r2, validationCost: expected.cost });
  assert.ok((expected.r2 as number) > 0.5, `R² ${expected.r2}`);
  // the saved model predicts in the targets' units
  outcome.model.save(file('trial.model'));
  const saved = Model.load(file('trial.model'));
  assert.equal(saved.metadata.targetScaling, data.targetScaling);
  assert.ok(Math.abs(mean(saved.predict(data.validationX).data) - mean(data.validationY.data)) < 3);
  // stopped after epoch 1 and resumed from the checkpoint's bytes (standardised targets in its record): the same model
  const stopped = runTrial(job, data, { shouldStop: () => true });
  assert.is(stopped.status, 'stopped');
  if (stopped.status !== 'stopped') return;
  const resumed = runTrial(job, data, { resumeFrom: stopped.checkpoint.bytes });
  assert.is(resumed.status, 'done');
  if (resumed.status === 'done') {
    assert.is(resumed.resumedFrom, 1);
    assert.is(bits(resumed.model.flatParameters), bits(whole.flatParameters));
    assert.equal(resumed.metrics, outcome.metrics);
  }
  // a classifier's options on regression data, and the other way round, are refused
  assert.throws(
    () => runTrial({ ...job, model: { ...options, output: 'sigmoid' } }, data),
    /a sigmoid output cannot train on regression data/,
  );
});

// the data as a CSV file (features then the target), for the command line
const csv = file('targets.csv');
fs.writeFileSync(
  csv,
  `${['a,b,c,d,target', ...Array.from({ length: X.cols }, (_, j) => [0, 1, 2, 3].map((i) => X.get(i, j)).join(',') + `,${Y.get(0, j)}`)].join('\n')}\n`,
);

const SWEEP_ARGS = [
  'sweep',
  '--data',
  csv,
  '--grid',
  'learning-rate=0.001;0.01',
  '--grid',
  'hidden=8;12,6',
  '--optimizer',
  'adam',
  '--epochs',
  '15',
  '--batch-size',
  '20',
  '--seed',
  '6',
];

let localResults: TrialResult[];

test('sweep on the command line: targets that are not whole numbers make a regression sweep, ranked by R²', async () => {
  const result = await cli([...SWEEP_ARGS, '--results', file('local.json'), '--output-dir', file('local')]);
  assert.is(result.status, 0, result.stderr);
  localResults = JSON.parse(fs.readFileSync(file('local.json'), 'utf8'));
  assert.is(localResults.length, 4);
  for (const trial of localResults) {
    assert.is(trial.status, 'done');
    assert.equal(Object.keys(trial.metrics!), ['validationR2', 'validationCost']);
    const model = Model.load(trial.model!);
    assert.is(model.output, 'linear');
    assert.is(model.metadata.task, 'regression');
    assert.ok(model.metadata.targetScaling!.offset > 45, 'the target scaling is stored with the model');
  }
  const r2 = (t: TrialResult) => (t.metrics as { validationR2: number }).validationR2;
  const ranked = [...localResults].sort((a, b) => a.rank! - b.rank!);
  for (let k = 1; k < ranked.length; k++) assert.ok(r2(ranked[k - 1]) >= r2(ranked[k]));
  assert.ok(ranked[0].best);
  assert.ok(r2(ranked[0]) > 0.5, `best R² ${r2(ranked[0])}`);
  assert.match(result.stdout, /trial\s+learning-rate\s+hidden\s+val\. R²\s+val\. cost/);
  assert.match(result.stdout, /validation R² 0\.\d{6}, cost/);

  // regression needs targets: MNIST's digits are refused, naming the flag
  const digits = await cli([
    'sweep',
    '--data',
    'mnist',
    '--output-activation',
    'linear',
    '--results',
    file('no.json'),
    '--output-dir',
    file('no'),
  ]);
  assert.is.not(digits.status, 0);
  assert.match(digits.stderr, /--output-activation linear \(regression\) needs numeric targets/);
});

let redis: RedisServer | undefined;
let worker: WorkerProcess | undefined;

test('the same regression sweep through Redis with a worker process: the same metrics, bit for bit', async () => {
  redis = await startRedis();
  worker = await startWorkerProcess(['--redis', redis.url, '--concurrency', '2']);
  const remote = await sweep({
    X,
    Y,
    output: 'linear',
    grid: { 'learning-rate': ['0.001', '0.01'], hidden: ['8', '12,6'] },
    fixed: { optimizer: 'adam', epochs: 15, 'batch-size': 20 },
    seed: 6,
    outputDir: file('remote'),
    redis: redis.url,
  });
  assert.equal(
    remote.trials.map((t) => [t.options, t.metrics]),
    localResults.map((t) => [t.options, t.metrics]),
  );
  assert.ok(remote.trials.every((t) => t.worker?.startsWith(`${os.hostname()}:${worker!.pid}/`)));
  assert.is(remote.best?.trial, localResults.find((t) => t.best)?.trial);
  // the model that came through Redis is the local one, byte for byte
  for (const [k, trial] of remote.trials.entries())
    assert.ok(fs.readFileSync(trial.model!).equals(fs.readFileSync(localResults[k].model!)), `model ${k + 1}`);
});

test.after(async () => {
  if (worker && worker.child.exitCode === null) {
    worker.child.kill('SIGTERM');
    await worker.exited;
  }
  await redis?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test.run();
