// `dnn-native train --checkpoint FILE` survives kill -9: the same command with --resume continues from FILE, and the
// model it saves equals an uninterrupted run's bit for bit (same thread count).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Model } from '../lib/index';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dnn-cli-checkpoint-'));
const file = (name: string) => path.join(tmp, name);
const cli = path.join(__dirname, '..', 'lib', 'cli', 'index.ts');
const args = (output: string, extra: string[]) => [
  '--import',
  'tsx',
  cli,
  'train',
  '--data',
  'mnist',
  '--task',
  'digits',
  '--limit',
  '12000',
  '--layers',
  '784,64,10',
  '--optimizer',
  'adam',
  '--learning-rate',
  '0.002',
  '--keep-prob',
  '0.9',
  '--epochs',
  '8',
  '--batch-size',
  '64',
  '--dtype',
  'float32',
  '--seed',
  '5',
  '--threads',
  '1',
  '--output',
  output,
  ...extra,
];

test('kill -9 in the middle of a training, then --resume: the same model as an uninterrupted run', async () => {
  const reference = spawnSync(process.execPath, args(file('whole.dnn'), []), { encoding: 'utf8' });
  assert.is(reference.status, 0, reference.stderr);

  const checkpoint = file('run.ckpt');
  const killed = await new Promise<{ signal: string | null; epochs: number }>((resolve) => {
    const child = spawn(process.execPath, args(file('resumed.dnn'), ['--checkpoint', checkpoint]));
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      // after the third epoch's line its checkpoint is on disk: kill mid-epoch four
      if (/epoch 3\/8/.test(out) && !child.killed) child.kill('SIGKILL');
    });
    child.on('close', (_code, signal) => resolve({ signal, epochs: (out.match(/^epoch /gm) ?? []).length }));
  });
  assert.is(killed.signal, 'SIGKILL');
  assert.ok(killed.epochs < 8, `killed before the end (${killed.epochs} epochs printed)`);
  assert.ok(fs.existsSync(checkpoint), 'a checkpoint was written');
  assert.not.ok(fs.existsSync(file('resumed.dnn')), 'the killed run saved no model');

  const resumed = spawnSync(process.execPath, args(file('resumed.dnn'), ['--checkpoint', checkpoint, '--resume']), {
    encoding: 'utf8',
  });
  assert.is(resumed.status, 0, resumed.stderr);
  const printed = (resumed.stdout.match(/^epoch /gm) ?? []).length;
  assert.ok(printed < 8, `the resumed run trained only the remaining epochs (${printed})`);
  const whole = Model.load(file('whole.dnn')),
    again = Model.load(file('resumed.dnn'));
  assert.equal(Array.from(again.flatParameters), Array.from(whole.flatParameters));
});

test('--resume without --checkpoint is refused', () => {
  const run = spawnSync(process.execPath, args(file('x.dnn'), ['--resume']), { encoding: 'utf8' });
  assert.is(run.status, 1);
  assert.match(run.stderr, '--resume continues from the file --checkpoint names');
});

test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
test.run();
