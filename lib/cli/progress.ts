// The training display shared by the dnn-native command (lib/cli.ts) and the main job (lib/main.ts): model.fit with
// a progress bar on a terminal and one line per epoch (or per recorded cost, full batch) everywhere, plus the number
// formats both print.
import cliProgress from 'cli-progress';
import type { Matrix } from '../matrix';
import { usesMiniBatches } from '../model/fit';
import type { FitOptions, FitResult, Labels, Model, Progress } from '../model/model';

export interface TrainingDisplayOptions {
  /** Where the per-epoch lines go (default: stdout). */
  log?: (line: string) => void;
  /** Show the bar (default: when stdout and stderr are both terminals; elsewhere only the per-epoch lines print). */
  bar?: boolean;
}

/**
 * model.fit(X, Y, options) with a progress bar over the steps (on stderr, only on a terminal) and one line per
 * epoch (mini-batch) or per recorded cost (full batch), printed as training goes. Returns fit's result.
 */
export function fitWithProgress(
  model: Model,
  X: Matrix,
  Y: Labels,
  options: Omit<FitOptions, 'onProgress' | 'progressEvery'>,
  display: TrainingDisplayOptions = {},
): FitResult {
  const log = display.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const showBar = display.bar ?? (process.stdout.isTTY === true && process.stderr.isTTY === true);
  const m = X.cols;
  const miniBatch = usesMiniBatches(options.batchSize, m);
  const costEvery = options.costEvery ?? 100;
  // One bar per stretch between two printed lines: cli-progress saves the cursor when a bar starts and restores it
  // when it stops, so a line printed under a running bar would be overwritten. Stopping clears the bar's line.
  let bar: cliProgress.SingleBar | null = null;

  // The bar shows the epoch in progress and its mean cost so far (the last epoch's until its first step is done).
  let epochCostSum = 0,
    epochExamples = 0,
    examplesSeen = 0,
    epochsLogged = 0,
    lastEpochCost = NaN;
  const payload = (p: Progress) => ({
    epoch: miniBatch ? Math.min(epochsLogged + 1, p.epochs) : 1,
    epochs: p.epochs,
    cost: (!miniBatch ? p.cost : epochExamples > 0 ? epochCostSum / epochExamples : lastEpochCost).toFixed(4),
    speed: formatCount(p.elapsedMs > 0 ? (p.examples * 1000) / p.elapsedMs : 0),
  });
  const printLine = (line: string) => {
    bar?.stop();
    bar = null;
    log(line);
  };
  const onProgress = (p: Progress) => {
    const seconds = `${(p.elapsedMs / 1000).toFixed(1)} s`;
    if (miniBatch) {
      epochCostSum += p.cost * (p.examples - examplesSeen);
      epochExamples += p.examples - examplesSeen;
      examplesSeen = p.examples;
      if (p.epochCost !== undefined) {
        // the end of an epoch: fit's own recorded cost for it
        epochsLogged++;
        lastEpochCost = p.epochCost;
        printLine(`epoch ${pad(epochsLogged, p.epochs)}/${p.epochs}  cost ${p.epochCost.toFixed(6)}  ${seconds}`);
        epochCostSum = 0;
        epochExamples = 0;
      }
    } else {
      const iteration = p.iteration - 1; // the step whose cost this is, as the tutorial's "Cost after iteration i"
      if (iteration % costEvery === 0 || p.iteration === p.totalIterations)
        printLine(`iteration ${pad(iteration, p.totalIterations - 1)}  cost ${p.cost.toFixed(6)}  ${seconds}`);
    }
    if (showBar && p.iteration < p.totalIterations) {
      if (bar === null) {
        bar = newProgressBar();
        bar.start(p.totalIterations, p.iteration, payload(p));
      } else bar.update(p.iteration, payload(p));
    }
  };
  try {
    return model.fit(X, Y, { ...options, onProgress, progressEvery: 1 });
  } finally {
    (bar as cliProgress.SingleBar | null)?.stop(); // (assigned in the callback, which TypeScript does not follow)
  }
}

function newProgressBar(): cliProgress.SingleBar {
  const template =
    '{bar} {percentage}% | step {value}/{total} | epoch {epoch}/{epochs} | cost {cost} | {speed} ex/s | ETA {eta_formatted}';
  return new cliProgress.SingleBar({
    stream: process.stderr,
    // Cut to the terminal's width here, so the terminal's line wrapping can stay on (cli-progress would turn it
    // off, and a Ctrl-C during the synchronous fit would leave it off).
    format: (options, params, values) =>
      cliProgress.Format.Formatter({ ...options, format: template }, params, values).slice(
        0,
        Math.max(10, params.maxWidth - 1),
      ),
    linewrap: true,
    clearOnComplete: true,
    barsize: 25,
    barCompleteChar: '\u2588',
    barIncompleteChar: '\u2591',
    fps: 10,
    etaBuffer: 200,
    hideCursor: false,
    gracefulExit: false, // a SIGINT handler would only run after the synchronous fit: let Ctrl-C stop at once
  });
}

function pad(value: number, widest: number): string {
  return String(value).padStart(String(widest).length);
}

/** 152388 -> "152,388". */
export function formatCount(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

export function formatPercent(fraction: number): string {
  return `${(fraction * 100).toFixed(2)}%`;
}
