#!/usr/bin/env node
// A bounded, seeded fuzzer for the raw binding (issue 5). Each call gets random arguments: mostly valid calls
// (random shapes, values from ordinary to NaN / Infinity / 1e300 / -0, arrays as views inside larger buffers with
// guard elements around them), the rest with one or two arguments broken (wrong type, dtype, length, size, value,
// detached or overlapping buffers, missing arguments). Every call must either
//   - be valid and return the right result (checked against plain JavaScript math when the values are ordinary;
//     with extreme values: no throw, every output element written), leaving inputs and guard elements untouched, or
//   - be invalid and throw a TypeError or RangeError, leaving every buffer untouched.
// Networks are fuzzed too: built from random specs, trained against a JavaScript reference of the same network,
// fed broken batches, and have buffers detached under them.
//
//   node scripts/fuzz.js --calls 1000000 --seed 7       a long run (exit status 1 on any failure)
//   node scripts/fuzz.js --calls 5000 --seed 7 --trace  print each call before making it (to find a crash)
//   --strict   count known, reported defects as failures too
//
// The addon is loaded from DNN_NATIVE_BINARY when set, else as lib/binding.ts does (build/Release, prebuilds/).
// test/fuzz.test.ts runs a short run of the same code in the suite.
'use strict';

const GUARD = -7777.25; // around every array: must never change
const SENTINEL = -1234.5; // in every output before a call: a valid call overwrites all of it

// ---------------------------------------------------------------------------------------------------------
// Seeded randomness (mulberry32): the same seed gives the same calls.

function createRandom(seed) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const random = {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)), // inclusive
    chance: (p) => next() < p,
    pick: (list) => list[Math.floor(next() * list.length)],
    /** an ordinary value in [-scale, scale] */
    uniform: (scale) => (next() * 2 - 1) * scale,
  };
  return random;
}

const EXTREMES = [NaN, Infinity, -Infinity, 1e300, -1e300, 1e-300, -1e-300, 0, -0, 3.4e38, -3.4e38, 1e-45, 88.8, -88.8, 745, -745, 1000, -1000, 2 ** 53, 1];

/** Values for an input: 'ordinary' ones the reference math checks; 'extreme' ones only need a written output. */
function fillValues(random, array, kind, extreme) {
  for (let i = 0; i < array.length; i++) {
    if (extreme && random.chance(0.3)) array[i] = random.pick(EXTREMES);
    else if (kind === 'probability') array[i] = 0.02 + 0.96 * random.next();
    else if (kind === 'label') array[i] = random.chance(0.8) ? random.int(0, 1) : random.next();
    else array[i] = random.uniform(2);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Buffers: arrays as views inside guarded parents, tracked so every call can be checked for stray writes.

class Arena {
  constructor(random) {
    this.random = random;
    this.entries = [];
  }

  /** A Float32Array/Float64Array of `length`, maybe a view at an offset inside a larger, guarded buffer. */
  floats(dtype, length, role, kind = 'value', extreme = false) {
    const Type = dtype === 'f32' ? Float32Array : Float64Array;
    const before = this.random.chance(0.5) ? this.random.int(1, 3) : 0;
    const after = this.random.chance(0.5) ? this.random.int(1, 3) : 0;
    const parent = new Type(before + length + after).fill(GUARD);
    const view = before || after ? parent.subarray(before, before + length) : parent;
    if (role === 'out') view.fill(SENTINEL);
    else fillValues(this.random, view, kind, extreme);
    this.entries.push({ view, parent, before, length, role });
    return view;
  }

  /** Forget an array that will not be passed after all; or change the role of one that will. */
  untrack(array) {
    this.entries = this.entries.filter((entry) => entry.view !== array);
  }

  setRole(array, role) {
    for (const entry of this.entries) if (entry.view === array) entry.role = role;
  }

  track(array, role = 'in') {
    this.entries.push({ view: array, parent: array, before: 0, length: array.length, role });
    return array;
  }

  snapshot() {
    for (const entry of this.entries) entry.copy = entry.parent.length === 0 ? [] : Array.from(entry.parent);
  }

  /** After a throw: every buffer exactly as it was. Returns a problem or undefined. */
  unchanged() {
    for (const { parent, copy, role } of this.entries) {
      if (parent.length !== copy.length) return `a ${role} buffer changed length`;
      for (let i = 0; i < copy.length; i++)
        if (!Object.is(parent[i], copy[i])) return `a ${role} buffer was written at ${i}: ${copy[i]} -> ${parent[i]}`;
    }
    return undefined;
  }

  /** Guard elements around every array still hold GUARD (for buffers that legitimately change between calls). */
  guardsIntact() {
    for (const { parent, before, length } of this.entries)
      for (let i = 0; i < parent.length; i++)
        if ((i < before || i >= before + length) && !Object.is(parent[i], GUARD)) return `guard element ${i} of a buffer was written: ${parent[i]}`;
    return undefined;
  }

  /** After a valid call: inputs untouched, guards untouched, outputs fully written. */
  validWrites() {
    for (const { parent, copy, role, before, length } of this.entries) {
      if (parent.length !== copy.length) return `a ${role} buffer changed length`;
      for (let i = 0; i < copy.length; i++) {
        const inside = i >= before && i < before + length;
        if (inside && (role === 'out' || role === 'inout')) {
          if (role === 'out' && Object.is(parent[i], SENTINEL)) return `output element ${i - before} of ${length} not written`;
        } else if (!Object.is(parent[i], copy[i])) {
          return `${inside ? `input element ${i - before}` : `guard element ${i}`} of a ${role} buffer was written: ${copy[i]} -> ${parent[i]}`;
        }
      }
    }
    return undefined;
  }
}

function detach(array) {
  structuredClone(array.buffer, { transfer: [array.buffer] });
}

// ---------------------------------------------------------------------------------------------------------
// Reference math (float64, column-major), for ordinary values.

const LEAKY_SLOPE = 0.01;
const sigmoid = (z) => 1 / (1 + Math.exp(-z));
const softplus = (x) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));

