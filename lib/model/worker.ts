// The worker thread behind Model.fitAsync: rebuilds the model from its settings and state, trains, posts
// progress, and stops after the current step when the shared abort flag is set.
import { parentPort, workerData } from 'node:worker_threads';
import { Matrix } from '../matrix';
import native from '../native';
import { type FitOptions, Model, NonFiniteCostError, type TrainingState } from './model';
import type { ModelConfig } from './options';

export interface WorkerJob {
  config: ModelConfig;
  state: TrainingState;
  X: { rows: number; cols: number; data: Float32Array | Float64Array };
  Y: { rows: number; cols: number; data: Float32Array | Float64Array };
  options: Omit<FitOptions, 'onProgress'>;
  wantsProgress: boolean;
  /** Int32Array over a SharedArrayBuffer: [0] != 0 asks the worker to stop */
  abortFlag: Int32Array;
  blasThreads: number;
}

const job = workerData as WorkerJob;
native.setNumThreads(job.blasThreads);
const model = new Model({ ...job.config, hiddenActivation: job.config.hiddenActivations });
model.importState(job.state);
const X = new Matrix(job.X.rows, job.X.cols, job.X.data);
const Y = new Matrix(job.Y.rows, job.Y.cols, job.Y.data);

try {
  const result = model.fit(
    X,
    Y,
    {
      ...job.options,
      onProgress: job.wantsProgress ? (progress) => parentPort!.postMessage({ type: 'progress', progress }) : undefined,
    },
    { shouldStop: () => Atomics.load(job.abortFlag, 0) !== 0 },
  );
  parentPort!.postMessage({ type: 'done', result, state: model.exportState() });
} catch (error) {
  const diverged = error instanceof NonFiniteCostError;
  parentPort!.postMessage({
    type: 'error',
    name: (error as Error).name,
    message: (error as Error).message,
    state: model.exportState(),
    diverged: diverged
      ? { iteration: error.iteration, epoch: error.epoch, cost: error.cost, result: error.result }
      : null,
  });
}
