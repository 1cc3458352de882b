// Where the command line's examples come from: a CSV file, an IDX images file (+ an IDX labels file), or the bundled
// MNIST digits; the labels each kind of model takes; and the checks that a saved model fits the data.
import fs from 'node:fs';
import path from 'node:path';
import { loadCsv, loadCsvFeatures } from '../data/csv';
import { readIdxDataset, readIdxImages } from '../data/idx';
import { type BinaryTask, binaryTask, loadMnist, MNIST_CLASSES, type MnistSplit } from '../data/mnist';
import { type DType, Matrix } from '../matrix';
import { Model } from '../model/model';
/**
 * 'binary': labels 0/1 for a sigmoid output; 'classes': class indices 0..k-1 for a softmax output; 'targets':
 * numeric targets for a linear output (a CSV file's label column only: MNIST and IDX labels are digits).
 */
export type LabelKind = 'binary' | 'classes' | 'targets';

/** A CSV file (not mnist, not IDX): its labels may be targets. */
export function isCsvSource(source: string): boolean {
  return !MNIST_SOURCE.test(source) && sniffKind(source) === 'csv';
}

export interface DataOptions {
  data: string;
  labels?: string;
  labelColumn?: string;
  task?: string;
  limit?: number;
}

export interface Examples {
  X: Matrix;
  /** (1, m): 0/1 labels or class indices; null when loaded without labels (predict) */
  Y: Matrix | null;
  /** what to call the data in messages */
  name: string;
  /** what the labels mean, for MNIST's tasks and class labels */
  labelMeaning?: string;
  /** the number of classes the labels imply (class labels only): 10 for digits, else the largest label + 1 */
  classCount?: number;
  /** "feature columns" (CSV) or "features" */
  featureWord: string;
  kind: 'csv' | 'idx' | 'mnist';
  mnistSplit?: MnistSplit;
}

/** An error for the user: printed as one line, without a stack trace. */
export class UsageError extends Error {}

const MNIST_SOURCE = /^mnist(?::(train|test))?$/;

/** 'digits': the 10 digits as classes; otherwise a binary task on the digits. */
type Task = 'digits' | BinaryTask;

function parseTask(task: string): Task {
  if (task === 'digits' || task === 'even-odd') return task;
  const match = /^digits:([0-9](?:,[0-9])*)$/.exec(task);
  if (!match)
    throw new UsageError(
      `--task must be digits, even-odd or digits:<list>, e.g. digits:1,3,5 (the digits labelled 1), got ${JSON.stringify(task)}`,
    );
  return { positive: match[1].split(',').map(Number) };
}

function describeTask(task: Task): string {
  if (task === 'digits') return 'the digit, 10 classes (0-9)';
  return task === 'even-odd'
    ? 'even digits (1) vs odd digits (0)'
    : `digits ${task.positive.join(', ')} (1) vs the others (0)`;
}

/** The labels of a task on digit labels: the digits themselves (class indices) or a binary task's 0/1. */
function taskLabels(digits: Uint8Array, task: Task, dtype: DType): Matrix {
  if (task !== 'digits') return binaryTask(digits, task, dtype);
  const Y = Matrix.zeros(1, digits.length, dtype);
  Y.data.set(digits);
  return Y;
}

/** The task for digit labels: --task, or by default the 10 digits for class labels and even vs odd for binary ones. */
export function chooseTask(task: string | undefined, labelKind: LabelKind): Task {
  const chosen = parseTask(task ?? (labelKind === 'classes' ? 'digits' : 'even-odd'));
  if (chosen === 'digits' && labelKind === 'binary')
    throw new UsageError(
      '--task digits has 10 classes: it needs a softmax output (--output-activation softmax, the default with --task digits)',
    );
  return chosen;
}

/** IDX files start with two zero bytes; gzip-compressed IDX files are named *.gz. Anything else is read as CSV. */
export function sniffKind(file: string): 'csv' | 'idx' {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UsageError(`data file not found: ${file}`);
    throw new UsageError(`cannot read the data file ${file}: ${(error as Error).message}`);
  }
  try {
    if (fs.fstatSync(fd).isDirectory()) throw new UsageError(`${file} is a directory, not a data file`);
    if (file.toLowerCase().endsWith('.gz')) return 'idx';
    const head = Buffer.alloc(2);
    const read = fs.readSync(fd, head, 0, 2, 0);
    return read === 2 && head[0] === 0 && head[1] === 0 ? 'idx' : 'csv';
  } finally {
    fs.closeSync(fd);
  }
}

/** 1-based column number or header name, as the CLI takes it, to loadCsv's 0-based index or name. */
export function csvLabelColumn(value: string | undefined): string | number | undefined {
  if (value === undefined) return undefined;
  if (/^-?\d+$/.test(value.trim())) {
    const number = Number(value);
    if (number < 1) throw new UsageError(`--label-column counts columns from 1, got ${value}`);
    return number - 1;
  }
  return value;
}

