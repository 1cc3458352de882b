// sweep(spec): a grid and/or random search over train flags. The data is split once (seeded, stratified) into
// training and validation columns shared by every trial; each trial trains in the local pool or, with `redis`, in
// whichever `dnn-native worker` takes it; every trial's model is saved in outputDir; the trials are ranked by
// validation accuracy (R² for regression, a linear output), then cost, and the best is marked. A trial's metrics depend only on its options, its seed,
// the OpenBLAS thread count and the BLAS kernel (both recorded), never on where it ran.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../io';
import type { DType, Matrix } from '../matrix';
import { Model } from '../model/model';
import { freshSeed, requireSeed } from '../random';
import { encodeSweepData, type SweepData, sha256, splitValidation } from './data';
import { machineConcurrency, TrialPool } from './pool';
import type { PoolResult } from './pool-worker';
import { type RemoteOutcome, runOnRedis, type StoreLimits } from './redis';
import {
  drawPoints,
  expandGrid,
  type FlagValues,
  type GridAxis,
  parseGridAxis,
  requirePlan,
  SweepSpecError,
  trialOptions,
} from './spec';
import { type TrialJob, type TrialMetrics, type TrialProgress, trialScore } from './trial';

export interface SweepSpec {
  /** examples (features, m), one per column */
  X: Matrix;
  /** labels (1, m): 0/1 for a sigmoid output, class indices 0..k-1 for softmax, numeric targets for linear */
  Y: Matrix;
  /** default: linear when a label is not a whole number, softmax when a label is above 1, else sigmoid */
  output?: 'sigmoid' | 'softmax' | 'linear';
  /** softmax: the number of classes (default: the largest label + 1) */
  classes?: number;
  /** axes by train flag name (values as the command line takes them), or 'NAME=V1;V2' texts */
  grid?: Record<string, readonly (string | number)[]> | readonly string[];
  /** random search: this many grid points, drawn with the seed */
  random?: number;
  /** train flags for every trial, by name: { epochs: 10, 'batch-size': 64 } */
  fixed?: Record<string, string | number>;
  /** the weights', shuffling's and dropout's seed of every trial (unless the grid varies seed), the split's and the draw's (default: random, recorded) */
  seed?: number;
  /** the share of each class (of all examples, for regression) held out for validation (default 0.2) */
  validationFraction?: number;
  /** where every trial's model is saved (trial-01.model, ...) */
  outputDir: string;
  /** the results JSON file (written atomically; also when cancelled, with the finished trials) */
  results?: string;
  /** trials at once in the local pool (default: the machine's cores) */
  concurrency?: number;
  /** OpenBLAS threads per trial (default 1) */
  threads?: number;
  /** run the trials through BullMQ on this Redis (redis://[:password@]host:port, rediss:// for TLS) */
  redis?: string;
  queue?: string;
  limits?: Partial<StoreLimits>;
  /** cancels: waiting trials are dropped, finished ones kept (and written to the results) */
  signal?: AbortSignal;
  onProgress?: (event: SweepEvent) => void;
}

export type SweepEvent =
  | ({ type: 'progress'; worker?: string } & TrialProgress)
  | { type: 'trial'; result: TrialResult; finished: number; of: number };

export interface TrialResult {
  /** 1, 2, ... in grid order */
  trial: number;
  /** the grid point, by flag name, values as given */
  options: FlagValues;
  status: 'done' | 'failed' | 'cancelled';
  metrics: TrialMetrics | null;
  /** the saved model file */
  model: string | null;
  worker: string | null;
  attempts: number;
  /** OpenBLAS threads and kernel of the run: a trial's metrics are the same wherever both are */
  threads: number | null;
  blasCore: string | null;
  /** 1 for the best validation accuracy or R² (ties: lower validation cost, then grid order); null unless done */
  rank: number | null;
  best: boolean;
  trainCost: number | null;
  /** epochs (mini-batch) or steps (full batch) trained, and the checkpoint a resumed run started from */
  trained: { count: number; unit: 'epoch' | 'step'; resumedFrom: number } | null;
  elapsedMs: number | null;
  error?: string;
}

export interface SweepOutcome {
  trials: TrialResult[];
  best: TrialResult | null;
  seed: number;
  split: { train: number; validation: number };
  cancelled: boolean;
}

function gridAxes(grid: SweepSpec['grid']): GridAxis[] {
  if (grid === undefined) return [];
  if (Array.isArray(grid)) return grid.map((text) => parseGridAxis(String(text)));
  return Object.entries(grid as Record<string, readonly (string | number)[]>).map(([name, values]) =>
    parseGridAxis(`${name}=${values.map(String).join(';')}`),
  );
}

function largestLabel(Y: Matrix): number {
  let largest = 0;
  for (const v of Y.data) largest = Math.max(largest, v);
  return largest;
}

