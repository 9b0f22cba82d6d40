#!/usr/bin/env python3
"""Fails when a target imports a module its row in CONVENTIONS.md's layout table does not allow.

A new edge must show up here (and in Package.swift) as a reviewed diff, not as a surprise import.
System and standard-library modules are allowed everywhere. The edges between Keyward's own
targets must be the same here, in Package.swift (read with `swift package dump-package`) and in
ARCHITECTURE.md's module table.
"""
import json
import pathlib
import subprocess
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
SYSTEM = {"Foundation", "FoundationEssentials", "FoundationNetworking", "Synchronization", "Dispatch", "Glibc", "Musl", "_Concurrency"}

# target -> modules it may import (CONVENTIONS.md "Layout", plus the infrastructure modules the
# listed libraries are built on: swift-log, NIOCore for buffers, and so on).
ALLOWED = {
    "KeywardCore": {"Crypto", "Logging"},
    "KeywardAPI": set(),
    "KeywardStore": {"KeywardCore", "SQLKit", "SQLiteKit", "PostgresKit", "PostgresNIO", "Logging", "NIOCore", "NIOPosix"},
    # NIOCore, NIOPosix: the shared rate-limit store's RESP client (Limits/RESPClient.swift).
    "KeywardVerify": {"KeywardCore", "KeywardStore", "Metrics", "Logging", "ServiceLifecycle", "NIOCore", "NIOPosix"},
    "CHyperscan": set(),
    "CArchive": set(),
    "KeywardScanner": {"KeywardCore", "CHyperscan", "CArchive", "Logging", "Crypto", "_CryptoExtras"},  # scrypt: baseline entries
    # KeywardScanner: the built-in rules' metadata (high-entropy rule ids, revocation procedures, public prefixes) for imports and exposures.
    # Yams: Kubernetes Secret manifests (Import/).
    # KeywardOAuth: client registration validates public JWKs with its key policy.
    "KeywardGovernance": {"KeywardCore", "KeywardStore", "KeywardVerify", "KeywardScanner", "KeywardOAuth", "AsyncHTTPClient", "NIOCore", "NIOHTTP1", "Crypto",
                          "Logging", "ServiceLifecycle", "Yams"},
    # Issue 13: normative OAuth checks in folders named after their RFC, and the token service over the store.
    # _CryptoExtras: RSA (RS256/PS256) client keys. X509 (and SwiftASN1, its DER parsing): mutual TLS client certificates.
    # AsyncHTTPClient (and NIOCore, NIOHTTP1, NIOPosix: its buffers and headers, the resolver's thread pool): jwks_uri fetches (RemoteJWKS).
    "KeywardOAuth": {"KeywardCore", "KeywardStore", "KeywardVerify", "Crypto", "_CryptoExtras", "X509", "SwiftASN1", "Logging",
                     "AsyncHTTPClient", "NIOCore", "NIOHTTP1", "NIOPosix"},
    "KeywardServer": {"KeywardCore", "KeywardStore", "KeywardVerify", "KeywardAPI", "KeywardScanner", "KeywardGovernance", "KeywardOAuth",
                      "Hummingbird", "HummingbirdCore", "HummingbirdTLS", "HTTPTypes", "Metrics", "Prometheus", "ServiceLifecycle",
                      "UnixSignals", "Logging", "NIOCore", "NIOHTTP1", "NIOSSL", "NIOHTTPTypes", "AsyncHTTPClient", "Crypto", "Synchronization", "Mustache"},
    # KeywardVerify: `keyward bench memory` measures the verify index directly.
    # KeywardOAuth: `bench token` signs client assertions.
    "KeywardCLI": {"KeywardCore", "KeywardGovernance", "KeywardServer", "KeywardScanner", "KeywardStore", "KeywardVerify", "KeywardOAuth", "KeywardAPI", "ArgumentParser", "Configuration", "AsyncHTTPClient",
                   "NIOCore", "NIOHTTP1", "NIOSSL", "Logging", "ServiceLifecycle", "Crypto"},
    "keyward": {"KeywardCLI"},
    "KeywardTesting": None,  # anything; tests only
}
# Modules that must never appear in a target, whatever else changes.
FORBIDDEN = {"KeywardScanner": {"KeywardStore", "SQLKit", "SQLiteKit", "PostgresKit"},
             # The domain takes and returns domain values; DTOs and HTTP stay in the server.
             "KeywardGovernance": {"KeywardAPI", "KeywardServer", "Hummingbird", "HummingbirdCore", "HTTPTypes"},
             # OAuth sits below the domain: Governance may use it, never the reverse.
             "KeywardOAuth": {"KeywardGovernance", "KeywardAPI", "KeywardServer", "Hummingbird", "HTTPTypes"}}

