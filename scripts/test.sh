#!/usr/bin/env bash
# Installs what the tests need, checks the module layout, builds, and runs the whole suite.
# CI runs exactly this (.ci/run). swift test prints its own summary.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh --test
python3 scripts/check-imports.py
swift build --build-tests
swift test
