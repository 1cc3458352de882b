// The tutorial's published unit cases (test/fixtures/seed-cases.json, full-precision values from the reference
// numpy code), float64, relative error <= 1e-12.

import fs from 'node:fs';
import path from 'node:path';
import { suite, test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  computeCost,
  initializeParametersDeep,
  type LinearActivationCache,
  linearActivationBackward,
  linearActivationForward,
  linearBackward,
  linearForward,
  Matrix,
  modelBackward,
  modelForward,
  RandomState,
  updateParameters,
} from '../lib/index';
import { assertClose, assertMatrixClose } from './support/helpers';

const cases = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'seed-cases.json'), 'utf8')).cases;
const M = (rows: number[][]) => Matrix.fromRows(rows);
const TOL = 1e-12;

test('numpy_random: randn, rand and the cached gaussian match numpy for every seed', () => {
  for (const [seed, expected] of Object.entries<any>(cases.numpy_random)) {
    if (seed === 'note') continue;
    const randn = new RandomState(Number(seed)).randn(1, 12).data;
    assert.equal(Array.from(randn), expected.randn_12, `randn seed ${seed}`);
    const rand = new RandomState(Number(seed)).rand(1, 6).data;
    assert.equal(Array.from(rand), expected.rand_6, `rand seed ${seed}`);
    const rs = new RandomState(Number(seed));
    const mixed = [rs.randn(1, 1).data[0], rs.rand(1, 1).data[0], rs.randn(1, 1).data[0], rs.randn(1, 1).data[0]];
    assert.equal(mixed, expected.randn_rand_randn_randn, `interleaved seed ${seed}`);
  }
});

const initCases: [string, 'small' | 'lecun' | 'he'][] = [
  ['initialize_parameters_deep', 'small'],
  ['initialize_parameters_deep_scaled_by_sqrt_fan_in', 'lecun'],
  ['initialize_parameters_he', 'he'],
];
for (const [name, init] of initCases) {
  test(`${name}: seeded weights equal numpy's bit for bit`, () => {
    const c = cases[name];
    const parameters = initializeParametersDeep(c.layer_dims, { seed: c.seed, init });
    assert.equal(Object.keys(parameters).sort(), Object.keys(c.expected).sort());
    for (const [key, rows] of Object.entries<number[][]>(c.expected)) assert.equal(parameters[key].toRows(), rows, key);
  });
}

test('linear_forward', () => {
  const { inputs, expected } = cases.linear_forward;
  const [Z, cache] = linearForward(M(inputs.A), M(inputs.W), M(inputs.b));
  assertMatrixClose(Z, expected.Z, TOL);
  assert.equal(cache.length, 3);
});

test('linear_activation_forward: sigmoid and relu', () => {
  const { inputs, expected } = cases.linear_activation_forward;
  for (const activation of ['sigmoid', 'relu'] as const) {
    const [A, [linearCache, Z]] = linearActivationForward(M(inputs.A_prev), M(inputs.W), M(inputs.b), activation);
    assertMatrixClose(A, expected[activation].A, TOL, activation);
    const [Zref] = linearForward(M(inputs.A_prev), M(inputs.W), M(inputs.b));
    assertMatrixClose(Z, Zref.toRows(), 0, 'activation cache is Z');
    assert.equal(linearCache[0].toRows(), inputs.A_prev);
  }
});

test('L_model_forward: AL and one cache per layer', () => {
  const { inputs, expected } = cases.L_model_forward;
  const parameters = Object.fromEntries(Object.entries<number[][]>(inputs.parameters).map(([k, v]) => [k, M(v)]));
  const [AL, caches] = modelForward(M(inputs.X), parameters);
  assertMatrixClose(AL, expected.AL, TOL);
  assert.is(caches.length, expected.caches);
});

test('compute_cost', () => {
  for (const { inputs, expected } of cases.compute_cost) {
    assertClose(computeCost(M(inputs.AL), M(inputs.Y)), expected.cost, TOL);
  }
});

test('linear_backward', () => {
  for (const { inputs, expected } of cases.linear_backward) {
    const [dA_prev, dW, db] = linearBackward(M(inputs.dZ), [M(inputs.A_prev), M(inputs.W), M(inputs.b)]);
    assertMatrixClose(dA_prev, expected.dA_prev, TOL, 'dA_prev');
    assertMatrixClose(dW, expected.dW, TOL, 'dW');
    assertMatrixClose(db, expected.db, TOL, 'db');
  }
});

test('linear_activation_backward: sigmoid and relu', () => {
  const { inputs, expected } = cases.linear_activation_backward;
  const cache: LinearActivationCache = [[M(inputs.A_prev), M(inputs.W), M(inputs.b)], M(inputs.Z)];
  for (const activation of ['sigmoid', 'relu'] as const) {
    const [dA_prev, dW, db] = linearActivationBackward(M(inputs.dA), cache, activation);
    assertMatrixClose(dA_prev, expected[activation].dA_prev, TOL, `${activation} dA_prev`);
    assertMatrixClose(dW, expected[activation].dW, TOL, `${activation} dW`);
    assertMatrixClose(db, expected[activation].db, TOL, `${activation} db`);
  }
});

test('L_model_backward: every gradient, dA0 included', () => {
  const { inputs, expected } = cases.L_model_backward;
  const caches: LinearActivationCache[] = inputs.caches.map((c: any) => [[M(c.A_prev), M(c.W), M(c.b)], M(c.Z)]);
  const grads = modelBackward(M(inputs.AL), M(inputs.Y), caches);
  assert.equal(Object.keys(grads).sort(), Object.keys(expected).sort());
  for (const [key, rows] of Object.entries<number[][]>(expected)) assertMatrixClose(grads[key], rows, TOL, key);
});

test('update_parameters', () => {
  const { inputs, expected } = cases.update_parameters;
  const toMatrices = (record: Record<string, number[][]>) =>
    Object.fromEntries(Object.entries(record).map(([k, v]) => [k, M(v)]));
  const parameters = toMatrices(inputs.parameters);
  const before = parameters.W1.toRows();
  const updated = updateParameters(parameters, toMatrices(inputs.grads), inputs.learning_rate);
  for (const [key, rows] of Object.entries<number[][]>(expected)) assertMatrixClose(updated[key], rows, TOL, key);
  assert.equal(parameters.W1.toRows(), before, 'the input parameters are not modified');
});

test('train_small: three iterations of the tutorial loop with the tutorial functions', () => {
  const { inputs, expected } = cases.train_small;
  const X = M(inputs.X),
    Y = M(inputs.Y);
  let parameters = initializeParametersDeep(inputs.layer_dims, { seed: 1, init: 'small' });
  const costs: number[] = [];
  for (let i = 0; i < inputs.iterations; i++) {
    const [AL, caches] = modelForward(X, parameters);
    costs.push(computeCost(AL, Y));
    const grads = modelBackward(AL, Y, caches);
    parameters = updateParameters(parameters, grads, inputs.learning_rate);
  }
  costs.forEach((cost, i) => assertClose(cost, expected.costs_before_each_update[i], TOL, `cost ${i}`));
  for (const [key, rows] of Object.entries<number[][]>(expected.parameters))
    assertMatrixClose(parameters[key], rows, TOL, key);
});

test.run();
void suite;
