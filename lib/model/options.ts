// Every model and fit option, declared once: its type and range (a check), its default, one line of doc and, for
// those the command line exposes, its flag. The table drives the Model's validation (normaliseModelOptions), the
// fit's (normaliseFitOptions), the commander flags with their --help (lib/cli), and the model file's header
// (MODEL_OPTION_KEYS). Errors are TypeError/RangeError tagged with the option they concern (`error.option`), so
// the command line names the flag from the field, never by rewriting message text.
import { describe, requireDimension, requireLayerDims, requirePositiveNumber } from '../checks';
import { type DType, requireDType } from '../matrix';
import native, { type ActivationCode } from '../native';
import { freshSeed, type InitScheme, requireInit, requireSeed } from '../random';

export type HiddenActivation = 'relu' | 'leakyRelu' | 'tanh' | 'sigmoid';
export type OutputActivation = 'sigmoid' | 'softmax' | 'linear';
export type OptimizerName = 'gd' | 'momentum' | 'adam';

export interface ModelOptions {
  /** [n_x, n_1, ..., n_L]: input size, hidden layer sizes, output size (the number of classes for softmax) */
  layerDims: readonly number[];
  /** 'float64' (default; agrees with numpy to ~1e-12) or 'float32' (about twice the GEMM rate) */
  dtype?: DType;
  /** 'small': randn·0.01 (the tutorial), 'lecun': randn/√n_prev (the course's application, default), 'he': randn·√(2/n_prev) */
  init?: InitScheme;
  /** np.random.seed(seed) before drawing the weights, as the numpy code; random when omitted */
  seed?: number;
  /** hidden layers' activation, one for all or one per hidden layer (default 'relu'; leaky relu's slope is 0.01) */
  hiddenActivation?: HiddenActivation | readonly HiddenActivation[];
  /** 'sigmoid' with binary cross-entropy (default; labels 0/1), 'softmax' with categorical cross-entropy (classes), or 'linear' with half the mean squared error (regression) */
  output?: OutputActivation;
  /** 'gd' (plain gradient descent, default), 'momentum' or 'adam', as the course defines them */
  optimizer?: OptimizerName;
  /** momentum's β, Adam's β1 (default 0.9) */
  beta1?: number;
  /** Adam's β2 (default 0.999) */
  beta2?: number;
  /** Adam's ε (default 1e-8) */
  epsilon?: number;
  /** L2 weight decay λ: cost + (λ/2m) Σ ||W||², dW + (λ/m) W (default 0) */
  l2?: number;
  /** inverted dropout's keep probability for the hidden layers, one for all or one per hidden layer (default 1: off); never at predict time */
  keepProb?: number | readonly number[];
}

/** The normalised settings (every field present): what a model file stores and Model.fromConfig takes. */
export interface ModelConfig {
  layerDims: number[];
  dtype: DType;
  init: InitScheme;
  seed: number;
  hiddenActivations: HiddenActivation[];
  output: OutputActivation;
  optimizer: OptimizerName;
  beta1: number;
  beta2: number;
  epsilon: number;
  l2: number;
  keepProb: number[];
}

/** What fit() reports as it trains. */
export interface Progress {
  /** steps done so far in this fit (one step = one batch) */
  iteration: number;
  totalIterations: number;
  /** the epoch in progress (0-based); always 0 for full-batch training */
  epoch: number;
  epochs: number;
  /** the cost of the last step's batch, before its update */
  cost: number;
  /** examples processed so far in this fit */
  examples: number;
  elapsedMs: number;
  /** set on the report at the end of each mini-batch epoch: that epoch's example-weighted mean cost (the recorded cost) */
  epochCost?: number;
  /** with validationSplit, on the reports of recorded costs: the validation cost and metric (accuracy, or r2) */
  validationCost?: number;
  validationMetric?: number;
}

