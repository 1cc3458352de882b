// The native network's memory layout, as the binding reports it (networkLayout, network.layout): each offset is
// checked against what the kernels really read and write, by placing values through the offsets and comparing a
// forward and backward pass with the tutorial's functions.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { MatrixSlot, NetworkLayout } from '../binding';
import { initializeParametersDeep, Matrix, modelBackward, modelForward, RandomState } from '../lib/index';
import native from '../lib/native';
import { assertArrayClose } from './support/helpers';

const { relu, sigmoid } = native.Activation;

/** The slots, sorted by offset, cover [0, total) exactly: back to back, no gap, no overlap. */
function assertTiles(slots: MatrixSlot[], total: number, what: string): void {
  const sorted = [...slots].sort((a, b) => a.offset - b.offset);
  let end = 0;
  for (const slot of sorted) {
    assert.is(slot.length, slot.rows * slot.cols, `${what}: length = rows · cols`);
    assert.is(slot.offset, end, `${what}: a slot starts where the previous one ends`);
    end += slot.length;
  }
  assert.is(end, total, `${what}: the slots fill the buffer`);
}

const view = (buffer: Float64Array, slot: MatrixSlot, columns = slot.cols) =>
  buffer.subarray(slot.offset, slot.offset + slot.rows * columns);

test('networkLayout: the slots tile params, workspace and masks exactly, and agree with the size functions', () => {
  for (const [dims, capacity] of [
    [[3, 1], 1],
    [[3, 2, 3, 1], 5],
    [[7, 5, 4, 3, 2], 9],
    [[1, 6, 1], 2],
  ] as [number[], number][]) {
    const layout = native.networkLayout(dims, capacity);
    const L = dims.length - 1;
    assert.is(layout.capacity, capacity);
    assert.is(layout.parameterCount, native.parameterCount(dims));
    assert.is(layout.workspaceLength, native.workspaceLength(dims, capacity));
    assert.is(layout.maskLength, native.maskLength(dims, capacity));
    assert.is(layout.parameters.length, L);
    assert.is(layout.masks.length, L - 1);
    layout.parameters.forEach(({ W, b }, i) => {
      assert.equal([W.rows, W.cols, b.rows, b.cols], [dims[i + 1], dims[i], dims[i + 1], 1], `W${i + 1}, b${i + 1}`);
      assert.is(b.offset, W.offset + W.length, `b${i + 1} follows W${i + 1}`);
    });
    assertTiles(
      layout.parameters.flatMap(({ W, b }) => [W, b]),
      layout.parameterCount,
      `params of ${dims}`,
    );
    assertTiles(
      [...layout.activations, layout.logits, ...layout.gradients],
      layout.workspaceLength,
      `workspace of ${dims}`,
    );
    assertTiles(layout.masks, layout.maskLength, `masks of ${dims}`);
    assert.equal(layout.output, layout.activations[L - 1], 'output is A_L');
    assert.equal([layout.logits.rows, layout.logits.cols], [dims[L], capacity], 'Z_L');
  }
});

interface Built {
  layout: NetworkLayout;
  net: InstanceType<typeof native.Network>;
  params: Float64Array;
  grads: Float64Array;
  workspace: Float64Array;
  masks: Float64Array;
}

function build(dims: number[], capacity: number, keepProb?: number[]): Built {
  const layout = native.networkLayout(dims, capacity);
  const params = new Float64Array(layout.parameterCount),
    grads = new Float64Array(layout.parameterCount),
    workspace = new Float64Array(layout.workspaceLength),
    masks = new Float64Array(layout.maskLength);
  const activations = dims.slice(1).map((_, l) => (l === dims.length - 2 ? sigmoid : relu));
  const net = new native.Network({
    layerDims: dims,
    activations,
    capacity,
    params,
    nextParams: null,
    grads,
    workspace,
    ...(keepProb ? { keepProb, masks, dropoutSeed: 3 } : {}),
  });
  return { layout, net, params, grads, workspace, masks };
}

test('network.layout is networkLayout(layerDims, capacity)', () => {
  const { layout, net } = build([4, 3, 2, 1], 6);
  assert.equal(net.layout, layout);
});

