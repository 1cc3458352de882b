// CSV files whose rows are examples: numeric feature columns and one label column. Parsed with csv-parse
// (quotes, CRLF, a byte-order mark), then checked cell by cell so that every error names the file, the line and
// the column. X comes out column-major with one example per column: row i of the file is written straight into
// column i, contiguous.
import { describe, requireDimension } from '../checks';
import { readFileChecked } from '../io';
import { allocate, type DType, type FloatArray, Matrix, requireDType } from '../matrix';

// csv-parse publishes its sync API only as the subpath export 'csv-parse/sync', which TypeScript's
// moduleResolution "node" (node10) cannot see, so it is required here with the little of its type we use.
interface CsvRecord {
  record: string[];
  /** info.lines: the line (from 1) on which the record ends. */
  info: { lines: number };
}
const { parse } = require('csv-parse/sync') as {
  parse: (input: string | Buffer, options: Record<string, unknown>) => CsvRecord[];
};

export interface CsvReadOptions {
  /**
   * Whether the first row names the columns: true, false, or 'auto' (the default): a header when none of its
   * cells is a number (so a data row with a typo is reported as such, not taken for a header).
   */
  header?: boolean | 'auto';
  /** The field separator (default ','). */
  delimiter?: string;
  /** Element type of X and Y (default 'float64'). */
  dtype?: DType;
  /** Files larger than this many bytes are refused before they are read (default 512 MiB). */
  maxBytes?: number;
}

export const DEFAULT_CSV_MAX_BYTES = 512 * 1024 ** 2;
// The largest finite float32, as a float64: values beyond it round to Infinity when stored as float32.
const FLOAT32_MAX = 3.4028234663852886e38;

export interface CsvOptions extends CsvReadOptions {
  /**
   * The label column: its name in the header, or its index from 0 (negative counts from the end).
   * Default: the last column.
   */
  labelColumn?: string | number;
  /** 'binary' (the default): every label must be 0 or 1. 'any': any finite number (for multi-class work). */
  labels?: 'binary' | 'any';
}

export interface CsvFeatures {
  /** (features, m): one example (one row of the file) per column. */
  X: Matrix;
  /** The header's names of X's rows, or null without a header. */
  featureNames: string[] | null;
  path: string;
}

export interface CsvData extends CsvFeatures {
  /** (1, m): the label of each example. */
  Y: Matrix;
  /** The header's name of the label column, or null without a header. */
  labelName: string | null;
}

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

interface Table {
  path: string;
  header: string[] | null;
  rows: CsvRecord[];
  columns: number;
  /** header was 'auto' and the first row was taken for data. */
  guessedNoHeader: boolean;
  /** the element type the values are stored as */
  dtype: DType;
}

/** A cell's text for a message: long ones cut, so a 300-digit number does not fill the screen. */
function shortText(cell: string): string {
  return cell.length > 40 ? `${cell.slice(0, 37)}...` : cell;
}

function isNumberCell(cell: string): boolean {
  return NUMBER.test(cell.trim());
}

