// Crashes from buffers that change under the binding, and from process exit while workers train. Each repro runs in
// a child process (a crash there is a failed test, not a dead suite) against the addon the suite loads.

import { spawn } from 'node:child_process';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const root = path.join(__dirname, '..');
// The addon, loaded as test/bad-input.test.ts's child cases load it (DNN_NATIVE_BINARY: scripts/sanitize.sh's build).
const loadNative = `(process.env.DNN_NATIVE_BINARY ? require(require('node:path').resolve(process.env.DNN_NATIVE_BINARY)) : require(${JSON.stringify(require.resolve('node-gyp-build'))})(${JSON.stringify(root)}))`;

interface ChildResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function runChild(script: string, nodeOptions: string[] = [], timeout = 60_000): Promise<ChildResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...nodeOptions, '-e', script], { cwd: root, timeout });
    let stdout = '',
      stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr }));
  });
}

const outcome = (r: ChildResult) =>
  `status ${r.status} signal ${r.signal}: ${r.stdout.trim()} ${r.stderr.trim().split('\n').slice(0, 3).join(' | ')}`;

// params, nextParams and grads: views of one resizable ArrayBuffer (as the Model lays them out), then shrunk to P
// elements. Before: the network trusted `buffer.resizable`, and re-checked only the first view of each buffer per
// call, so trainStep wrote nextParams and grads into released memory (SIGSEGV).
const shrinkRepro = (spoof: string) => `
  ${spoof}
  const native = ${loadNative};
  const dims = [256, 64, 1], cap = 5, P = native.parameterCount(dims); // large enough that shrinking releases pages
  const ab = new ArrayBuffer(8 * 3 * P, { maxByteLength: 8 * 3 * P });
  if (typeof spoofBuffer === 'function') spoofBuffer(ab);
  const params = new Float64Array(ab, 0, P).fill(0.1), nextParams = new Float64Array(ab, 8 * P, P), grads = new Float64Array(ab, 16 * P, P);
  const X = new Float64Array(256 * cap).fill(1), Y = new Float64Array(cap).fill(1);
  let net;
  try {
    net = new native.Network({ layerDims: dims, activations: [1, 2], capacity: cap, params, nextParams, grads, workspace: new Float64Array(native.workspaceLength(dims, cap)) });
  } catch (e) { console.log('constructor threw', e.constructor.name, e.message); process.exit(0); }
  net.trainStep(X, Y, cap, 0.1);
  ab.resize(8 * P);
  try { console.log('returned', net.trainStep(X, Y, cap, 0.1)); } catch (e) { console.log('trainStep threw', e.constructor.name, e.message); }`;

test('raw Network: a resizable buffer whose own `resizable` property lies is refused when bound', async () => {
  const r = await runChild(
    shrinkRepro(`const spoofBuffer = (ab) => Object.defineProperty(ab, 'resizable', { value: false });`),
  );
  assert.is(r.status, 0, outcome(r));
  assert.match(r.stdout, /^constructor threw TypeError new Network: params is a view of a resizable ArrayBuffer/m);
});

test('raw Network: with ArrayBuffer.prototype patched after the addon loaded, a resizable buffer is still refused', async () => {
  const r = await runChild(
    shrinkRepro(
      `const spoofBuffer = () => Object.defineProperty(ArrayBuffer.prototype, 'resizable', { get() { return false; } });`,
    ),
  );
  assert.is(r.status, 0, outcome(r));
  assert.match(r.stdout, /^constructor threw TypeError new Network: params is a view of a resizable ArrayBuffer/m);
});

