#!/usr/bin/env bash
# Installs dnn-native as a user would: `npm pack`, then `npm install <tarball>` into an empty project, then
# require() it and import it from an .mjs and train a tiny network with the tutorial's functions and with a Model
# (fit, and fitAsync in a worker thread), checking the costs and weights against the same training run from this
# source tree. Three modes:
#   prebuilt     with prebuilds/<platform>-<arch>/ made by `npm run prebuildify`: loads without compiling
#   source       without prebuilds: the install step compiles the addon with cmake-js
#   no-openblas  without prebuilds and with pkg-config not finding OpenBLAS: the install fails with one clear
#                line naming the system package to install
#
#   scripts/pack-test.sh                     all three
#   scripts/pack-test.sh prebuilt source     some
#   KEEP=1 scripts/pack-test.sh              keep the temporary directory (its path is printed)
#
# Everything happens in a temporary copy of the working tree (git-tracked and untracked, not ignored, files),
# so this tree's build/ and prebuilds/ are never touched. Network: the npm registry only (the dependencies).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
modes=("$@")
((${#modes[@]})) || modes=(prebuilt source no-openblas)

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

want() { local m; for m in "${modes[@]}"; do [[ "$m" == "$1" ]] && return 0; done; return 1; }

pack() { # $1: destination directory; prints the tarball's path
  mkdir -p "$1"
  (cd "$copy" && npm pack --silent --pack-destination "$1" >/dev/null)
  ls "$1"/dnn-native-*.tgz
}

if want source || want no-openblas; then
  log "packing without prebuilds"
  source_tgz=$(pack "$work/source-tgz")
  if tar -tzf "$source_tgz" | grep -q '^package/prebuilds/'; then log "the source tarball has prebuilds/"; exit 1; fi
fi
if want prebuilt; then
  log "npm run prebuildify (in the copy)"
  (cd "$copy" && npm run prebuildify --silent) > "$work/prebuild.log" 2>&1 || { tail -30 "$work/prebuild.log"; log "prebuildify failed"; exit 1; }
  ls "$copy"/prebuilds/*/ | sed 's/^/pack-test:   prebuilds: /'
  prebuilt_tgz=$(pack "$work/prebuilt-tgz")
  tar -tzf "$prebuilt_tgz" | grep '^package/prebuilds/.*\.node$' | sed 's/^/pack-test:   in the tarball: /'
fi

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
  console.log('LOADED ' + loaded.join(','));
})().catch((error) => { console.error(error); process.exitCode = 1; });
EOF
  cat > "$1/use.mjs" <<'EOF'
import { Matrix, initializeParametersDeep, modelForward, computeCost, modelBackward, updateParameters } from 'dnn-native';
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const result = require('./train.cjs')({ Matrix, initializeParametersDeep, modelForward, computeCost, modelBackward, updateParameters });
require('./check.cjs')('import', result, require('./expected.json'));
EOF
}

run_user_code() { # $1: project; $2: the path fragment the loaded addon must contain
  local out
  out=$(cd "$1" && node use.cjs 2>&1 && node use.mjs 2>&1) || { echo "$out" | sed 's/^/pack-test:   /'; return 1; }
  echo "$out" | grep -v '^LOADED' | sed 's/^/pack-test:   /'
  if ! echo "$out" | grep '^LOADED' | grep -q -- "$2"; then log "the addon was not loaded from $2"; return 1; fi
}

# --- (a) prebuilt ----------------------------------------------------------------------------------------------
if want prebuilt; then
  log "(a) prebuilt: npm install"
  project="$work/a"
  make_project "$project"
  status=0
  (cd "$project" && npm install --no-audit --no-fund --foreground-scripts "$prebuilt_tgz") > "$work/a-install.log" 2>&1 || status=$?
  installed="$project/node_modules/dnn-native"
  if ((status)); then tail -20 "$work/a-install.log"; verdict[prebuilt]="FAIL: npm install exited $status"
  elif grep -qiE 'cmake|Building CXX|Linking CXX' "$work/a-install.log"; then grep -iE 'cmake|CXX' "$work/a-install.log" | head -5; verdict[prebuilt]="FAIL: the install compiled"
  elif [[ -e "$installed/build" ]]; then verdict[prebuilt]="FAIL: $installed/build exists (compiled at install)"
  elif run_user_code "$project" "/node_modules/dnn-native/prebuilds/"; then verdict[prebuilt]="PASS: loaded the prebuilt binary, nothing compiled, no build/ directory"
  else verdict[prebuilt]="FAIL: the installed package did not run as expected"
  fi
  log "(a) ${verdict[prebuilt]}"
fi

# --- (b) source ------------------------------------------------------------------------------------------------
if want source; then
  log "(b) source: npm install (compiles)"
  project="$work/b"
  make_project "$project"
  status=0
  (cd "$project" && npm install --no-audit --no-fund --foreground-scripts "$source_tgz") > "$work/b-install.log" 2>&1 || status=$?
  installed="$project/node_modules/dnn-native"
  if ((status)); then tail -30 "$work/b-install.log"; verdict[source]="FAIL: npm install exited $status"
  elif ! grep -qE 'Linking CXX shared library' "$work/b-install.log"; then verdict[source]="FAIL: no compilation in the install log"
  elif [[ ! -f "$installed/build/Release/dnn_native.node" ]]; then verdict[source]="FAIL: no build/Release/dnn_native.node"
  elif run_user_code "$project" "/node_modules/dnn-native/build/Release/dnn_native.node"; then verdict[source]="PASS: compiled with cmake-js at install, loaded build/Release"
  else verdict[source]="FAIL: the installed package did not run as expected"
  fi
  log "(b) ${verdict[source]}"
fi

# --- (c) no OpenBLAS -------------------------------------------------------------------------------------------
if want no-openblas; then
  log "(c) no OpenBLAS (pkg-config cannot find it): npm install"
  project="$work/c"
  make_project "$project"
  status=0
  (cd "$project" && PKG_CONFIG_LIBDIR=/nonexistent PKG_CONFIG_PATH= npm install --no-audit --no-fund "$source_tgz") > "$work/c-install.log" 2>&1 || status=$?
  # npm reprints a failed install script's output with an "npm error " (npm 7-9: "npm ERR! ") prefix
  sed -E 's/^npm (error|ERR!) //' "$work/c-install.log" | grep '^dnn-native: ' | sort -u > "$work/c-lines.txt" || true
  lines=$(wc -l < "$work/c-lines.txt")
  sed 's/^/pack-test:   | /' "$work/c-install.log" | head -20
  if ((status == 0)); then verdict[no-openblas]="FAIL: npm install succeeded"
  elif [[ -e "$project/node_modules/dnn-native/build" ]] && grep -q 'Building CXX' "$work/c-install.log"; then verdict[no-openblas]="FAIL: it tried to compile"
  elif ((lines != 1)); then verdict[no-openblas]="FAIL: $lines lines from dnn-native (expected exactly one)"
  elif ! grep -q 'libopenblas-dev' "$work/c-lines.txt"; then verdict[no-openblas]="FAIL: the line does not name libopenblas-dev"
  else verdict[no-openblas]="PASS: npm install exited $status with one line: $(cat "$work/c-lines.txt")"
  fi
  log "(c) ${verdict[no-openblas]}"
fi

failed=0
for mode in "${modes[@]}"; do
  echo "pack-test: $mode: ${verdict[$mode]:-not run}"
  [[ "${verdict[$mode]:-}" == PASS* ]] || failed=1
done
exit $failed
