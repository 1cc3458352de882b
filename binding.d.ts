// Types of the raw native module (build/Release/dnn_native.node), exactly as native/binding exports it.
// The raw functions trust nothing: each checks its arguments and throws a TypeError or RangeError naming the
// argument before writing any output. Matrices are flat, column-major (BLAS order): element (i, j) of a
// (rows, cols) matrix is at i + j * rows. Outputs come first in every argument list. Every array in one call
// has the same dtype (all Float32Array or all Float64Array).

export type FloatArray = Float32Array | Float64Array;

/**
 * Activation codes (stable: appended to, never renumbered). Leaky ReLU's slope is 0.01. Softmax works on whole
 * columns: only in linearActivationForward, softmaxForward and a Network's output layer.
 */
export declare const Activation: {
  readonly linear: 0;
  readonly relu: 1;
  readonly sigmoid: 2;
  readonly tanh: 3;
  readonly leakyRelu: 4;
  readonly softmax: 5;
};
export type ActivationCode = 0 | 1 | 2 | 3 | 4 | 5;

/** Optimiser codes for a Network. */
export declare const Optimizer: { readonly gradientDescent: 0; readonly momentum: 1; readonly adam: 2 };
export type OptimizerCode = 0 | 1 | 2;

/** Z (n, m) = W (n, nPrev) · A_prev (nPrev, m) + b (n, 1) */
export declare function linearForward(
  Z: FloatArray,
  W: FloatArray,
  A_prev: FloatArray,
  b: FloatArray,
  n: number,
  nPrev: number,
  m: number,
): void;

/** Z (n, m) = W · A_prev + b and A (n, m) = g(Z); A may be the same array as Z (then only g(Z) is kept). */
export declare function linearActivationForward(
  A: FloatArray,
  Z: FloatArray,
  W: FloatArray,
  A_prev: FloatArray,
  b: FloatArray,
  n: number,
  nPrev: number,
  m: number,
  activation: ActivationCode,
): void;

/** A = g(Z), element-wise; A may be Z. Not softmax (use softmaxForward). */
export declare function activationForward(A: FloatArray, Z: FloatArray, activation: ActivationCode): void;

/** dZ = dA * g'(Z), element-wise (relu: dA where Z > 0, else 0). Not softmax. */
export declare function activationBackward(
  dZ: FloatArray,
  dA: FloatArray,
  Z: FloatArray,
  activation: ActivationCode,
): void;

/**
 * dW (n, nPrev) = (1/m) dZ · A_prevᵀ, db (n, 1) = (1/m) Σ_columns dZ, and, unless dA_prev is null,
 * dA_prev (nPrev, m) = Wᵀ · dZ.
 */
export declare function linearBackward(
  dA_prev: FloatArray | null,
  dW: FloatArray,
  db: FloatArray,
  dZ: FloatArray,
  A_prev: FloatArray,
  W: FloatArray,
  n: number,
  nPrev: number,
  m: number,
): void;

/** -(1/m) Σ [Y log AL + (1 - Y) log(1 - AL)] over AL, Y (n, m); a term with weight exactly 0 counts 0. */
export declare function binaryCrossEntropy(AL: FloatArray, Y: FloatArray, n: number, m: number): number;

/** The same cost from logits Z (AL = sigmoid(Z)), in a form that is finite for every finite Z. */
export declare function binaryCrossEntropyFromLogits(Z: FloatArray, Y: FloatArray, n: number, m: number): number;

/** Each column of A (n, m) = softmax of the column of Z (n, m); A may be Z. */
export declare function softmaxForward(A: FloatArray, Z: FloatArray, n: number, m: number): void;

/** -(1/m) Σ Y log AL over AL, Y (n, m) (softmax outputs, one-hot labels); a term with Y exactly 0 counts 0. */
export declare function categoricalCrossEntropy(AL: FloatArray, Y: FloatArray, n: number, m: number): number;

/** The same cost from logits Z (AL = softmax of each column), finite for every finite Z. */
export declare function categoricalCrossEntropyFromLogits(Z: FloatArray, Y: FloatArray, n: number, m: number): number;

/** dAL = -(Y / AL - (1 - Y) / (1 - AL)), element-wise. */
export declare function binaryCrossEntropyBackward(dAL: FloatArray, AL: FloatArray, Y: FloatArray): void;

/** dZ = AL - Y: sigmoid (or softmax) backward fused with its cross-entropy's backward. */
export declare function sigmoidCrossEntropyBackward(dZ: FloatArray, AL: FloatArray, Y: FloatArray): void;

/** param -= learningRate · grad, in place. */
export declare function sgdUpdate(param: FloatArray, grad: FloatArray, learningRate: number): void;

/** out (n, indices.length) = X (n, ·)[:, indices]: columns gathered in order (a shuffled epoch's copy). */
export declare function gatherColumns(out: FloatArray, X: FloatArray, n: number, indices: Uint32Array): void;