export interface FitOptions {
  /** step size (default 0.0075, the tutorial's, for gd and momentum; 0.001 for adam) */
  learningRate?: number;
  /** learning-rate decay, the course's schedule: lr = learningRate / (1 + decayRate · floor(epoch / decayEvery)) (default 0: none); full batch: per iteration */
  decayRate?: number;
  /** epochs (iterations for full batch) between decay steps (default 1) */
  decayEvery?: number;
  /** full-batch steps (default 3000 when neither epochs nor batchSize is given) */
  iterations?: number;
  /** passes over the data (default 10 when batchSize is given; full batch: the same as iterations) */
  epochs?: number;
  /** examples per step; omitted: the whole training set (full batch) */
  batchSize?: number;
  /** reshuffle the examples each epoch (default true with mini-batches; the full batch is never shuffled) */
  shuffle?: boolean;
  /** shuffle seed: epoch e draws np.random.seed(seed + e + 1); np.random.permutation(m), as the course's model(); also seeds the dropout masks (default 0) */
  seed?: number;
  /** full batch: record the cost every costEvery iterations and at the last (default 100); mini-batch: one cost per epoch */
  costEvery?: number;
  /**
   * called at every recorded cost, and every progressEvery steps when that is set. If it throws, training stops
   * there and fit (or fitAsync) rethrows its error; the model keeps the steps done (fitAsync: those done by the
   * time the worker sees the stop).
   */
  onProgress?: (progress: Progress) => void;
  /** also report progress every progressEvery steps (default: only at recorded costs) */
  progressEvery?: number;
  /** write checkpoints while training, and optionally resume from one: { path, every, resume } */
  checkpoint?: CheckpointOptions;
  /** hold out this fraction of the examples (seeded by `seed`, stratified by class for classifiers) and report the validation cost and metric at every recorded cost (default: none) */
  validationSplit?: number;
  /** stop after `patience` recorded costs without a better validation cost, keeping the best parameters (default true when validationSplit is given); without validationSplit, stop when the training cost has not improved by 1e-4 for `patience` recorded costs (scikit-learn's MLP rule) */
  earlyStopping?: boolean;
  /** recorded costs (epochs) without improvement before early stopping (default 10) */
  patience?: number;
}

/** Where and how often fit() writes a checkpoint, and whether it continues from one (lib/model/checkpoint.ts). */
export interface CheckpointOptions {
  /** the checkpoint file, written atomically (it is also a model file: Model.load reads it) */
  path: string;
  /** epochs (full batch: iterations) between checkpoints (default 1); one is also written when training ends */
  every?: number;
  /** continue from `path` when it exists (same model settings, data and fit options), else start afresh (default false) */
  resume?: boolean;
}

/**
 * fitAsync's options. The worker trains on a copy of X and the labels made in slices over the first event-loop
 * turns (so the call does not block); do not change them until the promise settles. Progress is coalesced: a slow
 * onProgress gets the latest report, not every one, and none after an abort.
 */
export interface FitAsyncOptions extends FitOptions {
  /** aborting stops training after the current step; the model keeps that step's parameters and the promise rejects with an AbortError */
  signal?: AbortSignal;
  /**
   * OpenBLAS threads while training (process-wide). Default: as set for the first training; while several fitAsync
   * trainings run at once, 1, so that the workers and OpenBLAS's pool do not oversubscribe the cores (the previous
   * count comes back when the last one ends).
   */
  blasThreads?: number;
}

// ---------------------------------------------------------------------------------------------------------------
// Errors that know their option

/** A TypeError or RangeError about one option: `option` is its key, `subject` the name the message starts with. */
export type OptionError = (TypeError | RangeError) & { option: string; subject: string };

export function isOptionError(error: unknown): error is OptionError {
  return (
    (error instanceof TypeError || error instanceof RangeError) && typeof (error as OptionError).option === 'string'
  );
}

