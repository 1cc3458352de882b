// A job from Redis is data from the network: checked field by field before anything is built from it. Only the
// keys of a TrialJob are allowed, the model and fit options go through the options table's checks (which refuse
// unknown keys, so no callback or other key rides along), and sizes are capped so that one job cannot make a
// worker allocate or train without bound. A refused job fails with the reason; the worker goes on serving.
import { describe } from '../checks';
import { normaliseFitOptions, normaliseModelOptions } from '../model/options';
import native from '../native';
import type { TrialJob } from './trial';

export interface JobLimits {
  /** the most parameters a trial's model may have */
  maxParameters: number;
  /** the most OpenBLAS threads a trial may ask for */
  maxThreads: number;
  /** the most training steps (batches) a trial may ask for: its epochs times its batches per epoch */
  maxSteps: number;
}

export const DEFAULT_JOB_LIMITS: JobLimits = { maxParameters: 10_000_000, maxThreads: 64, maxSteps: 100_000_000 };

/** A job that can never succeed: BullMQ must not retry it. */
export class InvalidJobError extends Error {
  override name = 'InvalidJobError';
}

const JOB_KEYS = ['sweep', 'index', 'data', 'model', 'fit', 'threads'];
// Fit options a job may carry: the callbacks and signals of the API are not data.
const FIT_KEYS = ['learningRate', 'decayRate', 'decayEvery', 'iterations', 'epochs', 'batchSize', 'shuffle', 'seed'];

function plainObject(value: unknown, name: string): Record<string, unknown> {
  if (
    typeof value !== 'object' ||
    value === null ||
    Array.isArray(value) ||
    Object.getPrototypeOf(value) !== Object.prototype
  )
    throw new InvalidJobError(`${name} must be a plain object, got ${describe(value)}`);
  return value as Record<string, unknown>;
}

/** Runs a table check; what it throws becomes an InvalidJobError naming the part of the job. */
function checked<T>(part: string, check: () => T): T {
  try {
    return check();
  } catch (error) {
    throw new InvalidJobError(`${part}: ${(error as Error).message}`);
  }
}

export function validateTrialJob(value: unknown, limits: JobLimits = DEFAULT_JOB_LIMITS): TrialJob {
  const job = plainObject(value, 'job');
  for (const key of Object.keys(job))
    if (!JOB_KEYS.includes(key)) throw new InvalidJobError(`job.${key} is not a field of a trial job`);
  if (typeof job.sweep !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(job.sweep))
    throw new InvalidJobError(`job.sweep must be an id of 1 to 64 letters, digits, - or _, got ${describe(job.sweep)}`);
  if (!Number.isSafeInteger(job.index) || (job.index as number) < 0)
    throw new InvalidJobError(`job.index must be a non-negative integer, got ${describe(job.index)}`);
  if (typeof job.data !== 'string' || !/^[0-9a-f]{64}$/.test(job.data))
    throw new InvalidJobError(`job.data must be a sha256 in hex (64 characters), got ${describe(job.data)}`);
  if (!Number.isInteger(job.threads) || (job.threads as number) < 1 || (job.threads as number) > limits.maxThreads)
    throw new InvalidJobError(
      `job.threads must be an integer from 1 to ${limits.maxThreads}, got ${describe(job.threads)}`,
    );
  const modelOptions = plainObject(job.model, 'job.model');
  const fitOptions = plainObject(job.fit, 'job.fit');
  for (const key of Object.keys(fitOptions))
    if (!FIT_KEYS.includes(key)) throw new InvalidJobError(`job.fit.${key} is not an option a job may carry`);
  const config = checked('job.model', () => normaliseModelOptions(modelOptions as never));
  const parameters = native.parameterCount(config.layerDims);
  if (parameters > limits.maxParameters)
    throw new InvalidJobError(
      `job.model: ${config.layerDims.join('-')} has ${parameters} parameters, more than this worker's limit of ${limits.maxParameters}`,
    );
  checked('job.fit', () => normaliseFitOptions(fitOptions, config));
  return job as unknown as TrialJob;
}