/** The course's momentum, in place: velocity = beta·velocity + (1 - beta)·grad; param -= learningRate·velocity. */
export declare function momentumUpdate(
  param: FloatArray,
  grad: FloatArray,
  velocity: FloatArray,
  learningRate: number,
  beta: number,
): void;

/**
 * The course's Adam, in place, at step t >= 1: v = β1 v + (1-β1) g; s = β2 s + (1-β2) g²;
 * param -= learningRate · (v / (1 - β1^t)) / (√(s / (1 - β2^t)) + epsilon).
 */
export declare function adamUpdate(
  param: FloatArray,
  grad: FloatArray,
  v: FloatArray,
  s: FloatArray,
  learningRate: number,
  beta1: number,
  beta2: number,
  epsilon: number,
  t: number,
): void;

/** Number of parameters of a network: Σ n_l (n_{l-1} + 1). */
export declare function parameterCount(layerDims: readonly number[]): number;

/** Length of a network's workspace for `capacity` columns: (2 Σ_{l≥1} n_l + n_L) · capacity. */
export declare function workspaceLength(layerDims: readonly number[], capacity: number): number;

/** Length of a network's dropout masks for `capacity` columns: Σ_{l<L} n_l · capacity. */
export declare function maskLength(layerDims: readonly number[], capacity: number): number;

/** One matrix inside a flat buffer: `length` = rows · cols elements from `offset`, column-major. */
export interface MatrixSlot {
  offset: number;
  rows: number;
  cols: number;
  length: number;
}

/**
 * Where every matrix of a network sits in its buffers, in elements: the native layout itself (computed once when a
 * Network is built), so no caller needs to re-derive it.
 */
export interface NetworkLayout {
  capacity: number;
  parameterCount: number;
  workspaceLength: number;
  maskLength: number;
  /** W_l (n_l, n_{l-1}) and b_l (n_l, 1) of layer l at [l - 1], in params, nextParams, grads, velocity and squares */
  parameters: { W: MatrixSlot; b: MatrixSlot }[];
  /** A_l (n_l, capacity) of layer l at [l - 1], in the workspace (hidden layers: after dropout in training) */
  activations: MatrixSlot[];
  /** the output AL (n_L, capacity): activations[L - 1]; a batch of m uses its first m columns */
  output: MatrixSlot;
  /** the output layer's logits Z_L (n_L, capacity), in the workspace */
  logits: MatrixSlot;
  /** dZ_l (n_l, capacity) of layer l at [l - 1], in the workspace */
  gradients: MatrixSlot[];
  /** dropout masks D_l (n_l, capacity) of hidden layer l at [l - 1], in masks */
  masks: MatrixSlot[];
}

/** The layout of a network with these layer sizes and batch capacity (the same object as `network.layout`). */
export declare function networkLayout(layerDims: readonly number[], capacity: number): NetworkLayout;

export interface NetworkSpec {
  /** [n_0 (inputs), n_1, ..., n_L (outputs)] */
  layerDims: readonly number[];
  /** one code per layer; hidden layers any but softmax, the last sigmoid (2, binary cross-entropy) or softmax (5, categorical) */
  activations: readonly ActivationCode[];
  /** the most examples (columns) one batch may have */
  capacity: number;
  /** W_1, b_1, W_2, b_2, ... back to back, each column-major; length parameterCount(layerDims) */
  params: FloatArray;
  /** a second parameter buffer: steps alternate between the two, so a step with a non-finite cost is dropped exactly; null updates in place */
  nextParams: FloatArray | null;
  /** dW_1, db_1, ... in the layout of params */
  grads: FloatArray;
  /** A_1..A_L, Z_L, dZ_1..dZ_L, each (n_l, capacity); length workspaceLength(layerDims, capacity) */
  workspace: FloatArray;
  /** L2 weight decay λ >= 0 (default 0) */
  l2?: number;
  /** inverted dropout: one keep probability in (0, 1] per layer, the output's 1 (default: no dropout) */
  keepProb?: readonly number[];
  /** dropout masks D_1..D_{L-1}, length maskLength(layerDims, capacity); required when some keepProb < 1 */
  masks?: FloatArray;
  /** seed of the masks' random stream (numpy's rand order; default 0) */
  dropoutSeed?: number;
  /** 0 gradient descent (default), 1 momentum, 2 Adam */
  optimizer?: OptimizerCode;
  /** momentum's β / Adam's β1 in [0, 1) (default 0.9) */
  beta1?: number;
  /** Adam's β2 in [0, 1) (default 0.999) */
  beta2?: number;
  /** Adam's ε in (0, 1] (default 1e-8) */
  epsilon?: number;
  /** momentum / Adam first-moment state, in the layout of params; required for momentum and Adam */
  velocity?: FloatArray;
  /** Adam's second-moment state, in the layout of params; required for Adam */
  squares?: FloatArray;
  /**
   * with nextParams: second buffers for the optimiser's state (both for Adam, nextVelocity for momentum), which then
   * alternates with the parameters, so a dropped step also returns to the state before the last update; null or
   * absent updates the state in place
   */
  nextVelocity?: FloatArray | null;
  nextSquares?: FloatArray | null;
}

