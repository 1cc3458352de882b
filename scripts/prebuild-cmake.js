#!/usr/bin/env node
// prebuildify's build command for a cmake-js project. `npm run prebuildify` (run by prepack) is
//   prebuildify --napi --strip --tag-libc --node-gyp=scripts/prebuild-cmake.js && cmake-js build
// (named so, not "prebuild", because npm would run a "prebuild" script before every `npm run build`; --tag-libc so
// that a musl system compiles instead of loading this glibc binary; `cmake-js build` because prebuildify moves
// build/Release/dnn_native.node into prebuilds/, and a checkout without its local build would run the prebuild
// even after a C++ edit: the objects are current, so that only relinks)
// and prebuildify runs this file in node-gyp's place, as `<this> rebuild --target=<node version>
// --devdir=<dir> [--arch=<arch>] --release|--debug`, then takes the one .node file in build/Release (or
// build/Debug), strips it and copies it to prebuilds/<platform>-<arch>/. So: run `cmake-js rebuild`, which
// leaves build/Release/dnn_native.node. --target and --devdir are node-gyp's header cache; a Node-API build
// uses node-api-headers (cmake-js picks them from package.json's binary.napi_versions), so they are ignored.

const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const [command, ...options] = process.argv.slice(2);
if (command !== 'rebuild') {
  console.error(`prebuild-cmake: expected "rebuild" (as prebuildify calls node-gyp), got ${JSON.stringify(command)}`);
  process.exit(2);
}
const value = (name) => options.find((o) => o.startsWith(`--${name}=`))?.slice(name.length + 3);

const args = ['rebuild'];
const arch = value('arch');
if (arch && arch !== process.arch) {
  console.error(`prebuild-cmake: cross-compiling to ${arch} on ${process.arch} is not supported`);
  process.exit(2);
}
if (options.includes('--debug')) args.push('--debug');

const cmakeJs = path.join(path.dirname(require.resolve('cmake-js/package.json', { paths: [root] })), 'bin', 'cmake-js');
const build = spawnSync(process.execPath, [cmakeJs, ...args], { cwd: root, stdio: 'inherit' });
if (build.error) throw build.error;
process.exit(build.status ?? 1);
