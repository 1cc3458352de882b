// One trial of a sweep: a model built from the trial's options, trained on the sweep's training columns in
// segments (one epoch each with mini-batches; runs of steps with the full batch), then scored on the validation
// columns. Between segments the trial can be checkpointed (the parameters, the optimiser state and how far it
// got) and later resumed from that checkpoint in any process: the segments chain exactly as one uninterrupted fit
// (the shuffle seed of epoch e is seed + e + 1 either way, the decayed learning rate is computed as fit computes
// it, and the optimiser state carries over), so a resumed trial ends with the same metrics, bit for bit.
import { describe } from '../checks';
import type { FloatArray } from '../matrix';
import { planFit } from '../model/fit';
import { Model, NonFiniteCostError, type TrainingState } from '../model/model';
import { type FitOptions, type ModelOptions, normaliseFitOptions } from '../model/options';
import type { SweepData } from './data';

/** What a trial trains: plain data (a job in Redis is exactly this, checked by validateTrialJob). */
export interface TrialJob {
  /** the sweep this trial belongs to */
  sweep: string;
  /** its position in the sweep's grid order, from 0 */
  index: number;
  /** sha256 of the sweep's data bytes (data.ts) */
  data: string;
  /** model options with layerDims, output and seed set */
  model: ModelOptions;
  /** fit options (learningRate, decayRate, decayEvery, iterations, epochs, batchSize, shuffle, seed) */
  fit: FitOptions;
  /** OpenBLAS threads while this trial trains */
  threads: number;
}

/** Classifiers are scored by validation accuracy, regressors (a linear output) by validation R² (targets' units). */
export type TrialMetrics =
  | { validationAccuracy: number; validationCost: number }
  | { validationR2: number; validationCost: number };

/** What trials are ranked by (higher is better): validation R² for regressors, accuracy for classifiers. */
export function trialScore(metrics: TrialMetrics): number {
  const score = 'validationR2' in metrics ? metrics.validationR2 : metrics.validationAccuracy;
  // an undefined R² (constant validation targets) ranks last rather than poisoning the sort
  return Number.isNaN(score) ? -Infinity : score;
}

/** The trial's score as one phrase for logs and tables. */
export function describeScore(metrics: TrialMetrics): string {
  return 'validationR2' in metrics
    ? `validation R² ${metrics.validationR2.toFixed(6)}`
    : `validation accuracy ${(metrics.validationAccuracy * 100).toFixed(2)}%`;
}

/** How far a trial got: `done` segments' worth of epochs (mini-batch) or steps (full batch), and their costs. */
export interface TrialCheckpoint {
  done: number;
  costs: number[];
  state: TrainingState;
}

export interface TrialProgress {
  index: number;
  done: number;
  total: number;
  unit: 'epoch' | 'step';
  cost: number;
}

export type TrialOutcome =
  | {
      status: 'done';
      model: Model;
      metrics: TrialMetrics;
      /** the training cost of the last epoch (or the last recorded step) */
      trainCost: number;
      costs: number[];
      total: number;
      unit: 'epoch' | 'step';
      /** where training started: 0, or the checkpoint's `done` */
      resumedFrom: number;
    }
  | { status: 'stopped'; checkpoint: TrialCheckpoint; resumedFrom: number };

export interface TrialHooks {
  resumeFrom?: TrialCheckpoint;
  /** after every segment but the last */
  onCheckpoint?: (checkpoint: TrialCheckpoint) => void;
  onProgress?: (progress: TrialProgress) => void;
  /** asked between segments: true stops the trial, which then returns its last checkpoint */
  shouldStop?: () => boolean;
  /** refuse a trial of more training steps (batches) than this */
  maxSteps?: number;
}

// Full-batch trials are checkpointed about this many times.
const FULL_BATCH_SEGMENTS = 10;