/** The trials of a spec, checked, with the split data; nothing trains yet. */
export function planSweep(spec: SweepSpec): {
  trials: TrialJob[];
  points: FlagValues[];
  data: SweepData;
  seed: number;
} {
  // The sweep-wide flags may come among the fixed ones (the command line passes every train flag there).
  const {
    threads: threadsFlag,
    'output-activation': outputFlag,
    seed: seedFlag,
    dtype: dtypeFlag,
    ...perTrial
  } = spec.fixed ?? {};
  const seedGiven = spec.seed ?? (seedFlag === undefined ? undefined : Number(seedFlag));
  const seed = seedGiven === undefined ? freshSeed() : requireSeed(seedGiven, 'seed');
  const threads = spec.threads ?? (threadsFlag === undefined ? 1 : Number(threadsFlag));
  if (!Number.isInteger(threads) || threads < 1 || threads > 1024)
    throw new SweepSpecError(`--threads must be an integer from 1 to 1024, got ${threads}`);
  const output =
    spec.output ??
    (outputFlag as 'sigmoid' | 'softmax' | 'linear' | undefined) ??
    (!spec.Y.data.every(Number.isInteger) ? 'linear' : largestLabel(spec.Y) > 1 ? 'softmax' : 'sigmoid');
  if (output !== 'sigmoid' && output !== 'softmax' && output !== 'linear')
    throw new SweepSpecError(`--output-activation must be sigmoid, softmax or linear, got ${JSON.stringify(output)}`);
  if (output === 'linear' && spec.classes !== undefined)
    throw new SweepSpecError('classes is for a softmax output; a regression sweep (linear output) has 1 output');
  const dtype = (dtypeFlag ?? spec.X.dtype) as DType;
  if (dtype !== 'float32' && dtype !== 'float64')
    throw new SweepSpecError(`--dtype must be float32 or float64, got ${JSON.stringify(dtype)}`);
  const outputs = output === 'softmax' ? (spec.classes ?? Math.max(2, largestLabel(spec.Y) + 1)) : 1;
  let points = expandGrid(gridAxes(spec.grid));
  if (spec.random !== undefined) points = drawPoints(points, spec.random, seed);
  const fixed: FlagValues = {};
  for (const [flag, value] of Object.entries(perTrial))
    if (value !== undefined) fixed[flag] = Array.isArray(value) ? value.join(',') : String(value);
  const data = splitValidation(spec.X.astype(dtype), spec.Y.astype(dtype), {
    fraction: spec.validationFraction ?? 0.2,
    seed,
    output,
    outputs,
  });
  const shape = { inputs: spec.X.rows, outputs, output, seed, dtype };
  const sweepId = randomBytes(8).toString('hex');
  const dataKey = ''; // set by the caller once the bytes exist
  const trials = points.map((point, index) => {
    const where = `trial ${index + 1} (${describePoint(point)})`;
    const { model, fit } = trialOptions(point, fixed, shape, where);
    requirePlan(fit, model, data.trainX.cols, where);
    return { sweep: sweepId, index, data: dataKey, model, fit, threads };
  });
  return { trials, points, data, seed };
}

export function describePoint(point: FlagValues): string {
  const parts = Object.entries(point).map(([flag, value]) => `${flag}=${value}`);
  return parts.length > 0 ? parts.join(' ') : 'the fixed flags';
}

function modelFile(outputDir: string, index: number, count: number): string {
  return path.join(outputDir, `trial-${String(index + 1).padStart(String(count).length, '0')}.model`);
}

/** Ranks the finished trials (validation accuracy or R² down, then validation cost up, then grid order). */
export function rankTrials(trials: TrialResult[]): TrialResult | null {
  const done = trials.filter((t) => t.status === 'done' && t.metrics !== null);
  // a difference of two -Infinity scores is NaN: compare, do not subtract
  const byScore = (a: TrialMetrics, b: TrialMetrics) => {
    const [x, y] = [trialScore(a), trialScore(b)];
    return x === y ? 0 : x > y ? -1 : 1;
  };
  done.sort(
    (a, b) =>
      byScore(a.metrics!, b.metrics!) || a.metrics!.validationCost - b.metrics!.validationCost || a.trial - b.trial,
  );
  done.forEach((t, k) => {
    t.rank = k + 1;
    t.best = k === 0;
  });
  return done[0] ?? null;
}

function emptyResult(index: number, point: FlagValues): TrialResult {
  return {
    trial: index + 1,
    options: point,
    status: 'cancelled',
    metrics: null,
    model: null,
    worker: null,
    attempts: 0,
    threads: null,
    blasCore: null,
    rank: null,
    best: false,
    trainCost: null,
    trained: null,
    elapsedMs: null,
  };
}

