#!/usr/bin/env bash
# Installs what the tests need, checks the module layout, builds, packages, and runs the whole suite.
# CI runs exactly this (.ci/run). swift test prints its own summary.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh --test
python3 scripts/check-imports.py
# The package test (PackageTests) runs this tarball's binary with the toolchain hidden: a debug build linked
# with the Swift runtime inside, as a release package is (about 4.5 minutes from clean on 2 cores, in its own
# folder .build/static; a release build would take about 10).
KEYWARD_PACKAGE="$PWD/$(scripts/package.sh --debug | tail -n 1)"
export KEYWARD_PACKAGE
swift build --build-tests
swift test --skip-build
