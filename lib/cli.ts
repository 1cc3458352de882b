#!/usr/bin/env node
// The dnn-native command: train a binary classifier on a CSV file, an IDX pair (MNIST's format) or the bundled MNIST
// digits, then predict with it or evaluate it. Every failure is one line on stderr and a non-zero exit code; the
// messages name the file, the option or the shapes involved. The training display (a progress bar on a terminal,
// one line per epoch everywhere) is exported for the main job (lib/main.ts).
import fs from 'node:fs';
import path from 'node:path';
import cliProgress from 'cli-progress';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { root as packageRoot } from './binding';
import { loadCsv, loadCsvFeatures } from './data/csv';
import { readIdxImages, readIdxLabels } from './data/idx';
import { binaryTask, loadMnist, type BinaryTask, type MnistSplit } from './data/mnist';
import { Matrix, type DType } from './matrix';
import { Model, type FitOptions, type FitResult, type Progress } from './model';
import { plotCosts } from './plot';
import type { InitScheme } from './random';

// ---------------------------------------------------------------------------------------------------------
// The training display, shared with the main job

export interface TrainingDisplayOptions {
  /** Where the per-epoch lines go (default: stdout). */
  log?: (line: string) => void;
  /** Show the bar (default: when stdout and stderr are both terminals; elsewhere only the per-epoch lines print). */
  bar?: boolean;
}

/**
 * model.fit(X, Y, options) with a progress bar over the steps (on stderr, only on a terminal) and one line per
 * epoch (mini-batch) or per recorded cost (full batch), printed as training goes. Returns fit's result.
 */
export function fitWithProgress(model: Model, X: Matrix, Y: Matrix, options: Omit<FitOptions, 'onProgress' | 'progressEvery'>, display: TrainingDisplayOptions = {}): FitResult {
  const log = display.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const showBar = display.bar ?? (process.stdout.isTTY === true && process.stderr.isTTY === true);
  const m = X.cols;
  const miniBatch = options.batchSize !== undefined && options.batchSize < m;
  const costEvery = options.costEvery ?? 100;
  // One bar per stretch between two printed lines: cli-progress saves the cursor when a bar starts and restores it
  // when it stops, so a line printed under a running bar would be overwritten. Stopping clears the bar's line.
  let bar: cliProgress.SingleBar | null = null;

  // The epoch's cost is fit's own: the mean of the batch costs weighted by the batch sizes, summed in the same order.
  let epochCostSum = 0, epochExamples = 0, examplesSeen = 0, epochsLogged = 0, lastEpochCost = NaN;
  // The bar shows the epoch in progress and its mean cost so far (the last epoch's until its first step is done).
  const payload = (p: Progress) => ({
    epoch: miniBatch ? Math.min(epochsLogged + 1, p.epochs) : 1,
    epochs: p.epochs,
    cost: (!miniBatch ? p.cost : epochExamples > 0 ? epochCostSum / epochExamples : lastEpochCost).toFixed(4),
    speed: formatCount(p.elapsedMs > 0 ? (p.examples * 1000) / p.elapsedMs : 0),
  });
  const printLine = (line: string) => {
    bar?.stop();
    bar = null;
    log(line);
  };
  const onProgress = (p: Progress) => {
    const seconds = `${(p.elapsedMs / 1000).toFixed(1)} s`;
    if (miniBatch) {
      epochCostSum += p.cost * (p.examples - examplesSeen);
      epochExamples += p.examples - examplesSeen;
      examplesSeen = p.examples;
      if (p.examples >= (epochsLogged + 1) * m) {
        epochsLogged++;
        lastEpochCost = epochCostSum / m;
        printLine(`epoch ${pad(epochsLogged, p.epochs)}/${p.epochs}  cost ${lastEpochCost.toFixed(6)}  ${seconds}`);
        epochCostSum = 0;
        epochExamples = 0;
      }
    } else {
      const iteration = p.iteration - 1; // the step whose cost this is, as the tutorial's "Cost after iteration i"
      if (iteration % costEvery === 0 || p.iteration === p.totalIterations)
        printLine(`iteration ${pad(iteration, p.totalIterations - 1)}  cost ${p.cost.toFixed(6)}  ${seconds}`);
    }
    if (showBar && p.iteration < p.totalIterations) {
      if (bar === null) {
        bar = newProgressBar();
        bar.start(p.totalIterations, p.iteration, payload(p));
      } else bar.update(p.iteration, payload(p));
    }
  };
  try {
    return model.fit(X, Y, { ...options, onProgress, progressEvery: 1 });
  } finally {
    (bar as cliProgress.SingleBar | null)?.stop(); // (assigned in the callback, which TypeScript does not follow)
  }
}

