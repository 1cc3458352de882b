#!/usr/bin/env node
// Makes a checkout ready to run, so that `npm start` and `npm test` work on a fresh machine as the README says:
// the system packages the native build needs (installed with apt-get when running as root on Debian/Ubuntu),
// the npm dependencies, the native addon and the compiled TypeScript. Each step is skipped when already done.

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options });
  if (result.status !== 0) {
    console.error(`setup: \`${command} ${args.join(' ')}\` failed`);
    process.exit(result.status ?? 1);
  }
}

function succeeds(command, args) {
  const result = spawnSync(command, args, { stdio: 'ignore' });
  return !result.error && result.status === 0;
}

function addonLoads() {
  try {
    require(path.join(root, 'node_modules', 'node-gyp-build'))(root);
    return true;
  } catch {
    return false;
  }
}

/** The newest modification time (ms) of the files under `dirs` (and the single `files`) that match `pattern`. */
function newestSource(base, dirs, files, pattern) {
  let newest = 0;
  const visit = (file) => {
    let stat;
    try {
      stat = fs.statSync(file);
    } catch {
      return;
    }
    if (stat.isDirectory()) {
      for (const entry of fs.readdirSync(file)) if (entry !== 'node_modules') visit(path.join(file, entry));
    } else if (pattern.test(file)) newest = Math.max(newest, stat.mtimeMs);
  };
  for (const dir of dirs) visit(path.join(base, dir));
  for (const file of files) visit(path.join(base, file));
  return newest;
}

function modified(file) {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return -1;
  }
}

/**
 * What is out of date in a checkout at `base`: the addon (a local build older than a C++ source or CMakeLists.txt)
 * and the compiled TypeScript (dist/ older than a TypeScript source, binding.d.ts or tsconfig.json). A missing
 * output counts as stale; a prebuilt binary without a local build is left alone (nothing to compare it with).
 */
function staleOutputs(base) {
  const addon = path.join(base, 'build', 'Release', 'dnn_native.node');
  const nativeSources = newestSource(base, ['native'], ['CMakeLists.txt'], /\.(cpp|hpp|h|cc)$|CMakeLists\.txt$/);
  const compiled = path.join(base, 'dist', 'lib', 'index.js');
  const tsSources = newestSource(base, ['lib', 'bench'], ['binding.d.ts', 'tsconfig.json'], /\.ts$|tsconfig\.json$/);
  return {
    addon: fs.existsSync(addon) && modified(addon) < nativeSources,
    typescript: modified(compiled) < tsSources,
  };
}

function main() {
  const haveModules = fs.existsSync(path.join(root, 'node_modules', '.package-lock.json'));
  const needBuild = !(haveModules && addonLoads());

  if (needBuild) {
    const missing = [];
    if (!succeeds('pkg-config', ['--exists', 'openblas'])) missing.push('libopenblas-dev', 'pkg-config');
    if (!succeeds('cmake', ['--version'])) missing.push('cmake');
    if (!succeeds('c++', ['--version'])) missing.push('g++');
    if (missing.length > 0) {
      const canInstall = process.getuid?.() === 0 && succeeds('apt-get', ['--version']);
      if (!canInstall) {
        console.error(
          `setup: the native build needs system packages: ${missing.join(' ')} (Debian/Ubuntu: sudo apt-get install ${missing.join(' ')})`,
        );
        process.exit(1);
      }
      console.log(`setup: installing ${missing.join(' ')}`);
      const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
      run('apt-get', ['update', '-qq'], { env });
      run('apt-get', ['install', '-y', '-qq', ...missing], { env });
    }
  }

  if (!haveModules) {
    console.log('setup: installing npm dependencies (builds the native addon)');
    run('npm', ['ci', '--no-audit', '--no-fund']);
  } else if (!addonLoads()) {
    console.log('setup: building the native addon');
    run('npm', ['run', 'build:native']);
  }
  const stale = staleOutputs(root);
  if (stale.addon) {
    console.log('setup: a C++ source changed since the last build; rebuilding the native addon');
    run(process.execPath, [require.resolve('cmake-js/bin/cmake-js', { paths: [root] }), 'build'], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    // make relinks only when an object changed: mark the addon current so an unused header does not rebuild each time
    const now = new Date();
    fs.utimesSync(path.join(root, 'build', 'Release', 'dnn_native.node'), now, now);
  }
  if (stale.typescript) run('npm', ['run', 'build:ts', '--silent']);
}

if (require.main === module) main();
module.exports = { staleOutputs };
