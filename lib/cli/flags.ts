// The command line's training flags, made from the options table (lib/model/options.ts): the flag, its value's
// name, its --help line and default come from the table, and its value is checked by the table's own check. A
// checked error names the flag from the option it carries.
import { type Command, InvalidArgumentError, Option } from 'commander';
import {
  type FitOptions,
  isOptionError,
  type ModelOptions,
  OPTIONS,
  type OptionKey,
  type OptionSpec,
} from '../model/options';
import { UsageError } from './data';

/** commander's attribute for a flag: "learning-rate" -> "learningRate". */
function attribute(flag: string): string {
  return flag.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function defaultHelp(spec: OptionSpec): string {
  if (spec.defaultText !== undefined) return ` (default: ${spec.defaultText})`;
  if (spec.default === undefined || typeof spec.default === 'function') return '';
  return ` (default: ${spec.default})`;
}

/** Adds the table's flag of each key to `command`; `help` replaces a line where the command line says more. */
export function addTableFlags(
  command: Command,
  keys: readonly OptionKey[],
  help: Partial<Record<OptionKey, string>> = {},
) {
  for (const key of keys) {
    const spec = OPTIONS[key] as OptionSpec;
    if (spec.flag === undefined) throw new Error(`options table: ${key} has no flag`);
    const { name, value, parse, choices } = spec.flag;
    if (value === '') {
      // a switch: --name and --no-name, unset unless given
      command.addOption(new Option(`--${name}`, help[key] ?? `${spec.doc}${defaultHelp(spec)}`));
      command.addOption(new Option(`--no-${name}`, `turn --${name} off`));
      continue;
    }
    const option = new Option(`--${name} <${value}>`, help[key] ?? `${spec.doc}${defaultHelp(spec)}`).argParser(
      (text: string) => {
        try {
          return parse(text);
        } catch (error) {
          throw new InvalidArgumentError(`${(error as Error).message}.`);
        }
      },
    );
    command.addOption(choices ? option.choices(choices) : option);
  }
  return command;
}

/** The options among `keys` that the user gave on the command line, by the table's keys. */
function given(parsed: Record<string, unknown>, keys: readonly OptionKey[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const spec = OPTIONS[key] as OptionSpec;
    const value = parsed[attribute(spec.flag!.name)];
    if (value !== undefined) out[key === 'fitSeed' ? 'seed' : key] = value;
  }
  return out;
}

export const MODEL_FLAGS: readonly OptionKey[] = [
  'layerDims',
  'output',
  'hiddenActivation',
  'optimizer',
  'learningRate',
  'decayRate',
  'decayEvery',
  'beta1',
  'beta2',
  'epsilon',
  'l2',
  'keepProb',
  'iterations',
  'epochs',
  'batchSize',
  'dtype',
  'init',
  'seed',
  'blasThreads',
];

/** The model options the command line gave (layerDims and output are decided with the data, by the caller). */
export function modelOptionsFrom(parsed: Record<string, unknown>): Omit<ModelOptions, 'layerDims'> {
  const keys = MODEL_FLAGS.filter((key) => (OPTIONS[key] as OptionSpec).scope === 'model' && key !== 'layerDims');
  return given(parsed, keys);
}

/** The fit options the command line gave. */
export function fitOptionsFrom(parsed: Record<string, unknown>): FitOptions {
  return given(
    parsed,
    MODEL_FLAGS.filter((key) => (OPTIONS[key] as OptionSpec).scope === 'fit'),
  ) as FitOptions;
}

/** "options.keepProb[1] must be ..." from the table -> "--keep-prob (entry 2) must be ...": named by the field. */
export function flagMessage(error: Error & { option: string; subject: string }): string {
  const spec = (OPTIONS as Record<string, OptionSpec>)[error.option === 'seed' ? 'seed' : error.option];
  const flag = spec?.flag ? `--${spec.flag.name}` : error.subject;
  let rest = error.message.startsWith(error.subject) ? error.message.slice(error.subject.length) : `: ${error.message}`;
  const entry = /^\[(\d+)\]/.exec(rest);
  if (entry) rest = ` (entry ${Number(entry[1]) + 1})${rest.slice(entry[0].length)}`;
  return `${flag}${rest}`;
}

/** Runs `action`; a TypeError/RangeError about an option becomes a UsageError that names its flag. */
export function asFlagError<T>(action: () => T): T {
  try {
    return action();
  } catch (error) {
    if (isOptionError(error)) throw new UsageError(flagMessage(error));
    throw error;
  }
}

/** --limit and other plain counts. */
export function positiveInteger(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1)
    throw new InvalidArgumentError('expected a positive integer.');
  return n;
}
