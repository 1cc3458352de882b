// Classifier and Regressor: scikit-learn's shape in camelCase for rows as Node apps hold them. A thin layer over the
// Model: it turns rows into a matrix, labels into class indices, learns the input scaling (and the target scaling
// for regression), stores all of it in the model's metadata, and calls the Model's own fit: no second loop.
// Defaults follow scikit-learn's MLP: Adam at 0.001, batches of up to 200, up to 200 epochs that stop once the
// training cost has not improved by 1e-4 for 10 epochs, L2 1e-4, one hidden layer of 100 units; and standardised
// inputs (scikit-learn's advice, on here by default). validationSplit holds rows out, reports on them every epoch
// and stops on their cost instead, keeping the best epoch's parameters.
import { describe } from '../checks';
import type { DType } from '../matrix';
import { Matrix } from '../matrix';
import type { FitResult } from '../model/fit';
import { Model } from '../model/model';
import {
  didYouMean,
  type FitAsyncOptions,
  type FitOptions,
  type HiddenActivation,
  type OptimizerName,
  type Progress,
} from '../model/options';
import type { InitScheme } from '../random';
import { encodeLabels, findClasses, type Label, requireTargets } from './labels';
import { fitScaling, requireScalingKind, type ScalingKind } from './preprocessing';
import { type Rows, rowsToMatrix } from './rows';

export interface EstimatorOptions {
  /** hidden layer sizes (default [100]) */
  hiddenLayers?: readonly number[];
  hiddenActivation?: HiddenActivation | readonly HiddenActivation[];
  /** default 'adam' */
  optimizer?: OptimizerName;
  /** default 0.001 */
  learningRate?: number;
  /** default min(200, training examples) */
  batchSize?: number;
  /** the most passes over the data (default 200; early stopping usually ends sooner) */
  epochs?: number;
  /** default 1e-4 */
  l2?: number;
  keepProb?: number | readonly number[];
  /** input scaling learnt from the training rows (default 'standardize') */
  scaling?: ScalingKind;
  /** fraction held out to watch every epoch and stop on (default 0: train on every row) */
  validationSplit?: number;
  /** default true: stop on the validation cost, or without validation when the training cost stops improving */
  earlyStopping?: boolean;
  /** default 10 */
  patience?: number;
  /** default 'float64' */
  dtype?: DType;
  /** default 'glorot' (scikit-learn's MLP initialisation) */
  init?: InitScheme;
  /** weights, shuffling, dropout and the validation split (default: random) */
  seed?: number;
  /** classifiers: 'auto' (default: sigmoid for two classes, softmax for more) or 'softmax' */
  output?: 'auto' | 'softmax';
  /** as for the Model: momentum's or Adam's betas and epsilon, and the learning-rate decay */
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  decayRate?: number;
  decayEvery?: number;
}

const DEFAULTS = {
  hiddenLayers: [100],
  optimizer: 'adam',
  learningRate: 0.001,
  epochs: 200,
  l2: 1e-4,
  scaling: 'standardize',
  validationSplit: 0,
  patience: 10,
  dtype: 'float64',
  init: 'glorot',
} as const;

const KEYS: readonly (keyof EstimatorOptions)[] = [
  'hiddenLayers',
  'hiddenActivation',
  'optimizer',
  'learningRate',
  'batchSize',
  'epochs',
  'l2',
  'keepProb',
  'scaling',
  'validationSplit',
  'earlyStopping',
  'patience',
  'dtype',
  'init',
  'seed',
  'output',
  'beta1',
  'beta2',
  'epsilon',
  'decayRate',
  'decayEvery',
];

export type EstimatorFitOptions = Pick<FitAsyncOptions, 'onProgress' | 'progressEvery'>;

function requireOptions(options: EstimatorOptions): EstimatorOptions {
  if (typeof options !== 'object' || options === null)
    throw new TypeError(`options must be an object, got ${describe(options)}`);
  for (const key of Object.keys(options))
    if (!(KEYS as readonly string[]).includes(key)) {
      const guess = didYouMean(key, KEYS as readonly string[]);
      throw new TypeError(`options.${key} is not an option${guess ? `; did you mean ${guess}?` : ''}`);
    }
  if (options.scaling !== undefined) requireScalingKind(options.scaling, 'options.scaling');
  if (options.output !== undefined && options.output !== 'auto' && options.output !== 'softmax')
    throw new TypeError(`options.output must be 'auto' or 'softmax', got ${describe(options.output)}`);
  if (
    options.hiddenLayers !== undefined &&
    (!Array.isArray(options.hiddenLayers) || !options.hiddenLayers.every((n) => Number.isInteger(n) && n > 0))
  )
    throw new TypeError(
      `options.hiddenLayers must be an array of positive integers, got ${describe(options.hiddenLayers)}`,
    );
  if (options.validationSplit !== undefined && !(options.validationSplit >= 0 && options.validationSplit < 1))
    throw new RangeError(`options.validationSplit must be in [0, 1), got ${options.validationSplit}`);
  return { ...options };
}

