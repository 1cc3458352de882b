// The course's published numbers for the extensions ("Improving Deep Neural Networks": optimisation and
// regularisation assignments), rebuilt from their seeded test cases: np.random.seed(1) and randn draws in the
// cases' order. The expected values are the notebooks' printed outputs, rounded to 8 decimals.
import { test } from 'uvu';
import { modelForward, type Parameters, RandomState } from '../lib/index';
import native from '../lib/native';
import { assertArrayClose } from './support/helpers';

const PRINTED = 1e-8; // the notebooks print 8 decimals: an absolute tolerance of one unit in the last

/** Column-major data of a matrix written as the notebook prints it (rows). */
const rows = (r: number[][]) => r[0].flatMap((_, j) => r.map((row) => row[j]));

/** update_parameters_with_{momentum,adam}_test_case: W1 (2,3), b1 (2,1), W2 (3,3), b2 (3,1), then their grads. */
function optimiserCase() {
  const rng = new RandomState(1);
  const params = [rng.randn(2, 3), rng.randn(2, 1), rng.randn(3, 3), rng.randn(3, 1)];
  const grads = [rng.randn(2, 3), rng.randn(2, 1), rng.randn(3, 3), rng.randn(3, 1)];
  return { params, grads };
}

test('update_parameters_with_momentum (beta 0.9, learning rate 0.01)', () => {
  const { params, grads } = optimiserCase();
  const velocity = params.map((p) => new Float64Array(p.data.length));
  params.forEach((p, i) => native.momentumUpdate(p.data, grads[i].data, velocity[i], 0.01, 0.9));
  assertArrayClose(
    params[0].data,
    rows([
      [1.62544598, -0.61290114, -0.52907334],
      [-1.07347112, 0.86450677, -2.30085497],
    ]),
    0,
    'W1',
    PRINTED,
  );
  assertArrayClose(params[1].data, [1.74493465, -0.76027113], 0, 'b1', PRINTED);
  assertArrayClose(
    params[2].data,
    rows([
      [0.31930698, -0.24990073, 1.4627996],
      [-2.05974396, -0.32173003, -0.38320915],
      [1.13444069, -1.0998786, -0.1713109],
    ]),
    0,
    'W2',
    PRINTED,
  );
  assertArrayClose(params[3].data, [-0.87809283, 0.04055394, 0.58207317], 0, 'b2', PRINTED);
  assertArrayClose(
    velocity[0],
    rows([
      [-0.11006192, 0.11447237, 0.09015907],
      [0.05024943, 0.09008559, -0.06837279],
    ]),
    0,
    'v dW1',
    PRINTED,
  );
});

test('update_parameters_with_adam (t 2, learning rate 0.01, beta1 0.9, beta2 0.999, epsilon 1e-8)', () => {
  const { params, grads } = optimiserCase();
  const v = params.map((p) => new Float64Array(p.data.length)),
    s = params.map((p) => new Float64Array(p.data.length));
  params.forEach((p, i) => native.adamUpdate(p.data, grads[i].data, v[i], s[i], 0.01, 0.9, 0.999, 1e-8, 2));
  assertArrayClose(
    params[0].data,
    rows([
      [1.63178673, -0.61919778, -0.53561312],
      [-1.08040999, 0.85796626, -2.29409733],
    ]),
    0,
    'W1',
    PRINTED,
  );
  assertArrayClose(params[1].data, [1.75225313, -0.75376553], 0, 'b1', PRINTED);
  assertArrayClose(params[3].data, [-0.88529978, 0.03477238, 0.57537385], 0, 'b2', PRINTED);
});

test('forward_propagation_with_dropout (keep_prob 0.7, np.random.seed(1) masks) through the Network', () => {
  const rng = new RandomState(1);
  const X = rng.randn(3, 5);
  const dims = [3, 2, 3, 1],
    m = 5;
  const params = new Float64Array(native.parameterCount(dims));
  const record: Parameters = {
    W1: rng.randn(2, 3),
    b1: rng.randn(2, 1),
    W2: rng.randn(3, 2),
    b2: rng.randn(3, 1),
    W3: rng.randn(1, 3),
    b3: rng.randn(1, 1),
  };
  const layout = native.networkLayout(dims, m);
  layout.parameters.forEach(({ W, b }, i) => {
    params.set(record[`W${i + 1}`].data, W.offset);
    params.set(record[`b${i + 1}`].data, b.offset);
  });
  const workspace = new Float64Array(layout.workspaceLength);
  const network = new native.Network({
    layerDims: dims,
    activations: [native.Activation.relu, native.Activation.relu, native.Activation.sigmoid],
    capacity: m,
    params,
    nextParams: null,
    grads: new Float64Array(params.length),
    workspace,
    keepProb: [0.7, 0.7, 1],
    masks: new Float64Array(layout.maskLength),
    dropoutSeed: 1,
  });
  network.forward(X.data, m, true);
  const A3 = workspace.subarray(layout.output.offset, layout.output.offset + layout.output.length);
  assertArrayClose(A3, [0.36974721, 0.00305176, 0.04565099, 0.49683389, 0.36974721], 0, 'A3', PRINTED);
  // outside training no unit is dropped: the plain forward pass of the tutorial
  network.forward(X.data, m, false);
  const [AL] = modelForward(X, record);
  assertArrayClose(A3, AL.data, 1e-15, 'A3 without dropout');
});

test.run();