/** The trial's training, cut into segments whose fits chain exactly as one fit with the trial's options would. */
export function trainingSegments(
  fit: FitOptions,
  model: Model,
  m: number,
): {
  unit: 'epoch' | 'step';
  total: number;
  steps: number;
  segment: (start: number) => { length: number; options: FitOptions };
} {
  const settings = normaliseFitOptions(fit, model.config);
  const plan = planFit(settings, m);
  // fit's own schedule (lib/model/fit.ts): learningRate / (1 + decayRate · floor(t / decayEvery))
  const rateAt = (t: number) =>
    plan.decayRate === 0
      ? plan.learningRate
      : plan.learningRate / (1 + plan.decayRate * Math.floor(t / plan.decayEvery));
  const { iterations: _i, epochs: _e, onProgress: _p, progressEvery: _pe, ...common } = fit;
  if (plan.miniBatch)
    return {
      unit: 'epoch',
      total: plan.epochs,
      steps: plan.iterations,
      // epoch e of one fit shuffles with seed + e + 1; a one-epoch fit with seed s shuffles with s + 1
      segment: (e) => ({
        length: 1,
        options: {
          ...common,
          epochs: 1,
          seed: (settings.seed + e) % 0x100000000,
          learningRate: rateAt(e),
          decayRate: 0,
        },
      }),
    };
  const chunk = Math.max(1, Math.ceil(plan.iterations / FULL_BATCH_SEGMENTS));
  return {
    unit: 'step',
    total: plan.iterations,
    steps: plan.iterations,
    segment: (start) => {
      let end = Math.min(plan.iterations, start + chunk);
      // the learning rate is constant within a segment: cut where the decay schedule steps
      if (plan.decayRate > 0) end = Math.min(end, (Math.floor(start / plan.decayEvery) + 1) * plan.decayEvery);
      return {
        length: end - start,
        options: {
          ...common,
          iterations: end - start,
          learningRate: rateAt(start),
          decayRate: 0,
          costEvery: end - start,
        },
      };
    },
  };
}

function copyState(state: TrainingState): TrainingState {
  return {
    params: state.params.slice(),
    velocity: state.velocity?.slice() ?? null,
    squares: state.squares?.slice() ?? null,
    adamStep: state.adamStep,
  };
}

/** Checks that a checkpoint (perhaps from Redis) fits this model before its state goes in. */
function requireCheckpointFits(checkpoint: TrialCheckpoint, model: Model, total: number): void {
  const { done, state } = checkpoint;
  if (!Number.isInteger(done) || done < 0 || done > total)
    throw new RangeError(`checkpoint: done must be an integer from 0 to ${total}, got ${describe(done)}`);
  const expect = (array: FloatArray | null, name: string, wanted: boolean) => {
    if (!wanted) return;
    if (array === null || array.length !== model.parameterCount || !(array instanceof model.flatParameters.constructor))
      throw new RangeError(`checkpoint: ${name} must be ${model.parameterCount} ${model.dtype} values`);
  };
  expect(state.params, 'params', true);
  expect(state.velocity, 'velocity', model.config.optimizer !== 'gd');
  expect(state.squares, 'squares', model.config.optimizer === 'adam');
  if (!Number.isInteger(state.adamStep) || state.adamStep < 0)
    throw new RangeError(`checkpoint: adamStep must be a non-negative integer, got ${describe(state.adamStep)}`);
}

/** Trains and scores one trial (synchronously: run it off the main thread, in the pool). */
export function runTrial(job: TrialJob, data: SweepData, hooks: TrialHooks = {}): TrialOutcome {
  const model = new Model(job.model);
  if (model.output === 'linear') {
    if (data.targetScaling === undefined) throw new RangeError('a linear output needs regression data (targets)');
    // fit standardises the targets with it; predictions and the saved model come back in the targets' units
    model.setMetadata({ task: 'regression', targetScaling: data.targetScaling });
  } else if (data.output === 'linear') throw new RangeError(`a ${model.output} output cannot train on regression data`);
  const m = data.trainX.cols;
  const { unit, total, steps, segment } = trainingSegments(job.fit, model, m);
  if (hooks.maxSteps !== undefined && steps > hooks.maxSteps)
    throw new RangeError(`the trial trains ${steps} steps, more than the limit of ${hooks.maxSteps}`);
  let done = 0;
  let costs: number[] = [];
  if (hooks.resumeFrom !== undefined) {
    requireCheckpointFits(hooks.resumeFrom, model, total);
    model.importState(hooks.resumeFrom.state);
    done = hooks.resumeFrom.done;
    costs = [...hooks.resumeFrom.costs];
  }
  const resumedFrom = done;
  while (done < total) {
    if (done > resumedFrom && hooks.shouldStop?.())
      return { status: 'stopped', checkpoint: { done, costs, state: copyState(model.exportState()) }, resumedFrom };
    const { length, options } = segment(done);
    const result = model.fit(data.trainX, data.trainY, options);
    done += length;
    const cost = result.costs[result.costs.length - 1];
    costs.push(cost);
    hooks.onProgress?.({ index: job.index, done, total, unit, cost });
    if (done < total) hooks.onCheckpoint?.({ done, costs: [...costs], state: model.exportState() });
  }
  const { cost, accuracy, r2 } = model.evaluate(data.validationX, data.validationY);
  return {
    status: 'done',
    model,
    metrics:
      model.output === 'linear'
        ? { validationR2: r2 as number, validationCost: cost }
        : { validationAccuracy: accuracy, validationCost: cost },
    trainCost: costs[costs.length - 1],
    costs,
    total,
    unit,
    resumedFrom,
  };
}

export { NonFiniteCostError };