/** Element-wise activations the reference knows, by the binding's names. */
const ACTIVATIONS = {
  linear: { g: (z) => z, dg: () => 1 },
  relu: { g: (z) => (z > 0 ? z : 0), dg: (z) => (z > 0 ? 1 : 0) },
  sigmoid: { g: sigmoid, dg: (z) => sigmoid(z) * (1 - sigmoid(z)) },
  tanh: { g: Math.tanh, dg: (z) => 1 - Math.tanh(z) ** 2 },
  leakyRelu: { g: (z) => (z > 0 ? z : LEAKY_SLOPE * z), dg: (z) => (z > 0 ? 1 : LEAKY_SLOPE) },
};

function gemmReference(W, A, b, n, nPrev, m) {
  const Z = new Float64Array(n * m);
  for (let j = 0; j < m; j++)
    for (let i = 0; i < n; i++) {
      let s = b ? b[i] : 0;
      for (let k = 0; k < nPrev; k++) s += W[i + k * n] * A[k + j * nPrev];
      Z[i + j * n] = s;
    }
  return Z;
}

function softmaxColumns(Z, n, m) {
  const A = new Float64Array(n * m);
  for (let j = 0; j < m; j++) {
    let max = -Infinity;
    for (let i = 0; i < n; i++) max = Math.max(max, Z[i + j * n]);
    let sum = 0;
    for (let i = 0; i < n; i++) sum += Math.exp(Z[i + j * n] - max);
    for (let i = 0; i < n; i++) A[i + j * n] = Math.exp(Z[i + j * n] - max) / sum;
  }
  return A;
}

function crossEntropyTerm(y, logP, log1mP) {
  return (y !== 0 ? y * logP : 0) + (1 - y !== 0 ? (1 - y) * log1mP : 0);
}

// ---------------------------------------------------------------------------------------------------------
// The per-layer kernels: argument descriptions and their reference results.

const D = (d) => d.n * d.m;
const KERNELS = [
  {
    fn: 'linearForward',
    args: [['Z', 'out', D], ['W', 'in', (d) => d.n * d.nPrev], ['A_prev', 'in', (d) => d.nPrev * d.m], ['b', 'in', (d) => d.n], 'n', 'nPrev', 'm'],
    reference: ({ W, A_prev, b }, d) => ({ Z: gemmReference(W, A_prev, b, d.n, d.nPrev, d.m) }),
  },
  {
    fn: 'linearActivationForward',
    args: [['A', 'out', D], ['Z', 'out', D], ['W', 'in', (d) => d.n * d.nPrev], ['A_prev', 'in', (d) => d.nPrev * d.m], ['b', 'in', (d) => d.n], 'n', 'nPrev', 'm', 'activation'],
    alias: ['A', 'Z'],
    softmaxAllowed: true,
    reference: ({ W, A_prev, b }, d, act) => {
      const Z = gemmReference(W, A_prev, b, d.n, d.nPrev, d.m);
      const A = act.name === 'softmax' ? softmaxColumns(Z, d.n, d.m) : Z.map(act.g);
      return { A, Z };
    },
  },
  {
    fn: 'activationForward',
    args: [['A', 'out', D], ['Z', 'in', D], 'activation'],
    alias: ['A', 'Z'],
    reference: ({ Z }, _d, act) => ({ A: Array.from(Z, act.g) }),
  },
  {
    fn: 'activationBackward',
    args: [['dZ', 'out', D], ['dA', 'in', D], ['Z', 'in', D], 'activation'],
    reference: ({ dA, Z }, _d, act) => ({ dZ: Array.from(Z, (z, i) => dA[i] * act.dg(z)) }),
  },
  {
    fn: 'linearBackward',
    args: [['dA_prev', 'optional', (d) => d.nPrev * d.m], ['dW', 'out', (d) => d.n * d.nPrev], ['db', 'out', (d) => d.n], ['dZ', 'in', D],
      ['A_prev', 'in', (d) => d.nPrev * d.m], ['W', 'in', (d) => d.n * d.nPrev], 'n', 'nPrev', 'm'],
    reference: ({ dZ, A_prev, W }, { n, nPrev, m }) => {
      const dW = new Float64Array(n * nPrev), db = new Float64Array(n), dA_prev = new Float64Array(nPrev * m);
      for (let i = 0; i < n; i++) {
        for (let k = 0; k < nPrev; k++) {
          let s = 0;
          for (let j = 0; j < m; j++) s += dZ[i + j * n] * A_prev[k + j * nPrev];
          dW[i + k * n] = s / m;
        }
        let s = 0;
        for (let j = 0; j < m; j++) s += dZ[i + j * n];
        db[i] = s / m;
      }
      for (let j = 0; j < m; j++)
        for (let k = 0; k < nPrev; k++) {
          let s = 0;
          for (let i = 0; i < n; i++) s += W[i + k * n] * dZ[i + j * n];
          dA_prev[k + j * nPrev] = s;
        }
      return { dW, db, dA_prev };
    },
  },
  {
    fn: 'binaryCrossEntropy',
    args: [['AL', 'in', D, 'probability'], ['Y', 'in', D, 'label'], 'n', 'm'],
    reference: ({ AL, Y }, d) => {
      let s = 0;
      for (let i = 0; i < AL.length; i++) s += crossEntropyTerm(Y[i], Math.log(AL[i]), Math.log(1 - AL[i]));
      return { result: -s / d.m };
    },
  },
  {
    fn: 'binaryCrossEntropyFromLogits',
    args: [['Z', 'in', D], ['Y', 'in', D, 'label'], 'n', 'm'],
    reference: ({ Z, Y }, d) => {
      let s = 0;
      for (let i = 0; i < Z.length; i++) s += crossEntropyTerm(Y[i], -softplus(-Z[i]), -softplus(Z[i]));
      return { result: -s / d.m };
    },
  },
  {
    fn: 'binaryCrossEntropyBackward',
    args: [['dAL', 'out', D], ['AL', 'in', D, 'probability'], ['Y', 'in', D, 'label']],
    reference: ({ AL, Y }) => ({ dAL: Array.from(AL, (a, i) => -(Y[i] / a - (1 - Y[i]) / (1 - a))) }),
  },
  {
    fn: 'sigmoidCrossEntropyBackward',
    args: [['dZ', 'out', D], ['AL', 'in', D, 'probability'], ['Y', 'in', D, 'label']],
    reference: ({ AL, Y }) => ({ dZ: Array.from(AL, (a, i) => a - Y[i]) }),
  },
  {
    fn: 'sgdUpdate',
    args: [['param', 'inout', D], ['grad', 'in', D], 'learningRate'],
    reference: ({ param, grad }, _d, _act, rate, dtype) => {
      const lr = dtype === 'f32' ? Math.fround(rate) : rate;
      return { param: Array.from(param, (p, i) => p - lr * grad[i]) };
    },
  },
];

