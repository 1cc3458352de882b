// The dnn-native command line, run as a user runs it (a child process on small files): train, evaluate and predict
// agree with the Model API on the same data; the new settings reach the saved model; every user error exits non-zero
// with one line naming the problem. Each scenario runs its invocations one after another in a single child process
// (the start-up, mostly tsx compiling the sources, costs far more than these small runs), through the same run()
// that the dnn-native binary calls, with a pipe for stdout and stderr.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadCsv, loadMnist, Matrix, Model, RandomState, readIdxImages, readIdxLabels, writeIdx } from '../lib/index';
import { assertClose } from './support/helpers';

const CLI = path.join(__dirname, '..', 'lib', 'cli', 'index.ts');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dnn-cli-test-'));
const file = (name: string) => path.join(tmp, name);

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

// Runs each argument list through cli.ts's run() in turn, capturing what each writes to stdout and stderr and the
// exit code it returns; prints them as JSON at the end.
const RUNNER = `
const { run } = require(${JSON.stringify(CLI)});
(async () => {
  const results = [];
  const realStdout = process.stdout.write, realStderr = process.stderr.write;
  for (const args of JSON.parse(process.env.DNN_CLI_RUNS)) {
    let stdout = '', stderr = '', status = null;
    process.stdout.write = (chunk) => ((stdout += String(chunk)), true);
    process.stderr.write = (chunk) => ((stderr += String(chunk)), true);
    try {
      status = await run(args);
    } catch (error) {
      stderr += 'uncaught: ' + (error && error.stack || error);
    } finally {
      process.stdout.write = realStdout;
      process.stderr.write = realStderr;
    }
    results.push({ status, stdout, stderr });
  }
  process.stdout.write(JSON.stringify(results));
})();
`;

/** Runs the invocations in order in one child process; resolves with each one's result. */
function cliScenario(...invocations: string[][]): Promise<Run[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', RUNNER], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, DNN_CLI_RUNS: JSON.stringify(invocations) },
    });
    let stdout = '',
      stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (status) => {
      try {
        const runs = JSON.parse(stdout) as Run[];
        assert.is(runs.length, invocations.length);
        resolve(runs);
      } catch {
        reject(new Error(`the CLI runner failed (exit ${status}):\n${stderr}\n${stdout.slice(0, 2000)}`));
      }
    });
  });
}

/** Asserts a clean user error: a non-zero exit, one line on stderr (no stack trace) that contains every `parts`. */
function assertFails(result: Run, ...parts: string[]): void {
  assert.ok(
    result.status !== 0 && result.status !== null,
    `exit code ${result.status}, expected a failure; stderr: ${result.stderr}; stdout: ${result.stdout.slice(0, 300)}`,
  );
  const lines = result.stderr.trimEnd().split('\n');
  assert.is(lines.length, 1, `one line on stderr, got:\n${result.stderr}`);
  assert.not.match(lines[0], /\n\s+at /);
  for (const part of parts) assert.ok(lines[0].includes(part), `"${lines[0]}" should mention ${JSON.stringify(part)}`);
}

function assertSucceeds(result: Run): void {
  assert.is(result.status, 0, result.stderr);
}

// A learnable rule on 3 features: label 1 when x1 + x2 - 0.5·x3 > 0.
const M = 400;
function writeRuleCsv(target: string, rows = M): void {
  const X = new RandomState(5).randn(3, rows);
  const lines = ['x1,x2,x3,label'];
  for (let j = 0; j < rows; j++) {
    const [a, b, c] = [X.get(0, j), X.get(1, j), X.get(2, j)];
    lines.push(`${a.toFixed(5)},${b.toFixed(5)},${c.toFixed(5)},${a + b - 0.5 * c > 0 ? 1 : 0}`);
  }
  fs.writeFileSync(target, `${lines.join('\n')}\n`);
}

