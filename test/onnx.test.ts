// ONNX export: exported models run in onnxruntime-node and give predictProba's probabilities to 1e-5, with the
// preprocessing in the graph; the file's structure (input name, free batch, opset, metadata); argument errors.
// A column-major Matrix (n_x, m) has the same bytes as row-major [m, n_x] rows, so X.data is the ONNX input.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { onnx } from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  type HiddenActivation,
  Matrix,
  Model,
  type ModelOptions,
  modelToOnnx,
  type OnnxExtras,
  RandomState,
  saveOnnx,
} from '../lib/index';
import { assertArrayClose } from './support/helpers';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dnn-onnx-test-'));
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Gaussian features (n, m) and labels from a fixed rule: class = which of `classes` bands a linear score is in. */
function dataset(n: number, m: number, classes: number, seed: number) {
  const X = new RandomState(seed).randn(n, m);
  const labels = new Array<number>(m);
  for (let j = 0; j < m; j++) {
    let score = 0;
    for (let i = 0; i < n; i++) score += X.get(i, j) * (i % 2 === 0 ? 1 : -0.7);
    labels[j] =
      classes === 2 ? (score > 0 ? 1 : 0) : Math.min(classes - 1, Math.max(0, Math.floor(score + classes / 2)));
  }
  return { X, labels };
}

/** A model trained a little (so weights and biases are no longer their initial values). */
function trained(options: ModelOptions, seed: number): { model: Model; X: Matrix } {
  const model = new Model({ seed, ...options });
  const dims = options.layerDims;
  const nL = dims[dims.length - 1];
  const softmax = options.output === 'softmax';
  const { X: X64, labels } = dataset(dims[0], 64, softmax ? nL : 2, seed + 1);
  const X = X64.astype(model.dtype);
  const Y = softmax ? labels : Matrix.zeros(nL, labels.length, model.dtype);
  if (Y instanceof Matrix) labels.forEach((k, j) => Y.set(j % nL, j, k)); // several sigmoid units: one label each
  model.fit(X, Y, { iterations: 60, learningRate: 0.5 });
  return { model, X };
}

async function runOnnx(bytes: Uint8Array, X: Matrix, inputName = 'features'): Promise<ort.Tensor> {
  const session = await ort.InferenceSession.create(bytes);
  const input = new ort.Tensor('float32', Float32Array.from(X.data), [X.cols, X.rows]);
  const results = await session.run({ [inputName]: input });
  return results[session.outputNames[0]];
}

/** predictProba (n_L, m) column-major equals ONNX's [m, n_L] row-major element for element. */
async function assertMatchesPredictProba(model: Model, X: Matrix, extras?: OnnxExtras, scaledX = X): Promise<void> {
  const expected = model.predictProba(scaledX);
  const output = await runOnnx(modelToOnnx(model, extras), X, extras?.inputName);
  assert.equal(output.dims, [X.cols, model.outputSize]);
  assert.is(output.type, 'float32');
  assertArrayClose(output.data as Float32Array, expected.data, 0, 'probabilities', 1e-5);
  // the comparison means something only when the probabilities spread out
  const p = expected.data;
  assert.ok(Math.max(...p) - Math.min(...p) > 0.2, `probabilities spread from ${Math.min(...p)} to ${Math.max(...p)}`);
}

const shapes: { name: string; options: ModelOptions }[] = [
  { name: 'sigmoid output, relu hidden, float64', options: { layerDims: [5, 8, 4, 1] } },
  { name: 'sigmoid output, no hidden layer', options: { layerDims: [3, 1] } },
  {
    name: 'softmax output, tanh hidden, float32',
    options: { layerDims: [6, 10, 4], output: 'softmax', hiddenActivation: 'tanh', dtype: 'float32' },
  },
  {
    name: 'softmax output, leaky relu then sigmoid hidden',
    options: { layerDims: [4, 7, 5, 3], output: 'softmax', hiddenActivation: ['leakyRelu', 'sigmoid'] },
  },
  {
    name: 'three sigmoid units, leaky relu hidden, float32',
    options: { layerDims: [4, 6, 3], hiddenActivation: 'leakyRelu', dtype: 'float32' },
  },
];

