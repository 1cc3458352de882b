// Randomised shapes against the plain TypeScript reference (test/support/reference.ts), float64 and float32: the raw kernels
// (lib/native.ts), the tutorial's functions (lib/index.ts) and the native Network. Every draw comes from a seeded
// RandomState, so a failure reproduces.
//
// Tolerances are relative, but to each element's magnitude, not to its value: the magnitude is the same
// computation run on absolute values (|W|·|A_prev| + |b| for Z = W·A_prev + b), the size that rounding errors
// scale with, so a sum of many terms that cancels is held to its terms' size. float64: 1e-12; float32: 1e-4.

import fs from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  computeCost,
  linearActivationBackward,
  linearActivationForward,
  linearBackward,
  linearForward,
  Matrix,
  modelBackward,
  modelForward,
  type Parameters,
  RandomState,
  reluBackward,
  sigmoidBackward,
  updateParameters,
} from '../lib/index';
import native from '../lib/native';
import { assertClose } from './support/helpers';
import type { FloatArray, ReferenceActivation } from './support/reference';
import * as ref from './support/reference';

type DType = 'float32' | 'float64';
const DTYPES: readonly DType[] = ['float64', 'float32'];
const TOL: Record<DType, number> = { float64: 1e-12, float32: 1e-4 };
const CODE = native.Activation;
const ACTIVATIONS: readonly ReferenceActivation[] = ['linear', 'relu', 'sigmoid'];

// ---------------------------------------------------------------------------------------------------------------
// Helpers

function allocate(dtype: DType, length: number): FloatArray {
  return dtype === 'float32' ? new Float32Array(length) : new Float64Array(length);
}

function filled(dtype: DType, length: number, value = NaN): FloatArray {
  return allocate(dtype, length).fill(value);
}

function abs64(values: ArrayLike<number>): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = Math.abs(values[i]);
  return out;
}

function maxAbs(values: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < values.length; i++) max = Math.max(max, Math.abs(values[i]));
  return max;
}

/** Seeded draws in either dtype (float32 values are the float64 draws rounded once). */
class Draws {
  private readonly rng: RandomState;
  constructor(seed: number) {
    this.rng = new RandomState(seed);
  }
  normal(length: number, dtype: DType, scale = 1): FloatArray {
    const drawn = this.rng.standardNormal(new Float64Array(length));
    const out = allocate(dtype, length);
    for (let i = 0; i < length; i++) out[i] = scale * drawn[i];
    return out;
  }
  uniform(length: number, dtype: DType, low = 0, high = 1): FloatArray {
    const drawn = this.rng.rand(1, length).data;
    const out = allocate(dtype, length);
    for (let i = 0; i < length; i++) out[i] = low + (high - low) * drawn[i];
    return out;
  }
  labels(length: number, dtype: DType): FloatArray {
    const drawn = this.rng.rand(1, length).data;
    const out = allocate(dtype, length);
    for (let i = 0; i < length; i++) out[i] = drawn[i] < 0.5 ? 0 : 1;
    return out;
  }
  integer(low: number, high: number): number {
    return low + Math.floor(this.rng.rand(1, 1).data[0] * (high - low + 1));
  }
}

/** |actual - expected| <= tol · scale, element by element (scale: an array of magnitudes, or one number). */
function expectWithin(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  scale: ArrayLike<number> | number,
  tol: number,
  what: string,
): void {
  assert.is(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const magnitude = typeof scale === 'number' ? scale : scale[i];
    const difference = Math.abs(actual[i] - expected[i]);
    if (!(difference <= tol * magnitude))
      assert.unreachable(
        `${what}[${i}]: ${actual[i]}, reference ${expected[i]}: |difference| ${difference} > ${tol} x magnitude ${magnitude}`,
      );
  }
}

/** Bit-for-bit equal (NaN equals NaN). */
function expectIdentical(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  assert.is(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++)
    if (!Object.is(actual[i], expected[i]) && actual[i] !== expected[i])
      assert.unreachable(`${what}[${i}]: ${actual[i]}, expected exactly ${expected[i]}`);
}

function expectCloseNumber(actual: number, expected: number, scale: number, tol: number, what: string): void {
  expectWithin([actual], [expected], scale, tol, what);
}

/**
 * Several arrays carved out of one buffer with guard elements before, between and after them, all preset to a
 * sentinel, so a test can check that a call wrote nothing outside its outputs.
 */
class Arena {
  static readonly GUARD = 7;
  static readonly SENTINEL = 12345.5;
  readonly views: FloatArray[];
  private readonly buffer: FloatArray;
  private readonly ranges: [start: number, end: number][] = [];

  constructor(dtype: DType, lengths: readonly number[]) {
    let offset = Arena.GUARD;
    for (const length of lengths) {
      this.ranges.push([offset, offset + length]);
      offset += length + Arena.GUARD;
    }
    this.buffer = filled(dtype, offset, Arena.SENTINEL);
    this.views = this.ranges.map(([start, end]) => this.buffer.subarray(start, end) as FloatArray);
  }

  /** Every element outside the views still holds the sentinel. */
  expectGuardsIntact(what: string): void {
    let next = 0;
    const check = (from: number, to: number) => {
      for (let i = from; i < to; i++)
        if (this.buffer[i] !== Arena.SENTINEL)
          assert.unreachable(`${what}: element ${i} outside every argument was written (${this.buffer[i]})`);
    };
    for (const [start, end] of this.ranges) {
      check(next, start);
      next = end;
    }
    check(next, this.buffer.length);
  }
}

interface Shape {
  label: string;
  n: number;
  nPrev: number;
  m: number;
}

const shapeDraws = new Draws(20240601);
const SHAPES: Shape[] = [
  { label: '1x1, m = 1', n: 1, nPrev: 1, m: 1 },
  { label: '1x1, m = 7', n: 1, nPrev: 1, m: 7 },
  { label: 'm = 1', n: 9, nPrev: 6, m: 1 },
  { label: 'tall (400 x 3)', n: 400, nPrev: 3, m: 5 },
  { label: 'wide (3 x 500)', n: 3, nPrev: 500, m: 4 },
  { label: '1200 units', n: 1200, nPrev: 24, m: 10 },
  { label: '1500 inputs', n: 12, nPrev: 1500, m: 6 },
  { label: 'long batch (m = 3000)', n: 3, nPrev: 2, m: 3000 },
  ...Array.from({ length: 6 }, (_, i) => {
    const n = shapeDraws.integer(1, 48),
      nPrev = shapeDraws.integer(1, 48),
      m = shapeDraws.integer(1, 48);
    return { label: `random ${i} (${n} x ${nPrev}, m = ${m})`, n, nPrev, m };
  }),
];

