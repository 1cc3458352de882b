// The model file format, little-endian. Version 2 (written):
//   bytes 0..7    magic "DNNMODEL"
//   bytes 8..11   uint32 format version (2)
//   bytes 12..15  uint32 header length H in bytes
//   bytes 16..19  uint32 crc32 of every byte from 20 to the end: the header, the padding and the arrays
//   bytes 20..    UTF-8 JSON header, every key required and no other: the model's settings (ModelConfig:
//                 layerDims, dtype, init, seed, hiddenActivations, output, optimizer, beta1, beta2, epsilon, l2,
//                 keepProb), parameterCount, optimizerStep (Adam's t) and checkpoint (null in a saved model; in a
//                 checkpoint, the run's fit settings and where it stands: lib/model/checkpoint.ts) and metadata
//                 (null, or the task, classes, feature names, input and target scaling: lib/model/metadata.ts)
//   then zero padding to a multiple of 8 bytes, then parameterCount float32 or float64 values for each array: the
//   parameters (W1, b1, W2, b2, ... back to back, each column-major: the Network's flat layout), then for momentum
//   and Adam the first-moment state (velocity), then for Adam the second-moment state (squares), in that layout.
// Version 1 (read only): bytes 16.. the JSON header (the settings, parameterCount and a crc32 of the parameters
// alone), padding, the parameters; no optimiser state, so a loaded v1 model starts its optimiser afresh.
// Files are written to a temporary name in the same folder, flushed, then renamed over the target (lib/io.ts).
import fs from 'node:fs';
import { crc32 } from 'node:zlib';
import { openRegularFile, readFully } from '../io';
import type { FloatArray } from '../matrix';
import native from '../native';
import { MODEL_OPTION_KEYS, type ModelConfig, modelOptionsOf, normaliseModelOptions } from './options';

export const MODEL_MAGIC = 'DNNMODEL';
export const MODEL_FORMAT_VERSION = 2;
/** Headers longer than this are refused (a real one is a few hundred bytes). */
const MAX_HEADER_BYTES = 1 << 20;

/** The optimiser's state: momentum's velocity and Adam's moments (null when the optimiser has none) and step. */
export interface OptimizerState {
  velocity: FloatArray | null;
  squares: FloatArray | null;
  step: number;
}

export interface DecodedModel {
  config: ModelConfig;
  params: FloatArray;
  /** null for a version 1 file, which does not store it */
  optimizer: OptimizerState | null;
  /** a checkpoint's record of its run (checked by lib/model/checkpoint.ts); null in a saved model */
  checkpoint: unknown;
  /** what the model knows of its data (checked by lib/model/metadata.ts); null when it knows nothing */
  metadata: unknown;
  version: number;
}

// The settings' keys as the header stores them (the option hiddenActivation is stored as the list hiddenActivations).
const CONFIG_KEYS = MODEL_OPTION_KEYS.map((key) => (key === 'hiddenActivation' ? 'hiddenActivations' : key));
const HEADER_KEYS: Record<number, readonly string[]> = {
  1: [...CONFIG_KEYS, 'parameterCount', 'crc32'],
  2: [...CONFIG_KEYS, 'parameterCount', 'optimizerStep', 'checkpoint', 'metadata'],
};

function bytesOf(values: FloatArray): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

/** The arrays stored after the header: the parameters, then the optimiser's state it keeps. */
function arrayCount(config: Pick<ModelConfig, 'optimizer'>): number {
  return config.optimizer === 'adam' ? 3 : config.optimizer === 'momentum' ? 2 : 1;
}

