// The built package as users load it: require('dnn-native') and import { ... } from 'dnn-native' from plain Node
// (no tsx), through the package's exports map, with its declarations present.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const root = path.resolve(__dirname, '..');
const project = fs.mkdtempSync(path.join(os.tmpdir(), 'dnn-consumer-'));
fs.mkdirSync(path.join(project, 'node_modules'));
fs.symlinkSync(root, path.join(project, 'node_modules', 'dnn-native'), 'dir');

function run(file: string, source: string) {
  fs.writeFileSync(path.join(project, file), source);
  // a plain node: no tsx loader from this test runner
  const child = spawnSync(process.execPath, [file], {
    cwd: project,
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  return { status: child.status, out: child.stdout.trim(), err: child.stderr.trim() };
}

const TRAIN = `
const X = Matrix.fromRows([[0, 1, 0, 1], [0, 0, 1, 1]]);
const Y = Matrix.fromRows([[0, 1, 1, 1]]);
const model = new Model({ layerDims: [2, 4, 1], seed: 3, init: 'he' });
model.fit(X, Y, { iterations: 500, learningRate: 0.5 });
console.log(JSON.stringify({ predictions: Array.from(model.predict(X).data), kernel: blasInfo().coreName.length > 0 }));`;

test('require("dnn-native") from CommonJS', () => {
  const r = run('consumer.cjs', `const { Matrix, Model, blasInfo } = require('dnn-native');${TRAIN}`);
  assert.is(r.status, 0, r.err);
  assert.equal(JSON.parse(r.out), { predictions: [0, 1, 1, 1], kernel: true });
});

test('import { ... } from "dnn-native" from an ES module', () => {
  const r = run('consumer.mjs', `import { Matrix, Model, blasInfo } from 'dnn-native';${TRAIN}`);
  assert.is(r.status, 0, r.err);
  assert.equal(JSON.parse(r.out), { predictions: [0, 1, 1, 1], kernel: true });
});

test('the raw binding subpath and the type declarations ship', () => {
  const r = run(
    'binding.cjs',
    `const b = require('dnn-native/binding'); console.log(typeof b.linearForward, typeof b.Network);`,
  );
  assert.is(r.status, 0, r.err);
  assert.is(r.out, 'function function');
  const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  for (const file of [manifest.types, manifest.exports['.'].types, manifest.exports['./binding'].types])
    assert.ok(fs.existsSync(path.join(root, file)), `${file} exists`);
});

test.after(() => fs.rmSync(project, { recursive: true, force: true }));
test.run();
