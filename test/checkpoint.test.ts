// Model file format version 2 (header under the checksum, every key required, the optimiser's state stored),
// version 1 files still read, the optimiser's state rolled back with the parameters after a non-finite stop, and
// checkpoints that survive SIGKILL: a resumed run ends with the parameters of one never interrupted, bit for bit.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Matrix, Model, NonFiniteCostError, RandomState } from '../lib/index';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dnn-checkpoint-test-'));
const RUNNER = path.join(__dirname, 'support', 'checkpoint-run.ts');

function dataset(n: number, m: number, seed: number) {
  const rng = new RandomState(seed);
  const X = rng.randn(n, m);
  const Y = Matrix.zeros(1, m);
  for (let j = 0; j < m; j++) Y.set(0, j, X.get(0, j) - 0.5 * X.get(1, j) > 0 ? 1 : 0);
  return { X, Y };
}

/** A version 2 file with its JSON header edited and its checksum made right again (a deliberate forgery). */
function forge(bytes: Buffer, edit: (header: string) => string): Buffer {
  const length = bytes.readUInt32LE(12);
  const header = edit(bytes.toString('utf8', 20, 20 + length));
  const oldDataOffset = Math.ceil((20 + length) / 8) * 8;
  const json = Buffer.from(header, 'utf8');
  const dataOffset = Math.ceil((20 + json.length) / 8) * 8;
  const out = Buffer.alloc(dataOffset + bytes.length - oldDataOffset);
  bytes.copy(out, 0, 0, 20);
  out.writeUInt32LE(json.length, 12);
  json.copy(out, 20);
  bytes.copy(out, dataOffset, oldDataOffset);
  out.writeUInt32LE(crc32(out.subarray(20)), 16);
  return out;
}

/** A version 1 file, as dnn-native wrote them before: header (settings, parameterCount, crc32 of the parameters). */
function versionOne(model: Model, edit: (header: Record<string, unknown>) => void = () => {}): Buffer {
  const params = model.flatParameters;
  const bytes = new Uint8Array(params.buffer, params.byteOffset, params.byteLength);
  const header: Record<string, unknown> = { ...model.config, parameterCount: params.length, crc32: crc32(bytes) };
  edit(header);
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const dataOffset = Math.ceil((16 + json.length) / 8) * 8;
  const file = Buffer.alloc(dataOffset + bytes.length);
  file.write('DNNMODEL', 0, 'latin1');
  file.writeUInt32LE(1, 8);
  file.writeUInt32LE(json.length, 12);
  json.copy(file, 16);
  file.set(bytes, dataOffset);
  return file;
}

function loadError(name: string, bytes: Buffer): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, bytes);
  try {
    Model.load(file);
  } catch (error) {
    return (error as Error).message.replace(`${file}: `, '');
  }
  return 'loaded';
}

test('format v2: the header is under the checksum; keys required, unique, of the right type; a null header names the file', () => {
  const model = new Model({ layerDims: [4, 3, 3], output: 'softmax', hiddenActivation: 'tanh', seed: 1 });
  const file = path.join(tmp, 'softmax.dnn');
  model.save(file);
  const bytes = fs.readFileSync(file);
  assert.is(bytes.readUInt32LE(8), 2);
  // an edit without a new checksum: caught
  const flipped = Buffer.from(bytes.toString('latin1').replace('"l2":0', '"l2":8'), 'latin1');
  assert.is(loadError('flipped-l2.dnn', flipped), 'corrupt: the file does not match its checksum');
  // forgeries with a right checksum: every key is still checked
  const cases: [string, (h: string) => string, string][] = [
    ['no-output', (h) => h.replace('"output":"softmax",', ''), 'corrupt: the header lacks output'],
    [
      'no-hidden',
      (h) => h.replace(/"hiddenActivations":\[[^\]]*\],/, ''),
      'corrupt: the header lacks hiddenActivations',
    ],
    ['duplicate', (h) => h.replace('{', '{"l2":5,'), 'corrupt: the header has the key "l2" twice'],
    [
      'l2-string',
      (h) => h.replace('"l2":0', '"l2":"0"'),
      'corrupt: the stored settings are not valid (options.l2 must be a number, got "0")',
    ],
    [
      'keep-number',
      (h) => h.replace('"keepProb":[1]', '"keepProb":1'),
      'corrupt: keepProb in the header is 1, not a value save() writes',
    ],
    ['extra', (h) => h.replace('{', '{"bias":1,'), 'corrupt: unknown keys in the header: bias'],
    ['null', () => 'null', 'corrupt: the header is null, not an object of settings'],
    [
      'step',
      (h) => h.replace('"optimizerStep":0', '"optimizerStep":-1'),
      'corrupt: optimizerStep -1 is not a whole number >= 0',
    ],
  ];
  for (const [name, edit, message] of cases) assert.is(loadError(`${name}.dnn`, forge(bytes, edit)), message, name);
  assert.is(
    loadError(
      'same.dnn',
      forge(bytes, (h) => h),
    ),
    'loaded',
  );
});

