// The tutorial's functions ("Deep Neural Networks step by step"), same semantics and return shapes, camelCase.
// Every numeric step runs in the native kernels; this layer checks arguments, allocates results and keeps the
// tutorial's caches. float64 is the default (numpy's), float32 works throughout; one dtype per call.

import { describe, requireDimension, requireLayerDims, requirePositiveNumber } from './checks';
import { allocate, type DType, Matrix, requireDType, requireMatrix, requireSameDType, requireShape } from './matrix';
import { Model } from './model/model';
import native from './native';
import { drawWeights, freshSeed, type InitScheme, RandomState, requireInit, requireSeed } from './random';

export type Parameters = Record<string, Matrix>;
export type Grads = Record<string, Matrix>;
export type HiddenActivation = 'relu' | 'sigmoid';
/** (A_prev, W, b), as the tutorial's linear_cache */
export type LinearCache = [A_prev: Matrix, W: Matrix, b: Matrix];
/** (linear_cache, activation_cache = Z) */
export type LinearActivationCache = [linearCache: LinearCache, Z: Matrix];

const ACTIVATION_CODE = { relu: native.Activation.relu, sigmoid: native.Activation.sigmoid } as const;

function requireActivation(activation: unknown, name = 'activation'): HiddenActivation {
  if (activation === 'relu' || activation === 'sigmoid') return activation;
  throw new TypeError(`${name} must be 'relu' or 'sigmoid', got ${describe(activation)}`);
}

export interface InitializeOptions {
  /** np.random.seed(seed) first, so the weights equal the numpy code's; random when omitted */
  seed?: number;
  /** 'small': randn * 0.01 (the tutorial), 'lecun': randn / sqrt(n_prev) (the course's application), 'he': randn * sqrt(2 / n_prev) */
  init?: InitScheme;
  dtype?: DType;
}

/** initialize_parameters_deep(layer_dims): { W1, b1, ..., WL, bL }, W_l (n_l, n_{l-1}), b_l zeros (n_l, 1). */
export function initializeParametersDeep(layerDims: readonly number[], options: InitializeOptions = {}): Parameters {
  const dims = requireLayerDims(layerDims);
  if (typeof options !== 'object' || options === null)
    throw new TypeError(`options must be an object { seed, init, dtype }, got ${describe(options)}`);
  const init = requireInit(options.init ?? 'small', 'options.init');
  const dtype = requireDType(options.dtype ?? 'float64', 'options.dtype');
  const rng = new RandomState(options.seed === undefined ? freshSeed() : requireSeed(options.seed, 'options.seed'));
  const parameters: Parameters = {};
  for (let l = 1; l < dims.length; l++) {
    const W = allocate(dtype, dims[l] * dims[l - 1], `W${l} (${dims[l]} x ${dims[l - 1]})`);
    W.set(drawWeights(rng, dims[l], dims[l - 1], init));
    parameters[`W${l}`] = new Matrix(dims[l], dims[l - 1], W);
    parameters[`b${l}`] = Matrix.zeros(dims[l], 1, dtype);
  }
  return parameters;
}

function checkLayerInputs(A: Matrix, W: Matrix, b: Matrix, aName: string): void {
  requireMatrix(A, aName);
  requireMatrix(W, 'W');
  requireMatrix(b, 'b');
  requireSameDType(A, aName, W, 'W');
  requireSameDType(b, 'b', W, 'W');
  requireShape(A, aName, W.cols, A.cols, `(W is (${W.rows}, ${W.cols}), so ${aName} needs ${W.cols} rows)`);
  requireShape(b, 'b', W.rows, 1);
}

/** linear_forward(A, W, b) -> (Z, cache): Z = W·A + b. */
export function linearForward(A: Matrix, W: Matrix, b: Matrix): [Z: Matrix, cache: LinearCache] {
  checkLayerInputs(A, W, b, 'A');
  const Z = Matrix.zeros(W.rows, A.cols, W.dtype);
  native.linearForward(Z.data, W.data, A.data, b.data, W.rows, W.cols, A.cols);
  return [Z, [A, W, b]];
}

/** linear_activation_forward(A_prev, W, b, activation) -> (A, cache): A = g(W·A_prev + b). */
export function linearActivationForward(
  A_prev: Matrix,
  W: Matrix,
  b: Matrix,
  activation: HiddenActivation,
): [A: Matrix, cache: LinearActivationCache] {
  checkLayerInputs(A_prev, W, b, 'A_prev');
  const code = ACTIVATION_CODE[requireActivation(activation)];
  const Z = Matrix.zeros(W.rows, A_prev.cols, W.dtype);
  const A = Matrix.zeros(W.rows, A_prev.cols, W.dtype);
  native.linearActivationForward(A.data, Z.data, W.data, A_prev.data, b.data, W.rows, W.cols, A_prev.cols, code);
  return [A, [[A_prev, W, b], Z]];
}

