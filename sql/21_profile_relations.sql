-- dq.profile on every kind of relation, column subsets, sampling, exact
-- counts, history and the latest_profile view
\set VERBOSITY terse
CREATE SCHEMA "Sales";
CREATE TABLE "Sales"."Order Lines" ("Line Id" int, amount numeric(10,2), region text COLLATE "C");
INSERT INTO "Sales"."Order Lines"
    SELECT g, (g % 100) * 1.25, (ARRAY['north', 'south', 'east', NULL])[1 + g % 4]
      FROM generate_series(1, 2000) g;

-- quoted identifiers, all columns
SELECT dq.profile('"Sales"."Order Lines"') AS run \gset
SELECT schema_name, table_name, relkind, rows_scanned, sampled, sample_method,
       sample_percent, exact, columns_profiled, run_by = current_user AS run_by_me,
       finished_at >= started_at AS timed
  FROM dq.profile_runs WHERE run_id = :run;
SELECT column_name, row_count, null_count, distinct_count, min_value, max_value, sum
  FROM dq.column_profiles WHERE run_id = :run ORDER BY attnum;

-- a subset of columns, exact distinct counts
SELECT dq.profile('"Sales"."Order Lines"', columns => ARRAY['region', 'Line Id']::name[],
                  exact => true) AS run2 \gset
SELECT column_name, distinct_count, distinct_method
  FROM dq.column_profiles WHERE run_id = :run2 ORDER BY attnum;
SELECT columns_profiled, exact FROM dq.profile_runs WHERE run_id = :run2;

-- latest_profile: newest run per column; amount still comes from the first run
SELECT column_name, run_id = :run2 AS from_second_run, distinct_method
  FROM dq.latest_profile WHERE table_name = 'Order Lines' ORDER BY attnum;
-- renamed table and column show their current names
ALTER TABLE "Sales"."Order Lines" RENAME COLUMN region TO area;
ALTER TABLE "Sales"."Order Lines" RENAME TO order_lines;
SELECT schema_name, table_name, column_name
  FROM dq.latest_profile WHERE relid = '"Sales".order_lines'::regclass ORDER BY attnum;

-- sampling (TABLESAMPLE SYSTEM) is recorded
SELECT dq.profile('"Sales".order_lines', sample_percent => 50) AS run3 \gset
SELECT sampled, sample_method, sample_percent, rows_scanned <= 2000 AS bounded
  FROM dq.profile_runs WHERE run_id = :run3;

-- partitioned table: all partitions
CREATE TABLE events (id int, kind text COLLATE "C") PARTITION BY RANGE (id);
CREATE TABLE events_1 PARTITION OF events FOR VALUES FROM (0) TO (100);
CREATE TABLE events_2 PARTITION OF events FOR VALUES FROM (100) TO (200);
INSERT INTO events SELECT g, 'k' || (g % 3) FROM generate_series(0, 199) g;
SELECT dq.profile('events') AS run \gset
SELECT relkind, rows_scanned FROM dq.profile_runs WHERE run_id = :run;
SELECT column_name, row_count, distinct_count, min_value, max_value
  FROM dq.column_profiles WHERE run_id = :run ORDER BY attnum;
SELECT dq.profile('events', sample_percent => 100) AS run \gset
SELECT rows_scanned, sampled FROM dq.profile_runs WHERE run_id = :run;

-- materialized view and view
CREATE MATERIALIZED VIEW events_mv AS SELECT kind, count(*) AS n FROM events GROUP BY kind;
SELECT dq.profile('events_mv') AS run \gset
SELECT relkind, rows_scanned FROM dq.profile_runs WHERE run_id = :run;
SELECT column_name, min_value, max_value, sum FROM dq.column_profiles WHERE run_id = :run ORDER BY attnum;
CREATE VIEW events_v AS SELECT id * 2 AS double_id FROM events WHERE id < 10;
SELECT dq.profile('events_v') AS run \gset
SELECT relkind, rows_scanned FROM dq.profile_runs WHERE run_id = :run;
SELECT column_name, min_value, max_value, sum FROM dq.column_profiles WHERE run_id = :run;

-- inheritance parent includes its children (as SELECT does)
CREATE TABLE parent_t (a int);
CREATE TABLE child_t () INHERITS (parent_t);
INSERT INTO parent_t VALUES (1);
INSERT INTO child_t VALUES (2), (3);
SELECT dq.profile('parent_t') AS run \gset
SELECT rows_scanned FROM dq.profile_runs WHERE run_id = :run;

-- history: every run is kept; deleting a run deletes its column profiles
SELECT count(*) FROM dq.profile_runs WHERE relid = '"Sales".order_lines'::regclass;
DELETE FROM dq.profile_runs WHERE run_id = :run3;
SELECT count(*) FROM dq.column_profiles WHERE run_id = :run3;

-- a dropped column is skipped; a table with no columns profiles its rows
ALTER TABLE parent_t ADD COLUMN b int;
ALTER TABLE parent_t DROP COLUMN b;
SELECT dq.profile('parent_t') AS run \gset
SELECT columns_profiled FROM dq.profile_runs WHERE run_id = :run;
CREATE TABLE no_cols ();
INSERT INTO no_cols DEFAULT VALUES;
SELECT dq.profile('no_cols') AS run \gset
SELECT rows_scanned, columns_profiled FROM dq.profile_runs WHERE run_id = :run;

-- a transaction that rolls back leaves no profile behind
SELECT count(*) AS runs_before FROM dq.profile_runs \gset
BEGIN;
SELECT dq.profile('events') > 0 AS profiled;
ROLLBACK;
SELECT count(*) = :runs_before AS nothing_left FROM dq.profile_runs;

-- wide table: more columns than one dq.row_profile() call takes (90)
SELECT format('CREATE TABLE wide (%s)',
              string_agg(format('c%s int', i), ', ' ORDER BY i))
  FROM generate_series(1, 200) i \gexec
INSERT INTO wide SELECT g, g + 1, g + 2 FROM generate_series(1, 10) g;
UPDATE wide SET c200 = c1 * 100, c91 = 7;
SELECT dq.profile('wide') AS run \gset
SELECT count(*) AS columns, sum(row_count) AS rows_total FROM dq.column_profiles WHERE run_id = :run;
SELECT column_name, null_count, min_value, max_value FROM dq.column_profiles
 WHERE run_id = :run AND column_name IN ('c1', 'c3', 'c4', 'c90', 'c91', 'c200') ORDER BY attnum;
SELECT dq.profile('wide', columns => ARRAY['c200', 'c1']::name[], exact => true) AS run \gset
SELECT column_name, distinct_count, distinct_method FROM dq.column_profiles WHERE run_id = :run ORDER BY attnum;
DROP TABLE wide;