test('format v1 files still load (optimiser afresh); their keys are required too', () => {
  const model = new Model({ layerDims: [5, 4, 1], optimizer: 'adam', seed: 4 });
  const { X, Y } = dataset(5, 30, 1);
  model.fit(X, Y, { iterations: 5 });
  const file = path.join(tmp, 'v1.dnn');
  fs.writeFileSync(file, versionOne(model));
  const loaded = Model.load(file);
  assert.equal(Array.from(loaded.flatParameters), Array.from(model.flatParameters));
  assert.is(loaded.optimizerState().step, 0);
  assert.ok(loaded.optimizerState().velocity!.every((v) => v === 0));
  fs.writeFileSync(
    file,
    versionOne(model, (h) => delete h.output),
  );
  assert.throws(
    () => Model.load(file),
    (e: Error) => e.message === `${file}: corrupt: the header lacks output`,
  );
  fs.writeFileSync(
    file,
    versionOne(model, (h) => (h.beta1 = 'x')),
  );
  assert.throws(() => Model.load(file), /beta1 must be a number/);
});

test('the optimiser state travels in the file: fit after load continues exactly (momentum, Adam, dropout)', () => {
  const { X, Y } = dataset(5, 64, 2);
  for (const optimizer of ['momentum', 'adam'] as const) {
    const options = { layerDims: [5, 8, 1], optimizer, keepProb: 0.8, seed: 6 };
    const fit = { epochs: 2, batchSize: 16, learningRate: 0.05 };
    const straight = new Model(options);
    straight.fit(X, Y, fit);
    straight.fit(X, Y, fit);
    const first = new Model(options);
    first.fit(X, Y, fit);
    const file = path.join(tmp, `${optimizer}.dnn`);
    first.save(file);
    const loaded = Model.load(file);
    loaded.fit(X, Y, fit);
    assert.equal(Array.from(loaded.flatParameters), Array.from(straight.flatParameters), optimizer);
  }
});

