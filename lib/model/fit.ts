// Training: a pure plan (fit options and the data's size to the steps to run) and the loops that run it. Full batch
// sends runs of steps to the native network in one call; mini-batches are column views of the data, or, shuffled,
// gathered one batch at a time into a buffer of one batch (the batch is then in cache when the step reads it, and a
// fit never copies the whole data set), so a step allocates nothing.
import fs from 'node:fs';
import type { Matrix } from '../matrix';
import { allocate, type FloatArray } from '../matrix';
import native from '../native';
import { RandomState } from '../random';
import { type CheckpointProgress, checkpointRun, resumeFrom, writeCheckpoint } from './checkpoint';
import type { Model } from './model';
import type { FitSettings, Progress } from './options';

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
  /** with validationSplit: the validation cost and metric (accuracy, or r2 for regression) at each recorded cost */
  validationCosts?: number[];
  validationMetrics?: number[];
  /** with early stopping: the epoch (full batch: iteration) whose parameters the model keeps, and whether it stopped */
  bestEpoch?: number;
  stoppedEarly?: boolean;
}

/**
 * Thrown when a step's cost is NaN or infinite. `iteration` is the step whose cost (of the parameters it started
 * from) was not finite; the model keeps the parameters of iteration - 1, the last whose cost was finite.
 */
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

/** How the worker behind fitAsync asks a running fit to stop after its current step. */
export interface FitHooks {
  shouldStop?: () => boolean;
  /** after each recorded cost (an epoch, or costEvery full-batch steps, with that cost): validation figures, if
   * any, and whether to stop */
  afterEpoch?: (epoch: number, cost: number) => { validation?: { cost: number; metric: number }; stop: boolean };
}

// Full-batch steps run in one native call at most (between them fit() checks for an abort).
const MAX_STEPS_PER_CALL = 256;
const DEFAULT_ITERATIONS = 3000;
const DEFAULT_EPOCHS = 10;

/** The one rule for mini-batch training: a batch size smaller than the number of examples. */
export function usesMiniBatches(batchSize: number | undefined, examples: number): boolean {
  return batchSize !== undefined && batchSize < examples;
}

export interface FitPlan {
  m: number;
  learningRate: number;
  decayRate: number;
  decayEvery: number;
  miniBatch: boolean;
  batchSize: number;
  epochs: number;
  batchesPerEpoch: number;
  iterations: number;
  costEvery: number;
  shuffle: boolean;
  seed: number;
  onProgress?: (progress: Progress) => void;
  progressEvery: number;
  checkpoint?: FitSettings['checkpoint'];
}

/** The steps a fit of m examples runs with these (checked) settings. */
export function planFit(settings: FitSettings, m: number): FitPlan {
  const miniBatch = usesMiniBatches(settings.batchSize, m);
  if (!miniBatch && settings.epochs !== undefined && settings.iterations !== undefined)
    throw new TypeError('options: give iterations or epochs for full-batch training, not both');
  if (miniBatch && settings.iterations !== undefined)
    throw new TypeError('options.iterations is for full-batch training; with batchSize give epochs');
  const batchSize = miniBatch ? (settings.batchSize as number) : m;
  const epochs = miniBatch ? (settings.epochs ?? DEFAULT_EPOCHS) : 1;
  const batchesPerEpoch = Math.ceil(m / batchSize);
  const iterations = miniBatch
    ? epochs * batchesPerEpoch
    : (settings.iterations ?? settings.epochs ?? DEFAULT_ITERATIONS);
  return {
    m,
    learningRate: settings.learningRate,
    decayRate: settings.decayRate,
    decayEvery: settings.decayEvery,
    miniBatch,
    batchSize,
    epochs,
    batchesPerEpoch,
    iterations,
    costEvery: settings.costEvery,
    shuffle: miniBatch && (settings.shuffle ?? true),
    seed: settings.seed,
    onProgress: settings.onProgress,
    progressEvery: settings.progressEvery ?? 0,
    checkpoint: settings.checkpoint,
  };
}

