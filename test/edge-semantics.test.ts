// Behaviour the math defines at the edges, each pinned by a case a plausible slip in the kernels would break:
// NaN through relu, relu's derivative at exactly 0, leaky relu bit for bit (its vectorised multiply by 1 or the slope),
// softmax of huge logits, float32 bias sums in double.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Matrix, Model, NonFiniteCostError, RandomState, reluBackward } from '../lib/index';
import native from '../lib/native';
import { assertArrayClose } from './support/helpers';

test('an input holding a NaN stops fit at iteration 0 with the starting parameters (relu lets NaN through)', () => {
  const X = new RandomState(4).randn(3, 6);
  X.set(1, 2, Number.NaN);
  const Y = Matrix.fromRows([[1, 0, 1, 0, 1, 0]]);
  const model = new Model({ layerDims: [3, 4, 1], seed: 2 });
  const before = Array.from(model.flatParameters);
  let error: unknown;
  try {
    model.fit(X, Y, { iterations: 5, learningRate: 0.1 });
  } catch (e) {
    error = e;
  }
  assert.instance(error, NonFiniteCostError);
  assert.is((error as NonFiniteCostError).iteration, 0);
  assert.equal(Array.from(model.flatParameters), before, 'nothing was updated');
  // the kernel itself: relu(NaN) is NaN, relu(-0) and relu(-1) are 0
  const Z = Float64Array.of(Number.NaN, -0, -1, 2);
  const A = new Float64Array(4);
  native.activationForward(A, Z, native.Activation.relu);
  assert.ok(Number.isNaN(A[0]), 'relu(NaN) is NaN');
  assert.equal(Array.from(A.subarray(1)), [0, 0, 2]);
});

test("relu backward is the tutorial's dZ[Z <= 0] = 0: the gradient at exactly Z = 0 is 0", () => {
  const dA = Matrix.fromRows([[1.5, -2, 3, 4]]);
  const Z = Matrix.fromRows([[0, -0, 1e-300, -1e-300]]);
  assert.equal(Array.from(reluBackward(dA, Z).data), [0, 0, 3, 0]);
  for (const [Type, dtype] of [
    [Float32Array, 'float32'],
    [Float64Array, 'float64'],
  ] as const) {
    const dZ = new Type(3);
    native.activationBackward(dZ, Type.of(7, 7, 7), Type.of(0, 1, -1), native.Activation.relu);
    assert.equal(Array.from(dZ), [0, 7, 0], `${dtype} kernel`);
  }
});

test('leaky relu is z > 0 ? z : 0.01·z bit for bit, forward, backward and after a bias, NaN and -0 included', () => {
  // the kernels multiply every element by 1 or by the slope (a branch-free loop that vectorises): that must give the
  // definition's bits, including -0 (0.01 · -0 = -0), NaN (passed through) and values too small for the slope
  const values = [Number.NaN, -0, 0, 1e-300, -1e-300, 5e-324, -5e-324, -1, 1, -3.5e38, 3.5e38, -1e308, 2.5, -7.25];
  const slope = 0.01;
  for (const [Type, dtype, round] of [
    [Float32Array, 'float32', Math.fround],
    [Float64Array, 'float64', (x: number) => x],
  ] as const) {
    const Z = Type.from(values);
    const leaky = (z: number) => (z > 0 || Number.isNaN(z) ? z : round(round(slope) * z));
    const expected = Array.from(Z, leaky);
    const same = (actual: ArrayLike<number>, want: number[], what: string) =>
      want.forEach((w, i) =>
        assert.ok(Object.is(actual[i], w), `${dtype} ${what}[${i}] (z = ${Z[i]}): ${actual[i]}, expected ${w}`),
      );
    const A = new Type(Z.length);
    native.activationForward(A, Z, native.Activation.leakyRelu);
    same(A, expected, 'activationForward');
    // through the bias path: W = I (1 x 1), b = 0, one example per value
    const fused = new Type(Z.length);
    native.linearActivationForward(
      fused,
      new Type(Z.length),
      Type.of(1),
      Z,
      Type.of(0),
      1,
      1,
      Z.length,
      native.Activation.leakyRelu,
    );
    same(
      fused,
      Array.from(Z, (z) => leaky(z + 0)),
      'linearActivationForward',
    );
    const dA = Type.from(values.map((_, i) => (i % 2 ? -1.5 : 3)));
    const dZ = new Type(Z.length);
    native.activationBackward(dZ, dA, Z, native.Activation.leakyRelu);
    same(
      dZ,
      Array.from(dA, (g, i) => (Z[i] > 0 || Number.isNaN(Z[i]) ? g : round(round(slope) * g))),
      'activationBackward',
    );
  }
});

test('softmax of huge logits is finite and exact (the column maximum is subtracted first)', () => {
  // columns: (1000, 999, -1000), (-1000, -1000, -1000), (800, 0, 800)
  const Z = Float64Array.of(1000, 999, -1000, -1000, -1000, -1000, 800, 0, 800);
  const e = Math.exp(-1);
  const expected = [1 / (1 + e), e / (1 + e), 0, 1 / 3, 1 / 3, 1 / 3, 0.5, 0, 0.5];
  for (const Type of [Float64Array, Float32Array]) {
    const A = new Type(9);
    native.softmaxForward(A, Type.from(Z), 3, 3);
    assert.ok(A.every(Number.isFinite), `${Type.name}: finite`);
    assertArrayClose(A, expected, Type === Float64Array ? 1e-15 : 1e-6, Type.name, 1e-300);
  }
});

test('float32 bias gradients are summed in double: db keeps what a float32 sum would lose', () => {
  // One unit, m = 1002 examples: dZ = 1e8, then 1000 ones, then -1e8. In float32, 1e8 + 1 rounds back to 1e8
  // (its spacing there is 8), so a float32 running sum ends at 0; in double it is 1000.
  const m = 1002;
  const dZ = new Float32Array(m).fill(1);
  dZ[0] = 1e8;
  dZ[m - 1] = -1e8;
  const dW = new Float32Array(1),
    db = new Float32Array(1);
  native.linearBackward(null, dW, db, dZ, new Float32Array(m), new Float32Array(1), 1, 1, m);
  assert.is(db[0], Math.fround(1000 / m));
});

test.run();