function newProgressBar(): cliProgress.SingleBar {
  const template = '{bar} {percentage}% | step {value}/{total} | epoch {epoch}/{epochs} | cost {cost} | {speed} ex/s | ETA {eta_formatted}';
  return new cliProgress.SingleBar({
    stream: process.stderr,
    // Cut to the terminal's width here, so the terminal's line wrapping can stay on (cli-progress would turn it
    // off, and a Ctrl-C during the synchronous fit would leave it off).
    format: (options, params, values) => cliProgress.Format.Formatter({ ...options, format: template }, params, values).slice(0, Math.max(10, params.maxWidth - 1)),
    linewrap: true,
    clearOnComplete: true,
    barsize: 25,
    barCompleteChar: '\u2588',
    barIncompleteChar: '\u2591',
    fps: 10,
    etaBuffer: 200,
    hideCursor: false,
    gracefulExit: false, // a SIGINT handler would only run after the synchronous fit: let Ctrl-C stop at once
  });
}

function pad(value: number, widest: number): string {
  return String(value).padStart(String(widest).length);
}

/** 152388 -> "152,388". */
export function formatCount(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

export function formatPercent(fraction: number): string {
  return `${(fraction * 100).toFixed(2)}%`;
}

// ---------------------------------------------------------------------------------------------------------
// Data sources: a CSV file, an IDX images file (+ an IDX labels file), or the bundled MNIST digits

interface DataOptions {
  data: string;
  labels?: string;
  labelColumn?: string;
  task?: string;
  limit?: number;
}

interface Examples {
  X: Matrix;
  /** null when loaded without labels (predict) */
  Y: Matrix | null;
  /** what to call the data in messages */
  name: string;
  /** what the labels mean, for MNIST's binary tasks */
  labelMeaning?: string;
  /** "feature columns" (CSV) or "features" */
  featureWord: string;
  kind: 'csv' | 'idx' | 'mnist';
  mnistSplit?: MnistSplit;
}

/** An error for the user: printed as one line, without a stack trace. */
class UsageError extends Error {}

const MNIST_SOURCE = /^mnist(?::(train|test))?$/;

function parseTask(task: string): BinaryTask {
  if (task === 'even-odd') return 'even-odd';
  const match = /^digits:([0-9](?:,[0-9])*)$/.exec(task);
  if (!match) throw new UsageError(`--task must be even-odd or digits:<list>, e.g. digits:1,3,5 (the digits labelled 1), got ${JSON.stringify(task)}`);
  return { positive: match[1].split(',').map(Number) };
}

function describeTask(task: BinaryTask): string {
  return task === 'even-odd' ? 'even digits (1) vs odd digits (0)' : `digits ${task.positive.join(', ')} (1) vs the others (0)`;
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

function loadExamples(options: DataOptions, dtype: DType, needLabels: boolean, defaultSplit: MnistSplit): Examples {
  const source = options.data;
  const mnist = MNIST_SOURCE.exec(source);
  let examples: Examples;
  if (mnist) {
    if (options.labels !== undefined) throw new UsageError('--labels is for IDX data files; with --data mnist the labels come with the digits');
    if (options.labelColumn !== undefined) throw new UsageError('--label-column is for CSV data files, not for --data mnist');
    const split = (mnist[1] as MnistSplit | undefined) ?? defaultSplit;
    const loaded = loadMnist({ split, dtype, limit: options.limit });
    const task = parseTask(options.task ?? 'even-odd');
    examples = { X: loaded.X, Y: binaryTask(loaded.labels, task, dtype), name: `MNIST ${split} images`, labelMeaning: describeTask(task), featureWord: 'features (pixels)', kind: 'mnist', mnistSplit: split };
  } else if (sniffKind(source) === 'idx') {
    if (options.labelColumn !== undefined) throw new UsageError(`--label-column is for CSV files, but ${source} is an IDX file (give its labels with --labels)`);
    const X = readIdxImages(source, { dtype, limit: options.limit });
    let Y: Matrix | null = null;
    if (options.labels !== undefined) Y = idxLabels(options.labels, X.cols, source, options.task, dtype);
    else if (needLabels) throw new UsageError(`${source} is an IDX file of examples: give its labels with --labels <IDX labels file>`);
    examples = { X, Y, name: source, featureWord: 'features per example', kind: 'idx' };
  } else {
    if (options.labels !== undefined) throw new UsageError(`--labels is for IDX files, but ${source} is read as CSV: its labels are a column (choose it with --label-column)`);
    if (options.task !== undefined) throw new UsageError('--task is for MNIST or IDX digit labels; the labels of a CSV file must already be 0 or 1');
    const labelColumn = csvLabelColumn(options.labelColumn);
    if (needLabels) {
      const csv = loadCsv(source, { dtype, labelColumn });
      examples = { X: csv.X, Y: csv.Y, name: source, featureWord: 'feature columns', kind: 'csv' };
    } else if (labelColumn !== undefined) {
      // predicting on a labelled file: drop its label column, whatever its values
      const csv = loadCsv(source, { dtype, labelColumn, labels: 'any' });
      examples = { X: csv.X, Y: null, name: source, featureWord: 'feature columns', kind: 'csv' };
    } else {
      examples = { X: loadCsvFeatures(source, { dtype }).X, Y: null, name: source, featureWord: 'columns', kind: 'csv' };
    }
  }
  if (options.limit !== undefined && options.limit < examples.X.cols) {
    examples.X = examples.X.columns(0, options.limit);
    examples.Y = examples.Y?.columns(0, options.limit) ?? null;
  }
  return examples;
}

function idxLabels(file: string, count: number, imagesFile: string, task: string | undefined, dtype: DType): Matrix {
  const labels = readIdxLabels(file, { limit: count });
  if (labels.length !== count) throw new UsageError(`${file} has ${labels.length} labels, but ${imagesFile} has ${count} examples`);
  if (task !== undefined) {
    for (let j = 0; j < labels.length; j++)
      if (labels[j] > 9) throw new UsageError(`${file}: label ${labels[j]} of example ${j + 1} is not a digit 0..9, which --task needs`);
    return binaryTask(labels, parseTask(task), dtype);
  }
  const Y = Matrix.zeros(1, count, dtype);
  for (let j = 0; j < labels.length; j++) {
    if (labels[j] !== 0 && labels[j] !== 1)
      throw new UsageError(`${file}: label ${labels[j]} of example ${j + 1} is not 0 or 1 (binary classification; to map digit labels to 0/1 use --task even-odd or --task digits:1,3,5)`);
    Y.data[j] = labels[j];
  }
  return Y;
}

function requireModelFits(model: Model, modelFile: string, examples: Examples, labelColumnGiven: boolean): void {
  if (examples.X.rows === model.inputSize) return;
  const hint = examples.kind === 'csv' && !labelColumnGiven && examples.Y === null && examples.X.rows === model.inputSize + 1
    ? ' (if one column is the label, name it with --label-column)' : '';
  throw new UsageError(`the model ${modelFile} takes ${model.inputSize} features, the data ${examples.name} has ${examples.X.rows} ${examples.featureWord}${hint}`);
}

function loadModel(file: string): Model {
  const model = Model.load(file);
  if (model.output !== 'sigmoid' || model.outputSize !== 1)
    throw new UsageError(`${file}: the model has ${model.outputSize} ${model.output} outputs; the command line handles binary classifiers (1 sigmoid output)`);
  return model;
}

// ---------------------------------------------------------------------------------------------------------
// Option parsers: each throws commander's InvalidArgumentError, which it prints with the option's name

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer.');
  return n;
}

function seedValue(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n > 0xffffffff) throw new InvalidArgumentError('expected an integer from 0 to 4294967295.');
  return n;
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number.');
  return n;
}

