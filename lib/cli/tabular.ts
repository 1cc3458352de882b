// Tabular data on the command line: a CSV file of rows with a label column, trained through the estimators
// (lib/estimators) with scikit-learn's MLP defaults, standardised inputs, labels as written (numbers or class names),
// a classifier or a regressor chosen from the labels, and a validation split with early stopping. Also the evaluate
// and predict commands for models that know their classes.
import { type CsvExamples, loadCsvExamples, loadCsvFeatures } from '../data/csv';
import { Classifier, type EstimatorOptions, Regressor } from '../estimators/estimator';
import { encodeLabels, type Label } from '../estimators/labels';
import { requireScalingKind, type ScalingKind } from '../estimators/preprocessing';
import { Matrix } from '../matrix';
import type { FitResult } from '../model/fit';
import type { Model } from '../model/model';
import { normaliseFitOptions } from '../model/options';
import native from '../native';
import { csvLabelColumn, type Examples, UsageError } from './data';
import { asFlagError, fitOptionsFrom, modelOptionsFrom } from './flags';
import {
  describeActivations,
  describeOptimizer,
  formatCount,
  formatPercent,
  perClassAccuracy,
  trainWithProgress,
} from './progress';
import { addCheckpoint, inputsOf, resumedSeed, type TrainOptions } from './train';

export type TabularTask = 'classification' | 'regression';

/** The task: --task, or regression when the labels are numbers that are not all whole. */
export function chooseTabularTask(labels: readonly (number | string)[], task: unknown): TabularTask {
  if (task === 'classification' || task === 'regression') return task;
  if (task !== undefined)
    throw new UsageError(
      `--task for a CSV file is classification or regression (default: from the labels), got ${JSON.stringify(task)}`,
    );
  return labels.every((v) => typeof v === 'string' || Number.isInteger(v)) ? 'classification' : 'regression';
}

function hiddenSizes(options: TrainOptions): number[] | undefined {
  if (options.hidden !== undefined) return options.hidden as number[];
  return options.layers?.slice(1, -1);
}

/** The estimator's options from the flags (what is not given keeps the estimators' defaults). */
function estimatorOptions(options: TrainOptions, task: TabularTask): EstimatorOptions {
  const model = modelOptionsFrom(options) as Record<string, unknown>;
  const fit = fitOptionsFrom(options) as Record<string, unknown>;
  if (fit.iterations !== undefined)
    throw new UsageError('--iterations is for full-batch training of IDX or MNIST data; for a CSV file give --epochs');
  let scaling: ScalingKind | undefined;
  if (options.standardize === false) scaling = 'none';
  if (options.scaling !== undefined) scaling = requireScalingKind(options.scaling, '--scaling');
  const output = options.outputActivation;
  if (task === 'regression' && output !== undefined && output !== 'linear')
    throw new UsageError(`--output-activation ${output} is for classification; a regressor has a linear output`);
  if (task === 'classification' && output === 'linear')
    throw new UsageError('--output-activation linear trains a regressor: give --task regression');
  const given: EstimatorOptions = {
    hiddenLayers: hiddenSizes(options),
    hiddenActivation: model.hiddenActivation as EstimatorOptions['hiddenActivation'],
    optimizer: model.optimizer as EstimatorOptions['optimizer'],
    learningRate: fit.learningRate as number | undefined,
    batchSize: fit.batchSize as number | undefined,
    epochs: fit.epochs as number | undefined,
    l2: model.l2 as number | undefined,
    keepProb: model.keepProb as EstimatorOptions['keepProb'],
    scaling,
    validationSplit: fit.validationSplit as number | undefined,
    earlyStopping: fit.earlyStopping as boolean | undefined,
    patience: fit.patience as number | undefined,
    dtype: model.dtype as EstimatorOptions['dtype'],
    init: model.init as EstimatorOptions['init'],
    seed: resumedSeed(options, model.seed as number | undefined),
    output: output === 'softmax' ? 'softmax' : undefined,
    beta1: model.beta1 as number | undefined,
    beta2: model.beta2 as number | undefined,
    epsilon: model.epsilon as number | undefined,
    decayRate: fit.decayRate as number | undefined,
    decayEvery: fit.decayEvery as number | undefined,
  };
  return Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) as EstimatorOptions;
}

export interface TabularTrained {
  model: Model;
  result: FitResult;
  examples: Examples;
}

