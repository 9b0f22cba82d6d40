#!/usr/bin/env python3
"""proto_scan.py - prototype of `keyward scan` over a directory, using the built-in rules.

    python3 scripts/proto_scan.py DIR [--rules RULES_DIR] [--output OUT] [--stats]

Walks DIR (never following symlinks, skipping .git and binary files), runs the exact two-stage
engine of check_rules.py (Hyperscan candidates with HS_FLAG_SOM_LEFTMOST, then the confirm stage:
full match, placeholder/doc-example filters, entropy, checksum, fallback suppression, overlap
merge) and prints one grep-style line per finding:

    path:line:rule_id

The path is relative to DIR; the secret itself is never printed. The output scores with
    score_peers.py --truth T --root DIR --finding keyward grep OUT --per-provider
"""

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import check_rules  # noqa: E402

BINARY_PROBE = 8192


def load_engine(rules_dir):
    rules, fdata, errs = check_rules.load_rules(rules_dir)
    if errs:
        sys.exit("rules: " + "; ".join(errs))
    for i, r in enumerate(rules):
        r.order = i
    return check_rules.Engine(rules, check_rules.Filters(fdata))


def walk(root):
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d != ".git" and not os.path.islink(os.path.join(dirpath, d)))
        for name in sorted(filenames):
            p = os.path.join(dirpath, name)
            if os.path.islink(p) or not os.path.isfile(p):
                continue
            yield p


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("root")
    ap.add_argument("--rules", default=str(check_rules.DEFAULT_RULES))
    ap.add_argument("--output", help="write findings here instead of stdout")
    ap.add_argument("--stats", action="store_true", help="print timing and per-rule counts to stderr")
    a = ap.parse_args()
    engine = load_engine(a.rules)
    out = open(a.output, "w") if a.output else sys.stdout
    t0 = time.time()
    nbytes = nfiles = 0
    per_rule = {}
    for path in walk(a.root):
        try:
            with open(path, "rb") as fh:
                data = fh.read()
        except OSError as e:
            print("warning: skipping %s: %s" % (path, e.strerror), file=sys.stderr)
            continue
        if b"\0" in data[:BINARY_PROBE]:
            continue
        nfiles += 1
        nbytes += len(data)
        rel = os.path.relpath(path, a.root)
        for f in engine.scan(data):
            out.write("%s:%d:%s\n" % (rel, f.line, f.rule.id))
            per_rule[f.rule.id] = per_rule.get(f.rule.id, 0) + 1
    if a.output:
        out.close()
    if a.stats:
        dt = time.time() - t0
        print("scanned %d files, %.1f MB in %.1fs (%.1f MB/s), %d findings" % (
            nfiles, nbytes / 1e6, dt, nbytes / 1e6 / max(dt, 1e-9), sum(per_rule.values())), file=sys.stderr)
        for rid, n in sorted(per_rule.items(), key=lambda kv: -kv[1]):
            print("  %6d %s" % (n, rid), file=sys.stderr)


if __name__ == "__main__":
    main()
