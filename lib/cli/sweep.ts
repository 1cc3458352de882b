// `dnn-native sweep` (a grid and/or random search, on the local pool or through Redis) and `dnn-native worker`
// (serves trials from Redis until stopped). Every train flag is a fixed setting of the sweep; --grid varies one.
import { type Command, Option } from 'commander';
import { DEFAULT_QUEUE, requireRedisUrl, startWorker } from '../jobs/redis';
import { HIDDEN_FLAG, SweepSpecError } from '../jobs/spec';
import { describePoint, type SweepEvent, sweep, sweepTable } from '../jobs/sweep';
import { describeScore } from '../jobs/trial';
import type { Matrix } from '../matrix';
import { OPTIONS, type OptionSpec } from '../model/options';
import { type DataOptions, type Examples, isCsvSource, loadExamples, requireWritableFolder, UsageError } from './data';
import { addTableFlags, MODEL_FLAGS, positiveInteger } from './flags';
import { formatPercent } from './progress';

const PROGRESS_EVERY_MS = 5000;

interface SweepOptions extends DataOptions {
  grid?: string[];
  random?: number;
  results: string;
  outputDir: string;
  redis?: string;
  queue: string;
  concurrency?: number;
  validationFraction: number;
  hidden?: string;
  [flag: string]: unknown;
}

function fraction(text: string): number {
  const value = Number(text);
  if (!(value > 0 && value < 1)) throw new UsageError(`--validation-fraction must be in (0, 1), got ${text}`);
  return value;
}

/** The train flags the user gave, by flag name, values as text (arrays joined by commas). */
function fixedFlags(options: SweepOptions): Record<string, string> {
  const fixed: Record<string, string> = {};
  for (const key of MODEL_FLAGS) {
    const flag = (OPTIONS[key] as OptionSpec).flag!.name;
    const value = options[flag.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase())];
    if (value !== undefined) fixed[flag] = Array.isArray(value) ? value.join(',') : String(value);
  }
  if (options.hidden !== undefined) fixed[HIDDEN_FLAG] = options.hidden;
  return fixed;
}