// Three classes on 2 features: 2 when x1 > 0.5, else 1 when x2 > 0, else 0.
const M3 = 300;
function writeThreeClassCsv(target: string): void {
  const X = new RandomState(8).randn(2, M3);
  const lines = ['a,b,class'];
  for (let j = 0; j < M3; j++) {
    const [a, b] = [X.get(0, j), X.get(1, j)];
    lines.push(`${a.toFixed(5)},${b.toFixed(5)},${a > 0.5 ? 2 : b > 0 ? 1 : 0}`);
  }
  fs.writeFileSync(target, `${lines.join('\n')}\n`);
}

// IDX: 300 "images" of 4 x 4 bytes, label 1 when the left half is brighter than the right half.
const IDX_M = 300;
function writeIdxPair(images: string, labels: string, labelOf?: (j: number, brighterLeft: boolean) => number): void {
  const noise = new RandomState(9).rand(16, IDX_M);
  const bytes = new Uint8Array(16 * IDX_M),
    y = new Uint8Array(IDX_M);
  for (let j = 0; j < IDX_M; j++) {
    let balance = 0;
    for (let p = 0; p < 16; p++) {
      const v = Math.floor(noise.get(p, j) * 256);
      bytes[j * 16 + p] = v;
      balance += p % 4 < 2 ? v : -v;
    }
    y[j] = labelOf ? labelOf(j, balance > 0) : balance > 0 ? 1 : 0;
  }
  writeIdx(images, [IDX_M, 4, 4], bytes);
  writeIdx(labels, [IDX_M], y);
}

writeRuleCsv(file('rule.csv'));
writeThreeClassCsv(file('three.csv'));
writeIdxPair(file('images.idx'), file('labels.idx'));

/** "accuracy 99.75% (1,399 of 1,400 correct)" -> 1399 */
function correctCount(stdout: string): number {
  const match = /accuracy [\d.]+% \(([\d,]+) of ([\d,]+) correct\)/.exec(stdout);
  assert.ok(match, `no accuracy line in:\n${stdout}`);
  return Number(match![1].replace(/,/g, ''));
}