function close(actual, expected, dtype, scale = 1) {
  if (Number.isNaN(expected)) return Number.isNaN(actual);
  if (!Number.isFinite(expected)) return actual === expected;
  const tol = (dtype === 'f32' ? 2e-4 : 1e-10) * Math.max(1, Math.abs(expected), scale);
  return Math.abs(actual - expected) <= tol;
}

// ---------------------------------------------------------------------------------------------------------
// Broken values for each kind of argument slot.

function brokenArray(random, arena, dtype, length, role) {
  const Other = dtype === 'f32' ? Float64Array : Float32Array;
  const kinds = [
    () => ['plain Array', Array.from({ length }, () => 0.5)],
    () => ['Int32Array', arena.track(new Int32Array(length), role)],
    () => ['Uint8Array', arena.track(new Uint8Array(length), role)],
    () => ['BigInt64Array', new BigInt64Array(length)],
    () => ['DataView', new DataView(new ArrayBuffer(length * 8))],
    () => ['other dtype', arena.track(new Other(length).fill(role === 'out' ? SENTINEL : 0.25), role)],
    () => { const a = arena.floats(dtype, length, role); detach(a); return ['detached', a]; },
    () => ['zero-length', arena.floats(dtype, 0, role)],
    () => ['shorter', arena.floats(dtype, random.int(0, length - 1), role)],
    () => ['longer', arena.floats(dtype, length + random.int(1, 5), role)],
    () => ['null', null],
    () => ['undefined', undefined],
    () => ['a number', length],
    () => ['a string', 'Float64Array'],
    () => ['an object', { length, 0: 1 }],
    () => ['a function', () => 0],
    () => ['a symbol', Symbol('x')],
    () => ['an ArrayBuffer', new ArrayBuffer(length * 8)],
  ];
  return random.pick(kinds)();
}

function brokenDimension(random, value) {
  const kinds = [
    () => ['other size', value + random.pick([-1, 1, 2, 7]) || value + 1],
    () => ['2147483647', 2147483647],
    () => ['huge valid int', random.int(1000, 2147483647)],
    ...[0, -1, -0, 0.5, 1.5, NaN, Infinity, -Infinity, 2 ** 31, 2 ** 32 + value, 2 ** 53, 1e300, -2147483648].map((v) => () => [String(v), v]),
    ...['3', null, undefined, true, {}, [value], BigInt(value)].map((v) => () => [typeof v, v]),
  ];
  return random.pick(kinds)();
}

function brokenActivation(random, count, elementWise, softmaxCode) {
  const kinds = [count, count + 1, -1, 0.5, NaN, Infinity, 2 ** 32 + 1, '1', null, undefined, {}];
  if (elementWise && softmaxCode !== undefined) kinds.push(softmaxCode);
  const v = random.pick(kinds);
  return [String(v), v];
}

function brokenRate(random) {
  const v = random.pick([NaN, Infinity, -Infinity, '0.1', null, undefined, {}, 1n]);
  return [String(v), v];
}

// ---------------------------------------------------------------------------------------------------------
// The fuzzer.

class Fuzzer {
  constructor(native, options) {
    this.native = native;
    this.random = createRandom(options.seed);
    this.strict = Boolean(options.strict);
    this.trace = options.trace ?? null;
    this.maxFailures = options.maxFailures ?? 20;
    this.stats = { calls: 0, valid: 0, invalid: 0, checked: 0, TypeError: 0, RangeError: 0, networks: 0, detached: 0 };
    this.failures = [];
    this.knownBugs = {};
    this.networks = [];
    const codes = native.Activation;
    this.activationCount = Object.keys(codes).length;
    this.softmaxCode = codes.softmax;
    // element-wise activations: every code but softmax; the reference knows them by name
    this.activations = Object.entries(codes).map(([name, code]) => ({ name, code, ...(ACTIVATIONS[name] ?? {}) }));
  }

  fail(what, problem) {
    this.failures.push(`call ${this.stats.calls}: ${what}: ${problem}`);
  }

  knownBug(name) {
    this.knownBugs[name] = (this.knownBugs[name] ?? 0) + 1;
    if (this.strict) this.fail(name, 'known bug (strict mode)');
  }

