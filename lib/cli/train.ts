// `dnn-native train`: load labelled examples, build a model from the flags (the options table's, with the table's
// defaults), train it with a progress display, report the train (and, for MNIST, test) accuracy, save the model and,
// when asked, the cost curve. The main job (mnist-job.ts) is a preset of this same path.
import fs from 'node:fs';
import { isSameFile } from '../io';
import type { Matrix } from '../matrix';
import { type FitResult, planFit, usesMiniBatches } from '../model/fit';
import { Model } from '../model/model';
import {
  type FitOptions,
  normaliseAsyncOptions,
  normaliseFitOptions,
  normaliseModelOptions,
  type OutputActivation,
} from '../model/options';
import { plotCosts } from '../model/plot';
import native from '../native';
import {
  type DataOptions,
  type Examples,
  labelKindOf,
  loadExamples,
  requireWritableFolder,
  sniffKind,
  UsageError,
} from './data';
import { asFlagError, fitOptionsFrom, modelOptionsFrom } from './flags';
import { describeActivations, describeOptimizer, fitWithProgress, formatCount, formatPercent } from './progress';
import { trainTabular } from './tabular';

/** What commander parsed for `train` (the table's flags by their attribute names, plus the command's own). */
export interface TrainOptions extends DataOptions {
  output: string;
  plot?: string;
  layers?: number[];
  outputActivation?: OutputActivation;
  threads?: number;
  hidden?: number[];
  scaling?: string;
  standardize?: boolean;
  checkpoint?: string;
  resume?: boolean;
  [flag: string]: unknown;
}

export interface Trained {
  model: Model;
  result: FitResult;
  examples: Examples;
  /** the MNIST test split's evaluation, when trained on MNIST's training split */
  test?: { examples: Examples; cost: number; accuracy: number };
}

const DEFAULT_HIDDEN = [128, 64];

/** The softmax or sigmoid output: --output-activation, else softmax for --task digits, else sigmoid. */
function chooseOutput(options: TrainOptions): OutputActivation {
  return options.outputActivation ?? (options.task === 'digits' ? 'softmax' : 'sigmoid');
}