test('binary CSV: train (one line per epoch, same seed same file), evaluate and predict agree with the Model API', async () => {
  const trainArgs = [
    'train',
    '--data',
    file('rule.csv'),
    '--layers',
    '3,8,1',
    '--epochs',
    '25',
    '--batch-size',
    '32',
    '--learning-rate',
    '0.01',
    '--seed',
    '3',
    '--no-early-stopping',
  ];
  const [trained, again, evaluated, predicted] = await cliScenario(
    [...trainArgs, '--output', file('rule.dnn'), '--plot', file('rule.svg')],
    [...trainArgs, '--output', file('rule-again.dnn')],
    // the label column by its number, counting from 1 as the error messages do (4 is the last of 4 columns)
    ['evaluate', '--model', file('rule.dnn'), '--data', file('rule.csv'), '--label-column', '4'],
    [
      'predict',
      '--model',
      file('rule.dnn'),
      '--data',
      file('rule.csv'),
      '--label-column',
      'label',
      '--output',
      file('predictions.csv'),
    ],
  );
  assertSucceeds(trained);
  const model = Model.load(file('rule.dnn'));
  assert.equal([...model.layerDims], [3, 8, 1]);
  assert.is(model.dtype, 'float64'); // the options table's default, as in the API
  assert.is(model.seed, 3);
  // a CSV trains with the estimators' defaults (scikit-learn's MLP): Adam, L2 1e-4, standardised inputs
  const { output, optimizer, hiddenActivations, l2, keepProb } = model.config;
  assert.equal(
    { output, optimizer, hiddenActivations, l2, keepProb },
    { output: 'sigmoid', optimizer: 'adam', hiddenActivations: ['relu'], l2: 1e-4, keepProb: [1] },
  );
  assert.is(model.metadata.inputScaling?.kind, 'standardize');
  assert.equal(model.metadata.classes, [0, 1]);
  const epochLines = trained.stdout.split('\n').filter((line) => /^epoch +\d+\/25 +cost [\d.]+/.test(line));
  assert.is(epochLines.length, 25);
  const costs = epochLines.map((line) => Number(/cost ([\d.]+)/.exec(line)![1]));
  assert.ok(costs[24] < costs[0] / 3, `the cost should fall: ${costs[0]} -> ${costs[24]}`);
  assert.not.match(
    trained.stdout + trained.stderr,
    /[\x1b\r]/,
    'no progress bar or escape codes when the output is not a terminal',
  );
  const { X, Y } = loadCsv(file('rule.csv'));
  const expected = model.evaluate(X, Y);
  assert.ok(expected.accuracy > 0.95, `a learnable rule: train accuracy ${expected.accuracy}`);
  assert.match(
    trained.stdout,
    `train accuracy ${(expected.accuracy * 100).toFixed(2)}% (${Math.round(expected.accuracy * M)} of ${M} correct)`,
  );
  assert.match(fs.readFileSync(file('rule.svg'), 'utf8'), '<svg');

  assertSucceeds(again);
  assert.ok(
    fs.readFileSync(file('rule-again.dnn')).equals(fs.readFileSync(file('rule.dnn'))),
    'same seed, same model file',
  );

  assertSucceeds(evaluated);
  assert.is(correctCount(evaluated.stdout), Math.round(expected.accuracy * M));
  assertClose(Number(/cost ([\d.]+)/.exec(evaluated.stdout)![1]), expected.cost, 0, 'cost', 5e-7); // printed with 6 decimals

  assertSucceeds(predicted);
  const rows = fs.readFileSync(file('predictions.csv'), 'utf8').trimEnd().split('\n');
  assert.is(rows[0], 'prediction,probability');
  assert.is(rows.length, M + 1);
  const predictions = model.predict(X).data,
    probabilities = model.predictProba(X).data;
  rows.slice(1).forEach((row, j) => {
    const [prediction, probability] = row.split(',').map(Number);
    assert.is(prediction, predictions[j], `row ${j + 1}`);
    // the probability of the predicted label
    const expected = prediction === 1 ? probabilities[j] : 1 - probabilities[j];
    assertClose(probability, expected, 1e-7, `probability of row ${j + 1}`);
  });
});

test('IDX pair: train (full batch when the batch is the whole set), evaluate and predict', async () => {
  const [trained, evaluated, predicted] = await cliScenario(
    [
      'train',
      '--data',
      file('images.idx'),
      '--labels',
      file('labels.idx'),
      '--output',
      file('idx.dnn'),
      '--layers',
      '16,8,1',
      '--epochs',
      '200',
      '--batch-size',
      '1000',
      '--learning-rate',
      '0.5',
      '--dtype',
      'float64',
    ],
    ['evaluate', '--model', file('idx.dnn'), '--data', file('images.idx'), '--labels', file('labels.idx')],
    ['predict', '--model', file('idx.dnn'), '--data', file('images.idx'), '--limit', '50'],
  );
  assertSucceeds(trained);
  assert.match(trained.stdout, 'full batch');
  assert.is(trained.stdout.split('\n').filter((line) => /^iteration +\d+ +cost/.test(line)).length, 11); // every 20 steps and the last
  const model = Model.load(file('idx.dnn'));
  assert.is(model.dtype, 'float64');
  const X = readIdxImages(file('images.idx'), { dtype: 'float64' });
  const expected = model.evaluate(X, new Matrix(1, IDX_M, Float64Array.from(readIdxLabels(file('labels.idx')))));
  assert.ok(expected.accuracy > 0.8, `IDX train accuracy ${expected.accuracy}`);

  assertSucceeds(evaluated);
  assert.is(correctCount(evaluated.stdout), Math.round(expected.accuracy * IDX_M));

  assertSucceeds(predicted);
  const rows = predicted.stdout.trimEnd().split('\n').slice(1);
  assert.is(rows.length, 50);
  const predictions = model.predict(X).data;
  rows.forEach((row, j) => assert.is(Number(row.split(',')[0]), predictions[j], `row ${j + 1}`));
});