  /** Makes a call; classifies the outcome. `valid`: whether it must succeed. Returns the result when it did. */
  attempt(what, valid, arena, call) {
    if (this.trace) this.trace(`${this.stats.calls} ${valid ? 'valid' : 'invalid'} ${what}`);
    arena.snapshot();
    let result, thrown;
    try {
      result = call();
    } catch (error) {
      thrown = error ?? new Error('undefined was thrown');
    }
    if (valid) this.stats.valid++;
    else this.stats.invalid++;
    if (thrown !== undefined) {
      if (thrown instanceof TypeError || thrown instanceof RangeError) this.stats[thrown.constructor.name]++;
      if (valid) this.fail(what, `a valid call threw ${thrown && thrown.constructor && thrown.constructor.name}: ${thrown && thrown.message}`);
      else if (!(thrown instanceof TypeError || thrown instanceof RangeError)) {
        if (thrown instanceof Error && thrown.message === 'Invalid argument' && /shared/.test(what)) this.knownBug('shared-array-buffer');
        else this.fail(what, `threw ${thrown instanceof Error ? `${thrown.constructor.name}: ${thrown.message}` : String(thrown)}, expected TypeError or RangeError`);
      }
      const changed = arena.unchanged();
      if (changed) this.fail(what, `threw, but ${changed}`);
      return { ok: false, thrown };
    }
    if (!valid) {
      this.fail(what, 'an invalid call did not throw');
      return { ok: false };
    }
    return { ok: true, result };
  }

  run(calls) {
    const targets = [
      [30, () => this.kernelCall()],
      [3, () => this.sizeCall()],
      [3, () => this.randomStateCall()],
      [4, () => this.networkConstruction()],
      [14, () => this.networkCall()],
    ];
    const total = targets.reduce((s, [w]) => s + w, 0);
    const savedThreads = this.native.getNumThreads();
    try {
      for (let i = 0; i < calls && this.failures.length < this.maxFailures; i++) {
        this.stats.calls = i;
        let r = this.random.next() * total;
        for (const [weight, target] of targets) {
          if ((r -= weight) < 0) {
            target();
            break;
          }
        }
      }
    } finally {
      this.native.setNumThreads(savedThreads);
    }
    this.stats.calls = Math.min(calls, this.stats.calls + 1);
    return { stats: this.stats, failures: this.failures, knownBugs: this.knownBugs };
  }

  dims() {
    const r = this.random;
    if (r.chance(0.05)) return { n: r.int(250, 300), nPrev: r.int(1, 3), m: r.int(1, 3) }; // past sum_columns' 256-row block
    return { n: r.int(1, 6), nPrev: r.int(1, 6), m: r.int(1, 7) };
  }

