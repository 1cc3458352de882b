// One trial of a sweep: a model built from the trial's options, trained on the sweep's training columns with ONE fit
// (so a trial with dropout draws its masks from one stream, as `dnn-native train` with the same flags does), then
// scored on the validation columns. At the end of every epoch (full batch: every tenth of the steps) the trial can
// be checkpointed: the checkpoint is the bytes fit's own checkpoint file would hold (lib/model/checkpoint.ts: the
// parameters, the optimiser state and the run's progress), built in memory, so nothing is written to disk while
// training. A trial resumes from those bytes in any process through fit's own resume, which replays the dropout
// masks' stream, so a resumed trial ends with the same metrics, bit for bit.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkpointRun } from '../model/checkpoint';
import { decodeModel, encodeModel } from '../model/file-format';
import { planFit } from '../model/fit';
import { Model, NonFiniteCostError } from '../model/model';
import { type FitOptions, type ModelOptions, normaliseFitOptions, type Progress } from '../model/options';
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

/** A checkpoint: how far the trial got (epochs, or steps with the full batch) and fit's checkpoint file bytes. */
export interface TrialCheckpoint {
  done: number;
  bytes: Uint8Array;
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
  /** a checkpoint's bytes (from onCheckpoint or a stopped trial, perhaps through Redis) */
  resumeFrom?: Uint8Array;
  /** asked at every checkpoint but the last whether it wants one (building one copies the parameters) */
  wantsCheckpoint?: () => boolean;
  /** at every checkpoint (epoch end, or a tenth of the steps) but the last, when wantsCheckpoint allows */
  onCheckpoint?: (checkpoint: TrialCheckpoint) => void;
  onProgress?: (progress: TrialProgress) => void;
  /** asked at every checkpoint: true stops the trial, which then returns that checkpoint */
  shouldStop?: () => boolean;
  /** refuse a trial of more training steps (batches) than this */
  maxSteps?: number;
}

// Full-batch trials are checkpointed about this many times.
const FULL_BATCH_CHECKPOINTS = 10;

/** Stops fit from its progress callback once the trial's checkpoint is taken. */
class StopAtCheckpoint extends Error {
  constructor(readonly checkpoint: TrialCheckpoint) {
    super('stopped at a checkpoint');
  }
}

/** Where a checkpoint's bytes say the run stands (fit checks the rest when it resumes from them). */
function checkpointDone(bytes: Uint8Array): { iterations: number; epochs: number; costs: number[]; costAt: number[] } {
  const record = decodeModel(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), 'checkpoint')
    .checkpoint as { done?: Record<string, unknown> } | null;
  const done = record?.done;
  const whole = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
  const numbers = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'number');
  if (!done || !whole(done.iterations) || !whole(done.epochs) || !numbers(done.costs) || !numbers(done.costAt))
    throw new Error('checkpoint: a model file without a valid record of its training run');
  return done as { iterations: number; epochs: number; costs: number[]; costAt: number[] };
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
  const plan = planFit(normaliseFitOptions(job.fit, model.config), m);
  if (hooks.maxSteps !== undefined && plan.iterations > hooks.maxSteps)
    throw new RangeError(`the trial trains ${plan.iterations} steps, more than the limit of ${hooks.maxSteps}`);
  const unit = plan.miniBatch ? 'epoch' : 'step';
  const total = plan.miniBatch ? plan.epochs : plan.iterations;
  // full batch: a cost recorded and a checkpoint taken every `chunk` steps (costEvery is part of the run's record)
  const chunk = plan.miniBatch ? 1 : Math.max(1, Math.ceil(plan.iterations / FULL_BATCH_CHECKPOINTS));
  const { onProgress: _p, progressEvery: _pe, ...given } = job.fit;
  const options: FitOptions = plan.miniBatch ? { ...given } : { ...given, costEvery: chunk, progressEvery: chunk };

  let costs: number[] = [],
    costAt: number[] = [],
    resumedFrom = 0;
  let folder: string | null = null;
  if (hooks.resumeFrom !== undefined) {
    const done = checkpointDone(hooks.resumeFrom);
    costs = [...done.costs];
    costAt = [...done.costAt];
    resumedFrom = plan.miniBatch ? done.epochs : done.iterations;
    // fit resumes from a file: it checks the checkpoint against this model, data and plan, and replays the masks
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'dnn-trial-'));
    const file = path.join(folder, 'trial.checkpoint');
    fs.writeFileSync(file, hooks.resumeFrom);
    // only the final checkpoint is written (to this scratch file); the trial's own are built in memory
    options.checkpoint = { path: file, every: total + 1, resume: true };
  }
  // the checkpoint record, as fit's writeCheckpoint makes it (the sweep data has no input scaling)
  const run = checkpointRun(
    planFit(normaliseFitOptions(options, model.config), m),
    data.trainX,
    model.targets(data.trainX, data.trainY),
  );
  const checkpointAt = (done: number, progress: Progress): TrialCheckpoint => ({
    done,
    bytes: encodeModel(
      model.config,
      model.currentParameters(),
      model.optimizerState(),
      {
        run,
        done: {
          iterations: progress.iteration,
          epochs: plan.miniBatch ? done : 1,
          examples: progress.examples,
          costs,
          costAt,
          elapsedMs: progress.elapsedMs,
        },
      },
      model.metadataForFile(),
    ),
  });
  options.onProgress = (progress: Progress) => {
    let done: number;
    if (plan.miniBatch) {
      if (progress.epochCost === undefined) return;
      done = progress.epoch + 1;
      costs.push(progress.epochCost);
      costAt.push(progress.epoch);
    } else {
      // a report after a recorded cost (steps 0, chunk, 2·chunk, ... and the last), or at a checkpoint
      const step = progress.iteration - 1;
      if (step % chunk === 0 || progress.iteration === total) {
        costs.push(progress.cost);
        costAt.push(step);
      }
      if (progress.iteration % chunk !== 0 && progress.iteration !== total) return;
      done = progress.iteration;
    }
    hooks.onProgress?.({ index: job.index, done, total, unit, cost: costs[costs.length - 1] });
    if (done >= total) return;
    if (hooks.shouldStop?.()) throw new StopAtCheckpoint(checkpointAt(done, progress));
    if (hooks.onCheckpoint !== undefined && (hooks.wantsCheckpoint?.() ?? true))
      hooks.onCheckpoint(checkpointAt(done, progress));
  };
  try {
    model.fit(data.trainX, data.trainY, options);
  } catch (error) {
    if (error instanceof StopAtCheckpoint) return { status: 'stopped', checkpoint: error.checkpoint, resumedFrom };
    throw error;
  } finally {
    if (folder !== null) fs.rmSync(folder, { recursive: true, force: true });
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
