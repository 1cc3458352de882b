// Loads the native addon: build/Release (a local build) first, then prebuilds/<platform>-<arch>/.
import fs from 'node:fs';
import path from 'node:path';
import type * as Native from '../binding';

/** The package root and version: the nearest folder above this file with dnn-native's package.json. */
function packageManifest(): { root: string; version: string } {
  let dir = __dirname;
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest)) {
      const { name, version } = JSON.parse(fs.readFileSync(manifest, 'utf8'));
      if (name === 'dnn-native') return { root: dir, version };
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`dnn-native: cannot find the package root above ${__dirname}`);
    dir = parent;
  }
}

const manifest = packageManifest();
/** The package's folder (lib/ and dist/lib/ sit below it). */
export const root = manifest.root;
/** The package's version, from its package.json. */
export const packageVersion = manifest.version;

const BUILD_FROM_SOURCE =
  'compiles from source; needs cmake, g++ and the OpenBLAS headers: apt-get install cmake g++ libopenblas-dev';

/**
 * What to tell the user when the addon does not load, from the loader's error message. Said in the user's terms:
 * a user's project has no `build:native` script, but `npm rebuild dnn-native` runs the package's install step.
 */
export function loadErrorMessage(reason: string, explicit?: string): string {
  const what = `dnn-native: the native addon${explicit ? ` ${explicit} (DNN_NATIVE_BINARY)` : ''}`;
  // the dynamic linker's wording when a library the addon links is absent (the addon itself is there)
  const missing = /([\w.+-]+\.so[\d.]*): cannot open shared object file/.exec(reason)?.[1];
  if (missing?.startsWith('libopenblas'))
    return (
      `${what} needs the OpenBLAS runtime library (${missing}), which is not installed. Install it: ` +
      'apt-get install libopenblas0 (Debian/Ubuntu), dnf install openblas (Fedora), brew install openblas (macOS).'
    );
  if (missing) return `${what} needs the shared library ${missing}, which is not installed (${reason.split('\n')[0]}).`;
  // node-gyp-build found neither build/Release nor a prebuild for this platform: the install step did not run
  // (npm --ignore-scripts, pnpm, npm's allow-scripts) or failed
  if (reason.startsWith('No native build was found'))
    return (
      `${what} is not built for ${process.platform}-${process.arch} (no prebuilt binary for it, and the install ` +
      `step that compiles it did not run). Build it with \`npm rebuild dnn-native\` (${BUILD_FROM_SOURCE}).`
    );
  return (
    `${what} could not be loaded (${reason.split('\n')[0]}). ` +
    `Rebuild it with \`npm rebuild dnn-native\` (${BUILD_FROM_SOURCE}).`
  );
}

function load(): typeof Native {
  // DNN_NATIVE_BINARY: load this addon file instead (scripts/sanitize.sh points it at the sanitizer build)
  const explicit = process.env.DNN_NATIVE_BINARY;
  try {
    return explicit ? require(path.resolve(explicit)) : require('node-gyp-build')(root);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(loadErrorMessage(reason, explicit), { cause: error });
  }
}

const native: typeof Native = load();
export default native;
export type { ActivationCode, BlasInfo, FloatArray, NetworkSpec } from '../binding';
