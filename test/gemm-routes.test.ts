// The GEMM router (native/kernels/gemm_router.hpp) and the per-ISA Adam loop: every route and every instruction set
// this machine has, against a plain reference in float64 arithmetic and against the generic kernel, on many layer
// shapes (unit dimensions, odd sizes, the cat network's W2 layers, MNIST-sized W3 and W5 ones), float32 and float64. Each layer runs the three
// products a training step does: Z = W·A_prev (linearForward), dW = (1/m) dZ·A_prevᵀ and dA_prev = Wᵀ·dZ
// (linearBackward).
//
// Routes and instruction sets are chosen per process (DNN_NATIVE_GEMM, DNN_NATIVE_GEMM_PARTS, DNN_NATIVE_ISA, read
// once), so each configuration runs in a child process that writes its outputs to a temporary folder; this process
// holds them to the reference and to each other. Tolerances are relative to each element's magnitude (the same
// product on absolute values), the size rounding errors scale with: float64 1e-12, float32 1e-4. The AVX2 and
// AVX-512 kernels do the same fused multiply-adds in the same order, so they must agree bit for bit, and a split over
// the thread pool must not change a single bit. uvu prints nothing for a skipped path: the paths this machine cannot
// run are printed as a line.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { KernelIsaName } from '../binding';
import native, { root } from '../lib/native';

type DType = 'float32' | 'float64';
const DTYPES: readonly DType[] = ['float64', 'float32'];
const TOL: Record<DType, number> = { float64: 1e-12, float32: 1e-4 };
const ALL_ISAS: readonly KernelIsaName[] = ['avx512', 'avx2', 'generic'];
const kernels = native.blasInfo().kernels;
const SUPPORTED = ALL_ISAS.filter((name) => kernels.supported.includes(name));
const MISSING = ALL_ISAS.filter((name) => !kernels.supported.includes(name));

console.log(
  `gemm-routes: own kernels ${kernels.isa} (detected ${kernels.detected}); routes blas, gemv/ger and skinny on ${SUPPORTED.join(', ')} tested here; ` +
    (MISSING.length ? `could not run here (this CPU lacks them): skinny on ${MISSING.join(', ')}` : 'nothing left out'),
);

/** A layer: W (n, nPrev), A_prev (nPrev, m), dZ (n, m). */
interface Layer {
  n: number;
  nPrev: number;
  m: number;
  why: string;
}

const LAYERS: Layer[] = [
  { n: 1, nPrev: 1, m: 1, why: 'all unit' },
  { n: 1, nPrev: 7, m: 5, why: 'one unit: gemv' },
  { n: 3, nPrev: 4, m: 1, why: 'one example: gemv, ger' },
  { n: 7, nPrev: 17, m: 33, why: 'odd sizes' },
  { n: 13, nPrev: 23, m: 19, why: 'odd sizes' },
  { n: 31, nPrev: 1000, m: 18, why: 'k over one packed panel' },
  { n: 32, nPrev: 300, m: 40, why: 'the float64 row limit' },
  { n: 47, nPrev: 65, m: 24, why: 'between the float64 and float32 limits' },
  { n: 65, nPrev: 30, m: 20, why: 'over every row limit' },
  { n: 10, nPrev: 128, m: 128, why: 'W5 output layer' },
  { n: 64, nPrev: 128, m: 1024, why: 'W3 layer 2' },
  { n: 7, nPrev: 20, m: 209, why: 'W2 layer 2' },
  { n: 20, nPrev: 12288, m: 209, why: 'W2 layer 1' },
  { n: 128, nPrev: 784, m: 100, why: 'W3-like, not skinny' },
];
const PRODUCTS = ['Z', 'dW', 'dA_prev'] as const;

