// Model: the fast path. It owns its parameters and one workspace per layer, allocated once for a batch size;
// each training step is one native call (forward, cost, backward, update) that allocates nothing.
// [LINEAR -> RELU] x (L-1) -> LINEAR -> SIGMOID with binary cross-entropy, as the tutorial's model.
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import native, { type ActivationCode } from './binding';
import { describe, requireDimension, requireLayerDims, requirePositiveNumber } from './checks';
import { Matrix, allocate, requireDType, type DType, type FloatArray } from './matrix';
import { RandomState, freshSeed, initializeFlatParameters, requireInit, requireSeed, type InitScheme } from './random';
import { readModelFile, encodeModel, writeFileAtomic } from './persist';
import type { Parameters } from './tutorial';
import { requireMatrix, requireShape } from './validate';

export interface ModelOptions {
  /** [n_x, n_1, ..., n_L]: input size, hidden layer sizes, output size */
  layerDims: readonly number[];
  /** 'float64' (default; agrees with numpy to ~1e-12) or 'float32' (about twice the GEMM rate) */
  dtype?: DType;
  /** 'small': randn·0.01 (the tutorial), 'lecun': randn/√n_prev (the course's application, default), 'he': randn·√(2/n_prev) */
  init?: InitScheme;
  /** np.random.seed(seed) before drawing the weights, as the numpy code; random when omitted */
  seed?: number;
}

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
}

export interface FitOptions {
  /** gradient-descent step size (default 0.0075, the tutorial's) */
  learningRate?: number;
  /** full-batch steps (default 3000 when neither epochs nor batchSize is given) */
  iterations?: number;
  /** passes over the data (default 10 when batchSize is given) */
  epochs?: number;
  /** examples per step; omitted: the whole training set (full batch) */
  batchSize?: number;
  /** reshuffle the examples each epoch (default true with mini-batches; the full batch is never shuffled) */
  shuffle?: boolean;
  /** shuffle seed: epoch e draws np.random.seed(seed + e + 1); np.random.permutation(m), as the course's model() (default 0) */
  seed?: number;
  /** full batch: record the cost every costEvery iterations and at the last (default 100); mini-batch: one cost per epoch */
  costEvery?: number;
  /** called at every recorded cost, and every progressEvery steps when that is set */
  onProgress?: (progress: Progress) => void;
  progressEvery?: number;
}

export interface FitResult {
  /** recorded costs: at iterations 0, costEvery, ... and the last (full batch); per epoch, example-weighted (mini-batch) */
  costs: number[];
  /** the iteration (full batch) or epoch (mini-batch) of each recorded cost */
  costAt: number[];
  iterations: number;
  epochs: number;
  elapsedMs: number;
  examplesPerSecond: number;
  /** true when stopped early by an abort (fitAsync) */
  aborted: boolean;
}

/**
 * Thrown when a step's cost is NaN or infinite. `iteration` is the step whose cost (of the parameters it started
 * from) was not finite; the model keeps the parameters of iteration - 1, the last whose cost was finite.
 */
export interface FitAsyncOptions extends FitOptions {
  /** aborting stops training after the current step; the model keeps that step's parameters and the promise rejects with an AbortError */
  signal?: AbortSignal;
  /** OpenBLAS threads while training (process-wide; default: leave as set) */
  blasThreads?: number;
}

export class NonFiniteCostError extends Error {
  constructor(readonly iteration: number, readonly epoch: number, readonly cost: number, readonly result: FitResult) {
    super(
      `training stopped: the cost became ${cost} at iteration ${iteration}` +
        `${result.epochs > 1 ? ` (epoch ${epoch})` : ''}; the model keeps the parameters ${iteration > 0 ? `of iteration ${iteration - 1}` : 'it started with'}, ` +
        'the last with a finite cost. Try a smaller learning rate, or check the inputs for NaN or huge values.',
    );
    this.name = 'NonFiniteCostError';
  }
}

const RELU: ActivationCode = native.Activation.relu;
const SIGMOID: ActivationCode = native.Activation.sigmoid;
// Examples per forward pass when predicting on more data than the training batch.
const DEFAULT_PREDICT_CAPACITY = 4096;

/** Options that fit() understands internally (used by the worker behind fitAsync). */
export interface InternalFitHooks {
  shouldStop?: () => boolean;
}