  kernelCall() {
    const r = this.random;
    const spec = r.pick(KERNELS);
    const dtype = r.chance(0.5) ? 'f64' : 'f32';
    const d = this.dims();
    const extreme = r.chance(0.15);
    const arena = new Arena(r);
    const elementWise = spec.fn === 'activationForward' || spec.fn === 'activationBackward';
    const activationChoices = this.activations.filter((a) => (spec.softmaxAllowed ? true : a.code !== this.softmaxCode));
    const act = r.pick(activationChoices);
    const rate = r.chance(0.8) ? r.uniform(1) : r.pick([0, -0, -5, 1e-30, 1e30]);
    const named = {};
    let args = spec.args.map((arg) => {
      if (typeof arg === 'string') return arg === 'activation' ? act.code : arg === 'learningRate' ? rate : d[arg];
      const [name, role, size, kind] = arg;
      if (role === 'optional' && r.chance(0.3)) return (named[name] = r.chance(0.5) ? null : undefined);
      return (named[name] = arena.floats(dtype, size(d), role === 'optional' ? 'out' : role, kind, extreme));
    });
    // the allowed alias: A and Z as the very same array
    let aliased = false;
    if (spec.alias && r.chance(0.2)) {
      const [a, z] = spec.alias.map((name) => spec.args.findIndex((arg) => Array.isArray(arg) && arg[0] === name));
      arena.untrack(args[a]);
      arena.setRole(args[z], 'inout'); // written (g(Z)) and read
      args[a] = args[z];
      named[spec.alias[0]] = args[z];
      aliased = true;
    }

    // break some arguments
    const broken = [];
    if (r.chance(0.45)) {
      const count = r.chance(0.8) ? 1 : 2;
      let dimensionBroken = false, dtypeBroken = false;
      for (let c = 0; c < count; c++) {
        const index = r.int(0, spec.args.length - 1);
        const arg = spec.args[index];
        // two sizes changed together could agree again (n*m = n'*m'): break at most one
        if (typeof arg === 'string' && arg !== 'activation' && arg !== 'learningRate') {
          if (dimensionBroken) continue;
          dimensionBroken = true;
        }
        let label, value;
        if (typeof arg !== 'string') {
          const [name, role, size] = arg;
          const len = size(d);
          const shape = r.next();
          if (shape < 0.12) {
            // an output overlapping another array argument
            const others = spec.args.map((a, i) => [a, i]).filter(([a, i]) => i !== index && Array.isArray(a));
            const [otherArg, otherIndex] = r.pick(others);
            const outIndex = role === 'in' ? otherIndex : index;
            const outArg = spec.args[outIndex];
            if (outArg[1] === 'in' || (spec.alias && spec.alias.includes(arg[0]) && spec.alias.includes(otherArg[0]))) continue;
            const inIndex = outIndex === index ? otherIndex : index;
            const outLen = outArg[2](d), inLen = spec.args[inIndex][2](d);
            const overlap = r.int(1, Math.min(outLen, inLen));
            const shared = arena.floats(dtype, outLen + inLen - overlap, 'in');
            args[outIndex] = shared.subarray(0, outLen);
            args[inIndex] = shared.subarray(outLen - overlap);
            broken.push(`${outArg[0]} overlaps ${spec.args[inIndex][0]}`);
            continue;
          } else if (shape < 0.16) {
            // SharedArrayBuffer-backed, right length: may be used or refused (known: refused with a bare Error)
            const Type = dtype === 'f32' ? Float32Array : Float64Array;
            const a = new Type(new SharedArrayBuffer(len * Type.BYTES_PER_ELEMENT));
            args[index] = a;
            broken.push(`${name} shared`);
            continue;
          } else {
            if (role === 'optional' && r.chance(0.2)) continue;
            [label, value] = brokenArray(r, arena, dtype, len, role === 'optional' ? 'out' : role);
            if (role === 'optional' && value == null) continue; // null/undefined dA_prev is valid
            // every array switched to the other dtype would be a valid call again: switch at most one
            if (label === 'other dtype') {
              if (dtypeBroken) continue;
              dtypeBroken = true;
            }
            label = `${name} ${label}`;
          }
        } else if (arg === 'activation') {
          [label, value] = brokenActivation(r, this.activationCount, !spec.softmaxAllowed, this.softmaxCode);
          label = `activation ${label}`;
        } else if (arg === 'learningRate') {
          [label, value] = brokenRate(r);
          label = `learningRate ${label}`;
        } else {
          [label, value] = brokenDimension(r, d[arg]);
          if (value === d[arg]) continue;
          label = `${arg} ${label}`;
        }
        args[index] = value;
        broken.push(label);
      }
      if (r.chance(0.05)) {
        args = args.slice(0, r.int(0, args.length - 1));
        broken.push(`only ${args.length} arguments`);
      }
    }
    const sharedOnly = broken.length > 0 && broken.every((b) => b.endsWith(' shared'));
    const what = `${spec.fn} ${dtype} n=${d.n} nPrev=${d.nPrev} m=${d.m}${extreme ? ' extreme' : ''}${aliased ? ' A=Z' : ''} act=${act.name}${broken.length ? ` broken: ${broken.join(', ')}` : ''}`;
    const fn = this.native[spec.fn];
    // the reference reads the inputs as they were before the call (param is updated in place; A may be Z)
    const inputs = {};
    for (const [name, value] of Object.entries(named)) inputs[name] = value == null ? value : Float64Array.from(value);
    if (sharedOnly) {
      // used (then it must be right) or refused with a TypeError; today: a bare Error "Invalid argument"
      arena.snapshot();
      try {
        fn(...args);
      } catch (error) {
        if (error instanceof TypeError) return;
        if (error instanceof Error && error.message === 'Invalid argument') return this.knownBug('shared-array-buffer');
        return this.fail(what, `threw ${error}`);
      }
      return;
    }
    const outcome = this.attempt(what, broken.length === 0, arena, () => fn(...args));
    if (!outcome.ok) return;
    const problem = arena.validWrites();
    if (problem) return this.fail(what, problem);
    // ordinary values: compare with the reference
    if (extreme || (act.g === undefined && act.name !== 'softmax')) return;
    if (spec.fn === 'activationBackward' && act.name === 'softmax') return;
    const expected = spec.reference(inputs, d, act, rate, dtype);
    this.stats.checked++;
    for (const [name, values] of Object.entries(expected)) {
      if (name === 'result') {
        if (!close(outcome.result, values, dtype, 10)) return this.fail(what, `returned ${outcome.result}, expected ${values}`);
        continue;
      }
      const actual = named[name];
      if (actual == null) continue;
      if (aliased && name === 'Z' && spec.fn === 'linearActivationForward') continue; // Z holds g(Z) then
      for (let i = 0; i < values.length; i++)
        if (!close(actual[i], values[i], dtype, spec.fn === 'sgdUpdate' ? Math.abs(rate) * 2 : 1))
          return this.fail(what, `${name}[${i}] = ${actual[i]}, expected ${values[i]}`);
    }
  }

  sizeCall() {
    const r = this.random;
    const layers = r.int(1, 7);
    const big = r.chance(0.4);
    const dims = Array.from({ length: layers + 1 }, () => (big ? r.pick([1, 2, 3, 1000, 65536, 2147483647, r.int(1, 2147483647)]) : r.int(1, 50)));
    const capacity = big ? r.pick([1, 7, 1 << 30, 2147483647, r.int(1, 2147483647)]) : r.int(1, 100);
    let broken = null;
    const arena = new Arena(r);
    let dimsArg = dims, capacityArg = capacity;
    if (r.chance(0.4)) {
      const choice = r.int(0, 3);
      if (choice === 0) [broken, dimsArg] = ['layerDims junk', r.pick([[], [3], '3,2', null, undefined, new Int32Array([3, 2]), { length: 2 }])];
      else if (choice === 1) {
        const [label, v] = brokenDimension(r, dims[0]);
        if (!/other size|huge valid|2147483647/.test(label)) {
          dimsArg = dims.slice();
          dimsArg[r.int(0, dims.length - 1)] = v;
          broken = `layerDims entry ${label}`;
        }
      } else {
        const [label, v] = brokenDimension(r, capacity);
        if (!/other size|huge valid|2147483647/.test(label)) [broken, capacityArg] = [`capacity ${label}`, v];
      }
    }
    const which = r.chance(0.5) ? 'parameterCount' : 'workspaceLength';
    if (which === 'parameterCount' && broken && broken.startsWith('capacity')) broken = null;
    const what = `${which}([${dimsArg}], ${capacityArg})${broken ? ` broken: ${broken}` : ''}`;
    const outcome = this.attempt(what, !broken, arena, () => (which === 'parameterCount' ? this.native.parameterCount(dimsArg) : this.native.workspaceLength(dimsArg, capacityArg)));
    if (!outcome.ok) return;
    const B = dims.map(BigInt);
    let exact = 0n;
    if (which === 'parameterCount') for (let l = 1; l < B.length; l++) exact += B[l] * (B[l - 1] + 1n);
    else {
      let units = 0n;
      for (let l = 1; l < B.length; l++) units += B[l];
      exact = (2n * units + B[B.length - 1]) * BigInt(capacity);
    }
    this.stats.checked++;
    if (outcome.result !== Number(exact)) {
      if (exact >= 2n ** 64n) this.knownBug('size-overflow');
      else this.fail(what, `returned ${outcome.result}, expected ${exact}`);
    }
  }

