// Finite-difference gradient check, float64: centred differences of the cost J = computeCost(modelForward(X, θ), Y)
// against modelBackward's dW, db (and dA0, with respect to X), the native Network's backward grads and
// the reference's, on random small networks with 0/1 labels. The course's measure:
//   difference = ||g - g_approx|| / (||g|| + ||g_approx||) < 1e-7.
// Inputs are redrawn (deterministically, from the next seed) until no hidden unit's Z is within MARGIN of the ReLU
// kink, where J is not differentiable and a finite difference would straddle it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  computeCost,
  type Grads,
  Matrix,
  modelBackward,
  modelForward,
  type Parameters,
  RandomState,
} from '../lib/index';
import native from '../lib/native';
import * as ref from './support/reference';

const H = 1e-6;
const THRESHOLD = 1e-7;
const MARGIN = 1e-3;

const NETWORKS: { dims: number[]; m: number; seed: number }[] = [
  { dims: [3, 4, 1], m: 6, seed: 101 },
  { dims: [5, 4, 3, 1], m: 7, seed: 202 },
  { dims: [2, 6, 5, 4, 1], m: 8, seed: 303 },
  { dims: [4, 5, 2], m: 5, seed: 404 }, // two sigmoid outputs
  { dims: [6, 1], m: 4, seed: 505 }, // no hidden layer: logistic regression
];

interface Problem {
  dims: number[];
  m: number;
  /** W_1, b_1, ... flat (the Network's layout) */
  theta: Float64Array;
  X: Float64Array;
  Y: Float64Array;
  seed: number;
}

function normals(rng: RandomState, length: number, scale: number): Float64Array {
  return rng.standardNormal(new Float64Array(length)).map((v) => v * scale);
}

/** The tutorial's { W1, b1, ... } as views of the flat θ (so perturbing θ perturbs them). */
function parameterRecord(dims: readonly number[], theta: Float64Array): Parameters {
  const record: Parameters = {};
  ref.parameterOffsets(dims).forEach(({ W, b }, i) => {
    record[`W${i + 1}`] = new Matrix(dims[i + 1], dims[i], theta.subarray(W, W + dims[i + 1] * dims[i]));
    record[`b${i + 1}`] = new Matrix(dims[i + 1], 1, theta.subarray(b, b + dims[i + 1]));
  });
  return record;
}

/** dW1, db1, ... of a grads record, flattened into θ's layout. */
function flattenGrads(dims: readonly number[], grads: Grads): Float64Array {
  const flat = new Float64Array(ref.parameterCount(dims));
  ref.parameterOffsets(dims).forEach(({ W, b }, i) => {
    flat.set(grads[`dW${i + 1}`].data, W);
    flat.set(grads[`db${i + 1}`].data, b);
  });
  return flat;
}

function cost(problem: Problem, X: Float64Array = problem.X): number {
  const { dims, m } = problem;
  const [AL] = modelForward(new Matrix(dims[0], m, X), parameterRecord(dims, problem.theta));
  return computeCost(AL, new Matrix(dims[dims.length - 1], m, problem.Y));
}

/** The smallest |Z| over every hidden unit and example. */
function distanceToKink(problem: Problem): number {
  const { dims, m } = problem;
  const [, caches] = modelForward(new Matrix(dims[0], m, problem.X), parameterRecord(dims, problem.theta));
  let distance = Infinity;
  for (const [, Z] of caches.slice(0, -1)) for (const z of Z.data) distance = Math.min(distance, Math.abs(z));
  return distance;
}