export class Model {
  readonly layerDims: readonly number[];
  readonly dtype: DType;
  readonly init: InitScheme;
  readonly seed: number;
  private readonly activations: ActivationCode[];
  private readonly paramCount: number;
  // Two parameter buffers: a step writes the updated parameters into the other one, so a step whose cost turns
  // out non-finite is dropped exactly. Outside fit, buffer 0 always holds the current parameters.
  private readonly params: FloatArray;
  private readonly nextParams: FloatArray;
  private readonly grads: FloatArray;
  private capacity = 0;
  private workspace: FloatArray | null = null;
  private network: InstanceType<typeof native.Network> | null = null;
  private busy = false;

  constructor(options: ModelOptions) {
    if (typeof options !== 'object' || options === null) throw new TypeError(`options must be an object { layerDims, ... }, got ${describe(options)}`);
    this.layerDims = Object.freeze(requireLayerDims(options.layerDims, 'options.layerDims'));
    this.dtype = requireDType(options.dtype ?? 'float64', 'options.dtype');
    this.init = requireInit(options.init ?? 'lecun', 'options.init');
    this.seed = options.seed === undefined ? freshSeed() : requireSeed(options.seed, 'options.seed');
    const L = this.layerDims.length - 1;
    this.activations = Array.from({ length: L }, (_, i) => (i < L - 1 ? RELU : SIGMOID));
    this.paramCount = native.parameterCount(this.layerDims);
    this.params = allocate(this.dtype, this.paramCount);
    this.nextParams = allocate(this.dtype, this.paramCount);
    this.grads = allocate(this.dtype, this.paramCount);
    initializeFlatParameters(this.params, this.layerDims, this.init, this.seed);
  }

  get inputSize(): number {
    return this.layerDims[0];
  }

  get outputSize(): number {
    return this.layerDims[this.layerDims.length - 1];
  }

  get numLayers(): number {
    return this.layerDims.length - 1;
  }

  get parameterCount(): number {
    return this.paramCount;
  }

  /** The parameters { W1, b1, ... } as Matrix views of the model's own memory (no copy; writes change the model). */
  get parameters(): Parameters {
    return this.parameterViews(this.params);
  }

  /** The flat parameter buffer (W1, b1, W2, b2, ... back to back, column-major): a view, no copy. */
  get flatParameters(): FloatArray {
    return this.params;
  }

  /** Copies a parameter record { W1, b1, ... } of this model's shapes and dtype into the model. */
  setParameters(parameters: Parameters): void {
    this.requireIdle('setParameters');
    if (typeof parameters !== 'object' || parameters === null) throw new TypeError(`parameters must be a record { W1, b1, ... }, got ${describe(parameters)}`);
    const views = this.parameterViews(this.params);
    // check every entry before writing any
    for (const [key, view] of Object.entries(views)) {
      const given = requireMatrix(parameters[key], `parameters.${key}`);
      if (given.dtype !== this.dtype) throw new TypeError(`parameters.${key} is ${given.dtype} but the model is ${this.dtype}`);
      requireShape(given, `parameters.${key}`, view.rows, view.cols);
    }
    for (const [key, view] of Object.entries(views)) view.data.set(parameters[key].data);
  }

  /** Copies a flat parameter buffer (the layout of flatParameters) into the model. */
  setFlatParameters(values: FloatArray): void {
    this.requireIdle('setFlatParameters');
    if (!(values instanceof Float32Array || values instanceof Float64Array)) throw new TypeError(`values must be a Float32Array or Float64Array, got ${describe(values)}`);
    if (values.length !== this.paramCount) throw new RangeError(`values has ${values.length} elements, expected ${this.paramCount}`);
    this.params.set(values);
  }

  private parameterViews(buffer: FloatArray): Parameters {
    const out: Parameters = {};
    let offset = 0;
    for (let l = 1; l < this.layerDims.length; l++) {
      const n = this.layerDims[l], nPrev = this.layerDims[l - 1];
      out[`W${l}`] = new Matrix(n, nPrev, buffer.subarray(offset, offset + n * nPrev));
      offset += n * nPrev;
      out[`b${l}`] = new Matrix(n, 1, buffer.subarray(offset, offset + n));
      offset += n;
    }
    return out;
  }