function checkLayers(layers: number[], examples: Examples, output: OutputActivation): number[] {
  const hidden = layers.slice(1, -1);
  const outputs = output === 'softmax' ? (examples.classCount as number) : 1;
  const last = layers[layers.length - 1];
  const suggestion = [examples.X.rows, ...hidden, Math.max(outputs, output === 'softmax' ? last : 1)].join(',');
  if (layers[0] !== examples.X.rows)
    throw new UsageError(
      `--layers starts with ${layers[0]} inputs, but the data ${examples.name} has ${examples.X.rows} ${examples.featureWord} (try --layers ${suggestion})`,
    );
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

/** The files the command reads, which it must never write over. */
export function inputsOf(options: TrainOptions): string[] {
  return [options.data, options.labels, options.checkpoint as string | undefined].filter(
    (file): file is string => file !== undefined && !/^mnist(:|$)/.test(file),
  );
}

/**
 * --resume: a checkpoint that exists holds the run's seed, which the model must be built with to continue it
 * (unless --seed gives it); otherwise the flags' seed.
 */
export function resumedSeed(options: TrainOptions, seed: number | undefined): number | undefined {
  if (seed !== undefined || !options.resume || typeof options.checkpoint !== 'string') return seed;
  if (!fs.existsSync(options.checkpoint)) return undefined;
  try {
    return Model.load(options.checkpoint).seed;
  } catch (error) {
    throw new UsageError(`--resume: ${(error as Error).message}`);
  }
}

/** --checkpoint FILE: write one every `every` recorded costs (an epoch); --resume continues from FILE if it exists. */
export function addCheckpoint(options: TrainOptions, fitOptions: FitOptions, every: number): void {
  if (options.resume && options.checkpoint === undefined)
    throw new UsageError('--resume continues from the file --checkpoint names: give --checkpoint FILE');
  if (typeof options.checkpoint !== 'string') return;
  requireWritableFolder(options.checkpoint, '--checkpoint');
  fitOptions.checkpoint = { path: options.checkpoint, every, resume: options.resume === true };
}

/** A file the command reads must not be the file it writes. */
function requireNotAnInput(file: string, option: string, options: DataOptions): void {
  for (const input of [options.data, options.labels])
    if (input !== undefined && isSameFile(file, input))
      throw new UsageError(`${option} ${file} is the input ${input}; choose another file to write`);
}

export function trainCommand(options: TrainOptions, say: (line: string) => void): Trained {
  if (options.plot !== undefined && !/\.(png|svg)$/i.test(options.plot))
    throw new UsageError(`--plot must name a .png or .svg file, got ${JSON.stringify(options.plot)}`);
  requireWritableFolder(options.output, '--output');
  requireNotAnInput(options.output, '--output', options);
  if (options.plot !== undefined) {
    requireWritableFolder(options.plot, '--plot');
    requireNotAnInput(options.plot, '--plot', options);
  }
  const { blasThreads } = asFlagError(() => normaliseAsyncOptions({ blasThreads: options.threads }));
  if (blasThreads !== undefined) native.setNumThreads(blasThreads);
  if (!/^mnist(:|$)/.test(options.data) && sniffKind(options.data) === 'csv') {
    if (options.labels !== undefined)
      throw new UsageError(
        `--labels is for IDX files, but ${options.data} is read as CSV: its labels are a column (choose it with --label-column)`,
      );
    const trained = trainTabular(options, say);
    plotIfAsked(options, trained.result, trained.examples.name, trained.model.layerDims, true, say);
    return trained;
  }
  if (options.hidden !== undefined || options.scaling !== undefined || options.standardize === false)
    throw new UsageError('--hidden, --scaling and --no-standardize are for CSV data; for IDX and MNIST give --layers');
  const output = chooseOutput(options);
  const given = modelOptionsFrom(options);
  const fitGiven = fitOptionsFrom(options);
  // Every setting is checked before the data is read, on stand-in layer sizes (the input size comes with the data).
  const hiddenSizes = options.layers?.slice(1, -1) ?? DEFAULT_HIDDEN;
  const standIn = [1, ...hiddenSizes, options.layers?.[options.layers.length - 1] ?? (output === 'softmax' ? 2 : 1)];
  const checked = asFlagError(() => normaliseModelOptions({ ...given, layerDims: standIn, output }));
  asFlagError(() => normaliseFitOptions(fitGiven, checked));

  const dtype = checked.dtype;
  const examples = loadExamples(options, dtype, true, 'train', output === 'softmax' ? 'classes' : 'binary');
  const X = examples.X,
    Y = examples.Y as Matrix,
    m = X.cols;
  const outputs = output === 'softmax' ? (examples.classCount as number) : 1;
  const layerDims = checkLayers(options.layers ?? [X.rows, ...DEFAULT_HIDDEN, outputs], examples, output);
  const model = asFlagError(() => new Model({ ...given, layerDims, output, seed: resumedSeed(options, given.seed) }));
  // One seed for the command: the weights' (given or drawn), then the shuffling and the dropout masks.
  const fitOptions: FitOptions = { ...fitGiven, seed: model.seed };
  const settings = normaliseFitOptions(fitOptions, model.config);
  const miniBatch = usesMiniBatches(settings.batchSize, m);
  if (!miniBatch) fitOptions.costEvery = Math.max(1, Math.ceil(planFit(settings, m).iterations / 10));
  addCheckpoint(options, fitOptions, miniBatch ? 1 : (fitOptions.costEvery as number));
  const plan = asFlagError(() => planFit(normaliseFitOptions(fitOptions, model.config), m));

  say(
    `data: ${examples.name}: ${formatCount(m)} examples of ${X.rows} features${examples.labelMeaning ? `, labels: ${examples.labelMeaning}` : ''}`,
  );
  const config = model.config;
  say(
    `model: ${layerDims.join('-')} (${describeActivations(config.hiddenActivations, output)}), ${formatCount(model.parameterCount)} parameters, ${config.dtype}, ${config.init} init, seed ${config.seed}`,
  );
  const threads = native.getNumThreads();
  const schedule = miniBatch
    ? `${plan.epochs} epochs of ${plan.batchesPerEpoch} batches of ${plan.batchSize}`
    : `full batch (${formatCount(m)} examples), ${plan.iterations} steps`;
  say(
    `training: ${schedule}, ${describeOptimizer(config, settings)}; ${threads} OpenBLAS ${threads === 1 ? 'thread' : 'threads'}`,
  );

  const result = asFlagError(() => fitWithProgress(model, X, Y, fitOptions, { log: say }));
  const trained = model.evaluate(X, Y);
  say(`trained in ${(result.elapsedMs / 1000).toFixed(1)} s (${formatCount(result.examplesPerSecond)} examples/s)`);
  say(
    `train accuracy ${formatPercent(trained.accuracy)} (${formatCount(Math.round(trained.accuracy * m))} of ${formatCount(m)} correct), cost ${trained.cost.toFixed(6)}`,
  );
  let test: Trained['test'];
  if (examples.kind === 'mnist' && examples.mnistSplit === 'train') {
    const testExamples = loadExamples(
      { ...options, data: 'mnist:test', limit: undefined },
      dtype,
      true,
      'test',
      labelKindOf(model),
    );
    const tested = model.evaluate(testExamples.X, testExamples.Y as Matrix);
    test = { examples: testExamples, ...tested };
    say(
      `test accuracy ${formatPercent(tested.accuracy)} (${formatCount(Math.round(tested.accuracy * testExamples.X.cols))} of ${formatCount(testExamples.X.cols)} MNIST test images), cost ${tested.cost.toFixed(6)}`,
    );
  }
  model.save(options.output, { inputs: inputsOf(options) });
  say(`model saved to ${options.output}`);
  plotIfAsked(options, result, examples.name, layerDims, miniBatch, say);
  return { model, result, examples, test };
}

/** --plot: the recorded costs (and the validation costs, when there are some) against epochs or iterations. */
function plotIfAsked(
  options: TrainOptions,
  result: FitResult,
  name: string,
  layerDims: readonly number[],
  miniBatch: boolean,
  say: (line: string) => void,
): void {
  if (options.plot === undefined) return;
  const x = (k: number) => (miniBatch ? result.costAt[k] + 1 : result.costAt[k]);
  const training = result.costs.map((cost, k) => ({ x: x(k), y: cost }));
  const validation = result.validationCosts?.map((cost, k) => ({ x: x(k), y: cost }));
  plotCosts(
    validation
      ? [
          { name: 'training', points: training },
          { name: 'validation', points: validation },
        ]
      : training,
    {
      path: options.plot,
      title: `Training cost: ${name}, ${layerDims.join('-')}`,
      xLabel: miniBatch ? 'epoch' : 'iteration',
      yLabel: 'cost',
    },
  );
  say(`cost curve saved to ${options.plot}`);
}