test('softmax: 3 classes from a CSV; every new flag reaches the model; evaluate and predict agree with the Model API; MNIST --task digits', async () => {
  const settings = [
    '--layers',
    '2,16,8,3',
    '--hidden-activation',
    'tanh,leakyRelu',
    '--optimizer',
    'adam',
    '--learning-rate',
    '0.02',
    '--beta1',
    '0.85',
    '--beta2',
    '0.99',
    '--epsilon',
    '1e-7',
    '--l2',
    '0.01',
    '--keep-prob',
    '0.9,0.95',
    '--decay-rate',
    '0.2',
    '--decay-every',
    '5',
    '--epochs',
    '30',
    '--batch-size',
    '32',
    '--seed',
    '4',
    '--dtype',
    'float64',
    '--threads',
    '1',
    // the raw features and every row, so the Model API twin below trains on the same numbers
    '--scaling',
    'none',
    '--no-early-stopping',
  ];
  const [trained, evaluated, predicted, digits] = await cliScenario(
    [
      'train',
      '--data',
      file('three.csv'),
      '--output-activation',
      'softmax',
      '--output',
      file('three.dnn'),
      ...settings,
    ],
    ['evaluate', '--model', file('three.dnn'), '--data', file('three.csv')],
    [
      'predict',
      '--model',
      file('three.dnn'),
      '--data',
      file('three.csv'),
      '--label-column',
      'class',
      '--all-probabilities',
    ],
    [
      'train',
      '--data',
      'mnist',
      '--task',
      'digits',
      '--limit',
      '1000',
      '--layers',
      '784,32,10',
      '--optimizer',
      'adam',
      '--epochs',
      '3',
      '--batch-size',
      '100',
      '--output',
      file('digits.dnn'),
    ],
  );
  assertSucceeds(trained);
  assert.match(trained.stdout, 'labels: 3 classes (0, 1, 2)');
  assert.match(
    trained.stdout,
    /^training: 30 epochs of 10 batches of 32, adam \(beta1 0\.85, beta2 0\.99, epsilon 1e-7\), learning rate 0\.02 \/ \(1 \+ 0\.2·floor\(epoch \/ 5\)\), L2 0\.01, dropout keep 0\.9,0\.95; 1 OpenBLAS thread$/m,
  );
  const model = Model.load(file('three.dnn'));
  const { layerDims, output, hiddenActivations, optimizer, beta1, beta2, epsilon, l2, keepProb, seed, dtype } =
    model.config;
  assert.equal(
    { layerDims, output, hiddenActivations, optimizer, beta1, beta2, epsilon, l2, keepProb, seed, dtype },
    {
      layerDims: [2, 16, 8, 3],
      output: 'softmax',
      hiddenActivations: ['tanh', 'leakyRelu'],
      optimizer: 'adam',
      beta1: 0.85,
      beta2: 0.99,
      epsilon: 1e-7,
      l2: 0.01,
      keepProb: [0.9, 0.95],
      seed: 4,
      dtype: 'float64',
    },
  );
  // The Model API with the same settings trains the same parameters: the fit options (learning rate, its decay, batch
  // size, epochs, seed) reached fit too.
  const { X, Y } = loadCsv(file('three.csv'), { labels: 'any' });
  const twin = new Model({
    layerDims,
    output,
    hiddenActivation: hiddenActivations,
    optimizer,
    beta1,
    beta2,
    epsilon,
    l2,
    keepProb,
    seed,
    dtype,
    init: 'glorot', // the estimators' default
  });
  twin.fit(X, Y.data, { learningRate: 0.02, decayRate: 0.2, decayEvery: 5, epochs: 30, batchSize: 32, seed: 4 });
  const flat = model.flatParameters;
  twin.flatParameters.forEach((value, i) => assertClose(flat[i], value, 1e-12, `parameter ${i}`));
  const expected = model.evaluate(X, Y.data);
  assert.ok(expected.accuracy > 0.9, `3 learnable classes: train accuracy ${expected.accuracy}`);
  assert.match(
    trained.stdout,
    `train accuracy ${(expected.accuracy * 100).toFixed(2)}% (${Math.round(expected.accuracy * M3)} of ${M3} correct)`,
  );

  assertSucceeds(evaluated);
  assert.is(correctCount(evaluated.stdout), Math.round(expected.accuracy * M3));
  assertClose(Number(/cost ([\d.]+)/.exec(evaluated.stdout)![1]), expected.cost, 0, 'cost', 5e-7); // printed with 6 decimals
  assert.match(
    evaluated.stdout,
    /^accuracy per class: 0: [\d.]+% \(of \d+\) {2}1: [\d.]+% \(of \d+\) {2}2: [\d.]+% \(of \d+\)$/m,
  );

  assertSucceeds(predicted);
  const rows = predicted.stdout.trimEnd().split('\n');
  assert.is(rows[0], 'prediction,probability,p0,p1,p2');
  assert.is(rows.length, M3 + 1);
  const classes = model.predict(X).data,
    probabilities = model.predictProba(X).data;
  rows.slice(1).forEach((row, j) => {
    const [prediction, probability, ...all] = row.split(',').map(Number);
    assert.is(prediction, classes[j], `class of row ${j + 1}`);
    assertClose(probability, probabilities[j * 3 + prediction], 1e-8, `probability of row ${j + 1}`);
    all.forEach((p, k) => assertClose(p, probabilities[j * 3 + k], 1e-8, `p${k} of row ${j + 1}`));
  });

  // --task digits makes a softmax model over the 10 digits, and the test accuracy printed is Model.evaluate's
  assertSucceeds(digits);
  const digitModel = Model.load(file('digits.dnn'));
  assert.is(digitModel.output, 'softmax');
  assert.is(digitModel.outputSize, 10);
  const mnistTest = loadMnist({ split: 'test', dtype: digitModel.dtype });
  const tested = digitModel.evaluate(mnistTest.X, mnistTest.labels);
  assert.ok(tested.accuracy > 0.6, `1,000 images, 3 epochs: test accuracy ${tested.accuracy}`);
  assert.match(
    digits.stdout,
    `test accuracy ${(tested.accuracy * 100).toFixed(2)}% (${Math.round(tested.accuracy * 10000).toLocaleString('en-US')} of 10,000 MNIST test images)`,
  );
});

