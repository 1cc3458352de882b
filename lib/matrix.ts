// Matrix: rows x cols over a flat, column-major Float64Array or Float32Array (BLAS's order). Element (i, j)
// is data[i + j * rows]; each column (one example) is contiguous, so a run of columns is a view, not a copy.
import { describe, requireDimension } from './checks';

export type DType = 'float32' | 'float64';
export type FloatArray = Float32Array | Float64Array;

export function dtypeOf(data: FloatArray): DType {
  return data instanceof Float32Array ? 'float32' : 'float64';
}

/** A zeroed array; a size this process cannot allocate is a RangeError that says so (with what it was for). */
export function allocate(dtype: DType, length: number, what = 'an array'): FloatArray {
  try {
    return dtype === 'float32' ? new Float32Array(length) : new Float64Array(length);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw new RangeError(
      `cannot allocate ${what} of ${length} ${dtype} values (${(length * (dtype === 'float32' ? 4 : 8)).toExponential(2)} bytes): ${error.message}`,
    );
  }
}

export function requireDType(value: unknown, name: string): DType {
  if (value === 'float32' || value === 'float64') return value;
  throw new TypeError(`${name} must be 'float32' or 'float64', got ${describe(value)}`);
}

export class Matrix<A extends FloatArray = FloatArray> {
  readonly rows: number;
  readonly cols: number;
  readonly data: A;

  /**
   * A rows x cols matrix over `data` (column-major, length rows * cols; used as is, not copied), or zeros of
   * float64 when data is omitted.
   */
  constructor(rows: number, cols: number, data?: A) {
    requireDimension(rows, 'rows');
    requireDimension(cols, 'cols');
    if (data === undefined) {
      data = new Float64Array(rows * cols) as A;
    } else if (!(data instanceof Float64Array || data instanceof Float32Array)) {
      throw new TypeError(`data must be a Float64Array or Float32Array, got ${describe(data)}`);
    } else if (data.length !== rows * cols) {
      throw new RangeError(`data has ${data.length} elements, expected ${rows * cols} (${rows} x ${cols})`);
    }
    this.rows = rows;
    this.cols = cols;
    this.data = data;
  }

  static zeros(rows: number, cols: number, dtype: DType = 'float64'): Matrix {
    requireDimension(rows, 'rows');
    requireDimension(cols, 'cols');
    return new Matrix(rows, cols, allocate(requireDType(dtype, 'dtype'), rows * cols, `a ${rows} x ${cols} matrix`));
  }

  /** From a list of rows (the tutorial's and numpy's nesting), converted to column-major storage. */
  static fromRows(rows: readonly (readonly number[])[], dtype: DType = 'float64'): Matrix {
    if (!Array.isArray(rows) || rows.length === 0)
      throw new TypeError(`rows must be a non-empty array of rows, got ${describe(rows)}`);
    const cols = Array.isArray(rows[0]) ? rows[0].length : 0;
    if (cols === 0) throw new TypeError('rows[0] must be a non-empty array of numbers');
    const out = Matrix.zeros(rows.length, cols, dtype);
    rows.forEach((row, i) => {
      if (!Array.isArray(row) || row.length !== cols)
        throw new RangeError(
          `rows[${i}] must be an array of ${cols} numbers, got ${Array.isArray(row) ? `${row.length} entries` : describe(row)}`,
        );
      row.forEach((v, j) => {
        if (typeof v !== 'number') throw new TypeError(`rows[${i}][${j}] must be a number, got ${describe(v)}`);
        out.data[i + j * out.rows] = v;
      });
    });
    return out;
  }

  /**
   * From examples as they usually arrive, one per row (`examples[j]` holds example j's features), into the
   * layout the network takes: one example per column, so the result is (features, examples). The transpose of
   * fromRows on the same nesting.
   */
  static fromExamples(examples: readonly (readonly number[])[], dtype: DType = 'float64'): Matrix {
    if (!Array.isArray(examples) || examples.length === 0)
      throw new TypeError(`examples must be a non-empty array of rows (one example each), got ${describe(examples)}`);
    const features = Array.isArray(examples[0]) ? examples[0].length : 0;
    if (features === 0) throw new TypeError('examples[0] must be a non-empty array of numbers (its features)');
    const out = Matrix.zeros(features, examples.length, dtype);
    examples.forEach((example, j) => {
      if (!Array.isArray(example) || example.length !== features)
        throw new RangeError(
          `examples[${j}] must be an array of ${features} numbers, got ${Array.isArray(example) ? `${example.length} entries` : describe(example)}`,
        );
      // example j is column j: contiguous in column-major storage
      example.forEach((v, i) => {
        if (typeof v !== 'number') throw new TypeError(`examples[${j}][${i}] must be a number, got ${describe(v)}`);
        out.data[i + j * features] = v;
      });
    });
    return out;
  }

  /** A new (cols, rows) matrix holding the transpose, in the same dtype. */
  transpose(): Matrix<A> {
    const out = Matrix.zeros(this.cols, this.rows, this.dtype) as Matrix<A>;
    const rows = this.rows,
      cols = this.cols,
      source = this.data,
      target = out.data;
    for (let j = 0; j < cols; j++) for (let i = 0; i < rows; i++) target[j + i * cols] = source[i + j * rows];
    return out;
  }

  get dtype(): DType {
    return dtypeOf(this.data);
  }

  get shape(): [number, number] {
    return [this.rows, this.cols];
  }

  get(i: number, j: number): number {
    return this.data[i + j * this.rows];
  }

  set(i: number, j: number, value: number): void {
    this.data[i + j * this.rows] = value;
  }

  /** Rows as nested arrays (the tutorial's layout). */
  toRows(): number[][] {
    const out: number[][] = [];
    for (let i = 0; i < this.rows; i++) {
      const row = new Array<number>(this.cols);
      for (let j = 0; j < this.cols; j++) row[j] = this.data[i + j * this.rows];
      out.push(row);
    }
    return out;
  }

  /** Columns [start, end) as a view sharing this matrix's memory (a mini-batch of examples). */
  columns(start: number, end: number): Matrix<A> {
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > this.cols || end <= start)
      throw new RangeError(`columns(${start}, ${end}) is outside 0..${this.cols} or empty`);
    return new Matrix(this.rows, end - start, this.data.subarray(start * this.rows, end * this.rows) as A);
  }

  clone(): Matrix<A> {
    return new Matrix(this.rows, this.cols, this.data.slice() as A);
  }

  /** A copy in the other dtype (or a copy in the same one). */
  astype(dtype: DType): Matrix {
    const out = Matrix.zeros(this.rows, this.cols, dtype);
    out.data.set(this.data);
    return out;
  }
}

// Matrix argument checks: each throws a TypeError or RangeError naming the argument.

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