function layerList(value: string): number[] {
  const parts = value.split(',').map((s) => s.trim());
  if (parts.length < 2 || !parts.every((s) => /^\d+$/.test(s) && Number(s) >= 1))
    throw new InvalidArgumentError('expected layer sizes separated by commas, input first and 1 last, e.g. 784,128,64,1.');
  return parts.map(Number);
}

function checkLayers(layers: number[], examples: Examples): number[] {
  const hidden = layers.slice(1, -1);
  const suggestion = [examples.X.rows, ...hidden, 1].join(',');
  if (layers[0] !== examples.X.rows)
    throw new UsageError(`--layers starts with ${layers[0]} inputs, but the data ${examples.name} has ${examples.X.rows} ${examples.featureWord} (try --layers ${suggestion})`);
  if (layers[layers.length - 1] !== 1)
    throw new UsageError(`--layers must end with 1 (one sigmoid output for the 0/1 label), got ${layers[layers.length - 1]} (try --layers ${suggestion})`);
  return layers;
}

// ---------------------------------------------------------------------------------------------------------
// Commands

interface TrainOptions extends DataOptions {
  layers?: number[];
  learningRate: number;
  epochs: number;
  batchSize: number;
  dtype: DType;
  init: InitScheme;
  seed: number;
  output: string;
  plot?: string;
}