shapes.forEach(({ name, options }, i) => {
  test(`onnxruntime gives predictProba's probabilities: ${name}`, async () => {
    const { model, X } = trained(options, 10 + i);
    await assertMatchesPredictProba(model, X);
  });
});

test('an MNIST-sized float64 network (784-64-32-10, softmax): float32 sums over 784 inputs stay within 1e-5', async () => {
  const model = new Model({ layerDims: [784, 64, 32, 10], output: 'softmax', seed: 21, init: 'he' });
  // pixel-like inputs in [0, 1]; larger weights in the last layer so the probabilities spread out
  const X = new RandomState(22).rand(784, 40);
  const W3 = model.parameters.W3;
  for (let i = 0; i < W3.data.length; i++) W3.data[i] *= 6;
  await assertMatchesPredictProba(model, X);
});

test('leaky relu keeps slope 0.01 for negative inputs (a one-unit hidden layer read through a sigmoid)', async () => {
  const model = new Model({ layerDims: [1, 1, 1], hiddenActivation: 'leakyRelu' as HiddenActivation, seed: 1 });
  // W1 = 1, b1 = 0, W2 = 50, b2 = 0: probability = sigmoid(50 · leaky(x))
  model.setParameters({
    W1: new Matrix(1, 1, Float64Array.of(1)),
    b1: new Matrix(1, 1, Float64Array.of(0)),
    W2: new Matrix(1, 1, Float64Array.of(50)),
    b2: new Matrix(1, 1, Float64Array.of(0)),
  });
  const X = new Matrix(1, 4, Float64Array.of(-2, -0.5, 0.01, 0.03));
  const output = await runOnnx(modelToOnnx(model), X);
  const expected = [-2, -0.5, 0.01, 0.03].map((x) => 1 / (1 + Math.exp(-50 * (x < 0 ? 0.01 * x : x))));
  assertArrayClose(output.data as Float32Array, expected, 0, 'p', 1e-6);
  assertArrayClose(model.predictProba(X).data, expected, 1e-12, 'predictProba');
});

test('inputScaling: the graph standardises raw features as predictProba sees them pre-scaled', async () => {
  const { model, X: scaled } = trained({ layerDims: [4, 6, 3], output: 'softmax', hiddenActivation: 'tanh' }, 3);
  // raw features in the units of a tabular file: large offsets, scales far from 1, one near-constant column
  const offset = Float64Array.of(1200, -3, 0.5, 40);
  const scale = Float64Array.of(350, 0.02, 1, 1e-3);
  // the graph's input is float32, so the raw values are float32 ones (rounding 40.0xx to float32 moves the
  // scaled feature by up to 4e-3: a float32 graph cannot see finer than that, whoever scales)
  const raw = Matrix.zeros(scaled.rows, scaled.cols);
  for (let j = 0; j < scaled.cols; j++)
    for (let i = 0; i < scaled.rows; i++) raw.set(i, j, Math.fround(scaled.get(i, j) * scale[i] + offset[i]));
  // the reference: predictProba on (raw - offset) / scale in float64, as the training side computes it
  const rescaled = Matrix.zeros(raw.rows, raw.cols);
  for (let j = 0; j < raw.cols; j++)
    for (let i = 0; i < raw.rows; i++) rescaled.set(i, j, (raw.get(i, j) - offset[i]) / scale[i]);
  await assertMatchesPredictProba(model, raw, { inputScaling: { offset, scale } }, rescaled);
  // the scaling did something: without it the same raw input gives other probabilities
  const unscaled = await runOnnx(modelToOnnx(model), raw);
  const withScaling = await runOnnx(modelToOnnx(model, { inputScaling: { offset, scale } }), raw);
  assert.ok(Math.abs((unscaled.data as Float32Array)[0] - (withScaling.data as Float32Array)[0]) > 1e-3);
});

