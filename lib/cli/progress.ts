// The training display shared by the dnn-native command and the main job (lib/cli/): a fit with
// a progress bar on a terminal and one line per epoch (or per recorded cost, full batch) everywhere, plus the number
// formats both print.
import cliProgress from 'cli-progress';
import type { Matrix } from '../matrix';
import { usesMiniBatches } from '../model/fit';
import type { FitOptions, FitResult, Labels, Model, Progress } from '../model/model';
import type { HiddenActivation, ModelConfig, OutputActivation } from '../model/options';

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
  const shape = {
    miniBatch: usesMiniBatches(options.batchSize, X.cols),
    costEvery: options.costEvery ?? 100,
    regression: model.output === 'linear',
  };
  return trainWithProgress((hooks) => model.fit(X, Y, { ...options, ...hooks }), shape, display);
}

/** What the display needs to know of a training run. */
export interface TrainingShape {
  miniBatch: boolean;
  costEvery: number;
  /** the validation metric is r2 rather than accuracy */
  regression: boolean;
}

/** Runs `train` (any fit that takes onProgress and progressEvery) with the progress display. */
export function trainWithProgress(
  train: (hooks: { onProgress: (p: Progress) => void; progressEvery: number }) => FitResult,
  shape: TrainingShape,
  display: TrainingDisplayOptions = {},
): FitResult {
  const log = display.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const showBar = display.bar ?? (process.stdout.isTTY === true && process.stderr.isTTY === true);
  const { miniBatch, costEvery } = shape;
  const validation = (p: Progress) =>
    p.validationCost === undefined
      ? ''
      : `  validation cost ${p.validationCost.toFixed(6)}  ${shape.regression ? `r2 ${p.validationMetric?.toFixed(4)}` : `accuracy ${formatPercent(p.validationMetric ?? Number.NaN)}`}`;
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
        printLine(
          `epoch ${pad(epochsLogged, p.epochs)}/${p.epochs}  cost ${p.epochCost.toFixed(6)}${validation(p)}  ${seconds}`,
        );
        epochCostSum = 0;
        epochExamples = 0;
      }
    } else {
      const iteration = p.iteration - 1; // the step whose cost this is, as the tutorial's "Cost after iteration i"
      if (iteration % costEvery === 0 || p.iteration === p.totalIterations)
        printLine(
          `iteration ${pad(iteration, p.totalIterations - 1)}  cost ${p.cost.toFixed(6)}${validation(p)}  ${seconds}`,
        );
    }
    if (showBar && p.iteration < p.totalIterations) {
      if (bar === null) {
        bar = newProgressBar();
        bar.start(p.totalIterations, p.iteration, payload(p));
      } else bar.update(p.iteration, payload(p));
    }
  };
  try {
    return train({ onProgress, progressEvery: 1 });
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

/** "adam (beta1 0.9, ...), learning rate 0.001 / (1 + 0.5·epoch), L2 0.01, dropout keep 0.8": the training settings. */
export function describeOptimizer(
  config: ModelConfig,
  fit: { learningRate: number; decayRate: number; decayEvery: number },
): string {
  const optimizer =
    config.optimizer === 'gd'
      ? 'gradient descent'
      : config.optimizer === 'momentum'
        ? `momentum (beta ${config.beta1})`
        : `adam (beta1 ${config.beta1}, beta2 ${config.beta2}, epsilon ${config.epsilon})`;
  const parts = [optimizer];
  const step = fit.decayEvery === 1 ? 'epoch' : `floor(epoch / ${fit.decayEvery})`;
  parts.push(`learning rate ${fit.learningRate}${fit.decayRate > 0 ? ` / (1 + ${fit.decayRate}·${step})` : ''}`);
  if (config.l2 > 0) parts.push(`L2 ${config.l2}`);
  if (config.keepProb.some((k) => k < 1)) parts.push(`dropout keep ${config.keepProb.join(',')}`);
  return parts.join(', ');
}

/** "tanh, leakyRelu hidden layers, softmax output" */
export function describeActivations(hidden: HiddenActivation[], output: OutputActivation): string {
  if (hidden.length === 0) return `${output} output`;
  const kinds = hidden.every((h) => h === hidden[0]) ? hidden[0] : hidden.join(', ');
  return `${kinds} hidden ${hidden.length === 1 ? 'layer' : 'layers'}, ${output} output`;
}

/** "accuracy per class: 0: 98.1% (of 52)  1: ..." over the classes present; `actual` and `predicted` hold class indices. */
export function perClassAccuracy(
  predicted: ArrayLike<number>,
  actual: ArrayLike<number>,
  classes: readonly unknown[],
): string {
  const total = new Array<number>(classes.length).fill(0),
    right = new Array<number>(classes.length).fill(0);
  for (let j = 0; j < actual.length; j++) {
    total[actual[j]]++;
    if (predicted[j] === actual[j]) right[actual[j]]++;
  }
  const parts: string[] = [];
  classes.forEach((label, k) => {
    if (total[k] > 0)
      parts.push(`${label}: ${((right[k] / total[k]) * 100).toFixed(1)}% (of ${formatCount(total[k])})`);
  });
  return `accuracy per class: ${parts.join('  ')}`;
}
