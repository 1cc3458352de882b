// scripts/setup.js (run before npm test, start and bench): after a C++ or TypeScript edit it must rebuild, so that
// the suite never runs stale code.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const { staleOutputs } = require('../scripts/setup.js') as {
  staleOutputs(base: string): { addon: boolean; typescript: boolean };
};

function tree(): { base: string; at: (file: string, seconds: number) => void } {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'dnn-setup-'));
  const at = (file: string, seconds: number) => {
    const full = path.join(base, file);
    fs.mkdirSync(path.dirname(full), { recursive: true });
    if (!fs.existsSync(full)) fs.writeFileSync(full, '');
    fs.utimesSync(full, seconds, seconds);
  };
  return { base, at };
}

test('outputs newer than every source are current', () => {
  const { base, at } = tree();
  at('native/kernels/linear.cpp', 1000);
  at('native/binding/args.hpp', 1000);
  at('CMakeLists.txt', 1000);
  at('lib/model/model.ts', 1000);
  at('binding.d.ts', 1000);
  at('build/Release/dnn_native.node', 2000);
  at('dist/lib/index.js', 2000);
  assert.equal(staleOutputs(base), { addon: false, typescript: false });
  fs.rmSync(base, { recursive: true });
});

test('a C++ source, a header or CMakeLists.txt newer than the addon makes it stale; TypeScript likewise', () => {
  for (const [source, expected] of [
    ['native/kernels/linear.cpp', { addon: true, typescript: false }],
    ['native/binding/args.hpp', { addon: true, typescript: false }],
    ['CMakeLists.txt', { addon: true, typescript: false }],
    ['lib/model/model.ts', { addon: false, typescript: true }],
    ['binding.d.ts', { addon: false, typescript: true }],
    ['bench/run.ts', { addon: false, typescript: true }],
  ] as const) {
    const { base, at } = tree();
    at('native/kernels/linear.cpp', 1000);
    at('lib/index.ts', 1000);
    at('build/Release/dnn_native.node', 2000);
    at('dist/lib/index.js', 2000);
    at(source, 3000);
    assert.equal(staleOutputs(base), expected, source);
    fs.rmSync(base, { recursive: true });
  }
});

test('missing compiled TypeScript is stale; a prebuilt addon with no local build is left alone', () => {
  const { base, at } = tree();
  at('native/kernels/linear.cpp', 1000);
  at('lib/index.ts', 1000);
  assert.equal(staleOutputs(base), { addon: false, typescript: true });
  fs.rmSync(base, { recursive: true });
});

test.run();