  private requireIdle(what: string): void {
    if (this.busy) throw new Error(`${what}: the model is training (fitAsync); wait for it to finish or abort it`);
  }

  /** The network bound to buffers for at least `columns` examples per pass (reallocated only to grow). */
  private networkFor(columns: number): InstanceType<typeof native.Network> {
    if (this.network === null || columns > this.capacity) {
      this.capacity = Math.max(columns, this.capacity);
      this.workspace = allocate(this.dtype, native.workspaceLength(this.layerDims, this.capacity));
      this.network = new native.Network({
        layerDims: this.layerDims,
        activations: this.activations,
        capacity: this.capacity,
        params: this.params,
        nextParams: this.nextParams,
        grads: this.grads,
        workspace: this.workspace,
      });
    }
    return this.network;
  }

  private checkData(X: Matrix, Y: Matrix | null): void {
    requireMatrix(X, 'X');
    if (X.dtype !== this.dtype) throw new TypeError(`X is ${X.dtype} but the model is ${this.dtype}; convert with X.astype('${this.dtype}')`);
    requireShape(X, 'X', this.inputSize, X.cols, `(the model takes ${this.inputSize} features per example, one column each)`);
    if (Y !== null) {
      requireMatrix(Y, 'Y');
      if (Y.dtype !== this.dtype) throw new TypeError(`Y is ${Y.dtype} but the model is ${this.dtype}`);
      requireShape(Y, 'Y', this.outputSize, X.cols, '(one column of labels per example of X)');
      const labels = Y.data;
      for (let i = 0; i < labels.length; i++) {
        if (labels[i] !== 0 && labels[i] !== 1) throw new RangeError(`Y must hold labels 0 or 1; Y[${i % Y.rows}][${Math.floor(i / Y.rows)}] is ${labels[i]}`);
      }
    }
  }

  /**
   * Trains with gradient descent. Full batch (no batchSize): `iterations` steps on all of X, the tutorial's
   * loop. Mini-batch: `epochs` passes in batches of batchSize (the last may be smaller), reshuffled each
   * epoch unless shuffle is false. Batches are column views; a step allocates nothing.
   */
  fit(X: Matrix, Y: Matrix, options: FitOptions = {}, hooks: InternalFitHooks = {}): FitResult {
    this.requireIdle('fit');
    const plan = this.planFit(X, Y, options);
    this.busy = true;
    try {
      return this.runFit(X, Y, plan, hooks);
    } finally {
      this.busy = false;
    }
  }

  private planFit(X: Matrix, Y: Matrix, options: FitOptions) {
    if (typeof options !== 'object' || options === null) throw new TypeError(`options must be an object, got ${describe(options)}`);
    this.checkData(X, Y);
    const m = X.cols;
    const learningRate = requirePositiveNumber(options.learningRate ?? 0.0075, 'options.learningRate');
    const miniBatch = options.batchSize !== undefined && requireDimension(options.batchSize, 'options.batchSize') < m;
    const batchSize = miniBatch ? (options.batchSize as number) : m;
    if (!miniBatch && options.epochs !== undefined && options.iterations !== undefined)
      throw new TypeError('options: give iterations or epochs for full-batch training, not both');
    const epochs = miniBatch ? (options.epochs === undefined ? 10 : requireDimension(options.epochs, 'options.epochs')) : 1;
    if (miniBatch && options.iterations !== undefined) throw new TypeError('options.iterations is for full-batch training; with batchSize give epochs');
    const batchesPerEpoch = Math.ceil(m / batchSize);
    const iterations = miniBatch
      ? epochs * batchesPerEpoch
      : options.iterations !== undefined
        ? requireDimension(options.iterations, 'options.iterations')
        : options.epochs !== undefined
          ? requireDimension(options.epochs, 'options.epochs')
          : 3000;
    const costEvery = requireDimension(options.costEvery ?? 100, 'options.costEvery');
    const shuffle = miniBatch && (options.shuffle ?? true);
    if (options.shuffle !== undefined && typeof options.shuffle !== 'boolean') throw new TypeError(`options.shuffle must be a boolean, got ${describe(options.shuffle)}`);
    const seed = options.seed === undefined ? 0 : requireSeed(options.seed, 'options.seed');
    if (options.onProgress !== undefined && typeof options.onProgress !== 'function') throw new TypeError(`options.onProgress must be a function, got ${describe(options.onProgress)}`);
    const progressEvery = options.progressEvery === undefined ? 0 : requireDimension(options.progressEvery, 'options.progressEvery');
    return { m, learningRate, miniBatch, batchSize, epochs, batchesPerEpoch, iterations, costEvery, shuffle, seed, onProgress: options.onProgress, progressEvery };
  }

