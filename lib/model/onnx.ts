import type { onnx } from 'onnx-proto';
import { describe } from '../checks';
import { writeFileAtomic } from '../io';
import type { FloatArray } from '../matrix';
import { packageVersion } from '../native';
import { Model } from './model';
import type { HiddenActivation } from './options';

/** What the exported graph adds around the network, and metadata it carries. */
export interface OnnxExtras {
  /** the preprocessing the model was trained behind, per feature: x' = (x - offset) / scale */
  inputScaling?: { offset: FloatArray | readonly number[]; scale: FloatArray | readonly number[] };
  /** a linear (regression) output trained on standardised targets: y = y' * scale + offset */
  outputScaling?: { offset: number; scale: number };
  /** one name per input feature, stored in the metadata as JSON under "feature_names" */
  featureNames?: readonly string[];
  /** the graph input's name (default "features") */
  inputName?: string;
  /** the class labels, stored in the metadata as JSON under "classes": one per softmax unit; for one sigmoid
   * unit the two labels [negative, positive] (the output is the probability of the second) */
  classes?: readonly (string | number)[];
}

// Opset 13 (ONNX 1.8) has every operator used here in its current form (Softmax over one axis); IR version 7 is
// the one that opset shipped with, so runtimes from onnxruntime 1.6 on load the file.
export const ONNX_OPSET = 13;
export const ONNX_IR_VERSION = 7;

const EXTRAS_KEYS = ['inputScaling', 'outputScaling', 'featureNames', 'inputName', 'classes'] as const;
const HIDDEN_OPS: Record<HiddenActivation, string> = {
  relu: 'Relu',
  leakyRelu: 'LeakyRelu',
  tanh: 'Tanh',
  sigmoid: 'Sigmoid',
};
// native/kernels/activation.hpp: kLeakyReluSlope
const LEAKY_RELU_ALPHA = 0.01;
// onnx.TensorProto.DataType.FLOAT and AttributeProto.AttributeType's INT and FLOAT (fixed by the ONNX standard)
const FLOAT = 1;
const ATTRIBUTE_FLOAT = 1;
const ATTRIBUTE_INT = 2;

// onnx-proto (and protobufjs under it) loads on the first export, not with the library: it costs ~30 ms, which
// every `require('dnn-native')` and CLI start would pay otherwise.
let protoModule: typeof onnx | undefined;
function onnxProto(): typeof onnx {
  protoModule ??= (require('onnx-proto') as typeof import('onnx-proto')).onnx;
  return protoModule;
}

/**
 * The model as an ONNX file (bytes of a ModelProto): input float32 [N, n_x] named `extras.inputName`
 * ("features"), output "probabilities" [N, n_L] for a sigmoid or softmax output ("prediction" for a linear
 * one). Parameters are stored as float32 whatever the model's dtype.
 */
/** What the model's metadata says about the graph: its input scaling, target scaling, feature names and classes. */
export function storedExtras(model: Model): OnnxExtras {
  const { inputScaling, targetScaling, featureNames, classes } = model.metadata;
  return {
    ...(inputScaling && inputScaling.kind !== 'none' ? { inputScaling } : {}),
    ...(targetScaling ? { outputScaling: targetScaling } : {}),
    ...(featureNames ? { featureNames } : {}),
    ...(classes ? { classes } : {}),
  };
}

