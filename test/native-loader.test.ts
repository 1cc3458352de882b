// The loader's errors, as a user who installed the package meets them: the OpenBLAS runtime library missing, or
// no binary at all because the install step did not run. Each says what to do in the user's terms.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadErrorMessage } from '../lib/native';

const root = path.resolve(__dirname, '..');
const NO_BUILD =
  'No native build was found for platform=linux arch=x64 runtime=node abi=115 uv=1 libc=glibc node=20.19.0\n' +
  '    loaded from: /app/node_modules/dnn-native\n';

test('a missing OpenBLAS runtime library names the runtime package, not the build tools', () => {
  const message = loadErrorMessage('libopenblas.so.0: cannot open shared object file: No such file or directory');
  assert.match(message, 'needs the OpenBLAS runtime library (libopenblas.so.0), which is not installed');
  assert.match(message, 'apt-get install libopenblas0 (Debian/Ubuntu)');
  assert.not.match(message, 'build:native');
});

test('another missing shared library is named as the linker named it', () => {
  const message = loadErrorMessage('libgfortran.so.5: cannot open shared object file: No such file or directory');
  assert.match(message, 'needs the shared library libgfortran.so.5, which is not installed');
});

test('no binary (install scripts skipped) says `npm rebuild dnn-native`, never a script the user lacks', () => {
  const message = loadErrorMessage(NO_BUILD);
  assert.match(message, `is not built for ${process.platform}-${process.arch}`);
  assert.match(message, 'Build it with `npm rebuild dnn-native` (compiles from source');
  assert.match(message, 'libopenblas-dev');
  assert.not.match(message, 'npm run');
});

test('any other failure keeps its first line and says how to rebuild; DNN_NATIVE_BINARY is named', () => {
  const message = loadErrorMessage('/x/dnn_native.node: invalid ELF header\nmore', '/x/dnn_native.node');
  assert.match(message, 'native addon /x/dnn_native.node (DNN_NATIVE_BINARY) could not be loaded');
  assert.match(message, '(/x/dnn_native.node: invalid ELF header). Rebuild it with `npm rebuild dnn-native`');
  assert.not.match(message, 'more');
});

/**
 * A package folder holding the compiled loader (dist/lib/native.js) and, optionally, build/Release/dnn_native.node;
 * returns the stderr and status of loading it from plain Node.
 */
function loadFrom(addon: Buffer | null): { status: number | null; err: string } {
  const pkg = fs.mkdtempSync(path.join(os.tmpdir(), 'dnn-loader-'));
  try {
    fs.writeFileSync(path.join(pkg, 'package.json'), '{ "name": "dnn-native" }\n');
    fs.mkdirSync(path.join(pkg, 'dist', 'lib'), { recursive: true });
    fs.copyFileSync(path.join(root, 'dist', 'lib', 'native.js'), path.join(pkg, 'dist', 'lib', 'native.js'));
    fs.mkdirSync(path.join(pkg, 'node_modules'));
    fs.symlinkSync(path.join(root, 'node_modules', 'node-gyp-build'), path.join(pkg, 'node_modules', 'node-gyp-build'));
    if (addon) {
      fs.mkdirSync(path.join(pkg, 'build', 'Release'), { recursive: true });
      fs.writeFileSync(path.join(pkg, 'build', 'Release', 'dnn_native.node'), addon);
    }
    const child = spawnSync(process.execPath, ['-e', "require('./dist/lib/native.js')"], {
      cwd: pkg,
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: '', DNN_NATIVE_BINARY: '' },
    });
    return { status: child.status, err: child.stderr };
  } finally {
    fs.rmSync(pkg, { recursive: true, force: true });
  }
}

test('for real: a package with neither build/ nor prebuilds/ fails with the rebuild advice', () => {
  const { status, err } = loadFrom(null);
  assert.is.not(status, 0);
  assert.match(err, 'Error: dnn-native: the native addon is not built for');
  assert.match(err, '`npm rebuild dnn-native`');
});

test('for real: the dynamic linker cannot find the OpenBLAS library the addon links', () => {
  // the built addon with its DT_NEEDED entry renamed (same length) to a library no machine has, so that dlopen
  // fails exactly as it does where libopenblas0 is not installed
  const addon = fs.readFileSync(path.join(root, 'build', 'Release', 'dnn_native.node'));
  const needed = Buffer.from('libopenblas.so.0\0');
  const at = addon.indexOf(needed);
  assert.ok(at > 0, 'the addon names libopenblas.so.0');
  Buffer.from('libopenblas.so.9\0').copy(addon, at);
  const { status, err } = loadFrom(addon);
  assert.is.not(status, 0);
  assert.match(err, 'needs the OpenBLAS runtime library (libopenblas.so.9), which is not installed');
  assert.match(err, 'apt-get install libopenblas0');
});

test.run();
