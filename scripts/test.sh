#!/usr/bin/env bash
# Installs what the tests need, checks the module layout, builds, packages, and runs the whole suite.
# CI runs exactly this (.ci/run). swift test prints its own summary.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh --test
python3 scripts/check-imports.py
# The package test (PackageTests) runs this tarball's binary with the toolchain hidden: the debug build
# linked with the Swift runtime inside, as a release package is, without ~10 minutes of release
# compilation. The build after it relinks .build/debug/keyward as usual for the other tests.
KEYWARD_PACKAGE="$PWD/$(scripts/package.sh --debug | tail -n 1)"
export KEYWARD_PACKAGE
swift build --build-tests
swift test --skip-build