function inputs(dtype: DType, layer: Layer, seed: number) {
  const rng = new native.RandomState(seed);
  const draw = (length: number) => {
    const values = new Float64Array(length);
    rng.standardNormal(values);
    return dtype === 'float32' ? Float32Array.from(values) : values;
  };
  return { W: draw(layer.n * layer.nPrev), A: draw(layer.nPrev * layer.m), dZ: draw(layer.n * layer.m) };
}

// The child: runs every layer through linearForward / linearBackward and writes Z, dW, dA_prev as raw bytes.
// The addon as lib/native.ts loads it: DNN_NATIVE_BINARY (the sanitizer build) or the package's own.
const LOAD_ADDON = `(process.env.DNN_NATIVE_BINARY ? require(require('node:path').resolve(process.env.DNN_NATIVE_BINARY)) : require('node-gyp-build')(process.argv[1]))`;

const CHILD = `
const fs = require('node:fs'), path = require('node:path');
const b = ${LOAD_ADDON};
const { layers, dtypes, dir } = JSON.parse(process.argv[2]);
layers.forEach((layer, index) => {
  for (const dtype of dtypes) {
    const Float = dtype === 'float32' ? Float32Array : Float64Array;
    const rng = new b.RandomState(1000 + index);
    const draw = (length) => { const v = new Float64Array(length); rng.standardNormal(v); return Float.from(v); };
    const W = draw(layer.n * layer.nPrev), A = draw(layer.nPrev * layer.m), dZ = draw(layer.n * layer.m);
    const Z = new Float(layer.n * layer.m), dW = new Float(layer.n * layer.nPrev), db = new Float(layer.n);
    const dA = new Float(layer.nPrev * layer.m);
    b.linearForward(Z, W, A, new Float(layer.n), layer.n, layer.nPrev, layer.m);
    b.linearBackward(dA, dW, db, dZ, A, W, layer.n, layer.nPrev, layer.m);
    for (const [name, values] of [['Z', Z], ['dW', dW], ['dA_prev', dA]])
      fs.writeFileSync(path.join(dir, index + '-' + dtype + '-' + name), new Uint8Array(values.buffer));
  }
});
// Adam's update loop, also built per instruction set and split over the pool from 65536 parameters: 3 steps on
// 1027 and on 100003 parameters, the large one with 1 and with 2 threads
const threadsBefore = b.getNumThreads();
for (const dtype of dtypes)
  for (const [size, threads] of [[1027, threadsBefore], [100003, 1], [100003, 2]]) {
    b.setNumThreads(threads);
    const Float = dtype === 'float32' ? Float32Array : Float64Array;
    const rng = new b.RandomState(77);
    const draw = (length, scale) => { const v = new Float64Array(length); rng.standardNormal(v); return Float.from(v, (x) => x * scale); };
    const param = draw(size, 1), v = new Float(size), s = new Float(size);
    for (let t = 1; t <= 3; t++) b.adamUpdate(param, draw(size, 0.1), v, s, 0.01, 0.9, 0.999, 1e-8, t);
    const tag = size === 1027 ? '' : '-' + size + '-' + threads;
    for (const [name, values] of [['param', param], ['v', v], ['s', s]])
      fs.writeFileSync(path.join(dir, 'adam-' + dtype + '-' + name + tag), new Uint8Array(values.buffer));
  }
b.setNumThreads(threadsBefore);
console.log(JSON.stringify(b.blasInfo().kernels));
`;

interface Config {
  name: string;
  env: Record<string, string>;
}

const CONFIGS: Config[] = [
  { name: 'auto', env: {} },
  { name: 'auto again', env: {} },
  { name: 'blas', env: { DNN_NATIVE_GEMM: 'blas' } },
  ...SUPPORTED.flatMap((isa) =>
    [1, 2, 3].map((parts) => ({
      name: `skinny ${isa} ${parts} part${parts > 1 ? 's' : ''}`,
      env: { DNN_NATIVE_GEMM: 'skinny', DNN_NATIVE_ISA: isa, DNN_NATIVE_GEMM_PARTS: String(parts) },
    })),
  ),
];