// Patched before the addon loads, the getter it takes lies too: binding succeeds, and then every bound view is
// re-checked on every call, so the shrink is found (nextParams is the first view the shrunk buffer no longer covers).
test('raw Network: with ArrayBuffer.prototype patched before the addon loaded, a shrunk buffer makes calls throw', async () => {
  const r = await runChild(
    shrinkRepro(`Object.defineProperty(ArrayBuffer.prototype, 'resizable', { get() { return false; } });`),
  );
  assert.is(r.status, 0, outcome(r));
  assert.match(r.stdout, /^trainStep threw TypeError Network\.trainStep: nextParams's buffer was detached/m);
});

// gatherColumns' indices on a SharedArrayBuffer that a worker flips between 0 and 0x7fffffff. Before: the indices
// were checked, then read again by the kernel, which gathered from far outside X (SIGSEGV within a second).
test('raw gatherColumns: indices flipped by another thread are read once: right columns or a RangeError, no crash', async () => {
  const r = await runChild(`
    const native = ${loadNative};
    const { Worker } = require('node:worker_threads');
    const n = 4, columns = 3, count = 64;
    const X = new Float64Array(n * columns).map((_, i) => i); // column c holds 4c .. 4c + 3
    const indices = new Uint32Array(new SharedArrayBuffer(4 * count));
    const stop = new Int32Array(new SharedArrayBuffer(4));
    const worker = new Worker(\`
      const { workerData: { indices, stop } } = require('node:worker_threads');
      Atomics.store(stop, 0, 2); // started
      // one index at a time goes far out of range and back: most calls pass the check, then meet the flip
      for (let i = 0; Atomics.load(stop, 0) !== 1; i++) {
        Atomics.store(indices, i % indices.length, 0x7fffffff);
        Atomics.store(indices, i % indices.length, 0);
      }
    \`, { eval: true, workerData: { indices, stop } });
    while (Atomics.load(stop, 0) !== 2) Atomics.wait(stop, 0, 0, 5);
    const out = new Float64Array(n * count);
    let returned = 0, refused = 0;
    const until = Date.now() + 1500;
    while (Date.now() < until) {
      try {
        native.gatherColumns(out, X, n, indices);
        returned++;
        for (let k = 0; k < out.length; k++) if (out[k] !== k % n) { console.log('wrong column', k, out[k]); process.exit(1); }
      } catch (e) {
        if (!(e instanceof RangeError) || !/^gatherColumns: indices\\[\\d+\\] = 2147483647 is not a column of X/.test(e.message)) { console.log('threw', e); process.exit(1); }
        refused++;
      }
    }
    Atomics.store(stop, 0, 1);
    worker.terminate().then(() => console.log('ok ' + returned + ' ' + refused));`);
  assert.is(r.status, 0, outcome(r));
  const [, returned, refused] = r.stdout.match(/^ok (\d+) (\d+)$/m) ?? [];
  assert.ok(Number(returned) + Number(refused) > 100, `calls made: ${r.stdout.trim()}`);
  assert.ok(Number(refused) > 0, `the worker's flips were seen: ${r.stdout.trim()}`);
});

// process.exit(3) while worker threads are inside binding calls. Before: node-addon-api rethrew an error it could not
// hand to the dying environment as a C++ exception, and the process aborted ("terminate called after throwing an
// instance of 'Napi::Error'", exit 134; or "FATAL ERROR: Error::Error napi_define_properties"): about one fitAsync run
// in 8, and 4 raw runs in 5.
async function exitCodes(runs: number, script: (run: number) => string, nodeOptions: string[] = []): Promise<string[]> {
  const failures: string[] = [];
  const parallel = 2;
  for (let first = 0; first < runs; first += parallel) {
    const batch = Array.from({ length: Math.min(parallel, runs - first) }, (_, k) => first + k);
    const results = await Promise.all(batch.map((run) => runChild(script(run), nodeOptions)));
    results.forEach((r, k) => {
      if (r.status !== 3) failures.push(`run ${batch[k]}: ${outcome(r)}`);
    });
  }
  return failures;
}

const sanitized = process.env.DNN_SANITIZE === '1'; // each child is slower under the sanitizers

test('process.exit while three workers build and train raw Networks exits with its code, every time (40 runs)', async () => {
  const worker = `
    const { parentPort } = require('node:worker_threads');
    const native = ${loadNative};
    const dims = [8, 16, 1], cap = 64, P = native.parameterCount(dims);
    const X = new Float64Array(8 * cap).fill(0.5), Y = new Float64Array(cap).fill(1);
    for (let i = 0; ; i++) {
      const net = new native.Network({ layerDims: dims, activations: [1, 2], capacity: cap, params: new Float64Array(P).fill(0.01),
        nextParams: new Float64Array(P), grads: new Float64Array(P), workspace: new Float64Array(native.workspaceLength(dims, cap)) });
      net.trainStep(X, Y, cap, 0.1);
      if (i % 4 === 0) parentPort.postMessage(i);
    }`;
  const failures = await exitCodes(
    sanitized ? 10 : 40,
    (run) => `
    const { Worker } = require('node:worker_threads');
    let started = 0;
    for (let i = 0; i < 3; i++)
      new Worker(${JSON.stringify(worker)}, { eval: true }).once('message', () => { if (++started === 3) setTimeout(() => process.exit(3), ${run % 8}); });`,
  );
  assert.equal(failures, [], failures.join('\n'));
});

test('process.exit during three fitAsync trainings exits with its code, every time', async () => {
  const failures = await exitCodes(
    sanitized ? 4 : 8,
    (run) => `
    const { Model, Matrix, RandomState } = require(${JSON.stringify(path.join(root, 'lib', 'index.ts'))});
    const rng = new RandomState(1);
    const X = rng.randn(8, 256), Y = Matrix.zeros(1, 256);
    for (let j = 0; j < 256; j++) Y.data[j] = X.get(0, j) > 0 ? 1 : 0;
    let exiting = false;
    const onProgress = () => { if (!exiting) { exiting = true; setTimeout(() => process.exit(3), ${run % 8}); } };
    for (let i = 0; i < 3; i++)
      new Model({ layerDims: [8, 16, 1], seed: i }).fitAsync(X, Y, { iterations: 1e7, progressEvery: 1, onProgress }).catch(() => {});`,
    ['--import', 'tsx'],
  );
  assert.equal(failures, [], failures.join('\n'));
});

test.run();
