// A plain TypeScript reference of the native kernels' math: no native calls, no BLAS, plain loops over flat,
// column-major buffers (element (i, j) of a (rows, cols) matrix is at i + j * rows). It is the "plain reference
// beside the fast path": the tests compare the native kernels against it, and the benchmark trains with it as
// the plain-TypeScript baseline.
//
// Conventions, as in binding.d.ts: outputs first, explicit sizes (n units, nPrev inputs, m examples), every
// array of one call in one dtype. Nothing is checked in the per-layer functions (the caller owns the shapes).
//
// Precision: every output element is computed in float64 (a JavaScript number) from the inputs as stored and
// written once. For Float32Array outputs that single store is the one rounding (it rounds to nearest exactly as
// Math.fround does), so a float32 result here is the float64 result rounded once: at least as accurate as the
// native float32 kernels, which round after every operation. Sums are accumulated in float64 scratch columns,
// never in the output buffer.
//
// Allocation: the per-layer functions allocate nothing once the module's scratch column is large enough;
// ReferenceNetwork allocates its buffers once, in its constructor.

export type FloatArray = Float32Array | Float64Array;
export type ReferenceActivation = 'linear' | 'relu' | 'sigmoid';
export type ReferenceDType = 'float32' | 'float64';

// One float64 column reused by every sum; grown (never shrunk) on demand, outside the hot loops.
let scratch = new Float64Array(1024);
function scratchColumn(length: number): Float64Array {
  if (scratch.length < length) scratch = new Float64Array(Math.max(length, 2 * scratch.length));
  return scratch;
}

// Columns are worked BLOCK at a time: each element of W (or dZ) loaded once serves BLOCK products, which is what
// makes plain loops over a wide layer about twice as fast.
const BLOCK = 4;

/** 1 / (1 + e^-z), accurate for every z (no cancellation, no overflow to NaN). */
export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/** sigmoid'(z) = s (1 - s), computed as e / (1 + e)^2 with e = exp(-|z|), so 1 - s never cancels. */
export function sigmoidDerivative(z: number): number {
  const e = Math.exp(-Math.abs(z));
  const d = 1 + e;
  return e / (d * d);
}

function activate(z: number, activation: ReferenceActivation): number {
  if (activation === 'relu') return !(z <= 0) ? z : 0; // NaN passes through, as numpy's maximum (and the native kernel)
  if (activation === 'sigmoid') return sigmoid(z);
  return z;
}

// ---------------------------------------------------------------------------------------------------------------
// Layer functions

/** Z (n, m) = W (n, nPrev) · A_prev (nPrev, m) + b (n, 1) */
export function linearForward(
  Z: FloatArray,
  W: FloatArray,
  A_prev: FloatArray,
  b: FloatArray,
  n: number,
  nPrev: number,
  m: number,
): void {
  linearActivationForward(Z, Z, W, A_prev, b, n, nPrev, m, 'linear');
}

/**
 * Z (n, m) = W (n, nPrev) · A_prev (nPrev, m) + b (n, 1) and A (n, m) = g(Z). A may be the same array as Z (then
 * only g(Z) is kept). g is applied to the float64 value of Z, before Z is rounded to the output's dtype.
 */
export function linearActivationForward(
  A: FloatArray,
  Z: FloatArray,
  W: FloatArray,
  A_prev: FloatArray,
  b: FloatArray,
  n: number,
  nPrev: number,
  m: number,
  activation: ReferenceActivation,
): void {
  const acc = scratchColumn(BLOCK * n);
  for (let j = 0; j < m; j += BLOCK) {
    const columns = Math.min(BLOCK, m - j);
    productColumns(acc, W, A_prev, n, nPrev, j, columns);
    for (let q = 0; q < columns; q++) {
      const zColumn = (j + q) * n,
        accColumn = q * n;
      for (let i = 0; i < n; i++) {
        const z = acc[accColumn + i] + b[i];
        Z[zColumn + i] = z;
        A[zColumn + i] = activate(z, activation);
      }
    }
  }
}

/**
 * acc[q n + i] = Σ_k W[i, k] A_prev[k, j + q] for q < columns (<= BLOCK): W (n, nPrev) times `columns` columns of
 * A_prev (nPrev, m) from column j, in float64.
 */
