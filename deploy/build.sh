#!/bin/sh
# Configures and builds fsgate (Release with debug info) into ${BUILD_DIR:-build}.
# Arguments go to `cmake --build` (e.g. `--target fsgate`); none builds everything.
set -eu
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$(nproc)" "$@"
