// A sweep's search space: `--grid 'NAME=V1;V2'` axes over train flags (by their names, values as typed), fixed
// flags for every trial, and their expansion into trial options. Values are read by the options table's own flag
// parsers and checked by its checks, so a sweep accepts exactly what `train` accepts, and a bad value is refused
// before anything trains, naming the grid axis and the flag.
import { flagMessage } from '../cli/flags';
import { planFit } from '../model/fit';
import {
  type FitOptions,
  isOptionError,
  type ModelOptions,
  normaliseFitOptions,
  normaliseModelOptions,
  OPTIONS,
  type OptionKey,
  type OptionSpec,
} from '../model/options';
import { RandomState } from '../random';

/** One grid axis: a flag name (without dashes) and its values, as given. */
export interface GridAxis {
  name: string;
  values: string[];
}

/** A grid point (or the fixed flags): flag name -> value as given. */
export type FlagValues = Record<string, string>;

/** Hidden layer sizes between the data's inputs and outputs, e.g. "16,8"; "none" for no hidden layer. */
export const HIDDEN_FLAG = 'hidden';
export const DEFAULT_HIDDEN = [128, 64];

// The table's keys by flag name. The OpenBLAS thread count is the sweep's (one value for every trial, recorded
// in the results); the output activation and the dtype are decided with the data (loaded once, in that dtype).
const KEY_BY_FLAG = new Map<string, OptionKey>(
  (Object.keys(OPTIONS) as OptionKey[])
    .filter((key) => (OPTIONS[key] as OptionSpec).flag !== undefined)
    .map((key) => [(OPTIONS[key] as OptionSpec).flag!.name, key]),
);
const NOT_PER_TRIAL = new Set(['threads', 'output-activation', 'dtype']);
// The sweep holds out its own validation split (the same for every trial, --validation-fraction) and trains each
// trial with checkpoints at epoch ends: fit's own split and early stopping would work against both.
const NOT_IN_SWEEPS: Record<string, string> = {
  'validation-split': 'the sweep holds out its own validation split (--validation-fraction)',
  'early-stopping': 'early stopping is not supported in sweeps yet',
  patience: 'early stopping is not supported in sweeps yet',
};

export function sweepableFlags(): string[] {
  return [
    HIDDEN_FLAG,
    ...[...KEY_BY_FLAG.keys()].filter((flag) => !NOT_PER_TRIAL.has(flag) && NOT_IN_SWEEPS[flag] === undefined),
  ];
}

/** Thrown for a sweep specification the user must fix (printed as one line). */
export class SweepSpecError extends Error {}

/** "learning-rate=0.1;0.01" -> { name: 'learning-rate', values: ['0.1', '0.01'] } */
export function parseGridAxis(text: string): GridAxis {
  const match = /^\s*([a-z][a-z0-9-]*)\s*=(.*)$/s.exec(text);
  if (!match) throw new SweepSpecError(`--grid ${JSON.stringify(text)}: expected NAME=V1;V2;..., e.g. l2=0;0.1`);
  const name = match[1];
  const values = match[2].split(';').map((v) => v.trim());
  if (values.some((v) => v === ''))
    throw new SweepSpecError(
      `--grid ${name}: an empty value in ${JSON.stringify(match[2])} (values are separated by ;)`,
    );
  if (NOT_IN_SWEEPS[name] !== undefined) throw new SweepSpecError(`--grid ${name}: ${NOT_IN_SWEEPS[name]}`);
  if (!sweepableFlags().includes(name))
    throw new SweepSpecError(
      `--grid ${name}: not a flag a trial can vary${NOT_PER_TRIAL.has(name) ? ' (it is one setting for the whole sweep)' : ''}; one of ${sweepableFlags().join(', ')}`,
    );
  return { name, values };
}

/** Every combination of the axes' values, the first axis varying slowest (the grid order of the results). */
export function expandGrid(axes: readonly GridAxis[]): FlagValues[] {
  const names = new Set<string>();
  for (const axis of axes) {
    if (names.has(axis.name)) throw new SweepSpecError(`--grid ${axis.name} is given twice; list its values once`);
    names.add(axis.name);
  }
  let points: FlagValues[] = [{}];
  for (const axis of axes) points = points.flatMap((point) => axis.values.map((v) => ({ ...point, [axis.name]: v })));
  return points;
}

