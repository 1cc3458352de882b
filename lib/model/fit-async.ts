// fitAsync: fit() in a worker thread, so the event loop stays free while a model trains. Everything the worker
// needs travels in SharedArrayBuffers: the viewed columns of X and the labels (one copy of exactly the viewed
// elements, never the whole buffer behind a view, and no structured clone of them), the parameters and optimiser
// state (in and out), the latest progress and the abort flag. Progress is coalesced: the worker overwrites one
// shared record and posts a message only when none is pending, so a slow onProgress sees the latest report and
// nothing queues up. Also the OpenBLAS thread policy for concurrent trainings.
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { FloatArray, Matrix } from '../matrix';
import native from '../native';
import { type FitResult, NonFiniteCostError, planFit } from './fit';
import type { Model } from './model';
import {
  type FitAsyncOptions,
  type FitSettings,
  normaliseAsyncOptions,
  normaliseFitOptions,
  type Progress,
} from './options';

/** The parameters and optimiser state a worker starts from and hands back. */
export interface TrainingState {
  params: FloatArray;
  velocity: FloatArray | null;
  squares: FloatArray | null;
  adamStep: number;
}

/** A matrix whose data lives in a SharedArrayBuffer. */
export interface SharedMatrix {
  rows: number;
  cols: number;
  data: FloatArray;
}

/** What the worker receives (lib/model/worker.ts): small settings and views of shared memory. */
export interface WorkerJob {
  config: Model['config'];
  /** the checked fit settings, without onProgress (wantsProgress says whether to report) */
  settings: Omit<FitSettings, 'onProgress'>;
  wantsProgress: boolean;
  X: SharedMatrix;
  Y: SharedMatrix;
  /** params, then velocity and squares when the optimiser keeps them: read at the start, written at the end */
  state: TrainingState;
  /** [ABORT] != 0 asks the worker to stop; [PROGRESS_PENDING] != 0 while a progress message is unread; [SEQUENCE] odd while the record is written */
  flags: Int32Array;
  /** the latest progress, PROGRESS_FIELDS in order (epochCost NaN when absent) */
  progress: Float64Array;
  blasThreads: number;
}

export const ABORT = 0,
  PROGRESS_PENDING = 1,
  SEQUENCE = 2;
export const PROGRESS_FIELDS = [
  'iteration',
  'totalIterations',
  'epoch',
  'epochs',
  'cost',
  'examples',
  'elapsedMs',
  'epochCost',
] as const;

/**
 * Reads the shared progress record consistently (a seqlock: retried while the worker is writing it); null when it
 * is the report last read (a message can arrive after its report was already delivered with an earlier one).
 */
function readProgress(flags: Int32Array, record: Float64Array, last: { sequence: number }): Progress | null {
  for (;;) {
    const before = Atomics.load(flags, SEQUENCE);
    const values = Array.from(record);
    if (before % 2 === 0 && Atomics.load(flags, SEQUENCE) === before) {
      if (before === last.sequence) return null;
      last.sequence = before;
      const progress = Object.fromEntries(PROGRESS_FIELDS.map((key, i) => [key, values[i]])) as unknown as Progress;
      if (Number.isNaN(progress.epochCost)) delete progress.epochCost;
      return progress;
    }
  }
}

// The default OpenBLAS thread policy of fitAsync: one training keeps the process's setting; from the second
// concurrent one on, every training (OpenBLAS's count is process-wide) runs its BLAS on one thread. When the last
// training ends, the count the process had before the first one comes back, also after an explicit blasThreads.
const concurrency = {
  active: 0,
  threadsBefore: 0,
  enter(requested: number | undefined): number {
    if (this.active++ === 0) {
      this.threadsBefore = native.getNumThreads();
      return requested ?? this.threadsBefore;
    }
    return requested ?? 1;
  },
  leave(): void {
    if (--this.active === 0) native.setNumThreads(this.threadsBefore);
  },
};

// Installed, the worker runs the compiled worker.js. Run from the TypeScript sources (tests, development under
// tsx), a worker does not inherit tsx's loader, so a small bootstrap registers tsx's require hook first.
function spawnTrainingWorker(job: WorkerJob): Worker {
  if (!__filename.endsWith('.ts')) return new Worker(path.join(__dirname, 'worker.js'), { workerData: job });
  const source = JSON.stringify(path.join(__dirname, 'worker.ts'));
  return new Worker(`require('tsx/cjs'); require(${source});`, { eval: true, workerData: job });
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The training was aborted', 'AbortError');
}

// Elements copied per turn of the event loop: a fresh SharedArrayBuffer's pages are faulted in as they are first
// written, which costs several times the copy itself, so a large X is copied in slices between which timers and
// I/O run (a few milliseconds each) rather than in one block of tens of milliseconds.
const COPY_SLICE_BYTES = 1 << 20;

function sharedArray(like: FloatArray, length: number): FloatArray {
  const bytes = new SharedArrayBuffer(length * like.BYTES_PER_ELEMENT);
  return like instanceof Float32Array ? new Float32Array(bytes) : new Float64Array(bytes);
}

/** A copy of exactly the elements of `data` (a view's, not its whole buffer's) in a SharedArrayBuffer. */
function sharedCopy(data: FloatArray): FloatArray {
  const shared = sharedArray(data, data.length);
  shared.set(data);
  return shared;
}

/** sharedCopy in slices, yielding to the event loop between them. */
async function sharedCopyInSlices(data: FloatArray): Promise<FloatArray> {
  const shared = sharedArray(data, data.length);
  const slice = COPY_SLICE_BYTES / data.BYTES_PER_ELEMENT;
  for (let start = 0; start < data.length; start += slice) {
    if (start > 0) await new Promise((resolve) => setImmediate(resolve));
    shared.set(data.subarray(start, Math.min(data.length, start + slice)), start);
  }
  return shared;
}

