#!/usr/bin/python3
"""Run Great Expectations' own test definitions against dq.check().

Usage: test/ge/run_ge.py [-v] [definition.json ...]

Reads test/ge/definitions/<category>/*.json (GE's data-driven expectation
tests, copied from GE with its licence: see test/ge/README.md), starts a
temporary PostgreSQL instance (initdb and pg_ctl of $PG_CONFIG --bindir, a
Unix socket in a private directory, no TCP port), creates the extension,
and for every test case builds the dataset's table from "data" and the
"postgresql" schema, calls dq.check with the case's "in" and compares the
result with its "out" the way GE's own harness does
(great_expectations/self_check/util.py, check_json_test_result) for the
sqlalchemy/postgresql backend:

- only_for / suppress_test_for are honoured as GE honours them for a
  PostgreSQL batch (a test is generated only when only_for names
  "sqlalchemy" or "postgresql"; it is skipped when suppress_test_for does;
  a dataset's own lists are compared with the backend name "postgresql");
- "in" gets result_format COMPLETE unless it sets its own, as in GE;
- success, observed_value (with GE's tolerances: rtol 1e-7 and atol 5e-2
  when the expected value is written with decimals, the case's
  "tolerance" when given), unexpected_list and partial_unexpected_list
  (sorted first, as GE sorts them), details, value_counts, the distribution
  details, and element_count, missing_count, unexpected_count and
  unexpected_percent wherever "out" has them; exact_match_out compares the
  whole "result" object;
- a case whose "out" has traceback_substring expects an error.

Only the Python 3 standard library and psql are used.  Prints one line per
failure and per skipped case (with its reason), and last
"ge: N passed, N failed, N skipped".  Exit status 0 when nothing failed.
"""

import glob
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
DEFS = os.path.join(HERE, "definitions")

# GE's tolerances (great_expectations/self_check/util.py)
RTOL = 1.0e-7
ATOL = 5.0e-2
RX_FLOAT = re.compile(r".*\d\.\d+.*")

# GE's schema type names for PostgreSQL and the columns they make
PG_TYPES = {
    "TEXT": "text",
    "CHAR": "char",
    "INTEGER": "integer",
    "SMALLINT": "smallint",
    "BIGINT": "bigint",
    "TIMESTAMP": "timestamp",
    "DATE": "date",
    "DOUBLE_PRECISION": "double precision",
    "BOOLEAN": "boolean",
    "NUMERIC": "numeric",
}

# Cases whose difference from GE is deliberate and documented in
# docs/expectations.md ("Differences from Great Expectations"): the
# reason is printed with the skip.
DOCUMENTED = {
    ("expect_column_mean_to_be_between",
     "test_empty_column_should_be_false_no_observed_value_with_which_to_compare"):
        "statistics are checked against the column's type when defined (a text column has no mean)",
    ("expect_column_median_to_be_between",
     "test_empty_column_should_be_false_no_observed_value_with_which_to_compare"):
        "statistics are checked against the column's type when defined (a text column has no median)",
    ("expect_compound_columns_to_be_unique",
     "unexpected_values_exact_match_out_without_unexpected_index_list"):
        "element_count is reported, which GE 1.2 leaves out of this kind's result",
    ("expect_column_values_to_match_strftime_format", "negative_test_input_already_datetimes"):
        "the column is built as text here, which strftime formats apply to (GE raises because its "
        "SQL backends hold the column as timestamps)",
}

# Kinds that compare each row with the previous one: SQL tables have no
# order, so the runner numbers the rows (ge_row) and passes order_by.
ORDERED_KINDS = ("expect_column_values_to_be_increasing",
                 "expect_column_values_to_be_decreasing")

# Keys of "in" that select rows with GE's own condition parser; dq_lineage
# filters rows with SQL (expect_row_condition), not with GE's syntax.
ROW_FILTER_KEYS = ("row_condition", "condition_parser")


def verbose():
    return "-v" in sys.argv


# ---------------------------------------------------------------------
# A temporary instance
# ---------------------------------------------------------------------

