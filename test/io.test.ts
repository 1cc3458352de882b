// lib/io.ts against real failures: a full disk (a 64 KB tmpfs), special files and links, concurrent writers in
// worker threads, a writer killed mid-save, and reads of devices, pipes and oversized files.

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadCsv, Model, readIdx } from '../lib/index';
import { readFileChecked, writeFileAtomic } from '../lib/io';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dnn-io-test-'));
const IO = JSON.stringify(path.join(__dirname, '..', 'lib', 'io.ts'));

function temporaries(dir: string): string[] {
  return fs.readdirSync(dir).filter((name) => name.endsWith('.tmp'));
}

/** A pid that is certainly not running: a child that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

test('full disk (64 KB tmpfs): a save that does not fit throws and keeps the previous model, with no temporary left', () => {
  const disk = path.join(tmp, 'small-disk');
  fs.mkdirSync(disk);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', disk], { stdio: 'pipe' });
  } catch (error) {
    console.log(
      `  (skipped the full-disk test: cannot mount a tmpfs here: ${(error as Error).message.split('\n')[0]})`,
    );
    return;
  }
  try {
    const file = path.join(disk, 'model.dnn');
    const small = new Model({ layerDims: [20, 10, 1], seed: 1 }); // ~1.8 KB
    small.save(file);
    const large = new Model({ layerDims: [100, 100, 1], seed: 2 }); // ~81 KB: more than the disk holds
    assert.throws(
      () => large.save(file),
      (e: Error) => /no space left on the device/.test(e.message) && /previous file is unchanged/.test(e.message),
    );
    assert.equal(Array.from(Model.load(file).flatParameters), Array.from(small.flatParameters));
    assert.equal(temporaries(disk), []);
    // the writer itself, with bytes: every byte or an error
    assert.throws(() => writeFileAtomic(path.join(disk, 'big.bin'), new Uint8Array(200_000)), /no space left/);
    assert.not.ok(fs.existsSync(path.join(disk, 'big.bin')));
    assert.equal(temporaries(disk), []);
  } finally {
    execFileSync('umount', [disk]);
  }
});

test('special files are written in place, links are followed, the mode is kept, inputs are refused', async () => {
  writeFileAtomic('/dev/null', 'nothing');
  assert.ok(fs.statSync('/dev/null').isCharacterDevice(), '/dev/null is still a device');

  // /dev/stdout of a process whose stdout is a pipe: /proc/self/fd/1 is a link readlink cannot follow
  const child = spawnSync(
    process.execPath,
    ['--import', 'tsx', '-e', `require(${IO}).writeFileAtomic('/dev/stdout', 'through the pipe')`],
    { encoding: 'utf8' },
  );
  assert.is(child.stderr, '');
  assert.is(child.stdout, 'through the pipe');
  // stdout redirected to a file: written at the descriptor's offset, so later output follows it in the same file
  const redirected = path.join(tmp, 'redirected.txt');
  const out = fs.openSync(redirected, 'w');
  spawnSync(
    process.execPath,
    ['--import', 'tsx', '-e', `require(${IO}).writeFileAtomic('/dev/stdout', 'model\\n'); console.log('saved')`],
    { stdio: ['ignore', out, 'inherit'] },
  );
  fs.closeSync(out);
  assert.is(fs.readFileSync(redirected, 'utf8'), 'model\nsaved\n');

  const target = path.join(tmp, 'v3.dnn'),
    link = path.join(tmp, 'current.dnn');
  new Model({ layerDims: [3, 2, 1], seed: 1 }).save(target);
  fs.symlinkSync('v3.dnn', link);
  const replacement = new Model({ layerDims: [3, 2, 1], seed: 9 });
  replacement.save(link);
  assert.ok(fs.lstatSync(link).isSymbolicLink(), 'the link is still a link');
  assert.equal(Array.from(Model.load(target).flatParameters), Array.from(replacement.flatParameters));

  const secret = path.join(tmp, 'secret.dnn');
  fs.writeFileSync(secret, 'old');
  fs.chmodSync(secret, 0o600);
  replacement.save(secret);
  assert.is(fs.statSync(secret).mode & 0o777, 0o600);

  const data = path.join(tmp, 'train.csv');
  fs.writeFileSync(data, 'a,y\n1,0\n');
  assert.throws(
    () => writeFileAtomic(link, 'x', { inputs: [data, target] }),
    (e: Error) => e.message.includes('refusing to overwrite') && e.message.includes(target),
  );
  assert.throws(() => writeFileAtomic(data, 'x', { inputs: [data] }), /refusing to overwrite/);
  assert.throws(() => replacement.save(data, { inputs: [data] }), /refusing to overwrite/);
  assert.throws(() => replacement.save(link, { inputs: [target] }), /refusing to overwrite/);
  assert.is(fs.readFileSync(data, 'utf8'), 'a,y\n1,0\n');
});

test('concurrent saves to one path from worker threads: every save complete, the file always whole', async () => {
  const file = path.join(tmp, 'shared.bin');
  const size = 256 * 1024;
  const source = `
    const { workerData, parentPort } = require('node:worker_threads');
    require('tsx/cjs');
    const { writeFileAtomic } = require(${IO});
    let failures = 0;
    for (let i = 0; i < 40; i++) {
      try { writeFileAtomic(workerData.file, new Uint8Array(workerData.size).fill(workerData.byte)); }
      catch (e) { failures++; parentPort.postMessage(e.message); }
    }
    parentPort.postMessage({ failures });`;
  const outcomes = await Promise.all(
    [1, 2, 3, 4].map(
      (byte) =>
        new Promise<unknown>((resolve, reject) => {
          const worker = new Worker(source, { eval: true, workerData: { file, size, byte } });
          worker.on('message', (message) =>
            typeof message === 'string' ? reject(new Error(message)) : resolve(message),
          );
          worker.on('error', reject);
        }),
    ),
  );
  assert.equal(outcomes, [{ failures: 0 }, { failures: 0 }, { failures: 0 }, { failures: 0 }]);
  const bytes = fs.readFileSync(file);
  assert.is(bytes.length, size);
  assert.ok(
    bytes.every((b) => b === bytes[0]),
    'one writer wrote the whole file',
  );
  assert.equal(temporaries(tmp), []);
});

test('a writer killed with SIGKILL mid-save leaves the target whole; the next save removes its temporaries', async () => {
  const dir = fs.mkdtempSync(path.join(tmp, 'killed-'));
  const file = path.join(dir, 'big.bin');
  const size = 32 * 1024 * 1024;
  fs.writeFileSync(file, new Uint8Array(size).fill(7));
  const writer = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '-e',
      `const { writeFileAtomic } = require(${IO});
       const bytes = new Uint8Array(${size}).fill(8);
       process.stdout.write('ready\\n');
       for (;;) writeFileAtomic(${JSON.stringify(file)}, bytes);`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise((resolve) => writer.stdout.once('data', resolve));
  await new Promise((resolve) => setTimeout(resolve, 150));
  writer.kill('SIGKILL');
  await new Promise((resolve) => writer.once('exit', resolve));
  const bytes = fs.readFileSync(file);
  assert.is(bytes.length, size);
  assert.ok(
    bytes.every((b) => b === bytes[0]),
    'the target is one whole version',
  );
  // a leftover of a dead writer is removed, one of a live writer is kept
  fs.writeFileSync(path.join(dir, `.big.bin.${deadPid()}.0123456789ab.tmp`), 'stale');
  const live = path.join(dir, `.big.bin.${process.ppid}.0123456789ab.tmp`);
  fs.writeFileSync(live, 'in progress');
  writeFileAtomic(file, 'new');
  assert.equal(temporaries(dir), [path.basename(live)]);
  assert.is(fs.readFileSync(file, 'utf8'), 'new');
});

test('reads: devices, pipes and FIFOs are refused at once; files over the cap are refused before reading', () => {
  const fifo = path.join(tmp, 'fifo');
  execFileSync('mkfifo', [fifo]);
  for (const file of ['/dev/zero', '/dev/stdin', fifo]) {
    assert.throws(
      () => Model.load(file),
      (e: Error) => e.message === `${file}: not a regular file (a device, pipe or socket); give a model file`,
      file,
    );
    assert.throws(() => loadCsv(file), /not a regular file/, `loadCsv ${file}`);
    assert.throws(() => readIdx(file), /not a regular file/, `readIdx ${file}`);
    assert.throws(() => readIdx(file, { limit: 1 }), /not a regular file/);
  }
  // a model file padded (sparsely) to 3 GB: refused from its header, without reading the padding
  const padded = path.join(tmp, 'padded.dnn');
  new Model({ layerDims: [3, 2, 1], seed: 1 }).save(padded);
  const modelBytes = fs.statSync(padded).size;
  fs.truncateSync(padded, 3 * 1024 ** 3);
  const started = performance.now();
  assert.throws(
    () => Model.load(padded),
    (e: Error) =>
      e.message === `${padded}: corrupt: ${3 * 1024 ** 3 - modelBytes} unexpected bytes after the parameters`,
  );
  assert.ok(performance.now() - started < 1000, 'refused without reading 3 GB');
  fs.rmSync(padded);
  const csv = path.join(tmp, 'big.csv');
  fs.writeFileSync(csv, 'a,y\n1,0\n2,1\n');
  assert.throws(
    () => loadCsv(csv, { maxBytes: 8 }),
    (e: Error) => e.message === `${csv}: the CSV file has 12 bytes, more than the 8 allowed`,
  );
  assert.is(loadCsv(csv, { maxBytes: 12 }).X.cols, 2);
  assert.throws(() => readFileChecked(csv, 'data file', 11), /more than the 11 allowed/);
  assert.throws(() => readIdx(csv, { maxBytes: 4 }), /IDX file has 12 bytes, more than the 4 allowed/);
});

test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test.run();