  private runFit(X: Matrix, Y: Matrix, plan: ReturnType<Model['planFit']>, hooks: InternalFitHooks): FitResult {
    const { m, learningRate, miniBatch, batchSize, epochs, batchesPerEpoch, iterations, costEvery, shuffle, seed, onProgress, progressEvery } = plan;
    const network = this.networkFor(batchSize);
    const n0 = this.inputSize, nL = this.outputSize;
    // Everything a step touches is set up here, before the loop: shuffled copies and the batch views into them.
    const sourceX = shuffle ? allocate(this.dtype, X.data.length) : X.data;
    const sourceY = shuffle ? allocate(this.dtype, Y.data.length) : Y.data;
    const order = shuffle ? new Uint32Array(m) : null;
    const batchX: FloatArray[] = [], batchY: FloatArray[] = [], batchM: number[] = [];
    for (let start = 0; start < m; start += batchSize) {
      const end = Math.min(m, start + batchSize);
      batchX.push(sourceX.subarray(start * n0, end * n0));
      batchY.push(sourceY.subarray(start * nL, end * nL));
      batchM.push(end - start);
    }
    const result: FitResult = { costs: [], costAt: [], iterations: 0, epochs: 0, elapsedMs: 0, examplesPerSecond: 0, aborted: false };
    const started = performance.now();
    let examples = 0, lastCost = NaN;
    const report = (iteration: number, epoch: number) => {
      if (onProgress !== undefined)
        onProgress({ iteration, totalIterations: iterations, epoch, epochs, cost: lastCost, examples, elapsedMs: performance.now() - started });
    };
    const finish = () => {
      network.syncParameters();
      result.elapsedMs = performance.now() - started;
      result.examplesPerSecond = result.elapsedMs > 0 ? (examples * 1000) / result.elapsedMs : 0;
      return result;
    };
    const diverged = (iteration: number, epoch: number, cost: number) => {
      finish();
      return new NonFiniteCostError(iteration, epoch, cost, result);
    };

    try {
      if (!miniBatch) {
        for (let i = 0; i < iterations; i++) {
          if (hooks.shouldStop?.()) {
            result.aborted = true;
            break;
          }
          const cost = network.trainStep(batchX[0], batchY[0], m, learningRate);
          if (!Number.isFinite(cost)) throw diverged(i, 0, cost);
          lastCost = cost;
          examples += m;
          result.iterations = i + 1;
          if (i % costEvery === 0 || i === iterations - 1) {
            result.costs.push(cost);
            result.costAt.push(i);
            report(i + 1, 0);
          } else if (progressEvery > 0 && (i + 1) % progressEvery === 0) report(i + 1, 0);
        }
        result.epochs = result.iterations > 0 ? 1 : 0;
        return finish();
      }

      let step = 0;
      for (let epoch = 0; epoch < epochs && !result.aborted; epoch++) {
        if (order !== null) {
          // np.random.seed(seed + epoch + 1); permutation = np.random.permutation(m), as the course's model()
          for (let i = 0; i < m; i++) order[i] = i;
          new RandomState(seed + epoch + 1 > 0xffffffff ? (seed + epoch + 1) % 0x100000000 : seed + epoch + 1).shuffle(order);
          native.gatherColumns(sourceX, X.data, n0, order);
          native.gatherColumns(sourceY, Y.data, nL, order);
        }
        let epochCost = 0;
        for (let b = 0; b < batchesPerEpoch; b++) {
          if (hooks.shouldStop?.()) {
            result.aborted = true;
            break;
          }
          const cost = network.trainStep(batchX[b], batchY[b], batchM[b], learningRate);
          if (!Number.isFinite(cost)) throw diverged(step, epoch, cost);
          lastCost = cost;
          epochCost += cost * batchM[b];
          examples += batchM[b];
          step++;
          result.iterations = step;
          if (progressEvery > 0 && step % progressEvery === 0) report(step, epoch);
        }
        if (result.aborted) break;
        result.epochs = epoch + 1;
        result.costs.push(epochCost / m);
        result.costAt.push(epoch);
        report(step, epoch);
      }
      return finish();
    } catch (error) {
      if (!(error instanceof NonFiniteCostError)) network.syncParameters();
      throw error;
    }
  }