class Instance:
    def __init__(self):
        pg_config = os.environ.get("PG_CONFIG") or "pg_config"
        self.bindir = subprocess.check_output([pg_config, "--bindir"], text=True).strip()
        self.dir = tempfile.mkdtemp(prefix="dq_ge.")
        self.data = os.path.join(self.dir, "data")
        self.sock = self.dir
        self.port = "5432"

    def bin(self, name):
        return os.path.join(self.bindir, name)

    def start(self):
        subprocess.run([self.bin("initdb"), "-D", self.data, "-A", "trust", "-U", "postgres",
                        "--no-sync", "-E", "UTF8", "--locale=C"],
                       check=True, stdout=subprocess.DEVNULL)
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            f.write("listen_addresses = ''\n")
            f.write("unix_socket_directories = '%s'\n" % self.sock)
            f.write("fsync = off\nmax_worker_processes = 8\n")
        subprocess.run([self.bin("pg_ctl"), "-D", self.data, "-l",
                        os.path.join(self.dir, "server.log"), "-w", "start"],
                       check=True, stdout=subprocess.DEVNULL)

    def stop(self):
        subprocess.run([self.bin("pg_ctl"), "-D", self.data, "-m", "fast", "-w", "stop"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(self.dir, ignore_errors=True)

    def psql(self, script):
        """Run a script; returns (stdout lines, stderr)."""
        p = subprocess.run([self.bin("psql"), "-X", "-q", "-A", "-t", "-h", self.sock,
                            "-p", self.port, "-U", "postgres", "-d", "postgres",
                            "-v", "ON_ERROR_STOP=0"],
                           input=script, capture_output=True, text=True)
        return p.stdout.splitlines(), p.stderr


SETUP = r"""
SET client_min_messages = warning;
CREATE EXTENSION dq_lineage;
CREATE FUNCTION ge_run(q text) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE r jsonb;
BEGIN
  EXECUTE q INTO r;
  RETURN pg_catalog.jsonb_build_object('ok', r)::text;
EXCEPTION WHEN OTHERS THEN
  RETURN pg_catalog.jsonb_build_object('error', SQLERRM, 'sqlstate', SQLSTATE)::text;
END $f$;
CREATE FUNCTION ge_exec(q text) RETURNS text LANGUAGE plpgsql AS $f$
BEGIN
  EXECUTE q;
  RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLERRM;
END $f$;
"""


# ---------------------------------------------------------------------
# Building tables as GE's harness builds them (pandas' to_sql)
# ---------------------------------------------------------------------

def lit(v):
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "'NaN'"
        if math.isinf(v):
            return "'Infinity'" if v > 0 else "'-Infinity'"
        return repr(v)
    if isinstance(v, (dict, list)):
        v = json.dumps(v)
    return "'" + str(v).replace("'", "''") + "'"


def infer_type(values):
    """The column type pandas' to_sql gives a column without a schema."""
    vals = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    has_null = len(vals) != len(values)
    if not vals:
        return "text"
    if all(isinstance(v, bool) for v in vals):
        return "boolean"
    if all(isinstance(v, int) and not isinstance(v, bool) for v in vals):
        return "double precision" if has_null else "bigint"
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals):
        return "double precision"
    return "text"


def table_sql(name, data, schemas, row_column=False):
    """CREATE TABLE and INSERT of a dataset; with row_column, a last column
    ge_row numbers the rows in data order (GE's pandas index)."""
    schema = (schemas or {}).get("postgresql")
    data = dict(data)
    if row_column:
        data["ge_row"] = list(range(max((len(v) for v in data.values()), default=0)))
    cols = list(data.keys())
    types = []
    for c in cols:
        if schema and c in schema:
            types.append(PG_TYPES[schema[c]])
        else:
            types.append(infer_type(data[c]))
    nrows = max((len(v) for v in data.values()), default=0)
    stmts = ["CREATE TABLE %s (%s)" % (qi(name), ", ".join(
        "%s %s" % (qi(c), t) for c, t in zip(cols, types)))]
    if nrows:
        rows = []
        for i in range(nrows):
            vals = []
            for c, t in zip(cols, types):
                v = data[c][i] if i < len(data[c]) else None
                if isinstance(v, float) and t in ("integer", "bigint", "smallint") and v == int(v):
                    v = int(v)
                if isinstance(v, (bool, int, float)) and t == "text":
                    v = str(v) if not isinstance(v, bool) else str(v)
                vals.append(lit(v) + "::" + t)
            rows.append("(" + ", ".join(vals) + ")")
        stmts.append("INSERT INTO %s VALUES %s" % (qi(name), ", ".join(rows)))
    return stmts


def qi(name):
    return '"' + name.replace('"', '""') + '"'


def qlit(s):
    return "'" + s.replace("'", "''") + "'"


# ---------------------------------------------------------------------
# Which cases run: GE's rules for a PostgreSQL (sqlalchemy) batch
# ---------------------------------------------------------------------

def as_list(v):
    if v is None:
        return None
    return v if isinstance(v, list) else [v]


def dataset_skip(ds):
    only = as_list(ds.get("only_for"))
    supp = as_list(ds.get("suppress_test_for"))
    if supp and "postgresql" in supp:
        return "dataset suppressed for postgresql"
    if only and "postgresql" not in only:
        return "dataset only for %s" % ",".join(only)
    return None


# Kinds GE implements for pandas only (its tests say only_for pandas):
# dq_lineage follows their pandas semantics, so their pandas tests run.
PANDAS_KINDS = ("expect_column_pair_cramers_phi_value_to_be_less_than",)


def test_skip(t, kind=None):
    only = as_list(t.get("only_for"))
    if only and kind in PANDAS_KINDS and "pandas" in only:
        only = None
    if only and not ("sqlalchemy" in only or "postgresql" in only):
        return "only for %s" % ",".join(only)
    supp = as_list(t.get("suppress_test_for"))
    if supp and ("sqlalchemy" in supp or "postgresql" in supp):
        return "suppressed for %s" % ",".join(s for s in supp if s in ("sqlalchemy", "postgresql"))
    return None


# ---------------------------------------------------------------------
# Comparing as check_json_test_result does
# ---------------------------------------------------------------------

def allclose(a, b, rtol, atol):
    if isinstance(a, list) or isinstance(b, list):
        if not isinstance(a, list) or not isinstance(b, list) or len(a) != len(b):
            return False
        return all(allclose(x, y, rtol, atol) for x, y in zip(a, b))
    if a is None or b is None or isinstance(a, (str, dict)) or isinstance(b, (str, dict)):
        return a == b
    a = float(a)
    b = float(b)
    if math.isnan(a) or math.isnan(b):
        return False
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= atol + rtol * abs(b)


def sort_values(expected, got):
    if isinstance(expected, list) and expected and isinstance(got, list):
        if isinstance(expected[0], dict):
            keys = list(expected[0].keys())
            try:
                expected = sorted(expected, key=lambda x: tuple(str(x[k]) for k in keys))
                got = sorted(got, key=lambda x: tuple(str(x.get(k)) for k in keys))
            except (KeyError, AttributeError):
                pass
        elif not isinstance(expected[0], (list, type(None))):
            expected = sorted(expected, key=str)
            got = sorted(got, key=str)
    return expected, got


def norm(v):
    """JSON values as GE's to_json_dict gives them: tuples are lists."""
    if isinstance(v, tuple):
        return [norm(x) for x in v]
    if isinstance(v, list):
        return [norm(x) for x in v]
    if isinstance(v, dict):
        return {k: norm(x) for k, x in v.items()}
    return v


def check(test, res):
    """Problems of result res against the case's "out" (empty: passed)."""
    out = test["out"]
    r = res.get("result", {})
    bad = []

    def expect(cond, msg):
        if not cond:
            bad.append(msg)

    if test.get("exact_match_out"):
        expect(res.get("success") == out.get("success"),
               "success %s != %s" % (res.get("success"), out.get("success")))
        if "result" in out:
            exp = dict(out["result"])
            got = dict(r)
            for key in ("unexpected_list", "partial_unexpected_list"):
                if key in exp and key in got:
                    exp[key], got[key] = sort_values(exp[key], got[key])
            obs_ok = True
            if "observed_value" in exp and isinstance(got.get("observed_value"), float):
                obs_ok = allclose(got.pop("observed_value"), exp.pop("observed_value"), RTOL, ATOL)
            expect(obs_ok and norm(got) == norm(exp),
                   "result %s != %s" % (json.dumps(r, sort_keys=True),
                                        json.dumps(out["result"], sort_keys=True)))
        return bad

    for key, value in out.items():
        if key == "success":
            expect(res.get("success") == value, "success %s != %s" % (res.get("success"), value))
        elif key == "observed_value":
            got = r.get("observed_value")
            if "tolerance" in test:
                if isinstance(value, dict):
                    ok = isinstance(got, dict) and set(got) == set(value) and all(
                        allclose(got[k], v, test["tolerance"], 0) for k, v in value.items())
                else:
                    ok = allclose(got, value, test["tolerance"], 0)
            elif isinstance(value, dict) and "values" in value:
                ok = isinstance(got, dict) and allclose(got.get("values"), value["values"], RTOL, ATOL)
            elif RX_FLOAT.match(repr(value)):
                ok = allclose(got, value, RTOL, ATOL)
            else:
                ok = norm(got) == norm(value)
            expect(ok, "observed_value %s != %s" % (json.dumps(got), json.dumps(value)))
        elif key == "observed_value_list":
            expect(r.get("observed_value") in value,
                   "observed_value %s not in %s" % (r.get("observed_value"), value))
        elif key in ("unexpected_list", "partial_unexpected_list"):
            exp, got = sort_values(value, r.get(key))
            expect(norm(got) == norm(exp), "%s %s != %s" % (key, json.dumps(got), json.dumps(exp)))
        elif key in ("element_count", "missing_count", "unexpected_count", "unexpected_percent"):
            got = r.get(key)
            expect(allclose(got, value, RTOL, 0) if isinstance(value, float) else got == value,
                   "%s %s != %s" % (key, got, value))
        elif key == "details":
            expect(norm(r.get("details")) == norm(value),
                   "details %s != %s" % (json.dumps(r.get("details")), json.dumps(value)))
        elif key == "value_counts":
            vc = (r.get("details") or {}).get("value_counts") or []
            for v in value:
                expect(v in vc, "value_counts lack %s (have %s)" % (json.dumps(v), json.dumps(vc)))
        elif key.startswith("observed_cdf"):
            cdf = ((r.get("details") or {}).get("observed_cdf") or {}).get("x") or [None]
            x = cdf[-1] if "x_-1" in key else cdf[0]
            if x is None:
                bad.append("no details.observed_cdf")
            elif key.endswith("gt"):
                expect(x > value, "%s: %s not > %s" % (key, x, value))
            elif key.endswith("lt"):
                expect(x < value, "%s: %s not < %s" % (key, x, value))
            else:
                expect(x == value, "%s: %s != %s" % (key, x, value))
        elif key in ("expected_partition", "observed_partition"):
            part = (r.get("details") or {}).get(key)
            if not isinstance(part, dict):
                bad.append("no details.%s" % key)
                continue
            for sub in ("bins", "weights", "tail_weights"):
                if sub in part or (sub != "tail_weights"):
                    expect(allclose(part.get(sub), value.get(sub), 1e-5, 1e-8),
                           "%s.%s %s != %s" % (key, sub, part.get(sub), value.get(sub)))
        elif key in ("unexpected_index_list", "traceback_substring", "meta"):
            pass                # see run_case; GE checks the index list only with pk columns
        else:
            bad.append("unrecognized key %s in out" % key)
    return bad


# ---------------------------------------------------------------------
# The cases
# ---------------------------------------------------------------------

def json_safe(v):
    """JSON has no infinities: GE's Python writes them as bare Infinity,
    dq_lineage takes the strings PostgreSQL writes ("Infinity")."""
    if isinstance(v, float) and (math.isinf(v) or math.isnan(v)):
        return "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")
    if isinstance(v, list):
        return [json_safe(x) for x in v]
    if isinstance(v, dict):
        return {k: json_safe(x) for k, x in v.items()}
    return v