/** One layer's operands: W scaled by 1/sqrt(nPrev) so Z stays of order 1 however wide the layer. */
function drawLayer(draws: Draws, { n, nPrev, m }: Shape, dtype: DType) {
  return {
    W: draws.normal(n * nPrev, dtype, 1 / Math.sqrt(nPrev)),
    A_prev: draws.normal(nPrev * m, dtype),
    b: draws.normal(n, dtype, 0.5),
    dZ: draws.normal(n * m, dtype),
  };
}

/** Error scale of A = g(Z) given Z's (zMagnitude): relu, linear pass it on; sigmoid' <= 1/4, plus A's own rounding (|A| <= 1). */
function activationMagnitude(zMagnitude: Float64Array, activation: ReferenceActivation): Float64Array {
  if (activation !== 'sigmoid') return zMagnitude;
  return zMagnitude.map((z) => 0.25 * z + 1);
}

// ---------------------------------------------------------------------------------------------------------------
// Raw kernels (lib/native.ts)

for (const dtype of DTYPES) {
  const tol = TOL[dtype];

  test(`${dtype} kernels: linearForward and linearActivationForward (A separate from Z and A = Z) on every shape`, () => {
    const draws = new Draws(1);
    for (const shape of SHAPES) {
      const { n, nPrev, m, label } = shape;
      const { W, A_prev, b } = drawLayer(draws, shape, dtype);
      const magnitude = new Float64Array(n * m);
      ref.linearForward(magnitude, abs64(W), abs64(A_prev), abs64(b), n, nPrev, m);

      const Z = filled(dtype, n * m);
      native.linearForward(Z, W, A_prev, b, n, nPrev, m);
      const Zref = allocate(dtype, n * m);
      ref.linearForward(Zref, W, A_prev, b, n, nPrev, m);
      expectWithin(Z, Zref, magnitude, tol, `${label}: linearForward Z`);

      for (const activation of ACTIVATIONS) {
        const A = filled(dtype, n * m),
          Zkept = filled(dtype, n * m);
        native.linearActivationForward(A, Zkept, W, A_prev, b, n, nPrev, m, CODE[activation]);
        const Aref = allocate(dtype, n * m),
          ZrefKept = allocate(dtype, n * m);
        ref.linearActivationForward(Aref, ZrefKept, W, A_prev, b, n, nPrev, m, activation);
        expectIdentical(Zkept, Z, `${label} ${activation}: the Z kept by linearActivationForward is linearForward's`);
        expectWithin(A, Aref, activationMagnitude(magnitude, activation), tol, `${label} ${activation}: A`);

        const inPlace = filled(dtype, n * m);
        native.linearActivationForward(inPlace, inPlace, W, A_prev, b, n, nPrev, m, CODE[activation]);
        expectIdentical(inPlace, A, `${label} ${activation}: A = Z (in place) gives the same A`);
      }
    }
  });

  test(`${dtype} kernels: activationForward and activationBackward, every activation, on every shape`, () => {
    const draws = new Draws(2);
    for (const { n, m, label } of SHAPES) {
      const length = n * m;
      const Z = draws.normal(length, dtype, 3);
      const dA = draws.normal(length, dtype);
      for (const activation of ACTIVATIONS) {
        const A = filled(dtype, length),
          Aref = allocate(dtype, length);
        native.activationForward(A, Z, CODE[activation]);
        ref.activationForward(Aref, Z, activation);
        if (activation === 'sigmoid') expectWithin(A, Aref, abs64(Aref), tol, `${label}: sigmoid forward`);
        else expectIdentical(A, Aref, `${label}: ${activation} forward`);

        const inPlace = Z.slice() as FloatArray;
        native.activationForward(inPlace, inPlace, CODE[activation]);
        expectIdentical(inPlace, A, `${label}: ${activation} forward in place`);

        const dZ = filled(dtype, length),
          dZref = allocate(dtype, length);
        native.activationBackward(dZ, dA, Z, CODE[activation]);
        ref.activationBackward(dZref, dA, Z, activation);
        if (activation === 'sigmoid') {
          // s (1 - s) cancels in 1 - s when s is near 1, so the error scales with |dA| s, not with |dZ|.
          const magnitude = new Float64Array(length);
          for (let i = 0; i < length; i++) magnitude[i] = Math.abs(dA[i]) * ref.sigmoid(Z[i]);
          expectWithin(dZ, dZref, magnitude, tol, `${label}: sigmoid backward`);
        } else {
          expectIdentical(dZ, dZref, `${label}: ${activation} backward`);
        }
      }
    }
  });

  test(`${dtype} kernels: the reference's reluForward / sigmoidForward / reluBackward / sigmoidBackward are its activation functions`, () => {
    const draws = new Draws(3);
    const Z = draws.normal(50, dtype, 4),
      dA = draws.normal(50, dtype);
    const pairs: [string, (out: FloatArray) => void, (out: FloatArray) => void][] = [
      ['reluForward', (o) => ref.reluForward(o, Z), (o) => native.activationForward(o, Z, CODE.relu)],
      ['sigmoidForward', (o) => ref.sigmoidForward(o, Z), (o) => native.activationForward(o, Z, CODE.sigmoid)],
      ['reluBackward', (o) => ref.reluBackward(o, dA, Z), (o) => native.activationBackward(o, dA, Z, CODE.relu)],
      [
        'sigmoidBackward',
        (o) => ref.sigmoidBackward(o, dA, Z),
        (o) => native.activationBackward(o, dA, Z, CODE.sigmoid),
      ],
    ];
    for (const [name, reference, fast] of pairs) {
      const expected = allocate(dtype, 50),
        actual = filled(dtype, 50);
      reference(expected);
      fast(actual);
      // |dA| + 1 bounds every value here and the error of each.
      const magnitude = abs64(dA).map((v) => v + 1);
      expectWithin(actual, expected, magnitude, tol, name);
    }
  });

  test(`${dtype} kernels: linearBackward on every shape writes dA_prev, dW, db and nothing else; with dA_prev = null only dW and db`, () => {
    const draws = new Draws(4);
    for (const shape of SHAPES) {
      const { n, nPrev, m, label } = shape;
      const { W, A_prev, dZ } = drawLayer(draws, shape, dtype);

      const full = new Arena(dtype, [nPrev * m, n * nPrev, n, n * m, nPrev * m, n * nPrev]);
      const [dA_prev, dW, db, dZin, A_in, W_in] = full.views;
      dA_prev.fill(NaN);
      dW.fill(NaN);
      db.fill(NaN);
      dZin.set(dZ);
      A_in.set(A_prev);
      W_in.set(W);
      native.linearBackward(dA_prev, dW, db, dZin, A_in, W_in, n, nPrev, m);
      full.expectGuardsIntact(`${label}: linearBackward`);
      expectIdentical(dZin, dZ, `${label}: dZ is read only`);
      expectIdentical(A_in, A_prev, `${label}: A_prev is read only`);
      expectIdentical(W_in, W, `${label}: W is read only`);

      const dA_ref = allocate(dtype, nPrev * m),
        dW_ref = allocate(dtype, n * nPrev),
        db_ref = allocate(dtype, n);
      ref.linearBackward(dA_ref, dW_ref, db_ref, dZ, A_prev, W, n, nPrev, m);
      const dA_mag = new Float64Array(nPrev * m),
        dW_mag = new Float64Array(n * nPrev),
        db_mag = new Float64Array(n);
      ref.linearBackward(dA_mag, dW_mag, db_mag, abs64(dZ), abs64(A_prev), abs64(W), n, nPrev, m);
      expectWithin(dA_prev, dA_ref, dA_mag, tol, `${label}: dA_prev`);
      expectWithin(dW, dW_ref, dW_mag, tol, `${label}: dW`);
      expectWithin(db, db_ref, db_mag, tol, `${label}: db`);

      // Without dA_prev: a slot where dA_prev would be stays untouched along with every guard and input.
      const partial = new Arena(dtype, [nPrev * m, n * nPrev, n, n * m, nPrev * m, n * nPrev]);
      const [unusedSlot, dW2, db2, dZ2, A2, W2] = partial.views;
      dW2.fill(NaN);
      db2.fill(NaN);
      dZ2.set(dZ);
      A2.set(A_prev);
      W2.set(W);
      native.linearBackward(null, dW2, db2, dZ2, A2, W2, n, nPrev, m);
      partial.expectGuardsIntact(`${label}: linearBackward(null, ...)`);
      assert.ok(
        unusedSlot.every((v) => v === Arena.SENTINEL),
        `${label}: the dA_prev slot is not written when dA_prev is null`,
      );
      expectIdentical(dZ2, dZ, `${label}: dZ is read only (null dA_prev)`);
      expectIdentical(A2, A_prev, `${label}: A_prev is read only (null dA_prev)`);
      expectIdentical(W2, W, `${label}: W is read only (null dA_prev)`);
      expectIdentical(dW2, dW, `${label}: dW is the same with or without dA_prev`);
      expectIdentical(db2, db, `${label}: db is the same with or without dA_prev`);

      const dW_ref2 = allocate(dtype, n * nPrev).fill(-1),
        db_ref2 = allocate(dtype, n).fill(-1);
      ref.linearBackward(null, dW_ref2, db_ref2, dZ, A_prev, W, n, nPrev, m);
      expectIdentical(dW_ref2, dW_ref, `${label}: the reference's dW without dA_prev`);
      expectIdentical(db_ref2, db_ref, `${label}: the reference's db without dA_prev`);
    }
  });

  test(`${dtype} kernels: binaryCrossEntropy and binaryCrossEntropyFromLogits on every shape, hard and soft labels`, () => {
    const draws = new Draws(5);
    for (const { n, m, label } of SHAPES) {
      const AL = draws.uniform(n * m, dtype, 0.01, 0.99);
      for (const [kind, Y] of [
        ['0/1 labels', draws.labels(n * m, dtype)],
        ['soft labels', draws.uniform(n * m, dtype)],
      ] as const) {
        // Every term is >= 0, so the cost itself is the sum of its terms' magnitudes.
        const expected = ref.binaryCrossEntropy(AL, Y, n, m);
        expectCloseNumber(
          native.binaryCrossEntropy(AL, Y, n, m),
          expected,
          expected,
          tol,
          `${label} ${kind}: binaryCrossEntropy`,
        );
        const Z = draws.normal(n * m, dtype, 3);
        const expectedFromLogits = ref.binaryCrossEntropyFromLogits(Z, Y, n, m);
        expectCloseNumber(
          native.binaryCrossEntropyFromLogits(Z, Y, n, m),
          expectedFromLogits,
          expectedFromLogits,
          tol,
          `${label} ${kind}: from logits`,
        );
      }
    }
  });

  test(`${dtype} kernels: cross-entropy edge values (zero-weight terms, saturated AL, extreme logits)`, () => {
    // AL exactly 0 or 1 with an agreeing label: those terms count 0, as in cost.cpp.
    const AL = Float64Array.of(0, 1, 0.25, 1, 0, 0.5),
      Y = Float64Array.of(0, 1, 0, 1, 0, 1);
    const [ALd, Yd] = [allocate(dtype, 6), allocate(dtype, 6)];
    ALd.set(AL);
    Yd.set(Y);
    const expected = -(Math.log(0.75) + Math.log(0.5)) / 3;
    assertClose(ref.binaryCrossEntropy(ALd, Yd, 2, 3), expected, 1e-15, 'reference, zero-weight rule');
    assertClose(native.binaryCrossEntropy(ALd, Yd, 2, 3), expected, tol, 'native, zero-weight rule');
    // A confident wrong answer costs +Infinity in both.
    const wrongAL = allocate(dtype, 2),
      wrongY = allocate(dtype, 2);
    wrongAL.set([0, 0.5]);
    wrongY.set([1, 0]);
    assert.is(ref.binaryCrossEntropy(wrongAL, wrongY, 1, 2), Infinity);
    assert.is(native.binaryCrossEntropy(wrongAL, wrongY, 1, 2), Infinity);
    // From logits: finite for every finite Z, including ones whose sigmoid is exactly 0 or 1.
    const Z = allocate(dtype, 8),
      labels = allocate(dtype, 8);
    Z.set([-800, 800, -60, 60, 0, -1e-30, 30, -30]);
    labels.set([1, 0, 1, 0, 1, 0, 1, 0]);
    const fromLogits = ref.binaryCrossEntropyFromLogits(Z, labels, 2, 4);
    assert.ok(Number.isFinite(fromLogits), 'the reference is finite');
    expectCloseNumber(
      native.binaryCrossEntropyFromLogits(Z, labels, 2, 4),
      fromLogits,
      fromLogits,
      tol,
      'native from extreme logits',
    );
    assertClose(
      fromLogits,
      (800 + 800 + 60 + 60 + 2 * Math.LN2 + 2 * Math.log1p(Math.exp(-30))) / 4,
      1e-15,
      'reference from extreme logits',
    );
  });

  test(`${dtype} kernels: binaryCrossEntropyBackward, sigmoidCrossEntropyBackward and sgdUpdate on every shape`, () => {
    const draws = new Draws(6);
    for (const { n, m, label } of SHAPES) {
      const length = n * m;
      const AL = draws.uniform(length, dtype, 0.01, 0.99),
        Y = draws.uniform(length, dtype);
      const dAL = filled(dtype, length),
        dALref = allocate(dtype, length);
      native.binaryCrossEntropyBackward(dAL, AL, Y);
      ref.binaryCrossEntropyBackward(dALref, AL, Y);
      const dALmag = new Float64Array(length);
      for (let i = 0; i < length; i++) dALmag[i] = Math.abs(Y[i] / AL[i]) + Math.abs((1 - Y[i]) / (1 - AL[i]));
      expectWithin(dAL, dALref, dALmag, tol, `${label}: binaryCrossEntropyBackward`);

      const dZ = filled(dtype, length),
        dZref = allocate(dtype, length);
      native.sigmoidCrossEntropyBackward(dZ, AL, Y);
      ref.sigmoidCrossEntropyBackward(dZref, AL, Y);
      expectWithin(
        dZ,
        dZref,
        abs64(AL).map((a, i) => a + Math.abs(Y[i])),
        tol,
        `${label}: sigmoidCrossEntropyBackward`,
      );

      const param = draws.normal(length, dtype),
        grad = draws.normal(length, dtype);
      const learningRate = 0.37;
      const updated = param.slice() as FloatArray,
        updatedRef = param.slice() as FloatArray;
      native.sgdUpdate(updated, grad, learningRate);
      ref.sgdUpdate(updatedRef, grad, learningRate);
      expectWithin(
        updated,
        updatedRef,
        abs64(param).map((p, i) => p + learningRate * Math.abs(grad[i])),
        tol,
        `${label}: sgdUpdate`,
      );
    }
  });
}