const DEFAULT_HIDDEN = [128, 64];

function train(options: TrainOptions): void {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  if (options.plot !== undefined && !/\.(png|svg)$/i.test(options.plot)) throw new UsageError(`--plot must name a .png or .svg file, got ${JSON.stringify(options.plot)}`);
  requireWritableFolder(options.output, '--output');
  if (options.plot !== undefined) requireWritableFolder(options.plot, '--plot');

  const examples = loadExamples(options, options.dtype, true, 'train');
  const X = examples.X, Y = examples.Y as Matrix;
  const layerDims = checkLayers(options.layers ?? [X.rows, ...DEFAULT_HIDDEN, 1], examples);
  const model = new Model({ layerDims, dtype: options.dtype, init: options.init, seed: options.seed });
  const m = X.cols;
  const miniBatch = options.batchSize < m;
  // Full batch: one step per epoch, so print about ten costs rather than one line per step.
  const costEvery = miniBatch ? 1 : Math.max(1, Math.ceil(options.epochs / 10));
  out(`data: ${examples.name}: ${formatCount(m)} examples of ${X.rows} features${examples.labelMeaning ? `, labels: ${examples.labelMeaning}` : ''}`);
  out(`model: ${layerDims.join('-')} (relu hidden layers, sigmoid output), ${formatCount(model.parameterCount)} parameters, ${options.dtype}, ${options.init} init, seed ${options.seed}`);
  out(miniBatch
    ? `training: ${options.epochs} epochs of ${Math.ceil(m / options.batchSize)} batches of ${options.batchSize}, learning rate ${options.learningRate}`
    : `training: full batch (${formatCount(m)} examples), ${options.epochs} steps, learning rate ${options.learningRate}`);

  const result = miniBatch
    ? fitWithProgress(model, X, Y, { learningRate: options.learningRate, epochs: options.epochs, batchSize: options.batchSize, seed: options.seed })
    : fitWithProgress(model, X, Y, { learningRate: options.learningRate, iterations: options.epochs, costEvery });
  const trained = model.evaluate(X, Y);
  out(`trained in ${(result.elapsedMs / 1000).toFixed(1)} s (${formatCount(result.examplesPerSecond)} examples/s)`);
  out(`train accuracy ${formatPercent(trained.accuracy)} (${formatCount(Math.round(trained.accuracy * m))} of ${formatCount(m)} correct), cost ${trained.cost.toFixed(6)}`);
  if (examples.kind === 'mnist' && examples.mnistSplit === 'train') {
    const test = loadExamples({ ...options, data: 'mnist:test', limit: undefined }, options.dtype, true, 'test');
    const tested = model.evaluate(test.X, test.Y as Matrix);
    out(`test accuracy ${formatPercent(tested.accuracy)} (${formatCount(Math.round(tested.accuracy * test.X.cols))} of ${formatCount(test.X.cols)} MNIST test images), cost ${tested.cost.toFixed(6)}`);
  }
  model.save(options.output);
  out(`model saved to ${options.output}`);
  if (options.plot !== undefined) {
    const points = result.costs.map((cost, k) => ({ x: miniBatch ? result.costAt[k] + 1 : result.costAt[k], y: cost }));
    plotCosts(points, { path: options.plot, title: `Training cost: ${examples.name}, ${layerDims.join('-')}`, xLabel: miniBatch ? 'epoch' : 'iteration' });
    out(`cost curve saved to ${options.plot}`);
  }
}

