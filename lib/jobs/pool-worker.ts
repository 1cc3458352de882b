// A thread of the trial pool (piscina runs this file): decodes the sweep's data once per thread (by its sha256),
// runs one trial, sends progress and checkpoints through the task's port, and saves the model or returns its
// bytes. A trial that diverges is a result (status 'failed' with the reason), not an exception to retry.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MessagePort } from 'node:worker_threads';
import { threadId } from 'node:worker_threads';
import native from '../native';
import { decodeSweepData, type SweepData } from './data';
import { NonFiniteCostError, runTrial, type TrialJob, type TrialMetrics } from './trial';

export interface PoolTask {
  job: TrialJob;
  /** the sweep data's bytes (over a SharedArrayBuffer: shared, not copied, with every task) and their sha256 */
  data: { key: string; bytes: Uint8Array };
  /** a checkpoint's bytes to resume from */
  checkpoint?: Uint8Array;
  /** write the model file here; without it the model's bytes come back in the result */
  saveTo?: string;
  /** progress ({ type: 'progress' }) and, when wantCheckpoints, checkpoints ({ type: 'checkpoint', bytes }) */
  port?: MessagePort;
  wantCheckpoints?: boolean;
  /** at most one checkpoint per this many milliseconds (default 0: at every epoch end) */
  checkpointEveryMs?: number;
  /** [0] != 0: stop at the next epoch end and return its checkpoint */
  stopFlag?: Int32Array;
  /** refuse a trial of more training steps (a job from the network must not train without bound) */
  maxSteps?: number;
}

export interface PoolResult {
  status: 'done' | 'stopped' | 'failed';
  metrics?: TrialMetrics;
  trainCost?: number;
  /** epochs (mini-batch) or steps (full batch) trained in all, and where this run started */
  total?: number;
  unit?: 'epoch' | 'step';
  resumedFrom: number;
  modelBytes?: Uint8Array;
  checkpoint?: Uint8Array;
  error?: string;
  worker: string;
  threads: number;
  blasCore: string;
  elapsedMs: number;
}

// A thread keeps the last few sweeps' data (a worker serves one sweep at a time, mostly).
const cache = new Map<string, SweepData>();
const CACHED_SWEEPS = 2;

function dataFor(key: string, bytes: Uint8Array): SweepData {
  let data = cache.get(key);
  if (data === undefined) {
    data = decodeSweepData(bytes);
    cache.set(key, data);
    if (cache.size > CACHED_SWEEPS) cache.delete(cache.keys().next().value as string);
  }
  return data;
}

function modelBytesOf(model: { save(file: string): void }): Uint8Array {
  // Model.save is the one writer of the model file format; it writes files, so the bytes pass through one.
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'dnn-trial-'));
  try {
    const file = path.join(folder, 'trial.model');
    model.save(file);
    return fs.readFileSync(file);
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
}

export default function runPoolTask(task: PoolTask): PoolResult {
  const started = performance.now();
  const { job, port } = task;
  if (native.getNumThreads() !== job.threads) native.setNumThreads(job.threads);
  const base = {
    worker: `${os.hostname()}:${process.pid}/${threadId}`,
    threads: native.getNumThreads(),
    blasCore: native.blasInfo().coreName,
  };
  const data = dataFor(task.data.key, task.data.bytes);
  let lastCheckpoint = performance.now();
  try {
    const outcome = runTrial(job, data, {
      resumeFrom: task.checkpoint,
      maxSteps: task.maxSteps,
      onProgress: (progress) => port?.postMessage({ type: 'progress', progress }),
      wantsCheckpoint: () => performance.now() - lastCheckpoint >= (task.checkpointEveryMs ?? 0),
      onCheckpoint: task.wantCheckpoints
        ? (checkpoint) => {
            lastCheckpoint = performance.now();
            port?.postMessage({ type: 'checkpoint', bytes: checkpoint.bytes });
          }
        : undefined,
      shouldStop: task.stopFlag ? () => Atomics.load(task.stopFlag!, 0) !== 0 : undefined,
    });
    const elapsedMs = performance.now() - started;
    if (outcome.status === 'stopped')
      return {
        ...base,
        status: 'stopped',
        resumedFrom: outcome.resumedFrom,
        checkpoint: outcome.checkpoint.bytes,
        elapsedMs,
      };
    if (task.saveTo !== undefined) outcome.model.save(task.saveTo);
    return {
      ...base,
      status: 'done',
      metrics: outcome.metrics,
      trainCost: outcome.trainCost,
      total: outcome.total,
      unit: outcome.unit,
      resumedFrom: outcome.resumedFrom,
      modelBytes: task.saveTo === undefined ? modelBytesOf(outcome.model) : undefined,
      elapsedMs,
    };
  } catch (error) {
    if (!(error instanceof NonFiniteCostError)) throw error;
    return {
      ...base,
      status: 'failed',
      error: error.message,
      resumedFrom: 0,
      elapsedMs: performance.now() - started,
    };
  }
}