test('parameters written through the offsets are the ones forward and backward use (the tutorial agrees)', () => {
  const dims = [5, 4, 3, 1],
    m = 7,
    L = dims.length - 1;
  const { layout, net, params, grads, workspace } = build(dims, m);
  const tutorial = initializeParametersDeep(dims, { seed: 2, init: 'lecun' });
  for (let l = 1; l <= L; l++) tutorial[`b${l}`].data.forEach((_, i, b) => (b[i] = 0.1 * (i + l))); // not zeros
  // each W_l and b_l set through its slot only (params starts as zeros, so a wrong offset shows)
  layout.parameters.forEach(({ W, b }, i) => {
    view(params, W).set(tutorial[`W${i + 1}`].data);
    view(params, b).set(tutorial[`b${i + 1}`].data);
  });
  const X = new RandomState(5).randn(dims[0], m);
  const Y = Matrix.zeros(1, m);
  for (let j = 0; j < m; j++) Y.data[j] = X.get(0, j) > 0 ? 1 : 0;

  net.forward(X.data, m);
  const [AL, caches] = modelForward(X, tutorial);
  for (let l = 1; l <= L; l++) {
    const [, Z] = caches[l - 1];
    const expected = l < L ? Z.data.map((z) => Math.max(z, 0)) : AL.data;
    assertArrayClose(view(workspace, layout.activations[l - 1]), expected, 1e-12, `A${l} at its offset`);
  }
  assertArrayClose(view(workspace, layout.output), AL.data, 1e-12, 'AL at the output offset');
  assertArrayClose(view(workspace, layout.logits), caches[L - 1][1].data, 1e-12, 'Z_L at the logits offset');

  net.backward(X.data, Y.data, m);
  const expectedGrads = modelBackward(AL, Y, caches);
  layout.parameters.forEach(({ W, b }, i) => {
    assertArrayClose(view(grads, W), expectedGrads[`dW${i + 1}`].data, 1e-12, `dW${i + 1} at W${i + 1}'s offset`);
    assertArrayClose(view(grads, b), expectedGrads[`db${i + 1}`].data, 1e-12, `db${i + 1} at b${i + 1}'s offset`);
  });
  assertArrayClose(
    view(workspace, layout.gradients[L - 1]),
    AL.data.map((a, k) => a - Y.data[k]),
    1e-12,
    'dZ_L = AL - Y at its offset',
  );
  // dZ_{L-1} = W_L^T dZ_L * relu'(Z_{L-1}): the tutorial's dA{L-1} through relu backward
  const dZhidden = expectedGrads[`dA${L - 1}`].data.map((d, k) => (caches[L - 2][1].data[k] > 0 ? d : 0));
  assertArrayClose(view(workspace, layout.gradients[L - 2]), dZhidden, 1e-12, `dZ${L - 1} at its offset`);
});

test('a batch smaller than the capacity uses the first m columns of each workspace slot', () => {
  const dims = [3, 4, 2],
    capacity = 6,
    m = 2;
  const { layout, net, params, workspace } = build(dims, capacity);
  params.set(
    Array.from({ length: params.length }, (_, i) => Math.sin(i + 1)),
    0,
  );
  workspace.fill(-99);
  net.forward(new Float64Array(dims[0] * m).fill(0.5), m);
  for (const slot of [...layout.activations, layout.logits]) {
    const used = view(workspace, slot, m),
      rest = workspace.subarray(slot.offset + slot.rows * m, slot.offset + slot.length);
    assert.ok(
      used.every((v) => v !== -99),
      `the first ${m} columns at offset ${slot.offset} written`,
    );
    assert.ok(
      rest.every((v) => v === -99),
      `the columns past m at offset ${slot.offset} untouched`,
    );
  }
});

test("dropout masks sit at the masks' offsets: A_l (training) = relu(Z_l) · D_l / keepProb", () => {
  const dims = [4, 5, 3, 1],
    m = 6,
    keep = [0.5, 0.8, 1];
  const { layout, net, params, workspace, masks } = build(dims, m, keep);
  params.set(
    Array.from({ length: params.length }, (_, i) => Math.cos(3 * i)),
    0,
  );
  const X = new RandomState(9).randn(dims[0], m).data;
  net.forward(X, m, false);
  const clean = layout.activations.map((slot) => Float64Array.from(view(workspace, slot)));
  // training forward: layer 1 drops from A_1; layer 2's input is then the dropped A_1, so compare layer 1 exactly,
  // and each layer's mask for 0/1 values where its activations were zeroed
  net.reseedDropout(3);
  net.forward(X, m, true);
  const D1 = view(masks, layout.masks[0]);
  assert.ok(
    D1.every((d) => d === 0 || d === 1),
    'D1 holds 0s and 1s',
  );
  assert.ok(
    D1.some((d) => d === 0),
    'keepProb 0.5 drops some of A1',
  );
  assertArrayClose(
    view(workspace, layout.activations[0]),
    clean[0].map((a, k) => (a * D1[k]) / keep[0]),
    1e-12,
    'A1 = relu(Z1) · D1 / 0.5',
  );
  const D2 = view(masks, layout.masks[1]);
  const A2 = view(workspace, layout.activations[1]);
  assert.ok(
    D2.every((d, k) => (d === 0 ? A2[k] === 0 : d === 1)),
    'A2 is zero wherever D2 is',
  );
});

test.run();