/** Checks that class labels are integers from 0; returns the number of classes they imply (at least 2). */
function requireClassIndices(Y: Matrix, where: string): number {
  let largest = 0;
  for (let j = 0; j < Y.cols; j++) {
    const label = Y.data[j];
    if (!Number.isInteger(label) || label < 0)
      throw new UsageError(
        `${where}: label ${label} of example ${j + 1} is not a class index (softmax labels are the classes 0, 1, 2, ...)`,
      );
    largest = Math.max(largest, label);
  }
  return Math.max(2, largest + 1);
}

const CSV_BINARY_HINT = / \(binary classification;[^)]*\)$/;

function loadCsvExamples(
  source: string,
  dtype: DType,
  labelColumn: string | number | undefined,
  labelKind: LabelKind,
): { X: Matrix; Y: Matrix } {
  if (labelKind !== 'binary') return loadCsv(source, { dtype, labelColumn, labels: 'any' });
  try {
    return loadCsv(source, { dtype, labelColumn });
  } catch (error) {
    // loadCsv's hint for a label other than 0/1 speaks to library users; say what to do on the command line
    const message = (error as Error).message;
    if (/: label .* is not 0 or 1/.test(message))
      throw new UsageError(
        `${message.replace(CSV_BINARY_HINT, '')} (binary classification; for classes 0..k-1 train a softmax model: --output-activation softmax)`,
      );
    throw error;
  }
}

export function loadExamples(
  options: DataOptions,
  dtype: DType,
  needLabels: boolean,
  defaultSplit: MnistSplit,
  labelKind: LabelKind,
): Examples {
  const source = options.data;
  const mnist = MNIST_SOURCE.exec(source);
  if (labelKind === 'targets' && !isCsvSource(source))
    throw new UsageError(
      `--output-activation linear (regression) needs numeric targets, a CSV file's label column; ${source} has digit labels`,
    );
  let examples: Examples;
  if (mnist) {
    if (options.labels !== undefined)
      throw new UsageError('--labels is for IDX data files; with --data mnist the labels come with the digits');
    if (options.labelColumn !== undefined)
      throw new UsageError('--label-column is for CSV data files, not for --data mnist');
    const split = (mnist[1] as MnistSplit | undefined) ?? defaultSplit;
    const task = chooseTask(options.task, labelKind);
    const loaded = loadMnist({ split, dtype, limit: options.limit });
    examples = {
      X: loaded.X,
      Y: taskLabels(loaded.labels, task, dtype),
      name: `MNIST ${split} images`,
      labelMeaning: describeTask(task),
      classCount: labelKind === 'binary' ? undefined : task === 'digits' ? MNIST_CLASSES : 2,
      featureWord: 'features (pixels)',
      kind: 'mnist',
      mnistSplit: split,
    };
  } else if (sniffKind(source) === 'idx') {
    if (options.labelColumn !== undefined)
      throw new UsageError(
        `--label-column is for CSV files, but ${source} is an IDX file (give its labels with --labels)`,
      );
    if (options.labels !== undefined) {
      // the two files' counts are compared from their headers, before --limit cuts them
      const { X, labels } = readIdxDataset(source, options.labels, { dtype, limit: options.limit });
      examples = { X, Y: null, name: source, featureWord: 'features per example', kind: 'idx' };
      Object.assign(examples, idxLabels(labels, options.labels, options.task, labelKind, dtype));
    } else {
      const X = readIdxImages(source, { dtype, limit: options.limit });
      examples = { X, Y: null, name: source, featureWord: 'features per example', kind: 'idx' };
    }
    if (options.labels === undefined && needLabels)
      throw new UsageError(`${source} is an IDX file of examples: give its labels with --labels <IDX labels file>`);
  } else {
    if (options.labels !== undefined)
      throw new UsageError(
        `--labels is for IDX files, but ${source} is read as CSV: its labels are a column (choose it with --label-column)`,
      );
    if (options.task !== undefined)
      throw new UsageError(
        '--task is for MNIST or IDX digit labels; the labels of a CSV file are used as they are (0/1, or classes 0..k-1 for softmax)',
      );
    const labelColumn = csvLabelColumn(options.labelColumn);
    if (needLabels) {
      const csv = loadCsvExamples(source, dtype, labelColumn, labelKind);
      examples = { X: csv.X, Y: csv.Y, name: source, featureWord: 'feature columns', kind: 'csv' };
      if (labelKind === 'classes') {
        examples.classCount = requireClassIndices(csv.Y, source);
        examples.labelMeaning = `classes 0..${examples.classCount - 1}`;
      }
    } else if (labelColumn !== undefined) {
      // predicting on a labelled file: drop its label column, whatever its values
      const csv = loadCsv(source, { dtype, labelColumn, labels: 'any' });
      examples = { X: csv.X, Y: null, name: source, featureWord: 'feature columns', kind: 'csv' };
    } else {
      examples = {
        X: loadCsvFeatures(source, { dtype }).X,
        Y: null,
        name: source,
        featureWord: 'columns',
        kind: 'csv',
      };
    }
  }
  if (options.limit !== undefined && options.limit < examples.X.cols) {
    examples.X = examples.X.columns(0, options.limit);
    examples.Y = examples.Y?.columns(0, options.limit) ?? null;
  }
  return examples;
}