test('errors: missing files, bad CSV rows, labels that do not fit the output, shapes that do not fit the model, bad settings', async () => {
  fs.writeFileSync(file('bad-cell.csv'), 'a,b,label\n1,2,0\n3,oops,1\n');
  fs.writeFileSync(file('ragged.csv'), 'a,b,label\n1,2,0\n3,1\n');
  fs.writeFileSync(file('label-two.csv'), 'a,b,label\n1,2,0\n3,4,2\n');
  fs.writeFileSync(file('fractional-class.csv'), 'a,b,label\n1,2,0\n3,4,2.5\n');
  fs.writeFileSync(file('class-five.csv'), 'a,b,label\n1,2,0\n3,4,5\n');
  writeIdxPair(file('digits.idx'), file('digit-labels.idx'), (j) => j % 10);
  const trainRule = ['train', '--data', file('rule.csv'), '--output', file('x.dnn')];
  const trainThree = [
    'train',
    '--data',
    file('three.csv'),
    '--output',
    file('x.dnn'),
    '--output-activation',
    'softmax',
  ];
  const cases: { args: string[]; parts: string[] }[] = [
    {
      args: ['train', '--data', file('missing.csv'), '--output', file('x.dnn')],
      parts: ['not found', file('missing.csv')],
    },
    {
      args: ['evaluate', '--model', file('missing.dnn'), '--data', file('rule.csv')],
      parts: ['no such model file', file('missing.dnn')],
    },
    {
      args: ['train', '--data', file('bad-cell.csv'), '--output', file('x.dnn')],
      parts: [file('bad-cell.csv'), 'line 3', '"oops" is not a number'],
    },
    {
      args: ['train', '--data', file('ragged.csv'), '--output', file('x.dnn')],
      parts: ['line 3', '2 columns, expected 3'],
    },
    {
      args: [...trainThree.slice(0, 5), '--output-activation', 'sigmoid'],
      parts: ['--output-activation sigmoid is for two classes', file('three.csv'), '3'],
    },
    {
      args: ['train', '--data', file('label-two.csv'), '--output', file('x.dnn'), '--validation-split', '0.5'],
      parts: ['leaves no examples to validate on', '--no-early-stopping'],
    },
    {
      args: ['train', '--data', file('digits.idx'), '--labels', file('digit-labels.idx'), '--output', file('x.dnn')],
      parts: [file('digit-labels.idx'), 'is not 0 or 1', '--task', '--output-activation softmax'],
    },
    { args: ['train', '--data', file('images.idx'), '--output', file('x.dnn')], parts: ['--labels'] },
    {
      args: ['evaluate', '--model', file('idx.dnn'), '--data', file('rule.csv')],
      parts: ['takes 16 features', 'has 3 feature columns'],
    },
    {
      args: ['predict', '--model', file('rule.dnn'), '--data', file('rule.csv')],
      parts: ['takes 3 features', 'has 4 columns', '--label-column'],
    },
    { args: [...trainRule, '--layers', '5,4,1'], parts: ['--layers 5,4,1 does not fit', '3,4,1'] },
    { args: [...trainRule, '--epochs', 'many'], parts: ['--epochs', 'many'] },
    { args: ['train', '--data', file('rule.csv')], parts: ['--output'] },
    // the new settings: checked before the data is read, named by their flags
    { args: [...trainRule, '--keep-prob', '0'], parts: ['--keep-prob must be in (0, 1], got 0'] },
    {
      args: [...trainRule, '--keep-prob', '0.9,0.8,0.7'],
      parts: ['--keep-prob has 3 entries', 'one per hidden layer (1)'],
    },
    {
      args: [...trainRule, '--layers', '3,8,4,1', '--keep-prob', '1,0'],
      parts: ['--keep-prob (entry 2) must be in (0, 1], got 0'],
    },
    { args: [...trainRule, '--optimizer', 'sgd'], parts: ['--optimizer', "'sgd'", 'gd, momentum, adam'] },
    { args: [...trainRule, '--hidden-activation', 'swish'], parts: ['--hidden-activation', '"swish"', 'leakyRelu'] },
    {
      args: [...trainRule, '--hidden-activation', 'relu,tanh,relu'],
      parts: ['--hidden-activation has 3 entries', 'one per hidden layer (1)'],
    },
    {
      args: [...trainRule, '--output-activation', 'relu'],
      parts: ['--output-activation', "'relu'", 'sigmoid, softmax'],
    },
    { args: [...trainRule, '--beta1', '1'], parts: ['--beta1 must be in [0, 1), got 1'] },
    { args: [...trainRule, '--beta2', 'high'], parts: ['--beta2', "'high'", 'expected a number'] },
    { args: [...trainRule, '--epsilon', '0'], parts: ['--epsilon must be in (0, 1], got 0'] },
    { args: [...trainRule, '--l2', '-0.5'], parts: ['--l2 must be a finite number >= 0, got -0.5'] },
    { args: [...trainRule, '--decay-rate', '-1'], parts: ['--decay-rate must be a finite number >= 0, got -1'] },
    { args: [...trainRule, '--decay-every', '0'], parts: ['--decay-every must be a positive integer', 'got 0'] },
    { args: [...trainRule, '--threads', '0'], parts: ['--threads must be an integer from 1 to 1024, got 0'] },
    // softmax labels and outputs
    {
      args: [...trainThree, '--layers', '2,8,1'],
      parts: ['--layers 2,8,1 does not fit', '2,8,3'],
    },
    { args: [...trainThree, '--layers', '2,8,2'], parts: ['--layers 2,8,2 does not fit', '2,8,3'] },
    {
      args: [
        'train',
        '--data',
        file('fractional-class.csv'),
        '--output',
        file('x.dnn'),
        '--output-activation',
        'softmax',
      ],
      parts: ['--output-activation softmax is for classification', 'a regressor has a linear output'],
    },
    {
      args: [
        'train',
        '--data',
        'mnist',
        '--task',
        'digits',
        '--output-activation',
        'sigmoid',
        '--output',
        file('x.dnn'),
      ],
      parts: ['--task digits has 10 classes', 'softmax'],
    },
    {
      args: ['evaluate', '--model', file('three.dnn'), '--data', file('class-five.csv')],
      parts: [file('class-five.csv'), "is 5, not one of the model's classes (0, 1, 2)"],
    },
  ];
  const runs = await cliScenario(...cases.map((c) => c.args));
  runs.forEach((run, k) => assertFails(run, ...cases[k].parts));
  // the library's hint (loadCsv's labels option) is not shown on the command line
  assert.not.match(runs[4].stderr, "labels: 'any'");
  assert.not.ok(fs.existsSync(file('x.dnn')), 'no model file is written by a failed run');
});