  randomStateCall() {
    const r = this.random;
    const arena = new Arena(r);
    const seedValid = r.chance(0.8);
    const seed = seedValid ? r.pick([0, 1, 42, 4294967295, r.int(0, 4294967295)]) : r.pick([-1, 0.5, NaN, Infinity, 4294967296, '1', null, undefined, {}]);
    const made = this.attempt(`new RandomState(${String(seed)})`, seedValid, arena, () => new this.native.RandomState(seed));
    if (!made.ok) return;
    const rng = made.result;
    const method = r.pick(['standardNormal', 'uniform', 'shuffle', 'seed']);
    if (method === 'seed') {
      const valid = r.chance(0.7);
      const s = valid ? r.int(0, 4294967295) : r.pick([-1, 1.5, NaN, '2', undefined]);
      this.attempt(`RandomState.seed(${String(s)})`, valid, arena, () => rng.seed(s));
      return;
    }
    const length = r.int(0, 40);
    if (method === 'shuffle') {
      const valid = r.chance(0.75);
      const values = valid ? arena.track(Uint32Array.from({ length }, (_, i) => i), 'inout') : r.pick([new Float64Array(length), new Int32Array(length), Array.from({ length }, (_, i) => i), null]);
      if (!valid && ArrayBuffer.isView(values)) arena.track(values);
      const outcome = this.attempt(`RandomState.shuffle(${valid ? 'Uint32Array' : Object.prototype.toString.call(values)} of ${length})`, valid, arena, () => rng.shuffle(values));
      if (!outcome.ok) return;
      this.stats.checked++;
      const sorted = Array.from(values).sort((a, b) => a - b);
      if (sorted.some((v, i) => v !== i)) this.fail('RandomState.shuffle', `not a permutation: ${Array.from(values)}`);
      return;
    }
    const valid = r.chance(0.75);
    const out = valid ? arena.floats('f64', length, 'out') : brokenArray(r, arena, 'f32', length, 'out')[1];
    if (!valid && out instanceof Float64Array) return; // a broken f64 array of another length is still valid here
    const outcome = this.attempt(`RandomState.${method}(${valid ? `Float64Array(${length})` : Object.prototype.toString.call(out)})`, valid, arena, () => rng[method](out));
    if (!outcome.ok) return;
    const problem = arena.validWrites();
    if (problem) return this.fail(`RandomState.${method}`, problem);
    this.stats.checked++;
    for (const v of out) if (!Number.isFinite(v) || (method === 'uniform' && !(v >= 0 && v < 1))) return this.fail(`RandomState.${method}`, `drew ${v}`);
  }

  // --- networks --------------------------------------------------------------------------------------------

  networkSpec(dtype) {
    const r = this.random;
    const L = r.int(1, 3);
    const layerDims = Array.from({ length: L + 1 }, (_, l) => (l === L ? r.int(1, 3) : r.int(1, 5)));
    const hidden = this.activations.filter((a) => a.code !== this.softmaxCode);
    const activations = Array.from({ length: L }, (_, l) => (l === L - 1 ? this.native.Activation.sigmoid : r.pick(hidden).code));
    const capacity = r.int(1, 6);
    return { layerDims, activations, capacity, dtype, withNext: r.chance(0.5) };
  }

  networkBuffers(arena, spec) {
    const P = this.native.parameterCount(spec.layerDims);
    const W = this.native.workspaceLength(spec.layerDims, spec.capacity);
    const params = arena.floats(spec.dtype, P, 'inout');
    for (let i = 0; i < P; i++) params[i] = this.random.uniform(0.8);
    return {
      params,
      nextParams: spec.withNext ? arena.floats(spec.dtype, P, 'out') : null,
      grads: arena.floats(spec.dtype, P, 'out'),
      workspace: arena.floats(spec.dtype, W, 'out'),
    };
  }