/** Runs a check on `options.<key>` (or an entry of it) and tags what it throws with the option. */
function tagged<T>(key: string, subject: string, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if ((error instanceof TypeError || error instanceof RangeError) && !isOptionError(error))
      Object.assign(error, { option: key, subject });
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Checks

const HIDDEN: readonly HiddenActivation[] = ['relu', 'leakyRelu', 'tanh', 'sigmoid'];
const OUTPUTS: readonly OutputActivation[] = ['sigmoid', 'softmax', 'linear'];
const OPTIMIZERS: readonly OptimizerName[] = ['gd', 'momentum', 'adam'];
const INITS: readonly InitScheme[] = ['he', 'lecun', 'small', 'glorot'];
const DTYPES: readonly DType[] = ['float64', 'float32'];

function oneOf<T extends string>(choices: readonly T[]) {
  return (value: unknown, name: string): T => {
    if (typeof value === 'string' && (choices as readonly string[]).includes(value)) return value as T;
    const quoted = choices.map((c) => `'${c}'`);
    const list = `${quoted.slice(0, -1).join(', ')} or ${quoted[quoted.length - 1]}`;
    throw new TypeError(`${name} must be ${choices.length > 3 ? 'one of ' : ''}${list}, got ${describe(value)}`);
  };
}

function fraction(low: '[' | '(', high: ']' | ')') {
  return (value: unknown, name: string): number => {
    if (typeof value !== 'number') throw new TypeError(`${name} must be a number, got ${describe(value)}`);
    const above = low === '(' ? value > 0 : value >= 0;
    const below = high === ']' ? value <= 1 : value < 1;
    if (!(above && below)) throw new RangeError(`${name} must be in ${low}0, 1${high}, got ${value}`);
    return value;
  };
}

function nonNegative(value: unknown, name: string): number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, got ${describe(value)}`);
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a finite number >= 0, got ${value}`);
  return value;
}

function boolean(value: unknown, name: string): boolean {
  if (typeof value !== 'boolean') throw new TypeError(`${name} must be a boolean, got ${describe(value)}`);
  return value;
}

function callback(value: unknown, name: string): (progress: Progress) => void {
  if (typeof value !== 'function') throw new TypeError(`${name} must be a function, got ${describe(value)}`);
  return value as (progress: Progress) => void;
}

function checkpoint(value: unknown, name: string): Required<CheckpointOptions> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new TypeError(`${name} must be an object { path, every, resume }, got ${describe(value)}`);
  const given = value as Record<string, unknown>;
  for (const key of Object.keys(given))
    if (!['path', 'every', 'resume'].includes(key))
      throw new TypeError(`${name}.${key} is not an option (known: path, every, resume)`);
  if (typeof given.path !== 'string' || given.path === '')
    throw new TypeError(`${name}.path must be a non-empty path string, got ${describe(given.path)}`);
  return {
    path: given.path,
    every: given.every === undefined ? 1 : requireDimension(given.every, `${name}.every`),
    resume: given.resume === undefined ? false : boolean(given.resume, `${name}.resume`),
  };
}

function signal(value: unknown, name: string): AbortSignal {
  if (!(value instanceof AbortSignal)) throw new TypeError(`${name} must be an AbortSignal, got ${describe(value)}`);
  return value;
}

function threads(value: unknown, name: string): number {
  if (typeof value !== 'number')
    throw new TypeError(`${name} must be an integer from 1 to 1024, got ${describe(value)}`);
  if (!Number.isInteger(value) || value < 1 || value > 1024)
    throw new RangeError(`${name} must be an integer from 1 to 1024, got ${value}`);
  return value;
}

// ---------------------------------------------------------------------------------------------------------------
// Command-line parsing of a flag's text (the values are then checked by the same checks as the API's)

/** How the command line reads a flag: its text to a value. Throws a plain Error saying what was expected. */
export type FlagParser = (text: string) => unknown;

