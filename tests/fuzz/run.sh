#!/bin/sh
# Builds the libFuzzer targets (clang, ASan + UBSan) into ${BUILD_DIR:-build-fuzz}
# and runs each for SECONDS (default 60) over a copy of its seed corpus in
# tests/fuzz/corpus/<target>/. Fails when a target finds a crash, a leak, UB or
# a broken invariant; the input that did it is left in
# ${BUILD_DIR}/fuzz-out/<target>/ (crash-*, leak-*, timeout-*), with the log.
#
#   tests/fuzz/run.sh [SECONDS] [TARGET...]
#   TARGET: http_request sigv4 aws_chunked xml_bodies key_path intent_codec post_form (default: all)
#   Reproduce a finding: build-fuzz/tests/fuzz/<target>_fuzz <crash file>
set -eu
cd "$(dirname "$0")/../.."
seconds=${1:-60}
[ $# -gt 0 ] && shift
targets=${*:-http_request sigv4 aws_chunked xml_bodies key_path intent_codec post_form}
build=${BUILD_DIR:-build-fuzz}

cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFSGATE_FUZZ=ON -DFSGATE_TESTS=OFF \
  -DFSGATE_WERROR=ON -DCMAKE_C_COMPILER="${CC:-clang}" -DCMAKE_CXX_COMPILER="${CXX:-clang++}" >/dev/null
build_targets=""
for t in $targets; do build_targets="$build_targets ${t}_fuzz"; done
# shellcheck disable=SC2086
cmake --build "$build" -j "${FUZZ_BUILD_JOBS:-$(nproc)}" --target $build_targets

# UB aborts (-fno-sanitize-recover) with the stack that led to it.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
failed=""
for t in $targets; do
  out="$build/fuzz-out/$t"
  rm -rf "$out"
  mkdir -p "$out/corpus"
  cp tests/fuzz/corpus/"$t"/* "$out/corpus/"
  if "$build/tests/fuzz/${t}_fuzz" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$out/" "$out/corpus" >"$out/log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/log")
    echo "fuzz $t: ok, $runs runs in ${seconds}s, corpus $(ls "$out/corpus" | wc -l) inputs"
  else
    echo "fuzz $t: FAILED (log: $out/log)"
    grep -E 'ERROR|runtime error|invariant broken|Test unit written' "$out/log" | head -5
    failed="$failed $t"
  fi
done
[ -z "$failed" ] || { echo "fuzz findings in:$failed"; exit 1; }
