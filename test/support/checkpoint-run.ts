// A training run for test/checkpoint.test.ts, in its own process so that it can be killed with SIGKILL.
//   node --import tsx checkpoint-run.ts <plain|checkpoint|resume> <checkpoint file> <output model file>
// plain trains without checkpoints; checkpoint writes one per epoch and prints "epoch N" after each (slowly, so
// that the test can kill it mid-run); resume continues from the checkpoint. All save the final model.
import { type Matrix, Model, RandomState } from '../../lib/index';
import native from '../../lib/native';

const [mode, checkpointFile, output] = process.argv.slice(2);
native.setNumThreads(1);

export const RUN = {
  model: {
    layerDims: [6, 16, 8, 3],
    output: 'softmax',
    optimizer: 'adam',
    keepProb: [0.8, 0.9],
    seed: 5,
  } as const,
  fit: { epochs: 8, batchSize: 16, learningRate: 0.01, seed: 3, decayRate: 0.3 },
};

const rng = new RandomState(11);
const X = rng.randn(6, 200);
const labels = Array.from({ length: 200 }, (_, j) => (X.get(0, j) > 0.3 ? 2 : X.get(1, j) > 0 ? 1 : 0));

const model = new Model(RUN.model);
const checkpoint = mode === 'plain' ? undefined : { path: checkpointFile, every: 1, resume: mode === 'resume' };
let firstEpoch: number | null = null;
const result = model.fit(X as Matrix, labels, {
  ...RUN.fit,
  checkpoint,
  onProgress: (progress) => {
    if (progress.epochCost === undefined) return;
    firstEpoch ??= progress.epoch;
    if (mode === 'checkpoint') {
      process.stdout.write(`epoch ${progress.epoch}\n`);
      const until = Date.now() + 40; // slow enough to be killed mid-run
      while (Date.now() < until);
    }
  },
});
model.save(output);
process.stdout.write(`${JSON.stringify({ firstEpoch, costs: result.costs, iterations: result.iterations })}\n`);