/** The number of layers L of a parameter record, checking that W1..WL and b1..bL are all there and chain. */
export function layerCount(parameters: Parameters, name = 'parameters'): number {
  if (typeof parameters !== 'object' || parameters === null)
    throw new TypeError(`${name} must be a record { W1, b1, ... }, got ${describe(parameters)}`);
  let L = 0;
  while (`W${L + 1}` in parameters) L++;
  if (L === 0) throw new TypeError(`${name} has no W1`);
  // a gap (W1, W3 without W2) would otherwise silently drop the later layers
  for (const key of Object.keys(parameters)) {
    const match = /^([Wb])(\d+)$/.exec(key);
    if (match && Number(match[2]) > L)
      throw new TypeError(`${name} has ${key} but no W${L + 1}: layers must be numbered 1..L without gaps`);
  }
  for (let l = 1; l <= L; l++) {
    const W = requireMatrix(parameters[`W${l}`], `${name}.W${l}`);
    const b = requireMatrix(parameters[`b${l}`], `${name}.b${l}`);
    requireSameDType(W, `${name}.W${l}`, parameters.W1, `${name}.W1`);
    requireSameDType(b, `${name}.b${l}`, parameters.W1, `${name}.W1`);
    requireShape(b, `${name}.b${l}`, W.rows, 1);
    if (l > 1)
      requireShape(
        W,
        `${name}.W${l}`,
        W.rows,
        parameters[`W${l - 1}`].rows,
        `(W${l - 1} has ${parameters[`W${l - 1}`].rows} rows)`,
      );
  }
  return L;
}

/** L_model_forward(X, parameters) -> (AL, caches): [LINEAR -> RELU] x (L-1) -> LINEAR -> SIGMOID. */
export function modelForward(X: Matrix, parameters: Parameters): [AL: Matrix, caches: LinearActivationCache[]] {
  const L = layerCount(parameters);
  requireMatrix(X, 'X');
  requireSameDType(X, 'X', parameters.W1, 'parameters.W1');
  requireShape(X, 'X', parameters.W1.cols, X.cols, `(W1 is (${parameters.W1.rows}, ${parameters.W1.cols}))`);
  const caches: LinearActivationCache[] = [];
  let A = X;
  for (let l = 1; l <= L; l++) {
    const [next, cache] = linearActivationForward(
      A,
      parameters[`W${l}`],
      parameters[`b${l}`],
      l < L ? 'relu' : 'sigmoid',
    );
    caches.push(cache);
    A = next;
  }
  return [A, caches];
}

function checkPredictionAndLabels(AL: Matrix, Y: Matrix): void {
  requireMatrix(AL, 'AL');
  requireMatrix(Y, 'Y');
  requireSameDType(Y, 'Y', AL, 'AL');
  requireShape(Y, 'Y', AL.rows, AL.cols, '(the shape of AL)');
}

/**
 * compute_cost(AL, Y): -(1/m) Σ [Y log AL + (1 - Y) log(1 - AL)], a number. A term whose label weight is
 * exactly 0 counts 0 (the limit), so AL of exactly 0 or 1 with an agreeing label does not give NaN.
 */
export function computeCost(AL: Matrix, Y: Matrix): number {
  checkPredictionAndLabels(AL, Y);
  return native.binaryCrossEntropy(AL.data, Y.data, AL.rows, AL.cols);
}

function checkLinearCache(cache: unknown, name: string): LinearCache {
  if (!Array.isArray(cache) || cache.length !== 3)
    throw new TypeError(`${name} must be [A_prev, W, b], got ${describe(cache)}`);
  const [A_prev, W, b] = cache as LinearCache;
  checkLayerInputs(A_prev, W, b, `${name}[0] (A_prev)`);
  return [A_prev, W, b];
}

/** linear_backward(dZ, cache) -> (dA_prev, dW, db). */
export function linearBackward(dZ: Matrix, cache: LinearCache): [dA_prev: Matrix, dW: Matrix, db: Matrix] {
  const [A_prev, W, b] = checkLinearCache(cache, 'cache');
  requireMatrix(dZ, 'dZ');
  requireSameDType(dZ, 'dZ', W, 'W');
  requireShape(dZ, 'dZ', W.rows, A_prev.cols, '(W.rows x the batch size of A_prev)');
  const dA_prev = Matrix.zeros(A_prev.rows, A_prev.cols, W.dtype);
  const dW = Matrix.zeros(W.rows, W.cols, W.dtype);
  const db = Matrix.zeros(b.rows, 1, W.dtype);
  native.linearBackward(dA_prev.data, dW.data, db.data, dZ.data, A_prev.data, W.data, W.rows, W.cols, A_prev.cols);
  return [dA_prev, dW, db];
}

