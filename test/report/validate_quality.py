#!/usr/bin/env python3
"""Validate OpenLineage data-quality JSON documents, one per line on stdin.

Usage: validate_quality.py event|metrics|assertions < documents
Checks each document against openlineage-quality.schema.json: a RunEvent
(whose inputs may carry the dataQualityMetrics and dataQualityAssertions
input facets), or one facet alone.  Also checks what the schema cannot:
the facet's _schemaURL names the facet and version validated against,
quantile keys are fractions, the event time is ISO 8601 and the runId a
UUID.  Prints "ok N" or the errors, and exits non-zero on any error.
"""
import json
import os
import re
import sys

import jsonschema

FACETS = {
    "metrics": ("DataQualityMetricsInputDatasetFacet", "1-0-2"),
    "assertions": ("DataQualityAssertionsDatasetFacet", "1-1-0"),
}
KEYS = {"dataQualityMetrics": "metrics", "dataQualityAssertions": "assertions"}
TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
FRACTION = re.compile(r"^(0(\.\d+)?|1(\.0+)?)$")


def facet_errors(kind, facet):
    name, version = FACETS[kind]
    want = "https://openlineage.io/spec/facets/%s/%s.json#/$defs/%s" % (version, name, name)
    errors = []
    if facet.get("_schemaURL") != want:
        errors.append("_schemaURL %r is not %r" % (facet.get("_schemaURL"), want))
    if kind == "metrics":
        for col, m in facet.get("columnMetrics", {}).items():
            for q in m.get("quantiles", {}):
                if not FRACTION.match(q):
                    errors.append("column %s: quantile key %r is not a fraction" % (col, q))
    return errors


def main():
    kind = sys.argv[1]
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "openlineage-quality.schema.json")) as f:
        schema = json.load(f)
    if kind in FACETS:
        schema = dict(schema)
        schema["$ref"] = "#/$defs/" + FACETS[kind][0]
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
            errors.append("document %d: %s at %s" % (n, err.message, list(err.path)))
        if kind in FACETS:
            errors += ["document %d: %s" % (n, e) for e in facet_errors(kind, doc)]
            continue
        if not TIME.match(doc.get("eventTime", "")):
            errors.append("document %d: eventTime %r is not ISO 8601" % (n, doc.get("eventTime")))
        if not UUID.match(doc.get("run", {}).get("runId", "")):
            errors.append("document %d: runId is not a UUID" % n)
        for ds in doc.get("inputs", []):
            for key, facet in ds.get("inputFacets", {}).items():
                if key in KEYS:
                    errors += ["document %d: %s" % (n, e) for e in facet_errors(KEYS[key], facet)]
    for e in errors:
        print(e)
    print("ok %d" % n if not errors else "failed %d" % len(errors))
    return 1 if errors or n == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
