"""Validates JSON instances against ecsim's scenario schema with the reference implementation of
JSON Schema (the `jsonschema` package, draft 2020-12). Arguments: the schema file, then
`valid:PATH` or `invalid:PATH` for each instance. Run by tests/it/schema.rs."""

import json
import sys

from jsonschema import Draft202012Validator

with open(sys.argv[1], encoding="utf-8") as f:
    schema = json.load(f)
Draft202012Validator.check_schema(schema)
validator = Draft202012Validator(schema)

failures = []
for arg in sys.argv[2:]:
    expected, path = arg.split(":", 1)
    with open(path, encoding="utf-8") as f:
        instance = json.load(f)
    errors = [e.message for e in validator.iter_errors(instance)]
    if expected == "valid" and errors:
        failures.append(f"{path}: expected valid, found {errors[:3]}")
    if expected == "invalid" and not errors:
        failures.append(f"{path}: expected invalid, the schema accepted it")

print("\n".join(failures) if failures else f"{len(sys.argv) - 2} instances as expected")
sys.exit(1 if failures else 0)
