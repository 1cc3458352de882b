#!/usr/bin/env node
// A bounded, seeded fuzzer for the raw binding (issue 5). Each call gets random arguments: mostly valid calls
// (random shapes, values from ordinary to NaN / Infinity / 1e300 / -0, arrays as views inside larger buffers with
// guard elements around them, over ArrayBuffers, SharedArrayBuffers and resizable ArrayBuffers), the rest with one
// or two arguments broken (wrong type, dtype, length, size, value, detached or overlapping buffers, missing
// arguments). Every call must either
//   - be valid and return the right result (checked against plain JavaScript math when the values are ordinary;
//     with extreme values: no throw, every output element written), leaving inputs and guard elements untouched, or
//   - be invalid and throw a TypeError or RangeError, leaving every buffer untouched.
// Sizes (parameterCount, workspaceLength, maskLength) are checked against exact BigInt arithmetic: a size above 2^53
// elements must be a RangeError naming layerDims or capacity, any other the exact value.
// Networks are fuzzed too: built from random specs (sigmoid or softmax output, L2, dropout, gradient descent,
// momentum or Adam), trained against a JavaScript reference of the same network and optimiser, fed broken batches,
// and have buffers detached under them. Raced calls put inputs on a SharedArrayBuffer that a worker thread keeps
// rewriting (indices, matrices, batches, parameters): they must return or throw a TypeError or RangeError.
//
//   node scripts/fuzz.js --calls 1000000 --seed 7       a long run (exit status 1 on any failure)
//   node scripts/fuzz.js --calls 5000 --seed 7 --trace  print each call before making it (to find a crash)
//   --strict   count known, reported defects as failures too
//   --no-race  leave out the raced calls (inputs on a SharedArrayBuffer that a worker thread rewrites: see Racer)
//
// The addon is loaded from DNN_NATIVE_BINARY when set, else as lib/native.ts does (build/Release, prebuilds/).
// test/fuzz.test.ts runs a short run of the same code in the suite.

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

const EXTREMES = [
  NaN,
  Infinity,
  -Infinity,
  1e300,
  -1e300,
  1e-300,
  -1e-300,
  0,
  -0,
  3.4e38,
  -3.4e38,
  1e-45,
  88.8,
  -88.8,
  745,
  -745,
  1000,
  -1000,
  2 ** 53,
  1,
];