test('after a non-finite stop the optimiser state rolls back with the parameters', () => {
  const { X, Y } = dataset(5, 20, 3);
  const cases = [
    ['adam', 1e200, undefined],
    ['adam', 1e200, 10],
    ['momentum', 1e30, undefined],
    ['momentum', 1e30, 10],
  ] as const;
  for (const [optimizer, learningRate, batchSize] of cases) {
    const what = `${optimizer}, ${batchSize ? 'mini-batch' : 'full batch'}`;
    const options = { layerDims: [5, 30, 30, 1], optimizer, seed: 3, init: 'he' as const };
    const fit = { learningRate, ...(batchSize ? { batchSize, epochs: 100 } : { iterations: 400 }) };
    const diverging = new Model(options);
    let stop: NonFiniteCostError | undefined;
    try {
      diverging.fit(X, Y, fit);
    } catch (error) {
      stop = error as NonFiniteCostError;
    }
    assert.instance(stop, NonFiniteCostError, what);
    const d = stop!.iteration;
    // the same run stopped before step d - 1 holds the same parameters and the same optimiser state
    const earlier = new Model(options);
    if (d > 1 && batchSize) earlier.fit(X, Y, { ...fit, epochs: (d - 1) / (20 / batchSize) });
    else if (d > 1) earlier.fit(X, Y, { ...fit, iterations: d - 1 });
    const a = path.join(tmp, 'diverged.dnn'),
      b = path.join(tmp, 'earlier.dnn');
    diverging.save(a);
    earlier.save(b);
    assert.is(diverging.optimizerState().step, earlier.optimizerState().step, `${what}: step`);
    assert.ok(fs.readFileSync(a).equals(fs.readFileSync(b)), `${what}: diverged at ${d}: parameters and state`);
  }
});

function runChild(mode: string, checkpoint: string, output: string, killAfter?: string) {
  return new Promise<{ stdout: string; signal: NodeJS.Signals | null; code: number | null }>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', RUNNER, mode, checkpoint, output], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, OPENBLAS_NUM_THREADS: '1' },
    });
    let stdout = '',
      stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      if (killAfter !== undefined && stdout.includes(killAfter)) child.kill('SIGKILL');
    });
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      signal === null && code !== 0
        ? reject(new Error(`${mode} exited ${code}: ${stderr}`))
        : resolve({ stdout, signal, code }),
    );
  });
}

test('SIGKILL mid-run, then resume: the final parameters equal an uninterrupted run, bit for bit', async () => {
  const checkpoint = path.join(tmp, 'run.ckpt');
  const plainModel = path.join(tmp, 'plain.dnn'),
    resumedModel = path.join(tmp, 'resumed.dnn');
  const [plain, killed] = await Promise.all([
    runChild('plain', path.join(tmp, 'unused.ckpt'), plainModel),
    runChild('checkpoint', checkpoint, path.join(tmp, 'never.dnn'), 'epoch 3\n'),
  ]);
  assert.is(killed.signal, 'SIGKILL');
  assert.not.ok(fs.existsSync(path.join(tmp, 'never.dnn')), 'the killed run did not finish');
  assert.ok(fs.existsSync(checkpoint));
  assert.equal(
    fs.readdirSync(tmp).filter((f) => f.startsWith('.run.ckpt')),
    [],
    'no temporary of a finished write',
  );
  const resumed = await runChild('resume', checkpoint, resumedModel);
  const plainRun = JSON.parse(plain.stdout.trim().split('\n').pop()!);
  const resumedRun = JSON.parse(resumed.stdout.trim().split('\n').pop()!);
  assert.ok(resumedRun.firstEpoch >= 4, `resumed at epoch ${resumedRun.firstEpoch}, not from the start`);
  assert.equal(resumedRun.costs, plainRun.costs);
  assert.is(resumedRun.iterations, plainRun.iterations);
  const a = Model.load(plainModel),
    b = Model.load(resumedModel);
  assert.equal(Array.from(b.flatParameters), Array.from(a.flatParameters));
  assert.equal(b.optimizerState().step, a.optimizerState().step);
  // the checkpoint of a finished run is a model too
  assert.equal(Array.from(Model.load(checkpoint).flatParameters), Array.from(a.flatParameters));
});