/**
 * A model's buffers bound once; each method is one native call. The network keeps references to the buffers;
 * a detached buffer makes every later call throw.
 */
export declare class Network {
  constructor(spec: NetworkSpec);
  /** 0 while `params` (and velocity, squares) hold the current parameters (and state), 1 while the next* buffers do. */
  readonly current: 0 | 1;
  /** Where each matrix sits in this network's buffers (networkLayout(layerDims, capacity)). */
  readonly layout: NetworkLayout;
  /** Adam's step count t (its bias correction); settable to resume training. */
  step: number;
  /** Forward pass of X (n_0, m), m <= capacity: fills A_1..A_L and Z_L in the workspace; training applies dropout. */
  forward(X: FloatArray, m: number, training?: boolean): void;
  /** Cross-entropy of the last forward pass against Y (n_L, m), from the logits, plus the L2 term unless withPenalty is false. */
  cost(Y: FloatArray, m: number, withPenalty?: boolean): number;
  /** Gradients of the cost at the current parameters into grads (forward must have run on X; dropout masks of a training forward apply); dA_0 is not computed. */
  backward(X: FloatArray, Y: FloatArray, m: number): void;
  /**
   * One training step on the batch (forward with dropout, cost with the L2 term, backward, the optimiser's update);
   * returns the cost before the update. If that cost is not finite,
   * nothing is updated and (with nextParams) the parameters return to the previous step's, the last with a
   * finite cost; with nextVelocity / nextSquares the optimiser's state and Adam's step count go back with them.
   */
  trainStep(X: FloatArray, Y: FloatArray, m: number, learningRate: number): number;
  /**
   * `count` training steps on the same batch in one call (full-batch training); costs[k] receives the cost before
   * step k (costs: a Float64Array of at least count elements). Stops at the first non-finite cost, as trainStep
   * does, and returns the number of steps completed.
   */
  trainSteps(X: FloatArray, Y: FloatArray, m: number, learningRate: number, count: number, costs: Float64Array): number;
  /** Copies the current parameters (and double-buffered state) into buffer 0 if they are in the next* buffers. */
  syncParameters(): void;
  /** Zeroes the momentum / Adam state and the step count. */
  resetOptimizer(): void;
  /** Restarts the dropout masks' random stream. */
  reseedDropout(seed: number): void;
}

/** numpy's legacy RandomState (np.random.seed + randn / rand / shuffle), bit for bit. */
export declare class RandomState {
  /** np.random.seed(seed); 0 <= seed <= 4294967295 */
  constructor(seed: number);
  seed(seed: number): void;
  /** out = np.random.randn(out.length), in order */
  standardNormal(out: Float64Array): void;
  /** out = np.random.rand(out.length), in order */
  uniform(out: Float64Array): void;
  /** np.random.shuffle, in place (np.random.permutation(n) is shuffle of 0..n-1) */
  shuffle(values: Uint32Array): void;
}

export interface BlasInfo {
  library: 'OpenBLAS';
  /** openblas_get_config(), e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Zen MAX_THREADS=64" */
  config: string;
  /** the kernel OpenBLAS chose for this CPU */
  coreName: string;
  numThreads: number;
  numProcessors: number;
  parallel: 'sequential' | 'pthreads' | 'openmp' | 'unknown';
  /** dnn-native's own kernels beside OpenBLAS (native/kernels/gemm_router.hpp) */
  kernels: OwnKernelsInfo;
}

export type KernelIsaName = 'avx512' | 'avx2' | 'generic';

export interface OwnKernelsInfo {
  /** the instruction set the own kernels use: the detected one, or DNN_NATIVE_ISA's */
  isa: KernelIsaName;
  /** the best this CPU and OS support (cpuid and xgetbv) */
  detected: KernelIsaName;
  /** every instruction set that can run here, best first */
  supported: KernelIsaName[];
  /** DNN_NATIVE_ISA as set, or null (an unknown name makes loading the addon throw; one the CPU lacks falls back to `detected` with a warning on stderr) */
  requestedIsa: string | null;
  /** the GEMM route DNN_NATIVE_GEMM forces on every product ('auto': the router picks by shape and thread count) */
  route: 'auto' | 'blas' | 'skinny';
  /** the split DNN_NATIVE_GEMM_PARTS forces on the own kernel, or null */
  parts: number | null;
}

export declare function blasInfo(): BlasInfo;
/** OpenBLAS's thread count. */
export declare function getNumThreads(): number;
/** Sets OpenBLAS's thread count for the whole process (1..1024). */
export declare function setNumThreads(n: number): void;
