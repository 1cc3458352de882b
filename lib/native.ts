// Loads the native addon: build/Release (a local build) first, then prebuilds/<platform>-<arch>/.
import fs from 'node:fs';
import path from 'node:path';
import type * as Native from '../binding';

/** The package root: the nearest folder above this file with dnn-native's package.json (lib/ or dist/lib/). */
function packageRoot(): string {
  let dir = __dirname;
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest) && JSON.parse(fs.readFileSync(manifest, 'utf8')).name === 'dnn-native') return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`dnn-native: cannot find the package root above ${__dirname}`);
    dir = parent;
  }
}

export const root = packageRoot();

function load(): typeof Native {
  // DNN_NATIVE_BINARY: load this addon file instead (scripts/sanitize.sh points it at the sanitizer build)
  const explicit = process.env.DNN_NATIVE_BINARY;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return explicit ? require(path.resolve(explicit)) : require('node-gyp-build')(root);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(
      `dnn-native: the native addon${explicit ? ` ${explicit} (DNN_NATIVE_BINARY)` : ''} could not be loaded (${reason.split('\n')[0]}). ` +
        'Build it with `npm run build:native` (needs cmake, a C++ compiler and OpenBLAS: apt-get install libopenblas-dev).',
    );
  }
}

const native: typeof Native = load();
export default native;
export type { ActivationCode, BlasInfo, FloatArray, NetworkSpec } from '../binding';
