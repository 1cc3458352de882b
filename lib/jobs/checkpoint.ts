// A trial's checkpoint as bytes (what a Redis worker stores after every segment): "DNNCKPT1", uint32 header length
// H, a JSON header { done, costs, adamStep, dtype, count, velocity, squares }, zero padding to 8 bytes, then the
// parameters and, when present, the momentum/Adam arrays, count values each. Decoding checks every length; the
// trial runner then checks that the arrays fit the trial's model.
// (The model file v2 of the reliability issue will store the optimiser state too; then this can become that file.)
import { describe } from '../checks';
import { allocate, type DType, type FloatArray } from '../matrix';
import type { TrialCheckpoint } from './trial';

const MAGIC = 'DNNCKPT1';
const MAX_HEADER_BYTES = 1 << 20;

interface CheckpointHeader {
  done: number;
  costs: number[];
  adamStep: number;
  dtype: DType;
  count: number;
  velocity: boolean;
  squares: boolean;
}

/** Encodes a checkpoint; its state may be views of a model's memory (they are copied here). */
export function encodeCheckpoint(checkpoint: TrialCheckpoint): Buffer {
  const { params, velocity, squares, adamStep } = checkpoint.state;
  const header: CheckpointHeader = {
    done: checkpoint.done,
    costs: checkpoint.costs,
    adamStep,
    dtype: params instanceof Float32Array ? 'float32' : 'float64',
    count: params.length,
    velocity: velocity !== null,
    squares: squares !== null,
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const offset = Math.ceil((12 + json.length) / 8) * 8;
  const arrays = [params, velocity, squares].filter((a): a is FloatArray => a !== null);
  const bytes = Buffer.alloc(offset + arrays.length * params.byteLength);
  bytes.write(MAGIC, 0, 'latin1');
  bytes.writeUInt32LE(json.length, 8);
  json.copy(bytes, 12);
  arrays.forEach((a, k) => {
    Buffer.from(a.buffer, a.byteOffset, a.byteLength).copy(bytes, offset + k * params.byteLength);
  });
  return bytes;
}

/** Reads checkpoint bytes of a model of `dtype`; throws an Error saying what is wrong. */
export function decodeCheckpoint(bytes: Uint8Array, dtype: DType, what = 'checkpoint'): TrialCheckpoint {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.length < 12 || buffer.toString('latin1', 0, 8) !== MAGIC)
    throw new Error(`${what}: not a checkpoint (the magic "${MAGIC}" is missing)`);
  const headerLength = buffer.readUInt32LE(8);
  if (headerLength > MAX_HEADER_BYTES || 12 + headerLength > buffer.length)
    throw new Error(`${what}: header of ${headerLength} bytes does not fit`);
  let header: CheckpointHeader;
  try {
    header = JSON.parse(buffer.toString('utf8', 12, 12 + headerLength));
  } catch {
    throw new Error(`${what}: the header is not JSON`);
  }
  const { done, costs, adamStep, count } = header ?? {};
  if (header?.dtype !== dtype) throw new Error(`${what}: dtype ${describe(header?.dtype)}, the model is ${dtype}`);
  if (!Number.isSafeInteger(count) || count < 1) throw new Error(`${what}: count ${describe(count)} is not valid`);
  if (!Array.isArray(costs) || !costs.every((c) => typeof c === 'number'))
    throw new Error(`${what}: costs must be an array of numbers`);
  const size = dtype === 'float32' ? 4 : 8;
  const arrays = 1 + (header.velocity === true ? 1 : 0) + (header.squares === true ? 1 : 0);
  const offset = Math.ceil((12 + headerLength) / 8) * 8;
  if (buffer.length !== offset + arrays * count * size)
    throw new Error(`${what}: ${buffer.length} bytes, expected ${offset + arrays * count * size}`);
  let at = offset;
  const take = (): FloatArray => {
    const out = allocate(dtype, count, `${what}: ${count} values`);
    new Uint8Array(out.buffer).set(buffer.subarray(at, at + count * size));
    at += count * size;
    return out;
  };
  const params = take();
  const velocity = header.velocity === true ? take() : null;
  const squares = header.squares === true ? take() : null;
  return { done, costs, state: { params, velocity, squares, adamStep } };
}