function productColumns(
  acc: Float64Array,
  W: FloatArray,
  A_prev: FloatArray,
  n: number,
  nPrev: number,
  j: number,
  columns: number,
): void {
  acc.fill(0, 0, columns * n);
  if (columns === BLOCK) {
    const c0 = j * nPrev,
      c1 = c0 + nPrev,
      c2 = c1 + nPrev,
      c3 = c2 + nPrev;
    const n2 = 2 * n,
      n3 = 3 * n;
    for (let k = 0; k < nPrev; k++) {
      const a0 = A_prev[c0 + k],
        a1 = A_prev[c1 + k],
        a2 = A_prev[c2 + k],
        a3 = A_prev[c3 + k];
      const wColumn = k * n;
      for (let i = 0; i < n; i++) {
        const w = W[wColumn + i];
        acc[i] += w * a0;
        acc[n + i] += w * a1;
        acc[n2 + i] += w * a2;
        acc[n3 + i] += w * a3;
      }
    }
    return;
  }
  for (let q = 0; q < columns; q++) {
    const aColumn = (j + q) * nPrev,
      accColumn = q * n;
    for (let k = 0; k < nPrev; k++) {
      const a = A_prev[aColumn + k];
      const wColumn = k * n;
      for (let i = 0; i < n; i++) acc[accColumn + i] += W[wColumn + i] * a;
    }
  }
}

/** A = g(Z), element-wise; A may be Z. */
export function activationForward(A: FloatArray, Z: FloatArray, activation: ReferenceActivation): void {
  for (let i = 0; i < A.length; i++) A[i] = activate(Z[i], activation);
}

export function reluForward(A: FloatArray, Z: FloatArray): void {
  activationForward(A, Z, 'relu');
}

export function sigmoidForward(A: FloatArray, Z: FloatArray): void {
  activationForward(A, Z, 'sigmoid');
}

/** dZ = dA * g'(Z), element-wise (relu: dA where Z > 0, else 0, the tutorial's rule at the kink). */
export function activationBackward(
  dZ: FloatArray,
  dA: FloatArray,
  Z: FloatArray,
  activation: ReferenceActivation,
): void {
  if (activation === 'relu') for (let i = 0; i < dZ.length; i++) dZ[i] = !(Z[i] <= 0) ? dA[i] : 0;
  else if (activation === 'sigmoid') for (let i = 0; i < dZ.length; i++) dZ[i] = dA[i] * sigmoidDerivative(Z[i]);
  else for (let i = 0; i < dZ.length; i++) dZ[i] = dA[i];
}

export function reluBackward(dZ: FloatArray, dA: FloatArray, Z: FloatArray): void {
  activationBackward(dZ, dA, Z, 'relu');
}

export function sigmoidBackward(dZ: FloatArray, dA: FloatArray, Z: FloatArray): void {
  activationBackward(dZ, dA, Z, 'sigmoid');
}

/** g'(.) from the activation's output A instead of Z: relu' = [A > 0], sigmoid' = A (1 - A), linear' = 1. */
function derivativeFromOutput(a: number, activation: ReferenceActivation): number {
  if (activation === 'relu') return !(a <= 0) ? 1 : 0;
  if (activation === 'sigmoid') return a * (1 - a);
  return 1;
}

/**
 * dW (n, nPrev) = (1/m) dZ (n, m) · A_prev (nPrev, m)ᵀ, db (n, 1) = (1/m) Σ_columns dZ, and, unless dA_prev is
 * null, dA_prev (nPrev, m) = W (n, nPrev)ᵀ · dZ. With dA_prev null only dW and db are written.
 */
export function linearBackward(
  dA_prev: FloatArray | null,
  dW: FloatArray,
  db: FloatArray,
  dZ: FloatArray,
  A_prev: FloatArray,
  W: FloatArray,
  n: number,
  nPrev: number,
  m: number,
): void {
  linearBackwardThrough(dA_prev, null, 'linear', dW, db, dZ, A_prev, W, n, nPrev, m);
}

/**
 * linearBackward, with dA_prev optionally turned into dZ_prev = dA_prev * g'(A_prev) on the way out (g' read from
 * the previous layer's output, as the native network does), so each element is still rounded once.
 * derivativeOf null: dA_prev itself.
 */
