// Rows as Node apps hold them, one example per row, into the column-major Matrix (features, examples) the network
// takes: number[][], a row-major typed array with its column count, or objects keyed by feature name (the names are
// kept, and checked when predicting).
import { describe } from '../checks';
import { type DType, Matrix } from '../matrix';

export type Rows =
  | readonly (readonly number[])[]
  | { readonly data: ArrayLike<number>; readonly columns: number }
  | readonly Readonly<Record<string, number>>[];

function isRowMajorArray(rows: unknown): rows is { data: ArrayLike<number>; columns: number } {
  return typeof rows === 'object' && rows !== null && !Array.isArray(rows) && 'data' in rows && 'columns' in rows;
}

/**
 * X (features, examples) from rows. `featureNames`: the names a model was trained with (object rows must have
 * exactly these keys); omitted, object rows take the first row's keys, in order.
 */
export function rowsToMatrix(
  rows: Rows,
  dtype: DType,
  featureNames?: readonly string[],
  name = 'rows',
): { X: Matrix; featureNames?: string[] } {
  if (isRowMajorArray(rows)) {
    const { data, columns } = rows;
    if (!Number.isInteger(columns) || columns < 1)
      throw new RangeError(`${name}.columns must be a positive integer, got ${describe(columns)}`);
    if (!ArrayBuffer.isView(data) && !Array.isArray(data))
      throw new TypeError(`${name}.data must be a typed array or an array of numbers, got ${describe(data)}`);
    if (data.length === 0 || data.length % columns !== 0)
      throw new RangeError(`${name}.data has ${data.length} values, not a positive multiple of ${columns} columns`);
    const m = data.length / columns;
    const X = Matrix.zeros(columns, m, dtype);
    // row-major (m, columns) is column-major (columns, m): the same order, one example per column
    for (let k = 0; k < data.length; k++) {
      const v = data[k];
      if (typeof v !== 'number' || Number.isNaN(v))
        throw new TypeError(
          `${name}.data[${k}] (row ${Math.floor(k / columns)}, column ${k % columns}) is ${describe(v)}`,
        );
      X.data[k] = v;
    }
    return { X };
  }
  if (!Array.isArray(rows) || rows.length === 0)
    throw new TypeError(`${name} must be a non-empty array of rows, or { data, columns }, got ${describe(rows)}`);
  if (Array.isArray(rows[0])) {
    const X = Matrix.fromExamples(rows as readonly (readonly number[])[], dtype);
    for (let k = 0; k < X.data.length; k++)
      if (Number.isNaN(X.data[k]))
        throw new RangeError(`${name}[${Math.floor(k / X.rows)}][${k % X.rows}] is NaN; rows must hold numbers`);
    return { X };
  }
  const objects = rows as readonly Readonly<Record<string, number>>[];
  if (typeof objects[0] !== 'object' || objects[0] === null)
    throw new TypeError(
      `${name}[0] must be an array of numbers or an object of named features, got ${describe(objects[0])}`,
    );
  const names = featureNames ? [...featureNames] : Object.keys(objects[0]);
  if (names.length === 0) throw new RangeError(`${name}[0] has no features`);
  const X = Matrix.zeros(names.length, objects.length, dtype);
  objects.forEach((row, j) => {
    if (typeof row !== 'object' || row === null || Array.isArray(row))
      throw new TypeError(`${name}[${j}] must be an object of named features, got ${describe(row)}`);
    for (const key of Object.keys(row))
      if (!names.includes(key))
        throw new RangeError(
          `${name}[${j}] has a feature ${JSON.stringify(key)} the model does not know (it takes ${names.join(', ')})`,
        );
    names.forEach((feature, i) => {
      const v = row[feature];
      if (v === undefined) throw new RangeError(`${name}[${j}] lacks the feature ${JSON.stringify(feature)}`);
      if (typeof v !== 'number' || Number.isNaN(v))
        throw new TypeError(`${name}[${j}].${feature} must be a number, got ${describe(v)}`);
      X.data[i + j * names.length] = v;
    });
  });
  return { X, featureNames: names };
}