const integerText: FlagParser = (text) => {
  if (!/^\d+$/.test(text.trim())) throw new Error('expected a non-negative integer');
  return Number(text);
};
const numberText: FlagParser = (text) => {
  const n = Number(text);
  if (text.trim() === '' || Number.isNaN(n)) throw new Error('expected a number');
  return n;
};
/** "0.8" -> 0.8 (every hidden layer); "0.9,0.8" -> [0.9, 0.8] (one per hidden layer). */
const numberOrListText: FlagParser = (text) => {
  const parts = text.split(',').map((part) => numberText(part.trim()) as number);
  return parts.length === 1 ? parts[0] : parts;
};
/** "relu" (every hidden layer) or "relu,tanh" (one per hidden layer). */
const wordOrListText: FlagParser = (text) => {
  const parts = text.split(',').map((part) => part.trim());
  return parts.length === 1 ? parts[0] : parts;
};
const layerListText: FlagParser = (text) => {
  const parts = text.split(',').map((s) => s.trim());
  if (!parts.every((s) => /^\d+$/.test(s))) throw new Error('expected sizes separated by commas, e.g. 784,128,64,10');
  return parts.map(Number);
};
const wordText: FlagParser = (text) => text;

// ---------------------------------------------------------------------------------------------------------------
// The table

export interface OptionSpec {
  /** the object it belongs to: new Model(options), fit(X, Y, options), or fitAsync only */
  scope: 'model' | 'fit' | 'fitAsync';
  /** one line, for --help and the docs */
  doc: string;
  /** the value when omitted: a constant, or computed from the other settings */
  default?: unknown;
  /** what the --help shows as the default when it is computed or absent */
  defaultText?: string;
  /** checks a given value and returns it normalised; `name` is what messages call it */
  check: (value: unknown, name: string, settings: Record<string, unknown>) => unknown;
  /** the command-line flag: its name, a value placeholder and how to read the text (absent: API only) */
  flag?: { name: string; value: string; parse: FlagParser; choices?: readonly string[] };
}

/** Hidden-layer options take one value for every hidden layer or a list with one per hidden layer. */
function perHiddenLayer<T>(check: (value: unknown, name: string) => T) {
  return (value: unknown, name: string, settings: Record<string, unknown>): T[] => {
    const hiddenLayers = (settings.layerDims as number[]).length - 2;
    if (Array.isArray(value)) {
      if (value.length !== hiddenLayers)
        throw new RangeError(`${name} has ${value.length} entries, expected one per hidden layer (${hiddenLayers})`);
      return value.map((v, i) => check(v, `${name}[${i}]`));
    }
    const one = check(value, name);
    return Array.from({ length: hiddenLayers }, () => one);
  };
}

