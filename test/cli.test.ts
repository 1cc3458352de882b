// The dnn-native command line, run as a user runs it (a child process on small files): train, evaluate and predict
// agree with the Model API on the same data; every user error exits non-zero with one line naming the problem.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Matrix, Model, RandomState, loadCsv, readIdxImages, readIdxLabels, writeIdx } from '../lib/index';
import { assertClose } from './helpers';

const CLI = path.join(__dirname, '..', 'lib', 'cli.ts');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dnn-cli-test-'));
const file = (name: string) => path.join(tmp, name);

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function cli(...args: string[]): Run {
  const result = spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs independent invocations a few at a time (each one's start-up, mostly tsx, dominates these runs). */
async function cliAll(invocations: string[][], concurrency = 4): Promise<Run[]> {
  const results: Run[] = new Array(invocations.length);
  let next = 0;
  const worker = async () => {
    while (next < invocations.length) {
      const index = next++;
      results[index] = await new Promise<Run>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...invocations[index]], { stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '', stderr = '';
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
        child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
        child.on('error', reject);
        child.on('close', (status) => resolve({ status, stdout, stderr }));
      });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return results;
}

/** Asserts a clean user error: a non-zero exit, one line on stderr (no stack trace) that contains every `parts`. */
function assertFails(result: Run, ...parts: string[]): void {
  assert.ok(result.status !== 0 && result.status !== null, `exit code ${result.status}, expected a failure; stderr: ${result.stderr}`);
  const lines = result.stderr.trimEnd().split('\n');
  assert.is(lines.length, 1, `one line on stderr, got:\n${result.stderr}`);
  assert.not.match(lines[0], /\n\s+at /);
  for (const part of parts) assert.ok(lines[0].includes(part), `"${lines[0]}" should mention ${JSON.stringify(part)}`);
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

// IDX: 300 "images" of 4 x 4 bytes, label 1 when the left half is brighter than the right half.
const IDX_M = 300;
function writeIdxPair(images: string, labels: string, labelOf?: (j: number, brighterLeft: boolean) => number): void {
  const noise = new RandomState(9).rand(16, IDX_M);
  const bytes = new Uint8Array(16 * IDX_M), y = new Uint8Array(IDX_M);
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
writeIdxPair(file('images.idx'), file('labels.idx'));

/** "accuracy 99.75% (1,399 of 1,400 correct)" -> 1399 */
function correctCount(stdout: string): number {
  const match = /accuracy [\d.]+% \(([\d,]+) of ([\d,]+) correct\)/.exec(stdout);
  assert.ok(match, `no accuracy line in:\n${stdout}`);
  return Number(match![1].replace(/,/g, ''));
}

test('train on a CSV file: a model file that Model.load reads, one line per epoch, no terminal codes in a pipe', () => {
  const run = cli('train', '--data', file('rule.csv'), '--output', file('rule.dnn'), '--layers', '3,8,1', '--epochs', '25',
    '--batch-size', '32', '--learning-rate', '0.5', '--seed', '3', '--plot', file('rule.svg'));
  assert.is(run.status, 0, run.stderr);
  const model = Model.load(file('rule.dnn'));
  assert.equal([...model.layerDims], [3, 8, 1]);
  assert.is(model.dtype, 'float32');
  assert.is(model.seed, 3);
  const epochLines = run.stdout.split('\n').filter((line) => /^epoch +\d+\/25 +cost [\d.]+/.test(line));
  assert.is(epochLines.length, 25);
  const costs = epochLines.map((line) => Number(/cost ([\d.]+)/.exec(line)![1]));
  assert.ok(costs[24] < costs[0] / 3, `the cost should fall: ${costs[0]} -> ${costs[24]}`);
  assert.not.match(run.stdout + run.stderr, /[\x1b\r]/, 'no progress bar or escape codes when the output is not a terminal');
  // the printed train accuracy is the model's on the same data
  const { X, Y } = loadCsv(file('rule.csv'), { dtype: 'float32' });
  const { accuracy } = model.evaluate(X, Y);
  assert.ok(accuracy > 0.95, `a learnable rule: train accuracy ${accuracy}`);
  assert.match(run.stdout, `train accuracy ${(accuracy * 100).toFixed(2)}% (${Math.round(accuracy * M)} of ${M} correct)`);
  assert.match(fs.readFileSync(file('rule.svg'), 'utf8'), '<svg');

  // the same seed trains the same model, byte for byte
  const again = cli('train', '--data', file('rule.csv'), '--output', file('rule-again.dnn'), '--layers', '3,8,1', '--epochs', '25',
    '--batch-size', '32', '--learning-rate', '0.5', '--seed', '3');
  assert.is(again.status, 0, again.stderr);
  assert.ok(fs.readFileSync(file('rule-again.dnn')).equals(fs.readFileSync(file('rule.dnn'))), 'same seed, same model file');
});

test('evaluate prints the cost and accuracy of Model.evaluate', () => {
  // the label column by its number, counting from 1 as the error messages do (4 is the last of 4 columns)
  const run = cli('evaluate', '--model', file('rule.dnn'), '--data', file('rule.csv'), '--label-column', '4');
  assert.is(run.status, 0, run.stderr);
  const { X, Y } = loadCsv(file('rule.csv'), { dtype: 'float32' });
  const expected = Model.load(file('rule.dnn')).evaluate(X, Y);
  assert.is(correctCount(run.stdout), Math.round(expected.accuracy * M));
  assertClose(Number(/cost ([\d.]+)/.exec(run.stdout)![1]), expected.cost, 1e-6, 'cost');
});

test('predict writes one row per example, matching model.predict and model.predictProba', () => {
  const run = cli('predict', '--model', file('rule.dnn'), '--data', file('rule.csv'), '--label-column', 'label', '--output', file('predictions.csv'));
  assert.is(run.status, 0, run.stderr);
  const rows = fs.readFileSync(file('predictions.csv'), 'utf8').trimEnd().split('\n');
  assert.is(rows[0], 'prediction,probability');
  assert.is(rows.length, M + 1);
  const model = Model.load(file('rule.dnn'));
  const { X } = loadCsv(file('rule.csv'), { dtype: 'float32' });
  const predictions = model.predict(X).data, probabilities = model.predictProba(X).data;
  rows.slice(1).forEach((row, j) => {
    const [prediction, probability] = row.split(',').map(Number);
    assert.is(prediction, predictions[j], `row ${j + 1}`);
    assertClose(probability, probabilities[j], 1e-7, `probability of row ${j + 1}`);
  });
});

test('train, evaluate and predict on an IDX pair (full batch when the batch is the whole set)', () => {
  const run = cli('train', '--data', file('images.idx'), '--labels', file('labels.idx'), '--output', file('idx.dnn'),
    '--layers', '16,8,1', '--epochs', '200', '--batch-size', '1000', '--learning-rate', '0.5', '--dtype', 'float64');
  assert.is(run.status, 0, run.stderr);
  assert.match(run.stdout, 'full batch');
  assert.is(run.stdout.split('\n').filter((line) => /^iteration +\d+ +cost/.test(line)).length, 11); // every 20 steps and the last
  const model = Model.load(file('idx.dnn'));
  assert.is(model.dtype, 'float64');
  const X = readIdxImages(file('images.idx'), { dtype: 'float64' });
  const expected = model.evaluate(X, new Matrix(1, IDX_M, Float64Array.from(readIdxLabels(file('labels.idx')))));
  assert.ok(expected.accuracy > 0.8, `IDX train accuracy ${expected.accuracy}`);

  const evaluated = cli('evaluate', '--model', file('idx.dnn'), '--data', file('images.idx'), '--labels', file('labels.idx'));
  assert.is(evaluated.status, 0, evaluated.stderr);
  assert.is(correctCount(evaluated.stdout), Math.round(expected.accuracy * IDX_M));

  const predicted = cli('predict', '--model', file('idx.dnn'), '--data', file('images.idx'), '--limit', '50');
  assert.is(predicted.status, 0, predicted.stderr);
  const rows = predicted.stdout.trimEnd().split('\n').slice(1);
  assert.is(rows.length, 50);
  const predictions = model.predict(X).data;
  rows.forEach((row, j) => assert.is(Number(row.split(',')[0]), predictions[j], `row ${j + 1}`));
});

test('errors: missing files, bad CSV rows, labels other than 0/1, shapes that do not match the model', async () => {
  fs.writeFileSync(file('bad-cell.csv'), 'a,b,label\n1,2,0\n3,oops,1\n');
  fs.writeFileSync(file('ragged.csv'), 'a,b,label\n1,2,0\n3,1\n');
  fs.writeFileSync(file('label-two.csv'), 'a,b,label\n1,2,0\n3,4,2\n');
  writeIdxPair(file('digits.idx'), file('digit-labels.idx'), (j) => j % 10);
  const cases: { args: string[]; parts: string[] }[] = [
    { args: ['train', '--data', file('missing.csv'), '--output', file('x.dnn')], parts: ['not found', file('missing.csv')] },
    { args: ['evaluate', '--model', file('missing.dnn'), '--data', file('rule.csv')], parts: ['no such model file', file('missing.dnn')] },
    { args: ['train', '--data', file('bad-cell.csv'), '--output', file('x.dnn')], parts: [file('bad-cell.csv'), 'line 3', '"oops" is not a number'] },
    { args: ['train', '--data', file('ragged.csv'), '--output', file('x.dnn')], parts: ['line 3', '2 columns, expected 3'] },
    { args: ['train', '--data', file('label-two.csv'), '--output', file('x.dnn')], parts: ['line 3', 'label 2 is not 0 or 1'] },
    { args: ['train', '--data', file('digits.idx'), '--labels', file('digit-labels.idx'), '--output', file('x.dnn')], parts: [file('digit-labels.idx'), 'is not 0 or 1', '--task'] },
    { args: ['train', '--data', file('images.idx'), '--output', file('x.dnn')], parts: ['--labels'] },
    { args: ['evaluate', '--model', file('idx.dnn'), '--data', file('rule.csv')], parts: ['takes 16 features', 'has 3 feature columns'] },
    { args: ['predict', '--model', file('rule.dnn'), '--data', file('rule.csv')], parts: ['takes 3 features', 'has 4 columns', '--label-column'] },
    { args: ['train', '--data', file('rule.csv'), '--output', file('x.dnn'), '--layers', '5,4,1'], parts: ['--layers starts with 5', 'has 3 feature columns', '3,4,1'] },
    { args: ['train', '--data', file('rule.csv'), '--output', file('x.dnn'), '--epochs', 'many'], parts: ['--epochs', 'many'] },
    { args: ['train', '--data', file('rule.csv')], parts: ['--output'] },
  ];
  const runs = await cliAll(cases.map((c) => c.args));
  runs.forEach((run, k) => assertFails(run, ...cases[k].parts));
  assert.not.ok(fs.existsSync(file('x.dnn')), 'no model file is written by a failed run');
});

test('--help explains every option, with its default', async () => {
  const [train, predict, evaluate, top] = await cliAll([['train', '--help'], ['predict', '--help'], ['help', 'evaluate'], ['--help']]);
  const lists = (help: Run, option: string) => new RegExp(`^\\s+(-\\w, )?${option} `, 'm').test(help.stdout);
  for (const run of [train, predict, evaluate, top]) assert.is(run.status, 0, run.stderr);
  for (const option of ['--data', '--labels', '--label-column', '--task', '--limit', '--output', '--layers', '--learning-rate', '--epochs',
    '--batch-size', '--dtype', '--init', '--seed', '--plot', '--help'])
    assert.ok(lists(train, option), `train --help lists ${option}`);
  const flat = train.stdout.replace(/\s+/g, ' '); // commander wraps long descriptions
  for (const fallback of ['(default: 0.1)', '(default: 10)', '(default: 64)', 'default: "float32"', 'default: "he"', '(default: 1)'])
    assert.ok(flat.includes(fallback), `train --help shows ${fallback}`);
  for (const option of ['--model', '--data', '--label-column', '--limit', '--output']) assert.ok(lists(predict, option), `predict --help lists ${option}`);
  for (const option of ['--model', '--data', '--labels', '--label-column', '--task', '--limit']) assert.ok(lists(evaluate, option), `evaluate --help lists ${option}`);
  for (const command of ['train', 'predict', 'evaluate']) assert.match(top.stdout, new RegExp(`^\\s+${command} `, 'm'));
});

test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
test.run();
