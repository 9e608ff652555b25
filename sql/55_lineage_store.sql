-- The lineage store: dq.upstream / dq.downstream composing a path's
-- classification, one row per node reached; occurrence counts and rolled-back
-- savepoints; the statement cache after edges are deleted by hand; the
-- shared counter table.
\set VERBOSITY terse
CREATE SCHEMA cl;
CREATE TABLE cl.raw (id int, amount numeric, region text, status text, secret text);
CREATE TABLE cl.clean (id int, amount numeric, region text, token text);
CREATE TABLE cl.by_region (region text, total numeric, n bigint);
CREATE TABLE cl.report (region text, total numeric, token_count bigint);
-- raw -> clean: IDENTITY, a CAST, a hash (masking), a FILTER
INSERT INTO cl.clean SELECT id, amount, region, md5(secret) FROM cl.raw WHERE status = 'ok';
-- clean -> by_region: AGGREGATION, GROUP_BY
INSERT INTO cl.by_region SELECT region, sum(amount), count(*) FROM cl.clean GROUP BY region;
-- by_region -> report: IDENTITY and TRANSFORMATION; clean.token through count
INSERT INTO cl.report
  SELECT b.region, b.total * 1.1, (SELECT count(c.token) FROM cl.clean c WHERE c.region = b.region)
    FROM cl.by_region b;

-- 58. composed classification per path: IDENTITY then AGGREGATION then
-- TRANSFORMATION is AGGREGATION; an INDIRECT edge anywhere makes the path
-- INDIRECT with the subtype of the first INDIRECT edge from the source;
-- one row per source column, its strongest relationship, the shortest path
SELECT depth, source_table, source_column, lineage_type, subtype, masking, paths, path
  FROM dq.upstream('cl.report', 'total');
SELECT depth, source_table, source_column, lineage_type, subtype, masking, paths
  FROM dq.upstream('cl.report', 'token_count');
-- downstream of raw.amount: one row per column reached
SELECT depth, target_table, target_column, lineage_type, subtype, paths, path
  FROM dq.downstream('cl.raw', 'amount');
SELECT depth, target_table, target_column, lineage_type, subtype, masking
  FROM dq.downstream('cl.raw', 'secret');
-- a whole relation: every source once
SELECT count(*) AS rows, count(DISTINCT (source_table, source_column)) AS distinct_sources
  FROM dq.upstream('cl.report');

-- 59. executions inside a rolled-back savepoint do not count; a released
-- one counts; so does a PL/pgSQL exception block that caught an error
CREATE TABLE cl.sink (id int);
SELECT dq.lineage_flush();
BEGIN;
INSERT INTO cl.sink SELECT id FROM cl.raw;
SAVEPOINT a;
INSERT INTO cl.sink SELECT id FROM cl.raw;
SAVEPOINT b;
INSERT INTO cl.sink SELECT id FROM cl.raw;
RELEASE SAVEPOINT b;
ROLLBACK TO SAVEPOINT a;
SAVEPOINT c;
INSERT INTO cl.sink SELECT id FROM cl.raw;
RELEASE SAVEPOINT c;
COMMIT;
SELECT occurrences FROM dq.column_lineage WHERE target_table = 'sink';
CREATE FUNCTION cl.try_insert(fail boolean) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  BEGIN
    INSERT INTO cl.sink SELECT id FROM cl.raw;
    IF fail THEN
      RAISE EXCEPTION 'undo';
    END IF;
  EXCEPTION WHEN raise_exception THEN
    NULL;
  END;
END $$;
SELECT cl.try_insert(true);
SELECT cl.try_insert(false);
SELECT cl.try_insert(true);
SELECT source_column, occurrences FROM dq.column_lineage
 WHERE target_table = 'sink' ORDER BY query_ids;
SELECT dq.lineage_flush();
SELECT source_column, occurrences FROM dq.column_lineage
 WHERE target_table = 'sink' ORDER BY query_ids;

-- 60. edges deleted by hand are written again by the next execution
-- (every session's statement cache is invalidated at commit)
INSERT INTO cl.sink SELECT id FROM cl.raw;
DELETE FROM dq.lineage_edges WHERE target_table = 'sink';
SELECT count(*) FROM dq.lineage_edges WHERE target_table = 'sink';
INSERT INTO cl.sink SELECT id FROM cl.raw;
SELECT source_column, target_column, subtype FROM dq.column_lineage WHERE target_table = 'sink';
TRUNCATE dq.lineage_edges;
INSERT INTO cl.sink SELECT id FROM cl.raw;
SELECT source_column, target_column, subtype FROM dq.column_lineage WHERE target_table = 'sink';
-- the extension's own deletions (CREATE OR REPLACE VIEW) do not invalidate
CREATE VIEW cl.v AS SELECT id FROM cl.raw;
CREATE OR REPLACE VIEW cl.v AS SELECT id, region FROM cl.raw;
SELECT source_column, target_column FROM dq.column_lineage WHERE target_table = 'v' ORDER BY 1;

-- 61. the shared counter table: its size is dq_lineage.lineage_counters
SHOW dq_lineage.lineage_counters;
SELECT counters_max, counters_used >= 0 AS used, executions_lost, overflows, last_overflow
  FROM dq.lineage_counter_status;