# Modules a target may import only from some of its files: the CLI reaches the server only to run it.
ONLY_IN = {("KeywardCLI", "KeywardServer"): re.compile(r"Commands/ServeCommand[^/]*\.swift$")}

IMPORT = re.compile(r"^\s*(?:@\w+(?:\([^)]*\))?\s+)*(?:public\s+|package\s+|internal\s+|private\s+|fileprivate\s+)?import\s+(?:(?:struct|class|enum|protocol|func|var|let|typealias)\s+)?([A-Za-z_][A-Za-z0-9_]*)")

failures = []
for target_dir in sorted((ROOT / "Sources").iterdir()):
    if not target_dir.is_dir():
        continue
    target = target_dir.name
    if target not in ALLOWED:
        failures.append(f"{target}: target has no row in scripts/check-imports.py")
        continue
    allowed = ALLOWED[target]
    for f in sorted(target_dir.rglob("*.swift")):
        for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1):
            m = IMPORT.match(line)
            if not m:
                continue
            mod = m.group(1)
            if mod in FORBIDDEN.get(target, set()):
                failures.append(f"{f.relative_to(ROOT)}:{n}: {target} must never import {mod}")
            elif (target, mod) in ONLY_IN and not ONLY_IN[(target, mod)].search(f.as_posix()):
                failures.append(f"{f.relative_to(ROOT)}:{n}: {target} imports {mod} only in the files that run it (serve)")
            elif allowed is not None and mod not in allowed and mod not in SYSTEM:
                failures.append(f"{f.relative_to(ROOT)}:{n}: {target} may not import {mod}")

def own(modules):
    return {m for m in modules if m.startswith("Keyward") or m in ("CHyperscan", "CArchive")}


# The same edges in Package.swift.
try:
    dump = json.loads(subprocess.run(["swift", "package", "dump-package"], cwd=ROOT, capture_output=True, text=True, check=True).stdout)
except (OSError, subprocess.CalledProcessError) as e:
    failures.append(f"Package.swift: cannot read it with `swift package dump-package` ({e})")
    dump = {"targets": []}
for t in dump["targets"]:
    name = t["name"]
    if t["type"] not in ("regular", "executable") or ALLOWED.get(name) is None:
        continue
    declared = own(next(iter(d.values()))[0] for d in t["dependencies"] if "byName" in d or "target" in d)
    for m in sorted(declared - own(ALLOWED[name])):
        failures.append(f"Package.swift: {name} depends on {m}, which this table does not allow")
    for m in sorted(own(ALLOWED[name]) - declared):
        failures.append(f"Package.swift: this table lets {name} import {m}, but Package.swift does not declare it")

# The same edges in ARCHITECTURE.md's module table ("everything above" names every earlier row).
rows = re.findall(r"^\| `(\w+)` \|.*\| ([^|]*) \|$", (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8"), re.M)
above = []
for name, may in rows:
    if ALLOWED.get(name) is not None and "everything above" not in may:
        for m in sorted(own(ALLOWED[name])):
            short = m.removeprefix("Keyward") or m
            if not re.search(rf"\b{short}\b", may):
                failures.append(f"ARCHITECTURE.md: the row of {name} does not say it may import {m}")
    above.append(name)
for name in ALLOWED:
    if ALLOWED[name] is not None and name not in above:
        failures.append(f"ARCHITECTURE.md: no row for {name}")

if failures:
    print("check-imports: layout violations:", *failures, sep="\n  ")
    sys.exit(1)
print("check-imports: ok")
