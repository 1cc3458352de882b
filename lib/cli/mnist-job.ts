// The main job (`npm start`): trains on the real MNIST digits in float32 with mini-batches through the same path as
// `dnn-native train` (a preset of its flags), then reports the test accuracy on the 10,000 test images, the accuracy
// per digit and the most frequent mistakes, the training speed, the saved model and a plot of the cost curve.
// By default the 10-class task (softmax output, categorical cross-entropy); `npm start -- --task even-odd` runs the
// binary task "even or odd digit?" (sigmoid output), the tutorial's kind of model. Zero configuration, seeded: two
// runs print the same costs (with the same OpenBLAS thread count: the threads' float32 sums round differently).
import fs from 'node:fs';
import path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { MNIST_CLASSES } from '../data/mnist';
import { blasInfo, setNumThreads } from '../index';
import type { Matrix } from '../matrix';
import { normaliseAsyncOptions } from '../model/options';
import { addTableFlags, asFlagError } from './flags';
import type { TrainOptions } from './train';
import { trainCommand } from './train';

type TaskName = 'digits' | 'even-odd';

// The flags of `dnn-native train` for each task. Chosen by measurement over several seeds (see the README). Digits:
// 98.2-98.4% test accuracy (98% is the bar) in 10 epochs of about 1 s each; dropout and the decaying learning rate each
// added about 0.1-0.3 points over plain Adam, leaky relu about 0.1 on average over relu. Even-odd: about 98.8%.
const PRESETS: Record<TaskName, { title: string; stem: string; flags: Partial<TrainOptions> }> = {
  digits: {
    title: 'MNIST digits 0-9 (10 classes, softmax)',
    stem: 'mnist-digits',
    flags: {
      task: 'digits',
      layers: [784, 256, 128, MNIST_CLASSES],
      hiddenActivation: 'leakyRelu',
      outputActivation: 'softmax',
      optimizer: 'adam',
      learningRate: 0.002,
      decayRate: 0.5,
      keepProb: 0.8,
      batchSize: 128,
      epochs: 10,
    },
  },
  'even-odd': {
    title: 'MNIST even vs odd digits (a balanced binary task, sigmoid)',
    stem: 'mnist-even-odd',
    flags: {
      task: 'even-odd',
      layers: [784, 128, 64, 1],
      hiddenActivation: 'relu',
      outputActivation: 'sigmoid',
      optimizer: 'gd',
      learningRate: 0.1,
      batchSize: 64,
      epochs: 10,
    },
  },
};

// OpenBLAS threads. One: on an idle 2-core machine two threads train the digits about 15-20% faster (batches of 128),
// but as soon as anything else runs they wait on each other and train up to twice as slowly (see the README).
const DEFAULT_THREADS = 1;
const DEFAULT_SEED = 1;
const OUT_DIR = 'out';

interface MainOptions {
  task: TaskName;
  seed?: number;
  threads?: number;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function main(options: MainOptions): void {
  const started = performance.now();
  const say = (line = '') => process.stdout.write(`${line}\n`);
  const preset = PRESETS[options.task];
  const { blasThreads } = asFlagError(() => normaliseAsyncOptions({ blasThreads: options.threads ?? DEFAULT_THREADS }));
  setNumThreads(blasThreads as number);
  const blas = blasInfo();
  say(`dnn-native: ${preset.title}, float32, mini-batches`);
  say(
    `BLAS: ${blas.config} (kernel ${blas.coreName}, ${blas.numThreads} ${blas.numThreads === 1 ? 'thread' : 'threads'} of ${blas.numProcessors} CPUs)`,
  );
  fs.mkdirSync(OUT_DIR, { recursive: true });
  const { model, test } = trainCommand(
    {
      ...preset.flags,
      data: 'mnist:train',
      dtype: 'float32',
      init: 'he',
      seed: options.seed ?? DEFAULT_SEED,
      output: path.join(OUT_DIR, `${preset.stem}.dnn`),
      plot: path.join(OUT_DIR, `${preset.stem}-costs.png`),
    },
    say,
  );
  if (test !== undefined && options.task === 'digits')
    for (const line of confusionSummary(model.predict(test.examples.X), test.examples.Y as Matrix)) say(line);
  say(`done in ${seconds(performance.now() - started)}`);
}

/** Two lines: each digit's test accuracy, and the most frequent mistakes ("4 as 9: 12" = twelve 4s predicted as 9). */
function confusionSummary(predicted: Matrix, labels: Matrix): string[] {
  const confusion = Array.from({ length: MNIST_CLASSES }, () => new Array<number>(MNIST_CLASSES).fill(0));
  for (let j = 0; j < labels.cols; j++) confusion[labels.data[j]][predicted.data[j]]++;
  const perDigit = confusion.map(
    (row, digit) => `${digit}: ${((row[digit] / row.reduce((a, b) => a + b, 0)) * 100).toFixed(1)}%`,
  );
  const mistakes: { actual: number; predicted: number; count: number }[] = [];
  confusion.forEach((row, actual) =>
    row.forEach((count, guess) => {
      if (guess !== actual && count > 0) mistakes.push({ actual, predicted: guess, count });
    }),
  );
  mistakes.sort((a, b) => b.count - a.count || a.actual - b.actual || a.predicted - b.predicted);
  return [
    `test accuracy per digit: ${perDigit.join('  ')}`,
    `most frequent mistakes (true digit as predicted): ${mistakes
      .slice(0, 5)
      .map((m) => `${m.actual} as ${m.predicted}: ${m.count}`)
      .join(', ')}`,
  ];
}

function parseArguments(argv: string[]): MainOptions {
  const program = new Command('npm start --')
    .description('Train on the MNIST digits and report the test accuracy (the dnn-native main job).')
    .addOption(
      new Option('--task <task>', 'digits: the 10 classes (softmax); even-odd: even vs odd digits (sigmoid)')
        .choices(['digits', 'even-odd'])
        .default('digits'),
    )
    .helpOption('-h, --help', 'show this help')
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text.replace(/\n(?!$)/g, ' ')) });
  // the same flags as dnn-native train's, from the options table, with the main job's own defaults
  addTableFlags(program, ['seed', 'blasThreads'], {
    seed: `seed of the initial weights, the shuffling and the dropout masks (default: ${DEFAULT_SEED})`,
    blasThreads: `OpenBLAS threads (default: ${DEFAULT_THREADS}, the faster on a busy 2-core machine)`,
  });
  program.parse(argv, { from: 'user' });
  return program.opts<MainOptions>();
}

try {
  main(parseArguments(process.argv.slice(2)));
} catch (error) {
  if (error instanceof CommanderError)
    process.exitCode = error.exitCode; // commander has printed its message (or the help)
  else {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