function activationBackward(dA: Matrix, Z: Matrix, activation: HiddenActivation): Matrix {
  requireMatrix(dA, 'dA');
  requireMatrix(Z, 'Z');
  requireSameDType(dA, 'dA', Z, 'Z');
  requireShape(dA, 'dA', Z.rows, Z.cols, '(the shape of Z)');
  const dZ = Matrix.zeros(Z.rows, Z.cols, Z.dtype);
  native.activationBackward(dZ.data, dA.data, Z.data, ACTIVATION_CODE[activation]);
  return dZ;
}

/** relu_backward(dA, cache = Z) -> dZ: dA where Z > 0, else 0. */
export function reluBackward(dA: Matrix, Z: Matrix): Matrix {
  return activationBackward(dA, Z, 'relu');
}

/** sigmoid_backward(dA, cache = Z) -> dZ = dA · s (1 - s), s = sigmoid(Z). */
export function sigmoidBackward(dA: Matrix, Z: Matrix): Matrix {
  return activationBackward(dA, Z, 'sigmoid');
}

/** linear_activation_backward(dA, cache, activation) -> (dA_prev, dW, db). */
export function linearActivationBackward(
  dA: Matrix,
  cache: LinearActivationCache,
  activation: HiddenActivation,
): [dA_prev: Matrix, dW: Matrix, db: Matrix] {
  if (!Array.isArray(cache) || cache.length !== 2)
    throw new TypeError(`cache must be [linearCache, Z], got ${describe(cache)}`);
  const [linearCache, Z] = cache;
  const [, W] = checkLinearCache(linearCache, 'cache[0]');
  requireMatrix(Z, 'cache[1] (Z)');
  requireShape(Z, 'cache[1] (Z)', W.rows, (linearCache as LinearCache)[0].cols);
  const dZ = activationBackward(dA, Z, requireActivation(activation));
  return linearBackward(dZ, linearCache);
}

/**
 * L_model_backward(AL, Y, caches) -> grads { dA0 .. dA(L-1), dW1 .. dWL, db1 .. dbL }. dA{l} is the gradient with
 * respect to A[l], the input of layer l+1. Follows the tutorial's route, dAL = -(Y/AL - (1-Y)/(1-AL)) then
 * sigmoid_backward, so it accepts any AL (the Model's fast path uses the fused dZ = AL - Y).
 */
export function modelBackward(AL: Matrix, Y: Matrix, caches: LinearActivationCache[]): Grads {
  checkPredictionAndLabels(AL, Y);
  if (!Array.isArray(caches) || caches.length === 0)
    throw new TypeError(`caches must be a non-empty array of layer caches, got ${describe(caches)}`);
  const L = caches.length;
  // Check every cache, and that they chain (each layer's input is the previous layer's output size, one batch
  // size, one dtype), before computing anything.
  caches.forEach((cache, i) => {
    if (!Array.isArray(cache) || cache.length !== 2)
      throw new TypeError(`caches[${i}] must be [linearCache, Z], got ${describe(cache)}`);
    const [A_prev, W] = checkLinearCache(cache[0], `caches[${i}][0]`);
    requireSameDType(W, `caches[${i}][0] W`, AL, 'AL');
    requireShape(A_prev, `caches[${i}][0] A_prev`, W.cols, AL.cols, '(the batch size of AL)');
    if (i > 0)
      requireShape(
        W,
        `caches[${i}][0] W`,
        W.rows,
        caches[i - 1][0][1].rows,
        `(caches[${i - 1}]'s W has ${caches[i - 1][0][1].rows} rows)`,
      );
    requireMatrix(cache[1], `caches[${i}][1] (Z)`);
    requireSameDType(cache[1], `caches[${i}][1] (Z)`, AL, 'AL');
    requireShape(cache[1], `caches[${i}][1] (Z)`, W.rows, AL.cols);
  });
  requireShape(AL, 'AL', caches[L - 1][1].rows, caches[L - 1][1].cols, "(the last layer's Z)");
  const grads: Grads = {};
  const dAL = Matrix.zeros(AL.rows, AL.cols, AL.dtype);
  native.binaryCrossEntropyBackward(dAL.data, AL.data, Y.data);
  let dA = dAL;
  for (let l = L; l >= 1; l--) {
    const [dA_prev, dW, db] = linearActivationBackward(dA, caches[l - 1], l === L ? 'sigmoid' : 'relu');
    grads[`dA${l - 1}`] = dA_prev;
    grads[`dW${l}`] = dW;
    grads[`db${l}`] = db;
    dA = dA_prev;
  }
  return grads;
}