type Outputs = Map<string, Float32Array | Float64Array>;
const outputs = new Map<string, Outputs>();
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'dnn-gemm-routes-'));

function runConfig(config: Config): Outputs {
  const dir = fs.mkdtempSync(path.join(scratch, 'run-'));
  const child = spawnSync(
    process.execPath,
    ['-e', CHILD, root, JSON.stringify({ layers: LAYERS, dtypes: DTYPES, dir })],
    { encoding: 'utf8', env: { ...process.env, ...config.env }, maxBuffer: 1 << 24 },
  );
  assert.is(child.status, 0, `${config.name}: ${child.stderr}`);
  const reported = JSON.parse(child.stdout);
  if (config.env.DNN_NATIVE_GEMM) assert.is(reported.route, config.env.DNN_NATIVE_GEMM, `${config.name}: route`);
  if (config.env.DNN_NATIVE_ISA) assert.is(reported.isa, config.env.DNN_NATIVE_ISA, `${config.name}: isa`);
  const result: Outputs = new Map();
  for (const dtype of DTYPES)
    for (const name of ['param', 'v', 's'])
      for (const tag of ['', '-100003-1', '-100003-2']) {
        const copy = new Uint8Array(fs.readFileSync(path.join(dir, `adam-${dtype}-${name}${tag}`))).buffer;
        result.set(
          `adam-${dtype}-${name}${tag}`,
          dtype === 'float32' ? new Float32Array(copy) : new Float64Array(copy),
        );
      }
  LAYERS.forEach((_, index) => {
    for (const dtype of DTYPES)
      for (const product of PRODUCTS) {
        const bytes = fs.readFileSync(path.join(dir, `${index}-${dtype}-${product}`));
        const copy = new Uint8Array(bytes).buffer;
        result.set(
          `${index}-${dtype}-${product}`,
          dtype === 'float32' ? new Float32Array(copy) : new Float64Array(copy),
        );
      }
  });
  return result;
}

const references = new Map<string, ReturnType<typeof computeReference>>();
function reference(dtype: DType, index: number) {
  const key = `${index}-${dtype}`;
  let value = references.get(key);
  if (!value) {
    value = computeReference(dtype, LAYERS[index], 1000 + index);
    references.set(key, value);
  }
  return value;
}

/** Z = W·A, dW = (1/m) dZ·Aᵀ, dA_prev = Wᵀ·dZ in float64 arithmetic, and each element's magnitude. */
function computeReference(dtype: DType, layer: Layer, seed: number) {
  const { W, A, dZ } = inputs(dtype, layer, seed);
  const { n, nPrev, m } = layer;
  const product = (
    rows: number,
    cols: number,
    inner: number,
    a: (i: number, p: number) => number,
    b: (p: number, j: number) => number,
    scale: number,
  ) => {
    const value = new Float64Array(rows * cols),
      size = new Float64Array(rows * cols);
    for (let j = 0; j < cols; j++)
      for (let i = 0; i < rows; i++) {
        let sum = 0,
          magnitude = 0;
        for (let p = 0; p < inner; p++) {
          const term = a(i, p) * b(p, j);
          sum += term;
          magnitude += Math.abs(term);
        }
        value[i + j * rows] = scale * sum;
        size[i + j * rows] = scale * magnitude;
      }
    return { value, size };
  };
  const scale = Number(dtype === 'float32' ? Math.fround(1 / m) : 1 / m);
  return {
    Z: product(
      n,
      m,
      nPrev,
      (i, p) => W[i + p * n],
      (p, j) => A[p + j * nPrev],
      1,
    ),
    dW: product(
      n,
      nPrev,
      m,
      (i, p) => dZ[i + p * n],
      (p, j) => A[j + p * nPrev],
      scale,
    ),
    dA_prev: product(
      nPrev,
      m,
      n,
      (i, p) => W[p + i * n],
      (p, j) => dZ[p + j * n],
      1,
    ),
  };
}