/** A model built for the data, the data as the model trains on it, and the fit options. */
interface Prepared {
  model: Model;
  X: Matrix;
  Y: Matrix | ArrayLike<number>;
  fitOptions: FitOptions;
}

abstract class Estimator {
  protected readonly options: EstimatorOptions;
  protected trained: Model | null = null;

  constructor(options: EstimatorOptions = {}) {
    this.options = requireOptions(options);
  }

  /** The trained Model (its metadata holds the scaling, the classes and the feature names). */
  get model(): Model {
    if (this.trained === null) throw new Error('the estimator is not fitted yet: call fit(rows, labels) first');
    return this.trained;
  }

  get featureNames(): readonly string[] | null {
    return this.model.metadata.featureNames;
  }

  save(file: string): void {
    this.model.save(file);
  }

  /** @internal the model fit() is about to train (set before training, so a failed fit leaves it inspectable) */
  adopt(model: Model): void {
    this.trained = model;
  }

  protected matrix(rows: Rows, name = 'rows'): Matrix {
    const model = this.model;
    const names = model.metadata.featureNames ?? undefined;
    const { X } = rowsToMatrix(rows, model.dtype, names, name);
    if (X.rows !== model.inputSize)
      throw new RangeError(
        `${name} have ${X.rows} features per row, but the model was trained on ${model.inputSize}` +
          (X.cols === model.inputSize ? ' (one example per row is expected: are the rows and columns swapped?)' : ''),
      );
    return X;
  }

  /** Builds the model for X and the output, with the estimator's settings, and its model + fit options. */
  protected prepare(X: Matrix, outputs: number, output: 'sigmoid' | 'softmax' | 'linear') {
    const o = this.options;
    const model = new Model({
      layerDims: [X.rows, ...(o.hiddenLayers ?? DEFAULTS.hiddenLayers), outputs],
      output,
      hiddenActivation: o.hiddenActivation,
      optimizer: o.optimizer ?? DEFAULTS.optimizer,
      l2: o.l2 ?? DEFAULTS.l2,
      keepProb: o.keepProb,
      dtype: o.dtype ?? DEFAULTS.dtype,
      init: o.init ?? DEFAULTS.init,
      seed: o.seed,
      beta1: o.beta1,
      beta2: o.beta2,
      epsilon: o.epsilon,
    });
    const split = o.validationSplit ?? DEFAULTS.validationSplit;
    const trainingExamples = Math.max(1, Math.round(X.cols * (1 - split)));
    const fitOptions = {
      learningRate: o.learningRate ?? DEFAULTS.learningRate,
      batchSize: o.batchSize ?? Math.min(200, trainingExamples),
      epochs: o.epochs ?? DEFAULTS.epochs,
      // a batch of every training row trains full batch: record (and watch) the cost after every step, an epoch
      costEvery: 1,
      decayRate: o.decayRate,
      decayEvery: o.decayEvery,
      seed: model.seed,
      ...(split > 0 ? { validationSplit: split } : {}),
      earlyStopping: o.earlyStopping ?? true,
      patience: o.patience ?? DEFAULTS.patience,
    };
    return { model, fitOptions };
  }

  protected abstract setUp(rows: Rows, labels: ArrayLike<unknown>): Prepared;

  /** @internal fit's set-up from a column-major matrix (the command line's CSV path). */
  abstract setUpMatrix(X: Matrix, labels: ArrayLike<unknown>, featureNames: string[] | null): Prepared;

  /** Trains on rows (one example each) and their labels or targets; returns the fit's result. */
  fit(rows: Rows, labels: ArrayLike<unknown>, options: EstimatorFitOptions = {}): FitResult {
    const { model, X, Y, fitOptions } = this.setUp(rows, labels);
    this.trained = model;
    return model.fit(X, Y, { ...fitOptions, ...options });
  }

  /** fit() in a worker thread; `signal` stops it after the current step. */
  async fitAsync(
    rows: Rows,
    labels: ArrayLike<unknown>,
    options: EstimatorFitOptions & { signal?: AbortSignal } = {},
  ): Promise<FitResult> {
    const { model, X, Y, fitOptions } = this.setUp(rows, labels);
    this.trained = model;
    return model.fitAsync(X, Y, { ...fitOptions, ...options });
  }
}

/** Classes from labels as they come (numbers or strings), sorted; predictions come back as those labels. */
export class Classifier extends Estimator {
  /** The classes, sorted: class index k stands for classes[k]. */
  get classes(): readonly Label[] {
    return this.model.metadata.classes ?? [];
  }

  protected setUp(rows: Rows, labels: ArrayLike<unknown>): Prepared {
    const { X, featureNames } = rowsToMatrix(rows, this.options.dtype ?? DEFAULTS.dtype);
    return this.setUpMatrix(X, labels, featureNames ?? null);
  }

