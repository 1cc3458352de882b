#!/usr/bin/env node
// npm's install step: load a prebuilt binary (prebuilds/<platform>-<arch>/) or an existing local build if one
// works; otherwise compile from source with cmake-js. node-gyp-build's own install command only knows node-gyp.

const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');

/** null when the addon (a prebuild or a local build) loads, else the loader's error message. */
function loadError() {
  try {
    require('node-gyp-build')(root);
    return null;
  } catch (error) {
    return String(error?.message ?? error);
  }
}

function hasOpenBlas() {
  const probe = spawnSync('pkg-config', ['--exists', 'openblas'], { stdio: 'ignore' });
  if (probe.error) return undefined; // no pkg-config: let CMake search
  return probe.status === 0;
}

const forced = process.env.DNN_NATIVE_FORCE_BUILD === '1';
const error = forced ? 'DNN_NATIVE_FORCE_BUILD=1' : loadError();
if (error === null) process.exit(0);
// A binary is there but the OpenBLAS runtime library is not: that package is all it needs, no compiler. Not an
// install failure: an image may install packages before the system libraries (the loader says the same at run time).
const missing = /(libopenblas[\w.+-]*\.so[\d.]*): cannot open shared object file/.exec(error)?.[1];
if (missing) {
  console.warn(
    `dnn-native: the addon needs the OpenBLAS runtime library (${missing}), which is not installed: apt-get install libopenblas0 (Debian/Ubuntu), dnf install openblas (Fedora), brew install openblas (macOS).`,
  );
  process.exit(0);
}

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
