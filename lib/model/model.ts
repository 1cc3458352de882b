// Model: the fast path. It owns its parameters and one workspace per layer, allocated once for a batch size;
// each training step is one native call (forward, cost, backward, update) that allocates nothing.
// By default [LINEAR -> RELU] x (L-1) -> LINEAR -> SIGMOID with binary cross-entropy and gradient descent, the
// tutorial's model; lib/model/options.ts lists the other activations, softmax, optimisers, L2 and dropout.
// Training lives in fit.ts (plan and loops), fit-async.ts (the worker) and gradient-check.ts; the file format in
// file-format.ts.
import { describe } from '../checks';
import { applyScalingInto } from '../estimators/preprocessing';
import { writeFileAtomic } from '../io';
import { allocate, type DType, type FloatArray, Matrix, requireMatrix, requireShape } from '../matrix';
import native, { type ActivationCode } from '../native';
import { drawWeights, type InitScheme, RandomState } from '../random';
import type { Parameters } from '../tutorial';
import { decodeModel, encodeModel, type OptimizerState, readModelFile } from './file-format';
import { type FitHooks, type FitResult, planFit, runFit } from './fit';
import { fitInWorker, type TrainingState } from './fit-async';
import { type GradientCheckOptions, gradientCheck } from './gradient-check';
import { emptyMetadata, type ModelMetadata, metadataFromJson, metadataToJson, requireMetadata } from './metadata';
import { modelToOnnx, type OnnxExtras, storedExtras } from './onnx';
import {
  activationCodes,
  type FitAsyncOptions,
  type FitOptions,
  type ModelConfig,
  type ModelOptions,
  modelOptionsOf,
  normaliseFitOptions,
  normaliseModelOptions,
  OPTIMIZER_CODES,
  usesDropout,
} from './options';
import { EarlyStopping, gatherColumns, splitValidation } from './validation';

export type { FitResult } from './fit';
export { NonFiniteCostError } from './fit';
export type { TrainingState } from './fit-async';
export type { FitAsyncOptions, FitOptions, ModelConfig, ModelOptions, Progress } from './options';

/** What evaluate() reports: accuracy for classifiers (NaN for regression), r2 and rmse for regression. */
export interface Evaluation {
  cost: number;
  accuracy: number;
  r2?: number;
  rmse?: number;
}

/**
 * Labels: for a sigmoid output a Matrix (n_L, m) of 0/1; for softmax a one-hot Matrix (classes, m), or the class
 * indices as a (1, m) Matrix, an integer typed array or a number[].
 */
export type Labels = Matrix | ArrayLike<number>;