export const OPTIONS = {
  // --- the model (new Model(options), stored in model files)
  layerDims: {
    scope: 'model',
    doc: 'layer sizes, input first and outputs last, e.g. 784,128,64,10',
    check: (value, name) => requireLayerDims(value, name),
    flag: { name: 'layers', value: 'sizes', parse: layerListText },
  },
  dtype: {
    scope: 'model',
    doc: 'floating-point type: float64 agrees with numpy to ~1e-12, float32 trains about twice as fast',
    default: 'float64',
    check: (value, name) => requireDType(value, name),
    flag: { name: 'dtype', value: 'type', parse: wordText, choices: DTYPES },
  },
  init: {
    scope: 'model',
    doc: "weight initialisation: he = randn*sqrt(2/n_prev), lecun = randn/sqrt(n_prev), small = randn*0.01, glorot = uniform with bound sqrt(6/(n+n_prev)) (scikit-learn's MLP)",
    default: 'lecun',
    check: (value, name) => requireInit(value, name),
    flag: { name: 'init', value: 'scheme', parse: wordText, choices: INITS },
  },
  seed: {
    scope: 'model',
    doc: 'seed of the initial weights (the command line also seeds the shuffling and dropout with it)',
    default: () => freshSeed(),
    defaultText: 'random',
    check: (value, name) => requireSeed(value, name),
    flag: { name: 'seed', value: 'n', parse: integerText },
  },
  hiddenActivation: {
    scope: 'model',
    doc: "hidden layers' activation: relu, leakyRelu (slope 0.01), tanh or sigmoid; or a list, one per hidden layer",
    default: 'relu',
    check: perHiddenLayer(oneOf(HIDDEN)),
    flag: { name: 'hidden-activation', value: 'type', parse: wordOrListText },
  },
  output: {
    scope: 'model',
    doc: 'output layer: sigmoid (labels 0/1, binary cross-entropy), softmax (classes, categorical cross-entropy) or linear (regression, squared error)',
    default: 'sigmoid',
    check: (value, name, settings) => {
      const output = oneOf(OUTPUTS)(value, name);
      const dims = settings.layerDims as number[];
      if (output === 'softmax' && dims[dims.length - 1] < 2)
        // the layer sizes are what to change: the error is about layerDims
        throw Object.assign(
          new RangeError(
            `options.layerDims ends in ${dims[dims.length - 1]}: a softmax output needs at least 2 units (one per class)`,
          ),
          { option: 'layerDims', subject: 'options.layerDims' },
        );
      return output;
    },
    flag: { name: 'output-activation', value: 'type', parse: wordText, choices: OUTPUTS },
  },
  optimizer: {
    scope: 'model',
    doc: 'gd (gradient descent), momentum, or adam (bias-corrected), as the deeplearning.ai course defines them',
    default: 'gd',
    check: oneOf(OPTIMIZERS),
    flag: { name: 'optimizer', value: 'name', parse: wordText, choices: OPTIMIZERS },
  },
  beta1: {
    scope: 'model',
    doc: "momentum's beta, Adam's beta1, in [0, 1)",
    default: 0.9,
    check: fraction('[', ')'),
    flag: { name: 'beta1', value: 'b', parse: numberText },
  },
  beta2: {
    scope: 'model',
    doc: "Adam's beta2, in [0, 1)",
    default: 0.999,
    check: fraction('[', ')'),
    flag: { name: 'beta2', value: 'b', parse: numberText },
  },
  epsilon: {
    scope: 'model',
    doc: "Adam's epsilon, in (0, 1]",
    default: 1e-8,
    check: fraction('(', ']'),
    flag: { name: 'epsilon', value: 'e', parse: numberText },
  },
  l2: {
    scope: 'model',
    doc: 'L2 weight decay: cost + (lambda/2m)*sum of squared weights, m the batch size; 0 is none',
    default: 0,
    check: nonNegative,
    flag: { name: 'l2', value: 'lambda', parse: numberText },
  },
  keepProb: {
    scope: 'model',
    doc: 'inverted dropout: the probability of keeping a hidden unit while training, in (0, 1], or a list, one per hidden layer; 1 is none',
    default: 1,
    check: perHiddenLayer(fraction('(', ']')),
    flag: { name: 'keep-prob', value: 'p', parse: numberOrListText },
  },

  // --- training (fit(X, Y, options))
  learningRate: {
    scope: 'fit',
    doc: 'step size',
    default: (model: { optimizer: OptimizerName }) => (model.optimizer === 'adam' ? 0.001 : 0.0075),
    defaultText: '0.0075 for gd and momentum, 0.001 for adam',
    check: (value, name) => requirePositiveNumber(value, name),
    flag: { name: 'learning-rate', value: 'rate', parse: numberText },
  },
  decayRate: {
    scope: 'fit',
    doc: 'learning-rate decay: rate / (1 + r*floor(epoch / decay-every)); 0 is none',
    default: 0,
    check: nonNegative,
    flag: { name: 'decay-rate', value: 'r', parse: numberText },
  },
  decayEvery: {
    scope: 'fit',
    doc: 'epochs (full batch: steps) between learning-rate decay steps',
    default: 1,
    check: (value, name) => requireDimension(value, name),
    flag: { name: 'decay-every', value: 'n', parse: integerText },
  },
  iterations: {
    scope: 'fit',
    doc: 'full-batch training: the number of steps',
    defaultText: '3000 with a full batch',
    check: (value, name) => requireDimension(value, name),
    flag: { name: 'iterations', value: 'n', parse: integerText },
  },
  epochs: {
    scope: 'fit',
    doc: 'passes over the training data (full batch: steps)',
    defaultText: '10 with mini-batches',
    check: (value, name) => requireDimension(value, name),
    flag: { name: 'epochs', value: 'n', parse: integerText },
  },
  batchSize: {
    scope: 'fit',
    doc: 'examples per step; omitted, or at least the number of examples: the full batch',
    defaultText: 'the full batch',
    check: (value, name) => requireDimension(value, name),
    flag: { name: 'batch-size', value: 'n', parse: integerText },
  },
  shuffle: {
    scope: 'fit',
    doc: 'reshuffle the examples every epoch (mini-batches only)',
    defaultText: 'true with mini-batches',
    check: boolean,
  },
  fitSeed: {
    scope: 'fit',
    doc: 'seed of the shuffling (np.random.seed(seed + epoch + 1)) and of the dropout masks',
    default: 0,
    check: (value, name) => requireSeed(value, name),
  },
  costEvery: {
    scope: 'fit',
    doc: 'full batch: record the cost every n steps and at the last (mini-batch: one cost per epoch)',
    default: 100,
    check: (value, name) => requireDimension(value, name),
  },
  onProgress: { scope: 'fit', doc: 'called with a Progress at every recorded cost', check: callback },
  progressEvery: {
    scope: 'fit',
    doc: 'also report progress every n steps',
    check: (value, name) => requireDimension(value, name),
  },
  validationSplit: {
    scope: 'fit',
    doc: 'hold out this fraction of the examples for validation (stratified by class), reported every epoch',
    defaultText: 'none',
    check: fraction('(', ')'),
    flag: { name: 'validation-split', value: 'fraction', parse: numberText },
  },
  earlyStopping: {
    scope: 'fit',
    doc: 'stop when the validation cost (without a validation split: the training cost, by 1e-4) has not improved for --patience epochs; with validation, keep the best model',
    defaultText: 'on with a validation split',
    check: boolean,
    flag: { name: 'early-stopping', value: '', parse: wordText },
  },
  patience: {
    scope: 'fit',
    doc: 'epochs without a better validation cost before early stopping',
    default: 10,
    check: (value, name) => requireDimension(value, name),
    flag: { name: 'patience', value: 'n', parse: integerText },
  },
  checkpoint: {
    scope: 'fit',
    doc: 'write { path } every { every } epochs (full batch: iterations) atomically; { resume: true } continues from it',
    check: checkpoint,
  },
  signal: { scope: 'fitAsync', doc: 'stops training after the current step when aborted', check: signal },
  blasThreads: {
    scope: 'fitAsync',
    doc: 'OpenBLAS threads while training',
    check: threads,
    flag: { name: 'threads', value: 'n', parse: integerText },
  },
} satisfies Record<string, OptionSpec>;