/** The model's state copied into shared memory, which the worker starts from and writes its result into. */
function sharedState(state: TrainingState): TrainingState {
  return {
    params: sharedCopy(state.params),
    velocity: state.velocity && sharedCopy(state.velocity),
    squares: state.squares && sharedCopy(state.squares),
    adamStep: state.adamStep,
  };
}

/**
 * Trains `model` on X and its label matrix Y in a worker; every option is checked here, before the worker starts.
 * A throwing onProgress stops training as it does in fit(): the model keeps the steps done, and the promise
 * rejects with the callback's error.
 */
export function fitInWorker(model: Model, X: Matrix, Y: Matrix, options: FitAsyncOptions): Promise<FitResult> {
  const { onProgress, ...settings } = normaliseFitOptions(options, model.config, true);
  planFit(settings, X.cols); // every check before the worker starts
  const { signal, blasThreads } = normaliseAsyncOptions(options);
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  const state = sharedState(model.exportState());
  model.training = true;
  const start = async () => {
    let data: { X: FloatArray; Y: FloatArray };
    try {
      data = { X: await sharedCopyInSlices(X.data), Y: await sharedCopyInSlices(Y.data) };
    } catch (error) {
      model.training = false;
      throw error;
    }
    if (signal?.aborted) {
      model.training = false;
      throw abortReason(signal);
    }
    const job = {
      config: model.config,
      settings,
      wantsProgress: onProgress !== undefined,
      X: { rows: X.rows, cols: X.cols, data: data.X },
      Y: { rows: Y.rows, cols: Y.cols, data: data.Y },
      state,
      flags: new Int32Array(new SharedArrayBuffer(3 * 4)),
      progress: new Float64Array(new SharedArrayBuffer(PROGRESS_FIELDS.length * 8)),
      blasThreads: 0,
    };
    return train(model, job, blasThreads, signal, onProgress);
  };
  return start();
}

/** Runs the job in a worker and settles with its outcome; the model's state comes back from the shared buffers. */
function train(
  model: Model,
  job: WorkerJob,
  blasThreads: number | undefined,
  signal: AbortSignal | undefined,
  onProgress: FitSettings['onProgress'],
): Promise<FitResult> {
  const { flags, progress: record, state } = job;
  job.blasThreads = concurrency.enter(blasThreads);
  let worker: Worker;
  try {
    worker = spawnTrainingWorker(job);
  } catch (error) {
    concurrency.leave(); // e.g. a DataCloneError: the counter must not stay entered
    model.training = false;
    throw error;
  }
  return new Promise<FitResult>((resolve, reject) => {
    let settled = false,
      callbackError: { error: unknown } | null = null;
    const delivered = { sequence: 0 };
    const onAbort = () => Atomics.store(flags, ABORT, 1);
    signal?.addEventListener('abort', onAbort, { once: true });
    const settle = (trained: boolean, adamStep: number, outcome: () => void) => {
      if (settled) return;
      settled = true;
      concurrency.leave();
      signal?.removeEventListener('abort', onAbort);
      model.training = false;
      if (trained) model.importState({ ...state, adamStep });
      outcome();
      void worker.terminate();
    };
    const stopping = () => settled || callbackError !== null || signal?.aborted === true;
    // Deliveries run from setImmediate, one per turn of the event loop, so timers and I/O keep their turns however
    // slow onProgress is; the pending flag stays set until a delivery is over, so the worker posts nothing meanwhile.
    let scheduled = false;
    const deliverLatest = () => {
      if (stopping()) return; // nothing is delivered after an abort or a callback's error
      const latest = readProgress(flags, record, delivered);
      if (latest === null) return;
      try {
        onProgress?.(latest);
      } catch (error) {
        // a throwing callback stops training, as it does in fit(); the steps done are kept
        callbackError = { error };
        Atomics.store(flags, ABORT, 1);
      }
    };
    const delivery = () => {
      scheduled = false;
      deliverLatest();
      Atomics.store(flags, PROGRESS_PENDING, 0);
      // a report written while the flag was set posted no message: deliver it too
      if (
        !stopping() &&
        Atomics.load(flags, SEQUENCE) !== delivered.sequence &&
        Atomics.compareExchange(flags, PROGRESS_PENDING, 0, 1) === 0
      )
        scheduleDelivery();
    };
    const scheduleDelivery = () => {
      if (scheduled) return;
      scheduled = true;
      setImmediate(delivery);
    };
    worker.on('message', (message) => {
      if (message.type === 'progress') scheduleDelivery();
      else if (message.type === 'done' || message.type === 'error') deliverLatest(); // the last report comes first
      if (message.type === 'done') {
        const result: FitResult = message.result;
        settle(true, message.adamStep, () => {
          if (callbackError !== null) reject(callbackError.error);
          else if (result.aborted && signal?.aborted) reject(abortReason(signal));
          else resolve(result);
        });
      } else if (message.type === 'error') {
        const d = message.diverged;
        settle(true, message.adamStep, () =>
          reject(
            callbackError !== null
              ? callbackError.error
              : d
                ? new NonFiniteCostError(d.iteration, d.epoch, d.cost, d.result)
                : Object.assign(new Error(message.message), { name: message.name }),
          ),
        );
      }
    });
    worker.on('error', (error) => settle(false, 0, () => reject(error)));
    worker.on('exit', (code) =>
      settle(false, 0, () => reject(new Error(`fitAsync: the training worker exited (code ${code}) before finishing`))),
    );
  });
}
