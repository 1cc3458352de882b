// The worker thread behind Model.fitAsync (lib/model/fit-async.ts): rebuilds the model from its settings and the
// shared state, trains on the shared data, keeps the shared progress record current (posting a message only when
// none is pending), stops after the current step when the shared abort flag is set, and writes the trained state
// back into shared memory before it says it is done.
import { parentPort, workerData } from 'node:worker_threads';
import { Matrix } from '../matrix';
import native from '../native';
import { NonFiniteCostError } from './fit';
import { ABORT, PROGRESS_FIELDS, PROGRESS_PENDING, SEQUENCE, type WorkerJob } from './fit-async';
import { Model } from './model';
import type { Progress } from './options';

const job = workerData as WorkerJob;
native.setNumThreads(job.blasThreads);
const model = Model.fromConfig(job.config);
model.importState(job.state);
const X = new Matrix(job.X.rows, job.X.cols, job.X.data);
const Y = new Matrix(job.Y.rows, job.Y.cols, job.Y.data);

function publish(progress: Progress): void {
  Atomics.add(job.flags, SEQUENCE, 1); // odd: being written
  PROGRESS_FIELDS.forEach((key, i) => {
    job.progress[i] = progress[key] ?? Number.NaN;
  });
  Atomics.add(job.flags, SEQUENCE, 1);
  if (Atomics.compareExchange(job.flags, PROGRESS_PENDING, 0, 1) === 0) parentPort!.postMessage({ type: 'progress' });
}

/** The trained parameters and optimiser state, into the shared buffers the caller's model imports. */
function handBack(): number {
  const state = model.exportState();
  job.state.params.set(state.params);
  if (job.state.velocity && state.velocity) job.state.velocity.set(state.velocity);
  if (job.state.squares && state.squares) job.state.squares.set(state.squares);
  return state.adamStep;
}

try {
  const result = model.fitWith(
    X,
    Y,
    { ...job.settings, onProgress: job.wantsProgress ? publish : undefined },
    { shouldStop: () => Atomics.load(job.flags, ABORT) !== 0 },
  );
  parentPort!.postMessage({ type: 'done', result, adamStep: handBack() });
} catch (error) {
  const diverged = error instanceof NonFiniteCostError;
  parentPort!.postMessage({
    type: 'error',
    name: (error as Error).name,
    message: (error as Error).message,
    adamStep: handBack(),
    diverged: diverged
      ? { iteration: error.iteration, epoch: error.epoch, cost: error.cost, result: error.result }
      : null,
  });
} finally {
  model.dispose();
}
