// Held-out validation: a seeded split of the examples (stratified by class for classifiers, so every class keeps its
// share), the columns gathered into a training and a validation matrix, and the early-stopping rule (patience over
// the validation cost, the best parameters kept).
import type { FloatArray } from '../matrix';
import { Matrix } from '../matrix';
import native from '../native';
import { RandomState } from '../random';

export interface ValidationSplit {
  /** example indices (columns) kept for training, in their original order */
  train: Uint32Array;
  /** example indices held out for validation, in their original order */
  validation: Uint32Array;
}

/**
 * Splits m examples: `fraction` of them (at least one) held out, chosen by np.random.seed(seed) permutations. With
 * `classes` (one class index per example) each class is split on its own, so the validation set keeps the class
 * proportions (a class with a single example stays in training).
 */
export function splitValidation(
  m: number,
  fraction: number,
  seed: number,
  classes?: ArrayLike<number>,
): ValidationSplit {
  const held = new Uint8Array(m);
  const rng = new RandomState(seed);
  const groups = new Map<number, number[]>();
  for (let j = 0; j < m; j++) {
    const key = classes === undefined ? 0 : classes[j];
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [j]);
    else group.push(j);
  }
  for (const key of [...groups.keys()].sort((a, b) => a - b)) {
    const members = groups.get(key)!;
    const count =
      members.length < 2 ? 0 : Math.min(members.length - 1, Math.max(1, Math.round(fraction * members.length)));
    if (count === 0) continue;
    const order = rng.permutation(members.length);
    for (let k = 0; k < count; k++) held[members[order[k]]] = 1;
  }
  let validationCount = 0;
  for (let j = 0; j < m; j++) validationCount += held[j];
  if (validationCount === 0 || validationCount === m)
    throw new RangeError(
      `validationSplit ${fraction} of ${m} examples leaves no examples to ${validationCount === 0 ? 'validate' : 'train'} on`,
    );
  const train = new Uint32Array(m - validationCount),
    validation = new Uint32Array(validationCount);
  let t = 0,
    v = 0;
  for (let j = 0; j < m; j++) {
    if (held[j]) validation[v++] = j;
    else train[t++] = j;
  }
  return { train, validation };
}

/** The columns `indices` of X, gathered into a new matrix of the same dtype. */
export function gatherColumns(X: Matrix, indices: Uint32Array): Matrix {
  const out = Matrix.zeros(X.rows, indices.length, X.dtype);
  native.gatherColumns(out.data, X.data, X.rows, indices);
  return out;
}

/** Early stopping on the validation cost: `patience` epochs without an improvement of more than `minDelta` stop. */
export class EarlyStopping {
  best = Number.POSITIVE_INFINITY;
  bestEpoch = -1;
  private readonly snapshot: FloatArray;
  private waited = 0;

  constructor(
    readonly patience: number,
    readonly minDelta: number,
    parameters: FloatArray,
  ) {
    this.snapshot = parameters.slice();
  }

  /** Records an epoch's validation cost; true when training should stop. Keeps a copy of the best parameters. */
  update(epoch: number, cost: number, parameters: FloatArray): boolean {
    if (cost < this.best - this.minDelta) {
      this.best = cost;
      this.bestEpoch = epoch;
      this.snapshot.set(parameters);
      this.waited = 0;
      return false;
    }
    return ++this.waited >= this.patience;
  }

  /** The parameters of the best epoch (the starting ones if none improved). */
  get bestParameters(): FloatArray {
    return this.snapshot;
  }
}
