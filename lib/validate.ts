// Matrix argument checks (primitive ones are in checks.ts, re-exported here).
import { Matrix } from './matrix';

export { describe, requireDimension, requireLayerDims, requirePositiveNumber } from './checks';

export function requireMatrix(value: unknown, name: string): Matrix {
  if (!(value instanceof Matrix)) {
    const what = Array.isArray(value)
      ? 'an Array (use Matrix.fromRows)'
      : ArrayBuffer.isView(value)
        ? value.constructor.name
        : value === null
          ? 'null'
          : typeof value;
    throw new TypeError(`${name} must be a Matrix, got ${what}`);
  }
  // a Matrix whose buffer was detached (transferred) since it was made
  if (value.data.length !== value.rows * value.cols)
    throw new RangeError(
      `${name}'s data has ${value.data.length} elements, expected ${value.rows * value.cols} (${value.rows} x ${value.cols}); was its buffer transferred?`,
    );
  return value;
}

export function requireShape(matrix: Matrix, name: string, rows: number, cols: number, why = ''): void {
  if (matrix.rows !== rows || matrix.cols !== cols)
    throw new RangeError(
      `${name} has shape (${matrix.rows}, ${matrix.cols}), expected (${rows}, ${cols})${why ? ` ${why}` : ''}`,
    );
}

export function requireSameDType(matrix: Matrix, name: string, reference: Matrix, referenceName: string): void {
  if (matrix.dtype !== reference.dtype)
    throw new TypeError(
      `${name} is ${matrix.dtype} but ${referenceName} is ${reference.dtype}; use one dtype per call`,
    );
}