/** A random problem (lecun-scaled W, non-zero b, N(0, 1) inputs, 0/1 labels), redrawn until it is MARGIN from every kink. */
function drawProblem(dims: number[], m: number, firstSeed: number): Problem {
  for (let seed = firstSeed; seed < firstSeed + 100; seed++) {
    const rng = new RandomState(seed);
    const theta = new Float64Array(ref.parameterCount(dims));
    ref.parameterOffsets(dims).forEach(({ W, b }, i) => {
      theta.set(normals(rng, dims[i + 1] * dims[i], 1 / Math.sqrt(dims[i])), W);
      theta.set(normals(rng, dims[i + 1], 0.5), b);
    });
    const X = normals(rng, dims[0] * m, 1);
    const Y = rng.rand(1, dims[dims.length - 1] * m).data.map((u) => (u < 0.5 ? 0 : 1));
    const problem = { dims, m, theta, X, Y, seed };
    if (distanceToKink(problem) >= MARGIN) return problem;
  }
  throw new Error(`no draw for [${dims.join(', ')}] is ${MARGIN} away from every ReLU kink`);
}

/** Centred differences of f over every element of `values` (perturbed in place and restored). */
function numericalGradient(values: Float64Array, f: () => number): Float64Array {
  const gradient = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const saved = values[i];
    values[i] = saved + H;
    const plus = f();
    values[i] = saved - H;
    const minus = f();
    values[i] = saved;
    gradient[i] = (plus - minus) / (2 * H);
  }
  return gradient;
}

function norm(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i] * values[i];
  return Math.sqrt(sum);
}

/** The course's relative difference ||g - g_approx|| / (||g|| + ||g_approx||). */
function relativeDifference(g: ArrayLike<number>, approx: ArrayLike<number>): number {
  assert.is(g.length, approx.length, 'gradient lengths');
  const difference = Array.from(g, (v, i) => v - approx[i]);
  return norm(difference) / (norm(g) + norm(approx));
}

function expectGradient(g: ArrayLike<number>, approx: ArrayLike<number>, what: string): void {
  assert.ok(norm(approx) > 1e-3, `${what}: the gradient is not trivially small (${norm(approx)})`);
  const difference = relativeDifference(g, approx);
  assert.ok(difference < THRESHOLD, `${what}: relative difference ${difference} >= ${THRESHOLD}`);
}

const label = (p: { dims: number[]; m: number }) => `[${p.dims.join(', ')}], m = ${p.m}`;
const problems = NETWORKS.map(({ dims, m, seed }) => drawProblem(dims, m, seed));