export function encodeModel(
  config: ModelConfig,
  params: FloatArray,
  optimizer: OptimizerState,
  checkpoint: unknown = null,
  metadata: object | null = null,
): Buffer {
  const header = {
    ...Object.fromEntries(CONFIG_KEYS.map((key) => [key, config[key as keyof ModelConfig]])),
    parameterCount: params.length,
    optimizerStep: optimizer.step,
    checkpoint,
    metadata,
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const arrays = [params, optimizer.velocity, optimizer.squares].slice(0, arrayCount(config)) as FloatArray[];
  const dataOffset = Math.ceil((20 + json.length) / 8) * 8;
  const file = Buffer.alloc(dataOffset + arrays.length * params.byteLength);
  file.write(MODEL_MAGIC, 0, 'latin1');
  file.writeUInt32LE(MODEL_FORMAT_VERSION, 8);
  file.writeUInt32LE(json.length, 12);
  json.copy(file, 20);
  arrays.forEach((values, i) => file.set(bytesOf(values), dataOffset + i * params.byteLength));
  file.writeUInt32LE(crc32(file.subarray(20)), 16);
  return file;
}

/** The keys of a JSON object's top level, in order, duplicates included (JSON.parse keeps only the last). */
function topLevelKeys(json: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  const token = /"(?:[^"\\]|\\.)*"\s*:?|[{}[\]]/g;
  for (let match = token.exec(json); match !== null; match = token.exec(json)) {
    const text = match[0];
    if (text === '{' || text === '[') depth++;
    else if (text === '}' || text === ']') depth--;
    else if (depth === 1 && text.endsWith(':')) keys.push(JSON.parse(text.slice(0, -1).trim()));
  }
  return keys;
}

/** Reads and checks a model file; every failure names the file and what is wrong with it. */
export function decodeModel(file: Buffer, where: string): DecodedModel {
  const bad = (why: string) => new Error(`${where}: ${why}`);
  if (file.length < 16 || file.toString('latin1', 0, 8) !== MODEL_MAGIC)
    throw bad('not a dnn-native model file (no DNNMODEL signature)');
  const version = file.readUInt32LE(8);
  if (version !== 1 && version !== 2)
    throw bad(`model format version ${version} is not supported (this dnn-native reads versions 1 and 2)`);
  const headerStart = version === 1 ? 16 : 20;
  const headerLength = file.readUInt32LE(12);
  if (headerLength > MAX_HEADER_BYTES)
    throw bad(`corrupt: a header of ${headerLength} bytes (at most ${MAX_HEADER_BYTES})`);
  if (headerStart + headerLength > file.length) throw bad('truncated: the header runs past the end of the file');
  if (version === 2 && crc32(file.subarray(20)) !== file.readUInt32LE(16))
    throw bad('corrupt: the file does not match its checksum');
  const text = file.toString('utf8', headerStart, headerStart + headerLength);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(text);
  } catch {
    throw bad('corrupt: the header is not valid JSON');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    throw bad(`corrupt: the header is ${header === null ? 'null' : typeof header}, not an object of settings`);
  const keys = topLevelKeys(text);
  const duplicate = keys.find((key, i) => keys.indexOf(key) !== i);
  if (duplicate !== undefined) throw bad(`corrupt: the header has the key "${duplicate}" twice`);
  const expectedKeys = HEADER_KEYS[version];
  const missing = expectedKeys.filter((key) => !(key in header));
  if (missing.length > 0) throw bad(`corrupt: the header lacks ${missing.join(', ')}`);
  const unknown = Object.keys(header).filter((key) => !expectedKeys.includes(key));
  if (unknown.length > 0) throw bad(`corrupt: unknown keys in the header: ${unknown.join(', ')}`);

  const stored = Object.fromEntries(CONFIG_KEYS.map((key) => [key, header[key]])) as unknown as ModelConfig;
  let config: ModelConfig;
  try {
    config = normaliseModelOptions(modelOptionsOf(stored));
  } catch (error) {
    throw bad(`corrupt: the stored settings are not valid (${(error as Error).message})`);
  }
  // a value of the wrong shape that normalising would accept (keepProb 0.5 for [0.5]) is not what save() writes
  const normalised = Object.fromEntries(CONFIG_KEYS.map((key) => [key, config[key as keyof ModelConfig]]));
  for (const key of CONFIG_KEYS)
    if (JSON.stringify(normalised[key]) !== JSON.stringify(header[key]))
      throw bad(`corrupt: ${key} in the header is ${JSON.stringify(header[key])}, not a value save() writes`);

  const expected = native.parameterCount(config.layerDims);
  if (header.parameterCount !== expected)
    throw bad(
      `corrupt: parameterCount ${JSON.stringify(header.parameterCount)} does not match layerDims (${expected})`,
    );
  const step = version === 2 ? header.optimizerStep : 0;
  if (!Number.isSafeInteger(step) || (step as number) < 0)
    throw bad(`corrupt: optimizerStep ${JSON.stringify(step)} is not a whole number >= 0`);
  const width = config.dtype === 'float32' ? 4 : 8;
  const arrays = version === 2 ? arrayCount(config) : 1;
  const dataOffset = Math.ceil((headerStart + headerLength) / 8) * 8;
  const available = file.length - dataOffset,
    needed = arrays * expected * width;
  if (available < needed) throw bad(`truncated: ${Math.max(0, available)} bytes of parameters, expected ${needed}`);
  if (available > needed) throw bad(`corrupt: ${available - needed} unexpected bytes after the parameters`);
  // Copy into fresh, aligned buffers (the file buffer may be a slice of a pooled one).
  const read = (i: number): FloatArray => {
    const bytes = new Uint8Array(expected * width);
    bytes.set(file.subarray(dataOffset + i * bytes.length, dataOffset + (i + 1) * bytes.length));
    return config.dtype === 'float32' ? new Float32Array(bytes.buffer) : new Float64Array(bytes.buffer);
  };
  const params = read(0);
  if (version === 1 && crc32(bytesOf(params)) !== header.crc32)
    throw bad('corrupt: the parameters do not match their checksum');
  const optimizer =
    version === 1
      ? null
      : { velocity: arrays > 1 ? read(1) : null, squares: arrays > 2 ? read(2) : null, step: step as number };
  const metadata = version === 2 ? header.metadata : null;
  return { config, params, optimizer, checkpoint: version === 2 ? header.checkpoint : null, metadata, version };
}

