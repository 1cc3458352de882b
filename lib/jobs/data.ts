// A sweep's data: the labelled examples split once into training and validation columns (seeded, stratified by
// class for classifiers, a plain seeded draw for regression; the same split for every trial), and its binary form,
// which travels to pool threads and through Redis.
// The bytes are content-addressed (sha256), so a worker that already holds them never fetches them again; a
// decoder that receives them from the network checks every length and label before trusting them.
import { createHash } from 'node:crypto';
import { describe } from '../checks';
import { allocate, type DType, type FloatArray, Matrix } from '../matrix';
import { RandomState, requireSeed } from '../random';

export type SweepOutput = 'sigmoid' | 'softmax' | 'linear';

/** Regression: the network learns (y - offset) / scale (the Regressor's scaling, learnt on the training part). */
export interface TargetScaling {
  offset: number;
  scale: number;
}

export interface SweepData {
  /**
   * training columns: X (features, m) and labels (1, m): 0/1 for a sigmoid output, class indices for softmax,
   * targets in their own units for a linear output
   */
  trainX: Matrix;
  trainY: Matrix;
  validationX: Matrix;
  validationY: Matrix;
  output: SweepOutput;
  /** softmax: the number of classes (outputs); sigmoid and linear: 1 */
  outputs: number;
  /** linear only: the target scaling every trial's model stores, so saved models predict in the targets' units */
  targetScaling?: TargetScaling;
}

/** The mean and the population standard deviation of the targets (1 when they are constant), as the Regressor. */
export function fitTargetScaling(Y: Matrix): TargetScaling {
  const y = Y.data;
  let mean = 0;
  for (const v of y) mean += v / y.length;
  let variance = 0;
  for (const v of y) variance += (v - mean) ** 2 / y.length;
  return { offset: mean, scale: variance > 0 ? Math.sqrt(variance) : 1 };
}

/** Regression targets must be finite numbers. */
function requireTargetsFinite(Y: Matrix, name: string): void {
  for (let j = 0; j < Y.cols; j++)
    if (!Number.isFinite(Y.data[j])) throw new RangeError(`${name}[${j}] is ${Y.data[j]}: targets must be finite`);
}

/** Labels must be class indices 0..outputs-1 (0/1 for sigmoid); returns the class of column j. */
function classOf(Y: Matrix, j: number, outputs: number, name: string): number {
  const label = Y.data[j];
  const classes = Math.max(2, outputs);
  if (!Number.isInteger(label) || label < 0 || label >= classes)
    throw new RangeError(`${name}[${j}] is ${label}: labels must be class indices 0..${classes - 1}`);
  return label;
}

function gatherColumns(M: Matrix, columns: readonly number[]): Matrix {
  const out = allocate(M.dtype, M.rows * columns.length, `${columns.length} columns of ${M.rows}`);
  columns.forEach((j, k) => out.set(M.data.subarray(j * M.rows, (j + 1) * M.rows), k * M.rows));
  return new Matrix(M.rows, columns.length, out);
}

/**
 * Splits X (features, m) and labels Y (1, m) into training and validation columns: within each class, a seeded
 * permutation picks round(fraction · count) examples for validation (at least one of a class with two or more, at
 * most all but one); for regression (a linear output) the same draw runs over all the examples at once (targets
 * have no classes). Both parts keep the data's order. Same inputs, same split, in every process.
 */
