#!/usr/bin/env node
// The dnn-native command: train a classifier on a CSV file, an IDX pair (MNIST's format) or the bundled MNIST digits,
// then predict with it or evaluate it. Binary classifiers have one sigmoid output and 0/1 labels; multi-class ones a
// softmax output and class indices 0..k-1 as labels. Every failure is one line on stderr and a non-zero exit code;
// the messages name the file, the option or the shapes involved.
import fs from 'node:fs';
import path from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { loadCsv, loadCsvFeatures } from '../data/csv';
import { readIdxImages, readIdxLabels } from '../data/idx';
import { type BinaryTask, binaryTask, loadMnist, MNIST_CLASSES, type MnistSplit } from '../data/mnist';
import { type DType, Matrix } from '../matrix';
import { type FitOptions, Model } from '../model/model';
import {
  type HiddenActivation,
  type ModelOptions,
  normaliseModelOptions,
  type OptimizerName,
  type OutputActivation,
} from '../model/options';
import { plotCosts } from '../model/plot';
import native, { root as packageRoot } from '../native';
import type { InitScheme } from '../random';
import { fitWithProgress, formatCount, formatPercent } from './progress';

// ---------------------------------------------------------------------------------------------------------
// Data sources: a CSV file, an IDX images file (+ an IDX labels file), or the bundled MNIST digits

/** 'binary': labels 0/1 for a sigmoid output; 'classes': class indices 0..k-1 for a softmax output. */
type LabelKind = 'binary' | 'classes';

interface DataOptions {
  data: string;
  labels?: string;
  labelColumn?: string;
  task?: string;
  limit?: number;
}

interface Examples {
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
class UsageError extends Error {}

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
function chooseTask(task: string | undefined, labelKind: LabelKind): Task {
  const chosen = parseTask(task ?? (labelKind === 'classes' ? 'digits' : 'even-odd'));
  if (chosen === 'digits' && labelKind === 'binary')
    throw new UsageError(
      '--task digits has 10 classes: it needs a softmax output (--output-activation softmax, the default with --task digits)',
    );
  return chosen;
}

/** IDX files start with two zero bytes; gzip-compressed IDX files are named *.gz. Anything else is read as CSV. */
function sniffKind(file: string): 'csv' | 'idx' {
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
function csvLabelColumn(value: string | undefined): string | number | undefined {
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
  if (labelKind === 'classes') return loadCsv(source, { dtype, labelColumn, labels: 'any' });
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

function loadExamples(
  options: DataOptions,
  dtype: DType,
  needLabels: boolean,
  defaultSplit: MnistSplit,
  labelKind: LabelKind,
): Examples {
  const source = options.data;
  const mnist = MNIST_SOURCE.exec(source);
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
    const X = readIdxImages(source, { dtype, limit: options.limit });
    examples = { X, Y: null, name: source, featureWord: 'features per example', kind: 'idx' };
    if (options.labels !== undefined) {
      const labels = idxLabels(options.labels, X.cols, source, options.task, labelKind, dtype);
      Object.assign(examples, labels);
    } else if (needLabels)
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
  file: string,
  count: number,
  imagesFile: string,
  task: string | undefined,
  labelKind: LabelKind,
  dtype: DType,
): Partial<Examples> {
  const labels = readIdxLabels(file, { limit: count });
  if (labels.length !== count)
    throw new UsageError(`${file} has ${labels.length} labels, but ${imagesFile} has ${count} examples`);
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

function requireModelFits(model: Model, modelFile: string, examples: Examples, labelColumnGiven: boolean): void {
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

function loadModel(file: string): Model {
  const model = Model.load(file);
  if (model.output === 'sigmoid' && model.outputSize !== 1)
    throw new UsageError(
      `${file}: the model has ${model.outputSize} sigmoid outputs; the command line handles binary classifiers (1 sigmoid output) and softmax classifiers`,
    );
  return model;
}

function labelKindOf(model: Model): LabelKind {
  return model.output === 'softmax' ? 'classes' : 'binary';
}

// ---------------------------------------------------------------------------------------------------------
// Option parsers: each throws commander's InvalidArgumentError, which it prints with the option's name.
// The ranges of the model's settings are checked by the Model itself (lib/config.ts), whose messages name the
// option as `options.keepProb`; flagMessage turns those names into the flags.

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1)
    throw new InvalidArgumentError('expected a positive integer.');
  return n;
}

function seedValue(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n > 0xffffffff)
    throw new InvalidArgumentError('expected an integer from 0 to 4294967295.');
  return n;
}

function threadCount(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < 1 || n > 1024)
    throw new InvalidArgumentError('expected an integer from 1 to 1024.');
  return n;
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError('expected a positive number.');
  return n;
}

function nonNegativeNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a number >= 0.');
  return n;
}

function finiteNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError('expected a number.');
  return n;
}

/** "0.8" -> 0.8 (every hidden layer); "0.9,0.8" -> [0.9, 0.8] (one per hidden layer). */
function numberOrList(value: string): number | number[] {
  const parts = value.split(',').map((part) => finiteNumber(part.trim()));
  return parts.length === 1 ? parts[0] : parts;
}

const HIDDEN_ACTIVATIONS: readonly HiddenActivation[] = ['relu', 'leakyRelu', 'tanh', 'sigmoid'];

/** "relu" (every hidden layer) or "relu,tanh" (one per hidden layer). */
function activationList(value: string): HiddenActivation | HiddenActivation[] {
  const parts = value.split(',').map((part) => part.trim());
  for (const part of parts)
    if (!HIDDEN_ACTIVATIONS.includes(part as HiddenActivation))
      throw new InvalidArgumentError(
        `expected ${HIDDEN_ACTIVATIONS.join(', ')}, or a comma-separated list of them (one per hidden layer); ${JSON.stringify(part)} is none of them.`,
      );
  return parts.length === 1 ? (parts[0] as HiddenActivation) : (parts as HiddenActivation[]);
}

function layerList(value: string): number[] {
  const parts = value.split(',').map((s) => s.trim());
  if (parts.length < 2 || !parts.every((s) => /^\d+$/.test(s) && Number(s) >= 1))
    throw new InvalidArgumentError(
      'expected layer sizes separated by commas, input first and outputs last, e.g. 784,128,64,1.',
    );
  return parts.map(Number);
}

const FLAGS: Record<string, string> = {
  layerDims: '--layers',
  dtype: '--dtype',
  init: '--init',
  seed: '--seed',
  hiddenActivation: '--hidden-activation',
  output: '--output-activation',
  optimizer: '--optimizer',
  beta1: '--beta1',
  beta2: '--beta2',
  epsilon: '--epsilon',
  l2: '--l2',
  keepProb: '--keep-prob',
  learningRate: '--learning-rate',
  decayRate: '--decay-rate',
  decayEvery: '--decay-every',
  epochs: '--epochs',
  batchSize: '--batch-size',
};

/** "options.keepProb[1] must be in (0, 1], got 0" -> "--keep-prob (entry 2) must be in (0, 1], got 0". */
function flagMessage(message: string): string {
  return message.replace(/options\.(\w+)(?:\[(\d+)\])?/g, (whole, name: string, index: string | undefined) =>
    name in FLAGS ? `${FLAGS[name]}${index === undefined ? '' : ` (entry ${Number(index) + 1})`}` : whole,
  );
}

