// Bulk training: sweeps on a worker-thread pool, and trials across machines through BullMQ on Redis.
export { type SweepData, splitValidation } from './data';
export { machineConcurrency, TrialPool } from './pool';
export {
  connectRedis,
  DEFAULT_QUEUE,
  DEFAULT_STORE_LIMITS,
  type RemoteTrialResult,
  type StoreLimits,
  startWorker,
  type TrialWorker,
  type WorkerOptions,
} from './redis';
export { type GridAxis, parseGridAxis, SweepSpecError } from './spec';
export {
  planSweep,
  rankTrials,
  type SweepEvent,
  type SweepOutcome,
  type SweepSpec,
  sweep,
  sweepTable,
  type TrialResult,
} from './sweep';
export { runTrial, type TrialCheckpoint, type TrialJob, type TrialMetrics } from './trial';
export { DEFAULT_JOB_LIMITS, InvalidJobError, type JobLimits, validateTrialJob } from './validate';
