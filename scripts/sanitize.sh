#!/usr/bin/env bash
# Builds the addon with AddressSanitizer + UndefinedBehaviorSanitizer (CMake option DNN_SANITIZE) into
# build-asan/, then runs the whole test suite against that build (lib/native.ts loads the addon named by
# DNN_NATIVE_BINARY). Any sanitizer report fails the run.
#
#   scripts/sanitize.sh              build, then run every suite
#   scripts/sanitize.sh fuzz         build, then run only the suites matching "fuzz" (npm test's pattern)
#   SKIP_BUILD=1 scripts/sanitize.sh reuse build-asan/ as it is
#   FUZZ_CALLS=200000 scripts/sanitize.sh   also run scripts/fuzz.js for that many calls under the sanitizers
#
# node itself is not instrumented, so libasan is preloaded (it must come first in the process); node's own
# allocations are still live at exit, hence detect_leaks=0. UBSan stops at the first report (halt_on_error).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
out="$root/build-asan"
binary="$out/Release/dnn_native.node"

if [[ "${SKIP_BUILD:-0}" != 1 || ! -f "$binary" ]]; then
  # cmake-js rebuild cleans only its --out directory, never build/ (which other work may be using).
  npx cmake-js rebuild --out "$out" --CDDNN_SANITIZE=ON --parallel "${JOBS:-2}" --log-level warn
fi
[[ -f "$binary" ]] || { echo "sanitize: $binary was not built" >&2; exit 1; }

libasan=$(gcc -print-file-name=libasan.so)
[[ -f "$libasan" ]] || { echo "sanitize: libasan.so not found (gcc -print-file-name=libasan.so gave $libasan)" >&2; exit 1; }
# The addon must really be instrumented, or the run proves nothing.
symbols=$(nm -D "$binary")
if [[ $(grep -c '__asan_init' <<<"$symbols") -eq 0 || $(grep -c '__ubsan_handle' <<<"$symbols") -eq 0 ]]; then
  echo "sanitize: $binary lacks AddressSanitizer or UndefinedBehaviorSanitizer instrumentation" >&2
  exit 1
fi

log_dir=$(mktemp -d "${TMPDIR:-/tmp}/dnn-sanitize.XXXXXX")
trap 'rm -rf "$log_dir"' EXIT
export LD_PRELOAD="$libasan"
# log_path: one file per process, so reports from child processes (uvu runs under a child node) are not lost
# in piped output; abort_on_error makes an ASan report fail the process. allocator_may_return_null: an
# allocation larger than memory returns NULL as it does without ASan (V8 turns that into a RangeError, which
# the bad-input tests expect) instead of aborting.
# allow_user_segv_handler=0: node installs its own SIGSEGV handler, which would hide a segfault (say, a
# write past a buffer inside OpenBLAS, which is not instrumented) from ASan; this keeps ASan's, so it reports.
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:allocator_may_return_null=1:allow_user_segv_handler=0:log_path=$log_dir/asan${ASAN_EXTRA:+:$ASAN_EXTRA}"
# UBSan, linked into the addon beside the preloaded ASan runtime, ignores log_path and writes to stderr: the
# suite's stderr is kept and searched too (children that tests spawn have their stderr piped into the test).
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$log_dir/ubsan"
export DNN_NATIVE_BINARY="$binary"
# Tests may relax bounds that ASan itself breaks (its quarantine keeps freed memory resident: RSS grows).
export DNN_SANITIZE=1
stderr_log="$log_dir/stderr.txt"

# Prove the sanitized addon is the one the suite loads: the process maps that very file.
node --import tsx -e "
  const native = require('./lib/native').default;
  const fs = require('node:fs');
  const maps = fs.readFileSync('/proc/self/maps', 'utf8');
  const loaded = [...new Set(maps.split('\n').filter((l) => l.includes('dnn_native')).map((l) => l.split(/\s+/).pop()))];
  console.log('sanitize: loaded', loaded.join(', '));
  if (loaded.length !== 1 || loaded[0] !== '$binary') process.exit(3);
  if (typeof native.sgdUpdate !== 'function') process.exit(4);
"

status=0
node scripts/test.js "$@" 2>>"$stderr_log" || status=$?
if [[ -n "${FUZZ_CALLS:-}" && $status -eq 0 ]]; then
  node scripts/fuzz.js --calls "$FUZZ_CALLS" --seed "${FUZZ_SEED:-1}" 2>>"$stderr_log" || status=$?
fi
[[ -s "$stderr_log" ]] && { echo "sanitize: the suite's stderr:" >&2; cat "$stderr_log" >&2; }

reports=$(find "$log_dir" -type f -size +0 ! -name stderr.txt | sort)
if grep -qE 'runtime error:|ERROR: AddressSanitizer|ERROR: LeakSanitizer' "$stderr_log" 2>/dev/null; then reports="$reports $stderr_log"; fi
if [[ -n "$reports" ]]; then
  echo "sanitize: sanitizer reports:" >&2
  for file in $reports; do
    echo "--- $file" >&2
    cat "$file" >&2
  done
  status=1
else
  echo "sanitize: no AddressSanitizer or UndefinedBehaviorSanitizer reports"
fi
exit $status