  /** Forward passes over X in chunks of the workspace's capacity; calls visit(chunkStart, chunkColumns, AL view, network). */
  private forEachChunk(X: Matrix, visit: (start: number, columns: number, output: FloatArray, network: InstanceType<typeof native.Network>) => void): void {
    const network = this.networkFor(this.capacity > 0 ? this.capacity : Math.min(X.cols, DEFAULT_PREDICT_CAPACITY));
    const n0 = this.inputSize, nL = this.outputSize;
    // The last layer's activations sit after A_1 .. A_{L-1} in the workspace (native/kernels/network.hpp).
    let outputOffset = 0;
    for (let l = 1; l < this.numLayers; l++) outputOffset += this.layerDims[l] * this.capacity;
    const workspace = this.workspace as FloatArray;
    for (let start = 0; start < X.cols; start += this.capacity) {
      const columns = Math.min(this.capacity, X.cols - start);
      network.forward(X.data.subarray(start * n0, (start + columns) * n0), columns);
      visit(start, columns, workspace.subarray(outputOffset, outputOffset + nL * columns), network);
    }
  }

  /** Probabilities AL (n_L, m) = the network's sigmoid outputs for X (n_x, m). */
  predictProba(X: Matrix): Matrix {
    this.requireIdle('predictProba');
    this.checkData(X, null);
    const out = Matrix.zeros(this.outputSize, X.cols, this.dtype);
    this.forEachChunk(X, (start, _columns, output) => out.data.set(output, start * this.outputSize));
    return out;
  }

  /** Predictions (n_L, m) of 0 or 1: 1 where the probability exceeds 0.5 (the tutorial's predict). */
  predict(X: Matrix): Matrix {
    const probabilities = this.predictProba(X);
    const p = probabilities.data;
    for (let i = 0; i < p.length; i++) p[i] = p[i] > 0.5 ? 1 : 0;
    return probabilities;
  }

  /** The cost (binary cross-entropy, from the logits) and accuracy on X, Y. */
  evaluate(X: Matrix, Y: Matrix): { cost: number; accuracy: number } {
    this.requireIdle('evaluate');
    this.checkData(X, Y);
    const nL = this.outputSize;
    let costSum = 0, correct = 0;
    this.forEachChunk(X, (start, columns, output, network) => {
      const labels = Y.data.subarray(start * nL, (start + columns) * nL);
      costSum += network.cost(labels, columns) * columns;
      for (let i = 0; i < labels.length; i++) if ((output[i] > 0.5 ? 1 : 0) === labels[i]) correct++;
    });
    return { cost: costSum / X.cols, accuracy: correct / Y.data.length };
  }

