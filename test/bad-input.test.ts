// Bad input, everywhere (issue 5): a table of wrong calls to the raw binding and to the tutorial's functions.
// Every row must throw the right class (TypeError: wrong kind of value; RangeError: right kind, wrong size or
// value), name the argument in its message, and leave every buffer it was given exactly as it was: outputs are
// filled with a sentinel first, inputs are snapshotted, and both are compared after the throw.
//
// Rows are grouped (one uvu test per group, listing every failing row at once). A row marked `knownBug` is a
// reported defect: it is expected to fail the checks until fixed, and the test fails when it starts passing, so
// the flag is removed then. Model / trainModel rows go in a group of their own (see `groups` at the bottom).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import native from '../lib/binding';
import * as dnn from '../lib/index';
import { Matrix } from '../lib/index';

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
  const problems: string[] = [];
  if (thrown === undefined) problems.push('did not throw');
  else if (!(thrown instanceof Error)) problems.push(`threw a non-Error ${String(thrown)}`);
  else {
    const message = thrown.message;
    if (thrown.constructor !== row.error) problems.push(`threw ${thrown.constructor.name} (${message}), expected ${row.error.name}`);
    const named = row.allNames ? row.names.every((n) => namesArgument(message, n)) : row.names.some((n) => namesArgument(message, n));
    if (!named) problems.push(`message "${message}" does not name ${row.names.join(row.allNames ? ' and ' : ' or ')}`);
    if (row.prefix && !message.startsWith(`${row.prefix}: `)) problems.push(`message "${message}" does not start with "${row.prefix}: "`);
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
  if (failures.length) assert.unreachable(`${failures.length} of ${rows.length} rows failed:\n  ${failures.join('\n  ')}`);
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
  | { kind: 'rate'; name: 'learningRate' };

interface KernelSpec {
  fn: keyof typeof native;
  args: Arg[];
  /** Element-wise kernels: the array every other length is compared with (then a length error may name either). */
  reference?: string;
  /** Output pairs that may be the very same array (A and Z), though not partly overlapping. */
  mayAlias?: [string, string][];
}

const nm = (d: Dims) => d.n * d.m;
const array = (name: string, role: 'in' | 'out' | 'inout' | 'optionalOut', size: (d: Dims) => number): Arg => ({ kind: 'array', name, role, size });
const dimArgs: Arg[] = [{ kind: 'dim', name: 'n' }, { kind: 'dim', name: 'nPrev' }, { kind: 'dim', name: 'm' }];
const activationArg: Arg = { kind: 'activation', name: 'activation' };
/** The first code that is not an activation (the codes are 0, 1, ... with no gaps; more get appended). */
const ACTIVATION_COUNT = Object.keys(native.Activation).length;

const KERNELS: KernelSpec[] = [
  {
    fn: 'linearForward',
    args: [array('Z', 'out', nm), array('W', 'in', (d) => d.n * d.nPrev), array('A_prev', 'in', (d) => d.nPrev * d.m), array('b', 'in', (d) => d.n), ...dimArgs],
  },
  {
    fn: 'linearActivationForward',
    args: [
      array('A', 'out', nm), array('Z', 'out', nm), array('W', 'in', (d) => d.n * d.nPrev), array('A_prev', 'in', (d) => d.nPrev * d.m),
      array('b', 'in', (d) => d.n), ...dimArgs, activationArg,
    ],
    mayAlias: [['A', 'Z']],
  },
  { fn: 'activationForward', args: [array('A', 'out', nm), array('Z', 'in', nm), activationArg], reference: 'Z', mayAlias: [['A', 'Z']] },
  { fn: 'activationBackward', args: [array('dZ', 'out', nm), array('dA', 'in', nm), array('Z', 'in', nm), activationArg], reference: 'Z' },
  {
    fn: 'linearBackward',
    args: [
      array('dA_prev', 'optionalOut', (d) => d.nPrev * d.m), array('dW', 'out', (d) => d.n * d.nPrev), array('db', 'out', (d) => d.n),
      array('dZ', 'in', nm), array('A_prev', 'in', (d) => d.nPrev * d.m), array('W', 'in', (d) => d.n * d.nPrev), ...dimArgs,
    ],
  },
  { fn: 'binaryCrossEntropy', args: [array('AL', 'in', nm), array('Y', 'in', nm), { kind: 'dim', name: 'n' }, { kind: 'dim', name: 'm' }] },
  { fn: 'binaryCrossEntropyFromLogits', args: [array('Z', 'in', nm), array('Y', 'in', nm), { kind: 'dim', name: 'n' }, { kind: 'dim', name: 'm' }] },
  { fn: 'binaryCrossEntropyBackward', args: [array('dAL', 'out', nm), array('AL', 'in', nm), array('Y', 'in', nm)], reference: 'AL' },
  { fn: 'sigmoidCrossEntropyBackward', args: [array('dZ', 'out', nm), array('AL', 'in', nm), array('Y', 'in', nm)], reference: 'AL' },
  { fn: 'sgdUpdate', args: [array('param', 'inout', nm), array('grad', 'in', nm), { kind: 'rate', name: 'learningRate' }], reference: 'param' },
];

/** A value for one argument slot: a replacement builder, or undefined to build the default. */
type Override = (buffers: Buffers, dtype: DTypeName, dims: Dims) => unknown;

function buildArgs(spec: KernelSpec, dtype: DTypeName, buffers: Buffers, overrides: Map<number, Override> = new Map(), dims: Dims = DIMS): unknown[] {
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
    }
  });
}

function kernelCall(spec: KernelSpec, args: unknown[]): () => unknown {
  const fn = native[spec.fn] as unknown as Loose;
  return () => fn(...args);
}

/** Which arrays' lengths depend on the given dim. */
function arraysUsing(spec: KernelSpec, dim: keyof Dims): string[] {
  return spec.args.flatMap((arg) => (arg.kind === 'array' && arg.size({ ...DIMS, [dim]: DIMS[dim] + 1 }) !== arg.size(DIMS) ? [arg.name] : []));
}

