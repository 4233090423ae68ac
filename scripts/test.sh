#!/usr/bin/env bash
# Quick start 2: installs what is missing, builds, and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
ctest --test-dir B --output-on-failure --timeout 600 -j2