async function sweepCommand(options: SweepOptions, say: (line: string) => void): Promise<void> {
  requireWritableFolder(options.results, '--results');
  if (options.redis !== undefined) requireRedisUrl(options.redis);
  const fixed = fixedFlags(options);
  const dtype = (fixed.dtype ?? 'float64') as 'float32' | 'float64';
  let output = (fixed['output-activation'] ?? (options.task === 'digits' ? 'softmax' : 'sigmoid')) as
    | 'sigmoid'
    | 'softmax'
    | 'linear';
  let examples: Examples | undefined;
  // A CSV file whose labels are numbers that are not all whole is a regression, as for `train`.
  if (fixed['output-activation'] === undefined && isCsvSource(options.data)) {
    const any = loadExamples(options, dtype, true, 'train', 'targets');
    if (!(any.Y as Matrix).data.every(Number.isInteger)) [output, examples] = ['linear', any];
  }
  examples ??= loadExamples(
    options,
    dtype,
    true,
    'train',
    output === 'linear' ? 'targets' : output === 'softmax' ? 'classes' : 'binary',
  );
  const controller = new AbortController();
  const onInterrupt = () => {
    say('interrupted: finishing the results of the trials done so far');
    controller.abort();
  };
  process.once('SIGINT', onInterrupt);
  // the running trials' progress, every few seconds while any runs
  const running = new Map<number, Extract<SweepEvent, { type: 'progress' }>>();
  const ticker = setInterval(() => {
    if (running.size === 0) return;
    const parts = [...running.values()]
      .sort((a, b) => a.index - b.index)
      .map((p) => `trial ${p.index + 1} ${p.unit} ${p.done}/${p.total}${p.worker ? ` on ${p.worker}` : ''}`);
    say(`running: ${parts.join('; ')}`);
  }, PROGRESS_EVERY_MS);
  ticker.unref();
  try {
    const outcome = await sweep({
      X: examples.X,
      Y: examples.Y as Matrix,
      output,
      classes: output === 'softmax' ? examples.classCount : undefined,
      grid: options.grid ?? [],
      random: options.random,
      fixed: { ...fixed, 'output-activation': output },
      validationFraction: options.validationFraction,
      outputDir: options.outputDir,
      results: options.results,
      concurrency: options.concurrency,
      redis: options.redis,
      queue: options.queue,
      signal: controller.signal,
      onProgress: (event) => {
        if (event.type === 'progress') {
          running.set(event.index, event);
          return;
        }
        running.delete(event.result.trial - 1);
        const t = event.result;
        const where = t.worker ? ` on ${t.worker}` : '';
        say(
          `trial ${t.trial} (${describePoint(t.options)}): ${
            t.metrics
              ? `${'validationR2' in t.metrics ? describeScore(t.metrics) : `validation accuracy ${formatPercent(t.metrics.validationAccuracy)}`}, cost ${t.metrics.validationCost.toFixed(6)}${where}${t.attempts > 1 ? ` (${t.attempts} attempts)` : ''}`
              : `${t.status}${t.error ? `: ${t.error}` : ''}`
          } [${event.finished}/${event.of}]`,
        );
      },
    });
    say('');
    say(sweepTable(outcome.trials));
    say('');
    say(
      `data: ${examples.name}, ${outcome.split.train} training and ${outcome.split.validation} validation examples (seed ${outcome.seed})`,
    );
    if (outcome.best)
      say(`best: trial ${outcome.best.trial} (${describePoint(outcome.best.options)}), model ${outcome.best.model}`);
    say(`results written to ${options.results}`);
    if (outcome.cancelled) {
      say(
        `cancelled: ${outcome.trials.filter((t) => t.status === 'done').length} of ${outcome.trials.length} trials finished`,
      );
      process.exitCode = 130;
    }
  } catch (error) {
    if (error instanceof SweepSpecError) throw new UsageError(error.message);
    throw error;
  } finally {
    clearInterval(ticker);
    process.removeListener('SIGINT', onInterrupt);
  }
}

interface WorkerCommandOptions {
  redis: string;
  queue: string;
  concurrency?: number;
  stallTimeout: number;
  checkpointEvery: number;
  grace: number;
  maxDataMb?: number;
  maxModelMb?: number;
  maxParameters?: number;
  maxSteps?: number;
}