/** Values for an input: 'ordinary' ones the reference math checks; 'extreme' ones only need a written output. */
function fillValues(random, array, kind, extreme) {
  for (let i = 0; i < array.length; i++) {
    if (extreme && random.chance(0.3)) array[i] = random.pick(EXTREMES);
    else if (kind === 'probability') array[i] = 0.02 + 0.96 * random.next();
    else if (kind === 'label') array[i] = random.chance(0.8) ? random.int(0, 1) : random.next();
    else if (kind === 'square')
      array[i] = 2 * random.next(); // Adam's second moment: never negative
    else if (kind === 'zero') array[i] = 0;
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

  /**
   * A Float32Array/Float64Array of `length`, maybe a view at an offset inside a larger, guarded buffer; over an
   * ArrayBuffer, or now and then a SharedArrayBuffer or a resizable ArrayBuffer (valid for every kernel).
   * `backing: 'plain'` forces an ordinary ArrayBuffer (one that can be detached, or that a Network may bind).
   */
  floats(dtype, length, role, kind = 'value', extreme = false, backing = undefined) {
    const Type = dtype === 'f32' ? Float32Array : Float64Array;
    const before = this.random.chance(0.5) ? this.random.int(1, 3) : 0;
    const after = this.random.chance(0.5) ? this.random.int(1, 3) : 0;
    const total = before + length + after;
    const how = backing ?? (this.random.chance(0.9) ? 'plain' : this.random.pick(['shared', 'resizable']));
    const bytes = total * Type.BYTES_PER_ELEMENT;
    const parent =
      how === 'shared'
        ? new Type(new SharedArrayBuffer(bytes))
        : how === 'resizable'
          ? new Type(new ArrayBuffer(bytes, { maxByteLength: bytes + 64 }), 0, total)
          : how === 'growable'
            ? new Type(new SharedArrayBuffer(bytes, { maxByteLength: bytes + 64 }), 0, total)
            : new Type(total);
    parent.fill(GUARD);
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
        if ((i < before || i >= before + length) && !Object.is(parent[i], GUARD))
          return `guard element ${i} of a buffer was written: ${parent[i]}`;
    return undefined;
  }

  /** After a valid call: inputs untouched, guards untouched, outputs fully written. */
  validWrites() {
    for (const { parent, copy, role, before, length } of this.entries) {
      if (parent.length !== copy.length) return `a ${role} buffer changed length`;
      for (let i = 0; i < copy.length; i++) {
        const inside = i >= before && i < before + length;
        if (inside && (role === 'out' || role === 'inout')) {
          if (role === 'out' && Object.is(parent[i], SENTINEL))
            return `output element ${i - before} of ${length} not written`;
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

/** Detached by the fuzzer: ordinary ArrayBuffers (a SharedArrayBuffer cannot be transferred; resizable ones are left alone). */
function detachable(array) {
  return array.buffer instanceof ArrayBuffer && !array.buffer.resizable;
}

// ---------------------------------------------------------------------------------------------------------
// Reference math (float64, column-major), for ordinary values.

const LEAKY_SLOPE = 0.01;
const sigmoid = (z) => 1 / (1 + Math.exp(-z));
const softplus = (x) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));

/** Element-wise activations the reference knows, by the binding's names. */
const ACTIVATIONS = {
  linear: { g: (z) => z, dg: () => 1 },
  relu: { g: (z) => Math.max(z, 0), dg: (z) => (z > 0 ? 1 : 0) },
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

/** -(1/m) Σ Y log softmax(Z), per column as Σ_i y_i · (max + log Σ exp(z - max)) - Σ_i y_i z_i (stable). */
function categoricalFromLogits(Z, Y, n, m) {
  let sum = 0;
  for (let j = 0; j < m; j++) {
    let max = -Infinity;
    for (let i = 0; i < n; i++) max = Math.max(max, Z[i + j * n]);
    let exps = 0,
      mass = 0,
      dot = 0;
    for (let i = 0; i < n; i++) {
      exps += Math.exp(Z[i + j * n] - max);
      mass += Y[i + j * n];
      if (Y[i + j * n] !== 0) dot += Y[i + j * n] * Z[i + j * n];
    }
    sum += mass * (max + Math.log(exps)) - dot;
  }
  return sum / m;
}

/** A number as the kernel sees it: float32 kernels cast their scalar arguments to float. */
function asKernelScalar(value, dtype) {
  return dtype === 'f32' ? Math.fround(value) : value;
}

/**
 * The course's optimiser updates, element by element, as native/kernels/update.cpp computes them (in float64 here).
 * Returns the new param / velocity / squares and, per element, the size of the terms summed (the rounding scale).
 */
function optimizerReference(
  kind,
  { param, grad, velocity, squares },
  { learningRate, beta1, beta2, epsilon, t, dtype },
) {
  const lr = asKernelScalar(learningRate, dtype);
  const n = param.length;
  const out = { param: new Float64Array(n), scale: new Float64Array(n) };
  if (kind === 'gd') {
    for (let i = 0; i < n; i++) {
      out.param[i] = param[i] - lr * grad[i];
      out.scale[i] = Math.abs(param[i]) + Math.abs(lr * grad[i]);
    }
    return out;
  }
  const b1 = asKernelScalar(beta1, dtype);
  out.velocity = new Float64Array(n);
  out.velocityScale = new Float64Array(n);
  if (kind === 'momentum') {
    for (let i = 0; i < n; i++) {
      out.velocity[i] = b1 * velocity[i] + (1 - b1) * grad[i];
      out.velocityScale[i] = Math.abs(b1 * velocity[i]) + Math.abs((1 - b1) * grad[i]);
      out.param[i] = param[i] - lr * out.velocity[i];
      out.scale[i] = Math.abs(param[i]) + Math.abs(lr) * out.velocityScale[i];
    }
    return out;
  }
  const b2 = asKernelScalar(beta2, dtype),
    eps = asKernelScalar(epsilon, dtype);
  // the bias corrections in double, from the (float-cast) betas, then cast, as the kernel does
  const correction1 = asKernelScalar(1 - b1 ** t, dtype),
    correction2 = asKernelScalar(1 - b2 ** t, dtype);
  out.squares = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const g = grad[i];
    out.velocity[i] = b1 * velocity[i] + (1 - b1) * g;
    out.velocityScale[i] = Math.abs(b1 * velocity[i]) + Math.abs((1 - b1) * g);
    out.squares[i] = b2 * squares[i] + (1 - b2) * g * g;
    const denominator = Math.sqrt(out.squares[i] / correction2) + eps;
    out.param[i] = param[i] - (lr * (out.velocity[i] / correction1)) / denominator;
    out.scale[i] = Math.abs(param[i]) + (Math.abs(lr) * (out.velocityScale[i] / correction1)) / denominator;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// The per-layer kernels: argument descriptions and their reference results.

const D = (d) => d.n * d.m;
const KERNELS = [
  {
    fn: 'linearForward',
    args: [
      ['Z', 'out', D],
      ['W', 'in', (d) => d.n * d.nPrev],
      ['A_prev', 'in', (d) => d.nPrev * d.m],
      ['b', 'in', (d) => d.n],
      'n',
      'nPrev',
      'm',
    ],
    reference: ({ W, A_prev, b }, d) => ({ Z: gemmReference(W, A_prev, b, d.n, d.nPrev, d.m) }),
  },
  {
    fn: 'linearActivationForward',
    args: [
      ['A', 'out', D],
      ['Z', 'out', D],
      ['W', 'in', (d) => d.n * d.nPrev],
      ['A_prev', 'in', (d) => d.nPrev * d.m],
      ['b', 'in', (d) => d.n],
      'n',
      'nPrev',
      'm',
      'activation',
    ],
    alias: ['A', 'Z'],
    softmaxAllowed: true,
    reference: ({ W, A_prev, b }, d, { act }) => {
      const Z = gemmReference(W, A_prev, b, d.n, d.nPrev, d.m);
      const A = act.name === 'softmax' ? softmaxColumns(Z, d.n, d.m) : Z.map(act.g);
      return { A, Z };
    },
  },
  {
    fn: 'activationForward',
    args: [['A', 'out', D], ['Z', 'in', D], 'activation'],
    alias: ['A', 'Z'],
    reference: ({ Z }, _d, { act }) => ({ A: Array.from(Z, act.g) }),
  },
  {
    fn: 'activationBackward',
    args: [['dZ', 'out', D], ['dA', 'in', D], ['Z', 'in', D], 'activation'],
    reference: ({ dA, Z }, _d, { act }) => ({ dZ: Array.from(Z, (z, i) => dA[i] * act.dg(z)) }),
  },
  {
    fn: 'linearBackward',
    args: [
      ['dA_prev', 'optional', (d) => d.nPrev * d.m],
      ['dW', 'out', (d) => d.n * d.nPrev],
      ['db', 'out', (d) => d.n],
      ['dZ', 'in', D],
      ['A_prev', 'in', (d) => d.nPrev * d.m],
      ['W', 'in', (d) => d.n * d.nPrev],
      'n',
      'nPrev',
      'm',
    ],
    reference: ({ dZ, A_prev, W }, { n, nPrev, m }) => {
      const dW = new Float64Array(n * nPrev),
        db = new Float64Array(n),
        dA_prev = new Float64Array(nPrev * m);
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
    args: [
      ['dAL', 'out', D],
      ['AL', 'in', D, 'probability'],
      ['Y', 'in', D, 'label'],
    ],
    reference: ({ AL, Y }) => ({ dAL: Array.from(AL, (a, i) => -(Y[i] / a - (1 - Y[i]) / (1 - a))) }),
  },
  {
    fn: 'sigmoidCrossEntropyBackward',
    args: [
      ['dZ', 'out', D],
      ['AL', 'in', D, 'probability'],
      ['Y', 'in', D, 'label'],
    ],
    reference: ({ AL, Y }) => ({ dZ: Array.from(AL, (a, i) => a - Y[i]) }),
  },
  {
    fn: 'sgdUpdate',
    args: [['param', 'inout', D], ['grad', 'in', D], 'learningRate'],
    reference: (inputs, _d, scalars) => {
      const { param, scale } = optimizerReference('gd', inputs, scalars);
      return { param, scales: { param: scale } };
    },
  },
  {
    fn: 'softmaxForward',
    args: [['A', 'out', D], ['Z', 'in', D], 'n', 'm'],
    alias: ['A', 'Z'],
    reference: ({ Z }, d) => ({ A: softmaxColumns(Z, d.n, d.m) }),
  },
  {
    fn: 'categoricalCrossEntropy',
    args: [['AL', 'in', D, 'probability'], ['Y', 'in', D, 'label'], 'n', 'm'],
    reference: ({ AL, Y }, d) => {
      let s = 0;
      for (let i = 0; i < AL.length; i++) if (Y[i] !== 0) s += Y[i] * Math.log(AL[i]);
      return { result: -s / d.m };
    },
  },
  {
    fn: 'categoricalCrossEntropyFromLogits',
    args: [['Z', 'in', D], ['Y', 'in', D, 'label'], 'n', 'm'],
    reference: ({ Z, Y }, d) => ({ result: categoricalFromLogits(Z, Y, d.n, d.m) }),
  },
  {
    fn: 'momentumUpdate',
    args: [['param', 'inout', D], ['grad', 'in', D], ['velocity', 'inout', D], 'learningRate', 'beta'],
    reference: (inputs, _d, scalars) => {
      const out = optimizerReference('momentum', inputs, { ...scalars, beta1: scalars.beta });
      return { param: out.param, velocity: out.velocity, scales: { param: out.scale, velocity: out.velocityScale } };
    },
  },
  {
    fn: 'adamUpdate',
    args: [
      ['param', 'inout', D],
      ['grad', 'in', D],
      ['v', 'inout', D],
      ['s', 'inout', D, 'square'],
      'learningRate',
      'beta1',
      'beta2',
      'epsilon',
      't',
    ],
    reference: (inputs, _d, scalars) => {
      const out = optimizerReference('adam', { ...inputs, velocity: inputs.v, squares: inputs.s }, scalars);
      return { param: out.param, v: out.velocity, s: out.squares, scales: { param: out.scale, v: out.velocityScale } };
    },
  },
];

/** The scalar argument kinds besides dimensions: a valid value, and broken ones. */
const SCALARS = ['activation', 'learningRate', 'beta', 'beta1', 'beta2', 'epsilon', 't'];

function close(actual, expected, dtype, scale = 1) {
  if (Number.isNaN(expected)) return Number.isNaN(actual);
  if (!Number.isFinite(expected)) return actual === expected;
  const tol = (dtype === 'f32' ? 2e-4 : 1e-10) * Math.max(1, Math.abs(expected), scale);
  // near or past float32's largest value, float32 arithmetic may overflow where the float64 reference does not
  if (
    dtype === 'f32' &&
    Math.abs(expected) * (1 + 2e-4) > 3.4028234663852886e38 &&
    actual === Math.sign(expected) * Infinity
  )
    return true;
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
    () => {
      const a = arena.floats(dtype, length, role, 'value', false, 'plain');
      detach(a);
      return ['detached', a];
    },
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
    ...[0, -1, -0, 0.5, 1.5, NaN, Infinity, -Infinity, 2 ** 31, 2 ** 32 + value, 2 ** 53, 1e300, -2147483648].map(
      (v) => () => [String(v), v],
    ),
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

/** A momentum / Adam β, valid in [0, 1): broken ones. */
function brokenFraction(random) {
  const v = random.pick([
    1,
    1 + 2 ** -52,
    1.5,
    -0.1,
    -1e-300,
    NaN,
    Infinity,
    -Infinity,
    '0.9',
    null,
    undefined,
    {},
    1n,
  ]);
  return [String(v), v];
}

/** Adam's ε, valid when positive and finite: broken ones. */
function brokenEpsilon(random) {
  const v = random.pick([0, -0, -1e-8, NaN, Infinity, -Infinity, '1e-8', null, undefined, {}]);
  return [Object.is(v, -0) ? '-0' : String(v), v];
}

/** Valid scalars for one kernel call. */
function validScalars(random) {
  const fraction = () => (random.chance(0.2) ? random.pick([0, -0, 0.9, 0.999, 0.5]) : random.next());
  return {
    learningRate: random.chance(0.8) ? random.uniform(1) : random.pick([0, -0, -5, 1e-30, 1e30]),
    beta: fraction(),
    beta1: fraction(),
    beta2: fraction(),
    epsilon: random.chance(0.6) ? 1e-8 : random.pick([1e-300, 1e-3, 0.5, 1, 7]),
    t: random.chance(0.8) ? random.int(1, 100) : random.pick([1, 2147483647, random.int(1, 2147483647)]),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Raced inputs: arrays on a SharedArrayBuffer that a worker thread rewrites while the binding reads them. Each word
// in use flips, for a moment, to a hostile value (0x7fffffff: far out of range as an index, NaN as a float32, huge as
// half a float64) and back to its valid value (kept in a shadow buffer). A raced call has no right result; it must
// return or throw a TypeError or RangeError, and never crash.

const RACE_WORDS = 1 << 14; // 64 KiB of raced inputs

const RACER_SOURCE = `
  const { workerData: { pool, shadow, control } } = require('node:worker_threads');
  // control: [0] 1 running, 2 stop; [1] the words in use (from word 0)
  Atomics.store(control, 0, 1);
  let state = 0x9e3779b9;
  while (Atomics.load(control, 0) === 1) {
    const used = Atomics.load(control, 1);
    if (used === 0) continue;
    for (let k = 0; k < 1024; k++) {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      const i = state % used;
      Atomics.store(pool, i, state & 1 ? 0x7fffffff : 0xffffffff);
      Atomics.store(pool, i, Atomics.load(shadow, i));
    }
  }
`;

class Racer {
  constructor() {
    const { Worker } = require('node:worker_threads');
    this.pool = new Uint32Array(new SharedArrayBuffer(RACE_WORDS * 4));
    this.shadow = new Uint32Array(new SharedArrayBuffer(RACE_WORDS * 4));
    this.control = new Int32Array(new SharedArrayBuffer(8));
    this.worker = new Worker(RACER_SOURCE, {
      eval: true,
      workerData: { pool: this.pool, shadow: this.shadow, control: this.control },
    });
    this.worker.unref();
    // the fuzzer is synchronous: wait here until the worker runs
    const deadline = Date.now() + 30_000;
    while (Atomics.load(this.control, 0) !== 1) {
      if (Date.now() > deadline) throw new Error('fuzz: the racing worker did not start');
      Atomics.wait(this.control, 0, 0, 5);
    }
    this.used = 0;
  }

  /** Starts a raced call's layout: the worker pauses (no words in use) until the inputs are placed. */
  reset() {
    Atomics.store(this.control, 1, 0);
    this.used = 0;
  }

  /** A typed array of `length` on the raced pool, filled by `fill(view)`; the worker flips it from now on. */
  array(Type, length, fill) {
    const words = Math.ceil((length * Type.BYTES_PER_ELEMENT) / 4);
    const first = this.used + (this.used & 1); // 8-byte aligned for Float64Array
    if (first + words > RACE_WORDS) throw new Error('fuzz: the raced pool is full');
    const view = new Type(this.pool.buffer, first * 4, length);
    fill(view);
    new Type(this.shadow.buffer, first * 4, length).set(view);
    this.used = first + words;
    Atomics.store(this.control, 1, this.used);
    return view;
  }

  stop() {
    Atomics.store(this.control, 0, 2);
    void this.worker.terminate();
  }
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
    this.racer = options.race ? new Racer() : null;
    this.stats = {
      calls: 0,
      valid: 0,
      invalid: 0,
      checked: 0,
      TypeError: 0,
      RangeError: 0,
      tooLarge: 0,
      networks: 0,
      networksChecked: 0,
      detached: 0,
      raced: 0,
    };
    this.raceOutcomes = { returned: 0, refused: 0 }; // outside stats: they depend on the other thread's timing
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
      if (valid) this.fail(what, `a valid call threw ${thrown?.constructor?.name}: ${thrown?.message}`);
      else if (!(thrown instanceof TypeError || thrown instanceof RangeError))
        this.fail(
          what,
          `threw ${thrown instanceof Error ? `${thrown.constructor.name}: ${thrown.message}` : String(thrown)}, expected TypeError or RangeError`,
        );
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
      [3, () => this.gatherCall()],
      [3, () => this.sizeCall()],
      [3, () => this.randomStateCall()],
      [4, () => this.networkConstruction()],
      [14, () => this.networkCall()],
      [this.racer ? 6 : 0, () => this.racedCall()],
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
      this.racer?.stop();
    }
    this.stats.calls = Math.min(calls, this.stats.calls + 1);
    return { stats: this.stats, failures: this.failures, knownBugs: this.knownBugs, race: this.raceOutcomes };
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
    const activationChoices = this.activations.filter((a) =>
      spec.softmaxAllowed ? true : a.code !== this.softmaxCode,
    );
    const act = r.pick(activationChoices);
    const scalars = { ...validScalars(r), act, dtype };
    const named = {};
    let args = spec.args.map((arg) => {
      if (typeof arg === 'string')
        return arg === 'activation' ? act.code : SCALARS.includes(arg) ? scalars[arg] : d[arg];
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
      let dimensionBroken = false,
        dtypeBroken = false,
        lengthBroken = false;
      // element-wise kernels (no n, m) compare lengths with each other: two arrays made longer by the same amount agree again
      const elementWise = !spec.args.some((a) => a === 'n' || a === 'm');
      const brokenIndices = new Set();
      for (let c = 0; c < count; c++) {
        const index = r.int(0, spec.args.length - 1);
        // a second break of the same argument could repair the first
        if (brokenIndices.has(index)) continue;
        const arg = spec.args[index];
        // two sizes changed together could agree again (n*m = n'*m'): break at most one
        if (typeof arg === 'string' && !SCALARS.includes(arg)) {
          if (dimensionBroken) continue;
          dimensionBroken = true;
        }
        let label, value;
        if (typeof arg !== 'string') {
          const [name, role, size] = arg;
          const len = size(d);
          if (r.next() < 0.12) {
            // an output overlapping another array argument
            const others = spec.args.map((a, i) => [a, i]).filter(([a, i]) => i !== index && Array.isArray(a));
            const [otherArg, otherIndex] = r.pick(others);
            const outIndex = role === 'in' ? otherIndex : index;
            const outArg = spec.args[outIndex];
            if (outArg[1] === 'in' || (spec.alias?.includes(arg[0]) && spec.alias.includes(otherArg[0]))) continue;
            if (brokenIndices.has(otherIndex)) continue;
            const inIndex = outIndex === index ? otherIndex : index;
            const outLen = outArg[2](d),
              inLen = spec.args[inIndex][2](d);
            const overlap = r.int(1, Math.min(outLen, inLen));
            const shared = arena.floats(dtype, outLen + inLen - overlap, 'in');
            args[outIndex] = shared.subarray(0, outLen);
            args[inIndex] = shared.subarray(outLen - overlap);
            brokenIndices.add(index).add(otherIndex);
            broken.push(`${outArg[0]} overlaps ${spec.args[inIndex][0]}`);
            continue;
          }
          if (role === 'optional' && r.chance(0.2)) continue;
          [label, value] = brokenArray(r, arena, dtype, len, role === 'optional' ? 'out' : role);
          if (role === 'optional' && value == null) continue; // null/undefined dA_prev is valid
          // every array switched to the other dtype would be a valid call again: switch at most one
          if (label === 'other dtype') {
            if (dtypeBroken) continue;
            dtypeBroken = true;
          }
          if (elementWise && (label === 'shorter' || label === 'longer')) {
            if (lengthBroken) continue;
            lengthBroken = true;
          }
          label = `${name} ${label}`;
        } else if (arg === 'activation') {
          [label, value] = brokenActivation(r, this.activationCount, !spec.softmaxAllowed, this.softmaxCode);
          label = `activation ${label}`;
        } else if (arg === 'learningRate') {
          [label, value] = brokenRate(r);
          label = `learningRate ${label}`;
        } else if (arg === 'beta' || arg === 'beta1' || arg === 'beta2') {
          [label, value] = brokenFraction(r);
          label = `${arg} ${label}`;
        } else if (arg === 'epsilon') {
          [label, value] = brokenEpsilon(r);
          label = `epsilon ${label}`;
        } else if (arg === 't') {
          [label, value] = brokenDimension(r, scalars.t);
          if (/other size|huge valid|2147483647/.test(label)) continue; // still a valid step count
          label = `t ${label}`;
        } else {
          [label, value] = brokenDimension(r, d[arg]);
          if (value === d[arg]) continue;
          label = `${arg} ${label}`;
        }
        args[index] = value;
        brokenIndices.add(index);
        broken.push(label);
      }
      if (r.chance(0.05)) {
        args = args.slice(0, r.int(0, args.length - 1));
        broken.push(`only ${args.length} arguments`);
      }
    }
    const shown = spec.args
      .filter((a) => typeof a === 'string' && SCALARS.includes(a) && a !== 'activation')
      .map((a) => `${a}=${scalars[a]}`);
    const what = `${spec.fn} ${dtype} n=${d.n} nPrev=${d.nPrev} m=${d.m}${extreme ? ' extreme' : ''}${aliased ? ' A=Z' : ''} act=${act.name}${shown.length ? ` ${shown.join(' ')}` : ''}${broken.length ? ` broken: ${broken.join(', ')}` : ''}`;
    const fn = this.native[spec.fn];
    // the reference reads the inputs as they were before the call (param is updated in place; A may be Z)
    const inputs = {};
    for (const [name, value] of Object.entries(named)) inputs[name] = value == null ? value : Float64Array.from(value);
    const outcome = this.attempt(what, broken.length === 0, arena, () => fn(...args));
    if (!outcome.ok) return;
    const problem = arena.validWrites();
    if (problem) return this.fail(what, problem);
    // ordinary values: compare with the reference
    if (extreme || (act.g === undefined && act.name !== 'softmax')) return;
    if (spec.fn === 'activationBackward' && act.name === 'softmax') return;
    const { scales = {}, ...expected } = spec.reference(inputs, d, scalars);
    this.stats.checked++;
    for (const [name, values] of Object.entries(expected)) {
      if (name === 'result') {
        if (!close(outcome.result, values, dtype, 10))
          return this.fail(what, `returned ${outcome.result}, expected ${values}`);
        continue;
      }
      const actual = named[name];
      if (actual == null) continue;
      if (aliased && name === 'Z' && spec.fn === 'linearActivationForward') continue; // Z holds g(Z) then
      for (let i = 0; i < values.length; i++)
        if (!close(actual[i], values[i], dtype, scales[name] ? scales[name][i] : 1))
          return this.fail(what, `${name}[${i}] = ${actual[i]}, expected ${values[i]}`);
    }
  }

  /** gatherColumns(out, X, n, indices) */
  gatherCall() {
    const r = this.random;
    const dtype = r.chance(0.5) ? 'f64' : 'f32';
    const n = r.int(1, 5),
      columns = r.int(1, 6),
      count = r.int(1, 7);
    const arena = new Arena(r);
    const out = arena.floats(dtype, n * count, 'out');
    const X = arena.floats(dtype, n * columns, 'in');
    const shared = r.chance(0.2);
    const indices = arena.track(
      new Uint32Array(shared ? new SharedArrayBuffer(4 * count) : new ArrayBuffer(4 * count)),
      'in',
    );
    for (let j = 0; j < count; j++) indices[j] = r.int(0, columns - 1);
    const args = [out, X, n, indices];
    let broken = null;
    if (r.chance(0.45)) {
      const index = r.int(0, 3);
      let label, value;
      if (index === 0 || index === 1) {
        if (r.chance(0.15)) {
          // out overlapping X
          const overlap = r.int(1, Math.min(out.length, X.length));
          const both = arena.floats(dtype, out.length + X.length - overlap, 'in');
          [args[0], args[1]] = [both.subarray(0, out.length), both.subarray(out.length - overlap)];
          broken = 'out overlaps X';
        } else {
          [label, value] = brokenArray(r, arena, dtype, args[index].length, index === 0 ? 'out' : 'in');
          // X a whole number of columns longer is still valid (more columns to pick from)
          if (
            index === 1 &&
            (value instanceof Float64Array || value instanceof Float32Array) &&
            value instanceof Float64Array === (dtype === 'f64') &&
            value.length > 0 &&
            value.length % n === 0
          )
            return;
          broken = `${index === 0 ? 'out' : 'X'} ${label}`;
        }
      } else if (index === 2) {
        // any other n: X no longer splits into columns of n, or out (n x count) has the wrong length
        [label, value] = brokenDimension(r, n);
        broken = `n ${label}`;
      } else {
        const kinds = [
          () => ['a Float64Array', new Float64Array(count)],
          () => ['an Int32Array', new Int32Array(count)],
          () => ['a plain Array', Array.from(indices)],
          () => ['null', null],
          () => ['empty', new Uint32Array(0)],
          () => {
            const bad = Uint32Array.from(indices);
            bad[r.int(0, count - 1)] = r.pick([columns, columns + 1, 4294967295]);
            return ['an index past the last column', bad];
          },
          () => {
            // out and indices over one buffer: writing out would overwrite indices not yet read
            const Type = dtype === 'f32' ? Float32Array : Float64Array;
            const bytes = new ArrayBuffer(Math.max(4 * count, out.byteLength) + 8);
            const overlapping = arena.track(new Uint32Array(bytes, 0, count));
            overlapping.set(indices);
            args[0] = arena.track(new Type(bytes, 0, out.length));
            return ['sharing memory with out', overlapping];
          },
        ];
        [label, value] = r.pick(kinds)();
        broken = `indices ${label}`;
      }
      if (broken !== 'out overlaps X') args[index] = value;
    }
    const what = `gatherColumns ${dtype} n=${n} columns=${columns} indices=[${Array.from(indices)}]${broken ? ` broken: ${broken}` : ''}`;
    const outcome = this.attempt(what, !broken, arena, () => this.native.gatherColumns(...args));
    if (!outcome.ok) return;
    const problem = arena.validWrites();
    if (problem) return this.fail(what, problem);
    this.stats.checked++;
    for (let j = 0; j < count; j++)
      for (let i = 0; i < n; i++)
        if (!Object.is(out[i + j * n], X[i + indices[j] * n]))
          return this.fail(
            what,
            `out[${i + j * n}] = ${out[i + j * n]}, expected X[${i + indices[j] * n}] = ${X[i + indices[j] * n]}`,
          );
  }

  sizeCall() {
    const r = this.random;
    const which = r.pick(['parameterCount', 'workspaceLength', 'maskLength']);
    const layers = r.int(1, 7);
    const big = r.chance(0.4);
    let dims = Array.from({ length: layers + 1 }, () =>
      big ? r.pick([1, 2, 3, 1000, 65536, 2147483647, r.int(1, 2147483647)]) : r.int(1, 50),
    );
    let capacity = big ? r.pick([1, 7, 1 << 30, 2147483647, r.int(1, 2147483647)]) : r.int(1, 100);
    if (r.chance(0.1)) {
      // right at the 2^53 limit: 2^22 · 2^31 parameters; (2 (2^20 + 2^21) + 2^21) · 2^30 workspace elements
      [dims, capacity] = r.pick([
        [[2147483647, 4194304], 1],
        [[2147483647, 4194305], 1],
        [[1, 1048576, 2097152], 1 << 30],
        [[1, 1048576, 2097152], (1 << 30) + 1],
      ]);
    }
    let broken = null;
    const arena = new Arena(r);
    let dimsArg = dims,
      capacityArg = capacity;
    if (r.chance(0.4)) {
      const choice = r.int(0, 3);
      if (choice === 0)
        [broken, dimsArg] = [
          'layerDims junk',
          r.pick([[], [3], '3,2', null, undefined, new Int32Array([3, 2]), { length: 2 }, [3, '2'], [3, 2, , 1]]),
        ];
      else if (choice === 1) {
        const [label, v] = brokenDimension(r, dims[0]);
        if (!/other size|huge valid|2147483647/.test(label)) {
          dimsArg = dims.slice();
          dimsArg[r.int(0, dims.length - 1)] = v;
          broken = `layerDims entry ${label}`;
        }
      } else if (which !== 'parameterCount') {
        const [label, v] = brokenDimension(r, capacity);
        if (!/other size|huge valid|2147483647/.test(label)) [broken, capacityArg] = [`capacity ${label}`, v];
      }
    }
    const call = {
      parameterCount: () => this.native.parameterCount(dimsArg),
      workspaceLength: () => this.native.workspaceLength(dimsArg, capacityArg),
      maskLength: () => this.native.maskLength(dimsArg, capacityArg),
    }[which];
    // The exact sizes, in BigInt: above 2^53 elements (no Float64Array can be that long, nor a double count it
    // exactly) the binding must refuse with a RangeError instead of returning a rounded or wrapped number.
    const B = dims.map(BigInt),
      C = which === 'parameterCount' ? 1n : BigInt(capacity);
    let params = 0n,
      units = 0n;
    for (let l = 1; l < B.length; l++) {
      params += B[l] * (B[l - 1] + 1n);
      units += B[l];
    }
    const output = B[B.length - 1];
    const exact = {
      parameterCount: params,
      workspaceLength: (2n * units + output) * C,
      maskLength: (units - output) * C,
    };
    const LIMIT = 2n ** 53n;
    const tooLarge = params > LIMIT || exact.workspaceLength > LIMIT;
    const what = `${which}([${dimsArg}]${which === 'parameterCount' ? '' : `, ${capacityArg}`})${broken ? ` broken: ${broken}` : tooLarge ? ' (beyond 2^53)' : ''}`;
    const outcome = this.attempt(what, !broken && !tooLarge, arena, call);
    this.stats.checked++;
    if (!outcome.ok) {
      if (!broken && tooLarge) {
        this.stats.tooLarge++;
        const e = outcome.thrown;
        if (!(e instanceof RangeError) || !/^\w+: (layerDims|capacity)/.test(e.message) || !/2\^53/.test(e.message))
          this.fail(
            what,
            `sizes beyond 2^53 (parameters ${params}, workspace ${exact.workspaceLength}) threw ${e}, expected a RangeError naming layerDims or capacity and 2^53`,
          );
      }
      return;
    }
    if (outcome.result !== Number(exact[which]))
      this.fail(what, `returned ${outcome.result}, expected ${exact[which]}`);
  }

  randomStateCall() {
    const r = this.random;
    const arena = new Arena(r);
    const seedValid = r.chance(0.8);
    const seed = seedValid
      ? r.pick([0, 1, 42, 4294967295, r.int(0, 4294967295)])
      : r.pick([-1, 0.5, NaN, Infinity, 4294967296, '1', null, undefined, {}]);
    const made = this.attempt(
      `new RandomState(${String(seed)})`,
      seedValid,
      arena,
      () => new this.native.RandomState(seed),
    );
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
      const shared = r.chance(0.2); // a Uint32Array over a SharedArrayBuffer works too
      const make = () => {
        const values = new Uint32Array(shared ? new SharedArrayBuffer(length * 4) : new ArrayBuffer(length * 4));
        for (let i = 0; i < length; i++) values[i] = i;
        return values;
      };
      const values = valid
        ? arena.track(make(), 'inout')
        : r.pick([new Float64Array(length), new Int32Array(length), Array.from({ length }, (_, i) => i), null]);
      if (!valid && ArrayBuffer.isView(values)) arena.track(values);
      const outcome = this.attempt(
        `RandomState.shuffle(${valid ? 'Uint32Array' : Object.prototype.toString.call(values)} of ${length})`,
        valid,
        arena,
        () => rng.shuffle(values),
      );
      if (!outcome.ok) return;
      this.stats.checked++;
      const sorted = Array.from(values).sort((a, b) => a - b);
      if (sorted.some((v, i) => v !== i)) this.fail('RandomState.shuffle', `not a permutation: ${Array.from(values)}`);
      return;
    }
    const valid = r.chance(0.75);
    const out = valid ? arena.floats('f64', length, 'out') : brokenArray(r, arena, 'f32', length, 'out')[1];
    if (!valid && out instanceof Float64Array) return; // a broken f64 array of another length is still valid here
    const outcome = this.attempt(
      `RandomState.${method}(${valid ? `Float64Array(${length})` : Object.prototype.toString.call(out)})`,
      valid,
      arena,
      () => rng[method](out),
    );
    if (!outcome.ok) return;
    const problem = arena.validWrites();
    if (problem) return this.fail(`RandomState.${method}`, problem);
    this.stats.checked++;
    for (const v of out)
      if (!Number.isFinite(v) || (method === 'uniform' && !(v >= 0 && v < 1)))
        return this.fail(`RandomState.${method}`, `drew ${v}`);
  }

  // --- raced inputs ----------------------------------------------------------------------------------------

  /** A call whose inputs sit on the raced pool (see Racer): a kernel, gatherColumns, shuffle or a network step. */
  racedCall() {
    const r = this.random;
    const racer = this.racer;
    racer.reset();
    this.stats.raced++;
    const arena = new Arena(r);
    const dtype = r.chance(0.5) ? 'f64' : 'f32';
    const Type = dtype === 'f32' ? Float32Array : Float64Array;
    const raced = (length, kind = 'value') => racer.array(Type, length, (view) => fillValues(r, view, kind, false));
    const target = r.pick(['kernel', 'kernel', 'gather', 'gather', 'shuffle', 'network', 'network']);
    let what, call, check;
    if (target === 'kernel') {
      const spec = r.pick(KERNELS);
      const d = { n: r.int(1, 6), nPrev: r.int(1, 6), m: r.int(1, 7) };
      const act = r.pick(this.activations);
      const scalars = { ...validScalars(r), act, dtype };
      const args = spec.args.map((arg) => {
        if (typeof arg === 'string')
          return arg === 'activation' ? act.code : SCALARS.includes(arg) ? scalars[arg] : d[arg];
        const [, role, size, kind] = arg;
        return role === 'in'
          ? raced(size(d), kind)
          : arena.floats(dtype, size(d), role === 'optional' ? 'out' : role, kind);
      });
      what = `raced ${spec.fn} ${dtype} n=${d.n} nPrev=${d.nPrev} m=${d.m} act=${act.name}`;
      call = () => this.native[spec.fn](...args);
    } else if (target === 'gather') {
      // X on plain memory, its columns all different; the indices raced: each gathered column must be one of X's
      const n = r.int(1, 5),
        columns = r.int(1, 6),
        count = r.int(1, 300);
      const X = arena.floats(dtype, n * columns, 'in');
      for (let i = 0; i < X.length; i++) X[i] = i;
      const out = arena.floats(dtype, n * count, 'out');
      const indices = racer.array(Uint32Array, count, (view) => {
        for (let j = 0; j < count; j++) view[j] = r.int(0, columns - 1);
      });
      what = `raced gatherColumns ${dtype} n=${n} columns=${columns} count=${count}`;
      call = () => this.native.gatherColumns(out, X, n, indices);
      check = () => {
        for (let j = 0; j < count; j++)
          for (let i = 0; i < n; i++)
            if (out[i + j * n] % n !== i || out[i + j * n] !== out[j * n] + i || out[j * n] >= X.length)
              return `column ${j} = ${Array.from(out.subarray(j * n, (j + 1) * n))} is not a column of X`;
      };
    } else if (target === 'shuffle') {
      const length = r.int(1, 200);
      const values = racer.array(Uint32Array, length, (view) => view.forEach((_, i) => (view[i] = i)));
      const rng = new this.native.RandomState(r.int(0, 1000));
      what = `raced RandomState.shuffle of ${length}`;
      call = () => rng.shuffle(values);
    } else {
      // a network whose batch, and now and then whose parameters, are raced
      const spec = this.networkSpec(dtype);
      const m = r.int(1, spec.capacity);
      const buffers = this.networkBuffers(arena, spec);
      if (r.chance(0.3)) {
        const params = raced(buffers.params.length);
        for (let i = 0; i < params.length; i++) params[i] = buffers.params[i];
        buffers.params = params;
      }
      const X = raced(spec.layerDims[0] * m);
      const Y = raced(spec.layerDims.at(-1) * m, 'label');
      const net = new this.native.Network({
        ...spec.options,
        ...buffers,
        layerDims: spec.layerDims,
        activations: spec.activations,
        capacity: spec.capacity,
      });
      const method = r.pick(['forward', 'cost', 'backward', 'trainStep', 'trainSteps']);
      const costs = new Float64Array(3);
      what = `raced Network.${method} ${dtype} dims=${spec.layerDims} m=${m}`;
      call = () => {
        if (method === 'trainStep') return net.trainStep(X, Y, m, 0.1);
        if (method === 'trainSteps') return net.trainSteps(X, Y, m, 0.1, 3, costs);
        net.forward(X, m, method !== 'cost');
        if (method === 'cost') net.cost(Y, m);
        if (method === 'backward') net.backward(X, Y, m);
      };
    }
    if (this.trace) this.trace(`${this.stats.calls} ${what}`);
    try {
      call();
      this.raceOutcomes.returned++;
      const problem = check?.();
      if (problem) this.fail(what, problem);
    } catch (error) {
      this.raceOutcomes.refused++;
      if (!(error instanceof TypeError || error instanceof RangeError))
        this.fail(what, `threw ${error?.constructor?.name}: ${error?.message}, expected TypeError or RangeError`);
    } finally {
      racer.reset();
    }
  }

  // --- networks --------------------------------------------------------------------------------------------

  networkSpec(dtype) {
    const r = this.random;
    const L = r.int(1, 3);
    const softmax = r.chance(0.3);
    const layerDims = Array.from({ length: L + 1 }, (_, l) =>
      l === L ? (softmax ? r.int(2, 4) : r.int(1, 3)) : r.int(1, 5),
    );
    // hidden layers: any activation the reference knows (not softmax)
    const hidden = this.activations.filter((a) => a.code !== this.softmaxCode && a.g);
    const output = softmax ? this.softmaxCode : this.native.Activation.sigmoid;
    const activations = Array.from({ length: L }, (_, l) => (l === L - 1 ? output : r.pick(hidden).code));
    const capacity = r.int(1, 6);
    // the optional spec fields (l2, dropout, optimiser), each left out now and then to take its default
    const options = {};
    if (r.chance(0.3)) options.l2 = r.pick([0, 0.7, r.next()]);
    if (r.chance(0.6)) options.optimizer = r.int(0, 2);
    if (r.chance(0.3)) options.beta1 = r.pick([0, 0.5, r.next()]);
    if (r.chance(0.3)) options.beta2 = r.pick([0, 0.99, r.next()]);
    if (r.chance(0.3)) options.epsilon = r.pick([1e-8, 1e-3, 1]);
    if (L > 1 && r.chance(0.25))
      options.keepProb = [...Array.from({ length: L - 1 }, () => r.pick([1, 0.5, 0.3 + 0.7 * r.next()])), 1];
    if (options.keepProb && r.chance(0.5)) options.dropoutSeed = r.int(0, 4294967295);
    return { layerDims, activations, capacity, dtype, withNext: r.chance(0.5), softmax, options };
  }

  networkBuffers(arena, spec) {
    const r = this.random;
    const backing = () => (r.chance(0.85) ? 'plain' : 'shared'); // a Network accepts SharedArrayBuffers
    const P = this.native.parameterCount(spec.layerDims);
    const W = this.native.workspaceLength(spec.layerDims, spec.capacity);
    const params = arena.floats(spec.dtype, P, 'inout', 'value', false, backing());
    for (let i = 0; i < P; i++) params[i] = r.uniform(0.8);
    const optimizer = spec.options.optimizer ?? 0;
    const buffers = {
      params,
      nextParams: spec.withNext ? arena.floats(spec.dtype, P, 'out', 'value', false, backing()) : null,
      grads: arena.floats(spec.dtype, P, 'out', 'value', false, backing()),
      workspace: arena.floats(spec.dtype, W, 'out', 'value', false, backing()),
    };
    if (usesDropout(spec))
      buffers.masks = arena.floats(
        spec.dtype,
        this.native.maskLength(spec.layerDims, spec.capacity),
        'out',
        'value',
        false,
        backing(),
      );
    if (optimizer >= 1) buffers.velocity = arena.floats(spec.dtype, P, 'inout', 'zero', false, backing());
    if (optimizer === 2) buffers.squares = arena.floats(spec.dtype, P, 'inout', 'zero', false, backing());
    return buffers;
  }

  networkConstruction() {
    const r = this.random;
    const spec = this.networkSpec(r.chance(0.5) ? 'f64' : 'f32');
    const arena = new Arena(r);
    const buffers = this.networkBuffers(arena, spec);
    const options = {
      layerDims: spec.layerDims,
      activations: spec.activations,
      capacity: spec.capacity,
      ...spec.options,
      ...buffers,
    };
    const L = spec.activations.length;
    const dropout = usesDropout(spec);
    const optimizer = spec.options.optimizer ?? 0;
    let broken = null;
    if (r.chance(0.5)) {
      const key = r.pick([
        'layerDims',
        'activations',
        'capacity',
        'params',
        'nextParams',
        'grads',
        'workspace',
        'overlap',
        'options',
        'huge',
        'resizable',
        'l2',
        'keepProb',
        'masks',
        'dropoutSeed',
        'optimizer',
        'beta1',
        'beta2',
        'epsilon',
        'velocity',
        'squares',
      ]);
      const set = (name, label, value) => {
        if (value === DELETE) delete options[name];
        else options[name] = value;
        broken = `${name} ${label}`;
      };
      if (key === 'layerDims') {
        const v = r.pick([
          [],
          [spec.layerDims[0]],
          '2,1',
          null,
          [...spec.layerDims.slice(0, -1), spec.layerDims.at(-1) + 1],
          spec.layerDims.map((x, i) => (i === 0 ? x + 1 : x)),
          [0, 1],
          [1.5, 1],
          [NaN, 1],
        ]);
        if (Array.isArray(v) && v.length === 2 && spec.layerDims.length !== 2)
          options.activations = [this.native.Activation.sigmoid];
        set('layerDims', JSON.stringify(v), v);
      } else if (key === 'huge') {
        // sizes beyond 2^53 (or wrapping 2^64): refused before any buffer is looked at
        const [dims, acts] = r.pick([
          [[2147483647, 2147483647], [2]],
          [
            [1, 2147483647, 2147483647, 2],
            [1, 1, 2],
          ],
          [
            [4, 2147483647, 1],
            [1, 2],
          ],
          [[2147483647, 4194305], [2]],
        ]);
        options.activations = acts;
        options.keepProb = undefined;
        set('layerDims', `huge ${JSON.stringify(dims)}`, dims);
      } else if (key === 'activations') {
        const v = r.pick([
          null,
          [],
          [...spec.activations, 2],
          Array(L).fill(this.activationCount),
          Array(L).fill(-1),
          Array(L).fill(1),
          Array(L).fill('sigmoid'),
          Array(L).fill(0.5),
          [...spec.activations.slice(0, -1), this.softmaxCode === spec.activations.at(-1) ? 2 : this.softmaxCode].map(
            (c, i) => (i < L - 1 ? this.softmaxCode : c),
          ),
        ]);
        // a network whose hidden layers became softmax (refused), or whose output switched between sigmoid and softmax (maybe valid)
        if (
          Array.isArray(v) &&
          v.length === L &&
          v.every((c, i) => (i < L - 1 ? c === spec.activations[i] : c === 2 || c === this.softmaxCode))
        ) {
          if (v.at(-1) === 2 || spec.layerDims.at(-1) >= 2) return;
        }
        set('activations', JSON.stringify(v), v);
      } else if (key === 'capacity') {
        const [label, v] = brokenDimension(r, spec.capacity);
        if (/huge valid|2147483647/.test(label) && !(v > spec.capacity)) return;
        set('capacity', label, v);
      } else if (key === 'overlap') {
        const names = Object.keys(buffers).filter((n) => buffers[n]);
        const a = r.pick(names);
        const b = r.pick(names.filter((n) => n !== a));
        const la = options[a].length,
          lb = options[b].length;
        const overlap = r.int(1, Math.min(la, lb));
        const shared = arena.floats(spec.dtype, la + lb - overlap, 'in', 'value', false, 'plain');
        options[a] = shared.subarray(0, la);
        options[b] = shared.subarray(la - overlap);
        broken = `${a} overlaps ${b}`;
      } else if (key === 'options') {
        const v = r.pick([null, undefined, 42, [], 'spec']);
        return void this.attempt(`new Network(${String(v)})`, false, arena, () => new this.native.Network(v));
      } else if (key === 'resizable') {
        // a view of a resizable ArrayBuffer or a growable SharedArrayBuffer could shrink under the network: refused
        const name = r.pick(Object.keys(buffers).filter((n) => buffers[n]));
        const how = r.pick(['resizable', 'growable']);
        const view = arena.floats(spec.dtype, options[name].length, 'in', 'value', false, how);
        // an own `resizable` / `growable` property that lies must not fool the binding
        const lie = r.chance(0.5);
        if (lie) Object.defineProperty(view.buffer, how === 'resizable' ? 'resizable' : 'growable', { value: false });
        set(name, `${how}${lie ? ' (claiming not to be)' : ''}`, view);
      } else if (key === 'l2') {
        const v = r.pick([-1, -1e-300, NaN, Infinity, -Infinity, '0.1', {}, 1n]);
        set('l2', String(v), v);
      } else if (key === 'keepProb') {
        const base = spec.options.keepProb ?? Array(L).fill(1);
        const edited = base.slice();
        const i = r.int(0, L - 1);
        const v = r.pick([
          '0.5',
          0.5,
          [...base, 1],
          base.slice(1),
          ((edited[i] = r.pick([0, -0.5, 1.5, NaN, Infinity, '0.5', null])), edited),
          [...base.slice(0, -1), r.pick([0.5, 0.9])],
        ]);
        if (
          Array.isArray(v) &&
          v.length === L &&
          v.every((k, j) => (j < L - 1 ? typeof k === 'number' && k > 0 && k <= 1 : k === 1))
        )
          return;
        set('keepProb', JSON.stringify(v), v);
      } else if (key === 'masks') {
        if (!dropout) return; // masks are only read with dropout on
        if (r.chance(0.3)) set('masks', 'missing', DELETE);
        else set('masks', ...brokenArray(r, arena, spec.dtype, buffers.masks.length, 'out'));
      } else if (key === 'dropoutSeed') {
        if (!dropout) return;
        const v = r.pick([-1, 1.5, 2 ** 32, NaN, Infinity, '1', {}]);
        set('dropoutSeed', String(v), v);
      } else if (key === 'optimizer') {
        const v = r.pick([3, -1, 0.5, NaN, Infinity, 'adam', {}, 1n]);
        set('optimizer', String(v), v);
      } else if (key === 'beta1' || key === 'beta2') {
        const [label, v] = brokenFraction(r);
        if (v === undefined || v === null) return; // null / undefined mean the default
        set(key, label, v);
      } else if (key === 'epsilon') {
        const v = r.pick([0, -0, -1e-8, 1.5, NaN, Infinity, '1e-8', {}]);
        set('epsilon', Object.is(v, -0) ? '-0' : String(v), v);
      } else if (key === 'velocity' || key === 'squares') {
        if (optimizer < (key === 'velocity' ? 1 : 2)) return; // not read by this optimiser
        if (r.chance(0.3)) set(key, 'missing', DELETE);
        else set(key, ...brokenArray(r, arena, spec.dtype, buffers[key].length, 'out'));
      } else {
        if (key === 'nextParams' && !spec.withNext) return;
        const [label, v] = brokenArray(r, arena, spec.dtype, options[key].length, 'out');
        if (key === 'nextParams' && v == null) return; // no nextParams is valid
        set(key, label, v);
      }
    }
    const what = `new Network(${JSON.stringify({ layerDims: spec.layerDims, activations: spec.activations, capacity: spec.capacity, dtype: spec.dtype, next: spec.withNext, ...spec.options })})${broken ? ` broken: ${broken}` : ''}`;
    const outcome = this.attempt(what, !broken, arena, () => new this.native.Network(options));
    if (!outcome.ok) return;
    this.stats.networks++;
    // the layout the network keeps is the one networkLayout reports, sized like the buffers it bound
    const layout = outcome.result.layout;
    if (JSON.stringify(layout) !== JSON.stringify(this.native.networkLayout(spec.layerDims, spec.capacity)))
      return this.fail(what, 'network.layout differs from networkLayout(layerDims, capacity)');
    if (layout.parameterCount !== buffers.params.length || layout.workspaceLength !== buffers.workspace.length)
      return this.fail(
        what,
        `layout sizes ${layout.parameterCount}, ${layout.workspaceLength} differ from the buffers'`,
      );
    if (this.networks.length >= 6) this.networks.shift();
    this.networks.push({ net: outcome.result, spec, buffers, arena, detached: false });
  }

  /** Labels for a network's output: one-hot columns for softmax, 0/1 (and now and then fractions) for sigmoid. */
  networkLabels(arena, spec, m) {
    const nL = spec.layerDims.at(-1);
    if (!spec.softmax) return arena.floats(spec.dtype, nL * m, 'in', 'label');
    const Y = arena.floats(spec.dtype, nL * m, 'in', 'zero');
    for (let j = 0; j < m; j++) Y[this.random.int(0, nL - 1) + j * nL] = 1;
    return Y;
  }

  networkCall() {
    const r = this.random;
    if (this.networks.length === 0) return this.networkConstruction();
    const entry = r.pick(this.networks);
    const { net, spec, buffers } = entry;
    const arena = new Arena(r);
    for (const [name, buffer] of Object.entries(buffers)) if (buffer) arena.track(buffer, name);

    if (!entry.detached && r.chance(0.02)) {
      const victims = Object.keys(buffers).filter((k) => buffers[k] && detachable(buffers[k]));
      if (victims.length) {
        const victim = r.pick(victims);
        detach(buffers[victim]);
        entry.detached = victim;
        this.stats.detached++;
      }
    }

    const n0 = spec.layerDims[0];
    const m = r.int(1, spec.capacity);
    const X = arena.floats(spec.dtype, n0 * m, 'in');
    const Y = this.networkLabels(arena, spec, m);
    const dropout = usesDropout(spec);
    const method = r.pick([
      'forward',
      'cost',
      'backward',
      'trainStep',
      'trainStep',
      'trainStep',
      'trainSteps',
      'syncParameters',
      'resetOptimizer',
      'reseedDropout',
      'step',
    ]);
    // trainSteps: `count` steps in one call, their costs into a Float64Array of at least count elements
    const count = r.int(1, 3);
    const costs = arena.floats('f64', count + r.int(0, 2), 'out', 'value', false, r.chance(0.8) ? 'plain' : 'shared');
    const training = dropout && r.chance(0.5);
    const seed = r.chance(0.8) ? r.int(0, 4294967295) : r.pick([-1, 1.5, 2 ** 32, NaN, '1', undefined]);
    const stepValue = r.chance(0.8)
      ? r.pick([0, 1, r.int(0, 1000), 2 ** 53 - 1])
      : r.pick([-1, 1.5, NaN, Infinity, 2 ** 53, '1', null]);
    const args = {
      forward: training ? [X, m, true] : [X, m],
      cost: r.chance(0.3) ? [Y, m, r.chance(0.5)] : [Y, m],
      backward: [X, Y, m],
      trainStep: [X, Y, m, r.chance(0.9) ? r.next() * 0.5 : r.pick([0, -0.1, 1e-30])],
      trainSteps: [X, Y, m, r.chance(0.9) ? r.next() * 0.5 : r.pick([0, -0.1, 1e-30]), count, costs],
      syncParameters: [],
      resetOptimizer: [],
      reseedDropout: seed === undefined ? [] : [seed],
      step: [stepValue],
    }[method];
    const names =
      {
        forward: ['X', 'm'],
        cost: ['Y', 'm'],
        backward: ['X', 'Y', 'm'],
        trainStep: ['X', 'Y', 'm', 'learningRate'],
        trainSteps: ['X', 'Y', 'm', 'learningRate', 'count', 'costs'],
      }[method] ?? [];
    const validScalar =
      method === 'reseedDropout'
        ? Number.isInteger(seed) && seed >= 0 && seed <= 4294967295
        : method === 'step'
          ? Number.isInteger(stepValue) && stepValue >= 0 && stepValue <= 2 ** 53 - 1
          : true;
    // reseedDropout and the step count touch no buffer: they work on a network with a detached buffer too
    let broken =
      entry.detached && method !== 'reseedDropout' && method !== 'step'
        ? `${entry.detached} detached`
        : validScalar
          ? null
          : `${method} argument ${String(args[0])}`;
    if (!broken && names.length && r.chance(0.35)) {
      const index = r.int(0, names.length - 1);
      const name = names[index];
      let label, value;
      if (name === 'X' || name === 'Y') {
        if (r.chance(0.15)) {
          // a batch inside one of the network's own buffers: refused (the network writes them)
          const own = r.pick(Object.keys(buffers).filter((k) => buffers[k] && buffers[k].length >= args[index].length));
          if (!own) return;
          [label, value] = [`a view of the network's ${own}`, buffers[own].subarray(0, args[index].length)];
        } else [label, value] = brokenArray(r, arena, spec.dtype, args[index].length, 'in');
      } else if (name === 'm') {
        [label, value] = r.chance(0.3) ? ['above capacity', spec.capacity + r.int(1, 3)] : brokenDimension(r, m);
        if (value === m) return;
      } else if (name === 'count') {
        value = r.pick([0, -1, 1.5, NaN, Infinity, 2 ** 31, '2', null, costs.length + r.int(1, 3)]);
        label = String(value);
      } else if (name === 'costs') {
        // (costs overlapping X or Y is not generated: a known defect, train-steps-costs-overlap)
        [label, value] = r.pick([
          () => ['a Float32Array', arena.track(new Float32Array(count), 'out')],
          () => ['a plain Array', new Array(count).fill(0)],
          () => ['null', null],
          () => ['shorter than count', arena.floats('f64', count - 1, 'out', 'value', false, 'plain')],
          () => {
            const c = arena.floats('f64', count, 'out', 'value', false, 'plain');
            detach(c);
            return ['detached', c];
          },
          () => {
            const own = buffers.grads;
            return own && own instanceof Float64Array && own.length >= count
              ? ["a view of the network's grads", own.subarray(0, count)]
              : ['null', null];
          },
        ])();
      } else [label, value] = brokenRate(r);
      args[index] = value;
      broken = `${name} ${label}`;
    }
    const before = net.current;
    const stepBefore = net.step;
    const current = buffers[before === 0 ? 'params' : 'nextParams'];
    const state = entry.detached
      ? null
      : {
          params: Float64Array.from(current),
          velocity: buffers.velocity ? Float64Array.from(buffers.velocity) : null,
          squares: buffers.squares ? Float64Array.from(buffers.squares) : null,
        };
    const inputsBefore = [Float64Array.from(X), Float64Array.from(Y)];
    const what = `Network.${method} ${spec.dtype} dims=[${spec.layerDims}] act=[${spec.activations}] cap=${spec.capacity} ${JSON.stringify(spec.options)} m=${m}${broken ? ` broken: ${broken}` : ''}`;
    const call = method === 'step' ? () => (net.step = stepValue) : () => net[method](...args);
    const outcome = this.attempt(what, !broken, arena, call);
    if (!outcome.ok) {
      if (net.current !== before) this.fail(what, `current changed from ${before} to ${net.current} by a failed call`);
      if (net.step !== stepBefore) this.fail(what, `step changed from ${stepBefore} to ${net.step} by a failed call`);
      if (
        entry.detached &&
        broken === `${entry.detached} detached` &&
        !(outcome.thrown instanceof TypeError && /detached/.test(outcome.thrown.message))
      ) {
        // the batch checks run before the attachment check: a batch that reuses the detached buffer's memory is
        // refused as sharing memory with it (a RangeError) instead of the detachment being reported
        if (
          outcome.thrown instanceof RangeError &&
          outcome.thrown.message.includes(`and ${entry.detached} share memory`)
        )
          this.knownBug('detached-check-order');
        else this.fail(what, `a detached network threw ${outcome.thrown}`);
      }
      return;
    }
    if (X.some((v, i) => !Object.is(v, inputsBefore[0][i])) || Y.some((v, i) => !Object.is(v, inputsBefore[1][i])))
      return this.fail(what, 'X or Y was written');
    const guards = entry.arena.guardsIntact();
    if (guards) return this.fail(what, guards);
    if (method === 'step') {
      if (net.step !== stepValue) this.fail(what, `step reads ${net.step} after being set to ${stepValue}`);
      return;
    }
    if (method === 'trainSteps') {
      const completed = outcome.result;
      if (!Number.isInteger(completed) || completed < 0 || completed > count)
        return this.fail(what, `returned ${completed} steps of ${count}`);
      for (let k = 0; k < completed; k++)
        if (!Number.isFinite(costs[k])) return this.fail(what, `costs[${k}] = ${costs[k]} for a completed step`);
      if (completed < count && Number.isFinite(costs[completed]))
        return this.fail(what, `stopped after ${completed} of ${count} steps at a finite cost ${costs[completed]}`);
      for (let k = completed + 1; k < costs.length; k++)
        if (!Object.is(costs[k], SENTINEL)) return this.fail(what, `costs[${k}] written past the steps run`);
      if (
        (spec.options.optimizer ?? 0) === 2 &&
        stepBefore < 2 ** 53 - 1 - count &&
        net.step !== stepBefore + completed
      )
        return this.fail(what, `Adam's step went from ${stepBefore} to ${net.step} in ${completed} steps`);
      if (!state || dropout) return;
      // the first cost is the cost of the parameters before the call
      const ref = referenceNetwork(spec, state.params, X, Y, m, this.activations);
      this.stats.networksChecked++;
      if (!close(costs[0], ref.cost, spec.dtype, 10))
        this.fail(what, `costs[0] = ${costs[0]}, reference cost ${ref.cost}`);
      return;
    }
    if (method === 'resetOptimizer') {
      for (const name of ['velocity', 'squares'])
        if (buffers[name]?.some((v) => v !== 0)) return this.fail(what, `${name} not zeroed`);
      if (net.step !== 0) this.fail(what, `step ${net.step} after resetOptimizer`);
      return;
    }
    if ((method !== 'trainStep' && method !== 'forward') || !state) return;
    if (method === 'forward' && training) return; // dropout's masks are random: no reference
    if (method === 'trainStep' && dropout) return;
    // compare with the JavaScript reference, from the parameters (and optimiser state) before the call
    const ref = referenceNetwork(spec, state.params, X, Y, m, this.activations);
    this.stats.networksChecked++;
    if (method === 'forward') {
      // the cost of that forward pass, with the L2 term
      const cost = net.cost(Y, m);
      if (!close(cost, ref.cost, spec.dtype, 10)) this.fail(what, `cost after forward ${cost}, reference ${ref.cost}`);
      return;
    }
    if (!close(outcome.result, ref.cost, spec.dtype, 10))
      return this.fail(what, `trainStep returned ${outcome.result}, reference cost ${ref.cost}`);
    if (!Number.isFinite(ref.cost)) {
      if (net.step !== stepBefore)
        this.fail(what, `a step with a non-finite cost counted (step ${stepBefore} -> ${net.step})`);
      return;
    }
    // the gradients, then the optimiser's update from them (the step's own gradients, left in grads)
    for (let i = 0; i < ref.grads.length; i++)
      if (!close(buffers.grads[i], ref.grads[i], spec.dtype, 10))
        return this.fail(what, `grads[${i}] = ${buffers.grads[i]}, reference ${ref.grads[i]}`);
    const kind = ['gd', 'momentum', 'adam'][spec.options.optimizer ?? 0];
    const t = stepBefore + 1;
    // (past 2^53 the count is no longer exact as a double: checked below that)
    if (kind === 'adam' && stepBefore < 2 ** 53 - 1 && net.step !== t)
      return this.fail(what, `Adam's step went from ${stepBefore} to ${net.step}`);
    const o = spec.options;
    const expected = optimizerReference(
      kind,
      { param: state.params, grad: buffers.grads, velocity: state.velocity, squares: state.squares },
      {
        learningRate: args[3],
        beta1: o.beta1 ?? 0.9,
        beta2: o.beta2 ?? 0.999,
        epsilon: o.epsilon ?? 1e-8,
        t,
        dtype: spec.dtype,
      },
    );
    const after = buffers[net.current === 0 ? 'params' : 'nextParams'];
    for (let i = 0; i < after.length; i++)
      if (!close(after[i], expected.param[i], spec.dtype, expected.scale[i]))
        return this.fail(what, `parameter ${i} = ${after[i]}, expected ${expected.param[i]}`);
    for (const [name, values, scale] of [
      ['velocity', expected.velocity, expected.velocityScale],
      ['squares', expected.squares, null],
    ]) {
      if (!values) continue;
      for (let i = 0; i < values.length; i++)
        if (!close(buffers[name][i], values[i], spec.dtype, scale ? scale[i] : 1))
          return this.fail(what, `${name}[${i}] = ${buffers[name][i]}, expected ${values[i]}`);
    }
  }
}

const DELETE = Symbol('delete');

function usesDropout(spec) {
  return (spec.options.keepProb ?? []).some((k) => k < 1);
}

/**
 * Forward, cost (from logits, with the L2 term) and gradients (dZ_L = AL - Y, plus (λ/m) W) of a network in float64,
 * from flat parameters; sigmoid or softmax output.
 */
function referenceNetwork(spec, params, X, Y, m, activations) {
  const dims = spec.layerDims,
    L = dims.length - 1;
  const l2 = spec.options.l2 ?? 0;
  const layers = [];
  let offset = 0;
  for (let l = 1; l <= L; l++) {
    const n = dims[l],
      nPrev = dims[l - 1];
    layers.push({
      n,
      nPrev,
      W: params.subarray(offset, offset + n * nPrev),
      b: params.subarray(offset + n * nPrev, offset + n * nPrev + n),
      wOffset: offset,
      bOffset: offset + n * nPrev,
    });
    offset += n * nPrev + n;
  }
  const As = [Float64Array.from(X)];
  let Zlast;
  layers.forEach((layer, i) => {
    const Z = gemmReference(layer.W, As[i], layer.b, layer.n, layer.nPrev, m);
    const act = activations.find((a) => a.code === spec.activations[i]);
    if (i === L - 1) Zlast = Z;
    As.push(i === L - 1 && spec.softmax ? softmaxColumns(Z, layer.n, m) : Z.map(act.g));
    layer.Z = Z;
    layer.act = act;
  });
  let cost = 0;
  if (spec.softmax) cost = categoricalFromLogits(Zlast, Y, dims[L], m);
  else {
    for (let k = 0; k < Zlast.length; k++) cost -= crossEntropyTerm(Y[k], -softplus(-Zlast[k]), -softplus(Zlast[k]));
    cost /= m;
  }
  if (l2 !== 0) {
    let squares = 0;
    for (const { W } of layers) for (const w of W) squares += w * w;
    cost += (1 / m) * (l2 / 2) * squares;
  }
  const grads = new Float64Array(params.length);
  let dZ = Float64Array.from(As[L], (a, k) => a - Y[k]);
  for (let i = L - 1; i >= 0; i--) {
    const { n, nPrev, W, wOffset, bOffset } = layers[i];
    const A_prev = As[i];
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < nPrev; c++) {
        let s = 0;
        for (let j = 0; j < m; j++) s += dZ[r + j * n] * A_prev[c + j * nPrev];
        grads[wOffset + r + c * n] = s / m + (l2 / m) * W[r + c * n];
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
function runFuzz(
  native,
  { calls = 2000, seed = 1, strict = false, trace = null, maxFailures = 20, race = false } = {},
) {
  return new Fuzzer(native, { seed, strict, trace, maxFailures, race }).run(calls);
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
  const race = !argv.includes('--no-race');
  const trace = argv.includes('--trace') ? (line) => require('node:fs').writeSync(2, `${line}\n`) : null;
  if (!Number.isInteger(calls) || calls < 1 || !Number.isInteger(seed) || seed < 0) {
    console.error('usage: node scripts/fuzz.js [--calls N] [--seed S] [--strict] [--trace] [--no-race]');
    process.exit(2);
  }
  const native = loadNative();
  const started = Date.now();
  const chunk = 100000;
  const total = { stats: null, failures: [], knownBugs: {}, race: { returned: 0, refused: 0 } };
  // Run in chunks with derived seeds so progress shows and a long run's memory stays flat.
  for (let done = 0, part = 0; done < calls && total.failures.length === 0; done += chunk, part++) {
    const n = Math.min(chunk, calls - done);
    const result = runFuzz(native, { calls: n, seed: (seed + part * 0x9e3779b9) >>> 0, strict, trace, race });
    if (!total.stats) total.stats = { ...result.stats };
    else for (const key of Object.keys(result.stats)) total.stats[key] += result.stats[key];
    total.failures.push(...result.failures.map((f) => `part ${part} (seed ${(seed + part * 0x9e3779b9) >>> 0}) ${f}`));
    total.race.returned += result.race.returned;
    total.race.refused += result.race.refused;
    for (const [bug, count] of Object.entries(result.knownBugs))
      total.knownBugs[bug] = (total.knownBugs[bug] ?? 0) + count;
    if (calls > chunk) console.log(`fuzz: ${done + n} calls, ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  console.log(`fuzz: seed ${seed}, ${JSON.stringify(total.stats)}`);
  if (race) console.log(`fuzz: raced calls returned ${total.race.returned}, refused ${total.race.refused}`);
  if (Object.keys(total.knownBugs).length) console.log(`fuzz: known bugs hit: ${JSON.stringify(total.knownBugs)}`);
  if (total.failures.length) {
    console.log(`fuzz: ${total.failures.length} failures:\n  ${total.failures.join('\n  ')}`);
    process.exit(1);
  }
  console.log('fuzz: no failures');
}

if (require.main === module) main(process.argv.slice(2));
