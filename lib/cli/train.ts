// `dnn-native train`: load labelled examples, build a model from the flags (the options table's, with the table's
// defaults), train it with a progress display, report the train (and, for MNIST, test) accuracy, save the model and,
// when asked, the cost curve. The main job (mnist-job.ts) is a preset of this same path.
import { isSameFile } from '../io';
import type { Matrix } from '../matrix';
import { type FitResult, planFit, usesMiniBatches } from '../model/fit';
import { Model } from '../model/model';
import {
  type FitOptions,
  type HiddenActivation,
  type ModelConfig,
  normaliseAsyncOptions,
  normaliseFitOptions,
  normaliseModelOptions,
  type OutputActivation,
} from '../model/options';
import { plotCosts } from '../model/plot';
import native from '../native';
import { type DataOptions, type Examples, labelKindOf, loadExamples, requireWritableFolder, UsageError } from './data';
import { asFlagError, fitOptionsFrom, modelOptionsFrom } from './flags';
import { fitWithProgress, formatCount, formatPercent } from './progress';

/** What commander parsed for `train` (the table's flags by their attribute names, plus the command's own). */
export interface TrainOptions extends DataOptions {
  output: string;
  plot?: string;
  layers?: number[];
  outputActivation?: OutputActivation;
  threads?: number;
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

function describeActivations(hidden: HiddenActivation[], output: OutputActivation): string {
  if (hidden.length === 0) return `${output} output`;
  const kinds = hidden.every((h) => h === hidden[0]) ? hidden[0] : hidden.join(', ');
  return `${kinds} hidden ${hidden.length === 1 ? 'layer' : 'layers'}, ${output} output`;
}

function describeOptimizer(config: ModelConfig, fit: ReturnType<typeof normaliseFitOptions>): string {
  const optimizer =
    config.optimizer === 'gd'
      ? 'gradient descent'
      : config.optimizer === 'momentum'
        ? `momentum (beta ${config.beta1})`
        : `adam (beta1 ${config.beta1}, beta2 ${config.beta2}, epsilon ${config.epsilon})`;
  const parts = [optimizer];
  const step = fit.decayEvery === 1 ? 'epoch' : `floor(epoch / ${fit.decayEvery})`;
  parts.push(`learning rate ${fit.learningRate}${fit.decayRate > 0 ? ` / (1 + ${fit.decayRate}·${step})` : ''}`);
  if (config.l2 > 0) parts.push(`L2 ${config.l2}`);
  if (config.keepProb.some((k) => k < 1)) parts.push(`dropout keep ${config.keepProb.join(',')}`);
  return parts.join(', ');
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
  const output = chooseOutput(options);
  const given = modelOptionsFrom(options);
  const fitGiven = fitOptionsFrom(options);
  // Every setting is checked before the data is read, on stand-in layer sizes (the input size comes with the data).
  const hiddenSizes = options.layers?.slice(1, -1) ?? DEFAULT_HIDDEN;
  const standIn = [1, ...hiddenSizes, options.layers?.[options.layers.length - 1] ?? (output === 'softmax' ? 2 : 1)];
  const checked = asFlagError(() => normaliseModelOptions({ ...given, layerDims: standIn, output }));
  asFlagError(() => normaliseFitOptions(fitGiven, checked));
  const { blasThreads } = asFlagError(() => normaliseAsyncOptions({ blasThreads: options.threads }));
  if (blasThreads !== undefined) native.setNumThreads(blasThreads);

  const dtype = checked.dtype;
  const examples = loadExamples(options, dtype, true, 'train', output === 'softmax' ? 'classes' : 'binary');
  const X = examples.X,
    Y = examples.Y as Matrix,
    m = X.cols;
  const outputs = output === 'softmax' ? (examples.classCount as number) : 1;
  const layerDims = checkLayers(options.layers ?? [X.rows, ...DEFAULT_HIDDEN, outputs], examples, output);
  const model = asFlagError(() => new Model({ ...given, layerDims, output }));
  // One seed for the command: the weights' (given or drawn), then the shuffling and the dropout masks.
  const fitOptions: FitOptions = { ...fitGiven, seed: model.seed };
  const settings = normaliseFitOptions(fitOptions, model.config);
  const miniBatch = usesMiniBatches(settings.batchSize, m);
  if (!miniBatch) fitOptions.costEvery = Math.max(1, Math.ceil(planFit(settings, m).iterations / 10));
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
  model.save(options.output);
  say(`model saved to ${options.output}`);
  if (options.plot !== undefined) {
    const points = result.costs.map((cost, k) => ({ x: miniBatch ? result.costAt[k] + 1 : result.costAt[k], y: cost }));
    plotCosts(points, {
      path: options.plot,
      title: `Training cost: ${examples.name}, ${layerDims.join('-')}`,
      xLabel: miniBatch ? 'epoch' : 'iteration',
      yLabel: 'cost (cross-entropy)',
    });
    say(`cost curve saved to ${options.plot}`);
  }
  return { model, result, examples, test };
}
