#!/usr/bin/env bash
# Configures and builds heaptrail into B/ (Release): B/bin/heaptrail and
# B/lib/libheaptrail.so.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B B -G Ninja -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build B
