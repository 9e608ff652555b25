#!/usr/bin/env bash
# bench/pii/run.sh: the sensitive-data detectors.
#
#   bench/pii/run.sh          (as root, or as a user who may sudo)
#
# (1) Quality: the labeled data set of bench/pii/setup.sql (7 tables, 61
#     columns, 20,000 rows each: every kind of sensitive column named in
#     English, German, Spanish, French or not at all, and look-alikes) is
#     profiled; the automatic tags (dq.column_tags) are compared with the
#     labels: precision and recall per tag and overall.  The same for a
#     name-only classifier (the column-name patterns alone, what tools that
#     match column names do) on the same columns.
# (2) Cost: dq.profile() of the 2M-row, 12-column table of bench/profile
#     (bench_mixed) with the detectors on and off, BENCH_RUNS alternating
#     pairs (default 7); the median ratio on/off, smallest and largest.
# A throwaway cluster with default settings (JIT on, huge pages off) on a
# Unix socket, deleted on exit.  Environment: BENCH_RUNS, BENCH_ROWS
# (default 2000000), BENCH_COST=0 skips (2).
set -euo pipefail

# shellcheck source=bench/lib.sh
. "$(dirname "$0")/../lib.sh"
bench_int RUNS 7
bench_int ROWS 2000000
bench_prepare
bench_cluster_init pii </dev/null
bench_cluster_start
bpsql -q -c 'CREATE EXTENSION dq_lineage' >/dev/null

echo "== sensitive-data detection: $(date -u '+%Y-%m-%d %H:%M UTC'), load average $LOADAVG"
echo "   server: $(bval 'SHOW server_version'), jit $(bval 'SHOW jit'), $(nproc) CPUs"

bpsql -q -f "$HERE/setup.sql" >/dev/null
bpsql -q -At -c "SELECT dq.profile(c.oid) FROM pg_class c
                  WHERE c.relnamespace = 'pii'::regnamespace AND c.relkind = 'r'
                    AND c.relname <> 'truth'" >/dev/null

echo
echo "-- (1) quality on $(bval "SELECT count(DISTINCT (table_name, column_name)) FROM pii.truth") labeled columns"
bpsql -q <<'SQL'
\pset footer off
CREATE TEMP VIEW predicted AS
	SELECT t.table_name, t.column_name, t.tag
	  FROM dq.column_tags t WHERE t.schema_name = 'pii' AND t.decision = 'suggested';
CREATE TEMP VIEW name_only AS
	SELECT a.attrelid::regclass::text AS rel, c.relname AS table_name, a.attname AS column_name,
		   unnest(dq_internal.name_hint_tags(a.attname)) AS tag
	  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
	 WHERE c.relnamespace = 'pii'::regnamespace AND c.relkind = 'r'
	   AND c.relname <> 'truth' AND a.attnum > 0 AND NOT a.attisdropped;
CREATE TEMP VIEW expected AS
	SELECT table_name, column_name, tag FROM pii.truth WHERE tag IS NOT NULL;
CREATE TEMP VIEW scores AS
WITH p AS (
	SELECT 'dq_lineage' AS classifier, table_name, column_name, tag FROM predicted
	UNION ALL
	SELECT 'name only', table_name, column_name, tag FROM name_only
), tags AS (
	SELECT DISTINCT tag FROM expected
), per AS (
	SELECT c.classifier, t.tag,
		   (SELECT count(*) FROM p JOIN expected e USING (table_name, column_name, tag)
			 WHERE p.classifier = c.classifier AND p.tag = t.tag) AS tp,
		   (SELECT count(*) FROM p WHERE p.classifier = c.classifier AND p.tag = t.tag
			   AND NOT EXISTS (SELECT 1 FROM expected e WHERE (e.table_name, e.column_name, e.tag)
							   = (p.table_name, p.column_name, p.tag))) AS fp,
		   (SELECT count(*) FROM expected e WHERE e.tag = t.tag
			   AND NOT EXISTS (SELECT 1 FROM p WHERE p.classifier = c.classifier
							   AND (e.table_name, e.column_name, e.tag)
								 = (p.table_name, p.column_name, p.tag))) AS fn
	  FROM (VALUES ('dq_lineage'), ('name only')) c(classifier) CROSS JOIN tags t
)
SELECT classifier, tag, tp, fp, fn,
	   round(tp::numeric / nullif(tp + fp, 0), 3) AS precision,
	   round(tp::numeric / nullif(tp + fn, 0), 3) AS recall
  FROM per
UNION ALL
SELECT classifier, '(overall)', sum(tp), sum(fp), sum(fn),
	   round(sum(tp) / nullif(sum(tp + fp), 0), 3), round(sum(tp) / nullif(sum(tp + fn), 0), 3)
  FROM per GROUP BY classifier;
SELECT * FROM scores ORDER BY classifier, tag = '(overall)', tag;
\echo
\echo false positives and misses of dq_lineage:
SELECT 'false positive' AS kind, p.table_name, p.column_name, p.tag FROM predicted p
 WHERE NOT EXISTS (SELECT 1 FROM expected e WHERE (e.table_name, e.column_name, e.tag)
				   = (p.table_name, p.column_name, p.tag))
UNION ALL
SELECT 'missed', e.table_name, e.column_name, e.tag FROM expected e
 WHERE NOT EXISTS (SELECT 1 FROM predicted p WHERE (e.table_name, e.column_name, e.tag)
				   = (p.table_name, p.column_name, p.tag))
ORDER BY 1, 2, 3;
SQL

if [ "${BENCH_COST:-1}" = 0 ]; then
  exit 0
fi

echo
echo "-- (2) cost on bench_mixed ($ROWS rows, 12 columns), $RUNS alternating pairs"
bpsql -q -f "$HERE/../profile/setup.sql" >/dev/null
bpsql -q -c "SELECT bench.make_mixed('bench_mixed', $ROWS)" >/dev/null
bpsql -q -c 'VACUUM ANALYZE bench_mixed' >/dev/null
# warm the cache
bpsql -q -c "SELECT dq.profile('bench_mixed')" >/dev/null
read -r med lo hi < <(bench_pair_ratios "$RUNS" \
  "SET dq_lineage.detect_sensitive = off;" \
  "SELECT dq.profile('bench_mixed')" \
  "SELECT dq.profile('bench_mixed')")
echo "dq.profile with detection on / off: median $med (pairs $lo - $hi); target <= 1.10"