// Examples per forward pass when predicting on more data than the training batch.
const DEFAULT_PREDICT_CAPACITY = 4096;

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
  private readonly nextVelocity: FloatArray | null;
  private readonly nextSquares: FloatArray | null;
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
  private meta: ModelMetadata = emptyMetadata();

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
    // params, nextParams, grads, then the optimiser's state double-buffered like the parameters: velocity and
    // nextVelocity (momentum, Adam), squares and nextSquares (Adam)
    const slots = 3 + (config.optimizer === 'gd' ? 0 : 2) + (config.optimizer === 'adam' ? 2 : 0);
    const arena = allocate(this.dtype, slots * P, `the parameters of ${this.layerDims.join('-')} (${P} values)`);
    const slot = (i: number) => arena.subarray(i * P, (i + 1) * P);
    this.params = slot(0);
    this.nextParams = slot(1);
    this.grads = slot(2);
    this.velocity = config.optimizer === 'gd' ? null : slot(3);
    this.nextVelocity = config.optimizer === 'gd' ? null : slot(4);
    this.squares = config.optimizer === 'adam' ? slot(5) : null;
    this.nextSquares = config.optimizer === 'adam' ? slot(6) : null;
    // np.random.seed(seed), then W_l drawn layer by layer as initializeParametersDeep does; b_l stays 0
    const rng = new RandomState(this.seed);
    const views = this.parameterViews(this.params);
    for (let l = 1; l < this.layerDims.length; l++)
      views[`W${l}`].data.set(drawWeights(rng, this.layerDims[l], this.layerDims[l - 1], this.init));
  }

  /** A model from normalised settings (a model file's header, another model's `config`), with fresh weights. */
  static fromConfig(config: Readonly<ModelConfig>): Model {
    return new Model(modelOptionsOf(config as ModelConfig));
  }

  /** @internal whether training draws dropout masks */
  get usesDropout(): boolean {
    return this.masks !== null || usesDropout(this.config);
  }

  /** @internal the gradients of the last backward pass, in the parameters' layout */
  get gradients(): FloatArray {
    return this.grads;
  }

  /** @internal set while a fitAsync trains this model */
  set training(busy: boolean) {
    this.busy = busy;
  }

  /** 'sigmoid' (binary labels), 'softmax' (classes) or 'linear' (regression) */
  get output(): 'sigmoid' | 'softmax' | 'linear' {
    return this.config.output;
  }

  /**
   * What the model knows of its data: task, classes, feature names, input scaling (applied by fit, predict and
   * evaluate to the raw features given them) and target scaling (regression). Saved with the model.
   */
  get metadata(): Readonly<ModelMetadata> {
    return this.meta;
  }

  /** Sets (part of) the metadata, checked against the model's sizes; fields not given are cleared. */
  setMetadata(metadata: Partial<ModelMetadata>): void {
    this.requireIdle('setMetadata');
    this.meta = requireMetadata(metadata, this.inputSize, this.outputSize, this.output);
  }

  /** @internal the metadata as a model file stores it (null when there is none) */
  metadataForFile(): object | null {
    return Object.values(this.meta).every((v) => v === null) ? null : metadataToJson(this.meta);
  }

  /** @internal X with the model's input scaling applied (X itself when it has none) */
  scaledInputs(X: Matrix): Matrix {
    const scaling = this.meta.inputScaling;
    if (scaling === null || scaling.kind === 'none') return X;
    const out = Matrix.zeros(X.rows, X.cols, X.dtype);
    applyScalingInto(scaling, X.data, out.data, X.cols);
    return out;
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

  /** { W1, b1, ... } as Matrix views of a parameter-shaped buffer, where the native layout puts each. */
  private parameterViews(buffer: FloatArray): Parameters {
    const out: Parameters = {};
    native.networkLayout(this.layerDims, 1).parameters.forEach(({ W, b }, i) => {
      out[`W${i + 1}`] = new Matrix(W.rows, W.cols, buffer.subarray(W.offset, W.offset + W.length));
      out[`b${i + 1}`] = new Matrix(b.rows, b.cols, buffer.subarray(b.offset, b.offset + b.length));
    });
    return out;
  }

  /** @internal throws when a fitAsync is training this model */
  requireIdle(what: string): void {
    if (this.busy) throw new Error(`${what}: the model is training (fitAsync); wait for it to finish or abort it`);
  }

  /** @internal the network bound to buffers for at least `columns` examples per pass (reallocated only to grow) */
  networkFor(columns: number): InstanceType<typeof native.Network> {
    if (this.network === null || columns > this.capacity) {
      if (this.network !== null) this.adamStep = this.network.step;
      this.capacity = Math.max(columns, this.capacity);
      const dropout = usesDropout(this.config);
      const layout = native.networkLayout(this.layerDims, this.capacity);
      const workspaceLength = layout.workspaceLength;
      const maskLength = dropout ? layout.maskLength : 0;
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
        nextVelocity: this.nextVelocity,
        nextSquares: this.nextSquares,
      });
      this.network.step = this.adamStep;
    }
    return this.network;
  }

  private checkInputs(X: Matrix): void {
    requireMatrix(X, 'X');
    if (X.dtype !== this.dtype)
      throw new TypeError(`X is ${X.dtype} but the model is ${this.dtype}; convert with X.astype('${this.dtype}')`);
    // one example per column: a matrix of examples as rows has its sizes the other way round
    const swapped =
      X.rows !== this.inputSize && X.cols === this.inputSize
        ? `; it looks transposed (one example per row): use X.transpose() or Matrix.fromExamples(rows)`
        : '';
    requireShape(
      X,
      'X',
      this.inputSize,
      X.cols,
      `(the model takes ${this.inputSize} features per example, one column each)${swapped}`,
    );
  }

  /** The label matrix (n_L, m) the network trains on: Y itself when it already is one, else one-hot of class indices. */
  /** @internal */
  targets(X: Matrix, Y: Labels): Matrix {
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
    if (this.output === 'linear') return this.regressionTargets(Y, m);
    // one sigmoid output: 0/1 labels may come as a plain array or typed array, one per example
    const plain =
      !(Y instanceof Matrix) &&
      ((Array.isArray(Y) && Y.every((v) => typeof v === 'number')) ||
        (ArrayBuffer.isView(Y) && !(Y instanceof DataView)));
    if (plain && classes === 1) {
      const list = Y as ArrayLike<number>;
      if (list.length !== m) throw new RangeError(`Y has ${list.length} labels, expected one per example of X (${m})`);
      const column = Matrix.zeros(1, m, this.dtype);
      for (let j = 0; j < m; j++) column.data[j] = list[j];
      Y = column;
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

  /** Regression targets (n_L, m), finite, standardised by the target scaling when the model has one. */
  private regressionTargets(Y: Labels, m: number): Matrix {
    const nL = this.outputSize;
    let values: ArrayLike<number>;
    if (Y instanceof Matrix) {
      requireMatrix(Y, 'Y');
      requireShape(Y, 'Y', nL, m, '(one column of targets per example of X)');
      values = Y.data;
    } else if (nL === 1 && (Array.isArray(Y) || (ArrayBuffer.isView(Y) && !(Y instanceof DataView)))) {
      if (Y.length !== m) throw new RangeError(`Y has ${Y.length} targets, expected one per example of X (${m})`);
      values = Y;
    } else throw new TypeError(`Y must be a Matrix (${nL}, m) of targets, got ${describe(Y)}`);
    const out = Matrix.zeros(nL, m, this.dtype);
    const t = this.meta.targetScaling;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (typeof v !== 'number' || !Number.isFinite(v))
        throw new RangeError(`Y must hold finite numbers; Y[${i % nL}][${Math.floor(i / nL)}] is ${describe(v)}`);
      out.data[i] = t === null ? v : (v - t.offset) / t.scale;
    }
    return out;
  }

  /**
   * Trains with gradient descent. Full batch (no batchSize): `iterations` steps on all of X, the tutorial's
   * loop. Mini-batch: `epochs` passes in batches of batchSize (the last may be smaller), reshuffled each
   * epoch unless shuffle is false. Batches are column views; a step allocates nothing.
   */
  fit(X: Matrix, Y: Labels, options: FitOptions = {}): FitResult {
    return this.fitWith(X, Y, options, {});
  }

  /** @internal fit() with hooks (the worker behind fitAsync asks it to stop through them). */
  fitWith(X: Matrix, Y: Labels, options: FitOptions, hooks: FitHooks): FitResult {
    this.requireIdle('fit');
    const settings = normaliseFitOptions(options, this.config);
    const targets = this.targets(X, Y);
    if (settings.checkpoint?.resume && settings.earlyStopping)
      // a checkpoint records the run, not early stopping's state (the best cost so far, the epochs waited): a
      // resumed run could stop at another epoch than the run it continues
      throw Object.assign(
        new TypeError('options.checkpoint: resume with earlyStopping is not supported yet; pass earlyStopping: false'),
        { option: 'checkpoint', subject: 'options.checkpoint' },
      );
    if (settings.validationSplit === undefined) {
      const plan = planFit(settings, X.cols);
      // earlyStopping without validation data: stop when the training cost has not improved by 1e-4 for `patience`
      // recorded costs (scikit-learn's MLP rule); the last parameters are kept
      const plateau = settings.earlyStopping ? new EarlyStopping(settings.patience, 1e-4, null) : null;
      const watch = plateau
        ? { ...hooks, afterEpoch: (epoch: number, cost: number) => ({ stop: plateau.update(epoch, cost, null) }) }
        : hooks;
      return this.whileTraining(() => runFit(this, this.scaledInputs(X), targets, plan, watch));
    }
    // Hold out a seeded, stratified validation set; watch its cost after every recorded cost.
    const split = splitValidation(X.cols, settings.validationSplit, settings.seed, this.classIndices(targets));
    const trainX = gatherColumns(X, split.train),
      trainY = gatherColumns(targets, split.train);
    const validX = gatherColumns(X, split.validation),
      validY = gatherColumns(targets, split.validation);
    const plan = planFit(settings, trainX.cols);
    const stopping = settings.earlyStopping ? new EarlyStopping(settings.patience, 0, this.currentParameters()) : null;
    const afterEpoch = (epoch: number) => {
      const { cost, accuracy, r2 } = this.evaluateTargets(validX, validY);
      const stop = stopping?.update(epoch, cost, this.currentParameters()) ?? false;
      return { validation: { cost, metric: r2 ?? accuracy }, stop };
    };
    const result = this.whileTraining(() =>
      runFit(this, this.scaledInputs(trainX), trainY, plan, { ...hooks, afterEpoch }),
    );
    if (stopping !== null && stopping.bestEpoch >= 0) {
      this.params.set(stopping.bestParameters as FloatArray);
      result.bestEpoch = stopping.bestEpoch;
    }
    return result;
  }

  private whileTraining<T>(run: () => T): T {
    this.busy = true;
    try {
      return run();
    } finally {
      this.busy = false;
    }
  }

  /** The class of each example of a label matrix (for stratified splits); undefined for regression. */
  private classIndices(targets: Matrix): Uint32Array | undefined {
    if (this.output === 'linear') return undefined;
    const nL = targets.rows,
      out = new Uint32Array(targets.cols);
    for (let j = 0; j < targets.cols; j++) out[j] = nL === 1 ? targets.data[j] : argmax(targets.data, j * nL, nL);
    return out;
  }

  /** Forward passes over X in chunks of the workspace's capacity; calls visit(chunkStart, chunkColumns, AL view, network). */
  private forEachChunk(
    X: Matrix,
    visit: (start: number, columns: number, output: FloatArray, network: InstanceType<typeof native.Network>) => void,
  ): void {
    const network = this.networkFor(this.capacity > 0 ? this.capacity : Math.min(X.cols, DEFAULT_PREDICT_CAPACITY));
    const n0 = this.inputSize,
      nL = this.outputSize;
    const outputOffset = network.layout.output.offset;
    const workspace = this.workspace as FloatArray;
    const scaling = this.meta.inputScaling;
    // raw features are scaled a chunk at a time into one buffer, so predicting on big data copies little
    const scaled =
      scaling && scaling.kind !== 'none' ? allocate(this.dtype, n0 * Math.min(this.capacity, X.cols)) : null;
    for (let start = 0; start < X.cols; start += this.capacity) {
      const columns = Math.min(this.capacity, X.cols - start);
      let chunk = X.data.subarray(start * n0, (start + columns) * n0);
      if (scaled !== null && scaling !== null) {
        applyScalingInto(scaling, chunk, scaled, columns);
        chunk = scaled.subarray(0, columns * n0);
      }
      network.forward(chunk, columns, false);
      visit(start, columns, workspace.subarray(outputOffset, outputOffset + nL * columns), network);
    }
  }

  /** Refuses NaN and infinite inputs: their outputs are NaN, which no threshold or argmax should turn into a class. */
  private requireFiniteInputs(X: Matrix): void {
    const x = X.data;
    for (let i = 0; i < x.length; i++)
      if (!Number.isFinite(x[i]))
        throw new RangeError(
          `X must hold finite numbers; X[${i % X.rows}][${Math.floor(i / X.rows)}] is ${x[i]} (feature ${(i % X.rows) + 1} of example ${Math.floor(i / X.rows) + 1})`,
        );
  }

  /** Probabilities AL (n_L, m): the network's sigmoid or softmax outputs for X (n_x, m), dropout off. */
  predictProba(X: Matrix): Matrix {
    if (this.output === 'linear')
      throw new TypeError('predictProba: a regression model (linear output) has no probabilities; use predict');
    this.requireIdle('predictProba');
    return this.outputs(X);
  }

  /** The output layer's values for X, in the targets' units for regression (callers check the model is idle). */
  private outputs(X: Matrix): Matrix {
    this.checkInputs(X);
    this.requireFiniteInputs(X);
    const out = Matrix.zeros(this.outputSize, X.cols, this.dtype);
    this.forEachChunk(X, (start, _columns, output) => out.data.set(output, start * this.outputSize));
    const t = this.meta.targetScaling;
    if (t !== null) for (let i = 0; i < out.data.length; i++) out.data[i] = out.data[i] * t.scale + t.offset;
    return out;
  }

  /**
   * Predictions: for a sigmoid output (n_L, m) of 0 or 1, 1 where the probability exceeds 0.5 (the tutorial's
   * predict); for softmax (1, m) class indices, the most probable class of each example.
   */
  predict(X: Matrix): Matrix {
    if (this.output === 'linear') {
      this.requireIdle('predict');
      return this.outputs(X);
    }
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

  /**
   * The cost (cross-entropy from the logits, or half the mean squared error, without the L2 term) and the accuracy
   * on X, Y (labels as fit takes them). For regression, accuracy is NaN and r2 and rmse come in the targets' units.
   */
  evaluate(X: Matrix, Y: Labels): Evaluation {
    this.requireIdle('evaluate');
    return this.evaluateTargets(X, this.targets(X, Y));
  }

  /** evaluate() on a label matrix as targets() makes it (also used for validation while training). */
  private evaluateTargets(X: Matrix, targets: Matrix): Evaluation {
    this.requireFiniteInputs(X);
    if (this.output === 'linear') return this.evaluateRegression(X, targets);
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

  /** R² and RMSE of the predictions against (standardised) targets, reported in the targets' own units. */
  private evaluateRegression(X: Matrix, targets: Matrix): Evaluation {
    const predicted = this.outputs(X).data;
    const t = this.meta.targetScaling ?? { offset: 0, scale: 1 };
    const y = targets.data;
    let mean = 0;
    for (let i = 0; i < y.length; i++) mean += y[i] * t.scale + t.offset;
    mean /= y.length;
    let residual = 0,
      total = 0;
    for (let i = 0; i < y.length; i++) {
      const actual = y[i] * t.scale + t.offset;
      residual += (predicted[i] - actual) ** 2;
      total += (actual - mean) ** 2;
    }
    const mse = residual / y.length;
    return {
      cost: mse / 2,
      accuracy: Number.NaN,
      r2: total > 0 ? 1 - residual / total : Number.NaN,
      rmse: Math.sqrt(mse),
    };
  }

  /**
   * The model as an ONNX graph (float32, a free batch dimension): its input scaling, every layer and the output
   * activation as standard operators, its metadata as metadata_props. Runs in onnxruntime in any language.
   */
  toOnnx(extras: OnnxExtras = {}): Uint8Array {
    this.requireIdle('toOnnx');
    return modelToOnnx(this, { ...storedExtras(this), ...extras });
  }

  /**
   * Gradient checking, as the course defines it: ||grad - gradapprox|| / (||grad|| + ||gradapprox||), where
   * gradapprox comes from centred differences (J(θ + ε) - J(θ - ε)) / 2ε of the training cost (with the L2 term,
   * dropout off) and grad from backpropagation. Runs on a float64 copy of the model; `maxParameters` checks an
   * evenly spaced subset of a large model's parameters. Below about 1e-7 means the gradients are right.
   */
  gradientCheck(X: Matrix, Y: Labels, options: GradientCheckOptions = {}): { difference: number; checked: number } {
    return gradientCheck(this, X, Y, options);
  }

  /**
   * fit() in a worker thread: the event loop stays free while it trains. Progress events arrive through
   * onProgress; on completion the trained parameters are copied into this model.
   */
  fitAsync(X: Matrix, Y: Labels, options: FitAsyncOptions = {}): Promise<FitResult> {
    try {
      this.requireIdle('fitAsync');
      return fitInWorker(this, this.scaledInputs(X), this.targets(X, Y), options);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Writes the model to `file` (the format in file-format.ts), atomically: a temporary file, then a rename. The
   * file holds the parameters and the optimiser's state, so fit() after load() continues as if never saved.
   * `inputs`: files the caller read (data, another model) that must not be overwritten; naming one is an error.
   */
  save(file: string, options: { inputs?: readonly string[] } = {}): void {
    this.requireIdle('save');
    if (typeof file !== 'string' || file.length === 0)
      throw new TypeError(`file must be a non-empty path string, got ${describe(file)}`);
    if (typeof options !== 'object' || options === null)
      throw new TypeError(`options must be an object { inputs }, got ${describe(options)}`);
    const inputs = options.inputs ?? [];
    if (!Array.isArray(inputs) || !inputs.every((input) => typeof input === 'string'))
      throw new TypeError(`options.inputs must be a list of path strings, got ${describe(inputs)}`);
    writeFileAtomic(file, encodeModel(this.config, this.params, this.optimizerState(), null, this.metadataForFile()), {
      what: 'model file',
      inputs,
    });
  }

  /**
   * Reads a model written by save() (or a checkpoint); a missing, truncated, corrupt or foreign file gets an Error
   * naming it and the problem. A version 1 file has no optimiser state: its optimiser starts afresh.
   */
  static load(file: string): Model {
    if (typeof file !== 'string' || file.length === 0)
      throw new TypeError(`file must be a non-empty path string, got ${describe(file)}`);
    const { config, params, optimizer, metadata } = decodeModel(readModelFile(file), file);
    const model = Model.fromConfig(config);
    model.meta = metadataFromJson(metadata, model.inputSize, model.outputSize, model.output, file);
    model.importState({
      params,
      velocity: optimizer?.velocity ?? null,
      squares: optimizer?.squares ?? null,
      adamStep: optimizer?.step ?? 0,
    });
    return model;
  }

  /**
   * Frees the native network and its workspace now, rather than when the garbage collector gets to them (a loop
   * that builds many models would otherwise hold every workspace until the event loop turns). The model stays
   * usable: its parameters and optimiser state are kept, and the next fit or predict binds a new network.
   */
  dispose(): void {
    this.requireIdle('dispose');
    if (this.network !== null) this.adamStep = this.network.step;
    const scratch = this.workspace?.buffer;
    this.network = null;
    this.workspace = null;
    this.masks = null;
    this.capacity = 0;
    // Transferring the buffer detaches it: its memory goes with the transferred copy, which nothing holds, and
    // the old network's reference now points at an empty buffer.
    if (scratch instanceof ArrayBuffer && scratch.byteLength > 0) structuredClone(scratch, { transfer: [scratch] });
  }

  /** @internal the buffer holding the current parameters during a fit (params or nextParams), without a copy */
  currentParameters(): FloatArray {
    return this.network?.current === 1 ? this.nextParams : this.params;
  }

  /** @internal the optimiser's state: views of the model's buffers (null when the optimiser keeps none), during a fit
   * the ones that go with currentParameters() */
  optimizerState(): OptimizerState {
    const next = this.network?.current === 1;
    return {
      velocity: next ? this.nextVelocity : this.velocity,
      squares: next ? this.nextSquares : this.squares,
      step: this.network !== null ? this.network.step : this.adamStep,
    };
  }

  /** A new model with the same settings and a copy of the parameters (and optimiser state). */
  clone(): Model {
    const copy = Model.fromConfig(this.config);
    copy.importState(this.exportState());
    copy.meta = this.meta;
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
    // a state without optimiser arrays (a version 1 file) starts the optimiser afresh
    if (this.velocity !== null) state.velocity ? this.velocity.set(state.velocity) : this.velocity.fill(0);
    if (this.squares !== null) state.squares ? this.squares.set(state.squares) : this.squares.fill(0);
    this.adamStep = state.adamStep;
    if (this.network !== null) this.network.step = state.adamStep;
  }
}

function argmax(values: FloatArray, offset: number, count: number): number {
  let best = 0;
  for (let k = 1; k < count; k++) if (values[offset + k] > values[offset + best]) best = k;
  return best;
}
