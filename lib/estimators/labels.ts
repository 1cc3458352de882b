// Labels as users have them (numbers or strings) to the class indices a network trains on, and back. The classes
// are the distinct training labels, sorted (numbers by value, strings by code point), and stored with the model.
import { describe } from '../checks';

export type Label = string | number;

function labelAt(labels: ArrayLike<unknown>, j: number, name: string): Label {
  const v = labels[j];
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new RangeError(`${name}[${j}] is ${v}; labels must be finite numbers or strings`);
    return v;
  }
  if (typeof v === 'string') return v;
  throw new TypeError(`${name}[${j}] must be a number or a string, got ${describe(v)}`);
}

function requireLabelList(labels: unknown, name: string): ArrayLike<unknown> {
  const list = labels as ArrayLike<unknown>;
  if (!Array.isArray(labels) && !(ArrayBuffer.isView(labels) && !(labels instanceof DataView)))
    throw new TypeError(`${name} must be an array of labels (numbers or strings), got ${describe(labels)}`);
  if (list.length === 0) throw new RangeError(`${name} is empty`);
  return list;
}

/** The sorted distinct labels; numbers and strings may not be mixed. */
export function findClasses(labels: ArrayLike<unknown>, name = 'labels'): Label[] {
  const list = requireLabelList(labels, name);
  const seen = new Set<Label>();
  let kind: 'number' | 'string' | undefined;
  for (let j = 0; j < list.length; j++) {
    const label = labelAt(list, j, name);
    const k = typeof label as 'number' | 'string';
    if (kind !== undefined && k !== kind)
      throw new TypeError(`${name} mixes numbers and strings (${name}[${j}] is ${describe(label)}); use one kind`);
    kind = k;
    seen.add(label);
  }
  const classes = [...seen];
  return kind === 'number'
    ? (classes as number[]).sort((a, b) => a - b)
    : (classes as string[]).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Each label's index in `classes`; a label the classes do not hold is a RangeError naming it. */
export function encodeLabels(labels: ArrayLike<unknown>, classes: readonly Label[], name = 'labels'): Uint32Array {
  const list = requireLabelList(labels, name);
  const index = new Map<Label, number>(classes.map((c, k) => [c, k]));
  const out = new Uint32Array(list.length);
  for (let j = 0; j < list.length; j++) {
    const k = index.get(labelAt(list, j, name));
    if (k === undefined)
      throw new RangeError(
        `${name}[${j}] is ${describe(list[j])}, not one of the model's classes (${classes
          .slice(0, 10)
          .map((c) => JSON.stringify(c))
          .join(', ')}${classes.length > 10 ? ', ...' : ''})`,
      );
    out[j] = k;
  }
  return out;
}

/** Regression targets: finite numbers, as a Float64Array. */
export function requireTargets(targets: unknown, name = 'targets'): Float64Array {
  const list = requireLabelList(targets, name);
  const out = new Float64Array(list.length);
  for (let j = 0; j < list.length; j++) {
    const v = list[j];
    if (typeof v !== 'number') throw new TypeError(`${name}[${j}] must be a number, got ${describe(v)}`);
    if (!Number.isFinite(v)) throw new RangeError(`${name}[${j}] is ${v}; targets must be finite`);
    out[j] = v;
  }
  return out;
}
