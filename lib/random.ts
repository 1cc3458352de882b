// Seeded randomness that reproduces numpy's legacy RandomState bit for bit (drawn in C++), and the weight
// initialisers of the tutorial and the course built on it.
import { randomInt } from 'node:crypto';
import { describe, requireDimension } from './checks';
import { allocate, Matrix } from './matrix';
import native from './native';

export type InitScheme = 'small' | 'lecun' | 'he' | 'glorot';

export function requireSeed(seed: unknown, name = 'seed'): number {
  if (typeof seed !== 'number')
    throw new TypeError(`${name} must be an integer from 0 to 4294967295, got ${describe(seed)}`);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
    throw new RangeError(`${name} must be an integer from 0 to 4294967295, got ${seed}`);
  return seed;
}

export function requireInit(init: unknown, name = 'init'): InitScheme {
  if (init === 'small' || init === 'lecun' || init === 'he' || init === 'glorot') return init;
  throw new TypeError(
    `${name} must be 'small' (randn * 0.01), 'lecun' (randn / sqrt(n_prev)), 'he' (randn * sqrt(2 / n_prev)) or 'glorot' (uniform, bound sqrt(6 / (n + n_prev))), got ${describe(init)}`,
  );
}

/** A seed for unseeded calls. */
export function freshSeed(): number {
  return randomInt(0, 0x100000000);
}

/** np.random.RandomState: np.random.seed(seed) then randn / rand / permutation, bit for bit. */
export class RandomState {
  private readonly state: InstanceType<typeof native.RandomState>;

  constructor(seed: number = freshSeed()) {
    this.state = new native.RandomState(requireSeed(seed));
  }

  /** np.random.seed(seed) on this state; returns it. */
  reseed(seed: number): this {
    this.state.seed(requireSeed(seed));
    return this;
  }

  /** np.random.randn(rows, cols): numpy fills row by row; stored here column-major as float64. */
  randn(rows: number, cols: number): Matrix<Float64Array> {
    const drawn = allocate(
      'float64',
      requireDimension(rows, 'rows') * requireDimension(cols, 'cols'),
      `a ${rows} x ${cols} matrix`,
    ) as Float64Array;
    this.state.standardNormal(drawn);
    return rowMajorToMatrix(drawn, rows, cols);
  }

  /** np.random.rand(rows, cols) */
  rand(rows: number, cols: number): Matrix<Float64Array> {
    const drawn = allocate(
      'float64',
      requireDimension(rows, 'rows') * requireDimension(cols, 'cols'),
      `a ${rows} x ${cols} matrix`,
    ) as Float64Array;
    this.state.uniform(drawn);
    return rowMajorToMatrix(drawn, rows, cols);
  }

  /** np.random.randn(n) as a flat array */
  standardNormal(out: Float64Array): Float64Array {
    if (!(out instanceof Float64Array)) throw new TypeError(`out must be a Float64Array, got ${describe(out)}`);
    this.state.standardNormal(out);
    return out;
  }

  /** np.random.permutation(n) */
  permutation(n: number): Uint32Array {
    requireDimension(n, 'n');
    if (n > 0xffffffff) throw new RangeError(`n must be at most 4294967295, got ${n}`);
    const values = new Uint32Array(n);
    for (let i = 0; i < n; i++) values[i] = i;
    this.state.shuffle(values);
    return values;
  }

  /** np.random.shuffle(values), in place */
  shuffle(values: Uint32Array): Uint32Array {
    if (!(values instanceof Uint32Array)) throw new TypeError(`values must be a Uint32Array, got ${describe(values)}`);
    this.state.shuffle(values);
    return values;
  }
}

function rowMajorToMatrix(drawn: Float64Array, rows: number, cols: number): Matrix<Float64Array> {
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[i + j * rows] = drawn[i * cols + j];
  return new Matrix(rows, cols, out);
}

/**
 * W (n, nPrev) drawn as the tutorial and course draw it, column-major float64:
 * small: randn * 0.01; lecun: randn / sqrt(nPrev); he: randn * sqrt(2 / nPrev); glorot: scikit-learn's MLP
 * initialisation, np.random.uniform(-bound, bound, (n, nPrev)) with bound = sqrt(6 / (n + nPrev)).
 */
export function drawWeights(rng: RandomState, n: number, nPrev: number, init: InitScheme): Float64Array {
  if (init === 'glorot') {
    const U = rng.rand(n, nPrev).data,
      bound = Math.sqrt(6 / (n + nPrev));
    // numpy's uniform(low, high) is low + (high - low) * random_sample()
    for (let i = 0; i < U.length; i++) U[i] = -bound + 2 * bound * U[i];
    return U;
  }
  const W = rng.randn(n, nPrev).data;
  if (init === 'small') for (let i = 0; i < W.length; i++) W[i] = W[i] * 0.01;
  else if (init === 'lecun') {
    const root = Math.sqrt(nPrev);
    for (let i = 0; i < W.length; i++) W[i] = W[i] / root;
  } else {
    const scale = Math.sqrt(2 / nPrev);
    for (let i = 0; i < W.length; i++) W[i] = W[i] * scale;
  }
  return W;
}
