// A seeded 3-class task for the sweep tests: X (4, m) gaussian, the class from two linear scores.
import { Matrix, RandomState } from '../../lib/index';

export function threeClasses(m: number, seed: number): { X: Matrix; Y: Matrix } {
  const X = new RandomState(seed).randn(4, m);
  const Y = Matrix.zeros(1, m);
  for (let j = 0; j < m; j++) {
    const a = X.get(0, j) + X.get(1, j),
      b = X.get(2, j) - X.get(3, j);
    Y.set(0, j, a > 0.3 ? 2 : b > 0 ? 1 : 0);
  }
  return { X, Y };
}
