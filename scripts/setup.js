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
if (!fs.existsSync(path.join(root, 'dist', 'lib', 'index.js'))) run('npm', ['run', 'build:ts', '--silent']);