test('the batch dimension is free: one session runs batches of 1, 7 and 200', async () => {
  const { model } = trained({ layerDims: [5, 8, 2], output: 'softmax' }, 4);
  const session = await ort.InferenceSession.create(modelToOnnx(model));
  for (const m of [1, 7, 200]) {
    const X = new RandomState(m).randn(5, m);
    const result = await session.run({ features: new ort.Tensor('float32', Float32Array.from(X.data), [m, 5]) });
    assert.equal(result.probabilities.dims, [m, 2]);
    assertArrayClose(result.probabilities.data as Float32Array, model.predictProba(X).data, 0, `m=${m}`, 1e-5);
  }
});

test('the file: input name and free batch, output, float32 initializers, opset, producer, metadata', async () => {
  const { model } = trained({ layerDims: [3, 4, 3], output: 'softmax', dtype: 'float32' }, 5);
  const bytes = modelToOnnx(model, {
    inputName: 'rows',
    featureNames: ['age', 'height', 'weight'],
    classes: ['setosa', 'versicolor', 'virginica'],
  });
  const proto = onnx.ModelProto.decode(bytes);
  const version = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')).version;
  assert.is(proto.producerName, 'dnn-native');
  assert.is(proto.producerVersion, version);
  assert.is(Number(proto.irVersion), 7);
  assert.equal(
    proto.opsetImport.map((o) => [o.domain, Number(o.version)]),
    [['', 13]],
  );
  const graph = proto.graph as onnx.GraphProto;
  assert.equal(
    graph.input.map((v) => v.name),
    ['rows'],
  );
  const dims = (v: onnx.IValueInfoProto) =>
    v.type?.tensorType?.shape?.dim?.map((d) => (d.dimParam ? d.dimParam : Number(d.dimValue)));
  assert.equal(dims(graph.input[0]), ['N', 3]);
  assert.is(graph.input[0].type?.tensorType?.elemType, onnx.TensorProto.DataType.FLOAT);
  assert.equal(
    graph.output.map((v) => v.name),
    ['probabilities'],
  );
  assert.equal(dims(graph.output[0]), ['N', 3]);
  assert.equal(
    graph.node.map((n) => n.opType),
    ['Gemm', 'Relu', 'Gemm', 'Softmax'],
  );
  assert.equal(
    graph.initializer.map((t) => [t.name, (t.dims ?? []).map(Number), t.dataType]),
    [
      ['W1', [4, 3], 1],
      ['b1', [4], 1],
      ['W2', [3, 4], 1],
      ['b2', [3], 1],
    ],
  );
  // W1 row-major: element (i, j) at i * 3 + j; the model stores it column-major at i + j * 4
  const W1 = graph.initializer[0];
  const stored = new Float32Array(Uint8Array.from(W1.rawData ?? []).buffer);
  const params = model.parameters.W1;
  for (let i = 0; i < 4; i++) for (let j = 0; j < 3; j++) assert.is(stored[i * 3 + j], params.get(i, j));
  const metadata = Object.fromEntries(proto.metadataProps.map((p) => [p.key, p.value]));
  assert.equal(JSON.parse(metadata.feature_names), ['age', 'height', 'weight']);
  assert.equal(JSON.parse(metadata.classes), ['setosa', 'versicolor', 'virginica']);
  assert.equal(JSON.parse(metadata.layer_dims), [3, 4, 3]);
  assert.is(metadata.task, 'classification');
  // onnxruntime reads the same names and metadata
  const session = await ort.InferenceSession.create(bytes);
  assert.equal(session.inputNames, ['rows']);
  assert.equal(session.outputNames, ['probabilities']);
});

