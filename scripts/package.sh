#!/usr/bin/env bash
# Builds keyward with the Swift runtime linked statically and packs
# dist/keyward-<version>-linux-<arch>.tar.gz: the binary, a hardened systemd unit, bash/zsh/fish
# completions, LICENSE and INSTALL. The binary needs Debian's runtime packages only (INSTALL lists them).
#   scripts/package.sh           # release build (about 10 minutes from a clean tree on 2 cores)
#   scripts/package.sh --debug   # the test suite's: the debug build, relinked statically (linking is what
#                                # the package test checks; a release build would add ~10 minutes to CI)
set -euo pipefail
cd "$(dirname "$0")/.."
config=release
for arg in "$@"; do
  case "$arg" in
    --debug) config=debug ;;
    *) echo "package.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

version=$(sed -n 's/.*static let version = "\(.*\)".*/\1/p' Sources/KeywardCore/Support/BuildInfo.swift)
[ -n "$version" ] || { echo "package.sh: no version in Sources/KeywardCore/Support/BuildInfo.swift" >&2; exit 2; }
name="keyward-$version-linux-$(uname -m)"
[ "$config" = release ] || name="$name-$config"

# Its own build folder: objects of the executable compiled for static linking do not link dynamically, and
# SwiftPM does not always recompile them when the flag changes, so `swift build` in .build stays unaffected.
build=(swift build -c "$config" --static-swift-stdlib --scratch-path .build/static)
# All targets, not --product keyward: with --product, SwiftPM reuses its build plan without loading plugins again.
"${build[@]}" >&2
bin="$("${build[@]}" --show-bin-path)/keyward"

# The Swift runtime must be inside the binary: no libswift*.so or Foundation library from the toolchain.
if ldd "$bin" | grep -E 'libswift|libFoundation|lib_FoundationICU|libdispatch|libBlocksRuntime'; then
  echo "package.sh: $bin links the Swift runtime dynamically" >&2; exit 1
fi

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
dir="$stage/$name"
mkdir -p "$dir/completions"
install -m 0755 "$bin" "$dir/keyward"
# DWARF out (release: 210 MB to 127 MB); the symbol table stays, so crash backtraces still name functions.
strip --strip-debug "$dir/keyward"
# Crash reports: the runtime's backtracer for statically linked programs, from the toolchain (keyward names it).
backtracer="$(dirname "$(readlink -f "$(command -v swift)")")/../libexec/swift/linux/swift-backtrace-static"
[ -x "$backtracer" ] || { echo "package.sh: no swift-backtrace-static in the toolchain ($backtracer)" >&2; exit 1; }
install -m 0755 "$backtracer" "$dir/swift-backtrace-static"
cp -R "$(dirname "$bin")"/keyward_*.resources "$dir/"
"$dir/keyward" --generate-completion-script bash > "$dir/completions/keyward.bash"
"$dir/keyward" --generate-completion-script zsh > "$dir/completions/_keyward"
"$dir/keyward" --generate-completion-script fish > "$dir/completions/keyward.fish"
install -m 0644 packaging/keyward.service packaging/INSTALL LICENSE "$dir/"
mkdir -p dist
tar -C "$stage" -czf "dist/$name.tar.gz" "$name"
echo "dist/$name.tar.gz"
