// Bad input, everywhere (issue 5): a table of wrong calls to the raw binding and to the tutorial's functions.
// Every row must throw the right class (TypeError: wrong kind of value; RangeError: right kind, wrong size or
// value), name the argument in its message, and leave every buffer it was given exactly as it was: outputs are
// filled with a sentinel first, inputs are snapshotted, and both are compared after the throw.
//
// Rows are grouped (one uvu test per group, listing every failing row at once). A row marked `knownBug` is a
// reported defect: it is expected to fail the checks until fixed, and the test fails when it starts passing, so
// the flag is removed then. Groups: the raw kernels, sizes and RandomState, the raw Network (its spec, its methods,
// detached and resizable buffers), the tutorial's functions, and the Model (its options, fit / fitAsync / evaluate
// / predict / setParameters / save / load), where "nothing written" also means model.flatParameters unchanged.
// Fixed behaviours that are not errors are asserted here too: SharedArrayBuffer-backed arrays work everywhere (the
// same results as ArrayBuffer-backed ones), sizes up to 2^53 elements are exact and larger ones a RangeError.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as dnn from '../lib/index';
import { Matrix, Model } from '../lib/index';
import native from '../lib/native';

// ---------------------------------------------------------------------------------------------------------
// Tracking buffers: every typed array a row makes is registered, snapshotted before the call, compared after.

type Typed = Float64Array | Float32Array | Int32Array | Uint32Array;
type DTypeName = 'f64' | 'f32';
type Loose = (...args: unknown[]) => unknown;

/** Written into every output before a call: a value no kernel produces from the inputs used here. */
const SENTINEL = -1234.5;

function inputValue(i: number): number {
  // in (0.1, 0.9): valid activations, probabilities and labels alike
  return 0.1 + (0.8 * ((i * 37) % 101)) / 101;
}

class Buffers {
  private tracked: { array: Typed; label: string; before: number[] }[] = [];

  /** An input: distinct values in (0.1, 0.9). */
  input(dtype: DTypeName, length: number, label = 'input'): Float64Array | Float32Array {
    const array = dtype === 'f64' ? new Float64Array(length) : new Float32Array(length);
    for (let i = 0; i < length; i++) array[i] = inputValue(i);
    return this.track(array, label);
  }

  /** An output: every element the sentinel. */
  output(dtype: DTypeName, length: number, label = 'output'): Float64Array | Float32Array {
    const array = dtype === 'f64' ? new Float64Array(length) : new Float32Array(length);
    array.fill(SENTINEL);
    return this.track(array, label);
  }

  track<T extends Typed>(array: T, label: string): T {
    this.tracked.push({ array, label, before: [] });
    return array;
  }

  snapshot(): void {
    // a detached array has length 0 (and Array.from would throw on it)
    for (const entry of this.tracked) entry.before = entry.array.length === 0 ? [] : Array.from(entry.array);
  }

  /** The first buffer that changed since snapshot(), described; undefined when none did. */
  changed(): string | undefined {
    for (const { array, label, before } of this.tracked) {
      if (array.length !== before.length) return `${label} changed length from ${before.length} to ${array.length}`;
      for (let i = 0; i < before.length; i++)
        if (!Object.is(array[i], before[i])) return `${label}[${i}] was written: ${before[i]} -> ${array[i]}`;
    }
    return undefined;
  }
}

function other(dtype: DTypeName): DTypeName {
  return dtype === 'f64' ? 'f32' : 'f64';
}

/** Detaches the array's buffer the way a transfer to a worker does. */
function detach(array: ArrayBufferView): void {
  structuredClone(array.buffer, { transfer: [array.buffer as ArrayBuffer] });
  assert.is(array.byteLength, 0, 'detach');
}

/** Detaches through a MessagePort transfer (postMessage), the other way buffers leave a thread. */
function detachByPostMessage(array: ArrayBufferView): void {
  const { port1, port2 } = new MessageChannel();
  port1.postMessage(array.buffer, [array.buffer as ArrayBuffer]);
  port1.close();
  port2.close();
  assert.is(array.byteLength, 0, 'detach by postMessage');
}

// ---------------------------------------------------------------------------------------------------------
// Rows and the runner.

type ErrorClass = typeof TypeError | typeof RangeError;

