#!/usr/bin/env node
// npm's install step: load a prebuilt binary (prebuilds/<platform>-<arch>/) or an existing local build if one
// works; otherwise compile from source with cmake-js. node-gyp-build's own install command only knows node-gyp.

const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');

function loads() {
  try {
    require('node-gyp-build')(root);
    return true;
  } catch {
    return false;
  }
}

function hasOpenBlas() {
  const probe = spawnSync('pkg-config', ['--exists', 'openblas'], { stdio: 'ignore' });
  if (probe.error) return undefined; // no pkg-config: let CMake search
  return probe.status === 0;
}

if (process.env.DNN_NATIVE_FORCE_BUILD !== '1' && loads()) process.exit(0);

if (hasOpenBlas() === false) {
  console.error(
    'dnn-native: OpenBLAS is not installed; install the system package first: apt-get install libopenblas-dev (Debian/Ubuntu), dnf install openblas-devel (Fedora), brew install openblas (macOS).',
  );
  process.exit(1);
}

const cmakeJs = path.join(path.dirname(require.resolve('cmake-js/package.json')), 'bin', 'cmake-js');
const build = spawnSync(process.execPath, [cmakeJs, 'rebuild'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) {
  console.error(
    'dnn-native: building the native addon failed; it needs cmake (>= 3.15), a C++17 compiler and OpenBLAS (apt-get install cmake g++ libopenblas-dev).',
  );
  process.exit(build.status ?? 1);
}