export function runFit(model: Model, X: Matrix, Y: Matrix, plan: FitPlan, hooks: FitHooks = {}): FitResult {
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
    checkpoint,
  } = plan;
  const { dtype, inputSize: n0, outputSize: nL } = model;
  const network = model.networkFor(batchSize);
  // the course's schedule_lr_decay: learningRate / (1 + decayRate · floor(t / decayEvery))
  const rateAt = (t: number) =>
    decayRate === 0 ? learningRate : learningRate / (1 + decayRate * Math.floor(t / decayEvery));
  // Everything a step touches is set up here, before the loop: the batch buffers and the views into them.
  const order = shuffle ? new Uint32Array(m) : null;
  const shuffler = shuffle ? new RandomState(seed) : null;
  const bufferX = shuffle ? allocate(dtype, Math.min(batchSize, m) * n0) : null;
  const bufferY = shuffle ? allocate(dtype, Math.min(batchSize, m) * nL) : null;
  const stepCosts = new Float64Array(miniBatch ? 1 : MAX_STEPS_PER_CALL);
  const batchX: FloatArray[] = [],
    batchY: FloatArray[] = [],
    batchM: number[] = [],
    batchOrder: Uint32Array[] = [];
  for (let start = 0; start < m; start += batchSize) {
    const end = Math.min(m, start + batchSize);
    batchX.push(bufferX ? bufferX.subarray(0, (end - start) * n0) : X.data.subarray(start * n0, end * n0));
    batchY.push(bufferY ? bufferY.subarray(0, (end - start) * nL) : Y.data.subarray(start * nL, end * nL));
    batchM.push(end - start);
    if (order !== null) batchOrder.push(order.subarray(start, end));
  }
  const run = checkpoint !== undefined ? checkpointRun(plan, X, Y) : null;
  const resumed: CheckpointProgress | null =
    checkpoint?.resume && fs.existsSync(checkpoint.path) ? resumeFrom(checkpoint.path, model, run!) : null;
  if (model.usesDropout) {
    network.reseedDropout(seed);
    // A resumed run draws the masks of the steps already done again (forward passes, no updates), so the masks'
    // stream continues where the interrupted run left it.
    if (resumed !== null && miniBatch)
      for (let e = 0; e < resumed.epochs; e++)
        for (const columns of batchM) network.forward(X.data.subarray(0, columns * n0), columns, true);
    else if (resumed !== null) for (let i = 0; i < resumed.iterations; i++) network.forward(X.data, m, true);
  }
  const result: FitResult = {
    costs: resumed ? [...resumed.costs] : [],
    costAt: resumed ? [...resumed.costAt] : [],
    iterations: resumed?.iterations ?? 0,
    epochs: resumed?.epochs ?? 0,
    elapsedMs: 0,
    examplesPerSecond: 0,
    aborted: false,
  };
  const started = performance.now() - (resumed?.elapsedMs ?? 0);
  let examples = resumed?.examples ?? 0,
    lastCost = NaN;
  let validated: { cost: number; metric: number } | null = null;
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
        ...(validated === null ? {} : { validationCost: validated.cost, validationMetric: validated.metric }),
      });
    validated = null;
  };
  const save = () => {
    if (checkpoint === undefined) return;
    const done = {
      iterations: result.iterations,
      epochs: result.epochs,
      examples,
      costs: result.costs,
      costAt: result.costAt,
      elapsedMs: performance.now() - started,
    };
    writeCheckpoint(checkpoint.path, model, { run: run!, done });
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

  // Validation figures after a recorded cost (they ride on its progress report); true asks the loop to stop.
  const validate = (at: number, cost: number): boolean => {
    if (hooks.afterEpoch === undefined) return false;
    const { validation, stop } = hooks.afterEpoch(at, cost);
    if (validation !== undefined) {
      validated = validation;
      result.validationCosts = [...(result.validationCosts ?? []), validation.cost];
      result.validationMetrics = [...(result.validationMetrics ?? []), validation.metric];
    }
    if (stop) result.stoppedEarly = true;
    return stop;
  };

  try {
    if (!miniBatch) {
      // Full batch: the batch never changes, so runs of steps go to the network in one call (trainSteps), cut
      // wherever JavaScript has something to do: a cost to record, a progress report, a checkpoint, a learning-rate
      // change, and at least every MAX_STEPS_PER_CALL steps so that an abort is seen promptly. A non-finite cost
      // inside a run returns the network to the last parameters (and optimiser state) whose cost was finite.
      const checkpointDue = (i: number) => checkpoint !== undefined && (i + 1) % checkpoint.every === 0;
      const events = (i: number) =>
        i % costEvery === 0 ||
        i === iterations - 1 ||
        (progressEvery > 0 && (i + 1) % progressEvery === 0) ||
        checkpointDue(i);
      let i = result.iterations;
      while (i < iterations) {
        if (hooks.shouldStop?.()) {
          result.aborted = true;
          break;
        }
        let last = i;
        const rate = rateAt(i);
        while (!events(last) && last + 1 < iterations && last - i + 1 < MAX_STEPS_PER_CALL && rateAt(last + 1) === rate)
          last++;
        const count = last - i + 1;
        const completed = network.trainSteps(batchX[0], batchY[0], m, rate, count, stepCosts);
        examples += completed * m;
        result.iterations = i + completed;
        if (completed < count) throw diverged(i + completed, 0, stepCosts[completed]);
        lastCost = stepCosts[count - 1];
        result.epochs = 1;
        const recorded = last % costEvery === 0 || last === iterations - 1;
        let stop = false;
        if (recorded) {
          result.costs.push(lastCost);
          result.costAt.push(last);
          stop = validate(last, lastCost);
        }
        if (checkpointDue(last) || last === iterations - 1) save(); // before the report, which may throw
        if (recorded || (progressEvery > 0 && (last + 1) % progressEvery === 0)) report(last + 1, 0);
        i = last + 1;
        if (stop) break;
      }
      result.epochs = result.iterations > 0 ? 1 : 0;
      return finish();
    }

    let step = result.iterations;
    for (let epoch = result.epochs; epoch < epochs && !result.aborted; epoch++) {
      if (order !== null) {
        // np.random.seed(seed + epoch + 1); permutation = np.random.permutation(m), as the course's model()
        for (let i = 0; i < m; i++) order[i] = i;
        shuffler!.reseed((seed + epoch + 1) % 0x100000000).shuffle(order);
      }
      let epochCost = 0;
      const rate = rateAt(epoch);
      for (let b = 0; b < batchesPerEpoch; b++) {
        if (hooks.shouldStop?.()) {
          result.aborted = true;
          break;
        }
        if (order !== null) {
          native.gatherColumns(batchX[b], X.data, n0, batchOrder[b]);
          native.gatherColumns(batchY[b], Y.data, nL, batchOrder[b]);
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
      const stop = validate(epoch, epochCost / m);
      if (checkpoint !== undefined && ((epoch + 1) % checkpoint.every === 0 || epoch === epochs - 1)) save();
      report(step, epoch, epochCost / m);
      if (stop) break;
    }
    return finish();
  } catch (error) {
    if (!(error instanceof NonFiniteCostError)) network.syncParameters();
    throw error;
  }
}