export function splitValidation(
  X: Matrix,
  Y: Matrix,
  options: { fraction: number; seed: number; output: SweepOutput; outputs: number },
): SweepData {
  const { fraction, output, outputs } = options;
  const seed = requireSeed(options.seed, 'validation seed');
  if (typeof fraction !== 'number' || !(fraction > 0 && fraction < 1))
    throw new RangeError(`validation fraction must be a number in (0, 1), got ${describe(fraction)}`);
  if (Y.rows !== 1 || Y.cols !== X.cols)
    throw new RangeError(`labels must be a (1, ${X.cols}) matrix, one per example; got (${Y.rows}, ${Y.cols})`);
  const byClass = new Map<number, number[]>();
  if (output === 'linear') {
    requireTargetsFinite(Y, 'targets');
    byClass.set(
      0,
      Array.from({ length: X.cols }, (_, j) => j),
    );
  }
  for (let j = 0; j < X.cols && output !== 'linear'; j++) {
    const label = classOf(Y, j, outputs, 'labels');
    if (!byClass.has(label)) byClass.set(label, []);
    byClass.get(label)!.push(j);
  }
  const rng = new RandomState(seed);
  const held = new Set<number>();
  for (const label of [...byClass.keys()].sort((a, b) => a - b)) {
    const members = byClass.get(label)!;
    if (members.length < 2) continue;
    const take = Math.min(members.length - 1, Math.max(1, Math.round(fraction * members.length)));
    const order = rng.reseed((seed + label) % 0x100000000).permutation(members.length);
    for (let k = 0; k < take; k++) held.add(members[order[k]]);
  }
  const train: number[] = [],
    validation: number[] = [];
  for (let j = 0; j < X.cols; j++) (held.has(j) ? validation : train).push(j);
  if (validation.length === 0)
    throw new RangeError(
      `${X.cols} examples are too few for a validation split (${output === 'linear' ? 'it needs two' : 'no class has two examples'})`,
    );
  const trainY = gatherColumns(Y, train);
  return {
    trainX: gatherColumns(X, train),
    trainY,
    validationX: gatherColumns(X, validation),
    validationY: gatherColumns(Y, validation),
    output,
    outputs,
    ...(output === 'linear' ? { targetScaling: fitTargetScaling(trainY) } : {}),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Bytes: "DNNSWEEP", uint32 version, uint32 header length H, JSON header, zero padding to 8 bytes, then trainX,
// trainY, validationX, validationY as float32 or float64 values (column-major), little-endian.

const MAGIC = 'DNNSWEEP';
const VERSION = 1;
const MAX_HEADER_BYTES = 4096;

interface DataHeader {
  dtype: DType;
  features: number;
  train: number;
  validation: number;
  output: SweepOutput;
  outputs: number;
  /** linear only (JSON numbers round-trip doubles exactly) */
  targetScaling?: TargetScaling;
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function encodeSweepData(data: SweepData): Buffer {
  const header: DataHeader = {
    dtype: data.trainX.dtype,
    features: data.trainX.rows,
    train: data.trainX.cols,
    validation: data.validationX.cols,
    output: data.output,
    outputs: data.outputs,
    ...(data.targetScaling ? { targetScaling: data.targetScaling } : {}),
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const offset = Math.ceil((16 + json.length) / 8) * 8;
  const parts = [data.trainX, data.trainY, data.validationX, data.validationY].map((m) => m.data);
  const bytes = Buffer.alloc(offset + parts.reduce((sum, p) => sum + p.byteLength, 0));
  bytes.write(MAGIC, 0, 'latin1');
  bytes.writeUInt32LE(VERSION, 8);
  bytes.writeUInt32LE(json.length, 12);
  json.copy(bytes, 16);
  let at = offset;
  for (const p of parts) {
    Buffer.from(p.buffer, p.byteOffset, p.byteLength).copy(bytes, at);
    at += p.byteLength;
  }
  return bytes;
}

function positiveInteger(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1)
    throw new RangeError(`${name} must be a positive integer, got ${describe(value)}`);
  return value;
}

/** Reads sweep data bytes (copied out of `bytes`), checking the header, every length and every label. */
export function decodeSweepData(bytes: Uint8Array, what = 'sweep data'): SweepData {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.length < 16 || buffer.toString('latin1', 0, 8) !== MAGIC)
    throw new Error(`${what}: not sweep data (the magic "${MAGIC}" is missing)`);
  if (buffer.readUInt32LE(8) !== VERSION)
    throw new Error(`${what}: version ${buffer.readUInt32LE(8)} is not supported (this build reads ${VERSION})`);
  const headerLength = buffer.readUInt32LE(12);
  if (headerLength > MAX_HEADER_BYTES || 16 + headerLength > buffer.length)
    throw new Error(`${what}: header of ${headerLength} bytes does not fit`);
  let header: DataHeader;
  try {
    header = JSON.parse(buffer.toString('utf8', 16, 16 + headerLength));
  } catch {
    throw new Error(`${what}: the header is not JSON`);
  }
  if (typeof header !== 'object' || header === null) throw new Error(`${what}: the header is not an object`);
  const dtype = header.dtype;
  if (dtype !== 'float32' && dtype !== 'float64') throw new Error(`${what}: dtype ${describe(dtype)} is not known`);
  if (header.output !== 'sigmoid' && header.output !== 'softmax' && header.output !== 'linear')
    throw new Error(`${what}: output ${describe(header.output)} is not sigmoid, softmax or linear`);
  const t = header.targetScaling;
  if (header.output === 'linear') {
    if (
      typeof t !== 'object' ||
      t === null ||
      !Number.isFinite(t.offset) ||
      typeof t.scale !== 'number' ||
      !(t.scale > 0 && Number.isFinite(t.scale))
    )
      throw new Error(`${what}: a linear output needs targetScaling { offset: finite, scale: positive }`);
  } else if (t !== undefined) throw new Error(`${what}: targetScaling is for a linear output`);
  let features: number, train: number, validation: number, outputs: number;
  try {
    features = positiveInteger(header.features, 'features');
    train = positiveInteger(header.train, 'train');
    validation = positiveInteger(header.validation, 'validation');
    outputs = positiveInteger(header.outputs, 'outputs');
  } catch (error) {
    throw new Error(`${what}: ${(error as Error).message}`);
  }
  const size = dtype === 'float32' ? 4 : 8;
  const offset = Math.ceil((16 + headerLength) / 8) * 8;
  const values = (features + 1) * (train + validation);
  if (buffer.length !== offset + values * size)
    throw new Error(`${what}: ${buffer.length} bytes, expected ${offset + values * size} for the header's shapes`);
  let at = offset;
  const take = (rows: number, cols: number): Matrix => {
    const out: FloatArray = allocate(dtype, rows * cols, `${what}: ${rows} x ${cols}`);
    new Uint8Array(out.buffer).set(buffer.subarray(at, at + rows * cols * size));
    at += rows * cols * size;
    return new Matrix(rows, cols, out);
  };
  const data: SweepData = {
    trainX: take(features, train),
    trainY: take(1, train),
    validationX: take(features, validation),
    validationY: take(1, validation),
    output: header.output,
    outputs,
    ...(t ? { targetScaling: { offset: t.offset, scale: t.scale } } : {}),
  };
  if (header.output !== 'softmax' && outputs !== 1) throw new Error(`${what}: a ${header.output} output has 1 output`);
  try {
    if (header.output === 'linear') {
      requireTargetsFinite(data.trainY, 'training targets');
      requireTargetsFinite(data.validationY, 'validation targets');
    } else {
      for (let j = 0; j < train; j++) classOf(data.trainY, j, outputs, 'training labels');
      for (let j = 0; j < validation; j++) classOf(data.validationY, j, outputs, 'validation labels');
    }
  } catch (error) {
    throw new Error(`${what}: ${(error as Error).message}`);
  }
  return data;
}