export function modelToOnnx(model: Model, extras: OnnxExtras = {}): Uint8Array {
  if (!(model instanceof Model)) throw new TypeError(`model must be a Model, got ${describe(model)}`);
  model.requireIdle('modelToOnnx');
  const options = checkExtras(extras, model);
  const dims = model.layerDims;
  const nx = dims[0],
    nL = dims[dims.length - 1];
  const outputKind = model.config.output;
  const linear = outputKind === 'linear';
  const outputName = linear ? 'prediction' : 'probabilities';

  const initializers: onnx.ITensorProto[] = [];
  const nodes: onnx.INodeProto[] = [];
  const node = (opType: string, inputs: string[], output: string, attributes: onnx.IAttributeProto[] = []) =>
    nodes.push({ opType, input: inputs, output: [output], name: `${output}_${opType}`, attribute: attributes });

  let current = options.inputName;
  if (options.inputScaling) {
    initializers.push(tensor('input_offset', [nx], options.inputScaling.offset));
    initializers.push(tensor('input_scale', [nx], options.inputScaling.scale));
    node('Sub', [current, 'input_offset'], 'input_centred');
    // Div rather than Mul by a reciprocal: the formula as given, without a second rounding of 1 / scale
    node('Div', ['input_centred', 'input_scale'], 'input_scaled');
    current = 'input_scaled';
  }

  const parameters = model.parameters;
  const L = model.numLayers;
  for (let l = 1; l <= L; l++) {
    const W = parameters[`W${l}`],
      b = parameters[`b${l}`];
    // column-major (n_l, n_{l-1}) in the model, row-major in ONNX: same shape, transposed order
    requireFloat32(W.data, `W${l}`);
    requireFloat32(b.data, `b${l}`);
    const rowMajor = new Float32Array(W.rows * W.cols);
    for (let i = 0; i < W.rows; i++) for (let j = 0; j < W.cols; j++) rowMajor[i * W.cols + j] = W.data[i + j * W.rows];
    initializers.push(tensor(`W${l}`, [W.rows, W.cols], rowMajor));
    initializers.push(tensor(`b${l}`, [b.rows], b.data));
    // Gemm: Z = A_prev W^T + b, b broadcast over the batch
    node('Gemm', [current, `W${l}`, `b${l}`], `Z${l}`, [intAttribute('transB', 1)]);
    current = `Z${l}`;
    if (l < L) {
      const activation = model.config.hiddenActivations[l - 1];
      const attributes = activation === 'leakyRelu' ? [floatAttribute('alpha', LEAKY_RELU_ALPHA)] : [];
      node(HIDDEN_OPS[activation], [current], `A${l}`, attributes);
      current = `A${l}`;
    }
  }

  if (outputKind === 'sigmoid') node('Sigmoid', [current], outputName);
  else if (outputKind === 'softmax') node('Softmax', [current], outputName, [intAttribute('axis', 1)]);
  else if (linear && options.outputScaling) {
    initializers.push(tensor('output_scale', [1], [options.outputScaling.scale]));
    initializers.push(tensor('output_offset', [1], [options.outputScaling.offset]));
    node('Mul', [current, 'output_scale'], 'output_unscaled');
    node('Add', ['output_unscaled', 'output_offset'], outputName);
  } else if (linear) node('Identity', [current], outputName);
  else throw new RangeError(`model.config.output is ${describe(outputKind)}, which the ONNX export does not know`);

  // the internal names are fixed, so an input name that is one of them would wire the graph wrongly
  const taken = new Set([outputName, ...initializers.map((t) => t.name), ...nodes.flatMap((n) => n.output ?? [])]);
  if (taken.has(options.inputName))
    throw new RangeError(`extras.inputName ${JSON.stringify(options.inputName)} is a name the graph uses inside`);

  const metadata: Record<string, string> = {
    layer_dims: JSON.stringify(dims),
    hidden_activations: JSON.stringify(model.config.hiddenActivations),
    output: outputKind,
    task: linear ? 'regression' : 'classification',
  };
  if (options.featureNames) metadata.feature_names = JSON.stringify(options.featureNames);
  if (options.classes) metadata.classes = JSON.stringify(options.classes);

  const { ModelProto } = onnxProto();
  const proto = ModelProto.create({
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    producerName: 'dnn-native',
    producerVersion: packageVersion,
    docString: `dnn-native ${dims.join('-')} network, ${outputKind} output`,
    metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
    graph: {
      name: 'dnn-native',
      node: nodes,
      initializer: initializers,
      input: [valueInfo(options.inputName, nx)],
      output: [valueInfo(outputName, nL)],
    },
  });
  return ModelProto.encode(proto).finish();
}