  /**
   * fit() in a worker thread: the event loop stays free while it trains. Progress events arrive through
   * onProgress; on completion the trained parameters are copied into this model. The data is copied to the
   * worker (no copy when X.data and Y.data are backed by SharedArrayBuffers).
   */
  fitAsync(X: Matrix, Y: Matrix, options: FitAsyncOptions = {}): Promise<FitResult> {
    try {
      this.requireIdle('fitAsync');
      if (typeof options !== 'object' || options === null) throw new TypeError(`options must be an object, got ${describe(options)}`);
      const { signal, onProgress, blasThreads, ...fitOptions } = options;
      this.planFit(X, Y, { ...fitOptions, onProgress });
      if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError(`options.signal must be an AbortSignal, got ${describe(signal)}`);
      if (blasThreads !== undefined) requireDimension(blasThreads, 'options.blasThreads');
      if (signal?.aborted) return Promise.reject(abortReason(signal));
      return this.startWorker(X, Y, fitOptions, onProgress, signal, blasThreads);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  private startWorker(X: Matrix, Y: Matrix, fitOptions: FitOptions, onProgress: FitOptions['onProgress'], signal: AbortSignal | undefined, blasThreads: number | undefined): Promise<FitResult> {
    const abortFlag = new Int32Array(new SharedArrayBuffer(4));
    const job = {
      layerDims: [...this.layerDims],
      dtype: this.dtype,
      init: this.init,
      seed: this.seed,
      params: this.params,
      X: { rows: X.rows, cols: X.cols, data: X.data },
      Y: { rows: Y.rows, cols: Y.cols, data: Y.data },
      options: fitOptions,
      wantsProgress: onProgress !== undefined,
      abortFlag,
      blasThreads: blasThreads ?? native.getNumThreads(),
    };
    const worker = spawnTrainingWorker(job);
    this.busy = true;
    return new Promise<FitResult>((resolve, reject) => {
      let settled = false;
      const onAbort = () => Atomics.store(abortFlag, 0, 1);
      signal?.addEventListener('abort', onAbort, { once: true });
      const settle = (params: FloatArray | null, outcome: () => void) => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        this.busy = false;
        if (params !== null) this.params.set(params);
        outcome();
        void worker.terminate();
      };
      worker.on('message', (message) => {
        if (message.type === 'progress') {
          try {
            onProgress?.(message.progress);
          } catch (error) {
            // a throwing callback stops training, as it would in fit()
            Atomics.store(abortFlag, 0, 1);
            settle(null, () => reject(error));
          }
        } else if (message.type === 'done') {
          const result: FitResult = message.result;
          settle(message.params, () => (result.aborted && signal?.aborted ? reject(abortReason(signal)) : resolve(result)));
        } else if (message.type === 'error') {
          const d = message.diverged;
          settle(message.params, () => reject(d ? new NonFiniteCostError(d.iteration, d.epoch, d.cost, d.result) : Object.assign(new Error(message.message), { name: message.name })));
        }
      });
      worker.on('error', (error) => settle(null, () => reject(error)));
      worker.on('exit', (code) => settle(null, () => reject(new Error(`fitAsync: the training worker exited (code ${code}) before finishing`))));
    });
  }

  /** Writes the model to `file` (the format in lib/persist.ts), atomically: a temporary file, then a rename. */
  save(file: string): void {
    this.requireIdle('save');
    if (typeof file !== 'string' || file.length === 0) throw new TypeError(`file must be a non-empty path string, got ${describe(file)}`);
    const activations = this.activations.map((code) => (code === RELU ? 'relu' : 'sigmoid'));
    writeFileAtomic(file, encodeModel({ layerDims: [...this.layerDims], dtype: this.dtype, activations, init: this.init, seed: this.seed }, this.params));
  }

  /** Reads a model written by save(); a missing, truncated, corrupt or foreign file gets an Error naming it and the problem. */
  static load(file: string): Model {
    if (typeof file !== 'string' || file.length === 0) throw new TypeError(`file must be a non-empty path string, got ${describe(file)}`);
    const { header, params } = readModelFile(file);
    const L = header.layerDims.length - 1;
    const expected = Array.from({ length: L }, (_, i) => (i < L - 1 ? 'relu' : 'sigmoid'));
    if (JSON.stringify(header.activations) !== JSON.stringify(expected))
      throw new Error(`${file}: activations ${JSON.stringify(header.activations)} are not supported by this version (expected ${JSON.stringify(expected)})`);
    const model = new Model({ layerDims: header.layerDims, dtype: header.dtype, init: requireInit(header.init, `${file}: init`), seed: requireSeed(header.seed, `${file}: seed`) });
    model.params.set(params);
    return model;
  }

  /** A new model with the same architecture and a copy of the parameters. */
  clone(): Model {
    const copy = new Model({ layerDims: this.layerDims, dtype: this.dtype, init: this.init, seed: this.seed });
    copy.params.set(this.params);
    return copy;
  }

}

// Installed, the worker runs the compiled worker.js. Run from the TypeScript sources (tests, development under
// tsx), a worker does not inherit tsx's loader, so a small bootstrap registers tsx's require hook first.
function spawnTrainingWorker(job: object): Worker {
  if (!__filename.endsWith('.ts')) return new Worker(path.join(__dirname, 'worker.js'), { workerData: job });
  const source = JSON.stringify(path.join(__dirname, 'worker.ts'));
  return new Worker(`require('tsx/cjs'); require(${source});`, { eval: true, workerData: job });
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The training was aborted', 'AbortError');
}