export type OptionKey = keyof typeof OPTIONS;

/** The option's key in the user's object: the fit seed is `seed` there, `fitSeed` only in the table. */
function userKey(key: OptionKey): string {
  return key === 'fitSeed' ? 'seed' : key;
}

function keysOf(...scopes: OptionSpec['scope'][]): string[] {
  return (Object.keys(OPTIONS) as OptionKey[])
    .filter((key) => scopes.includes((OPTIONS[key] as OptionSpec).scope))
    .map(userKey);
}

/** The model options, in the order a model file's header stores them (hiddenActivation as hiddenActivations). */
export const MODEL_OPTION_KEYS = keysOf('model');
const FIT_KEYS = keysOf('fit');
const FIT_ASYNC_KEYS = keysOf('fit', 'fitAsync');

// A few names people type from other libraries, beside the did-you-mean by spelling.
const ALIASES: Record<string, string> = {
  lr: 'learningRate',
  learning_rate: 'learningRate',
  alpha: 'learningRate',
  batch: 'batchSize',
  batch_size: 'batchSize',
  epoch: 'epochs',
  num_iterations: 'iterations',
  numIterations: 'iterations',
  dropout: 'keepProb',
  activation: 'hiddenActivation',
  layers: 'layerDims',
  layer_dims: 'layerDims',
  weightDecay: 'l2',
  lambd: 'l2',
};

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