// ---------------------------------------------------------------------------------------------------------------
// The tutorial's functions (lib/index.ts)

for (const dtype of DTYPES) {
  const tol = TOL[dtype];

  test(`${dtype} tutorial: linearForward, linearActivationForward, reluBackward, sigmoidBackward, linearBackward, linearActivationBackward on every shape`, () => {
    const draws = new Draws(7);
    for (const shape of SHAPES) {
      const { n, nPrev, m, label } = shape;
      const layer = drawLayer(draws, shape, dtype);
      const A_prev = new Matrix(nPrev, m, layer.A_prev),
        W = new Matrix(n, nPrev, layer.W),
        b = new Matrix(n, 1, layer.b);
      const zMagnitude = new Float64Array(n * m);
      ref.linearForward(zMagnitude, abs64(layer.W), abs64(layer.A_prev), abs64(layer.b), n, nPrev, m);

      const [Z, linearCache] = linearForward(A_prev, W, b);
      assert.equal(Z.shape, [n, m], `${label}: Z shape`);
      assert.is(Z.dtype, dtype, `${label}: Z dtype`);
      assert.ok(
        linearCache[0] === A_prev && linearCache[1] === W && linearCache[2] === b,
        `${label}: the cache holds the inputs`,
      );
      const Zref = allocate(dtype, n * m);
      ref.linearForward(Zref, layer.W, layer.A_prev, layer.b, n, nPrev, m);
      expectWithin(Z.data, Zref, zMagnitude, tol, `${label}: linearForward`);

      for (const activation of ['relu', 'sigmoid'] as const) {
        const [A, [, Zcache]] = linearActivationForward(A_prev, W, b, activation);
        const Aref = allocate(dtype, n * m);
        ref.linearActivationForward(
          Aref,
          allocate(dtype, n * m),
          layer.W,
          layer.A_prev,
          layer.b,
          n,
          nPrev,
          m,
          activation,
        );
        expectWithin(
          A.data,
          Aref,
          activationMagnitude(zMagnitude, activation),
          tol,
          `${label}: linearActivationForward ${activation}`,
        );
        expectIdentical(
          Zcache.data,
          Z.data,
          `${label}: linearActivationForward ${activation} caches linearForward's Z`,
        );
      }

      // Backward through each activation, from dA at the Z just computed.
      const dA = new Matrix(n, m, draws.normal(n * m, dtype));
      for (const activation of ['relu', 'sigmoid'] as const) {
        const dZ = (activation === 'relu' ? reluBackward : sigmoidBackward)(dA, Z);
        const dZref = allocate(dtype, n * m);
        ref.activationBackward(dZref, dA.data, Z.data, activation);
        const dZmag = new Float64Array(n * m);
        for (let i = 0; i < n * m; i++)
          dZmag[i] = Math.abs(dA.data[i]) * (activation === 'relu' ? (Z.data[i] > 0 ? 1 : 0) : ref.sigmoid(Z.data[i]));
        expectWithin(dZ.data, dZref, dZmag, tol, `${label}: ${activation}Backward`);

        const [dA_prev, dW, db] = linearActivationBackward(dA, [linearCache, Z], activation);
        const dA_ref = allocate(dtype, nPrev * m),
          dW_ref = allocate(dtype, n * nPrev),
          db_ref = allocate(dtype, n);
        ref.linearBackward(dA_ref, dW_ref, db_ref, dZref, layer.A_prev, layer.W, n, nPrev, m);
        const dA_mag = new Float64Array(nPrev * m),
          dW_mag = new Float64Array(n * nPrev),
          db_mag = new Float64Array(n);
        ref.linearBackward(dA_mag, dW_mag, db_mag, dZmag, abs64(layer.A_prev), abs64(layer.W), n, nPrev, m);
        assert.equal(
          [dA_prev.shape, dW.shape, db.shape],
          [
            [nPrev, m],
            [n, nPrev],
            [n, 1],
          ],
          `${label}: gradient shapes`,
        );
        expectWithin(dA_prev.data, dA_ref, dA_mag, tol, `${label}: linearActivationBackward ${activation} dA_prev`);
        expectWithin(dW.data, dW_ref, dW_mag, tol, `${label}: linearActivationBackward ${activation} dW`);
        expectWithin(db.data, db_ref, db_mag, tol, `${label}: linearActivationBackward ${activation} db`);
      }

      const [dA_prev, dW, db] = linearBackward(new Matrix(n, m, layer.dZ), linearCache);
      const dA_ref = allocate(dtype, nPrev * m),
        dW_ref = allocate(dtype, n * nPrev),
        db_ref = allocate(dtype, n);
      ref.linearBackward(dA_ref, dW_ref, db_ref, layer.dZ, layer.A_prev, layer.W, n, nPrev, m);
      const dA_mag = new Float64Array(nPrev * m),
        dW_mag = new Float64Array(n * nPrev),
        db_mag = new Float64Array(n);
      ref.linearBackward(dA_mag, dW_mag, db_mag, abs64(layer.dZ), abs64(layer.A_prev), abs64(layer.W), n, nPrev, m);
      expectWithin(dA_prev.data, dA_ref, dA_mag, tol, `${label}: linearBackward dA_prev`);
      expectWithin(dW.data, dW_ref, dW_mag, tol, `${label}: linearBackward dW`);
      expectWithin(db.data, db_ref, db_mag, tol, `${label}: linearBackward db`);
    }
  });

  test(`${dtype} tutorial: computeCost on every shape`, () => {
    const draws = new Draws(8);
    for (const { n, m, label } of SHAPES) {
      const AL = draws.uniform(n * m, dtype, 0.001, 0.999),
        Y = draws.labels(n * m, dtype);
      const expected = ref.binaryCrossEntropy(AL, Y, n, m);
      expectCloseNumber(
        computeCost(new Matrix(n, m, AL), new Matrix(n, m, Y)),
        expected,
        expected,
        tol,
        `${label}: computeCost`,
      );
    }
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Whole networks: the tutorial's modelForward / modelBackward / updateParameters and the native Network

interface NetworkCase {
  label: string;
  dims: number[];
  activations: ReferenceActivation[];
  m: number;
  capacity: number;
}

function relus(dims: readonly number[]): ReferenceActivation[] {
  return [...Array<ReferenceActivation>(dims.length - 2).fill('relu'), 'sigmoid'];
}

const NETWORKS: NetworkCase[] = [
  { label: '[1, 1] (one sigmoid unit), m = 1', dims: [1, 1], activations: ['sigmoid'], m: 1, capacity: 1 },
  { label: '[4, 3, 1], m = 1', dims: [4, 3, 1], activations: relus([4, 3, 1]), m: 1, capacity: 4 },
  { label: '[2, 7, 6, 5, 2], m = 9', dims: [2, 7, 6, 5, 2], activations: relus([2, 7, 6, 5, 2]), m: 9, capacity: 12 },
  {
    label: '[1100, 12, 1] (wide input), m = 6',
    dims: [1100, 12, 1],
    activations: relus([1100, 12, 1]),
    m: 6,
    capacity: 8,
  },
  {
    label: '[20, 1200, 3] (1200 hidden units), m = 10',
    dims: [20, 1200, 3],
    activations: relus([20, 1200, 3]),
    m: 10,
    capacity: 10,
  },
  { label: '[30, 1000, 4, 1], m = 5', dims: [30, 1000, 4, 1], activations: relus([30, 1000, 4, 1]), m: 5, capacity: 7 },
];
// Hidden activations other than relu exist in the Network only (the tutorial's model is relu throughout).
const MIXED_NETWORKS: NetworkCase[] = [
  {
    label: '[6, 5, 4, 2] relu, sigmoid hidden',
    dims: [6, 5, 4, 2],
    activations: ['relu', 'sigmoid', 'sigmoid'],
    m: 7,
    capacity: 9,
  },
  { label: '[3, 8, 1] linear hidden', dims: [3, 8, 1], activations: ['linear', 'sigmoid'], m: 5, capacity: 5 },
];

/** Flat parameters W_1, b_1, ... (lecun-scaled W, non-zero b) in the Network's layout. */
function drawParams(draws: Draws, dims: readonly number[], dtype: DType): FloatArray {
  const params = allocate(dtype, ref.parameterCount(dims));
  ref.parameterOffsets(dims).forEach(({ W, b }, i) => {
    const n = dims[i + 1],
      nPrev = dims[i];
    params.set(draws.normal(n * nPrev, dtype, 1 / Math.sqrt(nPrev)), W);
    params.set(draws.normal(n, dtype, 0.3), b);
  });
  return params;
}

/** The tutorial's { W1, b1, ... } as views of the flat parameters (no copy). */
function parameterRecord(dims: readonly number[], flat: FloatArray): Parameters {
  const record: Parameters = {};
  ref.parameterOffsets(dims).forEach(({ W, b }, i) => {
    const n = dims[i + 1],
      nPrev = dims[i];
    record[`W${i + 1}`] = new Matrix(n, nPrev, flat.subarray(W, W + n * nPrev) as FloatArray);
    record[`b${i + 1}`] = new Matrix(n, 1, flat.subarray(b, b + n) as FloatArray);
  });
  return record;
}

function layerSlice(
  flat: ArrayLike<number> & { subarray(start: number, end: number): unknown },
  dims: readonly number[],
  l: number,
  which: 'W' | 'b',
) {
  const o = ref.parameterOffsets(dims)[l - 1];
  const start = which === 'W' ? o.W : o.b;
  return flat.subarray(start, start + (which === 'W' ? dims[l] * dims[l - 1] : dims[l])) as FloatArray;
}

/**
 * Error scales of a forward pass: Zmag_l = |W_l| Amag_{l-1} + |b_l| bounds |Z_l| and Z_l's rounding error (in units
 * of the tolerance); Amag_l does the same for A_l (activationMagnitude).
 */
function forwardMagnitudes(
  dims: readonly number[],
  activations: readonly ReferenceActivation[],
  params: FloatArray,
  X: FloatArray,
  m: number,
) {
  const outputs: Float64Array[] = [],
    logits: Float64Array[] = [];
  let previous = abs64(X.subarray(0, dims[0] * m));
  for (let l = 1; l < dims.length; l++) {
    const Z = new Float64Array(dims[l] * m);
    ref.linearForward(
      Z,
      abs64(layerSlice(params, dims, l, 'W')),
      previous,
      abs64(layerSlice(params, dims, l, 'b')),
      dims[l],
      dims[l - 1],
      m,
    );
    logits.push(Z);
    previous = activationMagnitude(Z, activations[l - 1]);
    outputs.push(previous);
  }
  return { outputs, logits };
}

/** The reference's forward pass, keeping every Z and A (float64 rounding once per element, or float32). */
function referenceForward(
  dims: readonly number[],
  activations: readonly ReferenceActivation[],
  params: FloatArray,
  X: FloatArray,
  m: number,
) {
  const dtype: DType = params instanceof Float32Array ? 'float32' : 'float64';
  const outputs: FloatArray[] = [],
    logits: FloatArray[] = [];
  let previous = X;
  for (let l = 1; l < dims.length; l++) {
    const A = allocate(dtype, dims[l] * m),
      Z = allocate(dtype, dims[l] * m);
    ref.linearActivationForward(
      A,
      Z,
      layerSlice(params, dims, l, 'W'),
      previous,
      layerSlice(params, dims, l, 'b'),
      dims[l],
      dims[l - 1],
      m,
      activations[l - 1],
    );
    outputs.push(A);
    logits.push(Z);
    previous = A;
  }
  return { outputs, logits };
}

function drawBatch(draws: Draws, c: NetworkCase, dtype: DType) {
  return { X: draws.normal(c.dims[0] * c.m, dtype), Y: draws.labels(c.dims[c.dims.length - 1] * c.m, dtype) };
}

for (const dtype of DTYPES) {
  const tol = TOL[dtype];

  test(`${dtype} tutorial: modelForward, modelBackward and updateParameters on networks up to 1200 units`, () => {
    const draws = new Draws(9);
    for (const c of NETWORKS) {
      const { dims, m, label } = c;
      const L = dims.length - 1;
      const flat = drawParams(draws, dims, dtype);
      const parameters = parameterRecord(dims, flat);
      const { X, Y } = drawBatch(draws, c, dtype);

      const [AL, caches] = modelForward(new Matrix(dims[0], m, X), parameters);
      assert.is(caches.length, L, `${label}: one cache per layer`);
      const expected = referenceForward(dims, c.activations, flat, X, m);
      const magnitudes = forwardMagnitudes(dims, c.activations, flat, X, m);
      for (let l = 1; l <= L; l++) {
        const [[A_prev, W, b], Z] = caches[l - 1];
        assert.ok(W === parameters[`W${l}`] && b === parameters[`b${l}`], `${label}: cache ${l} holds W${l} and b${l}`);
        expectWithin(Z.data, expected.logits[l - 1], magnitudes.logits[l - 1], tol, `${label}: Z${l}`);
        if (l > 1)
          expectWithin(A_prev.data, expected.outputs[l - 2], magnitudes.outputs[l - 2], tol, `${label}: A${l - 1}`);
      }
      expectWithin(AL.data, expected.outputs[L - 1], magnitudes.outputs[L - 1], tol, `${label}: AL`);

      // Backward from the native caches, so the reference takes the same ReLU branches (the tutorial's route:
      // dAL = -(Y/AL - (1-Y)/(1-AL)), then sigmoid_backward).
      const grads = modelBackward(AL, new Matrix(dims[L], m, Y), caches);
      let dA = allocate(dtype, dims[L] * m);
      ref.binaryCrossEntropyBackward(dA, AL.data, Y);
      let dAmag = new Float64Array(dims[L] * m);
      for (let i = 0; i < dAmag.length; i++)
        dAmag[i] = Math.abs(Y[i] / AL.data[i]) + Math.abs((1 - Y[i]) / (1 - AL.data[i]));
      for (let l = L; l >= 1; l--) {
        const n = dims[l],
          nPrev = dims[l - 1];
        const [[A_prev, W], Z] = caches[l - 1];
        const activation = l === L ? 'sigmoid' : 'relu';
        const dZ = allocate(dtype, n * m),
          dZmag = new Float64Array(n * m);
        ref.activationBackward(dZ, dA, Z.data, activation);
        for (let i = 0; i < n * m; i++)
          dZmag[i] = dAmag[i] * (activation === 'relu' ? (Z.data[i] > 0 ? 1 : 0) : ref.sigmoid(Z.data[i]));
        const dA_prev = allocate(dtype, nPrev * m),
          dW = allocate(dtype, n * nPrev),
          db = allocate(dtype, n);
        ref.linearBackward(dA_prev, dW, db, dZ, A_prev.data, W.data, n, nPrev, m);
        const dA_mag = new Float64Array(nPrev * m),
          dW_mag = new Float64Array(n * nPrev),
          db_mag = new Float64Array(n);
        ref.linearBackward(dA_mag, dW_mag, db_mag, dZmag, abs64(A_prev.data), abs64(W.data), n, nPrev, m);
        expectWithin(grads[`dW${l}`].data, dW, dW_mag, tol, `${label}: dW${l}`);
        expectWithin(grads[`db${l}`].data, db, db_mag, tol, `${label}: db${l}`);
        expectWithin(grads[`dA${l - 1}`].data, dA_prev, dA_mag, tol, `${label}: dA${l - 1}`);
        dA = dA_prev;
        dAmag = dA_mag;
      }

      const learningRate = 0.05;
      const updated = updateParameters(parameters, grads, learningRate);
      for (let l = 1; l <= L; l++) {
        for (const key of ['W', 'b'] as const) {
          const param = parameters[`${key}${l}`].data,
            grad = grads[`d${key}${l}`].data;
          const expectedParam = param.slice() as FloatArray;
          ref.sgdUpdate(expectedParam, grad, learningRate);
          expectWithin(
            updated[`${key}${l}`].data,
            expectedParam,
            abs64(param).map((p, i) => p + learningRate * Math.abs(grad[i])),
            tol,
            `${label}: updated ${key}${l}`,
          );
        }
      }
    }
  });
}

interface NativeNetwork {
  net: InstanceType<typeof native.Network>;
  params: FloatArray;
  nextParams: FloatArray | null;
  grads: FloatArray;
  workspace: FloatArray;
  /** A_l (first m columns) at index l - 1 */
  outputs(m: number): FloatArray[];
  /** Z_L (first m columns) */
  logits(m: number): FloatArray;
}

/** A native Network over fresh buffers (grads and workspace preset to NaN so an unwritten element shows). */
function nativeNetwork(c: NetworkCase, params: FloatArray, withNextParams: boolean): NativeNetwork {
  const dtype: DType = params instanceof Float32Array ? 'float32' : 'float64';
  const { dims, capacity } = c;
  const grads = filled(dtype, params.length);
  const workspace = filled(dtype, native.workspaceLength(dims, capacity));
  const nextParams = withNextParams ? filled(dtype, params.length) : null;
  const net = new native.Network({
    layerDims: dims,
    activations: c.activations.map((a) => CODE[a]),
    capacity,
    params,
    nextParams,
    grads,
    workspace,
  });
  // the batch is the first m columns of each slot the network's layout names
  const { activations, logits } = net.layout;
  return {
    net,
    params,
    nextParams,
    grads,
    workspace,
    outputs: (m) =>
      activations.map((slot) => workspace.subarray(slot.offset, slot.offset + slot.rows * m) as FloatArray),
    logits: (m) => workspace.subarray(logits.offset, logits.offset + logits.rows * m) as FloatArray,
  };
}

/**
 * Error scales of the network's gradients given the forward pass's activations (taken as exact): dZmag_L = |AL| + |Y|,
 * dZmag_{l-1} = (|W_l|ᵀ dZmag_l) * |g'|-bound(A_{l-1}), dWmag_l = (1/m) dZmag_l |A_{l-1}|ᵀ, dbmag_l = (1/m) Σ dZmag_l.
 */
function gradientMagnitudes(
  c: NetworkCase,
  params: FloatArray,
  X: FloatArray,
  Y: FloatArray,
  outputs: FloatArray[],
  m: number,
): Float64Array {
  const { dims, activations } = c;
  const L = dims.length - 1;
  const magnitudes = new Float64Array(params.length);
  let dZmag = abs64(outputs[L - 1]).map((a, i) => a + Math.abs(Y[i]));
  for (let l = L; l >= 1; l--) {
    const n = dims[l],
      nPrev = dims[l - 1];
    const A_prev = l === 1 ? X.subarray(0, nPrev * m) : outputs[l - 2];
    const dAmag = l === 1 ? null : new Float64Array(nPrev * m);
    ref.linearBackward(
      dAmag,
      layerSlice(magnitudes, dims, l, 'W'),
      layerSlice(magnitudes, dims, l, 'b'),
      dZmag,
      abs64(A_prev),
      abs64(layerSlice(params, dims, l, 'W')),
      n,
      nPrev,
      m,
    );
    if (dAmag !== null) {
      const activation = activations[l - 2];
      // relu: [A > 0]; sigmoid: A (1 - A) <= A, which also covers the cancellation in 1 - A; linear: 1.
      dZmag = dAmag.map(
        (v, i) => v * (activation === 'relu' ? (A_prev[i] > 0 ? 1 : 0) : activation === 'sigmoid' ? A_prev[i] : 1),
      );
    }
  }
  return magnitudes;
}

for (const dtype of DTYPES) {
  const tol = TOL[dtype];

  test(`${dtype} Network: forward, cost and backward match the reference (batches smaller than capacity leave the rest untouched)`, () => {
    const draws = new Draws(10);
    for (const c of [...NETWORKS, ...MIXED_NETWORKS]) {
      const { dims, m, label } = c;
      const L = dims.length - 1;
      assert.is(native.parameterCount(dims), ref.parameterCount(dims), `${label}: parameterCount`);
      const params = drawParams(draws, dims, dtype);
      const paramsBefore = params.slice();
      const { X, Y } = drawBatch(draws, c, dtype);
      const network = nativeNetwork(c, params, false);
      const reference = new ref.ReferenceNetwork({
        layerDims: dims,
        activations: c.activations,
        capacity: c.capacity,
        params: params.slice() as FloatArray,
      });

      network.net.forward(X, m);
      reference.forward(X, m);
      const magnitudes = forwardMagnitudes(dims, c.activations, params, X, m);
      const outputs = network.outputs(m);
      for (let l = 1; l <= L; l++)
        expectWithin(
          outputs[l - 1],
          reference.outputs[l - 1].subarray(0, dims[l] * m),
          magnitudes.outputs[l - 1],
          tol,
          `${label}: A${l}`,
        );
      expectWithin(
        network.logits(m),
        reference.logits.subarray(0, dims[L] * m),
        magnitudes.logits[L - 1],
        tol,
        `${label}: Z${L}`,
      );
      expectWithin(
        reference.output(m),
        reference.outputs[L - 1].subarray(0, dims[L] * m),
        0,
        0,
        `${label}: the reference's output() view`,
      );
      if (m < c.capacity) {
        // Each workspace block's columns past m are not written (they were NaN).
        const all = network.outputs(c.capacity);
        all.forEach((A, i) =>
          assert.ok(A.subarray(dims[i + 1] * m).every(Number.isNaN), `${label}: A${i + 1} columns past m untouched`),
        );
      }

      const cost = network.net.cost(Y, m);
      const expectedCost = reference.cost(Y, m);
      // The cost's derivative in each logit is at most 1/m, so Z_L's error moves it by at most mean(Zmag_L).
      const logitScale = magnitudes.logits[L - 1].reduce((sum, v) => sum + v, 0) / m;
      expectCloseNumber(cost, expectedCost, expectedCost + logitScale, tol, `${label}: cost`);

      // Backward from the native forward pass's activations, so both take the same ReLU branches.
      network.net.backward(X, Y, m);
      outputs.forEach((A, i) => reference.outputs[i].set(A));
      reference.backward(X, Y, m);
      const gradScale = gradientMagnitudes(c, params, X, Y, outputs, m);
      expectWithin(network.grads, reference.grads, gradScale, tol, `${label}: grads`);
      expectIdentical(params, paramsBefore, `${label}: forward, cost and backward leave params alone`);
      assert.is(network.net.current, 0, `${label}: current`);
    }
  });

  test(`${dtype} Network: trainStep alternates params and nextParams, matches the reference step by step; syncParameters copies`, () => {
    const draws = new Draws(11);
    const cases: NetworkCase[] = [
      { label: '[5, 4, 3, 1]', dims: [5, 4, 3, 1], activations: relus([5, 4, 3, 1]), m: 8, capacity: 8 },
      { label: '[3, 6, 2] sigmoid hidden', dims: [3, 6, 2], activations: ['sigmoid', 'sigmoid'], m: 5, capacity: 6 },
    ];
    const learningRate = 0.1;
    for (const c of cases) {
      const { dims, m, label } = c;
      const initial = drawParams(draws, dims, dtype);
      const { X, Y } = drawBatch(draws, c, dtype);
      const network = nativeNetwork(c, initial.slice() as FloatArray, true);
      const buffers = [network.params, network.nextParams!];
      const reference = new ref.ReferenceNetwork({
        layerDims: dims,
        activations: c.activations,
        capacity: c.capacity,
        params: initial.slice() as FloatArray,
      });
      let previous = initial.slice() as FloatArray;
      const step = (s: string) => {
        const cost = network.net.trainStep(X, Y, m, learningRate);
        const expectedCost = reference.trainStep(X, Y, m, learningRate);
        expectCloseNumber(cost, expectedCost, expectedCost, tol, `${label} ${s}: cost`);
        const current = buffers[network.net.current],
          other = buffers[1 - network.net.current];
        expectIdentical(other, previous, `${label} ${s}: the other buffer still holds the parameters before the step`);
        expectWithin(current, reference.params, maxAbs(reference.params), tol, `${label} ${s}: parameters`);
        previous = current.slice() as FloatArray;
      };
      for (let s = 1; s <= 5; s++) {
        step(`step ${s}`);
        assert.is(network.net.current, s % 2, `${label}: current after step ${s}`);
      }
      network.net.syncParameters();
      assert.is(network.net.current, 0, `${label}: current after syncParameters`);
      expectIdentical(network.params, network.nextParams!, `${label}: syncParameters copies nextParams into params`);
      expectIdentical(network.params, previous, `${label}: params hold the latest parameters`);
      step('step after sync');
      assert.is(network.net.current, 1, `${label}: current after the step after sync`);
      network.net.syncParameters();
      network.net.syncParameters();
      assert.is(network.net.current, 0, `${label}: syncParameters twice`);
      expectIdentical(network.params, previous, `${label}: params after syncParameters twice`);

      // Without nextParams the update is in place and current stays 0.
      const inPlace = nativeNetwork(c, initial.slice() as FloatArray, false);
      const reference2 = new ref.ReferenceNetwork({
        layerDims: dims,
        activations: c.activations,
        capacity: c.capacity,
        params: initial.slice() as FloatArray,
      });
      for (let s = 1; s <= 3; s++) {
        const cost = inPlace.net.trainStep(X, Y, m, learningRate);
        const expectedCost = reference2.trainStep(X, Y, m, learningRate);
        expectCloseNumber(cost, expectedCost, expectedCost, tol, `${label} in place, step ${s}: cost`);
        assert.is(inPlace.net.current, 0, `${label} in place: current`);
        expectWithin(
          inPlace.params,
          reference2.params,
          maxAbs(reference2.params),
          tol,
          `${label} in place, step ${s}: parameters`,
        );
      }
    }
  });

  test(`${dtype} Network: a step with a non-finite cost updates nothing and returns to the last parameters with a finite cost`, () => {
    const draws = new Draws(12);
    const c: NetworkCase = { label: '[4, 3, 1]', dims: [4, 3, 1], activations: relus([4, 3, 1]), m: 6, capacity: 6 };
    const initial = drawParams(draws, c.dims, dtype);
    const { X, Y } = drawBatch(draws, c, dtype);
    const badY = Y.slice() as FloatArray;
    badY[2] = NaN;
    const learningRate = 0.2;
    const network = nativeNetwork(c, initial.slice() as FloatArray, true);
    const reference = new ref.ReferenceNetwork({
      layerDims: c.dims,
      capacity: c.capacity,
      params: initial.slice() as FloatArray,
    });
    network.net.trainStep(X, Y, c.m, learningRate);
    const P1 = network.nextParams!.slice();
    network.net.trainStep(X, Y, c.m, learningRate);
    const P2 = network.params.slice();
    assert.is(network.net.current, 0);
    const gradsBefore = network.grads.slice();

    assert.ok(Number.isNaN(network.net.trainStep(X, badY, c.m, learningRate)), 'the cost is NaN');
    assert.is(network.net.current, 1, 'back to the parameters of the previous step');
    expectIdentical(network.nextParams!, P1, 'nextParams still holds P1');
    expectIdentical(network.params, P2, 'params still holds P2');
    expectIdentical(network.grads, gradsBefore, 'grads are not written');
    assert.ok(Number.isNaN(network.net.trainStep(X, badY, c.m, learningRate)), 'the cost is NaN again');
    assert.is(network.net.current, 1, 'a second bad step stays on P1');
    expectIdentical(network.nextParams!, P1, 'nextParams still holds P1 after a second bad step');

    // Training resumes from P1: its cost and update equal the reference's from P1.
    const fromP1 = new ref.ReferenceNetwork({
      layerDims: c.dims,
      capacity: c.capacity,
      params: P1.slice() as FloatArray,
    });
    const cost = network.net.trainStep(X, Y, c.m, learningRate);
    const expectedCost = fromP1.trainStep(X, Y, c.m, learningRate);
    expectCloseNumber(cost, expectedCost, expectedCost, TOL[dtype], 'the cost of P1');
    assert.is(network.net.current, 0);
    expectWithin(network.params, fromP1.params, maxAbs(fromP1.params), TOL[dtype], 'the step from P1');

    // The reference does the same in place: a NaN cost leaves its parameters alone.
    const before = reference.params.slice();
    assert.ok(Number.isNaN(reference.trainStep(X, badY, c.m, learningRate)), 'the reference cost is NaN');
    expectIdentical(reference.params, before, 'the reference updates nothing on a NaN cost');

    // In place (no nextParams): a bad step leaves params bit for bit.
    const inPlace = nativeNetwork(c, initial.slice() as FloatArray, false);
    inPlace.net.trainStep(X, Y, c.m, learningRate);
    const kept = inPlace.params.slice();
    assert.ok(Number.isNaN(inPlace.net.trainStep(X, badY, c.m, learningRate)));
    expectIdentical(inPlace.params, kept, 'in place: params untouched by the bad step');
    assert.is(inPlace.net.current, 0);
  });
}

// ---------------------------------------------------------------------------------------------------------------
// The reference on its own: the tutorial's published numbers, and training runs as long as the benchmark's

test('reference: trains the tutorial fixture (train_small) to the numpy costs and parameters, 1e-12', () => {
  const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'seed-cases.json'), 'utf8')).cases
    .train_small;
  const {
    X,
    Y,
    layer_dims: dims,
    learning_rate: learningRate,
    iterations,
    initial_parameters: initialRecord,
  } = fixture.inputs;
  const toColumnMajor = (rows: number[][]) => Matrix.fromRows(rows).data as Float64Array;
  const params = new Float64Array(ref.parameterCount(dims));
  ref.parameterOffsets(dims).forEach(({ W, b }, i) => {
    params.set(toColumnMajor(initialRecord[`W${i + 1}`]), W);
    params.set(toColumnMajor(initialRecord[`b${i + 1}`]), b);
  });
  const m = X[0].length;
  const costs = ref.trainReference(dims, params, toColumnMajor(X), toColumnMajor(Y), m, learningRate, iterations);
  assert.is(costs.length, iterations);
  costs.forEach((cost, i) => assertClose(cost, fixture.expected.costs_before_each_update[i], 1e-12, `cost ${i}`));
  ref.parameterOffsets(dims).forEach(({ W, b }, i) => {
    expectWithin(params.subarray(W, b), toColumnMajor(fixture.expected.parameters[`W${i + 1}`]), 1, 1e-12, `W${i + 1}`);
    expectWithin(
      params.subarray(b, b + dims[i + 1]),
      toColumnMajor(fixture.expected.parameters[`b${i + 1}`]),
      1,
      1e-12,
      `b${i + 1}`,
    );
  });
});