/**
 * Writes modelToOnnx(model, extras) to `file` atomically (lib/io.ts: a temporary file, then a rename);
 * `inputs` lists files the caller read (the model file) that must not be written over.
 */
export function saveOnnx(model: Model, file: string, extras: OnnxExtras = {}, inputs: readonly string[] = []): void {
  if (typeof file !== 'string' || file.length === 0)
    throw new TypeError(`file must be a non-empty path string, got ${describe(file)}`);
  writeFileAtomic(file, modelToOnnx(model, extras), { what: 'ONNX model', inputs });
}

/** A float64 model's parameters can exceed float32's range; the file would then compute with infinities. */
function requireFloat32(values: FloatArray, name: string): void {
  for (let i = 0; i < values.length; i++)
    if (Number.isFinite(values[i]) && !float32Finite(values[i]))
      throw new RangeError(
        `model.parameters.${name} holds ${values[i]}, beyond float32's range (the ONNX file is float32)`,
      );
}

/** A float32 initializer, little-endian raw bytes whatever the host's order. */
function tensor(name: string, dims: number[], values: ArrayLike<number>): onnx.ITensorProto {
  const raw = new Uint8Array(values.length * 4);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
  return { name, dims, dataType: FLOAT, rawData: raw };
}

/** A float32 [N, size] value with the batch dimension N left free. */
function valueInfo(name: string, size: number): onnx.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType: FLOAT, shape: { dim: [{ dimParam: 'N' }, { dimValue: size }] } } },
  };
}

function intAttribute(name: string, i: number): onnx.IAttributeProto {
  return { name, type: ATTRIBUTE_INT, i };
}

function floatAttribute(name: string, f: number): onnx.IAttributeProto {
  return { name, type: ATTRIBUTE_FLOAT, f };
}

interface CheckedExtras {
  inputName: string;
  inputScaling?: { offset: ArrayLike<number>; scale: ArrayLike<number> };
  outputScaling?: { offset: number; scale: number };
  featureNames?: readonly string[];
  classes?: readonly (string | number)[];
}