  networkConstruction() {
    const r = this.random;
    const spec = this.networkSpec(r.chance(0.5) ? 'f64' : 'f32');
    const arena = new Arena(r);
    const buffers = this.networkBuffers(arena, spec);
    const options = { layerDims: spec.layerDims, activations: spec.activations, capacity: spec.capacity, ...buffers };
    let broken = null;
    if (r.chance(0.5)) {
      const key = r.pick(['layerDims', 'activations', 'capacity', 'params', 'nextParams', 'grads', 'workspace', 'overlap', 'options']);
      if (key === 'layerDims') {
        const v = r.pick([[], [spec.layerDims[0]], '2,1', null, [...spec.layerDims.slice(0, -1), spec.layerDims.at(-1) + 1], spec.layerDims.map((x, i) => (i === 0 ? x + 1 : x)), [0, 1], [1.5, 1], [NaN, 1]]);
        options.layerDims = v;
        if (Array.isArray(v) && v.length === 2 && spec.layerDims.length !== 2) options.activations = [this.native.Activation.sigmoid];
        broken = `layerDims ${JSON.stringify(v)}`;
      } else if (key === 'activations') {
        const L = spec.activations.length;
        const v = r.pick([null, [], [...spec.activations, 2], Array(L).fill(this.activationCount), Array(L).fill(-1), Array(L).fill(1), Array(L).fill('sigmoid')]);
        options.activations = v;
        broken = `activations ${JSON.stringify(v)}`;
      } else if (key === 'capacity') {
        const [label, v] = brokenDimension(r, spec.capacity);
        if (/huge valid|2147483647/.test(label)) return;
        options.capacity = v;
        broken = `capacity ${label}`;
      } else if (key === 'overlap') {
        const names = ['params', 'grads', 'workspace', ...(spec.withNext ? ['nextParams'] : [])];
        const a = r.pick(names);
        const b = r.pick(names.filter((n) => n !== a));
        const la = options[a].length, lb = options[b].length;
        const overlap = r.int(1, Math.min(la, lb));
        const shared = arena.floats(spec.dtype, la + lb - overlap, 'in');
        options[a] = shared.subarray(0, la);
        options[b] = shared.subarray(la - overlap);
        broken = `${a} overlaps ${b}`;
      } else if (key === 'options') {
        const v = r.pick([null, undefined, 42, [], 'spec']);
        broken = `options ${String(v)}`;
        return void this.attempt(`new Network(${String(v)})`, false, arena, () => new this.native.Network(v));
      } else {
        if (key === 'nextParams' && !spec.withNext) return;
        const [label, v] = brokenArray(r, arena, spec.dtype, options[key].length, 'out');
        if (key === 'nextParams' && v == null) return; // no nextParams is valid
        options[key] = v;
        broken = `${key} ${label}`;
      }
    }
    const what = `new Network(${JSON.stringify({ layerDims: spec.layerDims, activations: spec.activations, capacity: spec.capacity, dtype: spec.dtype, next: spec.withNext })})${broken ? ` broken: ${broken}` : ''}`;
    const outcome = this.attempt(what, !broken, arena, () => new this.native.Network(options));
    if (!outcome.ok) return;
    this.stats.networks++;
    if (this.networks.length >= 6) this.networks.shift();
    this.networks.push({ net: outcome.result, spec, buffers, arena, detached: false });
  }

  networkCall() {
    const r = this.random;
    if (this.networks.length === 0) return this.networkConstruction();
    const entry = r.pick(this.networks);
    const { net, spec, buffers } = entry;
    const arena = new Arena(r);
    for (const [name, buffer] of Object.entries(buffers)) if (buffer) arena.track(buffer, name);

    if (!entry.detached && r.chance(0.02)) {
      const victim = r.pick(Object.keys(buffers).filter((k) => buffers[k]));
      detach(buffers[victim]);
      entry.detached = victim;
      this.stats.detached++;
    }

    const n0 = spec.layerDims[0], nL = spec.layerDims.at(-1);
    const m = r.int(1, spec.capacity);
    const X = arena.floats(spec.dtype, n0 * m, 'in');
    const Y = arena.floats(spec.dtype, nL * m, 'in', 'label');
    const method = r.pick(['forward', 'cost', 'backward', 'trainStep', 'trainStep', 'syncParameters']);
    const args = { forward: [X, m], cost: [Y, m], backward: [X, Y, m], trainStep: [X, Y, m, r.chance(0.9) ? r.next() * 0.5 : r.pick([0, -0.1, 1e-30])], syncParameters: [] }[method];
    const names = { forward: ['X', 'm'], cost: ['Y', 'm'], backward: ['X', 'Y', 'm'], trainStep: ['X', 'Y', 'm', 'learningRate'], syncParameters: [] }[method];
    let broken = entry.detached ? `${entry.detached} detached` : null;
    if (!broken && args.length && r.chance(0.35)) {
      const index = r.int(0, args.length - 1);
      const name = names[index];
      let label, value;
      if (name === 'X' || name === 'Y') [label, value] = brokenArray(r, arena, spec.dtype, args[index].length, 'in');
      else if (name === 'm') {
        [label, value] = r.chance(0.3) ? ['above capacity', spec.capacity + r.int(1, 3)] : brokenDimension(r, m);
        if (value === m) return;
      } else [label, value] = brokenRate(r);
      args[index] = value;
      broken = `${name} ${label}`;
    }
    const before = net.current;
    const current = buffers[before === 0 ? 'params' : 'nextParams'];
    const parametersBefore = !entry.detached && current ? Float64Array.from(current) : null;
    const inputsBefore = [Float64Array.from(X), Float64Array.from(Y)];
    const what = `Network.${method} ${spec.dtype} dims=[${spec.layerDims}] act=[${spec.activations}] cap=${spec.capacity} m=${m}${broken ? ` broken: ${broken}` : ''}`;
    const outcome = this.attempt(what, !broken, arena, () => net[method](...args));
    if (!outcome.ok) {
      if (net.current !== before) this.fail(what, `current changed from ${before} to ${net.current} by a failed call`);
      if (entry.detached && outcome.thrown && !(outcome.thrown instanceof TypeError && /detached/.test(outcome.thrown.message)))
        this.fail(what, `a detached network threw ${outcome.thrown}`);
      return;
    }
    if (X.some((v, i) => !Object.is(v, inputsBefore[0][i])) || Y.some((v, i) => !Object.is(v, inputsBefore[1][i]))) return this.fail(what, 'X or Y was written');
    const guards = entry.arena.guardsIntact();
    if (guards) return this.fail(what, guards);
    if (method !== 'trainStep' && method !== 'forward') return;
    // compare with the JavaScript reference, from the parameters before the call
    const known = spec.activations.every((code) => this.activations.find((a) => a.code === code)?.g);
    if (!known || !parametersBefore) return;
    const ref = referenceNetwork(spec, parametersBefore, X, Y, m, this.activations);
    this.stats.checked++;
    if (method === 'forward') {
      // the cost of that forward pass
      const cost = net.cost(Y, m);
      if (!close(cost, ref.cost, spec.dtype, 10)) this.fail(what, `cost after forward ${cost}, reference ${ref.cost}`);
      return;
    }
    const lr = args[3];
    if (!close(outcome.result, ref.cost, spec.dtype, 10)) return this.fail(what, `trainStep returned ${outcome.result}, reference cost ${ref.cost}`);
    if (!Number.isFinite(ref.cost)) return;
    const after = buffers[net.current === 0 ? 'params' : 'nextParams'];
    const rate = spec.dtype === 'f32' ? Math.fround(lr) : lr;
    for (let i = 0; i < after.length; i++) {
      const expected = parametersBefore[i] - rate * ref.grads[i];
      if (!close(after[i], expected, spec.dtype, 1)) return this.fail(what, `parameter ${i} = ${after[i]}, expected ${expected}`);
    }
  }
}