const label = (index: number, dtype: DType, product: string) => {
  const l = LAYERS[index];
  return `${dtype} layer ${l.n}x${l.nPrev} m=${l.m} (${l.why}) ${product}`;
};

function assertSameBits(a: ArrayLike<number>, b: ArrayLike<number>, what: string) {
  assert.is(a.length, b.length, `${what}: lengths`);
  for (let i = 0; i < a.length; i++)
    if (!Object.is(a[i], b[i])) assert.unreachable(`${what}: element ${i} differs: ${a[i]} vs ${b[i]}`);
}

test('each configuration runs in its own process and reports the forced route and instruction set', () => {
  for (const config of CONFIGS) outputs.set(config.name, runConfig(config));
});

test('every route on every supported instruction set matches the float64 reference', () => {
  LAYERS.forEach((_, index) => {
    for (const dtype of DTYPES) {
      const expected = reference(dtype, index);
      for (const product of PRODUCTS) {
        const { value, size } = expected[product];
        for (const [name, result] of outputs) {
          const got = result.get(`${index}-${dtype}-${product}`);
          if (!got) throw new Error(`missing output ${name} ${index}`);
          for (let i = 0; i < got.length; i++) {
            const error = Math.abs(got[i] - value[i]);
            if (!(error <= TOL[dtype] * (size[i] + Number.MIN_VALUE)))
              assert.unreachable(
                `${name}, ${label(index, dtype, product)}: element ${i} is ${got[i]}, expected ${value[i]} (error ${error.toExponential(2)}, magnitude ${size[i].toExponential(2)})`,
              );
          }
        }
      }
    }
  });
});

test('every own kernel is near the generic one; AVX2 and AVX-512 agree bit for bit; the split changes no bit', () => {
  const get = (config: string, key: string) => {
    const values = outputs.get(config)?.get(key);
    if (!values) throw new Error(`missing ${config} ${key}`);
    return values;
  };
  LAYERS.forEach((_, index) => {
    for (const dtype of DTYPES)
      for (const product of PRODUCTS) {
        const key = `${index}-${dtype}-${product}`;
        const what = label(index, dtype, product);
        for (const isa of SUPPORTED)
          for (const parts of [2, 3])
            assertSameBits(
              get(`skinny ${isa} 1 part`, key),
              get(`skinny ${isa} ${parts} parts`, key),
              `${what}: skinny ${isa}, 1 vs ${parts} parts`,
            );
        if (SUPPORTED.includes('avx512') && SUPPORTED.includes('avx2'))
          assertSameBits(get('skinny avx512 1 part', key), get('skinny avx2 1 part', key), `${what}: avx512 vs avx2`);
        const generic = get('skinny generic 1 part', key);
        const { size } = reference(dtype, index)[product];
        for (const isa of SUPPORTED) {
          const own = get(`skinny ${isa} 1 part`, key);
          for (let i = 0; i < own.length; i++)
            if (!(Math.abs(own[i] - generic[i]) <= 2 * TOL[dtype] * (size[i] + Number.MIN_VALUE)))
              assert.unreachable(`${what}: skinny ${isa} element ${i} is ${own[i]}, generic ${generic[i]}`);
        }
      }
  });
});

test('Adam gives the same bits on every instruction set, and split over 2 threads', () => {
  const generic = outputs.get('skinny generic 1 part');
  if (!generic) throw new Error('generic run missing');
  for (const [config, result] of outputs)
    for (const dtype of DTYPES)
      for (const name of ['param', 'v', 's'])
        for (const tag of ['', '-100003-1', '-100003-2']) {
          const key = `adam-${dtype}-${name}${tag}`;
          assertSameBits(generic.get(key) ?? [], result.get(key) ?? [], `${config}: Adam ${key}`);
          if (tag)
            assertSameBits(
              result.get(`adam-${dtype}-${name}-100003-1`) ?? [],
              result.get(key) ?? [],
              `${config}: Adam ${key} vs 1 thread`,
            );
        }
});