/** `dnn-native train` on a CSV file. */
export function trainTabular(options: TrainOptions, say: (line: string) => void): TabularTrained {
  const dtype = (options.dtype as 'float32' | 'float64' | undefined) ?? 'float64';
  const csv = loadCsvExamples(options.data, { dtype, labelColumn: csvLabelColumn(options.labelColumn) });
  const task = chooseTabularTask(csv.labels, options.task);
  const settings = asFlagError(() => estimatorOptions(options, task));
  const estimator = asFlagError(() => (task === 'classification' ? new Classifier(settings) : new Regressor(settings)));
  const { model, X, fitOptions, Y } = asFlagError(() => estimator.setUpMatrix(csv.X, csv.labels, csv.featureNames));
  estimator.adopt(model);
  const m = X.cols,
    meta = model.metadata;
  if (options.outputActivation === 'sigmoid' && model.output === 'softmax')
    throw new UsageError(
      `--output-activation sigmoid is for two classes; ${options.data} has ${meta.classes!.length} (a softmax output takes them)`,
    );
  if (options.layers !== undefined && options.layers.join(',') !== config0(model))
    throw new UsageError(
      `--layers ${options.layers.join(',')} does not fit the data ${options.data}: it needs ${config0(model)} (inputs: its features; outputs: ${task === 'regression' ? '1' : 'one per class, or 1 for two classes'}); or give only the hidden sizes with --hidden`,
    );
  const labelText =
    task === 'classification'
      ? `${meta.classes!.length} classes (${meta.classes!.slice(0, 6).join(', ')}${meta.classes!.length > 6 ? ', ...' : ''})`
      : 'numeric targets (regression)';
  say(`data: ${options.data}: ${formatCount(m)} rows of ${X.rows} features, labels: ${labelText}`);
  const config = model.config;
  say(
    `model: ${config.layerDims.join('-')} (${describeActivations(config.hiddenActivations, config.output)}), ${formatCount(model.parameterCount)} parameters, ${config.dtype}, seed ${config.seed}; inputs ${meta.inputScaling?.kind === 'none' ? 'as they are' : meta.inputScaling?.kind === 'minmax' ? 'scaled to [0, 1]' : 'standardised'}`,
  );
  addCheckpoint(options, fitOptions, 1);
  const fit = asFlagError(() => normaliseFitOptions(fitOptions, config));
  if (options.resume && fit.earlyStopping)
    throw new UsageError(
      "--resume cannot continue a run that stops early (a checkpoint does not hold early stopping's state): train with --no-early-stopping",
    );
  const batches = Math.ceil(Math.round(m * (1 - (fit.validationSplit ?? 0))) / (fit.batchSize as number));
  const threads = native.getNumThreads();
  say(
    `training: ${fit.earlyStopping ? 'up to ' : ''}${fit.epochs} epochs of ${batches} batches of ${fit.batchSize}, ${describeOptimizer(config, fit)}` +
      (fit.validationSplit
        ? `; ${Math.round(fit.validationSplit * 100)}% held out for validation${fit.earlyStopping ? `, early stopping after ${fit.patience} epochs without improvement` : ''}`
        : fit.earlyStopping
          ? `; stops when the training cost has not improved for ${fit.patience} epochs`
          : '') +
      `; ${threads} OpenBLAS ${threads === 1 ? 'thread' : 'threads'}`,
  );
  const result = asFlagError(() =>
    trainWithProgress(
      (hooks) => model.fit(X, Y, { ...fitOptions, ...hooks }),
      { miniBatch: batches > 1, costEvery: 1, regression: task === 'regression' },
      { log: say },
    ),
  );
  const trained = model.evaluate(X, Y);
  say(
    // a full batch runs one step per epoch: its iterations are the epochs
    `trained in ${(result.elapsedMs / 1000).toFixed(2)} s, ${batches > 1 ? result.epochs : result.iterations} epochs${result.stoppedEarly ? ' (stopped early)' : ''}`,
  );
  if (result.bestEpoch !== undefined && result.validationMetrics)
    say(
      `kept epoch ${result.bestEpoch + 1}: validation cost ${result.validationCosts![result.bestEpoch].toFixed(6)}, ${task === 'regression' ? `r2 ${result.validationMetrics[result.bestEpoch].toFixed(4)}` : `accuracy ${formatPercent(result.validationMetrics[result.bestEpoch])}`}`,
    );
  say(
    task === 'regression'
      ? `train r2 ${(trained.r2 as number).toFixed(4)}, rmse ${(trained.rmse as number).toPrecision(6)}`
      : `train accuracy ${formatPercent(trained.accuracy)} (${formatCount(Math.round(trained.accuracy * m))} of ${formatCount(m)} correct), cost ${trained.cost.toFixed(6)}`,
  );
  model.save(options.output, { inputs: inputsOf(options) });
  say(`model saved to ${options.output}`);
  const examples: Examples = { X, Y: null, name: options.data, featureWord: 'feature columns', kind: 'csv' };
  return { model, result, examples };
}