interface Row {
  label: string;
  /** Allocates (through `buffers`) and returns the call to make. */
  build: (buffers: Buffers) => () => unknown;
  error: ErrorClass;
  /** The message must name at least one of these (every one, with `allNames`). */
  names: string[];
  allNames?: boolean;
  /** Native rows: the message starts with "<function>: ". */
  prefix?: string;
  /** A reported defect: the row fails today; the test fails once it passes, so the flag gets removed. */
  knownBug?: string;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** True when `name` appears in `message` as a whole name (not inside a longer identifier). */
export function namesArgument(message: string, name: string): boolean {
  return new RegExp(`(^|[^A-Za-z0-9_.])${escapeRegExp(name)}($|[^A-Za-z0-9_])`).test(message);
}

/** Runs one row; returns what went wrong, or undefined when it behaved as the spec says. */
function check(row: Row): string | undefined {
  const buffers = new Buffers();
  let call: () => unknown;
  try {
    call = row.build(buffers);
  } catch (error) {
    return `building the row threw ${String(error)}`;
  }
  buffers.snapshot();
  let thrown: unknown;
  try {
    call();
  } catch (error) {
    thrown = error;
  }
  return judge(row, thrown, buffers);
}

/** What is wrong with the outcome of a row's call (`thrown`: what it threw, undefined if nothing). */
function judge(row: Row, thrown: unknown, buffers: Buffers): string | undefined {
  const problems: string[] = [];
  if (thrown === undefined) problems.push('did not throw');
  else if (!(thrown instanceof Error)) problems.push(`threw a non-Error ${String(thrown)}`);
  else {
    const message = thrown.message;
    if (thrown.constructor !== row.error)
      problems.push(`threw ${thrown.constructor.name} (${message}), expected ${row.error.name}`);
    const named = row.allNames
      ? row.names.every((n) => namesArgument(message, n))
      : row.names.some((n) => namesArgument(message, n));
    if (!named) problems.push(`message "${message}" does not name ${row.names.join(row.allNames ? ' and ' : ' or ')}`);
    if (row.prefix && !message.startsWith(`${row.prefix}: `))
      problems.push(`message "${message}" does not start with "${row.prefix}: "`);
  }
  const changed = buffers.changed();
  if (changed) problems.push(changed);
  return problems.length ? problems.join('; ') : undefined;
}

const openKnownBugs = new Set<string>();
/** DNN_TEST_VERBOSE=1 prints each known-bug row's current misbehaviour and the row counts. */
const VERBOSE = process.env.DNN_TEST_VERBOSE === '1';
let rowCount = 0;

/** Checks every row; fails listing each misbehaving row, and each known-bug row that now passes. */
function runRows(rows: Row[]): void {
  assert.ok(rows.length > 0, 'no rows');
  rowCount += rows.length;
  const failures: string[] = [];
  for (const row of rows) {
    const problem = check(row);
    if (row.knownBug) {
      if (problem === undefined) failures.push(`${row.label}: passes now; remove knownBug "${row.knownBug}"`);
      else openKnownBugs.add(row.knownBug);
      if (VERBOSE && problem !== undefined) console.log(`  known bug ${row.knownBug}: ${row.label}: ${problem}`);
    } else if (problem !== undefined) {
      failures.push(`${row.label}: ${problem}`);
    }
  }
  if (failures.length)
    assert.unreachable(`${failures.length} of ${rows.length} rows failed:\n  ${failures.join('\n  ')}`);
}

// ---------------------------------------------------------------------------------------------------------
// The raw per-layer kernels, described once; the rows are generated from the descriptions.

interface Dims {
  n: number;
  nPrev: number;
  m: number;
}
const DIMS: Dims = { n: 3, nPrev: 4, m: 5 };

type Arg =
  | { kind: 'array'; name: string; role: 'in' | 'out' | 'inout' | 'optionalOut'; size: (d: Dims) => number }
  | { kind: 'dim'; name: keyof Dims }
  | { kind: 'activation'; name: 'activation' }
  | { kind: 'rate'; name: 'learningRate' }
  /** momentum's β, Adam's β1 and β2: in [0, 1) */
  | { kind: 'fraction'; name: string }
  /** Adam's ε: positive and finite */
  | { kind: 'epsilon'; name: 'epsilon' }
  /** Adam's step count t: a positive integer */
  | { kind: 'step'; name: 't' };

interface KernelSpec {
  fn: keyof typeof native;
  args: Arg[];
  /** Element-wise kernels: the array every other length is compared with (then a length error may name either). */
  reference?: string;
  /** Output pairs that may be the very same array (A and Z), though not partly overlapping. */
  mayAlias?: [string, string][];
}

const nm = (d: Dims) => d.n * d.m;
const array = (name: string, role: 'in' | 'out' | 'inout' | 'optionalOut', size: (d: Dims) => number): Arg => ({
  kind: 'array',
  name,
  role,
  size,
});
const dimArgs: Arg[] = [
  { kind: 'dim', name: 'n' },
  { kind: 'dim', name: 'nPrev' },
  { kind: 'dim', name: 'm' },
];
const nAndM: Arg[] = [
  { kind: 'dim', name: 'n' },
  { kind: 'dim', name: 'm' },
];
const rate: Arg = { kind: 'rate', name: 'learningRate' };
const fraction = (name: string): Arg => ({ kind: 'fraction', name });
const activationArg: Arg = { kind: 'activation', name: 'activation' };
/** The first code that is not an activation (the codes are 0, 1, ... with no gaps; more get appended). */
const ACTIVATION_COUNT = Object.keys(native.Activation).length;

const KERNELS: KernelSpec[] = [
  {
    fn: 'linearForward',
    args: [
      array('Z', 'out', nm),
      array('W', 'in', (d) => d.n * d.nPrev),
      array('A_prev', 'in', (d) => d.nPrev * d.m),
      array('b', 'in', (d) => d.n),
      ...dimArgs,
    ],
  },
  {
    fn: 'linearActivationForward',
    args: [
      array('A', 'out', nm),
      array('Z', 'out', nm),
      array('W', 'in', (d) => d.n * d.nPrev),
      array('A_prev', 'in', (d) => d.nPrev * d.m),
      array('b', 'in', (d) => d.n),
      ...dimArgs,
      activationArg,
    ],
    mayAlias: [['A', 'Z']],
  },
  {
    fn: 'activationForward',
    args: [array('A', 'out', nm), array('Z', 'in', nm), activationArg],
    reference: 'Z',
    mayAlias: [['A', 'Z']],
  },
  {
    fn: 'activationBackward',
    args: [array('dZ', 'out', nm), array('dA', 'in', nm), array('Z', 'in', nm), activationArg],
    reference: 'Z',
  },
  {
    fn: 'linearBackward',
    args: [
      array('dA_prev', 'optionalOut', (d) => d.nPrev * d.m),
      array('dW', 'out', (d) => d.n * d.nPrev),
      array('db', 'out', (d) => d.n),
      array('dZ', 'in', nm),
      array('A_prev', 'in', (d) => d.nPrev * d.m),
      array('W', 'in', (d) => d.n * d.nPrev),
      ...dimArgs,
    ],
  },
  { fn: 'binaryCrossEntropy', args: [array('AL', 'in', nm), array('Y', 'in', nm), ...nAndM] },
  { fn: 'binaryCrossEntropyFromLogits', args: [array('Z', 'in', nm), array('Y', 'in', nm), ...nAndM] },
  {
    fn: 'binaryCrossEntropyBackward',
    args: [array('dAL', 'out', nm), array('AL', 'in', nm), array('Y', 'in', nm)],
    reference: 'AL',
  },
  {
    fn: 'sigmoidCrossEntropyBackward',
    args: [array('dZ', 'out', nm), array('AL', 'in', nm), array('Y', 'in', nm)],
    reference: 'AL',
  },
  { fn: 'sgdUpdate', args: [array('param', 'inout', nm), array('grad', 'in', nm), rate], reference: 'param' },
  // issue 6: softmax, its cross-entropy, and the optimisers
  { fn: 'softmaxForward', args: [array('A', 'out', nm), array('Z', 'in', nm), ...nAndM], mayAlias: [['A', 'Z']] },
  { fn: 'categoricalCrossEntropy', args: [array('AL', 'in', nm), array('Y', 'in', nm), ...nAndM] },
  { fn: 'categoricalCrossEntropyFromLogits', args: [array('Z', 'in', nm), array('Y', 'in', nm), ...nAndM] },
  {
    fn: 'momentumUpdate',
    args: [
      array('param', 'inout', nm),
      array('grad', 'in', nm),
      array('velocity', 'inout', nm),
      rate,
      fraction('beta'),
    ],
    reference: 'param',
  },
  {
    fn: 'adamUpdate',
    args: [
      array('param', 'inout', nm),
      array('grad', 'in', nm),
      array('v', 'inout', nm),
      array('s', 'inout', nm),
      rate,
      fraction('beta1'),
      fraction('beta2'),
      { kind: 'epsilon', name: 'epsilon' },
      { kind: 'step', name: 't' },
    ],
    reference: 'param',
  },
];

/** A value for one argument slot: a replacement builder, or undefined to build the default. */
type Override = (buffers: Buffers, dtype: DTypeName, dims: Dims) => unknown;

function buildArgs(
  spec: KernelSpec,
  dtype: DTypeName,
  buffers: Buffers,
  overrides: Map<number, Override> = new Map(),
  dims: Dims = DIMS,
): unknown[] {
  return spec.args.map((arg, index) => {
    const override = overrides.get(index);
    if (override) return override(buffers, dtype, dims);
    switch (arg.kind) {
      case 'array':
        return arg.role === 'out' || arg.role === 'optionalOut'
          ? buffers.output(dtype, arg.size(DIMS), arg.name)
          : buffers.input(dtype, arg.size(DIMS), arg.name);
      case 'dim':
        return dims[arg.name];
      case 'activation':
        return native.Activation.relu;
      case 'rate':
        return 0.1;
      case 'fraction':
        return 0.9;
      case 'epsilon':
        return 1e-8;
      case 'step':
        return 3;
    }
  });
}

function kernelCall(spec: KernelSpec, args: unknown[]): () => unknown {
  const fn = native[spec.fn] as unknown as Loose;
  return () => fn(...args);
}

/** Which arrays' lengths depend on the given dim. */
function arraysUsing(spec: KernelSpec, dim: keyof Dims): string[] {
  return spec.args.flatMap((arg) =>
    arg.kind === 'array' && arg.size({ ...DIMS, [dim]: DIMS[dim] + 1 }) !== arg.size(DIMS) ? [arg.name] : [],
  );
}

function kernelRows(spec: KernelSpec, dtype: DTypeName): Row[] {
  const rows: Row[] = [];
  const arrays = spec.args.filter((a): a is Extract<Arg, { kind: 'array' }> => a.kind === 'array');
  const row = (
    label: string,
    overrides: [number, Override][],
    error: ErrorClass,
    names: string[],
    extra: Partial<Row> = {},
  ): void => {
    rows.push({
      label: `${spec.fn} (${dtype}): ${label}`,
      build: (buffers) => kernelCall(spec, buildArgs(spec, dtype, buffers, new Map(overrides))),
      error,
      names,
      prefix: spec.fn,
      ...extra,
    });
  };

  spec.args.forEach((arg, index) => {
    if (arg.kind === 'array') {
      const len = arg.size(DIMS);
      const fill = (b: Buffers, d: DTypeName, length: number, label: string) =>
        arg.role === 'out' || arg.role === 'optionalOut' ? b.output(d, length, label) : b.input(d, length, label);
      const lengthNames = arg.name === spec.reference ? arrays.map((a) => a.name) : [arg.name];
      row(
        `${arg.name} as a plain Array`,
        [[index, () => Array.from({ length: len }, (_, i) => inputValue(i))]],
        TypeError,
        [arg.name],
      );
      row(`${arg.name} as an Int32Array`, [[index, (b) => b.track(new Int32Array(len).fill(7), arg.name)]], TypeError, [
        arg.name,
      ]);
      row(
        `${arg.name} as a ${other(dtype)} array among ${dtype} ones`,
        [[index, (b, d) => fill(b, other(d), len, arg.name)]],
        TypeError,
        [arg.name],
      );
      row(`${arg.name} as a number`, [[index, () => 3]], TypeError, [arg.name]);
      if (arg.role !== 'optionalOut') row(`${arg.name} null`, [[index, () => null]], TypeError, [arg.name]);
      row(
        `${arg.name} detached`,
        [
          [
            index,
            (b, d) => {
              const a = fill(b, d, len, arg.name);
              detach(a);
              return a;
            },
          ],
        ],
        RangeError,
        [arg.name],
      );
      row(`${arg.name} zero-length`, [[index, (b, d) => fill(b, d, 0, arg.name)]], RangeError, [arg.name]);
      row(
        `${arg.name} one element too short`,
        [[index, (b, d) => fill(b, d, len - 1, arg.name)]],
        RangeError,
        lengthNames,
      );
      row(
        `${arg.name} one element too long`,
        [[index, (b, d) => fill(b, d, len + 1, arg.name)]],
        RangeError,
        lengthNames,
      );
    } else if (arg.kind === 'dim') {
      for (const bad of [0, -1, -3, 1.5, NaN, Infinity, -Infinity, 2 ** 31, 2 ** 53 + 2, 1e300])
        row(`${arg.name} = ${bad}`, [[index, () => bad]], RangeError, [arg.name]);
      for (const bad of ['3', null, undefined, 3n, { valueOf: () => 3 }])
        row(
          `${arg.name} = ${typeof bad === 'object' && bad ? 'an object' : String(bad)} (${typeof bad})`,
          [[index, () => bad]],
          TypeError,
          [arg.name],
        );
      const users = arraysUsing(spec, arg.name);
      row(`${arg.name} one more than the buffers hold`, [[index, () => DIMS[arg.name] + 1]], RangeError, users);
      row(
        `${arg.name} = 2147483647 (valid integer, buffers far too short)`,
        [[index, () => 2147483647]],
        RangeError,
        users,
      );
    } else if (arg.kind === 'activation') {
      for (const bad of [ACTIVATION_COUNT, -1, 0.5, NaN, Infinity, 2 ** 32 + 1])
        row(`activation = ${bad}`, [[index, () => bad]], RangeError, ['activation']);
      // softmax needs whole columns: the element-wise kernels refuse it
      if ('softmax' in native.Activation && (spec.fn === 'activationForward' || spec.fn === 'activationBackward'))
        row(
          'activation = softmax',
          [[index, () => (native.Activation as Record<string, number>).softmax]],
          RangeError,
          ['activation', 'softmax'],
        );
      for (const bad of ['relu', null, undefined])
        row(`activation = ${String(bad)}`, [[index, () => bad]], TypeError, ['activation']);
    } else if (arg.kind === 'rate') {
      for (const bad of [NaN, Infinity, -Infinity])
        row(`learningRate = ${bad}`, [[index, () => bad]], RangeError, ['learningRate']);
      for (const bad of ['0.1', null, undefined])
        row(`learningRate = ${String(bad)}`, [[index, () => bad]], TypeError, ['learningRate']);
    } else if (arg.kind === 'fraction') {
      for (const bad of [1, 1 + 2 ** -52, 1.5, -0.1, NaN, Infinity, -Infinity])
        row(`${arg.name} = ${bad}`, [[index, () => bad]], RangeError, [arg.name]);
      for (const bad of ['0.9', null, undefined, 1n])
        row(`${arg.name} = ${String(bad)} (${typeof bad})`, [[index, () => bad]], TypeError, [arg.name]);
    } else if (arg.kind === 'epsilon') {
      for (const bad of [0, -0, -1e-8, NaN, Infinity, -Infinity])
        row(`epsilon = ${Object.is(bad, -0) ? '-0' : bad}`, [[index, () => bad]], RangeError, ['epsilon']);
      for (const bad of ['1e-8', null, undefined])
        row(`epsilon = ${String(bad)}`, [[index, () => bad]], TypeError, ['epsilon']);
    } else {
      for (const bad of [0, -1, 1.5, NaN, Infinity, 2 ** 31, 2 ** 53 + 2])
        row(`t = ${bad}`, [[index, () => bad]], RangeError, ['t']);
      for (const bad of ['3', null, undefined, 3n])
        row(`t = ${String(bad)} (${typeof bad})`, [[index, () => bad]], TypeError, ['t']);
    }
  });

  // Outputs that partly overlap another argument: the kernels assume no aliasing, so this must be refused.
  spec.args.forEach((out, i) => {
    if (out.kind !== 'array' || out.role === 'in') return;
    spec.args.forEach((arg, j) => {
      if (j === i || arg.kind !== 'array' || (j < i && arg.role !== 'in')) return;
      const outLen = out.size(DIMS),
        argLen = arg.size(DIMS);
      let shared: Float64Array | Float32Array | undefined;
      const sharedBuffer = (b: Buffers, d: DTypeName) =>
        (shared ??= b.input(d, outLen + argLen - 1, `buffer shared by ${out.name} and ${arg.name}`));
      row(
        `${out.name} overlaps ${arg.name} by one element`,
        [
          [i, (b, d) => sharedBuffer(b, d).subarray(0, outLen)],
          [j, (b, d) => sharedBuffer(b, d).subarray(outLen - 1)],
        ],
        RangeError,
        [out.name, arg.name],
        { allNames: true },
      );
    });
  });

  const count = spec.args.length;
  rows.push({
    label: `${spec.fn} (${dtype}): called with ${count - 1} of ${count} arguments`,
    build: (buffers) => kernelCall(spec, buildArgs(spec, dtype, buffers).slice(0, -1)),
    error: TypeError,
    names: [`expected ${count} arguments`],
    prefix: spec.fn,
  });
  return rows;
}

// The base call of every kernel is valid, and writes its outputs: so each row above isolates its one defect, and
// the sentinel check can fail.
for (const spec of KERNELS) {
  for (const dtype of ['f64', 'f32'] as const) {
    test(`raw ${spec.fn} (${dtype}): the base call is valid and writes every output`, () => {
      const buffers = new Buffers();
      const args = buildArgs(spec, dtype, buffers);
      buffers.snapshot();
      kernelCall(spec, args)();
      spec.args.forEach((arg, index) => {
        if (arg.kind !== 'array' || arg.role === 'in') return;
        const written = args[index] as Float64Array | Float32Array;
        assert.ok(
          written.every((v) => v !== SENTINEL && Number.isFinite(v)),
          `${arg.name} fully written`,
        );
      });
      // the optimisers update param in place: every element moved
      spec.args.forEach((arg, index) => {
        if (arg.kind !== 'array' || arg.name !== 'param') return;
        const updated = args[index] as Float64Array | Float32Array;
        const round = updated instanceof Float32Array ? Math.fround : (x: number) => x;
        assert.ok(
          updated.every((v, i) => v !== round(inputValue(i)) && Number.isFinite(v)),
          'param updated in place',
        );
      });
    });
  }
}

for (const spec of KERNELS) {
  test(`raw ${spec.fn}: bad arguments throw TypeError/RangeError naming them, writing nothing`, () => {
    runRows([...kernelRows(spec, 'f64'), ...kernelRows(spec, 'f32')]);
  });
}

test('raw linearBackward: dA_prev may be null or undefined (not computed), and then is not required', () => {
  const spec = KERNELS.find((s) => s.fn === 'linearBackward')!;
  for (const skip of [null, undefined]) {
    const buffers = new Buffers();
    const args = buildArgs(spec, 'f64', buffers, new Map([[0, () => skip]]));
    kernelCall(spec, args)();
    assert.ok(
      (args[1] as Float64Array).every((v) => v !== SENTINEL),
      'dW written',
    );
  }
});

// gatherColumns(out, X, n, indices): out (n, indices.length) = the columns of X (n, ·) at indices, in order.
const GATHER = { n: 3, columns: 5, indices: [4, 0, 2, 2] };

function gatherRows(dtype: DTypeName): Row[] {
  const rows: Row[] = [];
  const { n, columns, indices } = GATHER;
  type GatherArgs = [unknown, unknown, unknown, unknown];
  const valid = (b: Buffers): GatherArgs => [
    b.output(dtype, n * indices.length, 'out'),
    b.input(dtype, n * columns, 'X'),
    n,
    b.track(Uint32Array.from(indices), 'indices'),
  ];
  const row = (
    label: string,
    edit: (args: GatherArgs, b: Buffers) => void,
    error: ErrorClass,
    names: string[],
    extra: Partial<Row> = {},
  ) =>
    rows.push({
      label: `gatherColumns (${dtype}): ${label}`,
      build: (b) => {
        const args = valid(b);
        edit(args, b);
        return () => (native.gatherColumns as Loose)(...args);
      },
      error,
      names,
      prefix: 'gatherColumns',
      ...extra,
    });
  for (const [index, name, length] of [
    [0, 'out', n * indices.length],
    [1, 'X', n * columns],
  ] as const) {
    const make = (b: Buffers, d: DTypeName, len: number) =>
      index === 0 ? b.output(d, len, name) : b.input(d, len, name);
    row(`${name} a plain Array`, (a) => (a[index] = new Array(length).fill(0.5)), TypeError, [name]);
    row(`${name} an Int32Array`, (a, b) => (a[index] = b.track(new Int32Array(length), name)), TypeError, [name]);
    row(`${name} a ${other(dtype)} array`, (a, b) => (a[index] = make(b, other(dtype), length)), TypeError, [name]);
    row(`${name} null`, (a) => (a[index] = null), TypeError, [name]);
    row(
      `${name} detached`,
      (a, b) => {
        const x = make(b, dtype, length);
        detach(x);
        a[index] = x;
      },
      RangeError,
      [name],
    );
    row(`${name} zero-length`, (a, b) => (a[index] = make(b, dtype, 0)), RangeError, [name]);
    row(`${name} one element too short`, (a, b) => (a[index] = make(b, dtype, length - 1)), RangeError, [name]);
    row(`${name} one element too long`, (a, b) => (a[index] = make(b, dtype, length + 1)), RangeError, [name]);
  }
  for (const bad of [0, -1, 1.5, NaN, Infinity, 2 ** 31]) row(`n = ${bad}`, (a) => (a[2] = bad), RangeError, ['n']);
  for (const bad of ['3', null, undefined]) row(`n = ${String(bad)}`, (a) => (a[2] = bad), TypeError, ['n']);
  // n = 5: X (15 values) is 3 columns of 5, so out must hold 5 x 4
  row('n = 5 (X splits into columns, out has the wrong length)', (a) => (a[2] = 5), RangeError, ['out']);
  for (const [what, make] of [
    ['a Float64Array', (b: Buffers) => b.track(new Float64Array(indices), 'indices')],
    ['an Int32Array', (b: Buffers) => b.track(Int32Array.from(indices), 'indices')],
    ['a plain Array', () => [...indices]],
    ['null', () => null],
    ['a number', () => 4],
  ] as const)
    row(`indices ${what}`, (a, b) => (a[3] = make(b)), TypeError, ['indices']);
  row('indices empty', (a) => (a[3] = new Uint32Array(0)), RangeError, ['indices']);
  row(
    'indices naming column 5 of 5',
    (a, b) => (a[3] = b.track(Uint32Array.from([4, 5, 0, 1]), 'indices')),
    RangeError,
    ['indices[1]', 'indices'],
  );
  row(
    'indices naming column 2^32 - 1',
    (a, b) => (a[3] = b.track(Uint32Array.from([0, 0, 0, 4294967295]), 'indices')),
    RangeError,
    ['indices[3]', 'indices'],
  );
  row(
    'out overlaps X by one element',
    (a, b) => {
      const shared = b.input(dtype, n * indices.length + n * columns - 1, 'buffer shared by out and X');
      a[0] = shared.subarray(0, n * indices.length);
      a[1] = shared.subarray(n * indices.length - 1);
    },
    RangeError,
    ['out', 'X'],
    { allNames: true },
  );
  rows.push({
    label: `gatherColumns (${dtype}): called with 3 of 4 arguments`,
    build: (b) => {
      const a = valid(b);
      return () => (native.gatherColumns as Loose)(...a.slice(0, 3));
    },
    error: TypeError,
    names: ['expected 4 arguments'],
    prefix: 'gatherColumns',
  });
  return rows;
}

test('raw gatherColumns: the base call gathers the columns in order; bad arguments are named, nothing written', () => {
  for (const dtype of ['f64', 'f32'] as const) {
    const buffers = new Buffers();
    const out = buffers.output(dtype, GATHER.n * GATHER.indices.length, 'out');
    const X = buffers.input(dtype, GATHER.n * GATHER.columns, 'X');
    // indices over a SharedArrayBuffer work like any other
    const indices = new Uint32Array(new SharedArrayBuffer(4 * GATHER.indices.length));
    indices.set(GATHER.indices);
    native.gatherColumns(out, X, GATHER.n, indices);
    const expected = GATHER.indices.flatMap((column) =>
      Array.from(X.subarray(column * GATHER.n, (column + 1) * GATHER.n)),
    );
    assert.equal(Array.from(out), expected, `${dtype} gathered`);
  }
  runRows([...gatherRows('f64'), ...gatherRows('f32')]);
});

// out overlapping indices (a Float32Array and a Uint32Array over one ArrayBuffer): the kernel writes out[j] over
// indices[j + 1] before reading it, then reads X at the float's bit pattern as a column index. Today: SIGSEGV (the
// bounds check of the indices ran before the kernel). It must be refused like out overlapping X.
test('raw gatherColumns: out overlapping indices is refused, not a crash', () => {
  childProcessCase(
    'gather-indices-overlap',
    `
    const X = new Float32Array([1, 2, 3]);
    const bytes = new ArrayBuffer(20);
    const indices = new Uint32Array(bytes, 0, 4); // bytes 0..15
    indices.set([0, 1, 2, 0]);
    const out = new Float32Array(bytes, 4, 4); // bytes 4..19: out[j] is indices[j + 1]
    try { native.gatherColumns(out, X, 1, indices); console.log('returned', Array.from(out)); } catch (e) { console.log('threw', e.constructor.name, e.message); }`,
  );
});

// Numbers in messages are printed as JavaScript prints them: short, never hundreds of digits.
test('raw binding: a huge or tiny number in an error message is printed short (1e+301, not 302 digits)', () => {
  const message = (call: () => unknown) => {
    try {
      call();
    } catch (error) {
      return (error as Error).message;
    }
    return 'returned';
  };
  const cases: [() => unknown, string][] = [
    [
      () => native.parameterCount([1e301, 1]),
      'parameterCount: layerDims[0] must be a positive integer (at most 2147483647), got 1e+301',
    ],
    [
      () => native.parameterCount([4, -1e-7]),
      'parameterCount: layerDims[1] must be a positive integer (at most 2147483647), got -1e-7',
    ],
    [() => native.setNumThreads(2.5), 'setNumThreads: n must be a positive integer (at most 2147483647), got 2.5'],
    [
      () => new native.RandomState(-1.7976931348623157e308),
      'new RandomState: seed must be an integer from 0 to 4294967295, got -1.7976931348623157e+308',
    ],
  ];
  for (const [call, expected] of cases) assert.is(message(call), expected);
});

// ---------------------------------------------------------------------------------------------------------
// The raw sizes, thread count and RandomState.

function simpleRows(): Row[] {
  const rows: Row[] = [];
  const add = (
    label: string,
    call: () => unknown,
    error: ErrorClass,
    names: string[],
    prefix?: string,
    knownBug?: string,
  ) => rows.push({ label, build: () => call, error, names, prefix, knownBug });
  const badDims: [unknown, ErrorClass, string][] = [
    [undefined, TypeError, 'layerDims'],
    ['3,2', TypeError, 'layerDims'],
    [new Int32Array([3, 2]), TypeError, 'layerDims'],
    [[], RangeError, 'layerDims'],
    [[3], RangeError, 'layerDims'],
    [[3, 0], RangeError, 'layerDims[1]'],
    [[3, -2], RangeError, 'layerDims[1]'],
    [[3, 1.5], RangeError, 'layerDims[1]'],
    [[NaN, 2], RangeError, 'layerDims[0]'],
    [[3, Infinity], RangeError, 'layerDims[1]'],
    [[3, 2 ** 31], RangeError, 'layerDims[1]'],
    [[3, '2'], TypeError, 'layerDims[1]'],
    [[3, null], TypeError, 'layerDims[1]'],
    [[3, 2, , 1], TypeError, 'layerDims[2]'],
  ];
  const withCapacity = ['workspaceLength', 'maskLength', 'networkLayout'] as const;
  for (const [dims, error, name] of badDims) {
    add(
      `parameterCount(${describeValue(dims)})`,
      () => (native.parameterCount as Loose)(dims),
      error,
      [name],
      'parameterCount',
    );
    for (const fn of withCapacity)
      add(`${fn}(${describeValue(dims)}, 4)`, () => (native[fn] as Loose)(dims, 4), error, [name], fn);
  }
  for (const fn of withCapacity) {
    for (const capacity of [0, -1, 2.5, NaN, Infinity, 2 ** 31])
      add(`${fn}([3, 2], ${capacity})`, () => (native[fn] as Loose)([3, 2], capacity), RangeError, ['capacity'], fn);
    add(`${fn}([3, 2], "4")`, () => (native[fn] as Loose)([3, 2], '4'), TypeError, ['capacity'], fn);
    add(`${fn}([3, 2])`, () => (native[fn] as Loose)([3, 2]), TypeError, ['expected 2 arguments'], fn);
  }
  add(
    'parameterCount()',
    () => (native.parameterCount as Loose)(),
    TypeError,
    ['expected 1 arguments', 'expected 1 argument'],
    'parameterCount',
  );
  // Sizes above 2^53 elements (no array can be that long, and a double would round them; in size_t they used to
  // wrap around 2^64, to 179473 and 272157 for WRAPPING_DIMS): a RangeError naming layerDims (and capacity).
  add(
    'parameterCount(dims whose count passes 2^64)',
    () => native.parameterCount(WRAPPING_DIMS),
    RangeError,
    ['layerDims'],
    'parameterCount',
  );
  add(
    'parameterCount(dims with 2^53 + 2^31 parameters)',
    () => native.parameterCount([2147483647, 4194305]),
    RangeError,
    ['layerDims'],
    'parameterCount',
  );
  for (const fn of withCapacity) {
    add(
      `${fn}(dims, capacity whose length passes 2^64)`,
      () => native[fn](WRAPPING_DIMS, WRAPPING_CAPACITY),
      RangeError,
      ['layerDims', 'capacity'],
      fn,
    );
    add(
      `${fn}(dims with 2^53 + 2^31 parameters, 1)`,
      () => native[fn]([2147483647, 4194305], 1),
      RangeError,
      ['layerDims'],
      fn,
    );
    // (2 (2^20 + 2^21) + 2^21) · (2^30 + 1) = 2^53 + 2^23 workspace elements
    add(
      `${fn}(dims, capacity with a workspace of 2^53 + 2^23)`,
      () => native[fn]([1, 1048576, 2097152], 2 ** 30 + 1),
      RangeError,
      ['capacity'],
      fn,
    );
  }

  for (const n of [0, -1, 1.5, NaN, Infinity, 1025, 2 ** 31])
    add(`setNumThreads(${n})`, () => (native.setNumThreads as Loose)(n), RangeError, ['n'], 'setNumThreads');
  for (const n of ['2', null, undefined])
    add(`setNumThreads(${String(n)})`, () => (native.setNumThreads as Loose)(n), TypeError, ['n'], 'setNumThreads');

  const RS = native.RandomState as unknown as new (...args: unknown[]) => InstanceType<typeof native.RandomState>;
  for (const seed of [-1, 1.5, NaN, Infinity, 2 ** 32])
    add(`new RandomState(${seed})`, () => new RS(seed), RangeError, ['seed'], 'new RandomState');
  for (const seed of ['1', null, undefined])
    add(`new RandomState(${String(seed)})`, () => new RS(seed), TypeError, ['seed'], 'new RandomState');
  add(
    'new RandomState()',
    () => new RS(),
    TypeError,
    ['expected 1 arguments', 'expected 1 argument'],
    'new RandomState',
  );
  add(
    'RandomState.seed(-1)',
    () => (new native.RandomState(1).seed as Loose)(-1),
    RangeError,
    ['seed'],
    'RandomState.seed',
  );
  for (const method of ['standardNormal', 'uniform'] as const) {
    for (const [out, what] of [
      [new Float32Array(3), 'a Float32Array'],
      [[0, 0, 0], 'a plain Array'],
      [new Int32Array(3), 'an Int32Array'],
      [null, 'null'],
    ] as const) {
      rows.push({
        label: `RandomState.${method}(${what})`,
        build: (buffers) => {
          if (ArrayBuffer.isView(out)) buffers.track(out as Typed, 'out');
          const rng = new native.RandomState(1);
          return () => (rng[method] as Loose).call(rng, out);
        },
        error: TypeError,
        names: ['out'],
        prefix: `RandomState.${method}`,
      });
    }
  }
  for (const [values, what] of [
    [new Float64Array(3), 'a Float64Array'],
    [[0, 1, 2], 'a plain Array'],
    [new Int32Array(3), 'an Int32Array'],
  ] as const) {
    rows.push({
      label: `RandomState.shuffle(${what})`,
      build: (buffers) => {
        if (ArrayBuffer.isView(values)) buffers.track(values as Typed, 'values');
        const rng = new native.RandomState(1);
        return () => (rng.shuffle as Loose).call(rng, values);
      },
      error: TypeError,
      names: ['values'],
      prefix: 'RandomState.shuffle',
    });
  }
  return rows;
}

function describeValue(value: unknown): string {
  if (Array.isArray(value))
    return `[${Array.from(value, (v) => (typeof v === 'string' ? JSON.stringify(v) : String(v))).join(', ')}]`;
  if (ArrayBuffer.isView(value)) return value.constructor.name;
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

test('raw parameterCount, workspaceLength, maskLength: exact up to 2^53 elements, refused beyond', () => {
  assert.is(native.parameterCount([4, 3, 1]), 3 * 5 + 1 * 4);
  assert.is(native.workspaceLength([4, 3, 1], 5), (2 * 4 + 1) * 5);
  assert.is(native.maskLength([4, 3, 1], 5), 3 * 5);
  assert.is(native.maskLength([4, 1], 5), 0, 'no hidden layer, no masks');
  // right at the limit: 2^22 · 2^31 parameters; (2 (2^20 + 2^21) + 2^21) · 2^30 workspace elements
  assert.is(native.parameterCount([2147483647, 4194304]), 2 ** 53);
  assert.is(native.workspaceLength([1, 1048576, 2097152], 2 ** 30), 2 ** 53);
  assert.is(native.maskLength([1, 1048576, 2097152], 2 ** 30), 2 ** 50);
  assert.throws(
    () => native.parameterCount([2147483647, 4194305]),
    (e: unknown) => e instanceof RangeError && /parameterCount: layerDims.*2\^53/.test((e as Error).message),
  );
  assert.throws(
    () => native.workspaceLength([1, 1048576, 2097152], 2 ** 30 + 1),
    (e: unknown) =>
      e instanceof RangeError &&
      /workspaceLength: layerDims and capacity: the workspace.*2\^53/.test((e as Error).message),
  );
});

test('raw parameterCount, workspaceLength, maskLength, setNumThreads, RandomState: bad arguments are named', () => {
  const threads = native.getNumThreads();
  runRows(simpleRows());
  assert.is(native.getNumThreads(), threads, 'thread count unchanged by the failed calls');
});

test('raw RandomState: a failed call does not advance the generator', () => {
  const rng = new native.RandomState(7);
  assert.throws(() => (rng.standardNormal as Loose).call(rng, new Float32Array(2)));
  const after = new Float64Array(3);
  rng.standardNormal(after);
  const fresh = new Float64Array(3);
  new native.RandomState(7).standardNormal(fresh);
  assert.equal(Array.from(after), Array.from(fresh));
});

// ---------------------------------------------------------------------------------------------------------
// The raw Network: its constructor's spec, then its methods on a live network.

const NET_DIMS = [4, 3, 1];
const NET_CAPACITY = 5;

type FloatArr = Float64Array | Float32Array;
type BufferName =
  | 'params'
  | 'nextParams'
  | 'grads'
  | 'workspace'
  | 'masks'
  | 'velocity'
  | 'squares'
  | 'nextVelocity'
  | 'nextSquares';

interface NetBuffers {
  params: FloatArr;
  nextParams: FloatArr | null;
  grads: FloatArr;
  workspace: FloatArr;
  masks?: FloatArr;
  velocity?: FloatArr;
  squares?: FloatArr;
  nextVelocity?: FloatArr;
  nextSquares?: FloatArr;
}

/** 'plain': the tutorial's network; 'full': L2, dropout on the hidden layer and Adam, so every buffer is bound. */
type NetKind = 'plain' | 'full';

const NET_OPTIONS: Record<NetKind, Record<string, unknown>> = {
  plain: {},
  full: {
    l2: 0.1,
    keepProb: [0.5, 1],
    dropoutSeed: 3,
    optimizer: native.Optimizer.adam,
    beta1: 0.8,
    beta2: 0.99,
    epsilon: 1e-7,
  },
};

function netBuffers(buffers: Buffers, dtype: DTypeName, withNext = true, kind: NetKind = 'plain'): NetBuffers {
  const P = native.parameterCount(NET_DIMS);
  const params = buffers.input(dtype, P, 'params');
  for (let i = 0; i < P; i++) params[i] = (inputValue(i) - 0.5) * 0.5;
  const b: NetBuffers = {
    params,
    nextParams: withNext ? buffers.output(dtype, P, 'nextParams') : null,
    grads: buffers.output(dtype, P, 'grads'),
    workspace: buffers.output(dtype, native.workspaceLength(NET_DIMS, NET_CAPACITY), 'workspace'),
  };
  if (kind === 'full') {
    const zeros = (label: string) => buffers.track(dtype === 'f64' ? new Float64Array(P) : new Float32Array(P), label);
    b.masks = buffers.output(dtype, native.maskLength(NET_DIMS, NET_CAPACITY), 'masks');
    b.velocity = zeros('velocity');
    b.squares = zeros('squares');
    if (withNext) {
      b.nextVelocity = zeros('nextVelocity');
      b.nextSquares = zeros('nextSquares');
    }
  }
  return b;
}

function netSpec(b: NetBuffers, kind: NetKind = 'plain'): Record<string, unknown> {
  return {
    layerDims: NET_DIMS,
    activations: [native.Activation.relu, native.Activation.sigmoid],
    capacity: NET_CAPACITY,
    ...NET_OPTIONS[kind],
    ...b,
  };
}

function boundLengths(): Record<BufferName, number> {
  const P = native.parameterCount(NET_DIMS);
  return {
    params: P,
    nextParams: P,
    grads: P,
    workspace: native.workspaceLength(NET_DIMS, NET_CAPACITY),
    masks: native.maskLength(NET_DIMS, NET_CAPACITY),
    velocity: P,
    squares: P,
    nextVelocity: P,
    nextSquares: P,
  };
}

const NetworkCtor = native.Network as unknown as new (spec: unknown) => InstanceType<typeof native.Network>;

// ES2024's resizable ArrayBuffer and growable SharedArrayBuffer constructors (Node 20 has them; the ES2022 lib does not)
const ResizableArrayBuffer = ArrayBuffer as unknown as new (
  bytes: number,
  options: { maxByteLength: number },
) => ArrayBuffer;
const GrowableSharedArrayBuffer = SharedArrayBuffer as unknown as new (
  bytes: number,
  options: { maxByteLength: number },
) => ArrayBuffer;

/** A fixed-length view of a resizable ArrayBuffer, or a length-tracking one, or a view of a growable SharedArrayBuffer. */
function resizableView(dtype: DTypeName, length: number, how: 'resizable' | 'length-tracking' | 'growable'): FloatArr {
  const Type = dtype === 'f64' ? Float64Array : Float32Array;
  const bytes = length * Type.BYTES_PER_ELEMENT;
  if (how === 'growable')
    return new Type(new GrowableSharedArrayBuffer(bytes, { maxByteLength: 2 * bytes }), 0, length);
  const buffer = new ResizableArrayBuffer(bytes, { maxByteLength: 2 * bytes });
  return how === 'resizable' ? new Type(buffer, 0, length) : new Type(buffer);
}

function networkConstructorRows(dtype: DTypeName, kind: NetKind): Row[] {
  const rows: Row[] = [];
  const lengths = boundLengths();
  const row = (
    label: string,
    edit: (spec: Record<string, unknown>, buffers: Buffers, b: NetBuffers) => void,
    error: ErrorClass,
    names: string[],
    extra: Partial<Row> = {},
  ) =>
    rows.push({
      label: `new Network (${dtype}, ${kind}): ${label}`,
      build: (buffers) => {
        const b = netBuffers(buffers, dtype, true, kind);
        const spec = netSpec(b, kind);
        edit(spec, buffers, b);
        return () => new NetworkCtor(spec);
      },
      error,
      names,
      prefix: 'new Network',
      ...extra,
    });

  const bound = (
    kind === 'full'
      ? ['params', 'nextParams', 'grads', 'workspace', 'masks', 'velocity', 'squares', 'nextVelocity', 'nextSquares']
      : ['params', 'nextParams', 'grads', 'workspace']
  ) as BufferName[];
  for (const name of bound) {
    const len = lengths[name];
    // the next* buffers are optional (null or absent: updates in place)
    if (!name.startsWith('next')) row(`${name} missing`, (s) => delete s[name], TypeError, [name]);
    row(`${name} a plain Array`, (s) => (s[name] = new Array(len).fill(0)), TypeError, [name]);
    row(`${name} an Int32Array`, (s, b) => (s[name] = b.track(new Int32Array(len), name)), TypeError, [name]);
    row(
      `${name} a ${other(dtype)} array among ${dtype} ones`,
      (s, b) => (s[name] = b.output(other(dtype), len, name)),
      TypeError,
      [name],
    );
    row(`${name} detached`, (_s, _b, nb) => detach(nb[name]!), RangeError, [name]);
    row(`${name} zero-length`, (s, b) => (s[name] = b.output(dtype, 0, name)), RangeError, [name]);
    row(`${name} one element too short`, (s, b) => (s[name] = b.output(dtype, len - 1, name)), RangeError, [name]);
    row(`${name} one element too long`, (s, b) => (s[name] = b.output(dtype, len + 1, name)), RangeError, [name]);
    // the network keeps the address: a buffer that can shrink is refused (SharedArrayBuffers that cannot grow are fine)
    for (const how of ['resizable', 'length-tracking', 'growable'] as const)
      row(
        `${name} a ${how === 'growable' ? 'view of a growable SharedArrayBuffer' : `${how} view of a resizable ArrayBuffer`}`,
        (s) => (s[name] = resizableView(dtype, len, how)),
        TypeError,
        [name],
      );
  }
  for (let i = 0; i < bound.length; i++) {
    for (let j = i + 1; j < bound.length; j++) {
      const [a, c] = [bound[i], bound[j]];
      row(
        `${a} overlaps ${c}`,
        (s, b) => {
          const shared = b.output(dtype, lengths[a] + lengths[c] - 1, `buffer shared by ${a} and ${c}`);
          s[a] = shared.subarray(0, lengths[a]);
          s[c] = shared.subarray(lengths[a] - 1);
        },
        RangeError,
        [a, c],
        { allNames: true },
      );
    }
  }
  if (kind === 'full') {
    // the optimiser's second buffers: both or neither, and only beside nextParams
    row('nextSquares without nextVelocity', (s) => delete s.nextVelocity, TypeError, ['nextVelocity', 'nextSquares'], {
      allNames: true,
    });
    row('nextVelocity without nextSquares', (s) => delete s.nextSquares, TypeError, ['nextVelocity', 'nextSquares'], {
      allNames: true,
    });
    row('nextVelocity without nextParams', (s) => (s.nextParams = null), TypeError, ['nextVelocity', 'nextParams'], {
      allNames: true,
    });
    // the training options (issue 6)
    for (const v of [-1, -1e-300, NaN, Infinity, -Infinity]) row(`l2 = ${v}`, (s) => (s.l2 = v), RangeError, ['l2']);
    for (const v of ['0.1', {}, 1n]) row(`l2 = ${String(v)} (${typeof v})`, (s) => (s.l2 = v), TypeError, ['l2']);
    for (const v of ['0.5', 0.5, { 0: 0.5, 1: 1, length: 2 }])
      row(`keepProb = ${JSON.stringify(v)} (not an array)`, (s) => (s.keepProb = v), TypeError, ['keepProb']);
    row('keepProb with one entry (one per layer needed)', (s) => (s.keepProb = [0.5]), RangeError, ['keepProb']);
    row('keepProb with three entries', (s) => (s.keepProb = [0.5, 1, 1]), RangeError, ['keepProb']);
    for (const v of [0, -0.5, 1.5, NaN, Infinity])
      row(`keepProb[0] = ${v}`, (s) => (s.keepProb = [v, 1]), RangeError, ['keepProb[0]']);
    row('keepProb[1] (the output layer) = 0.5', (s) => (s.keepProb = [0.5, 0.5]), RangeError, ['keepProb']);
    row('keepProb[0] = "0.5" (a string)', (s) => (s.keepProb = ['0.5', 1]), TypeError, ['keepProb[0]']);
    row('keepProb[0] = null', (s) => (s.keepProb = [null, 1]), TypeError, ['keepProb[0]']);
    for (const v of [-1, 1.5, 2 ** 32, NaN, Infinity])
      row(`dropoutSeed = ${v}`, (s) => (s.dropoutSeed = v), RangeError, ['dropoutSeed']);
    row('dropoutSeed = "3"', (s) => (s.dropoutSeed = '3'), TypeError, ['dropoutSeed']);
    for (const v of [3, -1, 0.5, NaN, Infinity])
      row(`optimizer = ${v}`, (s) => (s.optimizer = v), RangeError, ['optimizer']);
    for (const v of ['adam', {}]) row(`optimizer = ${String(v)}`, (s) => (s.optimizer = v), TypeError, ['optimizer']);
    for (const name of ['beta1', 'beta2']) {
      for (const v of [1, 1.5, -0.1, NaN, Infinity]) row(`${name} = ${v}`, (s) => (s[name] = v), RangeError, [name]);
      row(`${name} = "0.9"`, (s) => (s[name] = '0.9'), TypeError, [name]);
    }
    for (const v of [0, -0, -1e-8, 1.5, NaN, Infinity])
      row(`epsilon = ${Object.is(v, -0) ? '-0' : v}`, (s) => (s.epsilon = v), RangeError, ['epsilon']);
    row('epsilon = "1e-8"', (s) => (s.epsilon = '1e-8'), TypeError, ['epsilon']);
    row(
      'momentum without velocity',
      (s) => ((s.optimizer = native.Optimizer.momentum), delete s.velocity, delete s.squares),
      TypeError,
      ['velocity'],
    );
  } else {
    for (const [value, what] of [
      [undefined, 'undefined'],
      [null, 'null'],
      [[], 'an Array'],
      [42, 'a number'],
    ] as const)
      rows.push({
        label: `new Network(${what})`,
        build: () => () => new NetworkCtor(value),
        error: TypeError,
        names: ['options'],
        prefix: 'new Network',
      });

    row('layerDims missing', (s) => delete s.layerDims, TypeError, ['layerDims']);
    row('layerDims a string', (s) => (s.layerDims = '4,3,1'), TypeError, ['layerDims']);
    row('layerDims empty', (s) => (s.layerDims = []), RangeError, ['layerDims']);
    row('layerDims with one entry', (s) => ((s.layerDims = [4]), (s.activations = [])), RangeError, ['layerDims']);
    for (const bad of [0, -3, 1.5, NaN, Infinity, 2 ** 31])
      row(`layerDims[1] = ${bad}`, (s) => (s.layerDims = [4, bad, 1]), RangeError, ['layerDims[1]']);
    row('layerDims[1] = "3"', (s) => (s.layerDims = [4, '3', 1]), TypeError, ['layerDims[1]']);
    row(
      'layerDims [2147483647, 2147483647] (more than 2^53 parameters)',
      (s) => ((s.layerDims = [2147483647, 2147483647]), (s.activations = [2])),
      RangeError,
      ['layerDims'],
    );
    // sizes that used to wrap around 2^64 to 179473 parameters and 272157 workspace elements, given buffers of those sizes
    row(
      'layerDims and capacity whose sizes wrap around 2^64, with buffers of the wrapped sizes',
      (s, b) => {
        Object.assign(s, {
          layerDims: WRAPPING_DIMS,
          activations: [1, 1, 1, 1, 1, 1, 2],
          capacity: WRAPPING_CAPACITY,
          nextParams: null,
        });
        s.params = b.input(dtype, 179473, 'params');
        s.grads = b.output(dtype, 179473, 'grads');
        s.workspace = b.output(dtype, 272157, 'workspace');
      },
      RangeError,
      ['layerDims'],
    );
    row('layerDims one unit wider than the buffers', (s) => (s.layerDims = [4, 4, 1]), RangeError, ['params']);

    row('activations missing', (s) => delete s.activations, TypeError, ['activations']);
    row('activations with one entry too many', (s) => (s.activations = [1, 1, 2]), RangeError, ['activations']);
    row('activations with one entry too few', (s) => (s.activations = [2]), RangeError, ['activations']);
    row(`activations[0] = ${ACTIVATION_COUNT}`, (s) => (s.activations = [ACTIVATION_COUNT, 2]), RangeError, [
      'activations[0]',
    ]);
    row('activations[0] = 0.5', (s) => (s.activations = [0.5, 2]), RangeError, ['activations[0]']);
    row('activations as names', (s) => (s.activations = ['relu', 'sigmoid']), TypeError, ['activations[0]']);
    row('activations[1] = null', (s) => (s.activations = [1, null]), TypeError, ['activations[1]']);
    row('output activation not sigmoid', (s) => (s.activations = [1, 1]), RangeError, [
      'activation',
      'activations',
      'activations[1]',
    ]);
    row('softmax in a hidden layer', (s) => (s.activations = [native.Activation.softmax, 2]), RangeError, [
      'activations[0]',
    ]);
    // a one-unit softmax is always 1: refused, but the message names neither layerDims nor activations
    row('softmax output with one unit', (s) => (s.activations = [1, native.Activation.softmax]), RangeError, [
      'layerDims',
      'activations',
      'activations[1]',
    ]);

    row('capacity missing', (s) => delete s.capacity, TypeError, ['capacity']);
    for (const bad of [0, -1, 2.5, NaN, Infinity, 2 ** 31])
      row(`capacity = ${bad}`, (s) => (s.capacity = bad), RangeError, ['capacity']);
    row('capacity = "5"', (s) => (s.capacity = '5'), TypeError, ['capacity']);
    row('capacity larger than the workspace holds', (s) => (s.capacity = NET_CAPACITY + 1), RangeError, ['workspace']);
    row('dropout (keepProb [0.5, 1]) without masks', (s) => (s.keepProb = [0.5, 1]), TypeError, ['masks']);
    row(
      'Adam without squares',
      (s, b) => ((s.optimizer = native.Optimizer.adam), (s.velocity = b.output(dtype, lengths.velocity, 'velocity'))),
      TypeError,
      ['squares'],
    );
  }
  return rows;
}

test('raw new Network: every bad spec entry is named, nothing written', () => {
  runRows([
    ...networkConstructorRows('f64', 'plain'),
    ...networkConstructorRows('f32', 'plain'),
    ...networkConstructorRows('f64', 'full'),
    ...networkConstructorRows('f32', 'full'),
  ]);
});

test('raw new Network: optional buffers are needed only by the options that use them', () => {
  const buffers = new Buffers();
  const b = netBuffers(buffers, 'f64', false);
  // keepProb all 1 (no dropout), gradient descent: masks, velocity and squares are not read
  const net = new native.Network({
    ...netSpec(b),
    keepProb: [1, 1],
    optimizer: native.Optimizer.gradientDescent,
    masks: null,
  } as never);
  assert.ok(Number.isFinite(net.trainStep(new Float64Array(4).fill(0.5), new Float64Array([1]), 1, 0.1)));
  assert.is(net.step, 0, 'no Adam steps counted for gradient descent');
});

/** A live network after one valid training step, its buffers tracked. */
function liveNetwork(buffers: Buffers, dtype: DTypeName, withNext = true, kind: NetKind = 'plain') {
  const b = netBuffers(buffers, dtype, withNext, kind);
  const net = new native.Network(netSpec(b, kind) as never);
  const X = buffers.input(dtype, NET_DIMS[0] * NET_CAPACITY, 'X');
  const Y = buffers.input(dtype, NET_CAPACITY, 'Y');
  for (let j = 0; j < NET_CAPACITY; j++) Y[j] = j % 2;
  const cost = net.trainStep(X, Y, NET_CAPACITY, 0.1);
  assert.ok(Number.isFinite(cost), 'first step finite');
  return { net, X, Y, b };
}

type NetMethod = 'forward' | 'cost' | 'backward' | 'trainStep' | 'trainSteps';
const METHOD_ARGS: Record<NetMethod, string[]> = {
  forward: ['X', 'm'],
  cost: ['Y', 'm'],
  backward: ['X', 'Y', 'm'],
  trainStep: ['X', 'Y', 'm', 'learningRate'],
  trainSteps: ['X', 'Y', 'm', 'learningRate', 'count', 'costs'],
};
const TRAIN_STEPS_COUNT = 3;

function networkMethodRows(dtype: DTypeName, withNext: boolean, kind: NetKind = 'plain'): Row[] {
  const rows: Row[] = [];
  const variant = `${dtype}${withNext ? ', two parameter buffers' : ''}${kind === 'full' ? ', L2 + dropout + Adam' : ''}`;
  const lengths = boundLengths();
  for (const method of Object.keys(METHOD_ARGS) as NetMethod[]) {
    const argNames = METHOD_ARGS[method];
    const row = (
      label: string,
      replace: (index: number) => number,
      value: (b: Buffers, live: ReturnType<typeof liveNetwork>) => unknown,
      error: ErrorClass,
      names: string[],
      extra: Partial<Row> = {},
    ) =>
      rows.push({
        label: `Network.${method} (${variant}): ${label}`,
        build: (buffers) => {
          const live = liveNetwork(buffers, dtype, withNext, kind);
          const defaults: Record<string, unknown> = {
            X: live.X,
            Y: live.Y,
            m: NET_CAPACITY,
            learningRate: 0.1,
            count: TRAIN_STEPS_COUNT,
            costs: buffers.output('f64', TRAIN_STEPS_COUNT, 'costs'),
          };
          const args = argNames.map((n) => defaults[n]);
          const at = replace(argNames.length);
          if (at >= 0) args[at] = value(buffers, live);
          const current = live.net.current,
            step = live.net.step;
          return () => {
            try {
              return (live.net[method] as Loose).apply(live.net, at === -2 ? args.slice(0, -1) : args);
            } finally {
              assert.is(live.net.current, current, 'current unchanged');
              assert.is(live.net.step, step, 'step unchanged');
            }
          };
        },
        error,
        names,
        prefix: `Network.${method}`,
        ...extra,
      });
    argNames.forEach((name, index) => {
      if (name === 'X' || name === 'Y') {
        const len = name === 'X' ? NET_DIMS[0] * NET_CAPACITY : NET_CAPACITY;
        row(
          `${name} a plain Array`,
          () => index,
          () => new Array(len).fill(0.5),
          TypeError,
          [name],
        );
        row(
          `${name} an Int32Array`,
          () => index,
          (b) => b.track(new Int32Array(len), name),
          TypeError,
          [name],
        );
        row(
          `${name} a ${other(dtype)} array`,
          () => index,
          (b) => b.input(other(dtype), len, name),
          TypeError,
          [name],
        );
        row(
          `${name} null`,
          () => index,
          () => null,
          TypeError,
          [name],
        );
        row(
          `${name} detached`,
          () => index,
          (b) => {
            const a = b.input(dtype, len, name);
            detach(a);
            return a;
          },
          RangeError,
          [name],
        );
        row(
          `${name} zero-length`,
          () => index,
          (b) => b.input(dtype, 0, name),
          RangeError,
          [name],
        );
        row(
          `${name} one element too short`,
          () => index,
          (b) => b.input(dtype, len - 1, name),
          RangeError,
          [name],
        );
        row(
          `${name} one element too long`,
          () => index,
          (b) => b.input(dtype, len + 1, name),
          RangeError,
          [name],
        );
        // a batch inside any buffer the network holds (read while the same memory may be written): refused
        for (const own of Object.keys(lengths) as BufferName[]) {
          if (
            lengths[own] < len ||
            (own === 'nextParams' && !withNext) ||
            (['masks', 'velocity', 'squares'].includes(own) && kind !== 'full') ||
            (['nextVelocity', 'nextSquares'].includes(own) && (kind !== 'full' || !withNext))
          )
            continue;
          row(
            `${name} a view of the network's ${own}`,
            () => index,
            (_b, live) => live.b[own]!.subarray(lengths[own] - len),
            RangeError,
            [name, own],
            { allNames: true },
          );
        }
      } else if (name === 'm') {
        for (const bad of [0, -1, 2.5, NaN, Infinity, 2 ** 31])
          row(
            `m = ${bad}`,
            () => index,
            () => bad,
            RangeError,
            ['m'],
          );
        row(
          'm = "5"',
          () => index,
          () => '5',
          TypeError,
          ['m'],
        );
        row(
          'm above the capacity',
          () => index,
          () => NET_CAPACITY + 1,
          RangeError,
          ['m'],
        );
        row(
          'm below what X and Y hold',
          () => index,
          () => NET_CAPACITY - 1,
          RangeError,
          method === 'cost' ? ['Y'] : ['X', 'Y'],
        );
      } else if (name === 'learningRate') {
        for (const bad of [NaN, Infinity, -Infinity])
          row(
            `learningRate = ${bad}`,
            () => index,
            () => bad,
            RangeError,
            ['learningRate'],
          );
        for (const bad of ['0.1', null])
          row(
            `learningRate = ${String(bad)}`,
            () => index,
            () => bad,
            TypeError,
            ['learningRate'],
          );
      } else if (name === 'count') {
        for (const bad of [0, -1, 1.5, NaN, Infinity, 2 ** 31])
          row(
            `count = ${bad}`,
            () => index,
            () => bad,
            RangeError,
            ['count'],
          );
        row(
          'count = "3"',
          () => index,
          () => '3',
          TypeError,
          ['count'],
        );
        row(
          'count above the length of costs',
          () => index,
          () => TRAIN_STEPS_COUNT + 1,
          RangeError,
          ['costs', 'count'],
        );
      } else {
        row(
          'costs a Float32Array',
          () => index,
          (b) => b.output('f32', TRAIN_STEPS_COUNT, 'costs'),
          TypeError,
          ['costs'],
        );
        row(
          'costs a plain Array',
          () => index,
          () => new Array(TRAIN_STEPS_COUNT).fill(0),
          TypeError,
          ['costs'],
        );
        row(
          'costs null',
          () => index,
          () => null,
          TypeError,
          ['costs'],
        );
        row(
          'costs one element short',
          () => index,
          (b) => b.output('f64', TRAIN_STEPS_COUNT - 1, 'costs'),
          RangeError,
          ['costs'],
        );
        row(
          'costs detached',
          () => index,
          (b) => {
            const c = b.output('f64', TRAIN_STEPS_COUNT, 'costs');
            detach(c);
            return c;
          },
          RangeError,
          ['costs'],
        );
        if (dtype === 'f64') {
          row(
            "costs a view of the network's grads",
            () => index,
            (_b, live) => live.b.grads.subarray(0, TRAIN_STEPS_COUNT),
            RangeError,
            ['costs', 'grads'],
            { allNames: true },
          );
          // costs (written after each step) inside X (read by every step): the later steps would train on the costs
          row(
            'costs overlapping X',
            () => index,
            (_b, live) => live.X.subarray(0, TRAIN_STEPS_COUNT),
            RangeError,
            ['costs', 'X'],
            { allNames: true },
          );
        }
      }
    });
    row(
      `called with ${argNames.length - 1} of ${argNames.length} arguments`,
      () => -2,
      () => undefined,
      TypeError,
      [`expected ${argNames.length} arguments`],
    );
  }

  // the step count (Adam's t) and the dropout stream's seed
  const scalarRow = (
    label: string,
    call: (net: InstanceType<typeof native.Network>) => unknown,
    error: ErrorClass,
    names: string[],
    prefix: string,
  ) =>
    rows.push({
      label: `Network ${label} (${variant})`,
      build: (buffers) => {
        const { net } = liveNetwork(buffers, dtype, withNext, kind);
        const step = net.step;
        return () => {
          try {
            return call(net);
          } finally {
            assert.is(net.step, step, 'step unchanged');
          }
        };
      },
      error,
      names,
      prefix,
    });
  for (const v of [-1, 1.5, NaN, Infinity, -Infinity, 2 ** 53])
    scalarRow(`step = ${v}`, (net) => (net.step = v), RangeError, ['step'], 'Network.step');
  for (const v of ['1', null, undefined, 1n])
    scalarRow(
      `step = ${String(v)} (${typeof v})`,
      (net) => ((net as { step: unknown }).step = v),
      TypeError,
      ['step'],
      'Network.step',
    );
  for (const v of [-1, 1.5, 2 ** 32, NaN, Infinity])
    scalarRow(`reseedDropout(${v})`, (net) => net.reseedDropout(v), RangeError, ['seed'], 'Network.reseedDropout');
  for (const v of ['1', null])
    scalarRow(
      `reseedDropout(${String(v)})`,
      (net) => (net.reseedDropout as Loose)(v),
      TypeError,
      ['seed'],
      'Network.reseedDropout',
    );
  scalarRow(
    'reseedDropout()',
    (net) => (net.reseedDropout as Loose)(),
    TypeError,
    ['expected 1 arguments'],
    'Network.reseedDropout',
  );
  return rows;
}

test('raw Network methods: bad batches are named; parameters, grads, workspace and optimiser state untouched', () => {
  runRows([
    ...networkMethodRows('f64', true),
    ...networkMethodRows('f32', true),
    ...networkMethodRows('f64', false),
    ...networkMethodRows('f32', false),
    ...networkMethodRows('f64', true, 'full'),
    ...networkMethodRows('f32', false, 'full'),
  ]);
});

test('raw Network methods: a non-Network this throws a TypeError, no crash', () => {
  const proto = native.Network.prototype as unknown as Record<string, Loose>;
  for (const method of [
    'forward',
    'cost',
    'backward',
    'trainStep',
    'syncParameters',
    'resetOptimizer',
    'reseedDropout',
  ]) {
    for (const self of [{}, Object.create(native.Network.prototype), new native.RandomState(1)])
      assert.throws(
        () => proto[method].call(self, new Float64Array(4), 1),
        (e: unknown) => e instanceof TypeError,
        `${method} on a foreign this`,
      );
  }
  assert.throws(
    () => (native.Network as unknown as Loose)({}),
    (e: unknown) => e instanceof TypeError,
    'Network without new',
  );
});

// The prototype's methods and accessors check the receiver's type tag before unwrapping it: on any object that is
// not a Network they throw a TypeError (and never read or write another wrapped object's memory).
test('raw Network accessors: current, layout and step on a non-Network this throw a TypeError', () => {
  const step = Object.getOwnPropertyDescriptor(native.Network.prototype, 'step')!;
  const current = Object.getOwnPropertyDescriptor(native.Network.prototype, 'current')!;
  const layout = Object.getOwnPropertyDescriptor(native.Network.prototype, 'layout')!;
  const failing: string[] = [];
  for (const [what, self] of [
    ['{}', {}],
    ['Object.create(Network.prototype)', Object.create(native.Network.prototype)],
  ] as const) {
    for (const [name, call] of [
      ['current', () => current.get!.call(self)],
      ['layout', () => layout.get!.call(self)],
      ['step getter', () => step.get!.call(self)],
      ['step setter', () => step.set!.call(self, 1)],
    ] as const) {
      try {
        call();
        failing.push(`${name} on ${what} returned`);
      } catch (error) {
        if (!(error instanceof TypeError))
          failing.push(`${name} on ${what}: ${(error as Error).constructor.name}: ${(error as Error).message}`);
      }
    }
  }
  assert.equal(failing, [], failing.join('; '));
});

/**
 * Runs `script` in a plain node child process (the addon in scope as `native`), for a call that once corrupted memory
 * (so cannot run in this process). It must print "threw TypeError ..." or "threw RangeError ..." and exit 0. Under
 * scripts/sanitize.sh the child's sanitizer reports go to the run's log files and fail the run like any other.
 */
function childProcessCase(label: string, script: string, nodeOptions: string[] = []): void {
  const root = path.join(__dirname, '..');
  const prelude = `const native = process.env.DNN_NATIVE_BINARY ? require(require('node:path').resolve(process.env.DNN_NATIVE_BINARY)) : require(${JSON.stringify(require.resolve('node-gyp-build'))})(${JSON.stringify(root)});\n`;
  const child = spawnSync(process.execPath, [...nodeOptions, '-e', prelude + script], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  const ok = child.status === 0 && /^threw (TypeError|RangeError) /m.test(child.stdout);
  assert.ok(
    ok,
    `${label}: status ${child.status} signal ${child.signal}: ${child.stdout.trim()} ${child.stderr.trim().split('\n')[0] ?? ''}`,
  );
}

// `step` on a RandomState given Network's prototype: refused by the type tag, not read from the wrong object.
test('raw Network accessors: step on a RandomState (another wrapped class) throws, not read or write its memory', () => {
  childProcessCase(
    'accessor-foreign-this',
    `
    const rng = new native.RandomState(1);
    Object.setPrototypeOf(rng, native.Network.prototype); // rng instanceof Network is now true
    try { rng.step = 123456789; console.log('returned', rng.step, rng.current); } catch (e) { console.log('threw', e.constructor.name, e.message); }`,
  );
});

test('raw Network: step, resetOptimizer and reseedDropout do what they say', () => {
  for (const dtype of ['f64', 'f32'] as const) {
    const buffers = new Buffers();
    const { net, X, Y, b } = liveNetwork(buffers, dtype, true, 'full');
    assert.is(net.step, 1, 'one Adam step');
    net.trainStep(X, Y, NET_CAPACITY, 0.1);
    assert.is(net.step, 2, 'two Adam steps');
    net.step = 2 ** 53 - 1;
    assert.is(net.step, 2 ** 53 - 1, 'the step count holds any integer up to 2^53 - 1');
    net.resetOptimizer();
    assert.is(net.step, 0, 'resetOptimizer zeroes the step count');
    assert.ok(b.velocity!.every((v) => v === 0) && b.squares!.every((v) => v === 0), 'and the moments');
    // the same seed gives the same dropout masks
    net.reseedDropout(11);
    net.forward(X, NET_CAPACITY, true);
    const first = Array.from(b.masks!);
    net.reseedDropout(11);
    net.forward(X, NET_CAPACITY, true);
    assert.equal(Array.from(b.masks!), first, 'reseeded masks repeat');
    assert.ok(
      first.some((v) => v === 0),
      'keepProb 0.5 drops some units',
    );
  }
});

// A network keeps the addresses of its buffers; once one is detached (transferred to a worker, or by
// structuredClone), every call that touches a buffer must throw rather than touch memory the network no longer owns.
for (const how of ['structuredClone', 'postMessage'] as const) {
  for (const dtype of ['f64', 'f32'] as const) {
    test(`raw Network (${dtype}): a buffer detached by ${how} after construction makes every call throw, not crash`, () => {
      const victims = [
        'params',
        'nextParams',
        'grads',
        'workspace',
        'masks',
        'velocity',
        'squares',
        'nextVelocity',
        'nextSquares',
      ] as const;
      for (const victim of victims) {
        for (const step of [0, 1]) {
          // step 1: current = 1, so nextParams holds the live parameters when the buffer goes
          const buffers = new Buffers();
          const kind: NetKind =
            !['params', 'nextParams', 'grads', 'workspace'].includes(victim) || step === 1 ? 'full' : 'plain';
          const live = liveNetwork(buffers, dtype, true, kind);
          if (step === 1) live.net.trainStep(live.X, live.Y, NET_CAPACITY, 0.1);
          assert.is(live.net.current, step === 1 ? 0 : 1, 'current after steps');
          (how === 'postMessage' ? detachByPostMessage : detach)(live.b[victim]!);
          buffers.snapshot();
          const current = live.net.current,
            adamStep = live.net.step;
          const calls: [string, () => unknown][] = [
            ['forward', () => live.net.forward(live.X, NET_CAPACITY)],
            ['cost', () => live.net.cost(live.Y, NET_CAPACITY)],
            ['backward', () => live.net.backward(live.X, live.Y, NET_CAPACITY)],
            ['trainStep', () => live.net.trainStep(live.X, live.Y, NET_CAPACITY, 0.1)],
            ['trainSteps', () => live.net.trainSteps(live.X, live.Y, NET_CAPACITY, 0.1, 2, new Float64Array(2))],
            ['syncParameters', () => live.net.syncParameters()],
            ['resetOptimizer', () => live.net.resetOptimizer()],
          ];
          for (const [name, call] of calls) {
            // the network checks one view per underlying buffer; here every buffer is its own, so the message names the victim
            assert.throws(
              call,
              (e: unknown) =>
                e instanceof TypeError &&
                namesArgument((e as Error).message, victim) &&
                /detached/.test((e as Error).message) &&
                (e as Error).message.startsWith(`Network.${name}: `),
              `${victim} detached (step ${step}): ${name} throws a TypeError naming it`,
            );
          }
          assert.is(buffers.changed(), undefined, `${victim} detached: the other buffers unchanged`);
          assert.is(live.net.current, current, 'current unchanged');
          assert.is(live.net.step, adamStep, 'step unchanged');
        }
      }
    });
  }
}

// A batch that reuses the memory of a buffer the network lost (its ArrayBuffer transferred, then viewed again) is
// reported as the detachment it is: the network checks its buffers before the batch.
test('raw Network: a detached buffer is reported as detached even when the batch now lives in its memory', () => {
  const buffers = new Buffers();
  const { net, b } = liveNetwork(buffers, 'f64');
  const moved = structuredClone(b.workspace.buffer as ArrayBuffer, { transfer: [b.workspace.buffer as ArrayBuffer] });
  const X = new Float64Array(moved, 0, NET_DIMS[0] * NET_CAPACITY).fill(0.5),
    Y = new Float64Array(NET_CAPACITY).fill(1);
  let thrown: unknown;
  try {
    net.trainStep(X, Y, NET_CAPACITY, 0.1);
  } catch (error) {
    thrown = error;
  }
  assert.ok(
    thrown instanceof TypeError && /workspace's buffer was detached/.test((thrown as Error).message),
    String(thrown),
  );
});

test('raw Network: views of one buffer (as the Model binds them) are all refused once that buffer is detached', () => {
  for (const dtype of ['f64', 'f32'] as const) {
    const P = native.parameterCount(NET_DIMS),
      W = native.workspaceLength(NET_DIMS, NET_CAPACITY);
    const Type = dtype === 'f64' ? Float64Array : Float32Array;
    const shared = new Type(3 * P),
      scratch = new Type(W);
    const net = new native.Network({
      ...netSpec({
        params: shared.subarray(0, P).fill(0.1),
        nextParams: shared.subarray(P, 2 * P),
        grads: shared.subarray(2 * P),
        workspace: scratch,
      }),
    } as never);
    const X = new Type(4 * NET_CAPACITY).fill(0.5),
      Y = new Type(NET_CAPACITY).fill(1);
    assert.ok(Number.isFinite(net.trainStep(X, Y, NET_CAPACITY, 0.1)));
    detach(shared);
    assert.throws(
      () => net.trainStep(X, Y, NET_CAPACITY, 0.1),
      (e: unknown) => e instanceof TypeError && /detached/.test((e as Error).message),
      `${dtype}: trainStep after the shared buffer went`,
    );
    assert.throws(
      () => net.syncParameters(),
      (e: unknown) => e instanceof TypeError && /detached/.test((e as Error).message),
      `${dtype}: syncParameters after the shared buffer went`,
    );
  }
});

// A bound array counts as "a view of a buffer already bound" (and is not checked on each call) when its `buffer`
// property says so, and that property can be redefined on the array: grads below claims params' buffer, its own
// buffer is then transferred and collected, and trainStep writes the gradients into freed memory (ASan:
// heap-use-after-free in linear_backward). The buffer should come from napi_get_typedarray_info, not from `buffer`.
test('raw Network: an array whose `buffer` property lies is still checked on each call', () => {
  childProcessCase(
    'network-buffer-property-spoof',
    `
    const dims = [4, 3, 1], cap = 5, P = native.parameterCount(dims), W = native.workspaceLength(dims, cap);
    const params = new Float64Array(P).fill(0.1);
    const grads = new Float64Array(P);
    const realBuffer = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Float64Array.prototype), 'buffer').get;
    Object.defineProperty(grads, 'buffer', { value: params.buffer }); // claims to be a view of params' buffer
    const net = new native.Network({ layerDims: dims, activations: [1, 2], capacity: cap, params, nextParams: null, grads, workspace: new Float64Array(W) });
    (() => { const own = realBuffer.call(grads); structuredClone(own, { transfer: [own] }); })(); // grads detached, its memory freed at the next gc
    for (let i = 0; i < 3; i++) globalThis.gc();
    const X = new Float64Array(4 * cap).fill(1), Y = new Float64Array(cap).fill(1);
    try { console.log('returned', net.trainStep(X, Y, cap, 0.1), 'with grads.length', grads.length); } catch (e) { console.log('threw', e.constructor.name, e.message); }`,
    ['--expose-gc'],
  );
});

// SharedArrayBuffer-backed Float32Array/Float64Array work like ArrayBuffer-backed ones everywhere: the same results,
// bit for bit (so do fixed-length views of resizable ArrayBuffers in the kernels, which keep no pointer).
function sharedCopy<T extends FloatArr | Uint32Array>(array: T): T {
  const Type = array.constructor as new (buffer: SharedArrayBuffer) => T;
  const copy = new Type(new SharedArrayBuffer(array.byteLength));
  copy.set(array as never);
  return copy;
}

test('raw kernels: SharedArrayBuffer-backed arrays give the same results as ArrayBuffer-backed ones', () => {
  for (const spec of KERNELS) {
    for (const dtype of ['f64', 'f32'] as const) {
      const plain = buildArgs(spec, dtype, new Buffers());
      const copies = (['shared', 'resizable'] as const).map(
        (backing) =>
          [
            backing,
            plain.map((a) => {
              if (!(a instanceof Float64Array || a instanceof Float32Array)) return a;
              if (backing === 'shared') return sharedCopy(a);
              const view = resizableView(dtype, a.length, 'resizable');
              view.set(a);
              return view;
            }),
          ] as const,
      );
      const expected = kernelCall(spec, plain)();
      for (const [backing, other] of copies) {
        const result = kernelCall(spec, other)();
        assert.is(result, expected, `${spec.fn} (${dtype}, ${backing}) returns the same`);
        plain.forEach((a, i) => {
          if (a instanceof Float64Array || a instanceof Float32Array)
            assert.equal(
              Array.from(other[i] as FloatArr),
              Array.from(a),
              `${spec.fn} (${dtype}, ${backing}): argument ${i} the same`,
            );
        });
      }
    }
  }
});

test('raw Network and RandomState: SharedArrayBuffer-backed buffers train and draw exactly as ArrayBuffer-backed ones', () => {
  for (const kind of ['plain', 'full'] as const) {
    for (const dtype of ['f64', 'f32'] as const) {
      const run = (shared: boolean) => {
        const b = netBuffers(new Buffers(), dtype, true, kind);
        const bound = shared
          ? (Object.fromEntries(Object.entries(b).map(([k, v]) => [k, v ? sharedCopy(v) : v])) as unknown as NetBuffers)
          : b;
        const net = new native.Network(netSpec(bound, kind) as never);
        const X = new Buffers().input(dtype, NET_DIMS[0] * NET_CAPACITY),
          Y = new Buffers().input(dtype, NET_CAPACITY);
        const costs = [0, 1, 2].map(() =>
          net.trainStep(shared ? sharedCopy(X) : X, shared ? sharedCopy(Y) : Y, NET_CAPACITY, 0.1),
        );
        net.syncParameters();
        return { costs, params: Array.from(bound.params), velocity: Array.from(bound.velocity ?? []) };
      };
      const plain = run(false);
      assert.ok(plain.costs.every(Number.isFinite), 'finite costs');
      assert.equal(run(true), plain, `${kind} ${dtype}: same costs and parameters`);
    }
  }
  const draw = (out: Float64Array, method: 'standardNormal' | 'uniform') => {
    new native.RandomState(5)[method](out);
    return Array.from(out);
  };
  for (const method of ['standardNormal', 'uniform'] as const)
    assert.equal(
      draw(sharedCopy(new Float64Array(7)), method),
      draw(new Float64Array(7), method),
      `RandomState.${method} into a SharedArrayBuffer`,
    );
  const values = sharedCopy(Uint32Array.from([0, 1, 2, 3, 4, 5]));
  new native.RandomState(5).shuffle(values);
  const reference = Uint32Array.from([0, 1, 2, 3, 4, 5]);
  new native.RandomState(5).shuffle(reference);
  assert.equal(Array.from(values), Array.from(reference), 'RandomState.shuffle of a shared Uint32Array');
  // and through the lib: a Matrix over shared memory
  const A = new Matrix(2, 2, sharedCopy(new Float64Array([1, 2, 3, 4]))),
    W = new Matrix(1, 2, sharedCopy(new Float64Array([0.5, -1])));
  const [Z] = dnn.linearForward(A, W, new Matrix(1, 1, sharedCopy(new Float64Array([0.25]))));
  assert.equal(Array.from(Z.data), [1 * 0.5 - 2 + 0.25, 3 * 0.5 - 4 + 0.25], 'linearForward on shared memory');
});

// Sizes computed in size_t used to wrap around 2^64: these layerDims and capacity made parameterCount 179473 and
// workspaceLength 272157, and a Network bound to buffers that small wrote gigabytes past them. Now every size above
// 2^53 elements is a RangeError (rows above, and the fuzzer's BigInt sizes).
const WRAPPING_DIMS = [1, 2147483647, 2147483647, 2147483647, 2147483647, 2147483647, 2, 59825];
const WRAPPING_CAPACITY = 1717972561;

// ---------------------------------------------------------------------------------------------------------
// The tutorial's functions (lib/index.ts): the same checks at the Matrix level. They allocate their results, so
// "nothing written" means every Matrix they were given is unchanged.

function trackedMatrix(
  buffers: Buffers,
  rows: number,
  cols: number,
  dtype: DTypeName = 'f64',
  label = 'matrix',
  offset = 0,
): Matrix {
  const data = dtype === 'f64' ? new Float64Array(rows * cols) : new Float32Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = inputValue(i + offset) - 0.5;
  return new Matrix(rows, cols, buffers.track(data, label));
}

function trackedParameters(buffers: Buffers, dims: number[], dtype: DTypeName = 'f64'): Record<string, Matrix> {
  const parameters: Record<string, Matrix> = {};
  for (let l = 1; l < dims.length; l++) {
    parameters[`W${l}`] = trackedMatrix(buffers, dims[l], dims[l - 1], dtype, `W${l}`, l);
    parameters[`b${l}`] = trackedMatrix(buffers, dims[l], 1, dtype, `b${l}`, 10 * l);
  }
  return parameters;
}

function trackedGrads(buffers: Buffers, dims: number[], dtype: DTypeName = 'f64'): Record<string, Matrix> {
  const grads: Record<string, Matrix> = {};
  for (let l = 1; l < dims.length; l++) {
    grads[`dW${l}`] = trackedMatrix(buffers, dims[l], dims[l - 1], dtype, `dW${l}`, 3 * l);
    grads[`db${l}`] = trackedMatrix(buffers, dims[l], 1, dtype, `db${l}`, 5 * l);
  }
  return grads;
}

const lib = dnn as unknown as Record<string, Loose>;
const notMatrices: [string, (b: Buffers, rows: number, cols: number) => unknown][] = [
  ['a nested Array', (_b, rows, cols) => Array.from({ length: rows }, () => new Array(cols).fill(0.5))],
  ['a Float64Array', (b, rows, cols) => b.track(new Float64Array(rows * cols), 'raw array')],
  ['an Int32Array', (b, rows, cols) => b.track(new Int32Array(rows * cols), 'raw array')],
  [
    'a plain { rows, cols, data } object',
    (b, rows, cols) => ({ rows, cols, data: b.track(new Float64Array(rows * cols), 'raw array') }),
  ],
  ['null', () => null],
  ['undefined', () => undefined],
];

/**
 * One Matrix argument's expected shape. A row or column too many must be refused naming the argument, or one of
 * `rowNames` / `colNames` when the function measures it against another argument; `colNames: null` when any
 * number of columns is valid (a batch).
 */
interface MatrixArg {
  shape: [number, number];
  rowNames?: string[];
  colNames?: string[] | null;
}

/** Rows for a function whose leading arguments are Matrices, from a builder of valid arguments. */
function matrixArgumentRows(
  fn: string,
  names: string[],
  valid: (b: Buffers) => unknown[],
  matrices: MatrixArg[],
): Row[] {
  const rows: Row[] = [];
  const row = (
    label: string,
    edit: (args: unknown[], b: Buffers) => void,
    error: ErrorClass,
    expected: string[],
    knownBug?: string,
  ) =>
    rows.push({
      label: `${fn}: ${label}`,
      build: (b) => {
        const args = valid(b);
        edit(args, b);
        return () => lib[fn](...args);
      },
      error,
      names: expected,
      knownBug,
    });
  matrices.forEach(({ shape: [r, c], rowNames, colNames }, i) => {
    const name = names[i];
    for (const [what, make] of notMatrices)
      row(`${name} ${what}`, (args, b) => (args[i] = make(b, r, c)), TypeError, [name]);
    row(`${name} float32 among float64`, (args, b) => (args[i] = trackedMatrix(b, r, c, 'f32', name)), TypeError, [
      name,
    ]);
    row(
      `${name} one row more`,
      (args, b) => (args[i] = trackedMatrix(b, r + 1, c, 'f64', name)),
      RangeError,
      rowNames ?? [name],
    );
    if (colNames !== null)
      row(
        `${name} one column more`,
        (args, b) => (args[i] = trackedMatrix(b, r, c + 1, 'f64', name)),
        RangeError,
        colNames ?? [name],
      );
    row(`${name} detached`, (args) => detach((args[i] as Matrix).data), RangeError, [name]);
  });
  row('every argument missing', (args) => args.splice(0), TypeError, names);
  return rows;
}

function tutorialRows(): Row[] {
  const rows: Row[] = [];
  const row = (
    label: string,
    build: (b: Buffers) => () => unknown,
    error: ErrorClass,
    names: string[],
    knownBug?: string,
  ) => rows.push({ label, build, error, names, knownBug });
  const n = 3,
    nPrev = 4,
    m = 5;

  // initializeParametersDeep(layerDims, options)
  const init = (dims: unknown, options?: unknown) => () => () => lib.initializeParametersDeep(dims, options);
  for (const [dims, error, name] of [
    [undefined, TypeError, 'layerDims'],
    ['4,3,1', TypeError, 'layerDims'],
    [new Int32Array([4, 3]), TypeError, 'layerDims'],
    [{ length: 2 }, TypeError, 'layerDims'],
    [[], RangeError, 'layerDims'],
    [[4], RangeError, 'layerDims'],
    [[4, 0], RangeError, 'layerDims[1]'],
    [[4, -1], RangeError, 'layerDims[1]'],
    [[4, 2.5], RangeError, 'layerDims[1]'],
    [[NaN, 2], RangeError, 'layerDims[0]'],
    [[4, Infinity], RangeError, 'layerDims[1]'],
    [[4, 2 ** 31], RangeError, 'layerDims[1]'],
    [[4, '3'], TypeError, 'layerDims[1]'],
    [[4, 3, null], TypeError, 'layerDims[2]'],
  ] as [unknown, ErrorClass, string][])
    row(`initializeParametersDeep(${describeValue(dims)})`, init(dims), error, [name]);
  // Sizes every entry of which is valid but whose weights no machine can hold: a RangeError naming layerDims,
  // before anything is allocated (today V8's "Invalid typed array length" / "Array buffer allocation failed").
  // Sizes every entry of which is valid but whose weights cannot be allocated: a RangeError saying which matrix
  // ("cannot allocate W1 (1000000 x 1000000) of 1e12 float64 values ..."). Both exceed V8's typed array length
  // limit, so they fail the same way on every machine (34 GB of weights might just be allocated on a large one).
  row('initializeParametersDeep([1e6, 1e6])', init([1e6, 1e6]), RangeError, ['W1']);
  row('initializeParametersDeep([2147483647, 2147483647])', init([2147483647, 2147483647]), RangeError, ['W1']);
  row('initializeParametersDeep([4, 3], null)', init([4, 3], null), TypeError, ['options']);
  for (const seed of [-1, 1.5, NaN, 2 ** 32])
    row(`initializeParametersDeep options.seed = ${seed}`, init([4, 3], { seed }), RangeError, ['options.seed']);
  row('initializeParametersDeep options.seed = "1"', init([4, 3], { seed: '1' }), TypeError, ['options.seed']);
  row('initializeParametersDeep options.init = "xavier"', init([4, 3], { init: 'xavier' }), TypeError, [
    'options.init',
  ]);
  row('initializeParametersDeep options.dtype = "float16"', init([4, 3], { dtype: 'float16' }), TypeError, [
    'options.dtype',
  ]);

  // linearForward(A, W, b), linearActivationForward(A_prev, W, b, activation)
  const layer = (b: Buffers) => [
    trackedMatrix(b, nPrev, m, 'f64', 'A'),
    trackedMatrix(b, n, nPrev, 'f64', 'W', 1),
    trackedMatrix(b, n, 1, 'f64', 'b', 2),
  ];
  // W is the reference: a W with a row more is reported as b not matching it
  const layerArgs = (aName: string): MatrixArg[] => [
    { shape: [nPrev, m], colNames: null },
    { shape: [n, nPrev], rowNames: ['W', 'b'], colNames: ['W', aName] },
    { shape: [n, 1] },
  ];
  rows.push(...matrixArgumentRows('linearForward', ['A', 'W', 'b'], layer, layerArgs('A')));
  rows.push(
    ...matrixArgumentRows(
      'linearActivationForward',
      ['A_prev', 'W', 'b', 'activation'],
      (b) => [...layer(b), 'relu'],
      layerArgs('A_prev'),
    ),
  );
  for (const bad of ['tanh', 'RELU', 1, null, undefined])
    row(
      `linearActivationForward activation = ${String(bad)}`,
      (b) => {
        const args = layer(b);
        return () => lib.linearActivationForward(...args, bad);
      },
      TypeError,
      ['activation'],
    );
  row(
    'linearForward: b with two columns',
    (b) => {
      const [A, W] = layer(b);
      const wide = trackedMatrix(b, n, 2);
      return () => lib.linearForward(A, W, wide);
    },
    RangeError,
    ['b'],
  );

  // modelForward(X, parameters): the parameter record's own defects
  const dims = [nPrev, n, 1];
  const forward = (edit: RecordEdit, X?: (b: Buffers) => unknown) => (b: Buffers) => {
    const record: Record<string, unknown> = trackedParameters(b, dims);
    const edited = edit(record, b);
    const parameters = edited ? edited.replace : record;
    const input = X ? X(b) : trackedMatrix(b, nPrev, m, 'f64', 'X');
    return () => lib.modelForward(input, parameters);
  };
  rows.push(...parameterRecordRows('modelForward', forward));
  for (const [what, make] of notMatrices)
    row(
      `modelForward: X ${what}`,
      forward(
        () => {},
        (b) => make(b, nPrev, m),
      ),
      TypeError,
      ['X'],
    );
  row(
    'modelForward: X float32',
    forward(
      () => {},
      (b) => trackedMatrix(b, nPrev, m, 'f32', 'X'),
    ),
    TypeError,
    ['X'],
  );
  row(
    'modelForward: X with a row too many',
    forward(
      () => {},
      (b) => trackedMatrix(b, nPrev + 1, m, 'f64', 'X'),
    ),
    RangeError,
    ['X'],
  );
  row(
    'modelForward: X detached',
    forward(
      () => {},
      (b) => {
        const X = trackedMatrix(b, nPrev, m, 'f64', 'X');
        detach(X.data);
        return X;
      },
    ),
    RangeError,
    ['X'],
  );
  row(
    'modelForward: parameters.W1 detached',
    forward((p) => {
      detach((p.W1 as Matrix).data);
    }),
    RangeError,
    ['parameters.W1'],
  );

  // computeCost(AL, Y)
  const cost = (b: Buffers) => [trackedMatrix(b, 1, m, 'f64', 'AL', 3), trackedMatrix(b, 1, m, 'f64', 'Y', 4)];
  // AL's shape is the reference: a larger AL is reported as Y not matching it
  rows.push(
    ...matrixArgumentRows('computeCost', ['AL', 'Y'], cost, [
      { shape: [1, m], rowNames: ['AL', 'Y'], colNames: ['AL', 'Y'] },
      { shape: [1, m] },
    ]),
  );
  row(
    'computeCost: AL one column more than Y',
    (b) => {
      const AL = trackedMatrix(b, 1, m + 1),
        Y = trackedMatrix(b, 1, m);
      return () => lib.computeCost(AL, Y);
    },
    RangeError,
    ['Y', 'AL'],
  );

  // linearBackward(dZ, cache), reluBackward / sigmoidBackward(dA, Z), linearActivationBackward(dA, cache, activation)
  const cacheOf = (b: Buffers): unknown[] => [
    trackedMatrix(b, nPrev, m, 'f64', 'A_prev'),
    trackedMatrix(b, n, nPrev, 'f64', 'W', 1),
    trackedMatrix(b, n, 1, 'f64', 'b', 2),
  ];
  const lb = (b: Buffers) => [trackedMatrix(b, n, m, 'f64', 'dZ', 5), cacheOf(b)];
  rows.push(...matrixArgumentRows('linearBackward', ['dZ', 'cache'], lb, [{ shape: [n, m] }]));
  for (const [what, cache] of [
    ['null', () => null],
    ['[]', () => []],
    ['a 2-entry array', (b: Buffers) => cacheOf(b).slice(0, 2)],
    ['an object', () => ({ A_prev: 1 })],
  ] as const)
    row(
      `linearBackward: cache ${what}`,
      (b) => {
        const dZ = trackedMatrix(b, n, m),
          c = (cache as (b: Buffers) => unknown)(b);
        return () => lib.linearBackward(dZ, c);
      },
      TypeError,
      ['cache'],
    );
  row(
    'linearBackward: cache A_prev not a Matrix',
    (b) => {
      const c = cacheOf(b);
      c[0] = [[1]];
      const dZ = trackedMatrix(b, n, m);
      return () => lib.linearBackward(dZ, c);
    },
    TypeError,
    ['cache[0] (A_prev)', 'A_prev'],
  );
  row(
    'linearBackward: cache W not a Matrix',
    (b) => {
      const c = cacheOf(b);
      c[1] = null;
      const dZ = trackedMatrix(b, n, m);
      return () => lib.linearBackward(dZ, c);
    },
    TypeError,
    ['W', 'cache[1]'],
  );
  row(
    'linearBackward: cache A_prev rows do not match W',
    (b) => {
      const c = cacheOf(b);
      c[0] = trackedMatrix(b, nPrev + 1, m);
      const dZ = trackedMatrix(b, n, m);
      return () => lib.linearBackward(dZ, c);
    },
    RangeError,
    ['cache[0] (A_prev)', 'A_prev'],
  );
  row(
    'linearBackward: cache b float32',
    (b) => {
      const c = cacheOf(b);
      c[2] = trackedMatrix(b, n, 1, 'f32');
      const dZ = trackedMatrix(b, n, m);
      return () => lib.linearBackward(dZ, c);
    },
    TypeError,
    ['b', 'cache[2]'],
  );

  for (const fn of ['reluBackward', 'sigmoidBackward'])
    rows.push(
      ...matrixArgumentRows(
        fn,
        ['dA', 'Z'],
        (b) => [trackedMatrix(b, n, m, 'f64', 'dA'), trackedMatrix(b, n, m, 'f64', 'Z', 7)],
        [{ shape: [n, m] }, { shape: [n, m], rowNames: ['dA', 'Z'], colNames: ['dA', 'Z'] }],
      ),
    );

  const lab = (b: Buffers): unknown[] => [
    trackedMatrix(b, n, m, 'f64', 'dA'),
    [cacheOf(b), trackedMatrix(b, n, m, 'f64', 'Z', 7)],
    'relu',
  ];
  rows.push(...matrixArgumentRows('linearActivationBackward', ['dA', 'cache', 'activation'], lab, [{ shape: [n, m] }]));
  for (const bad of ['tanh', null, 2])
    row(
      `linearActivationBackward: activation = ${String(bad)}`,
      (b) => {
        const a = lab(b);
        a[2] = bad;
        return () => lib.linearActivationBackward(...a);
      },
      TypeError,
      ['activation'],
    );
  row(
    'linearActivationBackward: cache with one entry',
    (b) => {
      const a = lab(b);
      a[1] = [(a[1] as unknown[])[0]];
      return () => lib.linearActivationBackward(...a);
    },
    TypeError,
    ['cache'],
  );
  row(
    'linearActivationBackward: cache Z with a column too many',
    (b) => {
      const a = lab(b);
      (a[1] as unknown[])[1] = trackedMatrix(b, n, m + 1);
      return () => lib.linearActivationBackward(...a);
    },
    RangeError,
    ['cache[1] (Z)', 'Z'],
  );
  row(
    'linearActivationBackward: cache Z float32',
    (b) => {
      const a = lab(b);
      (a[1] as unknown[])[1] = trackedMatrix(b, n, m, 'f32');
      return () => lib.linearActivationBackward(...a);
    },
    TypeError,
    ['cache[1] (Z)', 'Z'],
  );

  // modelBackward(AL, Y, caches) on a real forward pass
  const mb = (edit?: (args: unknown[], b: Buffers) => void) => (b: Buffers) => {
    const parameters = trackedParameters(b, dims);
    const X = trackedMatrix(b, nPrev, m, 'f64', 'X');
    const [AL, caches] = dnn.modelForward(X, parameters);
    const args: unknown[] = [AL, trackedMatrix(b, 1, m, 'f64', 'Y', 9), caches];
    b.track(AL.data, 'AL');
    for (const [, Z] of caches) b.track(Z.data, 'cached Z');
    edit?.(args, b);
    return () => lib.modelBackward(...args);
  };
  for (const [what, make] of notMatrices) {
    row(
      `modelBackward: AL ${what}`,
      mb((a, b) => (a[0] = make(b, 1, m))),
      TypeError,
      ['AL'],
    );
    row(
      `modelBackward: Y ${what}`,
      mb((a, b) => (a[1] = make(b, 1, m))),
      TypeError,
      ['Y'],
    );
  }
  row(
    'modelBackward: Y one column more',
    mb((a, b) => (a[1] = trackedMatrix(b, 1, m + 1))),
    RangeError,
    ['Y'],
  );
  row(
    'modelBackward: Y float32',
    mb((a, b) => (a[1] = trackedMatrix(b, 1, m, 'f32'))),
    TypeError,
    ['Y'],
  );
  row(
    'modelBackward: AL and Y with two rows (not the last Z)',
    mb((a, b) => ((a[0] = trackedMatrix(b, 2, m)), (a[1] = trackedMatrix(b, 2, m)))),
    RangeError,
    ['AL'],
  );
  for (const [what, caches] of [
    ['null', null],
    ['[]', []],
    ['a Matrix', 'matrix'],
  ] as const)
    row(
      `modelBackward: caches ${what}`,
      mb((a, b) => (a[2] = caches === 'matrix' ? trackedMatrix(b, 1, 1) : caches)),
      TypeError,
      ['caches'],
    );
  row(
    'modelBackward: caches[0] not a pair',
    mb((a) => ((a[2] as unknown[])[0] = [1, 2, 3])),
    TypeError,
    ['caches[0]'],
  );
  // The caches must chain: layer 2's A_prev is layer 1's output, and every cache has the batch size of AL.
  row(
    'modelBackward: caches[1] A_prev with a row too many (caches do not chain)',
    mb((a, b) => {
      // layer 2 now takes n + 1 inputs (its own A_prev and W agree), but layer 1 makes n
      const caches = a[2] as unknown[][];
      const [[, , b2], Z2] = caches[1] as [Matrix[], Matrix];
      caches[1] = [[trackedMatrix(b, n + 1, m), trackedMatrix(b, 1, n + 1), b2], Z2];
    }),
    RangeError,
    ['caches[1]', 'caches'],
  );
  row(
    'modelBackward: caches[0] with a different batch size',
    mb((a, b) => {
      const caches = a[2] as unknown[][];
      caches[0] = [
        [trackedMatrix(b, nPrev, m - 1), (caches[0][0] as Matrix[])[1], (caches[0][0] as Matrix[])[2]],
        (caches[0] as Matrix[])[1],
      ];
    }),
    RangeError,
    ['caches[0]', 'caches'],
  );
  row(
    'modelBackward: caches[1] Z float32',
    mb((a) => {
      const caches = a[2] as unknown[][];
      caches[1] = [caches[1][0], (caches[1][1] as Matrix).astype('float32')];
    }),
    TypeError,
    ['caches[1]', 'caches'],
  );

  // updateParameters(parameters, grads, learningRate)
  const update = (edit: (args: unknown[], b: Buffers) => void) => (b: Buffers) => {
    const args: unknown[] = [trackedParameters(b, dims), trackedGrads(b, dims), 0.1];
    edit(args, b);
    return () => lib.updateParameters(...args);
  };
  for (const lr of [0, -0.1, -0, NaN, Infinity, -Infinity])
    row(
      `updateParameters: learningRate = ${Object.is(lr, -0) ? '-0' : lr}`,
      update((a) => (a[2] = lr)),
      RangeError,
      ['learningRate'],
    );
  for (const lr of ['0.1', null, undefined, 1n])
    row(
      `updateParameters: learningRate = ${String(lr)}`,
      update((a) => (a[2] = lr)),
      TypeError,
      ['learningRate'],
    );
  for (const g of [null, undefined, 42])
    row(
      `updateParameters: grads ${String(g)}`,
      update((a) => (a[1] = g)),
      TypeError,
      ['grads'],
    );
  row(
    'updateParameters: grads {}',
    update((a) => (a[1] = {})),
    TypeError,
    ['grads.dW1'],
  );
  row(
    'updateParameters: grads.dW2 missing',
    update((a) => delete (a[1] as Record<string, unknown>).dW2),
    TypeError,
    ['grads.dW2'],
  );
  row(
    'updateParameters: grads.db1 one row more',
    update((a, b) => ((a[1] as Record<string, unknown>).db1 = trackedMatrix(b, n + 1, 1))),
    RangeError,
    ['grads.db1'],
  );
  row(
    'updateParameters: grads.dW1 transposed',
    update((a, b) => ((a[1] as Record<string, unknown>).dW1 = trackedMatrix(b, nPrev, n))),
    RangeError,
    ['grads.dW1'],
  );
  row(
    'updateParameters: grads.dW1 float32',
    update((a, b) => ((a[1] as Record<string, unknown>).dW1 = trackedMatrix(b, n, nPrev, 'f32'))),
    TypeError,
    ['grads.dW1'],
  );
  row(
    'updateParameters: grads.dW1 a nested Array',
    update((a) => ((a[1] as Record<string, unknown>).dW1 = [[0.1]])),
    TypeError,
    ['grads.dW1'],
  );
  row(
    'updateParameters: grads.db2 detached',
    update((a) => detach((a[1] as Record<string, Matrix>).db2.data)),
    RangeError,
    ['grads.db2'],
  );
  row(
    'updateParameters: parameters.W2 detached',
    update((a) => detach((a[0] as Record<string, Matrix>).W2.data)),
    RangeError,
    ['parameters.W2'],
  );
  rows.push(
    ...parameterRecordRows('updateParameters', (edit) =>
      update((a, b) => {
        const edited = edit(a[0] as Record<string, unknown>, b);
        if (edited) a[0] = edited.replace;
      }),
    ),
  );

  // Matrix and RandomState (exported from lib/index.ts)
  row('new Matrix(0, 2)', () => () => new Matrix(0, 2), RangeError, ['rows']);
  row('new Matrix(2, -1)', () => () => new Matrix(2, -1), RangeError, ['cols']);
  row('new Matrix(1.5, 2)', () => () => new Matrix(1.5, 2), RangeError, ['rows']);
  row('new Matrix(NaN, 2)', () => () => new Matrix(NaN, 2), RangeError, ['rows']);
  row('new Matrix("2", 2)', () => () => new Matrix('2' as never, 2), TypeError, ['rows']);
  row(
    'new Matrix(2, 2, Float64Array(3))',
    (b) => {
      const d = b.track(new Float64Array(3), 'data');
      return () => new Matrix(2, 2, d);
    },
    RangeError,
    ['data'],
  );
  row(
    'new Matrix(2, 2, Int32Array(4))',
    (b) => {
      const d = b.track(new Int32Array(4), 'data');
      return () => new Matrix(2, 2, d as never);
    },
    TypeError,
    ['data'],
  );
  row('new Matrix(1, 2, [1, 2])', () => () => new Matrix(1, 2, [1, 2] as never), TypeError, ['data']);
  row(
    'new Matrix(2, 2, detached Float64Array(4))',
    () => {
      const d = new Float64Array(4);
      detach(d);
      return () => new Matrix(2, 2, d);
    },
    RangeError,
    ['data'],
  );
  row('Matrix.zeros(2, 2, "int8")', () => () => Matrix.zeros(2, 2, 'int8' as never), TypeError, ['dtype']);
  row('Matrix.zeros(1e6, 1e6)', () => () => Matrix.zeros(1e6, 1e6), RangeError, ['matrix']);
  row(
    'Matrix.zeros(2147483647, 2147483647, "float32")',
    () => () => Matrix.zeros(2147483647, 2147483647, 'float32'),
    RangeError,
    ['matrix'],
  );
  row('Matrix.fromRows([])', () => () => Matrix.fromRows([]), TypeError, ['rows']);
  row('Matrix.fromRows([[1, 2], [3]])', () => () => Matrix.fromRows([[1, 2], [3]]), RangeError, ['rows[1]']);
  row('Matrix.fromRows([[1, "a"]])', () => () => Matrix.fromRows([[1, 'a' as never]]), TypeError, ['rows[0][1]']);
  row(
    'matrix.columns(1, 9)',
    (b) => {
      const M = trackedMatrix(b, 2, 3);
      return () => M.columns(1, 9);
    },
    RangeError,
    ['columns'],
  );
  row('new RandomState(-1)', () => () => new dnn.RandomState(-1), RangeError, ['seed']);
  row('new RandomState("1")', () => () => new dnn.RandomState('1' as never), TypeError, ['seed']);
  for (const method of ['randn', 'rand'] as const) {
    row(`RandomState.${method}(-1, 2)`, () => () => new dnn.RandomState(1)[method](-1, 2), RangeError, ['rows']);
    row(`RandomState.${method}(0, 2)`, () => () => new dnn.RandomState(1)[method](0, 2), RangeError, ['rows']);
    row(`RandomState.${method}(2, 1.5)`, () => () => new dnn.RandomState(1)[method](2, 1.5), RangeError, ['cols']);
    row(`RandomState.${method}("2", 2)`, () => () => new dnn.RandomState(1)[method]('2' as never, 2), TypeError, [
      'rows',
    ]);
    row(`RandomState.${method}(1e6, 1e6)`, () => () => new dnn.RandomState(1)[method](1e6, 1e6), RangeError, [
      'matrix',
    ]);
  }
  row('RandomState.permutation(-1)', () => () => new dnn.RandomState(1).permutation(-1), RangeError, ['n']);
  row('RandomState.permutation(2.5)', () => () => new dnn.RandomState(1).permutation(2.5), RangeError, ['n']);
  row('RandomState.permutation(2 ** 31)', () => () => new dnn.RandomState(1).permutation(2 ** 31), RangeError, ['n']);
  row('RandomState.permutation("3")', () => () => new dnn.RandomState(1).permutation('3' as never), TypeError, ['n']);
  row(
    'RandomState.shuffle(Int32Array)',
    (b) => {
      const v = b.track(new Int32Array(3), 'values');
      return () => new dnn.RandomState(1).shuffle(v as never);
    },
    TypeError,
    ['values'],
  );
  row(
    'RandomState.standardNormal(Float32Array)',
    (b) => {
      const out = b.track(new Float32Array(2), 'out');
      return () => new dnn.RandomState(1).standardNormal(out as never);
    },
    TypeError,
    ['out'],
  );
  row('setNumThreads(0)', () => () => dnn.setNumThreads(0), RangeError, ['n']);
  return rows;
}

/** What a parameter-record row does to the record: edit it in place, or return { replace } to pass another value. */
type RecordEdit = (p: Record<string, unknown>, b: Buffers) => void | { replace: unknown };

/** A parameter record's defects, for any function taking `parameters` (built for layerDims [4, 3, 1]). */
function parameterRecordRows(fn: string, call: (edit: RecordEdit) => (b: Buffers) => () => unknown): Row[] {
  const rows: Row[] = [];
  const row = (label: string, edit: RecordEdit, error: ErrorClass, names: string[], knownBug?: string) =>
    rows.push({ label: `${fn}: parameters ${label}`, build: call(edit), error, names, knownBug });
  for (const value of [null, undefined, 42, 'W1'])
    row(`${String(value)}`, () => ({ replace: value }), TypeError, ['parameters']);
  row('with no W1 (empty record)', () => ({ replace: {} }), TypeError, ['parameters', 'parameters.W1']);
  row(
    'without b1',
    (p) => {
      delete p.b1;
    },
    TypeError,
    ['parameters.b1'],
  );
  row(
    'without b2',
    (p) => {
      delete p.b2;
    },
    TypeError,
    ['parameters.b2'],
  );
  row(
    'W3 without b3',
    (p, b) => {
      p.W3 = trackedMatrix(b, 1, 1);
    },
    TypeError,
    ['parameters.b3'],
  );
  // The tutorial's code reads L = len(parameters) // 2 and fails on the missing W2; silently using one layer is wrong.
  row(
    'with W1, b1, W3, b3 but no W2 (a gap)',
    (p) => {
      p.W3 = p.W2;
      p.b3 = p.b2;
      delete p.W2;
      delete p.b2;
    },
    TypeError,
    ['W2'],
  );
  row(
    'with b3 but no W3',
    (p, b) => {
      p.b3 = trackedMatrix(b, 1, 1);
    },
    TypeError,
    ['b3', 'W3'],
  );
  row(
    "W2 whose columns do not match W1's rows",
    (p, b) => {
      p.W2 = trackedMatrix(b, 1, 4);
    },
    RangeError,
    ['parameters.W2'],
  );
  row(
    'b1 with two columns',
    (p, b) => {
      p.b1 = trackedMatrix(b, 3, 2);
    },
    RangeError,
    ['parameters.b1'],
  );
  row(
    'b2 with a row too many',
    (p, b) => {
      p.b2 = trackedMatrix(b, 2, 1);
    },
    RangeError,
    ['parameters.b2'],
  );
  row(
    'W2 float32',
    (p, b) => {
      p.W2 = trackedMatrix(b, 1, 3, 'f32');
    },
    TypeError,
    ['parameters.W2'],
  );
  row(
    'W1 a nested Array',
    (p) => {
      p.W1 = [[0.1, 0.2, 0.3, 0.4]];
    },
    TypeError,
    ['parameters.W1'],
  );
  row(
    'b2 a Float64Array',
    (p, b) => {
      p.b2 = b.track(new Float64Array(1), 'raw b2');
    },
    TypeError,
    ['parameters.b2'],
  );
  return rows;
}

test('tutorial functions: bad arguments throw TypeError/RangeError naming them, inputs unchanged', () => {
  runRows(tutorialRows());
});

// Every function and class the binding exports has rows here: a new export fails this test until it gets rows.
const COVERED = new Set<string>([
  ...KERNELS.map((k) => k.fn as string),
  'gatherColumns',
  'Network',
  'RandomState',
  'setNumThreads',
  'parameterCount',
  'workspaceLength',
  'maskLength',
  'networkLayout',
  'getNumThreads',
  'blasInfo', // no arguments
  'Activation',
  'Optimizer', // constants
]);
test('every export of the binding is covered by the table', () => {
  const missing = Object.keys(native).filter((name) => !COVERED.has(name));
  assert.equal(missing, [], 'exports with no bad-input rows');
  assert.equal({ ...native.Optimizer }, { gradientDescent: 0, momentum: 1, adam: 2 }, 'the optimiser codes');
  assert.equal(
    { ...native.Activation },
    { linear: 0, relu: 1, sigmoid: 2, tanh: 3, leakyRelu: 4, softmax: 5 },
    'the activation codes',
  );
});

// ---------------------------------------------------------------------------------------------------------
// The Model (lib/model/model.ts, lib/model/options.ts), and trainModel / predict (lib/tutorial.ts). Each row builds a small model,
// tracks its flatParameters with every array it is given, and checks all of them unchanged after the throw.

const MODEL_M = 6;
type ModelKind = 'sigmoid' | 'softmax' | 'float32' | 'trained';

function makeModel(kind: ModelKind): Model {
  switch (kind) {
    case 'sigmoid':
      return new Model({ layerDims: [4, 3, 1], seed: 1 });
    case 'softmax':
      return new Model({ layerDims: [4, 3, 3], output: 'softmax', optimizer: 'adam', seed: 2 });
    case 'float32':
      return new Model({
        layerDims: [4, 3, 1],
        dtype: 'float32',
        optimizer: 'momentum',
        l2: 0.1,
        keepProb: 0.8,
        hiddenActivation: 'tanh',
        seed: 3,
      });
    case 'trained': {
      // a model whose network and workspace already exist (fit, then predict on more columns)
      const model = new Model({ layerDims: [4, 3, 1], seed: 4 });
      const X = new Matrix(
        4,
        MODEL_M,
        Float64Array.from({ length: 4 * MODEL_M }, (_, i) => inputValue(i) - 0.5),
      );
      model.fit(
        X,
        new Matrix(
          1,
          MODEL_M,
          Float64Array.from({ length: MODEL_M }, (_, j) => j % 2),
        ),
        { iterations: 2, learningRate: 0.1 },
      );
      model.predict(new Matrix(4, 2 * MODEL_M, new Float64Array(8 * MODEL_M).fill(0.5)));
      return model;
    }
  }
}

const dtypeOfKind = (kind: ModelKind): DTypeName => (kind === 'float32' ? 'f32' : 'f64');

/** Labels for a model: 0/1 (1, m) for sigmoid, one-hot (3, m) for softmax. */
function trackedLabels(b: Buffers, kind: ModelKind, cols = MODEL_M): Matrix {
  const classes = kind === 'softmax' ? 3 : 1;
  const data = kind === 'float32' ? new Float32Array(classes * cols) : new Float64Array(classes * cols);
  for (let j = 0; j < cols; j++) data[(classes === 1 ? 0 : j % classes) + j * classes] = classes === 1 ? j % 2 : 1;
  return new Matrix(classes, cols, b.track(data, 'Y'));
}

interface FitContext {
  b: Buffers;
  model: Model;
  X: unknown;
  Y: unknown;
  options: Record<string, unknown>;
}

/** One defect of a fit-like call (fit, fitAsync, evaluate take X and Y; fit and fitAsync take options too). */
interface FitCase {
  label: string;
  kind: ModelKind;
  edit: (c: FitContext) => void;
  error: ErrorClass;
  names: string[];
  allNames?: boolean;
  /** the case breaks X or Y only (so evaluate gets it too) */
  data?: boolean;
  knownBug?: string;
}

function fitContext(b: Buffers, kind: ModelKind): FitContext {
  const model = makeModel(kind);
  b.track(model.flatParameters, 'model.flatParameters');
  return {
    b,
    model,
    X: trackedMatrix(b, 4, MODEL_M, dtypeOfKind(kind), 'X'),
    Y: trackedLabels(b, kind),
    options: { learningRate: 0.1, iterations: 2 },
  };
}

function fitCases(): FitCase[] {
  const cases: FitCase[] = [];
  const add = (
    label: string,
    kind: ModelKind,
    edit: (c: FitContext) => void,
    error: ErrorClass,
    names: string[],
    extra: Partial<FitCase> = {},
  ) => cases.push({ label, kind, edit, error, names, ...extra });
  const data = { data: true };
  for (const kind of ['sigmoid', 'trained', 'float32'] as const) {
    const d = dtypeOfKind(kind);
    for (const [what, make] of notMatrices) {
      add(`X ${what}`, kind, (c) => (c.X = make(c.b, 4, MODEL_M)), TypeError, ['X'], data);
      // a typed array of one 0/1 label per example is accepted for one sigmoid output (test/rows-labels)
      if (what !== 'a Float64Array' && what !== 'an Int32Array')
        add(`Y ${what}`, kind, (c) => (c.Y = make(c.b, 1, MODEL_M)), TypeError, ['Y'], data);
    }
    add(`X ${other(d)}`, kind, (c) => (c.X = trackedMatrix(c.b, 4, MODEL_M, other(d), 'X')), TypeError, ['X'], data);
    add(
      `Y ${other(d)}`,
      kind,
      (c) => (c.Y = (c.Y as Matrix).astype(other(d) === 'f32' ? 'float32' : 'float64')),
      TypeError,
      ['Y'],
      data,
    );
    add('X with a row too many', kind, (c) => (c.X = trackedMatrix(c.b, 5, MODEL_M, d, 'X')), RangeError, ['X'], data);
    add('X detached', kind, (c) => detach((c.X as Matrix).data), RangeError, ['X'], data);
    add('Y detached', kind, (c) => detach((c.Y as Matrix).data), RangeError, ['Y'], data);
    add(
      'Y with a column too many',
      kind,
      (c) => (c.Y = trackedLabels(c.b, kind, MODEL_M + 1)),
      RangeError,
      ['Y'],
      data,
    );
    add(
      'Y with two rows',
      kind,
      (c) =>
        (c.Y = new Matrix(
          2,
          MODEL_M,
          c.b.track(d === 'f64' ? new Float64Array(2 * MODEL_M) : new Float32Array(2 * MODEL_M), 'Y'),
        )),
      RangeError,
      ['Y'],
      data,
    );
    for (const label of [2, -1, 0.5, NaN, Infinity])
      add(`Y holding the label ${label}`, kind, (c) => ((c.Y as Matrix).data[3] = label), RangeError, ['Y'], data);
    add('Y as a number[] holding the label 2', kind, (c) => (c.Y = [0, 1, 2, 1, 0, 1]), RangeError, ['Y'], data);
    add('Y as a number[] of the wrong length', kind, (c) => (c.Y = [0, 1, 0]), RangeError, ['Y'], data);
  }
  // X inside the model's own parameters: the network refuses a batch that overlaps the memory a step writes
  add(
    "X a view of the model's flatParameters",
    'sigmoid',
    (c) => (c.X = new Matrix(4, 2, c.model.flatParameters.subarray(0, 8) as Float64Array)),
    RangeError,
    ['X'],
    { ...data },
  );

  // softmax: class indices or one-hot columns
  const indices = (values: unknown[]) => (c: FitContext) => (c.Y = values);
  for (const bad of [3, -1, 0.5, NaN, Infinity])
    add(`class index ${bad} among [0, 1, 2, ...]`, 'softmax', indices([0, 1, 2, bad, 1, 2]), RangeError, ['Y'], data);
  add('class index "1" (a string)', 'softmax', indices([0, 1, 2, '1', 1, 2]), RangeError, ['Y'], data);
  add('five class indices for six examples', 'softmax', indices([0, 1, 2, 0, 1]), RangeError, ['Y'], data);
  add(
    'class indices as an Int32Array with 3',
    'softmax',
    (c) => (c.Y = c.b.track(Int32Array.from([0, 1, 2, 3, 1, 2]), 'Y')),
    RangeError,
    ['Y'],
    data,
  );
  add(
    'class indices as a (1, m) Matrix with 3',
    'softmax',
    (c) => (c.Y = new Matrix(1, MODEL_M, c.b.track(Float64Array.from([0, 1, 2, 3, 1, 2]), 'Y'))),
    RangeError,
    ['Y'],
    data,
  );
  add('one-hot Y with a column of two ones', 'softmax', (c) => ((c.Y as Matrix).data[1] = 1), RangeError, ['Y'], data);
  add('one-hot Y with a column of zeros', 'softmax', (c) => ((c.Y as Matrix).data[0] = 0), RangeError, ['Y'], data);
  add(
    'one-hot Y holding 0.5',
    'softmax',
    (c) => (((c.Y as Matrix).data[0] = 0.5), ((c.Y as Matrix).data[1] = 0.5)),
    RangeError,
    ['Y'],
    data,
  );
  add(
    'Y with two rows (neither one-hot nor indices)',
    'softmax',
    (c) => (c.Y = new Matrix(2, MODEL_M, c.b.track(new Float64Array(2 * MODEL_M), 'Y'))),
    RangeError,
    ['Y'],
    data,
  );
  add('one-hot Y float32', 'softmax', (c) => (c.Y = (c.Y as Matrix).astype('float32')), TypeError, ['Y'], data);
  for (const [what, value] of [
    ['a string', '012012'],
    ['null', null],
    ['undefined', undefined],
    ['a number', 2],
    ['an object', { length: MODEL_M }],
  ] as const)
    add(`Y ${what}`, 'softmax', (c) => (c.Y = value), TypeError, ['Y'], data);
  // typed arrays whose elements are not numbers: TypeError (today: RangeError "Y has undefined class indices", or "Y[0] is 0" for 0n)
  add('Y a DataView', 'softmax', (c) => (c.Y = new DataView(new ArrayBuffer(8 * MODEL_M))), TypeError, ['Y'], {
    ...data,
  });
  add(
    'Y a BigInt64Array of class indices',
    'softmax',
    (c) => (c.Y = new BigInt64Array([0n, 1n, 2n, 0n, 1n, 2n])),
    TypeError,
    ['Y'],
    { ...data },
  );

  // options
  const option =
    (name: string, value: unknown, extra: Record<string, unknown> = {}) =>
    (c: FitContext) =>
      Object.assign(c.options, extra, { [name]: value });
  for (const value of [null, 42, 'fast'])
    add(`options ${String(value)}`, 'sigmoid', (c) => (c.options = value as never), TypeError, ['options']);
  for (const v of [0, -0.1, -0, NaN, Infinity, -Infinity])
    add(`learningRate = ${Object.is(v, -0) ? '-0' : v}`, 'sigmoid', option('learningRate', v), RangeError, [
      'options.learningRate',
    ]);
  for (const v of ['0.1', {}])
    add(`learningRate = ${String(v)}`, 'sigmoid', option('learningRate', v), TypeError, ['options.learningRate']);
  for (const v of [0, -1, 1.5, NaN, Infinity, 2 ** 31])
    add(`iterations = ${v}`, 'sigmoid', option('iterations', v), RangeError, ['options.iterations']);
  add('iterations = "2"', 'sigmoid', option('iterations', '2'), TypeError, ['options.iterations']);
  for (const v of [0, -2, 1.5, NaN, Infinity])
    add(`batchSize = ${v}`, 'sigmoid', option('batchSize', v, { iterations: undefined }), RangeError, [
      'options.batchSize',
    ]);
  add('batchSize = "2"', 'sigmoid', option('batchSize', '2', { iterations: undefined }), TypeError, [
    'options.batchSize',
  ]);
  for (const v of [0, -1, 2.5, NaN])
    add(
      `epochs = ${v} (mini-batch)`,
      'softmax',
      option('epochs', v, { iterations: undefined, batchSize: 2 }),
      RangeError,
      ['options.epochs'],
    );
  add('epochs = 0 (full batch)', 'sigmoid', option('epochs', 0, { iterations: undefined }), RangeError, [
    'options.epochs',
  ]);
  add('epochs = "3"', 'sigmoid', option('epochs', '3', { iterations: undefined, batchSize: 2 }), TypeError, [
    'options.epochs',
  ]);
  add('iterations with a batchSize', 'sigmoid', option('batchSize', 2), TypeError, ['options.iterations']);
  add(
    'both iterations and epochs for a full batch',
    'sigmoid',
    option('epochs', 2),
    TypeError,
    ['iterations', 'epochs'],
    { allNames: true },
  );
  for (const v of [-1, NaN, Infinity])
    add(`decayRate = ${v}`, 'sigmoid', option('decayRate', v), RangeError, ['options.decayRate']);
  add('decayRate = "0.1"', 'sigmoid', option('decayRate', '0.1'), TypeError, ['options.decayRate']);
  for (const v of [0, 1.5])
    add(`decayEvery = ${v}`, 'sigmoid', option('decayEvery', v), RangeError, ['options.decayEvery']);
  for (const v of [0, -1, 1.5])
    add(`costEvery = ${v}`, 'sigmoid', option('costEvery', v), RangeError, ['options.costEvery']);
  for (const v of ['yes', 1])
    add(`shuffle = ${String(v)}`, 'softmax', option('shuffle', v, { iterations: undefined, batchSize: 2 }), TypeError, [
      'options.shuffle',
    ]);
  for (const v of [-1, 1.5, 2 ** 32, NaN])
    add(`seed = ${v}`, 'sigmoid', option('seed', v), RangeError, ['options.seed']);
  add('seed = "1"', 'sigmoid', option('seed', '1'), TypeError, ['options.seed']);
  for (const v of [42, 'log'])
    add(`onProgress = ${String(v)}`, 'sigmoid', option('onProgress', v), TypeError, ['options.onProgress']);
  for (const v of [0, 1.5])
    add(`progressEvery = ${v}`, 'float32', option('progressEvery', v), RangeError, ['options.progressEvery']);
  return cases;
}

function modelRows(): Row[] {
  const rows: Row[] = [];
  const row = (
    label: string,
    build: (b: Buffers) => () => unknown,
    error: ErrorClass,
    names: string[],
    extra: Partial<Row> = {},
  ) => rows.push({ label, build, error, names, ...extra });

  // new Model(options)
  const make = (options: unknown) => () => () => new Model(options as never);
  const base = { layerDims: [4, 3, 1], seed: 1 };
  for (const value of [null, undefined, 42, 'model', []])
    row(`new Model(${describeValue(value)})`, make(value), TypeError, ['options']);
  const badOptions: [string, Record<string, unknown>, ErrorClass, string[], string?][] = [
    ['layerDims missing', { layerDims: undefined }, TypeError, ['options.layerDims']],
    ['layerDims "4,3,1"', { layerDims: '4,3,1' }, TypeError, ['options.layerDims']],
    ['layerDims []', { layerDims: [] }, RangeError, ['options.layerDims']],
    ['layerDims [4]', { layerDims: [4] }, RangeError, ['options.layerDims']],
    ['layerDims [4, 0]', { layerDims: [4, 0] }, RangeError, ['options.layerDims[1]']],
    ['layerDims [4, 1.5]', { layerDims: [4, 1.5] }, RangeError, ['options.layerDims[1]']],
    ['layerDims [NaN, 1]', { layerDims: [NaN, 1] }, RangeError, ['options.layerDims[0]']],
    ['layerDims [4, "3", 1]', { layerDims: [4, '3', 1] }, TypeError, ['options.layerDims[1]']],
    [
      'layerDims [2147483647, 2147483647] (more than 2^53 parameters)',
      { layerDims: [2147483647, 2147483647] },
      RangeError,
      ['layerDims'],
    ],
    // valid sizes, but 1e10 parameters cannot be allocated: "cannot allocate the parameters of 100000-100000 ..."
    [
      'layerDims [1e5, 1e5] (1e10 parameters)',
      { layerDims: [1e5, 1e5] },
      RangeError,
      ['options.layerDims', 'layerDims', 'parameters'],
    ],
    ['dtype "float16"', { dtype: 'float16' }, TypeError, ['options.dtype']],
    ['dtype Float64Array', { dtype: Float64Array }, TypeError, ['options.dtype']],
    ['init "xavier"', { init: 'xavier' }, TypeError, ['options.init']],
    ['seed -1', { seed: -1 }, RangeError, ['options.seed']],
    ['seed 1.5', { seed: 1.5 }, RangeError, ['options.seed']],
    ['seed 2^32', { seed: 2 ** 32 }, RangeError, ['options.seed']],
    ['seed "1"', { seed: '1' }, TypeError, ['options.seed']],
    ['hiddenActivation "softmax"', { hiddenActivation: 'softmax' }, TypeError, ['options.hiddenActivation']],
    ['hiddenActivation "gelu"', { hiddenActivation: 'gelu' }, TypeError, ['options.hiddenActivation']],
    ['hiddenActivation 1 (a code)', { hiddenActivation: 1 }, TypeError, ['options.hiddenActivation']],
    [
      'hiddenActivation with two entries for one hidden layer',
      { hiddenActivation: ['relu', 'tanh'] },
      RangeError,
      ['options.hiddenActivation'],
    ],
    [
      'hiddenActivation ["relu", "bad"] for two hidden layers',
      { layerDims: [4, 3, 3, 1], hiddenActivation: ['relu', 'bad'] },
      TypeError,
      ['options.hiddenActivation[1]'],
    ],
    ['output "relu"', { output: 'relu' }, TypeError, ['options.output']],
    ['output "softmax" with one output unit', { output: 'softmax' }, RangeError, ['options.layerDims']],
    ['optimizer "sgd"', { optimizer: 'sgd' }, TypeError, ['options.optimizer']],
    ['optimizer "Adam"', { optimizer: 'Adam' }, TypeError, ['options.optimizer']],
    ['optimizer 2 (a code)', { optimizer: 2 }, TypeError, ['options.optimizer']],
    // `name in OPTIMIZER_CODES` also finds Object.prototype's keys: accepted here, refused only at fit (by new Network)
    ['optimizer "toString"', { optimizer: 'toString' }, TypeError, ['options.optimizer']],
    ['optimizer "constructor"', { optimizer: 'constructor' }, TypeError, ['options.optimizer']],
    ['beta1 1', { beta1: 1 }, RangeError, ['options.beta1']],
    ['beta1 -0.1', { beta1: -0.1 }, RangeError, ['options.beta1']],
    ['beta1 NaN', { beta1: NaN }, RangeError, ['options.beta1']],
    ['beta1 "0.9"', { beta1: '0.9' }, TypeError, ['options.beta1']],
    ['beta2 1', { beta2: 1 }, RangeError, ['options.beta2']],
    ['epsilon 0', { epsilon: 0 }, RangeError, ['options.epsilon']],
    ['epsilon -1e-8', { epsilon: -1e-8 }, RangeError, ['options.epsilon']],
    ['epsilon 2', { epsilon: 2 }, RangeError, ['options.epsilon']],
    ['epsilon NaN', { epsilon: NaN }, RangeError, ['options.epsilon']],
    ['epsilon "1e-8"', { epsilon: '1e-8' }, TypeError, ['options.epsilon']],
    ['l2 -1', { l2: -1 }, RangeError, ['options.l2']],
    ['l2 NaN', { l2: NaN }, RangeError, ['options.l2']],
    ['l2 Infinity', { l2: Infinity }, RangeError, ['options.l2']],
    ['l2 "0.1"', { l2: '0.1' }, TypeError, ['options.l2']],
    ['keepProb 0', { keepProb: 0 }, RangeError, ['options.keepProb']],
    ['keepProb 1.5', { keepProb: 1.5 }, RangeError, ['options.keepProb']],
    ['keepProb NaN', { keepProb: NaN }, RangeError, ['options.keepProb']],
    ['keepProb "0.5"', { keepProb: '0.5' }, TypeError, ['options.keepProb']],
    ['keepProb with two entries for one hidden layer', { keepProb: [0.5, 0.5] }, RangeError, ['options.keepProb']],
    [
      'keepProb [0.5, "x"] for two hidden layers',
      { layerDims: [4, 3, 3, 1], keepProb: [0.5, 'x'] },
      TypeError,
      ['options.keepProb[1]'],
    ],
  ];
  for (const [label, options, error, names, knownBug] of badOptions)
    row(`new Model: options.${label}`, make({ ...base, ...options }), error, names, { knownBug });

  // fit, evaluate (the X / Y cases), predict and predictProba (the X cases)
  for (const c of fitCases()) {
    const extra = { allNames: c.allNames, knownBug: c.knownBug };
    row(
      `Model.fit (${c.kind}): ${c.label}`,
      (b) => {
        const ctx = fitContext(b, c.kind);
        c.edit(ctx);
        return () => ctx.model.fit(ctx.X as Matrix, ctx.Y as Matrix, ctx.options);
      },
      c.error,
      c.names,
      extra,
    );
    if (!c.data) continue;
    row(
      `Model.evaluate (${c.kind}): ${c.label}`,
      (b) => {
        const ctx = fitContext(b, c.kind);
        c.edit(ctx);
        return () => ctx.model.evaluate(ctx.X as Matrix, ctx.Y as Matrix);
      },
      c.error,
      c.names,
      extra,
    );
    if (c.label.startsWith('X ') && !c.label.includes('flatParameters'))
      for (const method of ['predict', 'predictProba'] as const)
        row(
          `Model.${method} (${c.kind}): ${c.label}`,
          (b) => {
            const ctx = fitContext(b, c.kind);
            c.edit(ctx);
            return () => ctx.model[method](ctx.X as Matrix);
          },
          c.error,
          c.names,
          extra,
        );
  }

  // setParameters(record), setFlatParameters(values)
  const set =
    (kind: ModelKind, edit: (p: Record<string, unknown>, b: Buffers, model: Model) => void | { replace: unknown }) =>
    (b: Buffers) => {
      const model = makeModel(kind);
      b.track(model.flatParameters, 'model.flatParameters');
      // a valid record with values other than the model's: a partial write would show
      const record: Record<string, unknown> = trackedParameters(b, [...model.layerDims], dtypeOfKind(kind));
      const edited = edit(record, b, model);
      return () => model.setParameters((edited ? edited.replace : record) as never);
    };
  for (const value of [null, undefined, 42, 'W1'])
    row(
      `Model.setParameters(${String(value)})`,
      set('sigmoid', () => ({ replace: value })),
      TypeError,
      ['parameters'],
    );
  row(
    'Model.setParameters({})',
    set('sigmoid', () => ({ replace: {} })),
    TypeError,
    ['parameters.W1'],
  );
  row(
    'Model.setParameters: W2 missing',
    set('trained', (p) => {
      delete p.W2;
    }),
    TypeError,
    ['parameters.W2'],
  );
  row(
    'Model.setParameters: b2 missing',
    set('sigmoid', (p) => {
      delete p.b2;
    }),
    TypeError,
    ['parameters.b2'],
  );
  row(
    'Model.setParameters: W1 float32 for a float64 model',
    set('sigmoid', (p, b) => {
      p.W1 = trackedMatrix(b, 3, 4, 'f32');
    }),
    TypeError,
    ['parameters.W1'],
  );
  row(
    'Model.setParameters: W1 float64 for a float32 model',
    set('float32', (p, b) => {
      p.W1 = trackedMatrix(b, 3, 4, 'f64');
    }),
    TypeError,
    ['parameters.W1'],
  );
  row(
    'Model.setParameters: W1 transposed',
    set('sigmoid', (p, b) => {
      p.W1 = trackedMatrix(b, 4, 3);
    }),
    RangeError,
    ['parameters.W1'],
  );
  row(
    'Model.setParameters: b2 with a row too many',
    set('softmax', (p, b) => {
      p.b2 = trackedMatrix(b, 4, 1);
    }),
    RangeError,
    ['parameters.b2'],
  );
  row(
    'Model.setParameters: W2 a nested Array',
    set('sigmoid', (p) => {
      p.W2 = [[0.1, 0.2, 0.3]];
    }),
    TypeError,
    ['parameters.W2'],
  );
  row(
    'Model.setParameters: b1 detached',
    set('sigmoid', (p) => {
      detach((p.b1 as Matrix).data);
    }),
    RangeError,
    ['parameters.b1'],
  );
  // a record for a deeper network: the extra layer is silently dropped today
  row(
    'Model.setParameters: a record with a third layer (W3, b3) for a two-layer model',
    set('sigmoid', (p, b) => {
      p.W3 = trackedMatrix(b, 1, 1);
      p.b3 = trackedMatrix(b, 1, 1);
    }),
    RangeError,
    ['parameters', 'parameters.W3', 'W3'],
  );
  const setFlat = (kind: ModelKind, values: (b: Buffers, P: number) => unknown) => (b: Buffers) => {
    const model = makeModel(kind);
    b.track(model.flatParameters, 'model.flatParameters');
    const v = values(b, model.parameterCount);
    return () => model.setFlatParameters(v as never);
  };
  for (const [what, values] of [
    ['a plain Array', (_b: Buffers, P: number) => new Array(P).fill(0.5)],
    ['an Int32Array', (b: Buffers, P: number) => b.track(new Int32Array(P), 'values')],
    ['null', () => null],
  ] as const)
    row(`Model.setFlatParameters(${what})`, setFlat('sigmoid', values), TypeError, ['values']);
  row(
    'Model.setFlatParameters: one value short',
    setFlat('sigmoid', (b, P) => b.input('f64', P - 1, 'values')),
    RangeError,
    ['values'],
  );
  row(
    'Model.setFlatParameters: detached',
    setFlat('trained', (b, P) => {
      const v = b.input('f64', P, 'values');
      detach(v);
      return v;
    }),
    RangeError,
    ['values'],
  );

  // gradientCheck(X, Y, options)
  const check = (options: unknown) => (b: Buffers) => {
    const ctx = fitContext(b, 'sigmoid');
    return () => ctx.model.gradientCheck(ctx.X as Matrix, ctx.Y as Matrix, options as never);
  };
  for (const v of [0, -1e-7, NaN, Infinity])
    row(`Model.gradientCheck: options.epsilon = ${v}`, check({ epsilon: v }), RangeError, ['options.epsilon']);
  for (const v of [0, 1.5])
    row(`Model.gradientCheck: options.maxParameters = ${v}`, check({ maxParameters: v }), RangeError, [
      'options.maxParameters',
    ]);
  row('Model.gradientCheck: options null', check(null), TypeError, ['options']);

  // save(file), Model.load(file)
  for (const file of [42, '', null, undefined, ['a.model']]) {
    row(
      `Model.save(${describeValue(file)})`,
      (b) => {
        const model = makeModel('sigmoid');
        b.track(model.flatParameters, 'model.flatParameters');
        return () => model.save(file as never);
      },
      TypeError,
      ['file'],
    );
    row(`Model.load(${describeValue(file)})`, () => () => Model.load(file as never), TypeError, ['file']);
  }

  // trainModel(X, Y, layerDims, options) and predict(X, parameters), the tutorial's L_layer_model and predict
  const X = (b: Buffers) => trackedMatrix(b, 4, MODEL_M, 'f64', 'X');
  const train = (edit: (args: unknown[], b: Buffers) => void) => (b: Buffers) => {
    const args: unknown[] = [X(b), trackedLabels(b, 'sigmoid'), [4, 3, 1], { numIterations: 2 }];
    edit(args, b);
    return () => lib.trainModel(...args);
  };
  for (const [what, make] of notMatrices)
    row(
      `trainModel: X ${what}`,
      train((a, b) => (a[0] = make(b, 4, MODEL_M))),
      TypeError,
      ['X'],
    );
  row(
    'trainModel: Y holding the label 2',
    train((a) => ((a[1] as Matrix).data[0] = 2)),
    RangeError,
    ['Y'],
  );
  row(
    'trainModel: options null',
    train((a) => (a[3] = null)),
    TypeError,
    ['options'],
  );
  row(
    'trainModel: options.learningRate = -1',
    train((a) => (a[3] = { learningRate: -1 })),
    RangeError,
    ['options.learningRate'],
  );
  row(
    'trainModel: options.seed = -1',
    train((a) => (a[3] = { seed: -1 })),
    RangeError,
    ['options.seed'],
  );
  row(
    'trainModel: options.init = "xavier"',
    train((a) => (a[3] = { init: 'xavier' })),
    TypeError,
    ['options.init'],
  );
  // the messages name the Model's options (options.layerDims, options.iterations), not trainModel's own arguments
  row(
    'trainModel: layerDims [4, 0, 1]',
    train((a) => (a[2] = [4, 0, 1])),
    RangeError,
    ['layerDims[1]'],
  );
  row(
    'trainModel: options.numIterations = 0',
    train((a) => (a[3] = { numIterations: 0 })),
    RangeError,
    ['options.numIterations', 'numIterations'],
  );
  const predictRow = (
    label: string,
    edit: (p: Record<string, unknown>, args: unknown[], b: Buffers) => void,
    error: ErrorClass,
    names: string[],
  ) =>
    row(
      `predict: ${label}`,
      (b) => {
        const p: Record<string, unknown> = trackedParameters(b, [4, 3, 1]);
        const args: unknown[] = [X(b), p];
        edit(p, args, b);
        return () => lib.predict(...args);
      },
      error,
      names,
    );
  predictRow('X with a row too many', (_p, a, b) => (a[0] = trackedMatrix(b, 5, MODEL_M)), RangeError, ['X']);
  predictRow('X float32', (_p, a, b) => (a[0] = trackedMatrix(b, 4, MODEL_M, 'f32')), TypeError, ['X']);
  predictRow('parameters null', (_p, a) => (a[1] = null), TypeError, ['parameters']);
  predictRow(
    'parameters with W1, b1, W3, b3 (a gap)',
    (p) => {
      p.W3 = p.W2;
      p.b3 = p.b2;
      delete p.W2;
      delete p.b2;
    },
    TypeError,
    ['W2'],
  );
  return rows;
}

test('Model, trainModel, predict: bad arguments throw TypeError/RangeError naming them; flatParameters unchanged', () => {
  runRows(modelRows());
});

test('Model: the valid base calls of the rows above succeed (so each row isolates its one defect)', () => {
  for (const kind of ['sigmoid', 'softmax', 'float32', 'trained'] as const) {
    const ctx = fitContext(new Buffers(), kind);
    const before = Array.from(ctx.model.flatParameters);
    const result = ctx.model.fit(ctx.X as Matrix, ctx.Y as Matrix, ctx.options);
    assert.is(result.iterations, 2, `${kind}: trained`);
    assert.ok(
      Array.from(ctx.model.flatParameters).some((v, i) => v !== before[i]),
      `${kind}: parameters changed`,
    );
    const { accuracy } = ctx.model.evaluate(ctx.X as Matrix, ctx.Y as Matrix);
    assert.ok(accuracy >= 0 && accuracy <= 1, `${kind}: evaluated`);
    assert.is(ctx.model.predict(ctx.X as Matrix).cols, MODEL_M, `${kind}: predicted`);
  }
  // softmax labels as class indices: a number[], an Int32Array and a (1, m) Matrix all train
  for (const labels of [
    [0, 1, 2, 0, 1, 2],
    Int32Array.from([0, 1, 2, 0, 1, 2]),
    new Matrix(1, MODEL_M, Float64Array.from([0, 1, 2, 0, 1, 2])),
  ]) {
    const ctx = fitContext(new Buffers(), 'softmax');
    assert.is(ctx.model.fit(ctx.X as Matrix, labels, { iterations: 1 }).iterations, 1);
  }
  // X and Y over SharedArrayBuffers (how fitAsync avoids a copy) train exactly as over ArrayBuffers
  const fitOn = (shared: boolean) => {
    const ctx = fitContext(new Buffers(), 'float32');
    const [X, Y] = [ctx.X as Matrix, ctx.Y as Matrix].map((M) =>
      shared ? new Matrix(M.rows, M.cols, sharedCopy(M.data)) : M,
    );
    const { costs } = ctx.model.fit(X, Y, { iterations: 3, learningRate: 0.1, costEvery: 1 });
    return {
      costs,
      params: Array.from(ctx.model.flatParameters),
      predictions: Array.from(ctx.model.predictProba(X).data),
    };
  };
  assert.equal(fitOn(true), fitOn(false), 'SharedArrayBuffer-backed X and Y');
  // the record setParameters takes is the one `parameters` gives
  const model = makeModel('sigmoid');
  const source = makeModel('trained');
  model.setParameters(source.parameters);
  assert.equal(Array.from(model.flatParameters), Array.from(source.flatParameters));
});

test('Model.load: a missing or corrupt file is an Error naming the file', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dnn-bad-input-'));
  try {
    const missing = path.join(dir, 'missing.model');
    assert.throws(
      () => Model.load(missing),
      (e: unknown) => e instanceof Error && (e as Error).message.includes(missing),
    );
    const corrupt = path.join(dir, 'corrupt.model');
    fs.writeFileSync(corrupt, 'DNNMODEL but not really');
    assert.throws(
      () => Model.load(corrupt),
      (e: unknown) => e instanceof Error && (e as Error).message.includes(corrupt),
    );
    const model = makeModel('sigmoid');
    const before = Array.from(model.flatParameters);
    assert.throws(
      () => model.save(path.join(dir, 'no-such-folder', 'a.model')),
      (e: unknown) => e instanceof Error,
    );
    assert.equal(Array.from(model.flatParameters), before, 'a failed save leaves the model as it was');
    assert.equal(fs.readdirSync(dir).sort(), ['corrupt.model'], 'no temporary file left behind');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/** Like check(), for a call that must return a promise that rejects (fitAsync: no synchronous throw). */
async function checkAsync(row: Row): Promise<string | undefined> {
  const buffers = new Buffers();
  let call: () => unknown;
  try {
    call = row.build(buffers);
  } catch (error) {
    return `building the row threw ${String(error)}`;
  }
  buffers.snapshot();
  let promise: unknown;
  try {
    promise = call();
  } catch (error) {
    return `threw synchronously (${String(error)}) instead of returning a rejected promise`;
  }
  if (!(promise instanceof Promise)) return 'did not return a promise';
  let thrown: unknown;
  try {
    await promise;
  } catch (error) {
    thrown = error;
  }
  return judge(row, thrown, buffers);
}

test('Model.fitAsync: bad arguments reject with a TypeError/RangeError naming them; flatParameters unchanged', async () => {
  const rows: Row[] = [];
  const asyncRow = (
    label: string,
    kind: ModelKind,
    edit: (c: FitContext) => void,
    error: ErrorClass,
    names: string[],
    extra: Partial<Row> = {},
  ) =>
    rows.push({
      label: `Model.fitAsync (${kind}): ${label}`,
      build: (b) => {
        const ctx = fitContext(b, kind);
        edit(ctx);
        // after the rejection the model must not be left "training": predictProba would throw a plain Error then
        return () =>
          ctx.model.fitAsync(ctx.X as Matrix, ctx.Y as Matrix, ctx.options).catch((error) => {
            ctx.model.predictProba(trackedMatrix(new Buffers(), 4, 2, dtypeOfKind(kind)));
            throw error;
          });
      },
      error,
      names,
      ...extra,
    });
  // a sample of the fit cases (each kind of defect), not all: the checks are the same code as fit's
  const cases = fitCases();
  for (const c of cases.filter((_, i) => i % 4 === 0))
    asyncRow(c.label, c.kind, c.edit, c.error, c.names, { allNames: c.allNames, knownBug: c.knownBug });
  asyncRow('options.signal {}', 'sigmoid', (c) => (c.options.signal = {}), TypeError, ['options.signal']);
  for (const v of [0, 1.5])
    asyncRow(`options.blasThreads = ${v}`, 'sigmoid', (c) => (c.options.blasThreads = v), RangeError, [
      'options.blasThreads',
    ]);
  // OpenBLAS takes at most 1024 threads: refused in the worker today ("setNumThreads: n must be at most 1024"), after
  // spawning it, naming setNumThreads's n instead of options.blasThreads
  asyncRow('options.blasThreads = 2000', 'sigmoid', (c) => (c.options.blasThreads = 2000), RangeError, [
    'options.blasThreads',
  ]);
  const failures: string[] = [];
  for (const row of rows) {
    const problem = await checkAsync(row);
    if (row.knownBug) {
      if (problem === undefined) failures.push(`${row.label}: passes now; remove knownBug "${row.knownBug}"`);
      else openKnownBugs.add(row.knownBug);
      if (VERBOSE && problem !== undefined) console.log(`  known bug ${row.knownBug}: ${row.label}: ${problem}`);
    } else if (problem !== undefined) failures.push(`${row.label}: ${problem}`);
  }
  rowCount += rows.length;
  if (failures.length)
    assert.unreachable(`${failures.length} of ${rows.length} rows failed:\n  ${failures.join('\n  ')}`);
});

test.after(() => {
  if (VERBOSE) console.log(`  bad-input: ${rowCount} rows`);
  if (openKnownBugs.size) console.log(`  bad-input: known bugs still open: ${[...openKnownBugs].sort().join(', ')}`);
});

test.run();