def call_sql(kind, table, kwargs):
    params = {"result_format": {"result_format": "COMPLETE"}}
    params.update(json_safe(kwargs))
    column = params.pop("column", None)
    return "SELECT dq.check(%s, %s, %s, %s::jsonb)" % (
        qlit(qi(table)), qlit(kind), "NULL" if column is None else qlit(column),
        qlit(json.dumps(params)))


def main():
    files = [a for a in sys.argv[1:] if not a.startswith("-")]
    if not files:
        files = sorted(glob.glob(os.path.join(DEFS, "*", "*.json")))
    inst = Instance()
    inst.start()
    try:
        lines, err = inst.psql(SETUP)
        if err.strip():
            print("ge: setup failed: " + err.strip())
            print("ge: 0 passed, 1 failed, 0 skipped")
            return 1
        kinds_out, _ = inst.psql("SELECT kind FROM dq.expectation_kinds;")
        known = set(k.strip() for k in kinds_out)

        cases = []              # (id, label, test, kind)
        skipped = []            # (label, reason)
        script = []
        tno = 0
        for path in files:
            with open(path) as f:
                spec = json.load(f)
            kind = spec["expectation_type"]
            base = os.path.relpath(path, DEFS)
            for dsi, ds in enumerate(spec["datasets"]):
                reason = dataset_skip(ds)
                tests = []
                for t in ds["tests"]:
                    label = "%s: %s" % (base, t["title"])
                    why = reason or test_skip(t, kind)
                    if why is None and kind not in known:
                        why = "kind not implemented"
                    if why is None and (kind, t["title"]) in DOCUMENTED:
                        why = "documented difference: " + DOCUMENTED[(kind, t["title"])]
                    if why is None and not isinstance(t["in"], list) and \
                            any(k in t["in"] for k in ROW_FILTER_KEYS):
                        why = "row_condition in GE's condition syntax (dq_lineage filters with SQL)"
                    if why is None and "$PARAMETER" in json.dumps(t["in"]):
                        why = "suite parameters ($PARAMETER): dq_lineage takes literal values"
                    if why is None:
                        tests.append((label, t))
                    else:
                        skipped.append((label, why))
                if not tests:
                    continue
                # the dataset's tables (a list of datasets: several tables)
                datasets = ds["data"] if isinstance(ds["data"], list) else \
                    [{"data": ds["data"], "schemas": ds.get("schemas"),
                      "dataset_name": ds.get("dataset_name")}]
                names = []
                for k, d in enumerate(datasets):
                    tno += 1
                    tname = d.get("dataset_name") if isinstance(ds["data"], list) else None
                    tname = tname or "ge_%d" % tno
                    names.append(tname)
                    for stmt in table_sql(tname, d["data"], d.get("schemas"),
                                          kind in ORDERED_KINDS):
                        script.append("SELECT 'T' || %s || chr(9) || ge_exec(%s);" %
                                      (qlit(tname), qlit(stmt)))
                for label, t in tests:
                    kw = t["in"]
                    if isinstance(kw, list):
                        kw = {"column": kw[0]} if kind == "expect_column_to_exist" else {}
                    if kind in ORDERED_KINDS:
                        kw = dict(kw, order_by="ge_row")
                    cid = len(cases)
                    cases.append((cid, label, t, kind))
                    script.append("SELECT 'C%d' || chr(9) || ge_run(%s);" %
                                  (cid, qlit(call_sql(kind, names[0], kw))))
        lines, err = inst.psql("SET client_min_messages = warning;\nSET statement_timeout = '120s';\n" +
                               "\n".join(script) + "\n")
        results = {}
        table_errors = []
        for line in lines:
            tag, _, payload = line.partition("\t")
            if tag.startswith("C"):
                results[int(tag[1:])] = json.loads(payload)
            elif tag.startswith("T") and payload != "ok":
                table_errors.append("%s: %s" % (tag[1:], payload))
        failed = []
        passed = 0
        loose = []
        for cid, label, t, kind in cases:
            res = results.get(cid)
            expects_error = "traceback_substring" in t["out"]
            if res is None:
                failed.append((label, "no result (the server may have crashed)"))
            elif "error" in res and not expects_error and \
                    isinstance(t["in"], dict) and t["in"].get("catch_exceptions"):
                # GE catches the error and returns it in exception_info
                doc = {"success": False, "result": {},
                       "exception_info": {"raised_exception": True,
                                          "exception_message": res["error"]}}
                problems = check(t, doc)
                if problems:
                    failed.append((label, "ERROR %s: %s (%s)" % (res["sqlstate"], res["error"],
                                                                  "; ".join(problems))))
                else:
                    passed += 1
            elif "error" in res:
                if expects_error:
                    passed += 1
                else:
                    failed.append((label, "ERROR %s: %s" % (res["sqlstate"], res["error"])))
            else:
                doc = res["ok"]
                if expects_error:
                    if (doc.get("exception_info") or {}).get("raised_exception"):
                        passed += 1
                    else:
                        failed.append((label, "expected an error, got success=%s" % doc.get("success")))
                    continue
                problems = check(t, doc)
                if problems:
                    failed.append((label, "; ".join(problems)))
                else:
                    passed += 1
                    exp = t["out"].get("observed_value")
                    got = (doc.get("result") or {}).get("observed_value")
                    if isinstance(exp, float) and isinstance(got, (int, float)) and \
                            not allclose(got, exp, 1e-9, 1e-12):
                        loose.append((label, got, exp))
        for e in table_errors:
            print("ge: table error: " + e)
        reasons = {}
        for label, why in skipped:
            reasons.setdefault(why, []).append(label)
            print("ge: skipped %s (%s)" % (label, why))
        for why in sorted(reasons):
            print("ge: %d skipped: %s" % (len(reasons[why]), why))
        for label, got, exp in loose:
            print("ge: note: %s: observed_value %r matches %r only within GE's tolerance" %
                  (label, got, exp))
        for label, why in failed:
            print("ge: FAILED %s: %s" % (label, why))
        if err.strip() and verbose():
            print(err)
        print("ge: %d passed, %d failed, %d skipped" % (passed, len(failed), len(skipped)))
        return 1 if failed else 0
    finally:
        if os.environ.get("DQ_GE_KEEP"):
            print("ge: instance kept in " + inst.dir)
        else:
            inst.stop()


if __name__ == "__main__":
    sys.exit(main())
