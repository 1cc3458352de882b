// Model: the fast path. It owns its parameters and one workspace per layer, allocated once for a batch size;
// each training step is one native call (forward, cost, backward, update) that allocates nothing.
// By default [LINEAR -> RELU] x (L-1) -> LINEAR -> SIGMOID with binary cross-entropy and gradient descent, the
// tutorial's model; lib/config.ts lists the other activations, softmax, optimisers, L2 and dropout.
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, requireDimension, requirePositiveNumber } from '../checks';
import { allocate, type DType, type FloatArray, Matrix, requireMatrix, requireShape } from '../matrix';
import native, { type ActivationCode } from '../native';
import { drawWeights, type InitScheme, RandomState, requireSeed } from '../random';
import type { Parameters } from '../tutorial';
import { encodeModel, readModelFile, writeFileAtomic } from './file-format';
import {
  activationCodes,
  type ModelConfig,
  type ModelOptions,
  normaliseModelOptions,
  OPTIMIZER_CODES,
  usesDropout,
} from './options';

export type { ModelConfig, ModelOptions } from './options';

/**
 * Labels: for a sigmoid output a Matrix (n_L, m) of 0/1; for softmax a one-hot Matrix (classes, m), or the class
 * indices as a (1, m) Matrix, an integer typed array or a number[].
 */
export type Labels = Matrix | ArrayLike<number>;

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
}

export interface FitOptions {
  /** gradient-descent step size (default 0.0075, the tutorial's) */
  learningRate?: number;
  /** learning-rate decay, the course's schedule: lr = learningRate / (1 + decayRate · floor(epoch / decayEvery)) (default 0: none); full batch: per iteration */
  decayRate?: number;
  /** epochs (iterations for full batch) between decay steps (default 1) */
  decayEvery?: number;
  /** full-batch steps (default 3000 when neither epochs nor batchSize is given) */
  iterations?: number;
  /** passes over the data (default 10 when batchSize is given) */
  epochs?: number;
  /** examples per step; omitted: the whole training set (full batch) */
  batchSize?: number;
  /** reshuffle the examples each epoch (default true with mini-batches; the full batch is never shuffled) */
  shuffle?: boolean;
  /** shuffle seed: epoch e draws np.random.seed(seed + e + 1); np.random.permutation(m), as the course's model(); also seeds the dropout masks (default 0) */
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
  /**
   * OpenBLAS threads while training (process-wide). Default: as set for the first training; while several fitAsync
   * trainings run at once, 1, so that the workers and OpenBLAS's pool do not oversubscribe the cores (the previous
   * count comes back when the last one ends).
   */
  blasThreads?: number;
}

export class NonFiniteCostError extends Error {
  constructor(
    readonly iteration: number,
    readonly epoch: number,
    readonly cost: number,
    readonly result: FitResult,
  ) {
    super(
      `training stopped: the cost became ${cost} at iteration ${iteration}` +
        `${result.epochs > 1 ? ` (epoch ${epoch})` : ''}; the model keeps the parameters ${iteration > 0 ? `of iteration ${iteration - 1}` : 'it started with'}, ` +
        'the last with a finite cost. Try a smaller learning rate, or check the inputs for NaN or huge values.',
    );
    this.name = 'NonFiniteCostError';
  }
}

// Full-batch steps run in one native call at most (between them fit() checks for an abort).
const MAX_STEPS_PER_CALL = 256;
// Examples per forward pass when predicting on more data than the training batch.
const DEFAULT_PREDICT_CAPACITY = 4096;

/** Options that fit() understands internally (used by the worker behind fitAsync). */
export interface InternalFitHooks {
  shouldStop?: () => boolean;
}