function linearBackwardThrough(
  dA_prev: FloatArray | null,
  derivativeOf: FloatArray | null,
  activation: ReferenceActivation,
  dW: FloatArray,
  db: FloatArray,
  dZ: FloatArray,
  A_prev: FloatArray,
  W: FloatArray,
  n: number,
  nPrev: number,
  m: number,
): void {
  const acc = scratchColumn(BLOCK * n);
  // dW[:, k] = (1/m) Σ_j dZ[:, j] A_prev[k, j], BLOCK columns k at a time (A_prev[k..k+3, j] are contiguous).
  for (let k = 0; k < nPrev; k += BLOCK) {
    const columns = Math.min(BLOCK, nPrev - k);
    acc.fill(0, 0, columns * n);
    if (columns === BLOCK) {
      const n2 = 2 * n,
        n3 = 3 * n;
      for (let j = 0; j < m; j++) {
        const aRow = k + j * nPrev;
        const a0 = A_prev[aRow],
          a1 = A_prev[aRow + 1],
          a2 = A_prev[aRow + 2],
          a3 = A_prev[aRow + 3];
        const dzColumn = j * n;
        for (let i = 0; i < n; i++) {
          const d = dZ[dzColumn + i];
          acc[i] += d * a0;
          acc[n + i] += d * a1;
          acc[n2 + i] += d * a2;
          acc[n3 + i] += d * a3;
        }
      }
    } else {
      for (let q = 0; q < columns; q++) {
        const accColumn = q * n;
        for (let j = 0; j < m; j++) {
          const a = A_prev[k + q + j * nPrev];
          const dzColumn = j * n;
          for (let i = 0; i < n; i++) acc[accColumn + i] += dZ[dzColumn + i] * a;
        }
      }
    }
    for (let q = 0; q < columns; q++) {
      const wColumn = (k + q) * n,
        accColumn = q * n;
      for (let i = 0; i < n; i++) dW[wColumn + i] = acc[accColumn + i] / m;
    }
  }
  acc.fill(0, 0, n);
  for (let j = 0; j < m; j++) {
    const dzColumn = j * n;
    for (let i = 0; i < n; i++) acc[i] += dZ[dzColumn + i];
  }
  for (let i = 0; i < n; i++) db[i] = acc[i] / m;
  if (dA_prev === null) return;
  // dA_prev[k, j] = W[:, k] · dZ[:, j]: two contiguous columns.
  for (let j = 0; j < m; j++) {
    const dzColumn = j * n;
    for (let k = 0; k < nPrev; k++) {
      const wColumn = k * n;
      let sum = 0;
      for (let i = 0; i < n; i++) sum += W[wColumn + i] * dZ[dzColumn + i];
      const index = k + j * nPrev;
      dA_prev[index] = derivativeOf === null ? sum : sum * derivativeFromOutput(derivativeOf[index], activation);
    }
  }
}

/**
 * -(1/m) Σ [Y log AL + (1 - Y) log(1 - AL)] over AL, Y (n, m). As in native/kernels/cost.cpp, a term whose weight
 * (Y, or 1 - Y) is exactly 0 counts 0, so AL of exactly 0 or 1 with an agreeing label gives a finite cost.
 */
export function binaryCrossEntropy(AL: FloatArray, Y: FloatArray, n: number, m: number): number {
  const length = n * m;
  let sum = 0;
  for (let i = 0; i < length; i++) {
    const y = Y[i],
      a = AL[i];
    if (y !== 0) sum += y * Math.log(a);
    if (y !== 1) sum += (1 - y) * Math.log(1 - a);
  }
  return -sum / m;
}

/**
 * The same cost from logits Z (AL = sigmoid(Z)): (1/m) Σ [max(z, 0) - y z + log(1 + e^-|z|)], finite for every
 * finite Z.
 */
export function binaryCrossEntropyFromLogits(Z: FloatArray, Y: FloatArray, n: number, m: number): number {
  const length = n * m;
  let sum = 0;
  for (let i = 0; i < length; i++) {
    const z = Z[i];
    sum += Math.max(z, 0) - Y[i] * z + Math.log1p(Math.exp(-Math.abs(z)));
  }
  return sum / m;
}

/** dAL = -(Y / AL - (1 - Y) / (1 - AL)), element-wise. */
export function binaryCrossEntropyBackward(dAL: FloatArray, AL: FloatArray, Y: FloatArray): void {
  for (let i = 0; i < dAL.length; i++) dAL[i] = -(Y[i] / AL[i] - (1 - Y[i]) / (1 - AL[i]));
}

/** dZ = AL - Y: sigmoid backward fused with cross-entropy backward. */
export function sigmoidCrossEntropyBackward(dZ: FloatArray, AL: FloatArray, Y: FloatArray): void {
  for (let i = 0; i < dZ.length; i++) dZ[i] = AL[i] - Y[i];
}

/** param -= learningRate · grad, in place. */
export function sgdUpdate(param: FloatArray, grad: FloatArray, learningRate: number): void {
  for (let i = 0; i < param.length; i++) param[i] = param[i] - learningRate * grad[i];
}

// ---------------------------------------------------------------------------------------------------------------
// The whole network, over the native Network's flat parameter layout

/** Number of parameters of a network: Σ n_l (n_{l-1} + 1). */
export function parameterCount(layerDims: readonly number[]): number {
  let count = 0;
  for (let l = 1; l < layerDims.length; l++) count += layerDims[l] * (layerDims[l - 1] + 1);
  return count;
}