function idxLabels(
  labels: Uint8Array,
  file: string,
  task: string | undefined,
  labelKind: LabelKind,
  dtype: DType,
): Partial<Examples> {
  const count = labels.length;
  if (task !== undefined) {
    const chosen = chooseTask(task, labelKind);
    for (let j = 0; j < labels.length; j++)
      if (labels[j] > 9)
        throw new UsageError(`${file}: label ${labels[j]} of example ${j + 1} is not a digit 0..9, which --task needs`);
    return {
      Y: taskLabels(labels, chosen, dtype),
      labelMeaning: describeTask(chosen),
      classCount: labelKind === 'binary' ? undefined : chosen === 'digits' ? MNIST_CLASSES : 2,
    };
  }
  const Y = Matrix.zeros(1, count, dtype);
  let largest = 0;
  for (let j = 0; j < labels.length; j++) {
    if (labelKind === 'binary' && labels[j] !== 0 && labels[j] !== 1)
      throw new UsageError(
        `${file}: label ${labels[j]} of example ${j + 1} is not 0 or 1 (binary classification; to map digit labels to 0/1 use --task even-odd or --task digits:1,3,5; ` +
          'for classes 0..k-1 train a softmax model: --output-activation softmax)',
      );
    Y.data[j] = labels[j];
    largest = Math.max(largest, labels[j]);
  }
  if (labelKind === 'binary') return { Y };
  const classCount = Math.max(2, largest + 1);
  return { Y, classCount, labelMeaning: `classes 0..${classCount - 1}` };
}

export function requireModelFits(model: Model, modelFile: string, examples: Examples, labelColumnGiven: boolean): void {
  if (examples.X.rows !== model.inputSize) {
    const hint =
      examples.kind === 'csv' && !labelColumnGiven && examples.Y === null && examples.X.rows === model.inputSize + 1
        ? ' (if one column is the label, name it with --label-column)'
        : '';
    throw new UsageError(
      `the model ${modelFile} takes ${model.inputSize} features, the data ${examples.name} has ${examples.X.rows} ${examples.featureWord}${hint}`,
    );
  }
  if (model.output === 'softmax' && examples.Y !== null)
    requireLabelsWithin(examples, model.outputSize, `the model ${modelFile}`);
}

/** Class labels must index one of the model's `classes` outputs. */
function requireLabelsWithin(examples: Examples, classes: number, owner: string): void {
  const Y = examples.Y as Matrix;
  for (let j = 0; j < Y.cols; j++) {
    if (Y.data[j] >= classes)
      throw new UsageError(
        `${examples.name}: label ${Y.data[j]} of example ${j + 1} is not one of the ${classes} classes (0..${classes - 1}) of ${owner}` +
          (examples.kind === 'csv' ? '' : ' (to map the digits to 0/1, use --task even-odd or --task digits:<list>)'),
      );
  }
}

export function loadModel(file: string): Model {
  const model = Model.load(file);
  if (model.output === 'sigmoid' && model.outputSize !== 1)
    throw new UsageError(
      `${file}: the model has ${model.outputSize} sigmoid outputs; the command line handles binary classifiers (1 sigmoid output) and softmax classifiers`,
    );
  return model;
}

export function labelKindOf(model: Model): LabelKind {
  return model.output === 'softmax' ? 'classes' : 'binary';
}

/** Fails before training when a file could not be written at the end (its folder is missing or not writable). */
export function requireWritableFolder(file: string, option: string): void {
  const folder = path.dirname(path.resolve(file));
  if (fs.existsSync(file) && fs.statSync(file).isDirectory())
    throw new UsageError(`${option} ${file} is a folder; give a file name`);
  try {
    if (!fs.statSync(folder).isDirectory()) throw new UsageError(`${option} ${file}: ${folder} is not a folder`);
    fs.accessSync(folder, fs.constants.W_OK);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(
      code === 'ENOENT'
        ? `${option} ${file}: the folder ${folder} does not exist`
        : `${option} ${file}: cannot write in ${folder}`,
    );
  }
}