/** Forward, cost (from logits) and gradients of a network in float64, from flat parameters. */
function referenceNetwork(spec, params, X, Y, m, activations) {
  const dims = spec.layerDims, L = dims.length - 1;
  const layers = [];
  let offset = 0;
  for (let l = 1; l <= L; l++) {
    const n = dims[l], nPrev = dims[l - 1];
    layers.push({ n, nPrev, W: params.subarray(offset, offset + n * nPrev), b: params.subarray(offset + n * nPrev, offset + n * nPrev + n), wOffset: offset, bOffset: offset + n * nPrev });
    offset += n * nPrev + n;
  }
  const As = [Float64Array.from(X)];
  let Zlast;
  layers.forEach((layer, i) => {
    const Z = gemmReference(layer.W, As[i], layer.b, layer.n, layer.nPrev, m);
    const act = activations.find((a) => a.code === spec.activations[i]);
    if (i === L - 1) Zlast = Z;
    As.push(Z.map(act.g));
    layer.Z = Z;
    layer.act = act;
  });
  let cost = 0;
  for (let k = 0; k < Zlast.length; k++) cost -= crossEntropyTerm(Y[k], -softplus(-Zlast[k]), -softplus(Zlast[k]));
  cost /= m;
  const grads = new Float64Array(params.length);
  let dZ = Float64Array.from(As[L], (a, k) => a - Y[k]);
  for (let i = L - 1; i >= 0; i--) {
    const { n, nPrev, W, wOffset, bOffset } = layers[i];
    const A_prev = As[i];
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < nPrev; c++) {
        let s = 0;
        for (let j = 0; j < m; j++) s += dZ[r + j * n] * A_prev[c + j * nPrev];
        grads[wOffset + r + c * n] = s / m;
      }
      let s = 0;
      for (let j = 0; j < m; j++) s += dZ[r + j * n];
      grads[bOffset + r] = s / m;
    }
    if (i > 0) {
      const prev = layers[i - 1];
      const dA = new Float64Array(nPrev * m);
      for (let j = 0; j < m; j++)
        for (let c = 0; c < nPrev; c++) {
          let s = 0;
          for (let r = 0; r < n; r++) s += W[r + c * n] * dZ[r + j * n];
          dA[c + j * nPrev] = s;
        }
      dZ = dA.map((v, k) => v * prev.act.dg(prev.Z[k]));
    }
  }
  return { cost, grads };
}

/** Runs `calls` fuzzed calls; returns { stats, failures, knownBugs }. */
function runFuzz(native, { calls = 2000, seed = 1, strict = false, trace = null, maxFailures = 20 } = {}) {
  return new Fuzzer(native, { seed, strict, trace, maxFailures }).run(calls);
}

module.exports = { runFuzz, createRandom };

// ---------------------------------------------------------------------------------------------------------
// Command line.

function loadNative() {
  const path = require('node:path');
  if (process.env.DNN_NATIVE_BINARY) return require(path.resolve(process.env.DNN_NATIVE_BINARY));
  return require('node-gyp-build')(path.resolve(__dirname, '..'));
}

function main(argv) {
  const option = (name, fallback) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 && i + 1 < argv.length ? argv[i + 1] : fallback;
  };
  const calls = Number(option('calls', '100000'));
  const seed = Number(option('seed', String(Date.now() % 4294967296)));
  const strict = argv.includes('--strict');
  const trace = argv.includes('--trace') ? (line) => require('node:fs').writeSync(2, `${line}\n`) : null;
  if (!Number.isInteger(calls) || calls < 1 || !Number.isInteger(seed) || seed < 0) {
    console.error('usage: node scripts/fuzz.js [--calls N] [--seed S] [--strict] [--trace]');
    process.exit(2);
  }
  const native = loadNative();
  const started = Date.now();
  const chunk = 100000;
  const total = { stats: null, failures: [], knownBugs: {} };
  // Run in chunks with derived seeds so progress shows and a long run's memory stays flat.
  for (let done = 0, part = 0; done < calls && total.failures.length === 0; done += chunk, part++) {
    const n = Math.min(chunk, calls - done);
    const result = runFuzz(native, { calls: n, seed: (seed + part * 0x9e3779b9) >>> 0, strict, trace });
    if (!total.stats) total.stats = { ...result.stats };
    else for (const key of Object.keys(result.stats)) total.stats[key] += result.stats[key];
    total.failures.push(...result.failures.map((f) => `part ${part} (seed ${(seed + part * 0x9e3779b9) >>> 0}) ${f}`));
    for (const [bug, count] of Object.entries(result.knownBugs)) total.knownBugs[bug] = (total.knownBugs[bug] ?? 0) + count;
    if (calls > chunk) console.log(`fuzz: ${done + n} calls, ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  console.log(`fuzz: seed ${seed}, ${JSON.stringify(total.stats)}`);
  if (Object.keys(total.knownBugs).length) console.log(`fuzz: known bugs hit: ${JSON.stringify(total.knownBugs)}`);
  if (total.failures.length) {
    console.log(`fuzz: ${total.failures.length} failures:\n  ${total.failures.join('\n  ')}`);
    process.exit(1);
  }
  console.log('fuzz: no failures');
}

if (require.main === module) main(process.argv.slice(2));
