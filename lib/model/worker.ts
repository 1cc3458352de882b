// The worker thread behind Model.fitAsync (lib/model/fit-async.ts): rebuilds the model from its settings and
// state, trains, posts progress, and stops after the current step when the shared abort flag is set.
import { parentPort, workerData } from 'node:worker_threads';
import { Matrix } from '../matrix';
import native from '../native';
import { NonFiniteCostError } from './fit';
import type { WorkerJob } from './fit-async';
import { Model } from './model';

const job = workerData as WorkerJob;
native.setNumThreads(job.blasThreads);
const model = Model.fromConfig(job.config);
model.importState(job.state);
const X = new Matrix(job.X.rows, job.X.cols, job.X.data);
const Y = new Matrix(job.Y.rows, job.Y.cols, job.Y.data);

try {
  const result = model.fitWith(
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