/** The labels of a CSV file in the model's own terms: class indices, or the regression targets. */
function targetsFor(model: Model, csv: CsvExamples): Matrix | ArrayLike<number> {
  const meta = model.metadata;
  if (meta.task === 'regression') return Float64Array.from(csv.labels as number[]);
  const indices = asUsage(() => encodeLabels(csv.labels, meta.classes!, `${csv.path} labels`));
  if (model.output === 'softmax') return indices;
  const Y = Matrix.zeros(1, indices.length, model.dtype);
  Y.data.set(indices);
  return Y;
}

function asUsage<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function requireInputs(model: Model, X: Matrix, file: string, modelFile: string, labelGiven = true): void {
  if (X.rows === model.inputSize) return;
  const hint =
    !labelGiven && X.rows === model.inputSize + 1 ? ' (if one column is the label, name it with --label-column)' : '';
  throw new UsageError(
    `the model ${modelFile} takes ${model.inputSize} features, the data ${file} has ${X.rows} ${labelGiven ? 'feature columns' : 'columns'}${hint}`,
  );
}

/** `dnn-native evaluate` for a model that knows its task: "accuracy NN.NN%" or "r2 0.NNNN" and "rmse". */
export function evaluateTabular(model: Model, modelFile: string, data: string, labelColumn?: string): string[] {
  const csv = loadCsvExamples(data, { dtype: model.dtype, labelColumn: csvLabelColumn(labelColumn) });
  requireInputs(model, csv.X, data, modelFile);
  const evaluation = model.evaluate(csv.X, targetsFor(model, csv));
  const m = csv.X.cols;
  const lines = [`data: ${data}: ${formatCount(m)} rows`];
  if (model.metadata.task === 'regression')
    lines.push(
      `r2 ${(evaluation.r2 as number).toFixed(4)}`,
      `rmse ${(evaluation.rmse as number).toPrecision(6)}`,
      `cost ${evaluation.cost.toFixed(6)}`,
    );
  else {
    lines.push(
      `accuracy ${formatPercent(evaluation.accuracy)} (${formatCount(Math.round(evaluation.accuracy * m))} of ${formatCount(m)} correct)`,
      `cost ${evaluation.cost.toFixed(6)}`,
    );
    const indices = encodeLabels(csv.labels, model.metadata.classes!, `${csv.path} labels`);
    const predicted = model.predict(csv.X).data;
    lines.push(perClassAccuracy(predicted, indices, model.metadata.classes!));
  }
  return lines;
}

/** `dnn-native predict` rows for a model that knows its task: the original label first, then probabilities. */
export function predictTabular(
  model: Model,
  modelFile: string,
  data: string,
  labelColumn: string | undefined,
  allProbabilities: boolean,
): string[] {
  const X =
    labelColumn !== undefined
      ? loadCsvExamples(data, { dtype: model.dtype, labelColumn: csvLabelColumn(labelColumn) }).X
      : loadCsvFeatures(data, { dtype: model.dtype }).X;
  requireInputs(model, X, data, modelFile, labelColumn !== undefined);
  const meta = model.metadata;
  if (meta.task === 'regression') {
    if (allProbabilities) throw new UsageError('--all-probabilities is for classifiers; a regressor predicts values');
    return ['prediction', ...Array.from(model.predict(X).data, (v) => String(Number(v.toPrecision(9))))];
  }
  const classes = meta.classes as Label[];
  const p = model.predictProba(X).data;
  const k = model.outputSize;
  const lines = [
    [
      'prediction',
      'probability',
      ...(allProbabilities ? classes.map((c) => (typeof c === 'number' ? `p${c}` : `p_${c}`)) : []),
    ].join(','),
  ];
  for (let j = 0; j < X.cols; j++) {
    const probabilities = k === 1 ? [1 - p[j], p[j]] : Array.from(p.subarray(j * k, (j + 1) * k));
    let best = 0;
    for (let c = 1; c < probabilities.length; c++) if (probabilities[c] > probabilities[best]) best = c;
    const row = [String(classes[best]), format(probabilities[best])];
    if (allProbabilities) row.push(...probabilities.map(format));
    lines.push(row.join(','));
  }
  return lines;
}

function config0(model: Model): string {
  return model.config.layerDims.join(',');
}

function format(p: number): string {
  return String(Number(p.toPrecision(9)));
}
