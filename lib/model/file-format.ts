// The model file format (version 1), little-endian:
//   bytes 0..7    magic "DNNMODEL"
//   bytes 8..11   uint32 format version (1)
//   bytes 12..15  uint32 header length H in bytes
//   bytes 16..    UTF-8 JSON header: the model's settings (lib/config.ts ModelConfig: layerDims, dtype, init, seed,
//                 hiddenActivations, output, optimizer, beta1, beta2, epsilon, l2, keepProb) plus parameterCount and
//                 crc32
//   then zero padding to a multiple of 8 bytes, then the parameters as float32 or float64 values: W1, b1, W2, b2,
//   ... back to back, each column-major (the Network's flat layout), parameterCount values in all.
// crc32 covers the parameter bytes, so a corrupt file is caught. Files are written to a temporary name in the
// same folder, flushed, then renamed over the target: a crash leaves the old file or the new one, never half.
// Optimiser state (momentum, Adam) is not stored: training resumed from a loaded model starts it afresh.
import { crc32 } from 'node:zlib';
import type { FloatArray } from '../matrix';
import native from '../native';
import type { ModelConfig } from './options';

export const MODEL_MAGIC = 'DNNMODEL';
export const MODEL_FORMAT_VERSION = 1;

export interface ModelFileHeader extends ModelConfig {
  parameterCount: number;
  crc32: number;
}

function paramBytes(params: FloatArray): Uint8Array {
  return new Uint8Array(params.buffer, params.byteOffset, params.byteLength);
}

export function encodeModel(config: ModelConfig, params: FloatArray): Buffer {
  const full: ModelFileHeader = { ...config, parameterCount: params.length, crc32: crc32(paramBytes(params)) };
  const json = Buffer.from(JSON.stringify(full), 'utf8');
  const dataOffset = Math.ceil((16 + json.length) / 8) * 8;
  const file = Buffer.alloc(dataOffset + params.byteLength);
  file.write(MODEL_MAGIC, 0, 'latin1');
  file.writeUInt32LE(MODEL_FORMAT_VERSION, 8);
  file.writeUInt32LE(json.length, 12);
  json.copy(file, 16);
  Buffer.from(paramBytes(params)).copy(file, dataOffset);
  return file;
}

/** Reads and checks a model file; every failure names the file and what is wrong with it. */
export function decodeModel(file: Buffer, where: string): { config: ModelConfig; params: FloatArray } {
  const bad = (why: string) => new Error(`${where}: ${why}`);
  if (file.length < 16 || file.toString('latin1', 0, 8) !== MODEL_MAGIC)
    throw bad('not a dnn-native model file (no DNNMODEL signature)');
  const version = file.readUInt32LE(8);
  if (version !== MODEL_FORMAT_VERSION)
    throw bad(
      `model format version ${version} is not supported (this dnn-native reads version ${MODEL_FORMAT_VERSION})`,
    );
  const headerLength = file.readUInt32LE(12);
  if (16 + headerLength > file.length) throw bad('truncated: the header runs past the end of the file');
  let header: ModelFileHeader;
  try {
    header = JSON.parse(file.toString('utf8', 16, 16 + headerLength));
  } catch {
    throw bad('corrupt: the header is not valid JSON');
  }
  const dims = header.layerDims;
  if (!Array.isArray(dims) || dims.length < 2 || !dims.every((d) => Number.isInteger(d) && d > 0))
    throw bad('corrupt: layerDims in the header is not a list of positive integers');
  if (header.dtype !== 'float32' && header.dtype !== 'float64')
    throw bad(`corrupt: unknown dtype ${JSON.stringify(header.dtype)}`);
  let expected: number;
  try {
    expected = native.parameterCount(dims);
  } catch (error) {
    throw bad(`corrupt: layerDims in the header is not a network this version can hold (${(error as Error).message})`);
  }
  if (header.parameterCount !== expected)
    throw bad(`corrupt: parameterCount ${header.parameterCount} does not match layerDims (${expected})`);
  const width = header.dtype === 'float32' ? 4 : 8;
  const dataOffset = Math.ceil((16 + headerLength) / 8) * 8;
  const available = file.length - dataOffset;
  if (available < expected * width)
    throw bad(`truncated: ${Math.max(0, available)} bytes of parameters, expected ${expected * width}`);
  if (available > expected * width)
    throw bad(`corrupt: ${available - expected * width} unexpected bytes after the parameters`);
  // Copy into a fresh, aligned buffer (the file buffer may be a slice of a pooled one).
  const bytes = new Uint8Array(expected * width);
  bytes.set(file.subarray(dataOffset, dataOffset + expected * width));
  if (crc32(bytes) !== header.crc32) throw bad('corrupt: the parameters do not match their checksum');
  const params = header.dtype === 'float32' ? new Float32Array(bytes.buffer) : new Float64Array(bytes.buffer);
  const { parameterCount: _count, crc32: _crc, ...config } = header;
  return { config, params };
}