function kernelRows(spec: KernelSpec, dtype: DTypeName): Row[] {
  const rows: Row[] = [];
  const arrays = spec.args.filter((a): a is Extract<Arg, { kind: 'array' }> => a.kind === 'array');
  const row = (label: string, overrides: [number, Override][], error: ErrorClass, names: string[], extra: Partial<Row> = {}): void => {
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
      const fill = (b: Buffers, d: DTypeName, length: number, label: string) => (arg.role === 'out' || arg.role === 'optionalOut' ? b.output(d, length, label) : b.input(d, length, label));
      const lengthNames = arg.name === spec.reference ? arrays.map((a) => a.name) : [arg.name];
      row(`${arg.name} as a plain Array`, [[index, () => Array.from({ length: len }, (_, i) => inputValue(i))]], TypeError, [arg.name]);
      row(`${arg.name} as an Int32Array`, [[index, (b) => b.track(new Int32Array(len).fill(7), arg.name)]], TypeError, [arg.name]);
      row(`${arg.name} as a ${other(dtype)} array among ${dtype} ones`, [[index, (b, d) => fill(b, other(d), len, arg.name)]], TypeError, [arg.name]);
      row(`${arg.name} as a number`, [[index, () => 3]], TypeError, [arg.name]);
      if (arg.role !== 'optionalOut') row(`${arg.name} null`, [[index, () => null]], TypeError, [arg.name]);
      row(`${arg.name} detached`, [[index, (b, d) => { const a = fill(b, d, len, arg.name); detach(a); return a; }]], RangeError, [arg.name]);
      row(`${arg.name} zero-length`, [[index, (b, d) => fill(b, d, 0, arg.name)]], RangeError, [arg.name]);
      row(`${arg.name} one element too short`, [[index, (b, d) => fill(b, d, len - 1, arg.name)]], RangeError, lengthNames);
      row(`${arg.name} one element too long`, [[index, (b, d) => fill(b, d, len + 1, arg.name)]], RangeError, lengthNames);
    } else if (arg.kind === 'dim') {
      for (const bad of [0, -1, -3, 1.5, NaN, Infinity, -Infinity, 2 ** 31, 2 ** 53 + 2, 1e300])
        row(`${arg.name} = ${bad}`, [[index, () => bad]], RangeError, [arg.name]);
      for (const bad of ['3', null, undefined, 3n, { valueOf: () => 3 }])
        row(`${arg.name} = ${typeof bad === 'object' && bad ? 'an object' : String(bad)} (${typeof bad})`, [[index, () => bad]], TypeError, [arg.name]);
      const users = arraysUsing(spec, arg.name);
      row(`${arg.name} one more than the buffers hold`, [[index, () => DIMS[arg.name] + 1]], RangeError, users);
      row(`${arg.name} = 2147483647 (valid integer, buffers far too short)`, [[index, () => 2147483647]], RangeError, users);
    } else if (arg.kind === 'activation') {
      for (const bad of [ACTIVATION_COUNT, -1, 0.5, NaN, Infinity, 2 ** 32 + 1]) row(`activation = ${bad}`, [[index, () => bad]], RangeError, ['activation']);
      // softmax needs whole columns: the element-wise kernels refuse it
      if ('softmax' in native.Activation && (spec.fn === 'activationForward' || spec.fn === 'activationBackward'))
        row('activation = softmax', [[index, () => (native.Activation as Record<string, number>).softmax]], RangeError, ['activation', 'softmax']);
      for (const bad of ['relu', null, undefined]) row(`activation = ${String(bad)}`, [[index, () => bad]], TypeError, ['activation']);
    } else {
      for (const bad of [NaN, Infinity, -Infinity]) row(`learningRate = ${bad}`, [[index, () => bad]], RangeError, ['learningRate']);
      for (const bad of ['0.1', null, undefined]) row(`learningRate = ${String(bad)}`, [[index, () => bad]], TypeError, ['learningRate']);
    }
  });

  // Outputs that partly overlap another argument: the kernels assume no aliasing, so this must be refused.
  spec.args.forEach((out, i) => {
    if (out.kind !== 'array' || out.role === 'in') return;
    spec.args.forEach((arg, j) => {
      if (j === i || arg.kind !== 'array' || (j < i && arg.role !== 'in')) return;
      const outLen = out.size(DIMS), argLen = arg.size(DIMS);
      let shared: Float64Array | Float32Array | undefined;
      const sharedBuffer = (b: Buffers, d: DTypeName) => (shared ??= b.input(d, outLen + argLen - 1, `buffer shared by ${out.name} and ${arg.name}`));
      row(`${out.name} overlaps ${arg.name} by one element`, [
        [i, (b, d) => sharedBuffer(b, d).subarray(0, outLen)],
        [j, (b, d) => sharedBuffer(b, d).subarray(outLen - 1)],
      ], RangeError, [out.name, arg.name], { allNames: true });
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
        assert.ok(written.every((v) => v !== SENTINEL && Number.isFinite(v)), `${arg.name} fully written`);
      });
      if (spec.fn === 'sgdUpdate') assert.ok(buffers.changed() !== undefined, 'param updated');
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
    assert.ok((args[1] as Float64Array).every((v) => v !== SENTINEL), 'dW written');
  }
});

// ---------------------------------------------------------------------------------------------------------
// The raw sizes, thread count and RandomState.