function readTable(path: string, options: CsvReadOptions): Table {
  if (typeof path !== 'string' || path === '')
    throw new TypeError(`path must be a non-empty string, got ${describe(path)}`);
  const headerOption = options.header ?? 'auto';
  if (headerOption !== true && headerOption !== false && headerOption !== 'auto')
    throw new TypeError(`header must be true, false or 'auto', got ${describe(headerOption)}`);
  const delimiter = options.delimiter ?? ',';
  if (typeof delimiter !== 'string' || delimiter.length === 0 || /["\r\n]/.test(delimiter))
    throw new TypeError(
      `delimiter must be a non-empty string without quotes or line breaks, got ${describe(delimiter)}`,
    );

  const maxBytes =
    options.maxBytes === undefined ? DEFAULT_CSV_MAX_BYTES : requireDimension(options.maxBytes, 'maxBytes');
  const text = readFileChecked(path, 'CSV file', maxBytes);
  let records: CsvRecord[];
  try {
    // Ragged rows are let through here and reported below, with the file's name and the expected count.
    records = parse(text, { info: true, bom: true, delimiter, skip_empty_lines: true, relax_column_count: true });
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message}`);
  }
  if (records.length === 0) throw new Error(`${path}: empty CSV file (no rows)`);

  const first = records[0];
  const hasHeader = headerOption === 'auto' ? !first.record.some(isNumberCell) : headerOption;
  const header = hasHeader ? first.record.map((name) => name.trim()) : null;
  const rows = hasHeader ? records.slice(1) : records;
  if (rows.length === 0)
    throw new Error(`${path}: the CSV file has a header (line ${first.info.lines}) but no data rows`);
  const columns = first.record.length;
  for (const row of rows) {
    if (row.record.length !== columns)
      throw new Error(
        `${path} line ${row.info.lines}: ${row.record.length} columns, expected ${columns} as on line ${first.info.lines}`,
      );
  }
  return {
    path,
    header,
    rows,
    columns,
    guessedNoHeader: headerOption === 'auto' && !hasHeader,
    dtype: options.dtype ?? 'float64',
  };
}

function columnName(table: Table, column: number): string {
  return table.header ? `column ${column + 1} ("${table.header[column]}")` : `column ${column + 1}`;
}

function cellValue(table: Table, row: CsvRecord, column: number): number {
  const cell = row.record[column].trim();
  const where = `${table.path} line ${row.info.lines}, ${columnName(table, column)}`;
  if (!NUMBER.test(cell)) {
    const hint = table.guessedNoHeader && row === table.rows[0] ? ' (if this line is a header, pass header: true)' : '';
    throw new Error(
      (cell === ''
        ? `${where}: empty cell, expected a number`
        : `${where}: ${JSON.stringify(shortText(cell))} is not a number`) + hint,
    );
  }
  const value = Number(cell);
  if (!Number.isFinite(value)) throw new Error(`${where}: ${shortText(cell)} is too large for a floating-point number`);
  if (table.dtype === 'float32' && Math.abs(value) > FLOAT32_MAX)
    throw new Error(
      `${where}: ${value} is beyond the float32 range (about 3.4e+38); load the data as float64 or rescale it`,
    );
  return value;
}

function resolveLabelColumn(table: Table, labelColumn: string | number | undefined): number {
  if (labelColumn === undefined) return table.columns - 1;
  if (typeof labelColumn === 'number') {
    if (!Number.isInteger(labelColumn) || labelColumn >= table.columns || labelColumn < -table.columns)
      throw new RangeError(
        `labelColumn ${labelColumn} is outside the ${table.columns} columns of ${table.path} (0..${table.columns - 1}, or negative from the end)`,
      );
    return labelColumn < 0 ? table.columns + labelColumn : labelColumn;
  }
  if (typeof labelColumn !== 'string')
    throw new TypeError(`labelColumn must be a column name or index, got ${describe(labelColumn)}`);
  if (!table.header)
    throw new Error(
      `${table.path}: labelColumn ${JSON.stringify(labelColumn)} is a name, but the file has no header row (give the column's index instead)`,
    );
  const index = table.header.indexOf(labelColumn.trim());
  if (index < 0)
    throw new Error(
      `${table.path}: no column named ${JSON.stringify(labelColumn)} in the header (${table.header.map((h) => JSON.stringify(h)).join(', ')})`,
    );
  return index;
}

/** Fills X (features, m) column by column from the file's rows, skipping the label column (if any). */
function fillFeatures(table: Table, labelIndex: number, dtype: DType): { X: Matrix; featureNames: string[] | null } {
  const featureColumns: number[] = [];
  for (let c = 0; c < table.columns; c++) if (c !== labelIndex) featureColumns.push(c);
  if (featureColumns.length === 0)
    throw new Error(`${table.path}: no feature columns${labelIndex >= 0 ? ' besides the label column' : ''}`);
  const n = featureColumns.length;
  const data: FloatArray = allocate(dtype, n * table.rows.length);
  table.rows.forEach((row, i) => {
    for (let f = 0; f < n; f++) data[f + i * n] = cellValue(table, row, featureColumns[f]);
  });
  return {
    X: new Matrix(n, table.rows.length, data),
    featureNames: table.header ? featureColumns.map((c) => table.header![c]) : null,
  };
}

/**
 * Loads a CSV file of examples (one per row) with a label column: X (features, m) and Y (1, m).
 * Errors name the file, the line and the column: non-numeric or empty cells, ragged rows, an empty file,
 * labels other than 0/1 (unless labels: 'any').
 */
export function loadCsv(path: string, options: CsvOptions = {}): CsvData {
  const dtype = requireDType(options.dtype ?? 'float64', 'dtype');
  const labelsOption = options.labels ?? 'binary';
  if (labelsOption !== 'binary' && labelsOption !== 'any')
    throw new TypeError(`labels must be 'binary' or 'any', got ${describe(labelsOption)}`);
  const table = readTable(path, options);
  const labelIndex = resolveLabelColumn(table, options.labelColumn);
  if (table.columns < 2)
    throw new Error(`${path}: only 1 column: a CSV of examples needs feature columns and a label column`);

  const Y = allocate(dtype, table.rows.length);
  table.rows.forEach((row, i) => {
    const label = cellValue(table, row, labelIndex);
    if (labelsOption === 'binary' && label !== 0 && label !== 1)
      throw new Error(
        `${path} line ${row.info.lines}, ${columnName(table, labelIndex)}: label ${row.record[labelIndex].trim()} is not 0 or 1 ` +
          "(binary classification; pass labels: 'any' to allow other numeric labels)",
      );
    Y[i] = label;
    // a float32 label must not become a class index by rounding (2.00000001 is not class 2)
    if (Number.isInteger(Y[i]) && !Number.isInteger(label))
      throw new Error(
        `${path} line ${row.info.lines}, ${columnName(table, labelIndex)}: label ${label} is not a whole number, ` +
          `but ${dtype} rounds it to ${Y[i]}; labels must be exact`,
      );
  });
  const { X, featureNames } = fillFeatures(table, labelIndex, dtype);
  return {
    X,
    Y: new Matrix(1, table.rows.length, Y),
    featureNames,
    labelName: table.header ? table.header[labelIndex] : null,
    path,
  };
}

/** Loads a CSV file of examples without labels (every column is a feature), e.g. to predict: X (features, m). */
export function loadCsvFeatures(path: string, options: CsvReadOptions = {}): CsvFeatures {
  const dtype = requireDType(options.dtype ?? 'float64', 'dtype');
  const table = readTable(path, options);
  return { ...fillFeatures(table, -1, dtype), path };
}
