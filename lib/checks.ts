// Primitive argument checks shared by the whole lib: each throws a TypeError (wrong kind of value) or
// RangeError (right kind, wrong size or value) naming the argument and saying what was expected.

function isMatrixLike(value: unknown): value is { rows: number; cols: number; constructor: { name: string } } {
  return typeof value === 'object' && value !== null && 'rows' in value && 'cols' in value && 'data' in value;
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return 'an Array';
  if (ArrayBuffer.isView(value)) return value.constructor.name;
  if (isMatrixLike(value)) return `a ${value.rows}x${value.cols} ${value.constructor.name}`;
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') return String(value);
  if (typeof value === 'object') return value.constructor?.name ? `a ${value.constructor.name}` : 'an object';
  return typeof value;
}

export function requireDimension(value: unknown, name: string): number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a positive integer, got ${describe(value)}`);
  if (!Number.isInteger(value) || value < 1 || value > 2147483647)
    throw new RangeError(`${name} must be a positive integer (at most 2147483647), got ${value}`);
  return value;
}

export function requirePositiveNumber(value: unknown, name: string): number {
  if (typeof value !== 'number')
    throw new TypeError(`${name} must be a positive finite number, got ${describe(value)}`);
  if (!Number.isFinite(value) || value <= 0)
    throw new RangeError(`${name} must be a positive finite number, got ${value}`);
  return value;
}

export function requireLayerDims(value: unknown, name = 'layerDims'): number[] {
  if (!Array.isArray(value))
    throw new TypeError(`${name} must be an array of positive integers, got ${describe(value)}`);
  if (value.length < 2)
    throw new RangeError(`${name} needs at least 2 entries (input and output sizes), got ${value.length}`);
  return value.map((v, i) => requireDimension(v, `${name}[${i}]`));
}