test('--help explains every option, with its default', async () => {
  const [train, predict, evaluate, top] = await cliScenario(
    ['train', '--help'],
    ['predict', '--help'],
    ['help', 'evaluate'],
    ['--help'],
  );
  const lists = (help: Run, option: string) => new RegExp(`^\\s+(-\\w, )?${option} `, 'm').test(help.stdout);
  for (const run of [train, predict, evaluate, top]) assertSucceeds(run);
  for (const option of [
    '--data',
    '--labels',
    '--label-column',
    '--task',
    '--limit',
    '--output',
    '--layers',
    '--output-activation',
    '--hidden-activation',
    '--optimizer',
    '--learning-rate',
    '--decay-rate',
    '--decay-every',
    '--beta1',
    '--beta2',
    '--epsilon',
    '--l2',
    '--keep-prob',
    '--epochs',
    '--batch-size',
    '--dtype',
    '--init',
    '--seed',
    '--threads',
    '--plot',
    '--help',
  ])
    assert.ok(lists(train, option), `train --help lists ${option}`);
  const flat = train.stdout.replace(/\s+/g, ' '); // commander wraps long descriptions
  for (const fallback of [
    'default: sigmoid, or softmax with --task digits',
    '(default: relu)',
    '(default: gd)',
    'default: 0.0075 for gd and momentum, 0.001 for adam',
    '(default: 0.9)',
    '(default: 0.999)',
    '(default: 1e-8)',
    'none (default: 0)',
    '1 is none (default: 1)',
    '(default: 10 with mini-batches)',
    '(default: the full batch)',
    '(default: 3000 with a full batch)',
    '(default: float64)',
    '(default: lecun)',
    'default: random; the command prints it',
    "default: OpenBLAS's own, one per core",
  ])
    assert.ok(flat.includes(fallback), `train --help shows ${fallback}`);
  for (const option of ['--model', '--data', '--label-column', '--limit', '--all-probabilities', '--output'])
    assert.ok(lists(predict, option), `predict --help lists ${option}`);
  for (const option of ['--model', '--data', '--labels', '--label-column', '--task', '--limit'])
    assert.ok(lists(evaluate, option), `evaluate --help lists ${option}`);
  for (const command of ['train', 'predict', 'evaluate']) assert.match(top.stdout, new RegExp(`^\\s+${command} `, 'm'));
});

test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
test.run();
