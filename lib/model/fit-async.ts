// fitAsync: fit() in a worker thread, so the event loop stays free while a model trains. The worker rebuilds the
// model from its settings and state, trains, posts progress and stops after the current step when the shared abort
// flag is set; the trained state comes back into the caller's model. Also the OpenBLAS thread policy for
// concurrent trainings.
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { FloatArray, Matrix } from '../matrix';
import native from '../native';
import { type FitResult, NonFiniteCostError, planFit } from './fit';
import type { Model } from './model';
import { type FitAsyncOptions, normaliseAsyncOptions, normaliseFitOptions } from './options';

/** The parameters and optimiser state a worker starts from and hands back. */
export interface TrainingState {
  params: FloatArray;
  velocity: FloatArray | null;
  squares: FloatArray | null;
  adamStep: number;
}

/** What the worker receives (lib/model/worker.ts). */
export interface WorkerJob {
  config: Model['config'];
  state: TrainingState;
  X: { rows: number; cols: number; data: FloatArray };
  Y: { rows: number; cols: number; data: FloatArray };
  options: Omit<FitAsyncOptions, 'onProgress' | 'signal' | 'blasThreads'>;
  wantsProgress: boolean;
  /** Int32Array over a SharedArrayBuffer: [0] != 0 asks the worker to stop */
  abortFlag: Int32Array;
  blasThreads: number;
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
function spawnTrainingWorker(job: WorkerJob): Worker {
  if (!__filename.endsWith('.ts')) return new Worker(path.join(__dirname, 'worker.js'), { workerData: job });
  const source = JSON.stringify(path.join(__dirname, 'worker.ts'));
  return new Worker(`require('tsx/cjs'); require(${source});`, { eval: true, workerData: job });
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The training was aborted', 'AbortError');
}

/** Trains `model` on X and its label matrix Y in a worker; every option is checked here, before the worker starts. */
export function fitInWorker(model: Model, X: Matrix, Y: Matrix, options: FitAsyncOptions): Promise<FitResult> {
  planFit(normaliseFitOptions(options, model.config, true), X.cols); // every check before the worker starts
  const { signal, blasThreads } = normaliseAsyncOptions(options);
  const { onProgress, signal: _signal, blasThreads: _threads, ...fitOptions } = options;
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  const abortFlag = new Int32Array(new SharedArrayBuffer(4));
  const threads = blasThreads ?? concurrency.enter();
  let worker: Worker;
  try {
    worker = spawnTrainingWorker({
      config: model.config,
      state: model.exportState(),
      X: { rows: X.rows, cols: X.cols, data: X.data },
      Y: { rows: Y.rows, cols: Y.cols, data: Y.data },
      options: fitOptions,
      wantsProgress: onProgress !== undefined,
      abortFlag,
      blasThreads: threads,
    });
  } catch (error) {
    if (blasThreads === undefined) concurrency.leave(); // e.g. a DataCloneError: the counter must not stay entered
    throw error;
  }
  model.training = true;
  return new Promise<FitResult>((resolve, reject) => {
    let settled = false;
    const onAbort = () => Atomics.store(abortFlag, 0, 1);
    signal?.addEventListener('abort', onAbort, { once: true });
    const settle = (state: TrainingState | null, outcome: () => void) => {
      if (settled) return;
      settled = true;
      if (blasThreads === undefined) concurrency.leave();
      signal?.removeEventListener('abort', onAbort);
      model.training = false;
      if (state !== null) model.importState(state);
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