/**
 * Where W_l and b_l start in the flat parameters (W_1, b_1, W_2, b_2, ... back to back, each column-major), for
 * l = 1..L at index l - 1. The gradients use the same layout.
 */
export function parameterOffsets(layerDims: readonly number[]): { W: number; b: number }[] {
  const offsets: { W: number; b: number }[] = [];
  let offset = 0;
  for (let l = 1; l < layerDims.length; l++) {
    offsets.push({ W: offset, b: offset + layerDims[l] * layerDims[l - 1] });
    offset += layerDims[l] * (layerDims[l - 1] + 1);
  }
  return offsets;
}

export interface ReferenceNetworkOptions {
  /** [n_0 (inputs), n_1, ..., n_L (outputs)] */
  layerDims: readonly number[];
  /** one per layer; default relu for the hidden layers and sigmoid for the output (which must be sigmoid) */
  activations?: readonly ReferenceActivation[];
  /** the most examples one batch may have */
  capacity: number;
  /** default float64; taken from `params` when given */
  dtype?: ReferenceDType;
  /** the flat parameters, used as is (not copied); zeros of parameterCount(layerDims) when omitted */
  params?: FloatArray;
}

/**
 * The native Network's computation in plain TypeScript: [LINEAR -> g] x L with a sigmoid output and binary
 * cross-entropy, over flat buffers allocated once. Hidden layers keep only their output A (g' is read from A, as
 * native/kernels/network.cpp does); the output layer keeps its logits for the stable cost; dZ_L = AL - Y; dA_0 is
 * never computed.
 */
export class ReferenceNetwork {
  readonly layerDims: readonly number[];
  readonly activations: readonly ReferenceActivation[];
  readonly capacity: number;
  readonly dtype: ReferenceDType;
  /** W_1, b_1, ..., W_L, b_L back to back (updated in place by trainStep) */
  readonly params: FloatArray;
  /** dW_1, db_1, ... in the layout of params */
  readonly grads: FloatArray;
  /** A_l (n_l, capacity) at index l - 1; a batch of m examples uses the first n_l * m elements */
  readonly outputs: FloatArray[];
  /** Z_L (n_L, capacity), the output layer's logits */
  readonly logits: FloatArray;
  private readonly logitGradients: FloatArray[];
  private readonly offsets: { W: number; b: number }[];
  private readonly Ws: FloatArray[];
  private readonly bs: FloatArray[];
  private readonly dWs: FloatArray[];
  private readonly dbs: FloatArray[];

  constructor(options: ReferenceNetworkOptions) {
    const dims = [...options.layerDims];
    if (dims.length < 2 || !dims.every((d) => Number.isInteger(d) && d >= 1))
      throw new RangeError(`layerDims must be at least 2 positive integers, got [${dims.join(', ')}]`);
    const L = dims.length - 1;
    const activations = options.activations
      ? [...options.activations]
      : [...Array<ReferenceActivation>(L - 1).fill('relu'), 'sigmoid' as const];
    if (activations.length !== L || activations[L - 1] !== 'sigmoid')
      throw new RangeError(
        `activations must have one entry per layer (${L}) and end with 'sigmoid', got [${activations.join(', ')}]`,
      );
    if (!Number.isInteger(options.capacity) || options.capacity < 1)
      throw new RangeError(`capacity must be a positive integer, got ${options.capacity}`);
    const count = parameterCount(dims);
    const dtype: ReferenceDType = options.params
      ? options.params instanceof Float32Array
        ? 'float32'
        : 'float64'
      : (options.dtype ?? 'float64');
    if (options.params && options.params.length !== count)
      throw new RangeError(`params has ${options.params.length} elements, expected ${count}`);
    const allocate = (length: number): FloatArray =>
      dtype === 'float32' ? new Float32Array(length) : new Float64Array(length);

    this.layerDims = dims;
    this.activations = activations;
    this.capacity = options.capacity;
    this.dtype = dtype;
    this.params = options.params ?? allocate(count);
    this.grads = allocate(count);
    this.outputs = dims.slice(1).map((n) => allocate(n * options.capacity));
    this.logits = allocate(dims[L] * options.capacity);
    this.logitGradients = dims.slice(1).map((n) => allocate(n * options.capacity));
    this.offsets = parameterOffsets(dims);
    // Views of each layer's W and b in params and grads, made once.
    const view = (buffer: FloatArray, start: number, length: number) =>
      buffer.subarray(start, start + length) as FloatArray;
    this.Ws = this.offsets.map((o, i) => view(this.params, o.W, dims[i + 1] * dims[i]));
    this.bs = this.offsets.map((o, i) => view(this.params, o.b, dims[i + 1]));
    this.dWs = this.offsets.map((o, i) => view(this.grads, o.W, dims[i + 1] * dims[i]));
    this.dbs = this.offsets.map((o, i) => view(this.grads, o.b, dims[i + 1]));
  }