async function workerCommand(options: WorkerCommandOptions, say: (line: string) => void): Promise<void> {
  requireRedisUrl(options.redis);
  const MiB = 1024 * 1024;
  const worker = await startWorker({
    redis: options.redis,
    queue: options.queue,
    concurrency: options.concurrency,
    lockMs: options.stallTimeout * 1000,
    checkpointEveryMs: options.checkpointEvery,
    limits: {
      ...(options.maxDataMb ? { maxDataBytes: options.maxDataMb * MiB } : {}),
      ...(options.maxModelMb ? { maxModelBytes: options.maxModelMb * MiB } : {}),
      ...(options.maxParameters ? { maxParameters: options.maxParameters } : {}),
      ...(options.maxSteps ? { maxSteps: options.maxSteps } : {}),
    },
    log: say,
  });
  await new Promise<void>((resolve) => {
    let closing: Promise<void> | null = null;
    const stop = (signal: string) => {
      if (closing !== null) {
        // a second signal: the running trials stop at their next checkpoint and go back to the queue
        say(`${signal}: handing the running trials back to the queue`);
        worker.handBack();
        return;
      }
      say(
        `${signal}: taking no more trials; finishing the running ones (up to ${options.grace} s, then handing them back)`,
      );
      const timer = setTimeout(() => worker.handBack(), options.grace * 1000);
      closing = worker.close().then(() => {
        clearTimeout(timer);
        say('worker stopped');
        resolve();
      });
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
}

/** Adds `sweep` and `worker` to the program. */
export function registerJobCommands(program: Command, say = (line: string) => process.stdout.write(`${line}\n`)) {
  const command = program
    .command('sweep')
    .description(
      'train one model per point of a grid (or a random draw of it) with a shared seeded validation split; ' +
        'rank them by validation accuracy (R² for regression: --output-activation linear, or CSV targets that are not all whole numbers), save every model and write the results (JSON) and a table',
    )
    .addOption(
      new Option(
        '-d, --data <source>',
        'the examples, as train takes them (CSV, IDX with --labels, mnist)',
      ).makeOptionMandatory(),
    )
    .option('--labels <file>', 'IDX data: the IDX labels file')
    .option('--label-column <name|number>', 'CSV: the label column (default: the last)')
    .option('--task <task>', 'MNIST or IDX digit labels: digits, even-odd or digits:<list>')
    .option('--limit <n>', 'use only the first n examples', positiveInteger)
    .option(
      '--grid <NAME=V1;V2>',
      'vary a train flag (NAME without dashes, e.g. learning-rate=0.1;0.01 or hidden=16;16,8); repeat for more axes',
      (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
    )
    .option('--random <n>', 'random search: train n points drawn from the grid (seeded)', positiveInteger)
    .option('--hidden <sizes>', 'hidden layer sizes between the inputs and the outputs, e.g. 64,32 (default: 128,64)')
    .option(
      '--validation-fraction <f>',
      'the share of each class (of all examples, for regression) held out for validation',
      fraction,
      0.2,
    )
    .requiredOption('--results <file>', 'the results file (JSON, one entry per trial in grid order)')
    .requiredOption('--output-dir <dir>', "where every trial's model is saved (trial-1.model, ...)")
    .option(
      '--redis <url>',
      'run the trials on dnn-native workers through Redis: redis://[:password@]host:port, rediss:// for TLS',
    )
    .option('--queue <name>', 'the Redis queue', DEFAULT_QUEUE)
    .option('--concurrency <n>', 'local pool: trials at once (default: one per core)', positiveInteger)
    .helpOption('-h, --help', 'show this help')
    .action((options: SweepOptions) => sweepCommand(options, say));
  addTableFlags(command, MODEL_FLAGS, {
    seed: "the seed of every trial's weights, shuffling and dropout, of the validation split and of --random (default: random; printed)",
    blasThreads: 'OpenBLAS threads per trial (default: 1)',
  });

  program
    .command('worker')
    .description('train sweep trials from a Redis queue until stopped (SIGTERM: finish the running trials, then exit)')
    .requiredOption('--redis <url>', 'redis://[:password@]host:port, or rediss:// for TLS')
    .option('--queue <name>', 'the Redis queue', DEFAULT_QUEUE)
    .option('--concurrency <n>', 'trials at once (default: one per core)', positiveInteger)
    .option(
      '--stall-timeout <seconds>',
      'a trial whose worker is silent this long goes to another worker',
      positiveInteger,
      30,
    )
    .option(
      '--checkpoint-every <ms>',
      "store a running trial's checkpoint in Redis at most this often (a lost worker loses at most this much work)",
      positiveInteger,
      1000,
    )
    .option(
      '--grace <seconds>',
      'after SIGTERM, how long running trials may finish before going back to the queue',
      positiveInteger,
      60,
    )
    .option('--max-data-mb <n>', 'refuse sweep data larger than this (default 256)', positiveInteger)
    .option('--max-model-mb <n>', 'refuse to store models larger than this (default 96)', positiveInteger)
    .option('--max-parameters <n>', 'refuse trials with more parameters (default 10000000)', positiveInteger)
    .option('--max-steps <n>', 'refuse trials of more training steps (default 100000000)', positiveInteger)
    .helpOption('-h, --help', 'show this help')
    .action((options: WorkerCommandOptions) => workerCommand(options, say));
}