function simpleRows(): Row[] {
  const rows: Row[] = [];
  const add = (label: string, call: () => unknown, error: ErrorClass, names: string[], prefix?: string, knownBug?: string) =>
    rows.push({ label, build: () => call, error, names, prefix, knownBug });
  const badDims: [unknown, ErrorClass, string][] = [
    [undefined, TypeError, 'layerDims'], ['3,2', TypeError, 'layerDims'], [new Int32Array([3, 2]), TypeError, 'layerDims'],
    [[], RangeError, 'layerDims'], [[3], RangeError, 'layerDims'],
    [[3, 0], RangeError, 'layerDims[1]'], [[3, -2], RangeError, 'layerDims[1]'], [[3, 1.5], RangeError, 'layerDims[1]'],
    [[NaN, 2], RangeError, 'layerDims[0]'], [[3, Infinity], RangeError, 'layerDims[1]'], [[3, 2 ** 31], RangeError, 'layerDims[1]'],
    [[3, '2'], TypeError, 'layerDims[1]'], [[3, null], TypeError, 'layerDims[1]'], [[3, 2, , 1], TypeError, 'layerDims[2]'],
  ];
  for (const [dims, error, name] of badDims) {
    add(`parameterCount(${describeValue(dims)})`, () => (native.parameterCount as Loose)(dims), error, [name], 'parameterCount');
    add(`workspaceLength(${describeValue(dims)}, 4)`, () => (native.workspaceLength as Loose)(dims, 4), error, [name], 'workspaceLength');
  }
  for (const capacity of [0, -1, 2.5, NaN, Infinity, 2 ** 31]) add(`workspaceLength([3, 2], ${capacity})`, () => (native.workspaceLength as Loose)([3, 2], capacity), RangeError, ['capacity'], 'workspaceLength');
  add('workspaceLength([3, 2], "4")', () => (native.workspaceLength as Loose)([3, 2], '4'), TypeError, ['capacity'], 'workspaceLength');
  add('parameterCount()', () => (native.parameterCount as Loose)(), TypeError, ['expected 1 arguments', 'expected 1 argument'], 'parameterCount');
  // exact values 2^64 and more wrap around today (to 179473 and 272157 here): refuse them instead
  add('parameterCount(dims whose count passes 2^64)', () => native.parameterCount(WRAPPING_DIMS), RangeError, ['layerDims'], 'parameterCount', 'size-overflow');
  add('workspaceLength(dims, capacity whose length passes 2^64)', () => native.workspaceLength(WRAPPING_DIMS, WRAPPING_CAPACITY), RangeError, ['layerDims', 'capacity'], 'workspaceLength', 'size-overflow');

  for (const n of [0, -1, 1.5, NaN, Infinity, 1025, 2 ** 31]) add(`setNumThreads(${n})`, () => (native.setNumThreads as Loose)(n), RangeError, ['n'], 'setNumThreads');
  for (const n of ['2', null, undefined]) add(`setNumThreads(${String(n)})`, () => (native.setNumThreads as Loose)(n), TypeError, ['n'], 'setNumThreads');

  const RS = native.RandomState as unknown as new (...args: unknown[]) => InstanceType<typeof native.RandomState>;
  for (const seed of [-1, 1.5, NaN, Infinity, 2 ** 32]) add(`new RandomState(${seed})`, () => new RS(seed), RangeError, ['seed'], 'new RandomState');
  for (const seed of ['1', null, undefined]) add(`new RandomState(${String(seed)})`, () => new RS(seed), TypeError, ['seed'], 'new RandomState');
  add('new RandomState()', () => new RS(), TypeError, ['expected 1 arguments', 'expected 1 argument'], 'new RandomState');
  add('RandomState.seed(-1)', () => (new native.RandomState(1).seed as Loose)(-1), RangeError, ['seed'], 'RandomState.seed');
  for (const method of ['standardNormal', 'uniform'] as const) {
    for (const [out, what] of [[new Float32Array(3), 'a Float32Array'], [[0, 0, 0], 'a plain Array'], [new Int32Array(3), 'an Int32Array'], [null, 'null']] as const) {
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
  for (const [values, what] of [[new Float64Array(3), 'a Float64Array'], [[0, 1, 2], 'a plain Array'], [new Int32Array(3), 'an Int32Array']] as const) {
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
  if (Array.isArray(value)) return `[${Array.from(value, (v) => (typeof v === 'string' ? JSON.stringify(v) : String(v))).join(', ')}]`;
  if (ArrayBuffer.isView(value)) return value.constructor.name;
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

test('raw parameterCount, workspaceLength, setNumThreads, RandomState: bad arguments are named', () => {
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

interface NetBuffers {
  params: Float64Array | Float32Array;
  nextParams: Float64Array | Float32Array | null;
  grads: Float64Array | Float32Array;
  workspace: Float64Array | Float32Array;
}

function netBuffers(buffers: Buffers, dtype: DTypeName, withNext = true): NetBuffers {
  const P = native.parameterCount(NET_DIMS);
  const params = buffers.input(dtype, P, 'params');
  for (let i = 0; i < P; i++) params[i] = (inputValue(i) - 0.5) * 0.5;
  return {
    params,
    nextParams: withNext ? buffers.output(dtype, P, 'nextParams') : null,
    grads: buffers.output(dtype, P, 'grads'),
    workspace: buffers.output(dtype, native.workspaceLength(NET_DIMS, NET_CAPACITY), 'workspace'),
  };
}

function netSpec(b: NetBuffers): Record<string, unknown> {
  return { layerDims: NET_DIMS, activations: [native.Activation.relu, native.Activation.sigmoid], capacity: NET_CAPACITY, ...b };
}

const NetworkCtor = native.Network as unknown as new (spec: unknown) => InstanceType<typeof native.Network>;

function networkConstructorRows(dtype: DTypeName): Row[] {
  const rows: Row[] = [];
  const P = native.parameterCount(NET_DIMS);
  const W = native.workspaceLength(NET_DIMS, NET_CAPACITY);
  const lengths: Record<string, number> = { params: P, nextParams: P, grads: P, workspace: W };
  const row = (label: string, edit: (spec: Record<string, unknown>, buffers: Buffers, b: NetBuffers) => void, error: ErrorClass, names: string[], extra: Partial<Row> = {}) =>
    rows.push({
      label: `new Network (${dtype}): ${label}`,
      build: (buffers) => {
        const b = netBuffers(buffers, dtype);
        const spec = netSpec(b);
        edit(spec, buffers, b);
        return () => new NetworkCtor(spec);
      },
      error,
      names,
      prefix: 'new Network',
      ...extra,
    });

  for (const [value, what] of [[undefined, 'undefined'], [null, 'null'], [[], 'an Array'], [42, 'a number']] as const)
    rows.push({ label: `new Network(${what})`, build: () => () => new NetworkCtor(value), error: TypeError, names: ['options'], prefix: 'new Network' });

  row('layerDims missing', (s) => delete s.layerDims, TypeError, ['layerDims']);
  row('layerDims a string', (s) => (s.layerDims = '4,3,1'), TypeError, ['layerDims']);
  row('layerDims empty', (s) => (s.layerDims = []), RangeError, ['layerDims']);
  row('layerDims with one entry', (s) => ((s.layerDims = [4]), (s.activations = [])), RangeError, ['layerDims']);
  for (const bad of [0, -3, 1.5, NaN, Infinity, 2 ** 31]) row(`layerDims[1] = ${bad}`, (s) => (s.layerDims = [4, bad, 1]), RangeError, ['layerDims[1]']);
  row('layerDims[1] = "3"', (s) => (s.layerDims = [4, '3', 1]), TypeError, ['layerDims[1]']);
  row('layerDims [2147483647, 2147483647] (sizes no buffer can have)', (s) => ((s.layerDims = [2147483647, 2147483647]), (s.activations = [2])), RangeError, ['params']);
  row('layerDims one unit wider than the buffers', (s) => (s.layerDims = [4, 4, 1]), RangeError, ['params']);

  row('activations missing', (s) => delete s.activations, TypeError, ['activations']);
  row('activations with one entry too many', (s) => (s.activations = [1, 1, 2]), RangeError, ['activations']);
  row('activations with one entry too few', (s) => (s.activations = [2]), RangeError, ['activations']);
  row(`activations[0] = ${ACTIVATION_COUNT}`, (s) => (s.activations = [ACTIVATION_COUNT, 2]), RangeError, ['activations[0]']);
  row('activations[0] = 0.5', (s) => (s.activations = [0.5, 2]), RangeError, ['activations[0]']);
  row('activations as names', (s) => (s.activations = ['relu', 'sigmoid']), TypeError, ['activations[0]'], { knownBug: 'network-activation-type' });
  row('output activation not sigmoid', (s) => (s.activations = [1, 1]), RangeError, ['activation', 'activations', 'activations[1]']);

  row('capacity missing', (s) => delete s.capacity, TypeError, ['capacity']);
  for (const bad of [0, -1, 2.5, NaN, Infinity, 2 ** 31]) row(`capacity = ${bad}`, (s) => (s.capacity = bad), RangeError, ['capacity']);
  row('capacity = "5"', (s) => (s.capacity = '5'), TypeError, ['capacity']);
  row('capacity larger than the workspace holds', (s) => (s.capacity = NET_CAPACITY + 1), RangeError, ['workspace']);

  for (const name of ['params', 'nextParams', 'grads', 'workspace'] as const) {
    const len = lengths[name];
    if (name !== 'nextParams') row(`${name} missing`, (s) => delete s[name], TypeError, [name]);
    row(`${name} a plain Array`, (s) => (s[name] = new Array(len).fill(0)), TypeError, [name]);
    row(`${name} an Int32Array`, (s, b) => (s[name] = b.track(new Int32Array(len), name)), TypeError, [name]);
    row(`${name} a ${other(dtype)} array among ${dtype} ones`, (s, b) => (s[name] = b.output(other(dtype), len, name)), TypeError, [name]);
    row(`${name} detached`, (_s, _b, nb) => detach(nb[name]!), RangeError, [name]);
    row(`${name} zero-length`, (s, b) => (s[name] = b.output(dtype, 0, name)), RangeError, [name]);
    row(`${name} one element too short`, (s, b) => (s[name] = b.output(dtype, len - 1, name)), RangeError, [name]);
    row(`${name} one element too long`, (s, b) => (s[name] = b.output(dtype, len + 1, name)), RangeError, [name]);
  }
  const names = ['params', 'nextParams', 'grads', 'workspace'] as const;
  for (let i = 0; i < names.length; i++) {
    for (let j = i + 1; j < names.length; j++) {
      const [a, c] = [names[i], names[j]];
      row(`${a} overlaps ${c}`, (s, b) => {
        const shared = b.output(dtype, lengths[a] + lengths[c] - 1, `buffer shared by ${a} and ${c}`);
        s[a] = shared.subarray(0, lengths[a]);
        s[c] = shared.subarray(lengths[a] - 1);
      }, RangeError, [a, c], { allNames: true });
    }
  }
  return rows;
}

test('raw new Network: every bad spec entry is named, nothing written', () => {
  runRows([...networkConstructorRows('f64'), ...networkConstructorRows('f32')]);
});

/** A live network after one valid training step, its buffers tracked. */
function liveNetwork(buffers: Buffers, dtype: DTypeName, withNext = true) {
  const b = netBuffers(buffers, dtype, withNext);
  const net = new native.Network(netSpec(b) as never);
  const X = buffers.input(dtype, NET_DIMS[0] * NET_CAPACITY, 'X');
  const Y = buffers.input(dtype, NET_CAPACITY, 'Y');
  for (let j = 0; j < NET_CAPACITY; j++) Y[j] = j % 2;
  const cost = net.trainStep(X, Y, NET_CAPACITY, 0.1);
  assert.ok(Number.isFinite(cost), 'first step finite');
  return { net, X, Y, b };
}

type NetMethod = 'forward' | 'cost' | 'backward' | 'trainStep';
const METHOD_ARGS: Record<NetMethod, string[]> = {
  forward: ['X', 'm'],
  cost: ['Y', 'm'],
  backward: ['X', 'Y', 'm'],
  trainStep: ['X', 'Y', 'm', 'learningRate'],
};

function networkMethodRows(dtype: DTypeName, withNext: boolean): Row[] {
  const rows: Row[] = [];
  for (const method of Object.keys(METHOD_ARGS) as NetMethod[]) {
    const argNames = METHOD_ARGS[method];
    const row = (label: string, replace: (index: number) => number, value: (b: Buffers, live: ReturnType<typeof liveNetwork>) => unknown, error: ErrorClass, names: string[]) =>
      rows.push({
        label: `Network.${method} (${dtype}${withNext ? ', two parameter buffers' : ''}): ${label}`,
        build: (buffers) => {
          const live = liveNetwork(buffers, dtype, withNext);
          const defaults: Record<string, unknown> = { X: live.X, Y: live.Y, m: NET_CAPACITY, learningRate: 0.1 };
          const args = argNames.map((n) => defaults[n]);
          const at = replace(argNames.length);
          if (at >= 0) args[at] = value(buffers, live);
          const current = live.net.current;
          return () => {
            try {
              return (live.net[method] as Loose).apply(live.net, at === -2 ? args.slice(0, -1) : args);
            } finally {
              assert.is(live.net.current, current, 'current unchanged');
            }
          };
        },
        error,
        names,
        prefix: `Network.${method}`,
      });
    argNames.forEach((name, index) => {
      if (name === 'X' || name === 'Y') {
        const len = name === 'X' ? NET_DIMS[0] * NET_CAPACITY : NET_CAPACITY;
        row(`${name} a plain Array`, () => index, () => new Array(len).fill(0.5), TypeError, [name]);
        row(`${name} an Int32Array`, () => index, (b) => b.track(new Int32Array(len), name), TypeError, [name]);
        row(`${name} a ${other(dtype)} array`, () => index, (b) => b.input(other(dtype), len, name), TypeError, [name]);
        row(`${name} null`, () => index, () => null, TypeError, [name]);
        row(`${name} detached`, () => index, (b) => { const a = b.input(dtype, len, name); detach(a); return a; }, RangeError, [name]);
        row(`${name} zero-length`, () => index, (b) => b.input(dtype, 0, name), RangeError, [name]);
        row(`${name} one element too short`, () => index, (b) => b.input(dtype, len - 1, name), RangeError, [name]);
        row(`${name} one element too long`, () => index, (b) => b.input(dtype, len + 1, name), RangeError, [name]);
        // a batch inside a buffer the method writes, read while the same memory is written: refuse it
        const writes = { forward: ['workspace'], cost: [], backward: ['workspace', 'grads'], trainStep: ['workspace', 'grads', 'params'] } as const;
        const ownLength = { workspace: native.workspaceLength(NET_DIMS, NET_CAPACITY), grads: native.parameterCount(NET_DIMS), params: native.parameterCount(NET_DIMS) };
        for (const own of writes[method].filter((o) => ownLength[o] >= len)) {
          row(`${name} a view of the network's ${own}`, () => index, (_b, live) => live.b[own].subarray(0, len), RangeError, [name, own]);
          Object.assign(rows[rows.length - 1], { allNames: true, knownBug: 'network-batch-alias' });
        }
      } else if (name === 'm') {
        for (const bad of [0, -1, 2.5, NaN, Infinity, 2 ** 31]) row(`m = ${bad}`, () => index, () => bad, RangeError, ['m']);
        row('m = "5"', () => index, () => '5', TypeError, ['m']);
        row('m above the capacity', () => index, () => NET_CAPACITY + 1, RangeError, ['m']);
        row('m below what X and Y hold', () => index, () => NET_CAPACITY - 1, RangeError, method === 'cost' ? ['Y'] : ['X', 'Y']);
      } else {
        for (const bad of [NaN, Infinity, -Infinity]) row(`learningRate = ${bad}`, () => index, () => bad, RangeError, ['learningRate']);
        for (const bad of ['0.1', null]) row(`learningRate = ${String(bad)}`, () => index, () => bad, TypeError, ['learningRate']);
      }
    });
    row(`called with ${argNames.length - 1} of ${argNames.length} arguments`, () => -2, () => undefined, TypeError, [`expected ${argNames.length} arguments`]);
  }
  return rows;
}

test('raw Network methods: bad batches are named; parameters, grads and workspace untouched', () => {
  runRows([
    ...networkMethodRows('f64', true), ...networkMethodRows('f32', true),
    ...networkMethodRows('f64', false), ...networkMethodRows('f32', false),
  ]);
});

test('raw Network methods: a non-Network this throws a TypeError, no crash', () => {
  const proto = native.Network.prototype as unknown as Record<string, Loose>;
  for (const method of ['forward', 'cost', 'backward', 'trainStep', 'syncParameters']) {
    for (const self of [{}, Object.create(native.Network.prototype), new native.RandomState(1)])
      assert.throws(() => proto[method].call(self, new Float64Array(4), 1), (e: unknown) => e instanceof TypeError, `${method} on a foreign this`);
  }
  assert.throws(() => (native.Network as unknown as Loose)({}), (e: unknown) => e instanceof TypeError, 'Network without new');
});

// A network keeps the addresses of its buffers; once one is detached (transferred to a worker, or by
// structuredClone), every call must throw rather than touch memory the network no longer owns.
for (const how of ['structuredClone', 'postMessage'] as const) {
  for (const dtype of ['f64', 'f32'] as const) {
    test(`raw Network (${dtype}): a buffer detached by ${how} after construction makes every call throw, not crash`, () => {
      for (const victim of ['params', 'nextParams', 'grads', 'workspace'] as const) {
        for (const step of [0, 1]) {
          // step 1: current = 1, so nextParams holds the live parameters when the buffer goes
          const buffers = new Buffers();
          const live = liveNetwork(buffers, dtype);
          if (step === 1) live.net.trainStep(live.X, live.Y, NET_CAPACITY, 0.1);
          assert.is(live.net.current, step === 1 ? 0 : 1, 'current after steps');
          (how === 'postMessage' ? detachByPostMessage : detach)(live.b[victim]!);
          buffers.snapshot();
          const current = live.net.current;
          const calls: [string, () => unknown][] = [
            ['forward', () => live.net.forward(live.X, NET_CAPACITY)],
            ['cost', () => live.net.cost(live.Y, NET_CAPACITY)],
            ['backward', () => live.net.backward(live.X, live.Y, NET_CAPACITY)],
            ['trainStep', () => live.net.trainStep(live.X, live.Y, NET_CAPACITY, 0.1)],
            ['syncParameters', () => live.net.syncParameters()],
          ];
          for (const [name, call] of calls) {
            assert.throws(call, (e: unknown) => e instanceof TypeError && /detached/.test((e as Error).message) && (e as Error).message.startsWith(`Network.${name}: `),
              `${victim} detached (step ${step}): ${name} throws a TypeError saying so`);
          }
          assert.is(buffers.changed(), undefined, `${victim} detached: the other buffers unchanged`);
          assert.is(live.net.current, current, 'current unchanged');
        }
      }
    });
  }
}

/**
 * Runs `script` (which has `native`, the binding, in scope, and its variant as `process.argv[1]`) in a child
 * process per variant, since the defects these cover crash the process today. Each must print "threw <Class> ..."
 * naming a TypeError or RangeError. While every variant still fails, the known bug stays open; when all pass, the
 * test fails asking for the flag to be removed.
 */
function childProcessCase(knownBug: string, variants: string[], script: string): void {
  const binding = path.join(__dirname, '..', 'lib', 'binding.ts');
  const prelude = `const native = require(${JSON.stringify(binding)}).default;\n`;
  const failing: string[] = [];
  for (const variant of variants) {
    // Under scripts/sanitize.sh, this crash's report goes to a file marked as a known one.
    const env = { ...process.env };
    if (env.ASAN_OPTIONS) env.ASAN_OPTIONS = env.ASAN_OPTIONS.replace(/log_path=([^:]*)/, `log_path=$1-known-${knownBug}`);
    const child = spawnSync(process.execPath, ['--import', 'tsx', '-e', prelude + script, variant], { encoding: 'utf8', timeout: 60_000, env });
    const ok = child.status === 0 && /^threw (TypeError|RangeError) /m.test(child.stdout);
    if (!ok) failing.push(`${variant}: status ${child.status} signal ${child.signal} ${child.stdout.trim()} ${child.stderr.trim().split('\n')[0] ?? ''}`);
  }
  if (failing.length === variants.length) openKnownBugs.add(knownBug);
  else if (failing.length) assert.unreachable(`some variants still fail: ${failing.join('; ')}`);
  else assert.unreachable(`passes now; remove knownBug "${knownBug}" (make this an ordinary assertion)`);
}

// A fixed-length view of a resizable ArrayBuffer, bound to a network, then the buffer shrunk: the view goes out
// of bounds (length 0) without being detached, and the network still holds its address. Today: SIGSEGV.
test('raw Network: a bound buffer whose resizable ArrayBuffer shrinks makes calls throw, not crash', () => {
  if (typeof (ArrayBuffer.prototype as { resize?: unknown }).resize !== 'function') return; // Node 18: no resizable buffers
  childProcessCase('network-resizable-buffer', ['params', 'grads', 'workspace'], `
    const dims = [4, 3, 1], cap = 5;
    const view = (n) => new Float64Array(new ArrayBuffer(n * 8, { maxByteLength: 1 << 20 }), 0, n);
    const b = { params: view(native.parameterCount(dims)).fill(0.1), grads: view(native.parameterCount(dims)), workspace: view(native.workspaceLength(dims, cap)) };
    const net = new native.Network({ layerDims: dims, activations: [1, 2], capacity: cap, nextParams: null, ...b });
    const X = new Float64Array(4 * cap).fill(1), Y = new Float64Array(cap).fill(1);
    net.trainStep(X, Y, cap, 0.1);
    b[process.argv[1]].buffer.resize(0);
    try { net.trainStep(X, Y, cap, 0.1); console.log('returned'); } catch (e) { console.log('threw', e.constructor.name, e.message); }`);
});

// Sizes computed in size_t wrap around 2^64: these layerDims and capacity make parameterCount 179473 and
// workspaceLength 272157, so a Network accepts buffers that small and its first forward pass writes gigabytes
// past them. Today: SIGSEGV. (Found by searching for dims whose sums wrap to small values.)
const WRAPPING_DIMS = [1, 2147483647, 2147483647, 2147483647, 2147483647, 2147483647, 2, 59825];
const WRAPPING_CAPACITY = 1717972561;
test('raw Network: layerDims whose sizes overflow 64 bits are refused, not bound to tiny buffers', () => {
  childProcessCase('size-overflow', ['float32', 'float64'], `
    const layerDims = ${JSON.stringify(WRAPPING_DIMS)}, capacity = ${WRAPPING_CAPACITY};
    const F = process.argv[1] === 'float32' ? Float32Array : Float64Array;
    try {
      const P = native.parameterCount(layerDims), W = native.workspaceLength(layerDims, capacity);
      if (P > 1e8 || W > 1e8) throw new RangeError('layerDims: sizes too large ' + P + ' ' + W);
      const net = new native.Network({ layerDims, activations: [1, 1, 1, 1, 1, 1, 2], capacity,
        params: new F(P), nextParams: null, grads: new F(P), workspace: new F(W) });
      net.forward(new F(1), 1);
      console.log('returned');
    } catch (e) { console.log('threw', e.constructor.name, e.message); }`);
});

// SharedArrayBuffer-backed arrays: either used like any other (correct results) or refused with a TypeError
// naming the argument. Today they get a bare Error "Invalid argument" (napi_get_arraybuffer_info refuses a SAB).
test('raw kernels: SharedArrayBuffer-backed arrays are used or refused with a named TypeError', () => {
  const shared = (n: number) => new Float64Array(new SharedArrayBuffer(n * 8));
  const param = shared(3).fill(1);
  const grad = new Float64Array([1, 2, 3]);
  let outcome: string;
  try {
    native.sgdUpdate(param, grad, 0.5);
    outcome = Array.from(param).join(',') === '0.5,0,-0.5' ? 'used' : `wrong result ${Array.from(param)}`;
  } catch (e) {
    outcome = e instanceof TypeError && namesArgument((e as Error).message, 'param') ? 'refused' : `${(e as Error).constructor.name}: ${(e as Error).message}`;
  }
  if (outcome === 'used' || outcome === 'refused') assert.unreachable(`passes now (${outcome}); remove knownBug "shared-array-buffer"`);
  assert.is(outcome, 'Error: Invalid argument', 'the known failure, unchanged');
  openKnownBugs.add('shared-array-buffer');
});

// ---------------------------------------------------------------------------------------------------------
// The tutorial's functions (lib/index.ts): the same checks at the Matrix level. They allocate their results, so
// "nothing written" means every Matrix they were given is unchanged.

function trackedMatrix(buffers: Buffers, rows: number, cols: number, dtype: DTypeName = 'f64', label = 'matrix', offset = 0): Matrix {
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
  ['a plain { rows, cols, data } object', (b, rows, cols) => ({ rows, cols, data: b.track(new Float64Array(rows * cols), 'raw array') })],
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
  /** the known defect of this argument's detached row, if any */
  detachedBug?: string;
}

/** Rows for a function whose leading arguments are Matrices, from a builder of valid arguments. */
function matrixArgumentRows(fn: string, names: string[], valid: (b: Buffers) => unknown[], matrices: MatrixArg[]): Row[] {
  const rows: Row[] = [];
  const row = (label: string, edit: (args: unknown[], b: Buffers) => void, error: ErrorClass, expected: string[], knownBug?: string) =>
    rows.push({ label: `${fn}: ${label}`, build: (b) => { const args = valid(b); edit(args, b); return () => lib[fn](...args); }, error, names: expected, knownBug });
  matrices.forEach(({ shape: [r, c], rowNames, colNames, detachedBug }, i) => {
    const name = names[i];
    for (const [what, make] of notMatrices) row(`${name} ${what}`, (args, b) => (args[i] = make(b, r, c)), TypeError, [name]);
    row(`${name} float32 among float64`, (args, b) => (args[i] = trackedMatrix(b, r, c, 'f32', name)), TypeError, [name]);
    row(`${name} one row more`, (args, b) => (args[i] = trackedMatrix(b, r + 1, c, 'f64', name)), RangeError, rowNames ?? [name]);
    if (colNames !== null) row(`${name} one column more`, (args, b) => (args[i] = trackedMatrix(b, r, c + 1, 'f64', name)), RangeError, colNames ?? [name]);
    row(`${name} detached`, (args) => detach((args[i] as Matrix).data), RangeError, [name], detachedBug);
  });
  row('every argument missing', (args) => args.splice(0), TypeError, names);
  return rows;
}

function tutorialRows(): Row[] {
  const rows: Row[] = [];
  const row = (label: string, build: (b: Buffers) => () => unknown, error: ErrorClass, names: string[], knownBug?: string) => rows.push({ label, build, error, names, knownBug });
  const n = 3, nPrev = 4, m = 5;

  // initializeParametersDeep(layerDims, options)
  const init = (dims: unknown, options?: unknown) => () => () => lib.initializeParametersDeep(dims, options);
  for (const [dims, error, name] of [
    [undefined, TypeError, 'layerDims'], ['4,3,1', TypeError, 'layerDims'], [new Int32Array([4, 3]), TypeError, 'layerDims'], [{ length: 2 }, TypeError, 'layerDims'],
    [[], RangeError, 'layerDims'], [[4], RangeError, 'layerDims'],
    [[4, 0], RangeError, 'layerDims[1]'], [[4, -1], RangeError, 'layerDims[1]'], [[4, 2.5], RangeError, 'layerDims[1]'], [[NaN, 2], RangeError, 'layerDims[0]'],
    [[4, Infinity], RangeError, 'layerDims[1]'], [[4, 2 ** 31], RangeError, 'layerDims[1]'], [[4, '3'], TypeError, 'layerDims[1]'], [[4, 3, null], TypeError, 'layerDims[2]'],
  ] as [unknown, ErrorClass, string][])
    row(`initializeParametersDeep(${describeValue(dims)})`, init(dims), error, [name]);
  // Sizes every entry of which is valid but whose weights no machine can hold: a RangeError naming layerDims,
  // before anything is allocated (today V8's "Invalid typed array length" / "Array buffer allocation failed").
  row('initializeParametersDeep([1e6, 1e6])', init([1e6, 1e6]), RangeError, ['layerDims'], 'huge-layer-dims');
  row('initializeParametersDeep([2, 2147483647, 2147483647])', init([2, 2147483647, 2147483647]), RangeError, ['layerDims'], 'huge-layer-dims');
  row('initializeParametersDeep([4, 3], null)', init([4, 3], null), TypeError, ['options'], 'options-null');
  for (const seed of [-1, 1.5, NaN, 2 ** 32]) row(`initializeParametersDeep options.seed = ${seed}`, init([4, 3], { seed }), RangeError, ['options.seed']);
  row('initializeParametersDeep options.seed = "1"', init([4, 3], { seed: '1' }), TypeError, ['options.seed']);
  row('initializeParametersDeep options.init = "xavier"', init([4, 3], { init: 'xavier' }), TypeError, ['options.init']);
  row('initializeParametersDeep options.dtype = "float16"', init([4, 3], { dtype: 'float16' }), TypeError, ['options.dtype']);

  // linearForward(A, W, b), linearActivationForward(A_prev, W, b, activation)
  const layer = (b: Buffers) => [trackedMatrix(b, nPrev, m, 'f64', 'A'), trackedMatrix(b, n, nPrev, 'f64', 'W', 1), trackedMatrix(b, n, 1, 'f64', 'b', 2)];
  // W is the reference: a W with a row more is reported as b not matching it
  const layerArgs = (aName: string, detachedBug?: string): MatrixArg[] => [
    { shape: [nPrev, m], colNames: null, detachedBug },
    { shape: [n, nPrev], rowNames: ['W', 'b'], colNames: ['W', aName] },
    { shape: [n, 1] },
  ];
  rows.push(...matrixArgumentRows('linearForward', ['A', 'W', 'b'], layer, layerArgs('A', 'detached-matrix')));
  rows.push(...matrixArgumentRows('linearActivationForward', ['A_prev', 'W', 'b', 'activation'], (b) => [...layer(b), 'relu'], layerArgs('A_prev')));
  for (const bad of ['tanh', 'RELU', 1, null, undefined])
    row(`linearActivationForward activation = ${String(bad)}`, (b) => { const args = layer(b); return () => lib.linearActivationForward(...args, bad); }, TypeError, ['activation']);
  row('linearForward: b with two columns', (b) => { const [A, W] = layer(b); const wide = trackedMatrix(b, n, 2); return () => lib.linearForward(A, W, wide); }, RangeError, ['b']);

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
  for (const [what, make] of notMatrices) row(`modelForward: X ${what}`, forward(() => {}, (b) => make(b, nPrev, m)), TypeError, ['X']);
  row('modelForward: X float32', forward(() => {}, (b) => trackedMatrix(b, nPrev, m, 'f32', 'X')), TypeError, ['X']);
  row('modelForward: X with a row too many', forward(() => {}, (b) => trackedMatrix(b, nPrev + 1, m, 'f64', 'X')), RangeError, ['X']);
  row('modelForward: X detached', forward(() => {}, (b) => { const X = trackedMatrix(b, nPrev, m, 'f64', 'X'); detach(X.data); return X; }), RangeError, ['X'], 'detached-matrix');
  row('modelForward: parameters.W1 detached', forward((p) => { detach((p.W1 as Matrix).data); }), RangeError, ['parameters.W1'], 'detached-matrix');

  // computeCost(AL, Y)
  const cost = (b: Buffers) => [trackedMatrix(b, 1, m, 'f64', 'AL', 3), trackedMatrix(b, 1, m, 'f64', 'Y', 4)];
  // AL's shape is the reference: a larger AL is reported as Y not matching it
  rows.push(...matrixArgumentRows('computeCost', ['AL', 'Y'], cost, [{ shape: [1, m], rowNames: ['AL', 'Y'], colNames: ['AL', 'Y'] }, { shape: [1, m] }]));
  row('computeCost: AL one column more than Y', (b) => { const AL = trackedMatrix(b, 1, m + 1), Y = trackedMatrix(b, 1, m); return () => lib.computeCost(AL, Y); }, RangeError, ['Y', 'AL']);

  // linearBackward(dZ, cache), reluBackward / sigmoidBackward(dA, Z), linearActivationBackward(dA, cache, activation)
  const cacheOf = (b: Buffers): unknown[] => [trackedMatrix(b, nPrev, m, 'f64', 'A_prev'), trackedMatrix(b, n, nPrev, 'f64', 'W', 1), trackedMatrix(b, n, 1, 'f64', 'b', 2)];
  const lb = (b: Buffers) => [trackedMatrix(b, n, m, 'f64', 'dZ', 5), cacheOf(b)];
  rows.push(...matrixArgumentRows('linearBackward', ['dZ', 'cache'], lb, [{ shape: [n, m] }]));
  for (const [what, cache] of [['null', () => null], ['[]', () => []], ['a 2-entry array', (b: Buffers) => cacheOf(b).slice(0, 2)], ['an object', () => ({ A_prev: 1 })]] as const)
    row(`linearBackward: cache ${what}`, (b) => { const dZ = trackedMatrix(b, n, m), c = (cache as (b: Buffers) => unknown)(b); return () => lib.linearBackward(dZ, c); }, TypeError, ['cache']);
  row('linearBackward: cache A_prev not a Matrix', (b) => { const c = cacheOf(b); c[0] = [[1]]; const dZ = trackedMatrix(b, n, m); return () => lib.linearBackward(dZ, c); }, TypeError, ['cache[0] (A_prev)', 'A_prev']);
  row('linearBackward: cache W not a Matrix', (b) => { const c = cacheOf(b); c[1] = null; const dZ = trackedMatrix(b, n, m); return () => lib.linearBackward(dZ, c); }, TypeError, ['W', 'cache[1]']);
  row('linearBackward: cache A_prev rows do not match W', (b) => { const c = cacheOf(b); c[0] = trackedMatrix(b, nPrev + 1, m); const dZ = trackedMatrix(b, n, m); return () => lib.linearBackward(dZ, c); }, RangeError, ['cache[0] (A_prev)', 'A_prev']);
  row('linearBackward: cache b float32', (b) => { const c = cacheOf(b); c[2] = trackedMatrix(b, n, 1, 'f32'); const dZ = trackedMatrix(b, n, m); return () => lib.linearBackward(dZ, c); }, TypeError, ['b', 'cache[2]']);

  for (const fn of ['reluBackward', 'sigmoidBackward'])
    rows.push(...matrixArgumentRows(fn, ['dA', 'Z'], (b) => [trackedMatrix(b, n, m, 'f64', 'dA'), trackedMatrix(b, n, m, 'f64', 'Z', 7)],
      [{ shape: [n, m] }, { shape: [n, m], rowNames: ['dA', 'Z'], colNames: ['dA', 'Z'] }]));

  const lab = (b: Buffers): unknown[] => [trackedMatrix(b, n, m, 'f64', 'dA'), [cacheOf(b), trackedMatrix(b, n, m, 'f64', 'Z', 7)], 'relu'];
  rows.push(...matrixArgumentRows('linearActivationBackward', ['dA', 'cache', 'activation'], lab, [{ shape: [n, m] }]));
  for (const bad of ['tanh', null, 2]) row(`linearActivationBackward: activation = ${String(bad)}`, (b) => { const a = lab(b); a[2] = bad; return () => lib.linearActivationBackward(...a); }, TypeError, ['activation']);
  row('linearActivationBackward: cache with one entry', (b) => { const a = lab(b); a[1] = [(a[1] as unknown[])[0]]; return () => lib.linearActivationBackward(...a); }, TypeError, ['cache']);
  row('linearActivationBackward: cache Z with a column too many', (b) => { const a = lab(b); (a[1] as unknown[])[1] = trackedMatrix(b, n, m + 1); return () => lib.linearActivationBackward(...a); }, RangeError, ['cache[1] (Z)', 'Z']);
  row('linearActivationBackward: cache Z float32', (b) => { const a = lab(b); (a[1] as unknown[])[1] = trackedMatrix(b, n, m, 'f32'); return () => lib.linearActivationBackward(...a); }, TypeError, ['cache[1] (Z)', 'Z']);

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
    row(`modelBackward: AL ${what}`, mb((a, b) => (a[0] = make(b, 1, m))), TypeError, ['AL']);
    row(`modelBackward: Y ${what}`, mb((a, b) => (a[1] = make(b, 1, m))), TypeError, ['Y']);
  }
  row('modelBackward: Y one column more', mb((a, b) => (a[1] = trackedMatrix(b, 1, m + 1))), RangeError, ['Y']);
  row('modelBackward: Y float32', mb((a, b) => (a[1] = trackedMatrix(b, 1, m, 'f32'))), TypeError, ['Y']);
  row('modelBackward: AL and Y with two rows (not the last Z)', mb((a, b) => ((a[0] = trackedMatrix(b, 2, m)), (a[1] = trackedMatrix(b, 2, m)))), RangeError, ['AL']);
  for (const [what, caches] of [['null', null], ['[]', []], ['a Matrix', 'matrix']] as const)
    row(`modelBackward: caches ${what}`, mb((a, b) => (a[2] = caches === 'matrix' ? trackedMatrix(b, 1, 1) : caches)), TypeError, ['caches']);
  row('modelBackward: caches[0] not a pair', mb((a) => ((a[2] as unknown[])[0] = [1, 2, 3])), TypeError, ['caches[0]']);
  // The caches must chain: layer 2's A_prev is layer 1's output, and every cache has the batch size of AL.
  row('modelBackward: caches[1] A_prev with a row too many (caches do not chain)', mb((a, b) => {
    // layer 2 now takes n + 1 inputs (its own A_prev and W agree), but layer 1 makes n
    const caches = a[2] as unknown[][];
    const [[, , b2], Z2] = caches[1] as [Matrix[], Matrix];
    caches[1] = [[trackedMatrix(b, n + 1, m), trackedMatrix(b, 1, n + 1), b2], Z2];
  }), RangeError, ['caches[1]', 'caches'], 'model-backward-names');
  row('modelBackward: caches[0] with a different batch size', mb((a, b) => {
    const caches = a[2] as unknown[][];
    caches[0] = [[trackedMatrix(b, nPrev, m - 1), (caches[0][0] as Matrix[])[1], (caches[0][0] as Matrix[])[2]], (caches[0] as Matrix[])[1]];
  }), RangeError, ['caches[0]', 'caches'], 'model-backward-names');
  row('modelBackward: caches[1] Z float32', mb((a) => {
    const caches = a[2] as unknown[][];
    caches[1] = [caches[1][0], (caches[1][1] as Matrix).astype('float32')];
  }), TypeError, ['caches[1]', 'caches'], 'model-backward-names');

  // updateParameters(parameters, grads, learningRate)
  const update = (edit: (args: unknown[], b: Buffers) => void) => (b: Buffers) => {
    const args: unknown[] = [trackedParameters(b, dims), trackedGrads(b, dims), 0.1];
    edit(args, b);
    return () => lib.updateParameters(...args);
  };
  for (const lr of [0, -0.1, -0, NaN, Infinity, -Infinity]) row(`updateParameters: learningRate = ${Object.is(lr, -0) ? '-0' : lr}`, update((a) => (a[2] = lr)), RangeError, ['learningRate']);
  for (const lr of ['0.1', null, undefined, 1n]) row(`updateParameters: learningRate = ${String(lr)}`, update((a) => (a[2] = lr)), TypeError, ['learningRate']);
  for (const g of [null, undefined, 42]) row(`updateParameters: grads ${String(g)}`, update((a) => (a[1] = g)), TypeError, ['grads']);
  row('updateParameters: grads {}', update((a) => (a[1] = {})), TypeError, ['grads.dW1']);
  row('updateParameters: grads.dW2 missing', update((a) => delete (a[1] as Record<string, unknown>).dW2), TypeError, ['grads.dW2']);
  row('updateParameters: grads.db1 one row more', update((a, b) => ((a[1] as Record<string, unknown>).db1 = trackedMatrix(b, n + 1, 1))), RangeError, ['grads.db1']);
  row('updateParameters: grads.dW1 transposed', update((a, b) => ((a[1] as Record<string, unknown>).dW1 = trackedMatrix(b, nPrev, n))), RangeError, ['grads.dW1']);
  row('updateParameters: grads.dW1 float32', update((a, b) => ((a[1] as Record<string, unknown>).dW1 = trackedMatrix(b, n, nPrev, 'f32'))), TypeError, ['grads.dW1']);
  row('updateParameters: grads.dW1 a nested Array', update((a) => ((a[1] as Record<string, unknown>).dW1 = [[0.1]])), TypeError, ['grads.dW1']);
  row('updateParameters: grads.db2 detached', update((a) => detach(((a[1] as Record<string, Matrix>).db2).data)), RangeError, ['grads.db2'], 'detached-matrix');
  row('updateParameters: parameters.W2 detached', update((a) => detach(((a[0] as Record<string, Matrix>).W2).data)), RangeError, ['parameters.W2'], 'detached-matrix');
  rows.push(...parameterRecordRows('updateParameters', (edit) => update((a, b) => {
    const edited = edit(a[0] as Record<string, unknown>, b);
    if (edited) a[0] = edited.replace;
  })));

  // Matrix and RandomState (exported from lib/index.ts)
  row('new Matrix(0, 2)', () => () => new Matrix(0, 2), RangeError, ['rows']);
  row('new Matrix(2, -1)', () => () => new Matrix(2, -1), RangeError, ['cols']);
  row('new Matrix(1.5, 2)', () => () => new Matrix(1.5, 2), RangeError, ['rows']);
  row('new Matrix(NaN, 2)', () => () => new Matrix(NaN, 2), RangeError, ['rows']);
  row('new Matrix("2", 2)', () => () => new Matrix('2' as never, 2), TypeError, ['rows']);
  row('new Matrix(2, 2, Float64Array(3))', (b) => { const d = b.track(new Float64Array(3), 'data'); return () => new Matrix(2, 2, d); }, RangeError, ['data']);
  row('new Matrix(2, 2, Int32Array(4))', (b) => { const d = b.track(new Int32Array(4), 'data'); return () => new Matrix(2, 2, d as never); }, TypeError, ['data']);
  row('new Matrix(1, 2, [1, 2])', () => () => new Matrix(1, 2, [1, 2] as never), TypeError, ['data']);
  row('new Matrix(2, 2, detached Float64Array(4))', () => { const d = new Float64Array(4); detach(d); return () => new Matrix(2, 2, d); }, RangeError, ['data']);
  row('Matrix.zeros(2, 2, "int8")', () => () => Matrix.zeros(2, 2, 'int8' as never), TypeError, ['dtype']);
  row('Matrix.zeros(1e6, 1e6)', () => () => Matrix.zeros(1e6, 1e6), RangeError, ['rows', 'cols'], 'huge-layer-dims');
  row('Matrix.fromRows([])', () => () => Matrix.fromRows([]), TypeError, ['rows']);
  row('Matrix.fromRows([[1, 2], [3]])', () => () => Matrix.fromRows([[1, 2], [3]]), RangeError, ['rows[1]']);
  row('Matrix.fromRows([[1, "a"]])', () => () => Matrix.fromRows([[1, 'a' as never]]), TypeError, ['rows[0][1]']);
  row('matrix.columns(1, 9)', (b) => { const M = trackedMatrix(b, 2, 3); return () => M.columns(1, 9); }, RangeError, ['columns']);
  row('new RandomState(-1)', () => () => new dnn.RandomState(-1), RangeError, ['seed']);
  row('new RandomState("1")', () => () => new dnn.RandomState('1' as never), TypeError, ['seed']);
  row('RandomState.randn(-1, 2)', () => () => new dnn.RandomState(1).randn(-1, 2), RangeError, ['rows'], 'random-sizes');
  row('RandomState.randn(0, 2)', () => () => new dnn.RandomState(1).randn(0, 2), RangeError, ['rows']);
  row('RandomState.permutation(-1)', () => () => new dnn.RandomState(1).permutation(-1), RangeError, ['n'], 'random-sizes');
  row('RandomState.permutation(2.5)', () => () => new dnn.RandomState(1).permutation(2.5), RangeError, ['n'], 'random-sizes');
  row('RandomState.standardNormal(Float32Array)', (b) => { const out = b.track(new Float32Array(2), 'out'); return () => new dnn.RandomState(1).standardNormal(out as never); }, TypeError, ['out']);
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
  row('without b1', (p) => { delete p.b1; }, TypeError, ['parameters.b1']);
  row('without b2', (p) => { delete p.b2; }, TypeError, ['parameters.b2']);
  row('W3 without b3', (p, b) => { p.W3 = trackedMatrix(b, 1, 1); }, TypeError, ['parameters.b3']);
  // The tutorial's code reads L = len(parameters) // 2 and fails on the missing W2; silently using one layer is wrong.
  row('with W1, b1, W3, b3 but no W2 (a gap)', (p) => { p.W3 = p.W2; p.b3 = p.b2; delete p.W2; delete p.b2; }, TypeError, ['parameters.W2'], 'parameters-gap');
  row("W2 whose columns do not match W1's rows", (p, b) => { p.W2 = trackedMatrix(b, 1, 4); }, RangeError, ['parameters.W2']);
  row('b1 with two columns', (p, b) => { p.b1 = trackedMatrix(b, 3, 2); }, RangeError, ['parameters.b1']);
  row('b2 with a row too many', (p, b) => { p.b2 = trackedMatrix(b, 2, 1); }, RangeError, ['parameters.b2']);
  row('W2 float32', (p, b) => { p.W2 = trackedMatrix(b, 1, 3, 'f32'); }, TypeError, ['parameters.W2']);
  row('W1 a nested Array', (p) => { p.W1 = [[0.1, 0.2, 0.3, 0.4]]; }, TypeError, ['parameters.W1']);
  row('b2 a Float64Array', (p, b) => { p.b2 = b.track(new Float64Array(1), 'raw b2'); }, TypeError, ['parameters.b2']);
  return rows;
}

test('tutorial functions: bad arguments throw TypeError/RangeError naming them, inputs unchanged', () => {
  runRows(tutorialRows());
});

// Every function and class the binding exports has rows here, or is listed as not yet covered: a new export
// fails this test until it gets rows (or a line below saying why not).
const COVERED = new Set<string>([
  ...KERNELS.map((k) => k.fn as string), 'Network', 'RandomState', 'setNumThreads', 'parameterCount', 'workspaceLength',
  'getNumThreads', 'blasInfo', // no arguments
  'Activation', // a constant
]);
const NOT_YET_COVERED = new Set<string>([
  // issue 6 (softmax, optimisers, dropout), added to the binding after this table was written
  'gatherColumns', 'categoricalCrossEntropy', 'categoricalCrossEntropyFromLogits', 'softmaxForward', 'momentumUpdate', 'adamUpdate',
  'maskLength', 'Optimizer',
]);
test('every export of the binding is covered by the table (or listed as not yet)', () => {
  const missing = Object.keys(native).filter((name) => !COVERED.has(name) && !NOT_YET_COVERED.has(name));
  assert.equal(missing, [], 'exports with no bad-input rows');
});

// Model / trainModel / predict rows: to be added in the next round (a `modelRows()` group run the same way).

test.after(() => {
  if (VERBOSE) console.log(`  bad-input: ${rowCount} rows`);
  if (openKnownBugs.size) console.log(`  bad-input: known bugs still open: ${[...openKnownBugs].sort().join(', ')}`);
});

test.run();