/** Fails before training when a file could not be written at the end (its folder is missing or not writable). */
function requireWritableFolder(file: string, option: string): void {
  const folder = path.dirname(path.resolve(file));
  if (fs.existsSync(file) && fs.statSync(file).isDirectory()) throw new UsageError(`${option} ${file} is a folder; give a file name`);
  try {
    if (!fs.statSync(folder).isDirectory()) throw new UsageError(`${option} ${file}: ${folder} is not a folder`);
    fs.accessSync(folder, fs.constants.W_OK);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? `${option} ${file}: the folder ${folder} does not exist` : `${option} ${file}: cannot write in ${folder}`);
  }
}

interface PredictOptions extends DataOptions {
  model: string;
  output?: string;
}

function predictCommand(options: PredictOptions): void {
  const model = loadModel(options.model);
  if (options.output !== undefined) requireWritableFolder(options.output, '--output');
  const examples = loadExamples(options, model.dtype, false, 'test');
  requireModelFits(model, options.model, examples, options.labelColumn !== undefined);
  const probabilities = model.predictProba(examples.X).data;
  const lines = ['prediction,probability'];
  // The same threshold as model.predict: 1 where the probability exceeds 0.5.
  for (let j = 0; j < probabilities.length; j++) lines.push(`${probabilities[j] > 0.5 ? 1 : 0},${formatProbability(probabilities[j])}`);
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
  process.stdout.write(`wrote ${formatCount(probabilities.length)} predictions to ${options.output}\n`);
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
  const examples = loadExamples(options, model.dtype, true, 'test');
  requireModelFits(model, options.model, examples, true);
  const { cost, accuracy } = model.evaluate(examples.X, examples.Y as Matrix);
  const m = examples.X.cols;
  process.stdout.write(`data: ${examples.name}: ${formatCount(m)} examples\n`);
  process.stdout.write(`cost ${cost.toFixed(6)}\n`);
  process.stdout.write(`accuracy ${formatPercent(accuracy)} (${formatCount(Math.round(accuracy * m))} of ${formatCount(m)} correct)\n`);
}