for (const problem of problems) {
  const { dims, m } = problem;
  const L = dims.length - 1;

  test(`gradient check ${label(problem)}: modelBackward's dW, db and dA0`, () => {
    const approx = numericalGradient(problem.theta, () => cost(problem));
    const [AL, caches] = modelForward(new Matrix(dims[0], m, problem.X), parameterRecord(dims, problem.theta));
    const grads = modelBackward(AL, new Matrix(dims[L], m, problem.Y), caches);
    expectGradient(flattenGrads(dims, grads), approx, 'dW, db');
    // Each layer on its own too, so a layer with small gradients cannot hide behind a large one.
    ref.parameterOffsets(dims).forEach(({ W, b }, i) => {
      expectGradient(grads[`dW${i + 1}`].data, approx.subarray(W, b), `dW${i + 1}`);
      const db = grads[`db${i + 1}`].data;
      if (norm(approx.subarray(b, b + db.length)) > 1e-3)
        assert.ok(relativeDifference(db, approx.subarray(b, b + db.length)) < THRESHOLD, `db${i + 1}`);
    });
    // The tutorial's dA_prev = Wᵀ dZ carries no 1/m (only dW and db do): dA0 is the gradient of the loss summed over
    // the examples, m times the cost's gradient with respect to X.
    const X = problem.X.slice();
    const approxX = numericalGradient(X, () => cost(problem, X)).map((v) => v * m);
    expectGradient(grads.dA0.data, approxX, 'dA0 (with respect to X, times m)');
  });

  test(`gradient check ${label(problem)}: the native Network's backward (float64) and the reference's`, () => {
    const approx = numericalGradient(problem.theta, () => cost(problem));
    const capacity = m + 2; // a batch smaller than the network's capacity
    const grads = new Float64Array(problem.theta.length);
    const net = new native.Network({
      layerDims: dims,
      activations: [...Array(L - 1).fill(native.Activation.relu), native.Activation.sigmoid],
      capacity,
      params: problem.theta.slice(),
      nextParams: null,
      grads,
      workspace: new Float64Array(native.workspaceLength(dims, capacity)),
    });
    net.forward(problem.X, m);
    const networkCost = net.cost(problem.Y, m);
    const J = cost(problem);
    assert.ok(Math.abs(networkCost - J) <= 1e-12 * J, `the Network's cost ${networkCost} equals computeCost's ${J}`);
    net.backward(problem.X, problem.Y, m);
    expectGradient(grads, approx, 'Network grads');

    const reference = new ref.ReferenceNetwork({ layerDims: dims, capacity, params: problem.theta.slice() });
    reference.forward(problem.X, m);
    assert.ok(Math.abs(reference.cost(problem.Y, m) - J) <= 1e-12 * J, 'the reference cost equals computeCost');
    reference.backward(problem.X, problem.Y, m);
    expectGradient(reference.grads, approx, 'reference grads');
  });

  test(`gradient check ${label(problem)}: the float32 Network's grads agree with the float64 finite differences to 1e-4`, () => {
    // θ and X rounded to float32 first, so both sides differentiate the same function.
    const theta32 = Float32Array.from(problem.theta),
      X32 = Float32Array.from(problem.X),
      Y32 = Float32Array.from(problem.Y);
    const rounded: Problem = { ...problem, theta: Float64Array.from(theta32), X: Float64Array.from(X32) };
    assert.ok(distanceToKink(rounded) >= MARGIN / 2, 'rounding to float32 keeps the draw away from the kinks');
    const approx = numericalGradient(rounded.theta, () => cost(rounded));
    const grads = new Float32Array(theta32.length);
    const net = new native.Network({
      layerDims: dims,
      activations: [...Array(L - 1).fill(native.Activation.relu), native.Activation.sigmoid],
      capacity: m,
      params: theta32,
      nextParams: null,
      grads,
      workspace: new Float32Array(native.workspaceLength(dims, m)),
    });
    net.forward(X32, m);
    net.backward(X32, Y32, m);
    const difference = relativeDifference(grads, approx);
    assert.ok(difference < 1e-4, `float32 relative difference ${difference}`);
  });
}

test('gradient check: the measure catches a wrong gradient (one element off, a wrong scale, a swapped layer)', () => {
  const problem = problems[1];
  const { dims, m } = problem;
  const approx = numericalGradient(problem.theta, () => cost(problem));
  const [AL, caches] = modelForward(new Matrix(dims[0], m, problem.X), parameterRecord(dims, problem.theta));
  const g = flattenGrads(dims, modelBackward(AL, new Matrix(dims[dims.length - 1], m, problem.Y), caches));
  assert.ok(relativeDifference(g, approx) < THRESHOLD, 'the true gradient passes');

  const oneOff = g.slice();
  oneOff[3] += 1e-4 * norm(g);
  assert.ok(relativeDifference(oneOff, approx) > THRESHOLD, 'one element off by 1e-4 ||g|| fails');
  assert.ok(
    relativeDifference(
      g.map((v) => v * (1 + 1e-5)),
      approx,
    ) > THRESHOLD,
    'a gradient scaled by 1 + 1e-5 fails',
  );
  // The tutorial's classic slip: forgetting 1/m in one layer's db.
  const [, { b: b2 }] = ref.parameterOffsets(dims);
  const noMean = g.slice();
  for (let i = 0; i < dims[2]; i++) noMean[b2 + i] *= m;
  assert.ok(relativeDifference(noMean, approx) > THRESHOLD, 'db2 without 1/m fails');
});

test.run();