/** extras checked against the model; each problem is a TypeError or RangeError naming the entry. */
function checkExtras(extras: unknown, model: Model): CheckedExtras {
  if (typeof extras !== 'object' || extras === null || Array.isArray(extras))
    throw new TypeError(`extras must be an object { inputScaling, outputScaling, ... }, got ${describe(extras)}`);
  const given = extras as Record<string, unknown>;
  for (const key of Object.keys(given))
    if (!(EXTRAS_KEYS as readonly string[]).includes(key))
      throw new RangeError(`extras.${key} is not an ONNX export option (expected ${EXTRAS_KEYS.join(', ')})`);
  const nx = model.inputSize,
    nL = model.outputSize;
  const linear = model.config.output === 'linear';
  const out: CheckedExtras = { inputName: 'features' };

  if (given.inputName !== undefined) {
    if (typeof given.inputName !== 'string' || given.inputName.length === 0)
      throw new TypeError(`extras.inputName must be a non-empty string, got ${describe(given.inputName)}`);
    out.inputName = given.inputName;
  }

  if (given.inputScaling !== undefined) {
    const scaling = given.inputScaling as Record<string, unknown>;
    if (typeof scaling !== 'object' || scaling === null)
      throw new TypeError(`extras.inputScaling must be an object { offset, scale }, got ${describe(scaling)}`);
    const offset = numbers(scaling.offset, 'extras.inputScaling.offset', nx);
    const scale = numbers(scaling.scale, 'extras.inputScaling.scale', nx);
    const zero = Array.prototype.findIndex.call(scale, (v: number) => Math.fround(v) === 0);
    if (zero >= 0)
      throw new RangeError(
        `extras.inputScaling.scale[${zero}] is ${scale[zero]}, 0 in float32 (a divisor; use 1 for a constant column)`,
      );
    out.inputScaling = { offset, scale };
  }

  if (given.outputScaling !== undefined) {
    if (!linear)
      throw new RangeError(
        `extras.outputScaling applies to a linear (regression) output; this model's output is ${model.config.output}`,
      );
    const scaling = given.outputScaling as Record<string, unknown>;
    if (typeof scaling !== 'object' || scaling === null)
      throw new TypeError(`extras.outputScaling must be an object { offset, scale }, got ${describe(scaling)}`);
    for (const key of ['offset', 'scale']) {
      if (typeof scaling[key] !== 'number')
        throw new TypeError(`extras.outputScaling.${key} must be a number, got ${describe(scaling[key])}`);
      if (!float32Finite(scaling[key] as number))
        throw new RangeError(`extras.outputScaling.${key} is ${scaling[key]}, not a finite float32`);
    }
    if (Math.fround(scaling.scale as number) === 0) throw new RangeError('extras.outputScaling.scale is 0 in float32');
    out.outputScaling = { offset: scaling.offset as number, scale: scaling.scale as number };
  }

  if (given.featureNames !== undefined) {
    const names = given.featureNames;
    if (!Array.isArray(names)) throw new TypeError(`extras.featureNames must be an array, got ${describe(names)}`);
    if (names.length !== nx)
      throw new RangeError(`extras.featureNames has ${names.length} names, the model takes ${nx} features`);
    names.forEach((name, i) => {
      if (typeof name !== 'string')
        throw new TypeError(`extras.featureNames[${i}] must be a string, got ${describe(name)}`);
    });
    requireUnique(names, 'extras.featureNames');
    out.featureNames = [...names];
  }

  if (given.classes !== undefined) {
    const classes = given.classes;
    if (linear) throw new RangeError('extras.classes applies to a classifier; this model has a linear output');
    if (!Array.isArray(classes)) throw new TypeError(`extras.classes must be an array, got ${describe(classes)}`);
    // one sigmoid unit gives P(second class); several sigmoid units or softmax give one per unit
    const expected = model.config.output === 'sigmoid' && nL === 1 ? 2 : nL;
    if (classes.length !== expected)
      throw new RangeError(
        `extras.classes has ${classes.length} labels, expected ${expected} for a ${model.config.output} output of ${nL} unit${nL === 1 ? '' : 's'}`,
      );
    classes.forEach((label, i) => {
      if (typeof label !== 'string' && !(typeof label === 'number' && Number.isFinite(label)))
        throw new TypeError(`extras.classes[${i}] must be a string or a finite number, got ${describe(label)}`);
    });
    requireUnique(classes, 'extras.classes');
    out.classes = [...classes];
  }
  return out;
}

/** `value` as `length` finite numbers (a Float64Array, Float32Array or number[]). */
function numbers(value: unknown, name: string, length: number): ArrayLike<number> {
  const ok = value instanceof Float64Array || value instanceof Float32Array || Array.isArray(value);
  if (!ok) throw new TypeError(`${name} must be a Float64Array, Float32Array or number[], got ${describe(value)}`);
  const values = value as ArrayLike<unknown>;
  if (values.length !== length)
    throw new RangeError(`${name} has ${values.length} values, the model takes ${length} features`);
  for (let i = 0; i < length; i++) {
    const v = values[i];
    if (typeof v !== 'number') throw new TypeError(`${name}[${i}] must be a number, got ${describe(v)}`);
    if (!float32Finite(v)) throw new RangeError(`${name}[${i}] is ${v}, not a finite float32`);
  }
  return values as ArrayLike<number>;
}

/** Whether v stays finite as a float32 (the graph's type). */
function float32Finite(v: number): boolean {
  return Number.isFinite(Math.fround(v));
}

function requireUnique(values: readonly unknown[], name: string): void {
  const seen = new Map<unknown, number>();
  values.forEach((v, i) => {
    const first = seen.get(v);
    if (first !== undefined) throw new RangeError(`${name}[${i}] repeats ${name}[${first}] (${JSON.stringify(v)})`);
    seen.set(v, i);
  });
}
