#!/usr/bin/env python3
"""Validate OpenLineage JSON documents, one per line on stdin.

Usage: validate.py event|facet < documents
Checks each document against openlineage-subset.schema.json (a RunEvent,
or a ColumnLineageDatasetFacet with "facet"), then the transformation
enums the schema leaves as plain strings.  Prints "ok N" or the errors,
and exits non-zero on any error.
"""
import json
import os
import re
import sys

import jsonschema

SUBTYPES = {
    "DIRECT": {"IDENTITY", "TRANSFORMATION", "AGGREGATION"},
    "INDIRECT": {"JOIN", "FILTER", "GROUP_BY", "SORT", "WINDOW", "CONDITIONAL"},
}
TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def transformations(doc):
    """Every transformation object anywhere in a document."""
    if isinstance(doc, dict):
        for key, value in doc.items():
            if key == "transformations" and isinstance(value, list):
                yield from value
            else:
                yield from transformations(value)
    elif isinstance(doc, list):
        for value in doc:
            yield from transformations(value)


def main():
    kind = sys.argv[1]
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "openlineage-subset.schema.json")) as f:
        schema = json.load(f)
    if kind == "facet":
        schema = dict(schema)
        schema["$ref"] = "#/$defs/ColumnLineageDatasetFacet"
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    errors = []
    n = 0
    for line in sys.stdin:
        if not line.strip():
            continue
        n += 1
        doc = json.loads(line)
        for err in validator.iter_errors(doc):
            errors.append(f"document {n}: {err.message} at {list(err.path)}")
        for t in transformations(doc):
            if t.get("subtype") not in SUBTYPES.get(t.get("type"), ()):
                errors.append(f"document {n}: invalid type/subtype {t.get('type')}/{t.get('subtype')}")
        if kind == "event":
            if not TIME.match(doc.get("eventTime", "")):
                errors.append(f"document {n}: eventTime {doc.get('eventTime')!r} is not ISO 8601")
            if not UUID.match(doc.get("run", {}).get("runId", "")):
                errors.append(f"document {n}: runId is not a UUID")
    for e in errors:
        print(e)
    print(f"ok {n}" if not errors else f"failed {len(errors)}")
    return 1 if errors or n == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