  setUpMatrix(X: Matrix, labels: ArrayLike<unknown>, featureNames: string[] | null): Prepared {
    const dtype = X.dtype;
    const classes = findClasses(labels);
    if (classes.length < 2)
      throw new RangeError(`labels hold one class (${JSON.stringify(classes[0])}); a classifier needs two or more`);
    const indices = encodeLabels(labels, classes);
    if (indices.length !== X.cols)
      throw new RangeError(`labels has ${indices.length} entries, but rows has ${X.cols} rows; give one label per row`);
    const softmax = classes.length > 2 || this.options.output === 'softmax';
    const { model, fitOptions } = this.prepare(X, softmax ? classes.length : 1, softmax ? 'softmax' : 'sigmoid');
    model.setMetadata({
      task: 'classification',
      classes,
      featureNames,
      inputScaling: fitScaling(X, this.options.scaling ?? DEFAULTS.scaling),
    });
    // softmax takes the class indices; one sigmoid output a (1, m) matrix of 0/1
    const Y = Matrix.zeros(1, X.cols, dtype);
    Y.data.set(indices);
    return { model, X, Y: softmax ? indices : Y, fitOptions };
  }

  /** For each row, the probability of each class, in the order of `classes`. */
  predictProba(rows: Rows): number[][] {
    const model = this.model;
    const p = model.predictProba(this.matrix(rows)).data;
    const k = model.outputSize;
    const out: number[][] = [];
    for (let j = 0; j < p.length / k; j++)
      out.push(k === 1 ? [1 - p[j], p[j]] : Array.from(p.subarray(j * k, (j + 1) * k)));
    return out;
  }

  /** The most probable class of each row, as the label it was given in. */
  predict(rows: Rows): Label[] {
    const model = this.model,
      classes = this.classes;
    const predicted = model.predict(this.matrix(rows)).data;
    return Array.from(predicted, (k) => classes[k]);
  }

  /** Accuracy: the fraction of rows whose predicted label equals the given one. */
  score(rows: Rows, labels: ArrayLike<unknown>): number {
    const predicted = this.predict(rows);
    if (labels.length !== predicted.length)
      throw new RangeError(`labels has ${labels.length} entries, but rows has ${predicted.length} rows`);
    let right = 0;
    for (let j = 0; j < predicted.length; j++) if (predicted[j] === labels[j]) right++;
    return right / predicted.length;
  }

  static load(file: string): Classifier {
    const model = Model.load(file);
    if (model.metadata.task !== 'classification' || model.metadata.classes === null)
      throw new Error(`${file}: not a classifier saved by Classifier.save (it has no classes)`);
    const classifier = new Classifier();
    classifier.trained = model;
    return classifier;
  }
}

/** Numeric targets, standardised inside (the network learns (y - mean) / std); predictions in the targets' units. */
export class Regressor extends Estimator {
  protected setUp(rows: Rows, targets: ArrayLike<unknown>): Prepared {
    const { X, featureNames } = rowsToMatrix(rows, this.options.dtype ?? DEFAULTS.dtype);
    return this.setUpMatrix(X, targets, featureNames ?? null);
  }

  setUpMatrix(X: Matrix, targets: ArrayLike<unknown>, featureNames: string[] | null): Prepared {
    const y = requireTargets(targets);
    if (y.length !== X.cols)
      throw new RangeError(`targets has ${y.length} entries, but rows has ${X.cols} rows; give one target per row`);
    let mean = 0;
    for (const v of y) mean += v / y.length;
    let variance = 0;
    for (const v of y) variance += (v - mean) ** 2 / y.length;
    const { model, fitOptions } = this.prepare(X, 1, 'linear');
    model.setMetadata({
      task: 'regression',
      featureNames,
      inputScaling: fitScaling(X, this.options.scaling ?? DEFAULTS.scaling),
      targetScaling: { offset: mean, scale: variance > 0 ? Math.sqrt(variance) : 1 },
    });
    return { model, X, Y: y, fitOptions };
  }

  /** The predicted target of each row. */
  predict(rows: Rows): number[] {
    return Array.from(this.model.predict(this.matrix(rows)).data);
  }

  /** R², the coefficient of determination (1 is perfect; 0 is as good as predicting the mean). */
  score(rows: Rows, targets: ArrayLike<unknown>): number {
    const y = requireTargets(targets);
    return this.model.evaluate(this.matrix(rows), y).r2 as number;
  }

  static load(file: string): Regressor {
    const model = Model.load(file);
    if (model.metadata.task !== 'regression') throw new Error(`${file}: not a regressor saved by Regressor.save`);
    const regressor = new Regressor();
    regressor.trained = model;
    return regressor;
  }
}

export type { Label, Progress, Rows };
