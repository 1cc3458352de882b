// Rows, labels and scaling as users have them: Matrix.fromExamples / transpose, rows of numbers, row-major typed
// arrays and named objects; sorted classes from numbers or strings; standardisation and min-max learnt per feature.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeLabels, findClasses, requireTargets } from '../lib/estimators/labels';
import { applyScalingInto, fitScaling } from '../lib/estimators/preprocessing';
import { rowsToMatrix } from '../lib/estimators/rows';
import { Matrix, Model } from '../lib/index';

test('Matrix.fromExamples puts one example per column; transpose swaps rows and columns', () => {
  const X = Matrix.fromExamples([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  assert.equal(X.shape, [3, 2]);
  assert.equal(Array.from(X.data), [1, 2, 3, 4, 5, 6], 'example j is column j, contiguous');
  assert.equal(X.toRows(), [
    [1, 4],
    [2, 5],
    [3, 6],
  ]);
  const T = X.transpose();
  assert.equal(T.shape, [2, 3]);
  assert.equal(T.toRows(), [
    [1, 2, 3],
    [4, 5, 6],
  ]);
  assert.equal(Matrix.fromExamples([[1, 2]], 'float32').dtype, 'float32');
  assert.throws(() => Matrix.fromExamples([[1, 2], [3]]), /examples\[1\] must be an array of 2 numbers, got 1 entries/);
});

test('rows: number[][], { data, columns } and named objects give the same matrix; names are kept and checked', () => {
  const expected = [1, 2, 3, 4, 5, 6];
  assert.equal(
    Array.from(
      rowsToMatrix(
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
        'float64',
      ).X.data,
    ),
    expected,
  );
  assert.equal(Array.from(rowsToMatrix({ data: Float32Array.from(expected), columns: 3 }, 'float64').X.data), expected);
  const named = rowsToMatrix(
    [
      { a: 1, b: 2, c: 3 },
      { c: 6, b: 5, a: 4 },
    ],
    'float64',
  );
  assert.equal(named.featureNames, ['a', 'b', 'c']);
  assert.equal(Array.from(named.X.data), expected, 'keys are read by name, in the stored order');
  assert.throws(() => rowsToMatrix([{ a: 1, b: 2 }], 'float64', ['a', 'b', 'c']), /lacks the feature "c"/);
  assert.throws(
    () => rowsToMatrix([{ a: 1, b: 2, d: 3 }], 'float64', ['a', 'b']),
    /feature "d" the model does not know/,
  );
  assert.throws(() => rowsToMatrix({ data: [1, 2, 3], columns: 2 }, 'float64'), /not a positive multiple of 2 columns/);
  assert.throws(() => rowsToMatrix([[1, Number.NaN]], 'float64'), /rows\[0\]\[1\] is NaN/);
});

test('classes are the distinct labels, sorted; strings and numbers; unknown labels are named', () => {
  assert.equal(findClasses(['setosa', 'virginica', 'setosa', 'versicolor']), ['setosa', 'versicolor', 'virginica']);
  assert.equal(findClasses([10, 2, 2, -1]), [-1, 2, 10], 'numeric order, not string order');
  assert.equal(findClasses(Uint8Array.of(3, 1, 3)), [1, 3]);
  assert.equal(Array.from(encodeLabels(['b', 'a', 'b'], ['a', 'b'])), [1, 0, 1]);
  assert.throws(() => encodeLabels(['a', 'z'], ['a', 'b']), /labels\[1\] is "z", not one of the model's classes/);
  assert.throws(() => findClasses([1, 'a']), /mixes numbers and strings/);
  assert.throws(() => findClasses([1, Number.NaN]), /labels\[1\] is NaN/);
  assert.throws(() => requireTargets([1, Number.POSITIVE_INFINITY]), /targets\[1\] is Infinity/);
});

test('scaling: mean and population deviation, min and range; constant features do not divide by zero', () => {
  // features (rows): [1, 2, 3, 4], [5, 5, 5, 5], [0, 10, 0, 10]
  const X = Matrix.fromRows([
    [1, 2, 3, 4],
    [5, 5, 5, 5],
    [0, 10, 0, 10],
  ]);
  const standard = fitScaling(X, 'standardize');
  assert.equal(Array.from(standard.offset), [2.5, 5, 5]);
  assert.equal(Array.from(standard.scale), [Math.sqrt(1.25), 1, 5]);
  const out = new Float64Array(X.data.length);
  applyScalingInto(standard, X.data, out, X.cols);
  assert.equal(Array.from(out.subarray(0, 3)), [-1.5 / Math.sqrt(1.25), 0, -1]);
  const minmax = fitScaling(X, 'minmax');
  assert.equal(Array.from(minmax.offset), [1, 5, 0]);
  assert.equal(Array.from(minmax.scale), [3, 1, 10]);
});

test("glorot init is numpy's uniform(-b, b) with b = sqrt(6 / (n + n_prev)), drawn layer by layer", () => {
  const model = new Model({ layerDims: [4, 3, 1], init: 'glorot', seed: 3 });
  // np.random.seed(3); np.random.uniform(-b1, b1, (3, 4)); np.random.uniform(-b2, b2, (1, 3)), column-major
  assert.equal(
    Array.from(model.parameters.W1.data),
    [
      0.09405943845965958, 0.7275963769589318, -0.8305213571825744, 0.38541487580746625, 0.7337922142710565,
      -0.1095988729138413, -0.38716919096317115, -0.69328129044536, -0.8705001066997101, 0.020048829048796346,
      -0.5420808555424579, -0.07992933699549587,
    ],
  );
  assert.equal(Array.from(model.parameters.W2.data), [0.36532681482952234, -0.5425931290498138, 0.43173457451558606]);
  assert.equal(Array.from(model.parameters.b1.data), [0, 0, 0]);
});

test('Model.fit takes 0/1 labels as a plain array; X with examples as rows is named as transposed', () => {
  const X = Matrix.fromExamples([
    [0, 1],
    [1, 0],
    [1, 1],
  ]);
  const a = new Model({ layerDims: [2, 1], seed: 1 }),
    b = new Model({ layerDims: [2, 1], seed: 1 });
  a.fit(X, [0, 1, 1], { iterations: 5, learningRate: 0.1 });
  b.fit(X, Matrix.fromRows([[0, 1, 1]]), { iterations: 5, learningRate: 0.1 });
  assert.equal(Array.from(a.flatParameters), Array.from(b.flatParameters));
  assert.throws(() => a.fit(X, [0, 1], { iterations: 1 }), /Y has 2 labels, expected one per example of X \(3\)/);
  const model = new Model({ layerDims: [30, 1], seed: 1 });
  assert.throws(
    () => model.predict(Matrix.zeros(569, 30)),
    /X has shape \(569, 30\), expected \(30, 30\).*looks transposed.*X.transpose\(\) or Matrix.fromExamples/,
  );
});

test.run();