// ---------------------------------------------------------------------------------------------------------
// The program

function dataOption(defaultSplit: MnistSplit): Option {
  return new Option('-d, --data <source>',
    'the examples: a CSV file (one example per row, numeric columns), an IDX images file (MNIST\'s format, .gz allowed), ' +
    `or "mnist" for the bundled MNIST digits (the ${defaultSplit} split; "mnist:train" or "mnist:test" to choose)`).makeOptionMandatory();
}

const LIMIT_HELP = 'use only the first n examples';
const LABELS_HELP = 'IDX data: the IDX file of labels, one per example, 0 or 1 (or digits mapped by --task)';
const TASK_HELP = 'MNIST or IDX digit labels to 0/1: "even-odd" (even = 1) or "digits:1,3,5" (the listed digits = 1) (default for MNIST: "even-odd")';
const LABEL_COLUMN_HELP = 'CSV: the label column, by header name or number counting from 1 (default: the last column); labels must be 0 or 1';

export function buildProgram(): Command {
  const program = new Command('dnn-native');
  const { version } = JSON.parse(fs.readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string };
  program
    .description('Train and run deep neural networks for binary classification ([LINEAR -> RELU] x (L-1) -> LINEAR -> SIGMOID) on the CPU, over OpenBLAS.')
    .version(version, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help (dnn-native <command> --help for a command\'s options)')
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text.replace(/\n(?!$)/g, ' ')) });

  program.command('train')
    .description('train a model on labelled examples and save it; prints the cost per epoch and the final train accuracy')
    .addOption(dataOption('train'))
    .option('--labels <file>', LABELS_HELP)
    .option('--label-column <name|number>', LABEL_COLUMN_HELP)
    .option('--task <task>', TASK_HELP)
    .option('--limit <n>', LIMIT_HELP, positiveInteger)
    .requiredOption('-o, --output <file>', 'where to save the trained model (written atomically)')
    .option('--layers <sizes>', 'layer sizes, input first and 1 last, e.g. 784,128,64,1; the input size must equal the data\'s feature count (default: <features>,128,64,1)', layerList)
    .option('--learning-rate <rate>', 'gradient-descent step size', positiveNumber, 0.1)
    .option('--epochs <n>', 'passes over the training data (with a full batch: steps)', positiveInteger, 10)
    .option('--batch-size <n>', 'examples per step; a batch size of at least the number of examples trains full batch', positiveInteger, 64)
    .addOption(new Option('--dtype <type>', 'floating-point type (float32 trains about twice as fast)').choices(['float32', 'float64']).default('float32'))
    .addOption(new Option('--init <scheme>', 'weight initialisation: he = randn*sqrt(2/n_prev), lecun = randn/sqrt(n_prev), small = randn*0.01').choices(['he', 'lecun', 'small']).default('he'))
    .option('--seed <n>', 'seed of the initial weights and of the shuffling (the same seed gives the same model)', seedValue, 1)
    .option('--plot <file>', 'also save the cost curve as an image (.png or .svg)')
    .helpOption('-h, --help', 'show this help')
    .action((options: TrainOptions) => train(options));

  program.command('predict')
    .description('predict 0/1 for every example with a saved model: CSV rows "prediction,probability", one per example, in the data\'s order')
    .requiredOption('-m, --model <file>', 'a model saved by dnn-native train')
    .addOption(dataOption('test'))
    .option('--label-column <name|number>', 'CSV: a label column to ignore, by header name or number counting from 1 (default: every column is a feature)')
    .option('--limit <n>', LIMIT_HELP, positiveInteger)
    .option('-o, --output <file>', 'write the predictions to this CSV file (default: standard output)')
    .helpOption('-h, --help', 'show this help')
    .action((options: PredictOptions) => predictCommand(options));

  program.command('evaluate')
    .description('print the cost and accuracy of a saved model on labelled examples')
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