/** update_parameters(parameters, grads, learning_rate) -> new parameters W - lr·dW, b - lr·db (inputs unchanged). */
export function updateParameters(parameters: Parameters, grads: Grads, learningRate: number): Parameters {
  const L = layerCount(parameters);
  requirePositiveNumber(learningRate, 'learningRate');
  if (typeof grads !== 'object' || grads === null)
    throw new TypeError(`grads must be a record { dW1, db1, ... }, got ${describe(grads)}`);
  for (let l = 1; l <= L; l++) {
    for (const key of ['W', 'b']) {
      const param = parameters[`${key}${l}`];
      const grad = requireMatrix(grads[`d${key}${l}`], `grads.d${key}${l}`);
      requireSameDType(grad, `grads.d${key}${l}`, param, `parameters.${key}${l}`);
      requireShape(grad, `grads.d${key}${l}`, param.rows, param.cols, `(the shape of parameters.${key}${l})`);
    }
  }
  const updated: Parameters = {};
  for (let l = 1; l <= L; l++) {
    for (const key of ['W', 'b']) {
      const next = parameters[`${key}${l}`].clone();
      native.sgdUpdate(next.data, grads[`d${key}${l}`].data, learningRate);
      updated[`${key}${l}`] = next;
    }
  }
  return updated;
}

// The tutorial's L_layer_model and predict, on top of the Model's fast path.

export interface TrainModelOptions {
  learningRate?: number;
  numIterations?: number;
  /** np.random.seed(seed) before initialising, as L_layer_model's np.random.seed(1) */
  seed?: number;
  /** 'small' (randn·0.01, initialize_parameters_deep: the default) | 'lecun' (the course's application) | 'he' */
  init?: InitScheme;
  costEvery?: number;
  /** print "Cost after iteration i: c" at every recorded cost, as print_cost=True */
  printCost?: boolean;
}

/**
 * L_layer_model(X, Y, layers_dims, learning_rate, num_iterations, print_cost) -> { parameters, costs }.
 * Full-batch gradient descent in X's dtype; the cost is computed before each update and recorded at iterations
 * 0, costEvery, 2·costEvery, ... and at the last iteration.
 */
export function trainModel(
  X: Matrix,
  Y: Matrix,
  layerDims: readonly number[],
  options: TrainModelOptions = {},
): { parameters: Parameters; costs: number[]; costAt: number[] } {
  requireMatrix(X, 'X');
  requireLayerDims(layerDims, 'layerDims');
  if (typeof options !== 'object' || options === null)
    throw new TypeError(`options must be an object, got ${describe(options)}`);
  if (options.numIterations !== undefined) requireDimension(options.numIterations, 'options.numIterations');
  if (options.costEvery !== undefined) requireDimension(options.costEvery, 'options.costEvery');
  const model = new Model({ layerDims, dtype: X.dtype, init: options.init ?? 'small', seed: options.seed ?? 1 });
  try {
    const result = model.fit(X, Y, {
      learningRate: options.learningRate ?? 0.0075,
      iterations: options.numIterations ?? 3000,
      costEvery: options.costEvery ?? 100,
      onProgress: options.printCost
        ? ({ iteration, cost }) => console.log(`Cost after iteration ${iteration - 1}: ${cost}`)
        : undefined,
    });
    const parameters: Parameters = {};
    for (const [key, view] of Object.entries(model.parameters)) parameters[key] = view.clone();
    return { parameters, costs: result.costs, costAt: result.costAt };
  } finally {
    model.dispose(); // callers run trainModel in loops: free the workspace now, not at the next turn of the event loop
  }
}

/** predict(X, parameters) -> (n_L, m) of 0/1, 1 where the probability exceeds 0.5. */
export function predict(X: Matrix, parameters: Parameters): Matrix {
  layerCount(parameters);
  const [AL] = modelForward(X, parameters);
  const p = AL.data;
  for (let i = 0; i < p.length; i++) p[i] = p[i] > 0.5 ? 1 : 0;
  return AL;
}

/** The fraction of entries where predictions equal labels. */
export function accuracy(predictions: Matrix, Y: Matrix): number {
  requireMatrix(predictions, 'predictions');
  requireMatrix(Y, 'Y');
  requireShape(Y, 'Y', predictions.rows, predictions.cols, '(the shape of predictions)');
  let correct = 0;
  for (let i = 0; i < Y.data.length; i++) if (predictions.data[i] === Y.data[i]) correct++;
  return correct / Y.data.length;
}