test('a sigmoid model with two classes takes [negative, positive] labels; numeric labels are kept as numbers', () => {
  const model = new Model({ layerDims: [2, 1], seed: 1 });
  const proto = onnx.ModelProto.decode(modelToOnnx(model, { classes: [0, 1] }));
  assert.is(proto.metadataProps.find((p) => p.key === 'classes')?.value, '[0,1]');
  assert.throws(() => modelToOnnx(model, { classes: ['yes'] }), /extras\.classes has 1 labels, expected 2/);
});

test('the linear output (regression, for when the Model has one): the last Gemm, then y * scale + offset', async () => {
  // A sigmoid model whose config says 'linear' stands in for a regressor: its linear output is logit(p).
  const { model, X } = trained({ layerDims: [4, 6, 1], hiddenActivation: 'tanh' }, 6);
  const p = model.predictProba(X).data;
  Object.defineProperty(model, 'config', { value: { ...model.config, output: 'linear' } });
  const bytes = modelToOnnx(model, { outputScaling: { offset: 250, scale: 40 } });
  const session = await ort.InferenceSession.create(bytes);
  assert.equal(session.outputNames, ['prediction']);
  const result = await session.run({ features: new ort.Tensor('float32', Float32Array.from(X.data), [X.cols, 4]) });
  const expected = Array.from(p, (q) => Math.log(q / (1 - q)) * 40 + 250);
  // float32 near 250: its spacing is 1.5e-5, so the tolerance is relative
  assertArrayClose(result.prediction.data as Float32Array, expected, 1e-6, 'prediction', 1e-4);
  const noScaling = await runOnnx(modelToOnnx(model), X);
  assertArrayClose(
    noScaling.data as Float32Array,
    Array.from(p, (q) => Math.log(q / (1 - q))),
    0,
    'logit',
    1e-4,
  );
  assert.throws(() => modelToOnnx(model, { classes: [0, 1] }), /extras\.classes applies to a classifier/);
});

test('saveOnnx writes the file atomically and onnxruntime loads it from the path', async () => {
  const { model, X } = trained({ layerDims: [3, 5, 1] }, 7);
  const file = path.join(tmp, 'model.onnx');
  saveOnnx(model, file, { featureNames: ['a', 'b', 'c'] });
  assert.ok(fs.readFileSync(file).equals(modelToOnnx(model, { featureNames: ['a', 'b', 'c'] })));
  const session = await ort.InferenceSession.create(file);
  const result = await session.run({ features: new ort.Tensor('float32', Float32Array.from(X.data), [X.cols, 3]) });
  assertArrayClose(result.probabilities.data as Float32Array, model.predictProba(X).data, 0, 'p', 1e-5);
  assert.equal(fs.readdirSync(tmp), ['model.onnx']);
  assert.throws(
    () => saveOnnx(model, ''),
    (e: unknown) => e instanceof TypeError && /file must be/.test(`${e}`),
  );
  // the CLI passes the model file it read: writing the export over it is refused and leaves it as it was
  const modelFile = path.join(tmp, 'm.dnn');
  model.save(modelFile);
  const before = fs.readFileSync(modelFile);
  assert.throws(
    () => saveOnnx(model, modelFile, {}, [modelFile]),
    /refusing to overwrite .*m\.dnn, which this command reads/,
  );
  assert.ok(fs.readFileSync(modelFile).equals(before));
});

