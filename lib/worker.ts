// The worker thread behind Model.fitAsync: rebuilds the model from its parameters, trains, posts progress,
// and stops after the current step when the shared abort flag is set.
import { parentPort, workerData } from 'node:worker_threads';
import native from './binding';
import { Matrix } from './matrix';
import { Model, NonFiniteCostError, type FitOptions } from './model';

export interface WorkerJob {
  layerDims: number[];
  dtype: 'float32' | 'float64';
  init: 'small' | 'lecun' | 'he';
  seed: number;
  params: Float32Array | Float64Array;
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
const model = new Model({ layerDims: job.layerDims, dtype: job.dtype, init: job.init, seed: job.seed });
model.setFlatParameters(job.params);
const X = new Matrix(job.X.rows, job.X.cols, job.X.data);
const Y = new Matrix(job.Y.rows, job.Y.cols, job.Y.data);

try {
  const result = model.fit(
    X,
    Y,
    { ...job.options, onProgress: job.wantsProgress ? (progress) => parentPort!.postMessage({ type: 'progress', progress }) : undefined },
    { shouldStop: () => Atomics.load(job.abortFlag, 0) !== 0 },
  );
  parentPort!.postMessage({ type: 'done', result, params: model.flatParameters });
} catch (error) {
  const diverged = error instanceof NonFiniteCostError;
  parentPort!.postMessage({
    type: 'error',
    name: (error as Error).name,
    message: (error as Error).message,
    params: model.flatParameters,
    diverged: diverged ? { iteration: error.iteration, epoch: error.epoch, cost: error.cost, result: error.result } : null,
  });
}