/** The known key a mistyped one most likely meant, if any is close. */
export function didYouMean(key: string, known: readonly string[]): string | undefined {
  if (ALIASES[key] !== undefined && known.includes(ALIASES[key])) return ALIASES[key];
  const lower = key.toLowerCase();
  let best: string | undefined,
    bestDistance = Infinity;
  for (const candidate of known) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

/** Refuses keys the table does not know (with a did-you-mean), before anything else is looked at. */
function refuseUnknownKeys(options: object, known: readonly string[], where: string): void {
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const guess = didYouMean(key, known);
    const elsewhere = MODEL_OPTION_KEYS.includes(key)
      ? ': it is a model option, for new Model(options)'
      : FIT_ASYNC_KEYS.includes(key)
        ? `: it is a ${FIT_KEYS.includes(key) ? 'fit' : 'fitAsync'} option, for model.${FIT_KEYS.includes(key) ? 'fit' : 'fitAsync'}(X, Y, options)`
        : guess
          ? `; did you mean ${guess}?`
          : ` (known: ${known.join(', ')})`;
    const error = new TypeError(`${where}.${key} is not an option here${elsewhere}`);
    throw Object.assign(error, { option: key, subject: `${where}.${key}` });
  }
}

function requireObject(value: unknown, name: string, shape: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new TypeError(`${name} must be an object ${shape}, got ${describe(value)}`);
  return value as Record<string, unknown>;
}

/** Reads, checks and defaults the options of one scope, in the table's order (so later checks see earlier values). */
function normalise(
  options: Record<string, unknown>,
  scopes: OptionSpec['scope'][],
  context: Record<string, unknown>,
): Record<string, unknown> {
  const settings: Record<string, unknown> = { ...context };
  for (const key of Object.keys(OPTIONS) as OptionKey[]) {
    const spec = OPTIONS[key] as OptionSpec;
    if (!scopes.includes(spec.scope)) continue;
    const given = options[userKey(key)];
    const subject = `options.${userKey(key)}`;
    if (given !== undefined) settings[key] = tagged(key, subject, () => spec.check(given, subject, settings));
    else if (typeof spec.default === 'function')
      settings[key] = (spec.default as (s: Record<string, unknown>) => unknown)(settings);
    else if (spec.default !== undefined)
      settings[key] = tagged(key, subject, () => spec.check(spec.default, subject, settings));
  }
  return settings;
}

export function normaliseModelOptions(options: ModelOptions): ModelConfig {
  const given = requireObject(options, 'options', '{ layerDims, ... }');
  refuseUnknownKeys(given, MODEL_OPTION_KEYS, 'options');
  if (given.layerDims === undefined)
    throw Object.assign(new TypeError('options.layerDims is required: [inputs, ...hidden sizes, outputs]'), {
      option: 'layerDims',
      subject: 'options.layerDims',
    });
  const s = normalise(given, ['model'], {});
  return {
    layerDims: s.layerDims as number[],
    dtype: s.dtype as DType,
    init: s.init as InitScheme,
    seed: s.seed as number,
    hiddenActivations: s.hiddenActivation as HiddenActivation[],
    output: s.output as OutputActivation,
    optimizer: s.optimizer as OptimizerName,
    beta1: s.beta1 as number,
    beta2: s.beta2 as number,
    epsilon: s.epsilon as number,
    l2: s.l2 as number,
    keepProb: s.keepProb as number[],
  };
}

