// Assertions with a relative tolerance, and small helpers shared by the suites.
import * as assert from 'uvu/assert';
import type { Matrix } from '../lib/index';

/** |actual - expected| <= tol · max(1, |expected|): relative for large values, absolute near zero. */
export function assertClose(actual: number, expected: number, tol: number, what = ''): void {
  const scale = Math.max(1, Math.abs(expected));
  if (!(Math.abs(actual - expected) <= tol * scale))
    assert.unreachable(
      `${what ? `${what}: ` : ''}${actual} differs from ${expected} by ${Math.abs(actual - expected)} (tolerance ${tol * scale})`,
    );
}

export function assertArrayClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what = ''): void {
  assert.is(actual.length, expected.length, `${what} length`);
  for (let i = 0; i < expected.length; i++) assertClose(actual[i], expected[i], tol, `${what}[${i}]`);
}

export function assertMatrixClose(actual: Matrix, expectedRows: number[][], tol: number, what = ''): void {
  assert.equal(actual.shape, [expectedRows.length, expectedRows[0].length], `${what} shape`);
  const rows = actual.toRows();
  expectedRows.forEach((row, i) => row.forEach((v, j) => assertClose(rows[i][j], v, tol, `${what}[${i}][${j}]`)));
}