test('full batch with dropout: interrupted at a checkpoint and resumed in process, the same end; mismatches refused', () => {
  const { X, Y } = dataset(5, 40, 5);
  const options = { layerDims: [5, 12, 1], keepProb: 0.7, optimizer: 'momentum' as const, seed: 2 };
  const fit = { iterations: 300, learningRate: 0.1, costEvery: 50, seed: 9 };
  const plain = new Model(options);
  const plainResult = plain.fit(X, Y, fit);
  const file = path.join(tmp, 'full.ckpt');
  const interrupted = new Model(options);
  assert.throws(
    () =>
      interrupted.fit(X, Y, {
        ...fit,
        checkpoint: { path: file, every: 100 },
        progressEvery: 100,
        onProgress: (p) => {
          if (p.iteration === 200) throw new Error('interrupted');
        },
      }),
    /interrupted/,
  );
  const resumed = new Model(options);
  // refused before anything changes: other fit options, other data, another model, a plain model file
  const before = Array.from(resumed.flatParameters);
  const resume = { path: file, every: 100, resume: true };
  assert.throws(
    () => resumed.fit(X, Y, { ...fit, learningRate: 0.2, checkpoint: resume }),
    (e: Error) =>
      e.message ===
      `${file}: the checkpoint was written with learningRate 0.1, not 0.2; resume with the same fit options`,
  );
  assert.throws(
    () => resumed.fit(X.columns(0, 39), Y.columns(0, 39), { ...fit, checkpoint: resume }),
    /written while training on other data/,
  );
  assert.throws(
    () => new Model({ ...options, keepProb: 0.6 }).fit(X, Y, { ...fit, checkpoint: resume }),
    /a model with another keepProb/,
  );
  const modelFile = path.join(tmp, 'plain-model.dnn');
  plain.save(modelFile);
  assert.throws(
    () => resumed.fit(X, Y, { ...fit, checkpoint: { ...resume, path: modelFile } }),
    /a model file, not a checkpoint/,
  );
  assert.equal(Array.from(resumed.flatParameters), before);
  const result = resumed.fit(X, Y, { ...fit, checkpoint: resume });
  assert.equal(Array.from(resumed.flatParameters), Array.from(plain.flatParameters));
  assert.equal(result.costs, plainResult.costs);
  assert.equal(result.costAt, plainResult.costAt);
  // resume: true without a file starts afresh
  const fresh = new Model(options);
  fresh.fit(X, Y, { ...fit, checkpoint: { path: path.join(tmp, 'absent.ckpt'), resume: true } });
  assert.equal(Array.from(fresh.flatParameters), Array.from(plain.flatParameters));
  assert.throws(
    () => fresh.fit(X, Y, { checkpoint: { path: file, evry: 1 } as never }),
    /checkpoint.evry is not an option/,
  );
  assert.throws(() => fresh.fit(X, Y, { checkpoint: { path: '' } }), /options.checkpoint.path must be a non-empty/);
  assert.throws(
    () => fresh.fit(X, Y, { ...fit, validationSplit: 0.25, checkpoint: resume }),
    /resume with earlyStopping is not supported yet/,
  );
});

test('fitAsync writes the same checkpoints and resumes from them like fit', async () => {
  const { X, Y } = dataset(4, 48, 8);
  const options = { layerDims: [4, 6, 1], optimizer: 'adam' as const, keepProb: 0.9, seed: 4 };
  const fit = { epochs: 4, batchSize: 16, learningRate: 0.02 };
  const plain = new Model(options);
  plain.fit(X, Y, fit);
  const file = path.join(tmp, 'async.ckpt');
  const half = new Model(options);
  await half.fitAsync(X, Y, { ...fit, epochs: 4, checkpoint: { path: file } });
  assert.equal(Array.from(Model.load(file).flatParameters), Array.from(plain.flatParameters));
  // a checkpoint two epochs in, resumed in a worker
  const first = new Model(options);
  assert.throws(
    () =>
      first.fit(X, Y, {
        ...fit,
        checkpoint: { path: file, every: 2 },
        onProgress: (p) => {
          if (p.epoch === 1) throw new Error('stop');
        },
      }),
    /stop/,
  );
  const resumed = new Model(options);
  const result = await resumed.fitAsync(X, Y, { ...fit, checkpoint: { path: file, resume: true } });
  assert.is(result.costs.length, 4);
  assert.equal(Array.from(resumed.flatParameters), Array.from(plain.flatParameters));
});

test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test.run();