for (const dtype of DTYPES) {
  test(`${dtype} reference: 30 iterations of trainReference match 30 native trainSteps`, () => {
    const draws = new Draws(13);
    const c: NetworkCase = {
      label: '[12, 20, 7, 1]',
      dims: [12, 20, 7, 1],
      activations: relus([12, 20, 7, 1]),
      m: 64,
      capacity: 64,
    };
    const initial = drawParams(draws, c.dims, dtype);
    const { X, Y } = drawBatch(draws, c, dtype);
    const params = initial.slice() as FloatArray;
    const costs = ref.trainReference(c.dims, params, X, Y, c.m, 0.05, 30);
    const network = nativeNetwork(c, initial.slice() as FloatArray, false);
    const nativeCosts = Array.from({ length: 30 }, () => network.net.trainStep(X, Y, c.m, 0.05));
    // Errors compound over the steps: a 10x margin on the one-step tolerance.
    const tol = 10 * TOL[dtype];
    nativeCosts.forEach((cost, i) => expectCloseNumber(cost, costs[i], costs[i], tol, `cost ${i}`));
    assert.ok(costs[29] < costs[0], `training lowers the cost (${costs[0]} -> ${costs[29]})`);
    expectWithin(network.params, params, maxAbs(params), tol, 'parameters after 30 steps');
  });
}

test.run();
