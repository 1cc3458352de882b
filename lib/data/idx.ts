// The IDX format (MNIST's files): a 4-byte magic [0, 0, type, ndims], ndims big-endian uint32 sizes, then the
// data in row-major order (the last dimension varies fastest). Only unsigned bytes (type 0x08) are read, which
// is what MNIST and its relatives use. A path ending in .gz is gunzipped first.
//
// Images come out as a column-major Matrix with one example per column: example j's pixels, in the file's
// row-major pixel order (row * width + col, as numpy's reshape(m, -1) gives), are column j. The file stores
// each example contiguously in that same order, so the conversion is one pass that scales bytes to [0, 1].
import fs from 'node:fs';
import zlib from 'node:zlib';
import { describe, requireDimension } from '../checks';
import { type DType, Matrix, requireDType } from '../matrix';

export const IDX_UNSIGNED_BYTE = 0x08;

const TYPE_NAMES: Record<number, string> = {
  8: 'unsigned byte',
  9: 'signed byte',
  11: 'int16',
  12: 'int32',
  13: 'float32',
  14: 'float64',
};

export interface IdxHeader {
  /** The sizes, outermost first: [count] for labels, [count, height, width] for images. */
  dims: number[];
  /** Byte offset of the data (4 + 4 * ndims). */
  dataOffset: number;
}

export interface IdxArray extends IdxHeader {
  /** The first `count` entries along dims[0] (all of them unless a limit was given), as unsigned bytes. */
  data: Uint8Array;
  /** How many entries along dims[0] `data` holds. */
  count: number;
}

export interface IdxReadOptions {
  /** Read only the first `limit` examples (entries along the first dimension). */
  limit?: number;
}

export interface IdxImageOptions extends IdxReadOptions {
  /** The element type of the returned matrix (default 'float64', as everywhere in this package). */
  dtype?: DType;
}

function isGzipPath(path: string): boolean {
  return path.toLowerCase().endsWith('.gz');
}

function product(values: readonly number[]): number {
  return values.reduce((a, b) => a * b, 1);
}