export class Model {
  /** the normalised settings the model was built with (what save() stores) */
  readonly config: Readonly<ModelConfig>;
  readonly layerDims: readonly number[];
  readonly dtype: DType;
  readonly init: InitScheme;
  readonly seed: number;
  private readonly activations: ActivationCode[];
  private readonly paramCount: number;
  // Momentum / Adam state in the parameters' layout (null when unused); it persists across fit calls.
  private readonly velocity: FloatArray | null;
  private readonly squares: FloatArray | null;
  private adamStep = 0;
  private masks: FloatArray | null = null;
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
    const config = normaliseModelOptions(options);
    this.config = Object.freeze(config);
    this.layerDims = Object.freeze([...config.layerDims]);
    this.dtype = config.dtype;
    this.init = config.init;
    this.seed = config.seed;
    this.activations = activationCodes(config);
    this.paramCount = native.parameterCount(this.layerDims);
    // One allocation for the parameter-shaped buffers (views of it), so the native network checks one buffer per call.
    const P = this.paramCount;
    const slots = 3 + (config.optimizer === 'gd' ? 0 : 1) + (config.optimizer === 'adam' ? 1 : 0);
    const arena = allocate(this.dtype, slots * P, `the parameters of ${this.layerDims.join('-')} (${P} values)`);
    const slot = (i: number) => arena.subarray(i * P, (i + 1) * P);
    this.params = slot(0);
    this.nextParams = slot(1);
    this.grads = slot(2);
    this.velocity = config.optimizer === 'gd' ? null : slot(3);
    this.squares = config.optimizer === 'adam' ? slot(4) : null;
    // np.random.seed(seed), then W_l drawn layer by layer as initializeParametersDeep does; b_l stays 0
    const rng = new RandomState(this.seed);
    const views = this.parameterViews(this.params);
    for (let l = 1; l < this.layerDims.length; l++)
      views[`W${l}`].data.set(drawWeights(rng, this.layerDims[l], this.layerDims[l - 1], this.init));
  }

  /** 'sigmoid' (binary labels) or 'softmax' (classes) */
  get output(): 'sigmoid' | 'softmax' {
    return this.config.output;
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
    if (typeof parameters !== 'object' || parameters === null)
      throw new TypeError(`parameters must be a record { W1, b1, ... }, got ${describe(parameters)}`);
    const views = this.parameterViews(this.params);
    for (const key of Object.keys(parameters))
      if (/^[Wb]\d+$/.test(key) && !(key in views))
        throw new RangeError(`parameters.${key}: the model has ${this.numLayers} layers (W1..W${this.numLayers})`);
    // check every entry before writing any
    for (const [key, view] of Object.entries(views)) {
      const given = requireMatrix(parameters[key], `parameters.${key}`);
      if (given.dtype !== this.dtype)
        throw new TypeError(`parameters.${key} is ${given.dtype} but the model is ${this.dtype}`);
      requireShape(given, `parameters.${key}`, view.rows, view.cols);
    }
    for (const [key, view] of Object.entries(views)) view.data.set(parameters[key].data);
  }

  /** Copies a flat parameter buffer (the layout of flatParameters) into the model. */
  setFlatParameters(values: FloatArray): void {
    this.requireIdle('setFlatParameters');
    if (!(values instanceof Float32Array || values instanceof Float64Array))
      throw new TypeError(`values must be a Float32Array or Float64Array, got ${describe(values)}`);
    if (values.length !== this.paramCount)
      throw new RangeError(`values has ${values.length} elements, expected ${this.paramCount}`);
    this.params.set(values);
  }

  private parameterViews(buffer: FloatArray): Parameters {
    const out: Parameters = {};
    let offset = 0;
    for (let l = 1; l < this.layerDims.length; l++) {
      const n = this.layerDims[l],
        nPrev = this.layerDims[l - 1];
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
      if (this.network !== null) this.adamStep = this.network.step;
      this.capacity = Math.max(columns, this.capacity);
      const dropout = usesDropout(this.config);
      const workspaceLength = native.workspaceLength(this.layerDims, this.capacity);
      const maskLength = dropout ? native.maskLength(this.layerDims, this.capacity) : 0;
      const scratch = allocate(this.dtype, workspaceLength + maskLength, `a workspace for batches of ${this.capacity}`);
      this.workspace = scratch.subarray(0, workspaceLength);
      this.masks = dropout ? scratch.subarray(workspaceLength) : null;
      this.network = new native.Network({
        layerDims: this.layerDims,
        activations: this.activations,
        capacity: this.capacity,
        params: this.params,
        nextParams: this.nextParams,
        grads: this.grads,
        workspace: this.workspace,
        l2: this.config.l2,
        keepProb: dropout ? [...this.config.keepProb, 1] : undefined,
        masks: this.masks ?? undefined,
        optimizer: OPTIMIZER_CODES[this.config.optimizer],
        beta1: this.config.beta1,
        beta2: this.config.beta2,
        epsilon: this.config.epsilon,
        velocity: this.velocity ?? undefined,
        squares: this.squares ?? undefined,
      });
      this.network.step = this.adamStep;
    }
    return this.network;
  }

  private checkInputs(X: Matrix): void {
    requireMatrix(X, 'X');
    if (X.dtype !== this.dtype)
      throw new TypeError(`X is ${X.dtype} but the model is ${this.dtype}; convert with X.astype('${this.dtype}')`);
    requireShape(
      X,
      'X',
      this.inputSize,
      X.cols,
      `(the model takes ${this.inputSize} features per example, one column each)`,
    );
  }

  /** The label matrix (n_L, m) the network trains on: Y itself when it already is one, else one-hot of class indices. */
  private targets(X: Matrix, Y: Labels): Matrix {
    this.checkInputs(X);
    const m = X.cols,
      classes = this.outputSize;
    if (this.output === 'softmax' && !(Y instanceof Matrix && Y.rows === classes && classes > 1)) {
      // class indices: a (1, m) Matrix, a numeric typed array or a number[]
      if (Y instanceof Matrix && Y.rows !== 1) requireShape(Y, 'Y', classes, m, '(one-hot) or (1, m) class indices');
      const numericView =
        ArrayBuffer.isView(Y) &&
        !(Y instanceof DataView) &&
        !(Y instanceof BigInt64Array) &&
        !(Y instanceof BigUint64Array);
      if (!(Y instanceof Matrix) && !Array.isArray(Y) && !numericView)
        throw new TypeError(`Y must be a Matrix, a typed array or an array of class indices, got ${describe(Y)}`);
      const indices: ArrayLike<number> = Y instanceof Matrix ? Y.data : Y;
      if (indices.length !== m)
        throw new RangeError(`Y has ${indices.length} class indices, expected one per example of X (${m})`);
      const oneHot = Matrix.zeros(classes, m, this.dtype);
      for (let j = 0; j < m; j++) {
        const k = indices[j];
        if (!Number.isInteger(k) || k < 0 || k >= classes)
          throw new RangeError(`Y must hold class indices from 0 to ${classes - 1}; Y[${j}] is ${k}`);
        oneHot.data[k + j * classes] = 1;
      }
      return oneHot;
    }
    requireMatrix(Y, 'Y');
    const labels = Y as Matrix;
    if (labels.dtype !== this.dtype) throw new TypeError(`Y is ${labels.dtype} but the model is ${this.dtype}`);
    requireShape(labels, 'Y', this.outputSize, m, '(one column of labels per example of X)');
    const y = labels.data;
    for (let i = 0; i < y.length; i++) {
      if (y[i] !== 0 && y[i] !== 1)
        throw new RangeError(
          `Y must hold labels 0 or 1; Y[${i % labels.rows}][${Math.floor(i / labels.rows)}] is ${y[i]}`,
        );
    }
    if (this.output === 'softmax') {
      for (let j = 0; j < m; j++) {
        let ones = 0;
        for (let k = 0; k < classes; k++) ones += y[k + j * classes];
        if (ones !== 1) throw new RangeError(`Y must be one-hot: column ${j} has ${ones} ones`);
      }
    }
    return labels;
  }

  /**
   * Trains with gradient descent. Full batch (no batchSize): `iterations` steps on all of X, the tutorial's
   * loop. Mini-batch: `epochs` passes in batches of batchSize (the last may be smaller), reshuffled each
   * epoch unless shuffle is false. Batches are column views; a step allocates nothing.
   */
  fit(X: Matrix, Y: Labels, options: FitOptions = {}, hooks: InternalFitHooks = {}): FitResult {
    this.requireIdle('fit');
    const plan = this.planFit(X, Y, options);
    this.busy = true;
    try {
      return this.runFit(X, plan.Y, plan, hooks);
    } finally {
      this.busy = false;
    }
  }

  private planFit(X: Matrix, labels: Labels, options: FitOptions) {
    if (typeof options !== 'object' || options === null)
      throw new TypeError(`options must be an object, got ${describe(options)}`);
    const Y = this.targets(X, labels);
    const m = X.cols;
    const learningRate = requirePositiveNumber(options.learningRate ?? 0.0075, 'options.learningRate');
    const decayRate = options.decayRate ?? 0;
    if (typeof decayRate !== 'number')
      throw new TypeError(`options.decayRate must be a number, got ${describe(decayRate)}`);
    if (!Number.isFinite(decayRate) || decayRate < 0)
      throw new RangeError(`options.decayRate must be a finite number >= 0, got ${decayRate}`);
    const decayEvery = requireDimension(options.decayEvery ?? 1, 'options.decayEvery');
    const miniBatch = options.batchSize !== undefined && requireDimension(options.batchSize, 'options.batchSize') < m;
    const batchSize = miniBatch ? (options.batchSize as number) : m;
    if (!miniBatch && options.epochs !== undefined && options.iterations !== undefined)
      throw new TypeError('options: give iterations or epochs for full-batch training, not both');
    const epochs = miniBatch
      ? options.epochs === undefined
        ? 10
        : requireDimension(options.epochs, 'options.epochs')
      : 1;
    if (miniBatch && options.iterations !== undefined)
      throw new TypeError('options.iterations is for full-batch training; with batchSize give epochs');
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
    if (options.shuffle !== undefined && typeof options.shuffle !== 'boolean')
      throw new TypeError(`options.shuffle must be a boolean, got ${describe(options.shuffle)}`);
    const seed = options.seed === undefined ? 0 : requireSeed(options.seed, 'options.seed');
    if (options.onProgress !== undefined && typeof options.onProgress !== 'function')
      throw new TypeError(`options.onProgress must be a function, got ${describe(options.onProgress)}`);
    const progressEvery =
      options.progressEvery === undefined ? 0 : requireDimension(options.progressEvery, 'options.progressEvery');
    return {
      Y,
      m,
      learningRate,
      decayRate,
      decayEvery,
      miniBatch,
      batchSize,
      epochs,
      batchesPerEpoch,
      iterations,
      costEvery,
      shuffle,
      seed,
      onProgress: options.onProgress,
      progressEvery,
    };
  }

  private runFit(X: Matrix, Y: Matrix, plan: ReturnType<Model['planFit']>, hooks: InternalFitHooks): FitResult {
    const {
      m,
      learningRate,
      decayRate,
      decayEvery,
      miniBatch,
      batchSize,
      epochs,
      batchesPerEpoch,
      iterations,
      costEvery,
      shuffle,
      seed,
      onProgress,
      progressEvery,
    } = plan;
    const network = this.networkFor(batchSize);
    // the course's schedule_lr_decay: learningRate / (1 + decayRate · floor(t / decayEvery))
    const rateAt = (t: number) =>
      decayRate === 0 ? learningRate : learningRate / (1 + decayRate * Math.floor(t / decayEvery));
    if (this.masks !== null) network.reseedDropout(seed);
    const n0 = this.inputSize,
      nL = this.outputSize;
    // Everything a step touches is set up here, before the loop: shuffled copies and the batch views into them.
    const sourceX = shuffle ? allocate(this.dtype, X.data.length) : X.data;
    const sourceY = shuffle ? allocate(this.dtype, Y.data.length) : Y.data;
    const order = shuffle ? new Uint32Array(m) : null;
    const shuffler = shuffle ? new RandomState(seed) : null;
    const stepCosts = new Float64Array(miniBatch ? 1 : MAX_STEPS_PER_CALL);
    const batchX: FloatArray[] = [],
      batchY: FloatArray[] = [],
      batchM: number[] = [];
    for (let start = 0; start < m; start += batchSize) {
      const end = Math.min(m, start + batchSize);
      batchX.push(sourceX.subarray(start * n0, end * n0));
      batchY.push(sourceY.subarray(start * nL, end * nL));
      batchM.push(end - start);
    }
    const result: FitResult = {
      costs: [],
      costAt: [],
      iterations: 0,
      epochs: 0,
      elapsedMs: 0,
      examplesPerSecond: 0,
      aborted: false,
    };
    const started = performance.now();
    let examples = 0,
      lastCost = NaN;
    const report = (iteration: number, epoch: number, epochCost?: number) => {
      if (onProgress !== undefined)
        onProgress({
          iteration,
          totalIterations: iterations,
          epoch,
          epochs,
          cost: lastCost,
          examples,
          elapsedMs: performance.now() - started,
          ...(epochCost === undefined ? {} : { epochCost }),
        });
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
        // Full batch: the batch never changes, so runs of steps go to the network in one call (trainSteps), cut
        // wherever JavaScript has something to do: a cost to record, a progress report, a learning-rate change,
        // and at least every MAX_STEPS_PER_CALL steps so that an abort is seen promptly.
        const events = (i: number) =>
          i % costEvery === 0 || i === iterations - 1 || (progressEvery > 0 && (i + 1) % progressEvery === 0);
        let i = 0;
        while (i < iterations) {
          if (hooks.shouldStop?.()) {
            result.aborted = true;
            break;
          }
          let last = i;
          const rate = rateAt(i);
          while (
            !events(last) &&
            last + 1 < iterations &&
            last - i + 1 < MAX_STEPS_PER_CALL &&
            rateAt(last + 1) === rate
          )
            last++;
          const count = last - i + 1;
          const completed = network.trainSteps(batchX[0], batchY[0], m, rate, count, stepCosts);
          examples += completed * m;
          result.iterations = i + completed;
          if (completed < count) throw diverged(i + completed, 0, stepCosts[completed]);
          lastCost = stepCosts[count - 1];
          if (last % costEvery === 0 || last === iterations - 1) {
            result.costs.push(lastCost);
            result.costAt.push(last);
            report(last + 1, 0);
          } else if (progressEvery > 0 && (last + 1) % progressEvery === 0) report(last + 1, 0);
          i = last + 1;
        }
        result.epochs = result.iterations > 0 ? 1 : 0;
        return finish();
      }

      let step = 0;
      for (let epoch = 0; epoch < epochs && !result.aborted; epoch++) {
        if (order !== null) {
          // np.random.seed(seed + epoch + 1); permutation = np.random.permutation(m), as the course's model()
          for (let i = 0; i < m; i++) order[i] = i;
          shuffler!.reseed((seed + epoch + 1) % 0x100000000).shuffle(order);
          native.gatherColumns(sourceX, X.data, n0, order);
          native.gatherColumns(sourceY, Y.data, nL, order);
        }
        let epochCost = 0;
        const rate = rateAt(epoch);
        for (let b = 0; b < batchesPerEpoch; b++) {
          if (hooks.shouldStop?.()) {
            result.aborted = true;
            break;
          }
          const cost = network.trainStep(batchX[b], batchY[b], batchM[b], rate);
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
        report(step, epoch, epochCost / m);
      }
      return finish();
    } catch (error) {
      if (!(error instanceof NonFiniteCostError)) network.syncParameters();
      throw error;
    }
  }

  /** Forward passes over X in chunks of the workspace's capacity; calls visit(chunkStart, chunkColumns, AL view, network). */
  private forEachChunk(
    X: Matrix,
    visit: (start: number, columns: number, output: FloatArray, network: InstanceType<typeof native.Network>) => void,
  ): void {
    const network = this.networkFor(this.capacity > 0 ? this.capacity : Math.min(X.cols, DEFAULT_PREDICT_CAPACITY));
    const n0 = this.inputSize,
      nL = this.outputSize;
    // The last layer's activations sit after A_1 .. A_{L-1} in the workspace (native/kernels/network.hpp).
    let outputOffset = 0;
    for (let l = 1; l < this.numLayers; l++) outputOffset += this.layerDims[l] * this.capacity;
    const workspace = this.workspace as FloatArray;
    for (let start = 0; start < X.cols; start += this.capacity) {
      const columns = Math.min(this.capacity, X.cols - start);
      network.forward(X.data.subarray(start * n0, (start + columns) * n0), columns, false);
      visit(start, columns, workspace.subarray(outputOffset, outputOffset + nL * columns), network);
    }
  }

  /** Probabilities AL (n_L, m): the network's sigmoid or softmax outputs for X (n_x, m), dropout off. */
  predictProba(X: Matrix): Matrix {
    this.requireIdle('predictProba');
    this.checkInputs(X);
    const out = Matrix.zeros(this.outputSize, X.cols, this.dtype);
    this.forEachChunk(X, (start, _columns, output) => out.data.set(output, start * this.outputSize));
    return out;
  }

  /**
   * Predictions: for a sigmoid output (n_L, m) of 0 or 1, 1 where the probability exceeds 0.5 (the tutorial's
   * predict); for softmax (1, m) class indices, the most probable class of each example.
   */
  predict(X: Matrix): Matrix {
    const probabilities = this.predictProba(X);
    const p = probabilities.data;
    if (this.output === 'sigmoid') {
      for (let i = 0; i < p.length; i++) p[i] = p[i] > 0.5 ? 1 : 0;
      return probabilities;
    }
    const classes = this.outputSize,
      out = Matrix.zeros(1, X.cols, this.dtype);
    for (let j = 0; j < X.cols; j++) out.data[j] = argmax(p, j * classes, classes);
    return out;
  }

  /** The cross-entropy (from the logits, without the L2 term) and the accuracy on X, Y (labels as fit takes them). */
  evaluate(X: Matrix, Y: Labels): { cost: number; accuracy: number } {
    this.requireIdle('evaluate');
    const targets = this.targets(X, Y);
    const nL = this.outputSize,
      softmax = this.output === 'softmax';
    let costSum = 0,
      correct = 0;
    this.forEachChunk(X, (start, columns, output, network) => {
      const labels = targets.data.subarray(start * nL, (start + columns) * nL);
      costSum += network.cost(labels, columns, false) * columns;
      if (softmax) {
        for (let j = 0; j < columns; j++) if (labels[j * nL + argmax(output, j * nL, nL)] === 1) correct++;
      } else {
        for (let i = 0; i < labels.length; i++) if ((output[i] > 0.5 ? 1 : 0) === labels[i]) correct++;
      }
    });
    return { cost: costSum / X.cols, accuracy: correct / (softmax ? X.cols : targets.data.length) };
  }

  /**
   * Gradient checking, as the course defines it: ||grad - gradapprox|| / (||grad|| + ||gradapprox||), where
   * gradapprox comes from centred differences (J(θ + ε) - J(θ - ε)) / 2ε of the training cost (with the L2 term,
   * dropout off) and grad from backpropagation. Runs on a float64 copy of the model; `maxParameters` checks an
   * evenly spaced subset of a large model's parameters. Below about 1e-7 means the gradients are right.
   */
  gradientCheck(
    X: Matrix,
    Y: Labels,
    options: { epsilon?: number; maxParameters?: number } = {},
  ): { difference: number; checked: number } {
    this.requireIdle('gradientCheck');
    if (typeof options !== 'object' || options === null)
      throw new TypeError(`options must be an object { epsilon, maxParameters }, got ${describe(options)}`);
    const targets = this.targets(X, Y);
    const epsilon = requirePositiveNumber(options.epsilon ?? 1e-7, 'options.epsilon');
    const maxParameters =
      options.maxParameters === undefined
        ? this.paramCount
        : requireDimension(options.maxParameters, 'options.maxParameters');
    const twin = new Model({ ...this.config, hiddenActivation: this.config.hiddenActivations, dtype: 'float64' });
    twin.params.set(this.params);
    const m = X.cols;
    const x = X.astype('float64').data,
      y = targets.astype('float64').data;
    const network = twin.networkFor(m);
    const theta = twin.params;
    network.forward(x, m, false);
    network.backward(x, y, m);
    const cost = () => {
      network.forward(x, m, false);
      return network.cost(y, m, true);
    };
    const stride = Math.max(1, Math.floor(this.paramCount / maxParameters));
    let diff = 0,
      gradNorm = 0,
      approxNorm = 0,
      checked = 0;
    for (let i = 0; i < this.paramCount && checked < maxParameters; i += stride, checked++) {
      const saved = theta[i];
      theta[i] = saved + epsilon;
      const plus = cost();
      theta[i] = saved - epsilon;
      const minus = cost();
      theta[i] = saved;
      const approx = (plus - minus) / (2 * epsilon),
        grad = twin.grads[i];
      diff += (grad - approx) ** 2;
      gradNorm += grad * grad;
      approxNorm += approx * approx;
    }
    const denominator = Math.sqrt(gradNorm) + Math.sqrt(approxNorm);
    return { difference: denominator === 0 ? 0 : Math.sqrt(diff) / denominator, checked };
  }

  /**
   * fit() in a worker thread: the event loop stays free while it trains. Progress events arrive through
   * onProgress; on completion the trained parameters are copied into this model. The data is copied to the
   * worker (no copy when X.data and Y.data are backed by SharedArrayBuffers).
   */
  fitAsync(X: Matrix, Y: Labels, options: FitAsyncOptions = {}): Promise<FitResult> {
    try {
      this.requireIdle('fitAsync');
      if (typeof options !== 'object' || options === null)
        throw new TypeError(`options must be an object, got ${describe(options)}`);
      const { signal, onProgress, blasThreads, ...fitOptions } = options;
      const plan = this.planFit(X, Y, { ...fitOptions, onProgress });
      if (signal !== undefined && !(signal instanceof AbortSignal))
        throw new TypeError(`options.signal must be an AbortSignal, got ${describe(signal)}`);
      if (blasThreads !== undefined && requireDimension(blasThreads, 'options.blasThreads') > 1024)
        throw new RangeError(`options.blasThreads must be at most 1024, got ${blasThreads}`);
      if (signal?.aborted) return Promise.reject(abortReason(signal));
      return this.startWorker(X, plan.Y, fitOptions, onProgress, signal, blasThreads);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  private startWorker(
    X: Matrix,
    Y: Matrix,
    fitOptions: FitOptions,
    onProgress: FitOptions['onProgress'],
    signal: AbortSignal | undefined,
    blasThreads: number | undefined,
  ): Promise<FitResult> {
    const abortFlag = new Int32Array(new SharedArrayBuffer(4));
    if (this.network !== null) this.adamStep = this.network.step;
    const job = {
      config: this.config,
      state: { params: this.params, velocity: this.velocity, squares: this.squares, adamStep: this.adamStep },
      X: { rows: X.rows, cols: X.cols, data: X.data },
      Y: { rows: Y.rows, cols: Y.cols, data: Y.data },
      options: fitOptions,
      wantsProgress: onProgress !== undefined,
      abortFlag,
      blasThreads: blasThreads ?? concurrency.enter(),
    };
    const worker = spawnTrainingWorker(job);
    this.busy = true;
    return new Promise<FitResult>((resolve, reject) => {
      let settled = false;
      const onAbort = () => Atomics.store(abortFlag, 0, 1);
      signal?.addEventListener('abort', onAbort, { once: true });
      const settle = (state: TrainingState | null, outcome: () => void) => {
        if (settled) return;
        settled = true;
        if (blasThreads === undefined) concurrency.leave();
        signal?.removeEventListener('abort', onAbort);
        this.busy = false;
        if (state !== null) this.importState(state);
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
          settle(message.state, () =>
            result.aborted && signal?.aborted ? reject(abortReason(signal)) : resolve(result),
          );
        } else if (message.type === 'error') {
          const d = message.diverged;
          settle(message.state, () =>
            reject(
              d
                ? new NonFiniteCostError(d.iteration, d.epoch, d.cost, d.result)
                : Object.assign(new Error(message.message), { name: message.name }),
            ),
          );
        }
      });
      worker.on('error', (error) => settle(null, () => reject(error)));
      worker.on('exit', (code) =>
        settle(null, () => reject(new Error(`fitAsync: the training worker exited (code ${code}) before finishing`))),
      );
    });
  }

  /** Writes the model to `file` (the format in lib/persist.ts), atomically: a temporary file, then a rename. */
  save(file: string): void {
    this.requireIdle('save');
    if (typeof file !== 'string' || file.length === 0)
      throw new TypeError(`file must be a non-empty path string, got ${describe(file)}`);
    writeFileAtomic(file, encodeModel(this.config, this.params));
  }

  /** Reads a model written by save(); a missing, truncated, corrupt or foreign file gets an Error naming it and the problem. */
  static load(file: string): Model {
    if (typeof file !== 'string' || file.length === 0)
      throw new TypeError(`file must be a non-empty path string, got ${describe(file)}`);
    const { config, params } = readModelFile(file);
    let model: Model;
    try {
      model = new Model({ ...config, hiddenActivation: config.hiddenActivations });
    } catch (error) {
      throw new Error(`${file}: the stored settings are not valid (${(error as Error).message})`);
    }
    model.params.set(params);
    return model;
  }

  /** A new model with the same settings and a copy of the parameters (and optimiser state). */
  clone(): Model {
    const copy = new Model({ ...this.config, hiddenActivation: this.config.hiddenActivations });
    copy.importState(this.exportState());
    return copy;
  }

  /** @internal the parameters and optimiser state, for the worker behind fitAsync */
  exportState(): TrainingState {
    if (this.network !== null) this.adamStep = this.network.step;
    return { params: this.params, velocity: this.velocity, squares: this.squares, adamStep: this.adamStep };
  }

  /** @internal */
  importState(state: TrainingState): void {
    this.params.set(state.params);
    if (this.velocity !== null && state.velocity) this.velocity.set(state.velocity);
    if (this.squares !== null && state.squares) this.squares.set(state.squares);
    this.adamStep = state.adamStep;
    if (this.network !== null) this.network.step = state.adamStep;
  }
}

