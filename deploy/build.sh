#!/bin/sh
# Configures and builds fsgate into ${BUILD_DIR:-build}: RelWithDebInfo, or
# FSGATE_BUILD_TYPE (Release, Debug).
# FSGATE_WERROR=ON makes warnings errors (CI and development; deploy/test.sh).
# Arguments go to `cmake --build` (e.g. `--target fsgate`); none builds everything.
set -eu
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE="${FSGATE_BUILD_TYPE:-RelWithDebInfo}" -DFSGATE_WERROR="${FSGATE_WERROR:-OFF}" >/dev/null
cmake --build "$build" -j "$(nproc)" "$@"
