#!/bin/sh
# The README's test command: installs the packages, builds, runs every test
# (unit, integration with real clients and Prometheus, crash, format check),
# then the fuzz targets briefly.
set -eu
cd "$(dirname "$0")/.."
./deploy/install-deps.sh
# The JavaScript SDK test's npm packages, as locked.
(cd tests/integration/js && npm ci --no-audit --no-fund)
FSGATE_WERROR=ON BUILD_DIR=${BUILD_DIR:-build} ./deploy/build.sh
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure -j 2
# A packager's Release build (-O3) of the server and the load generator must
# compile without a warning: GCC 12's -O3 warnings once broke it.
FSGATE_BUILD_TYPE=Release FSGATE_WERROR=ON BUILD_DIR=build-release ./deploy/build.sh \
  --target fsgate fsgate_load
# Each fuzz target over its seed corpus for a few seconds (its own clang build).
./tests/fuzz/run.sh 5