test('invalid arguments: a TypeError or RangeError naming the argument', () => {
  const model = new Model({ layerDims: [3, 4, 2], output: 'softmax', seed: 1 });
  const cases: [unknown, unknown, ErrorConstructor, RegExp][] = [
    [null, undefined, TypeError, /^model must be a Model, got null/],
    [{ layerDims: [3, 2], parameters: {} }, undefined, TypeError, /^model must be a Model, got a/],
    [model.parameters, undefined, TypeError, /^model must be a Model/],
    [model, 'rows', TypeError, /^extras must be an object/],
    [model, null, TypeError, /^extras must be an object/],
    [model, { inputname: 'x' }, RangeError, /^extras\.inputname is not an ONNX export option/],
    [model, { inputName: '' }, TypeError, /^extras\.inputName must be a non-empty string/],
    [model, { inputName: 'W1' }, RangeError, /^extras\.inputName "W1" is a name the graph uses inside/],
    [model, { inputName: 'probabilities' }, RangeError, /^extras\.inputName "probabilities"/],
    [model, { inputScaling: [1, 2, 3] }, TypeError, /^extras\.inputScaling\.offset must be/],
    [model, { inputScaling: 'z' }, TypeError, /^extras\.inputScaling must be an object/],
    [
      model,
      { inputScaling: { offset: [0, 0], scale: [1, 1, 1] } },
      RangeError,
      /^extras\.inputScaling\.offset has 2 values, the model takes 3/,
    ],
    [
      model,
      { inputScaling: { offset: [0, 0, 0], scale: new Int32Array(3) } },
      TypeError,
      /^extras\.inputScaling\.scale must be a Float64Array/,
    ],
    [
      model,
      { inputScaling: { offset: [0, 0, 0], scale: [1, 0, 1] } },
      RangeError,
      /^extras\.inputScaling\.scale\[1\] is 0/,
    ],
    [
      model,
      { inputScaling: { offset: [0, 0, 0], scale: [1, 1e-50, 1] } },
      RangeError,
      /^extras\.inputScaling\.scale\[1\] is 1e-50, 0 in float32/,
    ],
    [
      model,
      { inputScaling: { offset: [0, Number.NaN, 0], scale: [1, 1, 1] } },
      RangeError,
      /^extras\.inputScaling\.offset\[1\] is NaN/,
    ],
    [
      model,
      { inputScaling: { offset: [0, '1', 0], scale: [1, 1, 1] } },
      TypeError,
      /^extras\.inputScaling\.offset\[1\] must be a number/,
    ],
    [
      model,
      { inputScaling: { offset: [0, 1e300, 0], scale: [1, 1, 1] } },
      RangeError,
      /^extras\.inputScaling\.offset\[1\] is 1e\+300, not a finite float32/,
    ],
    [
      model,
      { outputScaling: { offset: 0, scale: 1 } },
      RangeError,
      /^extras\.outputScaling applies to a linear \(regression\) output; this model's output is softmax/,
    ],
    [model, { featureNames: 'abc' }, TypeError, /^extras\.featureNames must be an array/],
    [model, { featureNames: ['a', 'b'] }, RangeError, /^extras\.featureNames has 2 names, the model takes 3/],
    [model, { featureNames: ['a', 2, 'c'] }, TypeError, /^extras\.featureNames\[1\] must be a string/],
    [
      model,
      { featureNames: ['a', 'b', 'a'] },
      RangeError,
      /^extras\.featureNames\[2\] repeats extras\.featureNames\[0\]/,
    ],
    [
      model,
      { classes: ['a', 'b', 'c'] },
      RangeError,
      /^extras\.classes has 3 labels, expected 2 for a softmax output of 2 units/,
    ],
    [model, { classes: ['a', null] }, TypeError, /^extras\.classes\[1\] must be a string or a finite number/],
    [model, { classes: [1, 1] }, RangeError, /^extras\.classes\[1\] repeats/],
  ];
  for (const [m, extras, type, message] of cases) {
    try {
      modelToOnnx(m as Model, extras as OnnxExtras);
    } catch (error) {
      assert.instance(error, type, `${JSON.stringify(extras)}: ${error}`);
      assert.match((error as Error).message, message);
      continue;
    }
    assert.unreachable(`no error for ${JSON.stringify(extras)}`);
  }
});

test('a float64 parameter beyond float32 range is refused rather than exported as infinity', () => {
  const model = new Model({ layerDims: [2, 1], seed: 1 });
  model.flatParameters[1] = 1e200;
  assert.throws(
    () => modelToOnnx(model),
    (e: unknown) =>
      e instanceof RangeError && /model\.parameters\.W1 holds 1e\+200, beyond float32's range/.test(`${e}`),
  );
});

test.run();