/** The size a model file's header implies, from the file's first bytes; null when they do not say (decodeModel will). */
function declaredSize(prefix: Buffer): number | null {
  if (prefix.length < 16 || prefix.toString('latin1', 0, 8) !== MODEL_MAGIC) return null;
  const version = prefix.readUInt32LE(8);
  if (version !== 1 && version !== 2) return null;
  const headerStart = version === 1 ? 16 : 20;
  const headerLength = prefix.readUInt32LE(12);
  if (headerStart + headerLength > prefix.length) return null;
  try {
    const header = JSON.parse(prefix.toString('utf8', headerStart, headerStart + headerLength));
    const width = header.dtype === 'float32' ? 4 : header.dtype === 'float64' ? 8 : 0;
    const arrays = version === 2 ? arrayCount(header) : 1;
    const dataOffset = Math.ceil((headerStart + headerLength) / 8) * 8;
    return width === 0 ? null : dataOffset + arrays * native.parameterCount(header.layerDims) * width;
  } catch {
    return null;
  }
}

/**
 * The bytes of a model file (or checkpoint), a regular file only. A file longer than its header says is refused
 * once the header is read, before the rest: a huge or padded file is not read into memory.
 */
export function readModelFile(file: string, what = 'model file'): Buffer {
  const { fd, size } = openRegularFile(file, what);
  try {
    const prefix = Buffer.alloc(Math.min(size, 20 + MAX_HEADER_BYTES));
    readFully(fd, prefix, 0, file, what);
    const declared = declaredSize(prefix);
    if (declared !== null && size > declared)
      throw new Error(`${file}: corrupt: ${size - declared} unexpected bytes after the parameters`);
    const bytes = Buffer.alloc(size);
    prefix.copy(bytes);
    readFully(fd, bytes.subarray(prefix.length), prefix.length, file, what);
    return bytes;
  } finally {
    fs.closeSync(fd);
  }
}