// The default OpenBLAS thread policy of fitAsync: one training keeps the process's setting; from the second
// concurrent one on, every training (OpenBLAS's count is process-wide) runs its BLAS on one thread.
const concurrency = {
  active: 0,
  threadsBefore: 0,
  enter(): number {
    if (this.active++ === 0) {
      this.threadsBefore = native.getNumThreads();
      return this.threadsBefore;
    }
    return 1;
  },
  leave(): void {
    if (--this.active === 0) native.setNumThreads(this.threadsBefore);
  },
};

// Installed, the worker runs the compiled worker.js. Run from the TypeScript sources (tests, development under
// tsx), a worker does not inherit tsx's loader, so a small bootstrap registers tsx's require hook first.
function spawnTrainingWorker(job: object): Worker {
  if (!__filename.endsWith('.ts')) return new Worker(path.join(__dirname, 'worker.js'), { workerData: job });
  const source = JSON.stringify(path.join(__dirname, 'worker.ts'));
  return new Worker(`require('tsx/cjs'); require(${source});`, { eval: true, workerData: job });
}

export interface TrainingState {
  params: FloatArray;
  velocity: FloatArray | null;
  squares: FloatArray | null;
  adamStep: number;
}

function argmax(values: FloatArray, offset: number, count: number): number {
  let best = 0;
  for (let k = 1; k < count; k++) if (values[offset + k] > values[offset + best]) best = k;
  return best;
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The training was aborted', 'AbortError');
}

/** gradient_check_n, as the course names it: `model.gradientCheck(X, Y, options)`. */
export function gradientCheck(
  model: Model,
  X: Matrix,
  Y: Labels,
  options: { epsilon?: number; maxParameters?: number } = {},
): { difference: number; checked: number } {
  if (!(model instanceof Model)) throw new TypeError(`model must be a Model, got ${describe(model)}`);
  return model.gradientCheck(X, Y, options);
}