/** Runs `action`, turning the Model's TypeError/RangeError about an option into a UsageError naming the flag. */
function asFlagError<T>(action: () => T): T {
  try {
    return action();
  } catch (error) {
    if (error instanceof TypeError || error instanceof RangeError) throw new UsageError(flagMessage(error.message));
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Commands

interface TrainOptions extends DataOptions {
  layers?: number[];
  outputActivation?: OutputActivation;
  hiddenActivation: HiddenActivation | HiddenActivation[];
  optimizer: OptimizerName;
  beta1: number;
  beta2: number;
  epsilon: number;
  l2: number;
  keepProb: number | number[];
  learningRate?: number;
  decayRate: number;
  decayEvery: number;
  epochs: number;
  batchSize: number;
  dtype: DType;
  init: InitScheme;
  seed: number;
  threads?: number;
  output: string;
  plot?: string;
}

const DEFAULT_HIDDEN = [128, 64];
const DEFAULT_LEARNING_RATE: Record<OptimizerName, number> = { gd: 0.1, momentum: 0.1, adam: 0.001 };

/** The softmax or sigmoid output: --output-activation, else softmax for --task digits, else sigmoid. */
function chooseOutput(options: TrainOptions): OutputActivation {
  return options.outputActivation ?? (options.task === 'digits' ? 'softmax' : 'sigmoid');
}

function modelOptions(options: TrainOptions, layerDims: number[], output: OutputActivation): ModelOptions {
  return {
    layerDims,
    dtype: options.dtype,
    init: options.init,
    seed: options.seed,
    output,
    hiddenActivation: options.hiddenActivation,
    optimizer: options.optimizer,
    beta1: options.beta1,
    beta2: options.beta2,
    epsilon: options.epsilon,
    l2: options.l2,
    keepProb: options.keepProb,
  };
}

function checkLayers(layers: number[], examples: Examples, output: OutputActivation): number[] {
  const hidden = layers.slice(1, -1);
  const outputs = output === 'softmax' ? (examples.classCount as number) : 1;
  const suggestion = [
    examples.X.rows,
    ...hidden,
    Math.max(outputs, output === 'softmax' ? layers[layers.length - 1] : 1),
  ].join(',');
  if (layers[0] !== examples.X.rows)
    throw new UsageError(
      `--layers starts with ${layers[0]} inputs, but the data ${examples.name} has ${examples.X.rows} ${examples.featureWord} (try --layers ${suggestion})`,
    );
  const last = layers[layers.length - 1];
  if (output === 'sigmoid' && last !== 1)
    throw new UsageError(
      `--layers must end with 1 (one sigmoid output for the 0/1 label), got ${last} (try --layers ${suggestion}, or --output-activation softmax for ${last} classes)`,
    );
  if (output === 'softmax' && last < outputs)
    throw new UsageError(
      `--layers ends with ${last} outputs, but the labels of ${examples.name} go up to ${outputs - 1}: a softmax output needs one unit per class (try --layers ${suggestion})`,
    );
  return layers;
}

function describeActivations(
  hidden: HiddenActivation | HiddenActivation[],
  hiddenLayers: number,
  output: OutputActivation,
): string {
  if (hiddenLayers === 0) return `${output} output`;
  return `${Array.isArray(hidden) ? hidden.join(', ') : hidden} hidden ${hiddenLayers === 1 ? 'layer' : 'layers'}, ${output} output`;
}

function describeOptimizer(options: TrainOptions, learningRate: number): string {
  const parts = [
    options.optimizer === 'gd'
      ? 'gradient descent'
      : options.optimizer === 'momentum'
        ? `momentum (beta ${options.beta1})`
        : `adam (beta1 ${options.beta1}, beta2 ${options.beta2}, epsilon ${options.epsilon})`,
  ];
  const step = options.decayEvery === 1 ? 'epoch' : `floor(epoch / ${options.decayEvery})`;
  parts.push(`learning rate ${learningRate}${options.decayRate > 0 ? ` / (1 + ${options.decayRate}·${step})` : ''}`);
  if (options.l2 > 0) parts.push(`L2 ${options.l2}`);
  const keep = Array.isArray(options.keepProb) ? options.keepProb : [options.keepProb];
  if (keep.some((k) => k < 1)) parts.push(`dropout keep ${keep.join(',')}`);
  return parts.join(', ');
}

function train(options: TrainOptions): void {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  if (options.plot !== undefined && !/\.(png|svg)$/i.test(options.plot))
    throw new UsageError(`--plot must name a .png or .svg file, got ${JSON.stringify(options.plot)}`);
  requireWritableFolder(options.output, '--output');
  if (options.plot !== undefined) requireWritableFolder(options.plot, '--plot');
  const output = chooseOutput(options);
  // The settings are checked before the data is read, on stand-in layer sizes (the real input size comes with the data).
  const givenOutputs = options.layers?.[options.layers.length - 1];
  const standInLayers = [
    1,
    ...(options.layers?.slice(1, -1) ?? DEFAULT_HIDDEN),
    givenOutputs ?? (output === 'softmax' ? 2 : 1),
  ];
  asFlagError(() => normaliseModelOptions(modelOptions(options, standInLayers, output)));
  const learningRate = options.learningRate ?? DEFAULT_LEARNING_RATE[options.optimizer];
  if (options.threads !== undefined) native.setNumThreads(options.threads);

  const examples = loadExamples(options, options.dtype, true, 'train', output === 'softmax' ? 'classes' : 'binary');
  const X = examples.X,
    Y = examples.Y as Matrix;
  const outputs = output === 'softmax' ? (examples.classCount as number) : 1;
  const layerDims = checkLayers(options.layers ?? [X.rows, ...DEFAULT_HIDDEN, outputs], examples, output);
  const model = asFlagError(() => new Model(modelOptions(options, layerDims, output)));
  const m = X.cols;
  const miniBatch = options.batchSize < m;
  // Full batch: one step per epoch, so print about ten costs rather than one line per step.
  const costEvery = miniBatch ? 1 : Math.max(1, Math.ceil(options.epochs / 10));
  out(
    `data: ${examples.name}: ${formatCount(m)} examples of ${X.rows} features${examples.labelMeaning ? `, labels: ${examples.labelMeaning}` : ''}`,
  );
  out(
    `model: ${layerDims.join('-')} (${describeActivations(options.hiddenActivation, layerDims.length - 2, output)}), ${formatCount(model.parameterCount)} parameters, ${options.dtype}, ${options.init} init, seed ${options.seed}`,
  );
  const threads = native.getNumThreads();
  out(
    `${
      miniBatch
        ? `training: ${options.epochs} epochs of ${Math.ceil(m / options.batchSize)} batches of ${options.batchSize}`
        : `training: full batch (${formatCount(m)} examples), ${options.epochs} steps`
    }, ${describeOptimizer(options, learningRate)}; ${threads} OpenBLAS ${threads === 1 ? 'thread' : 'threads'}`,
  );

  const schedule: Omit<FitOptions, 'onProgress' | 'progressEvery'> = {
    learningRate,
    decayRate: options.decayRate,
    decayEvery: options.decayEvery,
    seed: options.seed,
  };
  const result = asFlagError(() =>
    miniBatch
      ? fitWithProgress(model, X, Y, { ...schedule, epochs: options.epochs, batchSize: options.batchSize })
      : fitWithProgress(model, X, Y, { ...schedule, iterations: options.epochs, costEvery }),
  );
  const trained = model.evaluate(X, Y);
  out(`trained in ${(result.elapsedMs / 1000).toFixed(1)} s (${formatCount(result.examplesPerSecond)} examples/s)`);
  out(
    `train accuracy ${formatPercent(trained.accuracy)} (${formatCount(Math.round(trained.accuracy * m))} of ${formatCount(m)} correct), cost ${trained.cost.toFixed(6)}`,
  );
  if (examples.kind === 'mnist' && examples.mnistSplit === 'train') {
    const test = loadExamples(
      { ...options, data: 'mnist:test', limit: undefined },
      options.dtype,
      true,
      'test',
      labelKindOf(model),
    );
    const tested = model.evaluate(test.X, test.Y as Matrix);
    out(
      `test accuracy ${formatPercent(tested.accuracy)} (${formatCount(Math.round(tested.accuracy * test.X.cols))} of ${formatCount(test.X.cols)} MNIST test images), cost ${tested.cost.toFixed(6)}`,
    );
  }
  model.save(options.output);
  out(`model saved to ${options.output}`);
  if (options.plot !== undefined) {
    const points = result.costs.map((cost, k) => ({ x: miniBatch ? result.costAt[k] + 1 : result.costAt[k], y: cost }));
    plotCosts(points, {
      path: options.plot,
      title: `Training cost: ${examples.name}, ${layerDims.join('-')}`,
      xLabel: miniBatch ? 'epoch' : 'iteration',
    });
    out(`cost curve saved to ${options.plot}`);
  }
}

/** Fails before training when a file could not be written at the end (its folder is missing or not writable). */
function requireWritableFolder(file: string, option: string): void {
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

interface PredictOptions extends DataOptions {
  model: string;
  output?: string;
  allProbabilities?: boolean;
}

function predictCommand(options: PredictOptions): void {
  const model = loadModel(options.model);
  const softmax = model.output === 'softmax';
  if (options.allProbabilities && !softmax)
    throw new UsageError(
      `--all-probabilities is for softmax models; ${options.model} is a binary classifier, whose one probability is already printed`,
    );
  if (options.output !== undefined) requireWritableFolder(options.output, '--output');
  // predictions need no labels (MNIST's come anyway: they are not checked against the model's classes)
  const examples: Examples = { ...loadExamples(options, model.dtype, false, 'test', labelKindOf(model)), Y: null };
  requireModelFits(model, options.model, examples, options.labelColumn !== undefined);
  const probabilities = model.predictProba(examples.X).data;
  const lines: string[] = [];
  if (!softmax) {
    lines.push('prediction,probability');
    // The same threshold as model.predict: 1 where the probability exceeds 0.5.
    for (let j = 0; j < probabilities.length; j++)
      lines.push(`${probabilities[j] > 0.5 ? 1 : 0},${formatProbability(probabilities[j])}`);
  } else {
    const classes = model.outputSize;
    const predicted = model.predict(examples.X).data; // the most probable class, as model.predict picks it
    lines.push(
      [
        'prediction',
        'probability',
        ...(options.allProbabilities ? Array.from({ length: classes }, (_, k) => `p${k}`) : []),
      ].join(','),
    );
    for (let j = 0; j < examples.X.cols; j++) {
      const column = probabilities.subarray(j * classes, (j + 1) * classes);
      const row = [String(predicted[j]), formatProbability(column[predicted[j]])];
      if (options.allProbabilities) for (const p of column) row.push(formatProbability(p));
      lines.push(row.join(','));
    }
  }
  const text = `${lines.join('\n')}\n`;
  if (options.output === undefined) {
    process.stdout.write(text);
    return;
  }
  const temporary = `${options.output}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(temporary, text);
    fs.renameSync(temporary, options.output);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    throw new UsageError(`cannot write ${options.output}: ${(error as Error).message}`);
  }
  process.stdout.write(`wrote ${formatCount(examples.X.cols)} predictions to ${options.output}\n`);
}

/** Enough digits to tell the probability apart from its neighbours in the model's dtype, without float noise. */
function formatProbability(p: number): string {
  return String(Number(p.toPrecision(9)));
}

interface EvaluateOptions extends DataOptions {
  model: string;
}

function evaluateCommand(options: EvaluateOptions): void {
  const model = loadModel(options.model);
  const examples = loadExamples(options, model.dtype, true, 'test', labelKindOf(model));
  requireModelFits(model, options.model, examples, true);
  const Y = examples.Y as Matrix;
  const { cost, accuracy } = model.evaluate(examples.X, Y);
  const m = examples.X.cols;
  process.stdout.write(
    `data: ${examples.name}: ${formatCount(m)} examples${examples.labelMeaning ? `, labels: ${examples.labelMeaning}` : ''}\n`,
  );
  process.stdout.write(`cost ${cost.toFixed(6)}\n`);
  process.stdout.write(
    `accuracy ${formatPercent(accuracy)} (${formatCount(Math.round(accuracy * m))} of ${formatCount(m)} correct)\n`,
  );
  if (model.output === 'softmax')
    process.stdout.write(`${perClassAccuracy(model.predict(examples.X), Y, model.outputSize)}\n`);
}

/** "accuracy per class: 0: 98.1% (of 52)  1: ..." over the classes present in the labels. */
function perClassAccuracy(predicted: Matrix, Y: Matrix, classes: number): string {
  const total = new Array<number>(classes).fill(0),
    right = new Array<number>(classes).fill(0);
  for (let j = 0; j < Y.cols; j++) {
    total[Y.data[j]]++;
    if (predicted.data[j] === Y.data[j]) right[Y.data[j]]++;
  }
  const parts: string[] = [];
  for (let k = 0; k < classes; k++)
    if (total[k] > 0) parts.push(`${k}: ${((right[k] / total[k]) * 100).toFixed(1)}% (of ${formatCount(total[k])})`);
  return `accuracy per class: ${parts.join('  ')}`;
}

// ---------------------------------------------------------------------------------------------------------
// The program

function dataOption(defaultSplit: MnistSplit): Option {
  return new Option(
    '-d, --data <source>',
    "the examples: a CSV file (one example per row, numeric columns), an IDX images file (MNIST's format, .gz allowed), " +
      `or "mnist" for the bundled MNIST digits (the ${defaultSplit} split; "mnist:train" or "mnist:test" to choose)`,
  ).makeOptionMandatory();
}

const LIMIT_HELP = 'use only the first n examples';
const LABELS_HELP =
  'IDX data: the IDX file of labels, one per example: 0 or 1 for a binary model, classes 0..k-1 for a softmax model (or digits mapped by --task)';
const TASK_HELP =
  'MNIST or IDX digit labels: "digits" (the 10 digits as classes, softmax), "even-odd" (even = 1) or "digits:1,3,5" ' +
  '(the listed digits = 1) (default for MNIST: "digits" with a softmax model, "even-odd" with a binary one)';
const LABEL_COLUMN_HELP =
  'CSV: the label column, by header name or number counting from 1 (default: the last column); labels are 0 or 1 ' +
  '(sigmoid output) or classes 0..k-1 (softmax output)';

export function buildProgram(): Command {
  const program = new Command('dnn-native');
  const { version } = JSON.parse(fs.readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as {
    version: string;
  };
  program
    .description(
      'Train and run deep neural networks on the CPU, over OpenBLAS: binary classifiers ([LINEAR -> RELU] x (L-1) -> LINEAR -> SIGMOID, ' +
        'labels 0/1) and multi-class ones (softmax output, labels 0..k-1).',
    )
    .version(version, '-V, --version', 'print the version')
    .helpOption('-h, --help', "show help (dnn-native <command> --help for a command's options)")
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text.replace(/\n(?!$)/g, ' ')) });

  program
    .command('train')
    .description(
      'train a model on labelled examples and save it; prints the cost per epoch and the final train accuracy',
    )
    .addOption(dataOption('train'))
    .option('--labels <file>', LABELS_HELP)
    .option('--label-column <name|number>', LABEL_COLUMN_HELP)
    .option('--task <task>', TASK_HELP)
    .option('--limit <n>', LIMIT_HELP, positiveInteger)
    .requiredOption('-o, --output <file>', 'where to save the trained model (written atomically)')
    .option(
      '--layers <sizes>',
      "layer sizes, input first and outputs last, e.g. 784,128,64,10; the input size must equal the data's feature count " +
        '(default: <features>,128,64,<outputs>, with 1 output for sigmoid and one per class for softmax)',
      layerList,
    )
    .addOption(
      new Option(
        '--output-activation <type>',
        'sigmoid: binary classifier (labels 0/1, binary cross-entropy); softmax: one output per class ' +
          '(labels 0..k-1, categorical cross-entropy) (default: "sigmoid", or "softmax" with --task digits)',
      ).choices(['sigmoid', 'softmax']),
    )
    .option(
      '--hidden-activation <type>',
      "hidden layers' activation: relu, leakyRelu (slope 0.01), tanh or sigmoid; or a comma-separated list, one per hidden layer",
      activationList,
      'relu',
    )
    .addOption(
      new Option(
        '--optimizer <name>',
        'gd (gradient descent), momentum, or adam (bias-corrected), as the deeplearning.ai course defines them',
      )
        .choices(['gd', 'momentum', 'adam'])
        .default('gd'),
    )
    .option('--learning-rate <rate>', 'step size (default: 0.1 for gd and momentum, 0.001 for adam)', positiveNumber)
    .option(
      '--decay-rate <r>',
      'learning-rate decay: rate / (1 + r·floor(epoch / decay-every)); 0 is none',
      nonNegativeNumber,
      0,
    )
    .option('--decay-every <n>', 'epochs (full batch: steps) between learning-rate decay steps', positiveInteger, 1)
    .option('--beta1 <b>', "momentum's beta, Adam's beta1, in [0, 1)", finiteNumber, 0.9)
    .option('--beta2 <b>', "Adam's beta2, in [0, 1)", finiteNumber, 0.999)
    .option('--epsilon <e>', "Adam's epsilon, in (0, 1]", finiteNumber, 1e-8)
    .option(
      '--l2 <lambda>',
      'L2 weight decay: cost + (lambda/2m)·sum of squared weights, m the batch size; 0 is none',
      finiteNumber,
      0,
    )
    .option(
      '--keep-prob <p>',
      'inverted dropout: the probability of keeping a hidden unit while training, in (0, 1], or a comma-separated list, one per hidden layer; 1 is no dropout',
      numberOrList,
      1,
    )
    .option('--epochs <n>', 'passes over the training data (with a full batch: steps)', positiveInteger, 10)
    .option(
      '--batch-size <n>',
      'examples per step; a batch size of at least the number of examples trains full batch',
      positiveInteger,
      64,
    )
    .addOption(
      new Option('--dtype <type>', 'floating-point type (float32 trains about twice as fast)')
        .choices(['float32', 'float64'])
        .default('float32'),
    )
    .addOption(
      new Option(
        '--init <scheme>',
        'weight initialisation: he = randn*sqrt(2/n_prev), lecun = randn/sqrt(n_prev), small = randn*0.01',
      )
        .choices(['he', 'lecun', 'small'])
        .default('he'),
    )
    .option(
      '--seed <n>',
      'seed of the initial weights, the shuffling and the dropout masks (the same seed gives the same model)',
      seedValue,
      1,
    )
    .option(
      '--threads <n>',
      "OpenBLAS threads (default: OpenBLAS's own, one per core; on a busy machine 1 is often faster for batches of a few hundred or less)",
      threadCount,
    )
    .option('--plot <file>', 'also save the cost curve as an image (.png or .svg)')
    .helpOption('-h, --help', 'show this help')
    .action((options: TrainOptions) => train(options));

  program
    .command('predict')
    .description(
      'predict with a saved model: CSV rows "prediction,probability", one per example, in the data\'s order; the prediction is 0/1 ' +
        'for a binary model (1 when the probability exceeds 0.5), the most probable class for a softmax model (with its probability)',
    )
    .requiredOption('-m, --model <file>', 'a model saved by dnn-native train')
    .addOption(dataOption('test'))
    .option(
      '--label-column <name|number>',
      'CSV: a label column to ignore, by header name or number counting from 1 (default: every column is a feature)',
    )
    .option('--limit <n>', LIMIT_HELP, positiveInteger)
    .option('--all-probabilities', "softmax models: also write every class's probability (columns p0, p1, ...)", false)
    .option('-o, --output <file>', 'write the predictions to this CSV file (default: standard output)')
    .helpOption('-h, --help', 'show this help')
    .action((options: PredictOptions) => predictCommand(options));

  program
    .command('evaluate')
    .description(
      'print the cost and accuracy of a saved model on labelled examples (and, for a softmax model, the accuracy per class)',
    )
    .requiredOption('-m, --model <file>', 'a model saved by dnn-native train')
    .addOption(dataOption('test'))
    .option('--labels <file>', LABELS_HELP)
    .option('--label-column <name|number>', LABEL_COLUMN_HELP)
    .option('--task <task>', TASK_HELP)
    .option('--limit <n>', LIMIT_HELP, positiveInteger)
    .helpOption('-h, --help', 'show this help')
    .action((options: EvaluateOptions) => evaluateCommand(options));

  return program;
}

/** Runs the command line; returns the exit code (0 on success, 1 on any error, with one line on stderr). */
export async function run(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode; // commander has printed its message (or the help)
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`error: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
    return 1;
  }
}

if (require.main === module) {
  // `dnn-native predict | head` closes the pipe early: that is not an error
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
  void run(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