/** Parses and checks the header of an IDX file whose total (decompressed) size is `totalBytes`. */
function parseHeader(path: string, head: Uint8Array, totalBytes: number): IdxHeader {
  if (totalBytes < 4)
    throw new Error(`${path}: not an IDX file: ${totalBytes} bytes, shorter than the 4-byte magic number`);
  if (head[0] !== 0 || head[1] !== 0) {
    const magic = Array.from(head.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new Error(
      `${path}: not an IDX file: the magic number must start with two zero bytes, got ${magic}` +
        (isGzipPath(path)
          ? ''
          : head[0] === 0x1f && head[1] === 0x8b
            ? ' (this looks gzip-compressed: name it *.gz)'
            : ''),
    );
  }
  const type = head[2];
  if (type !== IDX_UNSIGNED_BYTE) {
    const name = TYPE_NAMES[type]
      ? `${TYPE_NAMES[type]} (0x${type.toString(16)})`
      : `unknown type 0x${type.toString(16)}`;
    throw new Error(`${path}: IDX data type ${name} is not supported; only unsigned byte (0x08) is`);
  }
  const ndims = head[3];
  if (ndims < 1) throw new Error(`${path}: IDX header declares 0 dimensions`);
  const dataOffset = 4 + 4 * ndims;
  if (totalBytes < dataOffset)
    throw new Error(
      `${path}: truncated IDX file: ${totalBytes} bytes, but the header of ${ndims} dimensions needs ${dataOffset}`,
    );
  const view = new DataView(head.buffer, head.byteOffset, dataOffset);
  const dims: number[] = [];
  for (let d = 0; d < ndims; d++) dims.push(view.getUint32(4 + 4 * d, false));
  const expected = product(dims);
  const actual = totalBytes - dataOffset;
  if (actual < expected)
    throw new Error(
      `${path}: truncated IDX file: dimensions ${dims.join(' x ')} need ${expected} bytes of data, the file has ${actual}`,
    );
  if (actual > expected)
    throw new Error(
      `${path}: IDX file has ${actual - expected} bytes after the data that dimensions ${dims.join(' x ')} declare`,
    );
  return { dims, dataOffset };
}

function requireLimit(limit: unknown): number | undefined {
  if (limit === undefined) return undefined;
  return requireDimension(limit, 'limit');
}

function notFoundOr(path: string, err: unknown): Error {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return new Error(`IDX file not found: ${path}`);
  if (code === 'EISDIR') return new Error(`${path}: is a directory, not an IDX file`);
  return new Error(`${path}: cannot read IDX file: ${(err as Error)?.message ?? String(err)}`);
}

/**
 * Reads an IDX file of unsigned bytes. With `limit`, only the first `limit` examples are returned (and, for an
 * uncompressed file, only they are read from disk); the file's size is still checked against its header.
 */
export function readIdx(path: string, options: IdxReadOptions = {}): IdxArray {
  if (typeof path !== 'string' || path === '')
    throw new TypeError(`path must be a non-empty string, got ${describe(path)}`);
  const limit = requireLimit(options.limit);

  if (isGzipPath(path)) {
    let bytes: Uint8Array;
    try {
      bytes = fs.readFileSync(path);
    } catch (err) {
      throw notFoundOr(path, err);
    }
    try {
      bytes = zlib.gunzipSync(bytes);
    } catch (err) {
      throw new Error(`${path}: cannot gunzip: ${(err as Error).message}`);
    }
    const header = parseHeader(path, bytes.subarray(0, Math.min(bytes.length, 4 + 4 * 255)), bytes.length);
    const count = limit === undefined ? header.dims[0] : Math.min(limit, header.dims[0]);
    const exampleBytes = product(header.dims.slice(1));
    return { ...header, count, data: bytes.subarray(header.dataOffset, header.dataOffset + count * exampleBytes) };
  }

  let fd: number;
  try {
    fd = fs.openSync(path, 'r');
  } catch (err) {
    throw notFoundOr(path, err);
  }
  try {
    const stat = fs.fstatSync(fd);
    if (stat.isDirectory()) throw new Error(`${path}: is a directory, not an IDX file`);
    const head = new Uint8Array(Math.min(stat.size, 4 + 4 * 255));
    fs.readSync(fd, head, 0, head.length, 0);
    const header = parseHeader(path, head, stat.size);
    const count = limit === undefined ? header.dims[0] : Math.min(limit, header.dims[0]);
    const data = new Uint8Array(count * product(header.dims.slice(1)));
    let done = 0;
    while (done < data.length) {
      const n = fs.readSync(fd, data, done, data.length - done, header.dataOffset + done);
      if (n === 0) throw new Error(`${path}: truncated IDX file: it ended while reading (file changed on disk?)`);
      done += n;
    }
    return { ...header, count, data };
  } catch (err) {
    // System errors (EIO, ...) get the path; our own format errors already name it.
    throw (err as NodeJS.ErrnoException).code ? notFoundOr(path, err) : err;
  } finally {
    fs.closeSync(fd);
  }
}

/** Reads a 1-D IDX file of labels (MNIST's *-labels-idx1-ubyte). */
export function readIdxLabels(path: string, options: IdxReadOptions = {}): Uint8Array {
  const idx = readIdx(path, options);
  if (idx.dims.length !== 1)
    throw new Error(
      `${path}: expected a 1-D IDX file of labels, got ${idx.dims.length} dimensions (${idx.dims.join(' x ')})`,
    );
  return idx.data;
}

/**
 * Reads an IDX file of examples (3-D images [count, height, width], or any [count, ...] of 2 or more dimensions)
 * as a Matrix (features, count): one example per column, bytes scaled to [0, 1] by dividing by 255.
 */
export function readIdxImages(path: string, options: IdxImageOptions = {}): Matrix {
  const dtype = requireDType(options.dtype ?? 'float64', 'dtype');
  const idx = readIdx(path, options);
  if (idx.dims.length < 2)
    throw new Error(
      `${path}: expected an IDX file of examples with 2 or more dimensions (images are 3-D), got 1 dimension (${idx.dims[0]}): is this a labels file?`,
    );
  const features = product(idx.dims.slice(1));
  if (features === 0 || idx.count === 0)
    throw new Error(`${path}: IDX file holds no data (dimensions ${idx.dims.join(' x ')})`);
  const out = dtype === 'float32' ? scaleBytes32(idx.data) : scaleBytes64(idx.data);
  return new Matrix(features, idx.count, out);
}

// One loop per element type, so each stays monomorphic (a loop shared by both array types runs several times slower).
// float32 stores the float64 quotient rounded once, as numpy's (X / 255).astype(np.float32) does.
function scaleBytes32(bytes: Uint8Array): Float32Array {
  const out = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = bytes[i] / 255;
  return out;
}

function scaleBytes64(bytes: Uint8Array): Float64Array {
  const out = new Float64Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = bytes[i] / 255;
  return out;
}

/**
 * Writes unsigned bytes as an IDX file with the given dimensions (gzip-compressed if the path ends in .gz),
 * e.g. to save a subset of MNIST or make test files.
 */
export function writeIdx(path: string, dims: readonly number[], data: Uint8Array): void {
  if (typeof path !== 'string' || path === '')
    throw new TypeError(`path must be a non-empty string, got ${describe(path)}`);
  if (!Array.isArray(dims) || dims.length < 1 || dims.length > 255)
    throw new TypeError(`dims must be an array of 1 to 255 sizes, got ${describe(dims)}`);
  dims.forEach((d, i) => {
    if (!Number.isInteger(d) || d < 0 || d > 0xffffffff)
      throw new RangeError(`dims[${i}] must be an integer in 0..2^32-1, got ${d}`);
  });
  if (!(data instanceof Uint8Array)) throw new TypeError(`data must be a Uint8Array, got ${describe(data)}`);
  if (data.length !== product(dims))
    throw new RangeError(`data has ${data.length} bytes, but dimensions ${dims.join(' x ')} need ${product(dims)}`);
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = IDX_UNSIGNED_BYTE;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  let bytes: Uint8Array = Buffer.concat([header, data]);
  if (isGzipPath(path)) bytes = zlib.gzipSync(bytes);
  fs.writeFileSync(path, bytes);
}
