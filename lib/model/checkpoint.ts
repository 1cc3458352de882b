// Checkpoints: fit(X, Y, { checkpoint: { path, every, resume } }). A checkpoint is a model file (version 2, so
// Model.load reads it) whose header's `checkpoint` records the run: the settings that decide its steps (the plan,
// the size and a checksum of the data) and where it stands (steps and epochs done, the costs so far). The file also
// holds the parameters and the optimiser's state; the shuffling needs nothing more (epoch e's order comes from
// seed + e + 1), and the dropout masks' stream is brought back to where it stood by drawing the masks of the steps
// already done again (forward passes, without updates), so a resumed run ends with the same parameters, bit for bit
// at the same thread count, as one that was never interrupted.
import { crc32 } from 'node:zlib';
import { writeFileAtomic } from '../io';
import type { FloatArray, Matrix } from '../matrix';
import { decodeModel, encodeModel, readModelFile } from './file-format';
import type { FitPlan } from './fit';
import type { Model } from './model';

/** What decides a run's steps: resuming with anything different would not continue the same run. */
export interface CheckpointRun {
  examples: number;
  dataChecksum: number;
  learningRate: number;
  decayRate: number;
  decayEvery: number;
  miniBatch: boolean;
  batchSize: number;
  epochs: number;
  iterations: number;
  costEvery: number;
  shuffle: boolean;
  seed: number;
}

/** Where a run stands: what it has done and recorded. */
export interface CheckpointProgress {
  iterations: number;
  epochs: number;
  examples: number;
  costs: number[];
  costAt: number[];
  elapsedMs: number;
}

export interface CheckpointRecord {
  run: CheckpointRun;
  done: CheckpointProgress;
}

function bytesOf(values: FloatArray): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

export function checkpointRun(plan: FitPlan, X: Matrix, Y: Matrix): CheckpointRun {
  return {
    examples: plan.m,
    dataChecksum: crc32(bytesOf(Y.data), crc32(bytesOf(X.data))),
    learningRate: plan.learningRate,
    decayRate: plan.decayRate,
    decayEvery: plan.decayEvery,
    miniBatch: plan.miniBatch,
    batchSize: plan.batchSize,
    epochs: plan.epochs,
    iterations: plan.iterations,
    costEvery: plan.costEvery,
    shuffle: plan.shuffle,
    seed: plan.seed,
  };
}

export function writeCheckpoint(file: string, model: Model, record: CheckpointRecord): void {
  writeFileAtomic(
    file,
    encodeModel(model.config, model.currentParameters(), model.optimizerState(), record, model.metadataForFile()),
    {
      what: 'checkpoint',
    },
  );
}

/** The settings of two models that must agree for one to continue the other's training (all but the init seed). */
function sameModel(a: Model['config'], b: Model['config']): string | null {
  for (const key of Object.keys(a) as (keyof Model['config'])[])
    if (key !== 'seed' && JSON.stringify(a[key]) !== JSON.stringify(b[key])) return key;
  return null;
}

/**
 * Loads a checkpoint into `model` when resuming: its parameters and optimiser state, and where the run stands.
 * Refuses (before changing the model) a checkpoint of another model, other data or other fit settings.
 */
export function resumeFrom(file: string, model: Model, run: CheckpointRun): CheckpointProgress {
  const decoded = decodeModel(readModelFile(file, 'checkpoint'), file);
  const record = decoded.checkpoint as CheckpointRecord | null;
  if (record === null || typeof record !== 'object' || typeof record.run !== 'object' || record.run === null)
    throw new Error(`${file}: a model file, not a checkpoint (it records no training run to resume)`);
  const differentSetting = sameModel(decoded.config, model.config);
  if (differentSetting !== null)
    throw new Error(
      `${file}: the checkpoint is of a model with another ${differentSetting} (${JSON.stringify(decoded.config[differentSetting as keyof typeof decoded.config])}); resume with the model's settings`,
    );
  for (const key of Object.keys(run) as (keyof CheckpointRun)[])
    if (record.run[key] !== run[key])
      throw new Error(
        key === 'dataChecksum' || key === 'examples'
          ? `${file}: the checkpoint was written while training on other data; resume with the same examples and labels`
          : `${file}: the checkpoint was written with ${key} ${JSON.stringify(record.run[key])}, not ${JSON.stringify(run[key])}; resume with the same fit options`,
      );
  const done = record.done;
  const wholeNumber = (value: unknown) => Number.isSafeInteger(value) && (value as number) >= 0;
  if (
    typeof done !== 'object' ||
    done === null ||
    !wholeNumber(done.iterations) ||
    !wholeNumber(done.epochs) ||
    !wholeNumber(done.examples) ||
    !Array.isArray(done.costs) ||
    !Array.isArray(done.costAt) ||
    done.iterations > run.iterations
  )
    throw new Error(`${file}: corrupt: the checkpoint's record of the run is not valid`);
  if (decoded.optimizer === null) throw new Error(`${file}: a version 1 model file, not a checkpoint`);
  model.importState({
    params: decoded.params,
    velocity: decoded.optimizer.velocity,
    squares: decoded.optimizer.squares,
    adamStep: decoded.optimizer.step,
  });
  return done;
}