/** Random search: `count` distinct grid points drawn with `seed`, returned in grid order. */
export function drawPoints(points: readonly FlagValues[], count: number, seed: number): FlagValues[] {
  if (!Number.isInteger(count) || count < 1) throw new SweepSpecError(`--random must be a positive integer`);
  if (count > points.length)
    throw new SweepSpecError(`--random ${count} is more than the grid's ${points.length} points`);
  const order = new RandomState(seed).permutation(points.length);
  return [...order.subarray(0, count)].sort((a, b) => a - b).map((i) => points[i]);
}

function parseHidden(text: string): number[] {
  if (text === 'none') return [];
  const parts = text.split(',').map((s) => s.trim());
  if (!parts.every((s) => /^\d+$/.test(s) && Number(s) > 0))
    throw new Error('expected hidden layer sizes separated by commas, e.g. 16,8 (or none)');
  return parts.map(Number);
}

/** What the trials share, decided with the data. */
export interface TrialShape {
  inputs: number;
  outputs: number;
  output: 'sigmoid' | 'softmax' | 'linear';
  dtype: 'float32' | 'float64';
  /** the sweep's seed: the weights, the shuffling and the dropout masks of every trial that does not vary it */
  seed: number;
}

/**
 * The model and fit options of one trial: the fixed flags, then the grid point's, each read by its flag's parser
 * and all checked by the table (with the real layer sizes). `where` names the trial in errors.
 */
export function trialOptions(
  point: FlagValues,
  fixed: FlagValues,
  shape: TrialShape,
  where: string,
): { model: ModelOptions; fit: FitOptions } {
  const model: Record<string, unknown> = { output: shape.output, seed: shape.seed, dtype: shape.dtype };
  const fit: Record<string, unknown> = {};
  let hidden = DEFAULT_HIDDEN;
  let layers: number[] | undefined;
  const read = (flag: string, text: string, origin: string) => {
    const key = KEY_BY_FLAG.get(flag);
    try {
      if (flag === HIDDEN_FLAG) hidden = parseHidden(text);
      else if (NOT_IN_SWEEPS[flag] !== undefined) throw new Error(NOT_IN_SWEEPS[flag]);
      else if (key === undefined || NOT_PER_TRIAL.has(flag)) throw new Error('not a flag a trial can vary');
      else {
        const value = (OPTIONS[key] as OptionSpec).flag!.parse(text);
        if (key === 'layerDims') layers = value as number[];
        else if (key === 'seed') model.seed = fit.seed = value;
        else if ((OPTIONS[key] as OptionSpec).scope === 'model') model[key] = value;
        else fit[key] = value;
      }
    } catch (error) {
      throw new SweepSpecError(`${origin} ${flag}=${text}: ${(error as Error).message}`);
    }
  };
  for (const [flag, text] of Object.entries(fixed)) read(flag, text, 'fixed flag');
  for (const [flag, text] of Object.entries(point)) {
    if (flag in fixed) throw new SweepSpecError(`--${flag} is both fixed and a --grid axis; give it once`);
    read(flag, text, `--grid`);
  }
  fit.seed ??= model.seed;
  model.layerDims = layers ?? [shape.inputs, ...hidden, shape.outputs];
  const dims = model.layerDims as number[];
  if (dims[0] !== shape.inputs || dims[dims.length - 1] !== shape.outputs)
    throw new SweepSpecError(
      `${where}: --layers must start with the data's ${shape.inputs} features and end with ${shape.outputs} output${shape.outputs === 1 ? '' : 's'}, got ${dims.join(',')}`,
    );
  try {
    const config = normaliseModelOptions(model as unknown as ModelOptions);
    normaliseFitOptions(fit as FitOptions, config);
  } catch (error) {
    if (isOptionError(error)) throw new SweepSpecError(`${where}: ${flagMessage(error)}`);
    throw error;
  }
  return { model: model as unknown as ModelOptions, fit: fit as FitOptions };
}

/** The fit's plan for m training examples, with errors (iterations with mini-batches, ...) naming the trial. */
export function requirePlan(fit: FitOptions, model: ModelOptions, m: number, where: string): void {
  try {
    planFit(normaliseFitOptions(fit, normaliseModelOptions(model)), m);
  } catch (error) {
    throw new SweepSpecError(`${where}: ${(error as Error).message}`);
  }
}
