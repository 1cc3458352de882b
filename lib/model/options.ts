// A model's architecture and training settings, checked and normalised once: what ModelOptions accepts, what a
// model file stores, and what the worker behind fitAsync rebuilds the model from.

import { describe, requireLayerDims } from '../checks';
import { type DType, requireDType } from '../matrix';
import native, { type ActivationCode } from '../native';
import { freshSeed, type InitScheme, requireInit, requireSeed } from '../random';

export type HiddenActivation = 'relu' | 'leakyRelu' | 'tanh' | 'sigmoid';
export type OutputActivation = 'sigmoid' | 'softmax';
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
  /** 'sigmoid' with binary cross-entropy (default; labels 0/1) or 'softmax' with categorical cross-entropy (classes) */
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

/** The normalised settings (every field present). */
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

const HIDDEN: readonly HiddenActivation[] = ['relu', 'leakyRelu', 'tanh', 'sigmoid'];

export const ACTIVATION_CODES: Record<HiddenActivation | OutputActivation, ActivationCode> = {
  relu: native.Activation.relu,
  leakyRelu: native.Activation.leakyRelu,
  tanh: native.Activation.tanh,
  sigmoid: native.Activation.sigmoid,
  softmax: native.Activation.softmax,
} as const;

export const OPTIMIZER_CODES: Record<OptimizerName, 0 | 1 | 2> = {
  gd: native.Optimizer.gradientDescent,
  momentum: native.Optimizer.momentum,
  adam: native.Optimizer.adam,
};

function perHiddenLayer<T>(
  value: T | readonly T[] | undefined,
  fallback: T,
  hiddenLayers: number,
  name: string,
  check: (v: unknown, name: string) => T,
): T[] {
  if (value === undefined) return Array.from({ length: hiddenLayers }, () => fallback);
  if (Array.isArray(value)) {
    if (value.length !== hiddenLayers)
      throw new RangeError(`${name} has ${value.length} entries, expected one per hidden layer (${hiddenLayers})`);
    return value.map((v, i) => check(v, `${name}[${i}]`));
  }
  const one = check(value, name);
  return Array.from({ length: hiddenLayers }, () => one);
}

function requireFraction(value: unknown, name: string, { openLow = false, closedHigh = false } = {}): number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, got ${describe(value)}`);
  const low = openLow ? value > 0 : value >= 0;
  const high = closedHigh ? value <= 1 : value < 1;
  if (!(low && high))
    throw new RangeError(`${name} must be in ${openLow ? '(' : '['}0, 1${closedHigh ? ']' : ')'}, got ${value}`);
  return value;
}

export function normaliseModelOptions(options: ModelOptions): ModelConfig {
  if (typeof options !== 'object' || options === null)
    throw new TypeError(`options must be an object { layerDims, ... }, got ${describe(options)}`);
  const layerDims = requireLayerDims(options.layerDims, 'options.layerDims');
  const hiddenLayers = layerDims.length - 2;
  const output = options.output ?? 'sigmoid';
  if (output !== 'sigmoid' && output !== 'softmax')
    throw new TypeError(`options.output must be 'sigmoid' or 'softmax', got ${describe(output)}`);
  if (output === 'softmax' && layerDims[layerDims.length - 1] < 2)
    throw new RangeError(
      `a softmax output needs at least 2 units (one per class); options.layerDims ends in ${layerDims[layerDims.length - 1]}`,
    );
  const optimizer = options.optimizer ?? 'gd';
  if (typeof optimizer !== 'string' || !Object.hasOwn(OPTIMIZER_CODES, optimizer))
    throw new TypeError(`options.optimizer must be 'gd', 'momentum' or 'adam', got ${describe(optimizer)}`);
  const l2 = options.l2 ?? 0;
  if (typeof l2 !== 'number') throw new TypeError(`options.l2 must be a number, got ${describe(l2)}`);
  if (!Number.isFinite(l2) || l2 < 0) throw new RangeError(`options.l2 must be a finite number >= 0, got ${l2}`);
  const epsilon = options.epsilon ?? 1e-8;
  if (typeof epsilon !== 'number') throw new TypeError(`options.epsilon must be a number, got ${describe(epsilon)}`);
  if (!(epsilon > 0 && epsilon <= 1)) throw new RangeError(`options.epsilon must be in (0, 1], got ${epsilon}`);
  return {
    layerDims,
    dtype: requireDType(options.dtype ?? 'float64', 'options.dtype'),
    init: requireInit(options.init ?? 'lecun', 'options.init'),
    seed: options.seed === undefined ? freshSeed() : requireSeed(options.seed, 'options.seed'),
    hiddenActivations: perHiddenLayer(
      options.hiddenActivation,
      'relu',
      hiddenLayers,
      'options.hiddenActivation',
      (v, name) => {
        if (HIDDEN.includes(v as HiddenActivation)) return v as HiddenActivation;
        throw new TypeError(`${name} must be one of ${HIDDEN.map((h) => `'${h}'`).join(', ')}, got ${describe(v)}`);
      },
    ),
    output,
    optimizer,
    beta1: requireFraction(options.beta1 ?? 0.9, 'options.beta1'),
    beta2: requireFraction(options.beta2 ?? 0.999, 'options.beta2'),
    epsilon,
    l2,
    keepProb: perHiddenLayer(options.keepProb, 1, hiddenLayers, 'options.keepProb', (v, name) =>
      requireFraction(v, name, { openLow: true, closedHigh: true }),
    ),
  };
}

/** The native activation codes, one per layer. */
export function activationCodes(config: ModelConfig): ActivationCode[] {
  return [...config.hiddenActivations.map((a) => ACTIVATION_CODES[a]), ACTIVATION_CODES[config.output]];
}

export function usesDropout(config: ModelConfig): boolean {
  return config.keepProb.some((k) => k < 1);
}
