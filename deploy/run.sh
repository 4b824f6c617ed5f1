#!/bin/sh
# The README's run command: installs the packages, builds, and serves ./data on
# 127.0.0.1:9000 (metrics on 127.0.0.1:9464). Extra arguments go to `fsgate serve`.
set -eu
cd "$(dirname "$0")/.."
./deploy/install-deps.sh
./deploy/build.sh --target fsgate
mkdir -p data
exec ./build/gateway/fsgate serve --root ./data "$@"
