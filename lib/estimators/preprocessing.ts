// Input scaling learnt from the training data and stored with the model, so predict, evaluate and exported models
// see features on the scale the network was trained on: x' = (x - offset) / scale, per feature.
// 'standardize' uses the mean and the population standard deviation (scikit-learn's StandardScaler), 'minmax' the
// minimum and the range; a constant feature keeps scale 1 (it becomes 0, not NaN).
import { describe } from '../checks';
import type { FloatArray, Matrix } from '../matrix';

export type ScalingKind = 'standardize' | 'minmax' | 'none';
export const SCALING_KINDS: readonly ScalingKind[] = ['standardize', 'minmax', 'none'];

export interface InputScaling {
  kind: ScalingKind;
  /** per feature: subtracted first */
  offset: Float64Array;
  /** per feature: divided by next (never 0) */
  scale: Float64Array;
}

export function requireScalingKind(value: unknown, name: string): ScalingKind {
  if (typeof value === 'string' && (SCALING_KINDS as readonly string[]).includes(value)) return value as ScalingKind;
  throw new TypeError(`${name} must be 'standardize', 'minmax' or 'none', got ${describe(value)}`);
}

/** Learns the scaling of each feature (row) of X (features, m), in double precision. */
export function fitScaling(X: Matrix, kind: ScalingKind): InputScaling {
  const n = X.rows,
    m = X.cols,
    x = X.data;
  const offset = new Float64Array(n),
    scale = new Float64Array(n).fill(1);
  if (kind === 'standardize') {
    const sum = new Float64Array(n);
    for (let j = 0; j < m; j++) for (let i = 0; i < n; i++) sum[i] += x[i + j * n];
    for (let i = 0; i < n; i++) offset[i] = sum[i] / m;
    const squares = new Float64Array(n);
    for (let j = 0; j < m; j++)
      for (let i = 0; i < n; i++) {
        const d = x[i + j * n] - offset[i];
        squares[i] += d * d;
      }
    for (let i = 0; i < n; i++) {
      const deviation = Math.sqrt(squares[i] / m);
      if (deviation > 0 && Number.isFinite(deviation)) scale[i] = deviation;
    }
  } else if (kind === 'minmax') {
    for (let i = 0; i < n; i++) {
      let low = Infinity,
        high = -Infinity;
      for (let j = 0; j < m; j++) {
        const v = x[i + j * n];
        if (v < low) low = v;
        if (v > high) high = v;
      }
      offset[i] = low;
      if (high > low && Number.isFinite(high - low)) scale[i] = high - low;
    }
  }
  return { kind, offset, scale };
}

/** out (features, columns) = (source - offset) / scale, column by column; out may be source. */
export function applyScalingInto(scaling: InputScaling, source: FloatArray, out: FloatArray, columns: number): void {
  if (scaling.kind === 'none') {
    if (out !== source) out.set(source.subarray(0, out.length));
    return;
  }
  const n = scaling.offset.length,
    { offset, scale } = scaling;
  for (let j = 0; j < columns; j++) {
    const base = j * n;
    for (let i = 0; i < n; i++) out[base + i] = (source[base + i] - offset[i]) / scale[i];
  }
}

/** A scaling's stored form (model file header) and back. */
export function scalingToJson(scaling: InputScaling): { kind: ScalingKind; offset: number[]; scale: number[] } {
  return { kind: scaling.kind, offset: Array.from(scaling.offset), scale: Array.from(scaling.scale) };
}

export function scalingFromJson(value: unknown, features: number, where: string): InputScaling {
  const v = value as { kind?: unknown; offset?: unknown; scale?: unknown };
  if (typeof value !== 'object' || value === null) throw new Error(`${where}: the input scaling is not an object`);
  const kind = requireScalingKind(v.kind, `${where}: inputScaling.kind`);
  const numbers = (list: unknown, what: string) => {
    if (
      !Array.isArray(list) ||
      list.length !== features ||
      !list.every((x) => typeof x === 'number' && Number.isFinite(x))
    )
      throw new Error(`${where}: inputScaling.${what} must be ${features} finite numbers`);
    return Float64Array.from(list);
  };
  const scale = numbers(v.scale, 'scale');
  if (scale.some((s) => s === 0)) throw new Error(`${where}: inputScaling.scale holds a 0`);
  return { kind, offset: numbers(v.offset, 'offset'), scale };
}