test('deterministic: the automatic routes give the same bits in two processes', () => {
  const first = outputs.get('auto'),
    second = outputs.get('auto again');
  if (!first || !second) throw new Error('auto runs missing');
  for (const [key, values] of first) assertSameBits(values, second.get(key) ?? [], `auto ${key}`);
  assert.ok(first.size > 0);
});

function load(env: Record<string, string>) {
  const script = `console.log(JSON.stringify(${LOAD_ADDON}.blasInfo().kernels))`;
  return spawnSync(process.execPath, ['-e', script, root], { encoding: 'utf8', env: { ...process.env, ...env } });
}

test('DNN_NATIVE_ISA / DNN_NATIVE_GEMM: unknown values refused when loading, a missing ISA falls back with a warning', () => {
  const bad = load({ DNN_NATIVE_ISA: 'avx1024' });
  assert.is.not(bad.status, 0);
  assert.match(bad.stderr, /DNN_NATIVE_ISA=avx1024 is not one of avx512, avx2, generic/);
  const badRoute = load({ DNN_NATIVE_GEMM: 'fastest' });
  assert.is.not(badRoute.status, 0);
  assert.match(badRoute.stderr, /DNN_NATIVE_GEMM=fastest/);
  const badParts = load({ DNN_NATIVE_GEMM_PARTS: '0' });
  assert.is.not(badParts.status, 0);
  assert.match(badParts.stderr, /DNN_NATIVE_GEMM_PARTS=0/);
  for (const isa of MISSING) {
    const child = load({ DNN_NATIVE_ISA: isa });
    assert.is(child.status, 0, child.stderr);
    assert.is(JSON.parse(child.stdout).isa, kernels.detected);
    assert.match(child.stderr, /does not support it/);
  }
});

test('several worker threads at once through the shared pool get the main thread’s bits', async () => {
  const threadsBefore = native.getNumThreads();
  native.setNumThreads(2); // the split routes need two threads
  try {
    const layer = LAYERS.find((l) => l.why === 'W2 layer 1');
    if (!layer) throw new Error('W2 layer missing');
    const { W, A } = inputs('float64', layer, 7);
    const share = (values: ArrayLike<number>) => {
      const shared = new Float64Array(new SharedArrayBuffer(values.length * 8));
      shared.set(values);
      return shared;
    };
    const expected = new Float64Array(layer.n * layer.m);
    native.linearForward(expected, W, A, new Float64Array(layer.n), layer.n, layer.nPrev, layer.m);
    const source = `
      const { parentPort, workerData: d } = require('node:worker_threads');
      const b = process.env.DNN_NATIVE_BINARY ? require(require('node:path').resolve(process.env.DNN_NATIVE_BINARY)) : require('node-gyp-build')(d.root);
      const results = [];
      for (let r = 0; r < 4; r++) {
        const Z = new Float64Array(d.n * d.m);
        b.linearForward(Z, d.W, d.A, new Float64Array(d.n), d.n, d.nPrev, d.m);
        results.push(Z);
      }
      parentPort.postMessage(results);`;
    const runs = await Promise.all(
      [0, 1, 2].map(
        () =>
          new Promise<Float64Array[]>((resolve, reject) => {
            const worker = new Worker(source, {
              eval: true,
              workerData: { root, W: share(W), A: share(A), n: layer.n, nPrev: layer.nPrev, m: layer.m },
            });
            worker.once('message', resolve);
            worker.once('error', reject);
          }),
      ),
    );
    for (const results of runs) for (const Z of results) assertSameBits(expected, Z, 'worker Z');
  } finally {
    native.setNumThreads(threadsBefore);
  }
});

test.after(() => fs.rmSync(scratch, { recursive: true, force: true }));

test.run();