export async function sweep(spec: SweepSpec): Promise<SweepOutcome> {
  const { trials, points, data, seed } = planSweep(spec);
  fs.mkdirSync(spec.outputDir, { recursive: true });
  const bytes = encodeSweepData(data);
  const dataKey = sha256(bytes);
  for (const trial of trials) trial.data = dataKey;
  const results = points.map((point, index) => emptyResult(index, point));
  let finished = 0;
  const record = (index: number, update: Partial<TrialResult>) => {
    Object.assign(results[index], update);
    finished++;
    spec.onProgress?.({ type: 'trial', result: results[index], finished, of: trials.length });
  };

  if (spec.redis === undefined) {
    const pool = new TrialPool(Math.min(spec.concurrency ?? machineConcurrency(), trials.length));
    const shared = new Uint8Array(new SharedArrayBuffer(bytes.length));
    shared.set(bytes);
    // Cancelling asks the running trials to stop at their next epoch (a thread is never terminated in the middle
    // of a native call); trials not started yet are not started. So each thread takes the next trial itself.
    const stopFlags = new Set<Int32Array>();
    const stopAll = () => {
      for (const flag of stopFlags) Atomics.store(flag, 0, 1);
    };
    spec.signal?.addEventListener('abort', stopAll, { once: true });
    let next = 0;
    const takeTrials = async () => {
      while (next < trials.length) {
        const trial = trials[next++];
        if (spec.signal?.aborted) {
          record(trial.index, { status: 'cancelled' });
          continue;
        }
        const file = modelFile(spec.outputDir, trial.index, trials.length);
        const stopFlag = new Int32Array(new SharedArrayBuffer(4));
        stopFlags.add(stopFlag);
        if (spec.signal?.aborted) Atomics.store(stopFlag, 0, 1);
        let result: PoolResult;
        try {
          result = await pool.run(
            { job: trial, data: { key: dataKey, bytes: shared }, saveTo: file, stopFlag },
            { onProgress: (progress) => spec.onProgress?.({ type: 'progress', ...progress }) },
          );
        } catch (error) {
          record(trial.index, { status: 'failed', error: (error as Error).message });
          continue;
        } finally {
          stopFlags.delete(stopFlag);
        }
        if (result.status === 'stopped') {
          record(trial.index, { status: 'cancelled' });
          continue;
        }
        record(trial.index, {
          status: result.status === 'done' ? 'done' : 'failed',
          metrics: result.metrics ?? null,
          model: result.status === 'done' ? file : null,
          worker: `local:${result.worker}`,
          attempts: 1,
          threads: result.threads,
          blasCore: result.blasCore,
          trainCost: result.trainCost ?? null,
          trained: result.total ? { count: result.total, unit: result.unit!, resumedFrom: 0 } : null,
          elapsedMs: result.elapsedMs,
          ...(result.error ? { error: result.error } : {}),
        });
      }
    };
    try {
      await Promise.all(Array.from({ length: pool.size }, takeTrials));
    } finally {
      spec.signal?.removeEventListener('abort', stopAll);
      await pool.destroy();
    }
  } else {
    await runOnRedis(
      trials,
      bytes,
      {
        redis: spec.redis,
        queue: spec.queue,
        limits: spec.limits,
        signal: spec.signal,
        onProgress: (progress) => spec.onProgress?.({ type: 'progress', ...progress }),
      },
      (outcome: RemoteOutcome) => {
        if (outcome.status !== 'done') {
          record(outcome.index, outcome.status === 'failed' ? { status: 'failed', error: outcome.error } : {});
          return;
        }
        const { result } = outcome;
        const file = modelFile(spec.outputDir, outcome.index, trials.length);
        try {
          writeFileAtomic(file, outcome.modelBytes);
          Model.load(file); // a model from the network is checked like any file
        } catch (error) {
          record(outcome.index, {
            status: 'failed',
            error: `the model of trial ${outcome.index + 1}: ${(error as Error).message}`,
          });
          return;
        }
        record(outcome.index, {
          status: 'done',
          metrics: result.metrics,
          model: file,
          worker: result.worker,
          attempts: result.attempts,
          threads: result.threads,
          blasCore: result.blasCore,
          trainCost: result.trainCost,
          trained: { count: result.total, unit: result.unit, resumedFrom: result.resumedFrom },
          elapsedMs: result.elapsedMs,
        });
      },
    );
  }

  const best = rankTrials(results);
  if (spec.results !== undefined) writeFileAtomic(spec.results, `${JSON.stringify(results, null, 2)}\n`);
  return {
    trials: results,
    best,
    seed,
    split: { train: data.trainX.cols, validation: data.validationX.cols },
    cancelled: spec.signal?.aborted ?? false,
  };
}

/** The results as a table, in grid order, the best marked with *. */
export function sweepTable(trials: readonly TrialResult[]): string {
  const names = [...new Set(trials.flatMap((t) => Object.keys(t.options)))];
  const regression = trials.some((t) => t.metrics !== null && 'validationR2' in t.metrics);
  const header = [
    'trial',
    ...names,
    regression ? 'val. R²' : 'val. accuracy',
    'val. cost',
    'rank',
    'worker',
    'attempts',
  ];
  const rows = trials.map((t) => [
    `${t.trial}${t.best ? ' *' : ''}`,
    ...names.map((n) => t.options[n] ?? ''),
    t.metrics === null
      ? t.status
      : 'validationR2' in t.metrics
        ? t.metrics.validationR2.toFixed(6)
        : `${(t.metrics.validationAccuracy * 100).toFixed(2)}%`,
    t.metrics ? t.metrics.validationCost.toFixed(6) : '',
    t.rank === null ? '' : String(t.rank),
    t.worker ?? '',
    String(t.attempts),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => cell.padEnd(widths[c]))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
