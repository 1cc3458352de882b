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
import { DEFAULT_MAX_READ_BYTES, openRegularFile, readFileChecked, readFully, writeFileAtomic } from '../io';
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
  /** Files (and, for .gz, their decompressed bytes) larger than this are refused (default 4 GiB). */
  maxBytes?: number;
}

// The longest IDX header: the magic and 255 dimensions.
const MAX_HEADER_BYTES = 4 + 4 * 255;

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

/**
 * The first `wanted` bytes a gzip file decompresses to (fewer if it holds fewer), decompressing little more than
 * that: growing prefixes of the compressed bytes are inflated with an output cap, so a small .gz that expands to
 * gigabytes costs only what is asked for.
 */
function gunzipPrefix(path: string, compressed: Uint8Array, wanted: number): Buffer {
  // inflating one more input byte adds at most ~1 KB of output (deflate's ratio is at most 1032:1)
  const cap = wanted + 65536;
  const inflate = (inputBytes: number): Buffer | null => {
    try {
      return zlib.gunzipSync(compressed.subarray(0, inputBytes), {
        // a prefix ends mid-stream; the whole file must end properly (a truncated or corrupt one is an error)
        finishFlush: inputBytes < compressed.length ? zlib.constants.Z_SYNC_FLUSH : zlib.constants.Z_FINISH,
        maxOutputLength: cap,
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return null;
      throw new Error(`${path}: cannot gunzip: ${(err as Error).message}`);
    }
  };
  const done = (out: Buffer) => Buffer.from(out.subarray(0, Math.min(wanted, out.length))); // drop the slack
  let low = 0,
    high = Math.min(compressed.length, 4096);
  for (;;) {
    const out = inflate(high);
    if (out === null) break;
    if (out.length >= wanted || high === compressed.length) return done(out);
    low = high;
    high = Math.min(compressed.length, high * 2);
  }
  // inflating `low` bytes gives too little, `high` too much: bisect to a prefix in between
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    const out = inflate(middle);
    if (out === null) high = middle;
    else if (out.length >= wanted) return done(out);
    else low = middle;
  }
  throw new Error(`${path}: cannot gunzip: the data expands too fast`);
}

/** The whole decompressed content of a gzip file, refused when it is larger than `maxBytes`. */
function gunzipAll(path: string, compressed: Uint8Array, maxBytes: number, declared: number): Buffer {
  try {
    return zlib.gunzipSync(compressed, { maxOutputLength: maxBytes });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
      throw new Error(
        `${path}: the IDX data decompresses to more than the ${maxBytes} bytes ${declared < maxBytes ? 'its header declares' : 'allowed'}`,
      );
    throw new Error(`${path}: cannot gunzip: ${(err as Error).message}`);
  }
}

/**
 * Reads an IDX file of unsigned bytes, regular files only. With `limit`, only the first `limit` examples are
 * returned, and only they are read from disk (or decompressed, for a .gz); the size of an uncompressed file, and of
 * a .gz read whole, is still checked against its header.
 */
export function readIdx(path: string, options: IdxReadOptions = {}): IdxArray {
  if (typeof path !== 'string' || path === '')
    throw new TypeError(`path must be a non-empty string, got ${describe(path)}`);
  const limit = requireLimit(options.limit);
  const maxBytes =
    options.maxBytes === undefined ? DEFAULT_MAX_READ_BYTES : requireDimension(options.maxBytes, 'maxBytes');

  if (isGzipPath(path)) {
    const compressed = readFileChecked(path, 'IDX file', maxBytes);
    const head = gunzipPrefix(path, compressed, MAX_HEADER_BYTES);
    const declared = headerSize(path, head);
    const count = limit === undefined ? declared.dims[0] : Math.min(limit, declared.dims[0]);
    const exampleBytes = product(declared.dims.slice(1));
    const total = declared.dataOffset + product(declared.dims);
    if (total > maxBytes)
      throw new Error(`${path}: the IDX header declares ${total} bytes, more than the ${maxBytes} allowed`);
    if (count === declared.dims[0]) {
      // all of it: decompress at most one byte more than the header declares, so extra data is caught
      const bytes = gunzipAll(path, compressed, total + 1, total);
      const header = parseHeader(path, bytes.subarray(0, Math.min(bytes.length, MAX_HEADER_BYTES)), bytes.length);
      return { ...header, count, data: bytes.subarray(header.dataOffset) };
    }
    const wanted = declared.dataOffset + count * exampleBytes;
    const bytes = gunzipPrefix(path, compressed, wanted);
    if (bytes.length < wanted)
      throw new Error(
        `${path}: truncated IDX file: dimensions ${declared.dims.join(' x ')} need ${total - declared.dataOffset} bytes of data, the file has ${bytes.length - declared.dataOffset}`,
      );
    return { ...declared, count, data: bytes.subarray(declared.dataOffset) };
  }

  const { fd, size } = openRegularFile(path, 'IDX file', maxBytes);
  try {
    const head = new Uint8Array(Math.min(size, MAX_HEADER_BYTES));
    readFully(fd, head, 0, path, 'IDX file');
    const header = parseHeader(path, head, size);
    const count = limit === undefined ? header.dims[0] : Math.min(limit, header.dims[0]);
    const data = new Uint8Array(count * product(header.dims.slice(1)));
    readFully(fd, data, header.dataOffset, path, 'IDX file');
    return { ...header, count, data };
  } finally {
    fs.closeSync(fd);
  }
}

/** The dimensions a (possibly partial) header declares, checked as parseHeader does but without the data's size. */
function headerSize(path: string, head: Uint8Array): IdxHeader {
  const ndims = head.length >= 4 ? head[3] : 0;
  const dataOffset = 4 + 4 * ndims;
  // parse as if the data were complete; the size is checked once the data is decompressed
  const dims: number[] = [];
  if (head.length >= dataOffset)
    for (let d = 0; d < ndims; d++) dims.push(new DataView(head.buffer, head.byteOffset).getUint32(4 + 4 * d, false));
  return parseHeader(path, head, head.length < dataOffset ? head.length : dataOffset + product(dims));
}

/** Reads a 1-D IDX file of labels (MNIST's *-labels-idx1-ubyte). */
export function readIdxLabels(path: string, options: IdxReadOptions = {}): Uint8Array {
  return labelsOf(path, readIdx(path, options)).data;
}

function labelsOf(path: string, idx: IdxArray): IdxArray {
  if (idx.dims.length !== 1)
    throw new Error(
      `${path}: expected a 1-D IDX file of labels, got ${idx.dims.length} dimensions (${idx.dims.join(' x ')})`,
    );
  return idx;
}

/**
 * Reads an IDX file of examples (3-D images [count, height, width], or any [count, ...] of 2 or more dimensions)
 * as a Matrix (features, count): one example per column, bytes scaled to [0, 1] by dividing by 255.
 */
export function readIdxImages(path: string, options: IdxImageOptions = {}): Matrix {
  const dtype = requireDType(options.dtype ?? 'float64', 'dtype');
  return imagesOf(path, readIdx(path, options), dtype);
}

function imagesOf(path: string, idx: IdxArray, dtype: DType): Matrix {
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

/**
 * Reads an IDX file of examples and the IDX file of their labels together. The two files must hold the same
 * number of entries, compared from their headers before `limit` applies (so a test set's images with the training
 * set's labels are refused, whatever the limit).
 */
export function readIdxDataset(
  imagesPath: string,
  labelsPath: string,
  options: IdxImageOptions = {},
): { X: Matrix; labels: Uint8Array } {
  const dtype = requireDType(options.dtype ?? 'float64', 'dtype');
  const images = readIdx(imagesPath, options);
  const labels = labelsOf(labelsPath, readIdx(labelsPath, options));
  if (labels.dims[0] !== images.dims[0])
    throw new Error(`${labelsPath} has ${labels.dims[0]} labels, but ${imagesPath} has ${images.dims[0]} examples`);
  return { X: imagesOf(imagesPath, images, dtype), labels: labels.data };
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
  writeFileAtomic(path, bytes, { what: 'IDX file' });
}