/** The ModelOptions that rebuild a model from its normalised config (the inverse of normaliseModelOptions). */
export function modelOptionsOf(config: ModelConfig): ModelOptions {
  const { hiddenActivations, ...rest } = config;
  return { ...rest, hiddenActivation: hiddenActivations };
}

/** Fit options, checked and defaulted (onProgress, progressEvery, iterations, epochs, batchSize may stay unset). */
export interface FitSettings {
  learningRate: number;
  decayRate: number;
  decayEvery: number;
  iterations?: number;
  epochs?: number;
  batchSize?: number;
  shuffle?: boolean;
  seed: number;
  costEvery: number;
  onProgress?: (progress: Progress) => void;
  progressEvery?: number;
  checkpoint?: Required<CheckpointOptions>;
  validationSplit?: number;
  earlyStopping: boolean;
  patience: number;
}

/** Checks fit options (refusing unknown keys) against a model whose optimizer sets the default learning rate. */
export function normaliseFitOptions(
  options: FitOptions,
  model: { optimizer: OptimizerName },
  async = false,
): FitSettings {
  const given = requireObject(options, 'options', '{ learningRate, epochs, batchSize, ... }');
  refuseUnknownKeys(given, async ? FIT_ASYNC_KEYS : FIT_KEYS, 'options');
  const s = normalise(given, ['fit'], { optimizer: model.optimizer });
  return {
    learningRate: s.learningRate as number,
    decayRate: s.decayRate as number,
    decayEvery: s.decayEvery as number,
    iterations: s.iterations as number | undefined,
    epochs: s.epochs as number | undefined,
    batchSize: s.batchSize as number | undefined,
    shuffle: s.shuffle as boolean | undefined,
    seed: s.fitSeed as number,
    costEvery: s.costEvery as number,
    onProgress: s.onProgress as FitSettings['onProgress'],
    progressEvery: s.progressEvery as number | undefined,
    checkpoint: s.checkpoint as FitSettings['checkpoint'],
    validationSplit: s.validationSplit as number | undefined,
    earlyStopping: (s.earlyStopping as boolean | undefined) ?? s.validationSplit !== undefined,
    patience: s.patience as number,
  };
}

/** The fitAsync-only options, checked. */
export function normaliseAsyncOptions(options: FitAsyncOptions): { signal?: AbortSignal; blasThreads?: number } {
  const s = normalise(options as Record<string, unknown>, ['fitAsync'], {});
  return { signal: s.signal as AbortSignal | undefined, blasThreads: s.blasThreads as number | undefined };
}

// ---------------------------------------------------------------------------------------------------------------
// What the native network takes

export const ACTIVATION_CODES: Record<HiddenActivation | OutputActivation, ActivationCode> = {
  relu: native.Activation.relu,
  leakyRelu: native.Activation.leakyRelu,
  tanh: native.Activation.tanh,
  sigmoid: native.Activation.sigmoid,
  softmax: native.Activation.softmax,
  linear: native.Activation.linear,
} as const;

export const OPTIMIZER_CODES: Record<OptimizerName, 0 | 1 | 2> = {
  gd: native.Optimizer.gradientDescent,
  momentum: native.Optimizer.momentum,
  adam: native.Optimizer.adam,
};

/** The native activation codes, one per layer. */
export function activationCodes(config: ModelConfig): ActivationCode[] {
  return [...config.hiddenActivations.map((a) => ACTIVATION_CODES[a]), ACTIVATION_CODES[config.output]];
}

export function usesDropout(config: ModelConfig): boolean {
  return config.keepProb.some((k) => k < 1);
}