  // One cheap check per call: typed arrays drop out-of-range writes silently, so a batch larger than the buffers
  // would give wrong numbers rather than an error.
  private requireBatch(X: FloatArray, m: number): void {
    if (!Number.isInteger(m) || m < 1 || m > this.capacity)
      throw new RangeError(`m must be an integer from 1 to the capacity ${this.capacity}, got ${m}`);
    if (X.length < this.layerDims[0] * m)
      throw new RangeError(`X has ${X.length} elements, fewer than n_0 * m = ${this.layerDims[0] * m}`);
  }

  /** The output AL (n_L, m) of the last forward pass, a view of the workspace. */
  output(m: number): FloatArray {
    return this.outputs[this.outputs.length - 1].subarray(
      0,
      this.layerDims[this.layerDims.length - 1] * m,
    ) as FloatArray;
  }

  /** Forward pass of X (n_0, m), m <= capacity: fills outputs A_1..A_L and the logits Z_L. */
  forward(X: FloatArray, m: number): void {
    this.requireBatch(X, m);
    const dims = this.layerDims,
      L = dims.length - 1;
    let A_prev = X;
    for (let l = 1; l <= L; l++) {
      const A = this.outputs[l - 1];
      const Z = l === L ? this.logits : A;
      linearActivationForward(
        A,
        Z,
        this.Ws[l - 1],
        A_prev,
        this.bs[l - 1],
        dims[l],
        dims[l - 1],
        m,
        this.activations[l - 1],
      );
      A_prev = A;
    }
  }

  /** Binary cross-entropy of the last forward pass against Y (n_L, m), from the logits. */
  cost(Y: FloatArray, m: number): number {
    return binaryCrossEntropyFromLogits(this.logits, Y, this.layerDims[this.layerDims.length - 1], m);
  }

  /** Gradients of the cost into grads, after forward on the same X. */
  backward(X: FloatArray, Y: FloatArray, m: number): void {
    this.requireBatch(X, m);
    const dims = this.layerDims,
      L = dims.length - 1;
    const dZL = this.logitGradients[L - 1];
    const AL = this.outputs[L - 1];
    for (let i = 0, length = dims[L] * m; i < length; i++) dZL[i] = AL[i] - Y[i];
    for (let l = L; l >= 1; l--) {
      const A_prev = l === 1 ? X : this.outputs[l - 2];
      const dZ_prev = l === 1 ? null : this.logitGradients[l - 2];
      linearBackwardThrough(
        dZ_prev,
        A_prev,
        l === 1 ? 'linear' : this.activations[l - 2],
        this.dWs[l - 1],
        this.dbs[l - 1],
        this.logitGradients[l - 1],
        A_prev,
        this.Ws[l - 1],
        dims[l],
        dims[l - 1],
        m,
      );
    }
  }

  /**
   * One gradient-descent step on the batch; returns the cost before the update. A non-finite cost updates nothing
   * (as the native Network does).
   */
  trainStep(X: FloatArray, Y: FloatArray, m: number, learningRate: number): number {
    this.forward(X, m);
    const cost = this.cost(Y, m);
    if (!Number.isFinite(cost)) return cost;
    this.backward(X, Y, m);
    sgdUpdate(this.params, this.grads, learningRate);
    return cost;
  }

  /** `iterations` full-batch steps on X (n_0, m), Y (n_L, m); the cost before each step. */
  train(X: FloatArray, Y: FloatArray, m: number, learningRate: number, iterations: number): number[] {
    const costs = new Array<number>(iterations);
    for (let i = 0; i < iterations; i++) costs[i] = this.trainStep(X, Y, m, learningRate);
    return costs;
  }
}

/**
 * Trains the flat parameters `params` (updated in place) for `iterations` full-batch gradient-descent steps on
 * X (n_0, m) and Y (n_L, m): [LINEAR -> RELU] x (L-1) -> LINEAR -> SIGMOID. Returns the cost before each step.
 */
export function trainReference(
  layerDims: readonly number[],
  params: FloatArray,
  X: FloatArray,
  Y: FloatArray,
  m: number,
  learningRate: number,
  iterations: number,
): number[] {
  return new ReferenceNetwork({ layerDims, capacity: m, params }).train(X, Y, m, learningRate, iterations);
}
