// Assertions with a relative tolerance, and small helpers shared by the suites.
import * as assert from 'uvu/assert';
import type { Matrix } from '../../lib/index';

/**
 * |actual - expected| <= tol · |expected| + floor: a relative tolerance, with a tiny absolute floor (default
 * 1e-300) so that an expected 0 can be met. Pass a larger floor only where the math says so (float32 noise, a
 * result that is a difference of much larger terms) and say why there.
 */
export function assertClose(actual: number, expected: number, tol: number, what = '', floor = 1e-300): void {
  const allowed = tol * Math.abs(expected) + floor;
  if (!(Math.abs(actual - expected) <= allowed))
    assert.unreachable(
      `${what ? `${what}: ` : ''}${actual} differs from ${expected} by ${Math.abs(actual - expected)} (allowed ${allowed})`,
    );
}

export function assertArrayClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: number,
  what = '',
  floor?: number,
): void {
  assert.is(actual.length, expected.length, `${what} length`);
  for (let i = 0; i < expected.length; i++) assertClose(actual[i], expected[i], tol, `${what}[${i}]`, floor);
}

export function assertMatrixClose(
  actual: Matrix,
  expectedRows: number[][],
  tol: number,
  what = '',
  floor?: number,
): void {
  assert.equal(actual.shape, [expectedRows.length, expectedRows[0].length], `${what} shape`);
  const rows = actual.toRows();
  expectedRows.forEach((row, i) =>
    row.forEach((v, j) => assertClose(rows[i][j], v, tol, `${what}[${i}][${j}]`, floor)),
  );
}
