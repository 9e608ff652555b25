\set VERBOSITY terse
-- Relations that are dropped and re-created: history kept and flagged,
-- expectations and watches end with a NOTICE and follow a re-created
-- relation only through dq.reattach; latest views and the scorecard show
-- current relations; a validation of nothing says so.
CREATE SCHEMA rl;
CREATE TABLE rl.orders (id int, note text, amount int);
INSERT INTO rl.orders VALUES (1, 'a', 10), (2, 'b', 20), (NULL, 'c', -1);
SELECT dq.profile('rl.orders') > 0 AS profiled;
SELECT dq.expect('rl.orders', 'expect_column_values_to_not_be_null', 'id') > 0 AS e1;
SELECT dq.expect('rl.orders', 'expect_column_values_to_be_between', 'amount',
                 '{"min_value": 0}') > 0 AS e2;
SELECT dq.expect('rl.orders', 'expect_column_pair_values_a_to_be_greater_than_b',
                 params => '{"column_A": "amount", "column_B": "id", "or_equal": true}') > 0 AS e3;
SELECT dq.validate('rl.orders') > 0 AS validated;
INSERT INTO dq.watched_tables (relid, schema_name, table_name, owner)
  VALUES ('rl.orders', 'rl', 'orders', current_user);
SELECT table_name, expectations, open_failures FROM dq.quality_scorecard WHERE schema_name = 'rl';
SELECT count(*) AS latest_profile FROM dq.latest_profile WHERE schema_name = 'rl';
SELECT count(*) AS latest_validation FROM dq.latest_validation WHERE schema_name = 'rl';

-- the drop ends the expectations and the watch, with a NOTICE each
DROP TABLE rl.orders;
SELECT kind, relid IS NULL AS no_relation, enabled, status, schema_name, table_name
  FROM dq.expectations WHERE schema_name = 'rl' ORDER BY expectation_id;
SELECT count(*) AS watched FROM dq.watched_tables;
SELECT schema_name, table_name, object_type, expectations_ended, watch_ended,
       reattached_at IS NULL AS not_reattached
  FROM dq.dropped_relations WHERE schema_name = 'rl';
-- the history stays, flagged, with the names of the time
SELECT table_name, evaluated, failed, relation_dropped, nothing_evaluated
  FROM dq.validation_summary WHERE schema_name = 'rl';
SELECT count(*) AS kept_profiles FROM dq.column_profiles p JOIN dq.profile_runs r USING (run_id)
 WHERE r.schema_name = 'rl' AND p.relid IS NULL AND r.relid IS NULL;
SELECT count(*) AS kept_results FROM dq.validation_results v JOIN dq.validation_runs r USING (run_id)
 WHERE r.schema_name = 'rl' AND v.relid IS NULL;

-- a table of the same name is another table: nothing follows it by itself
CREATE TABLE rl.orders (amount int, id int);
INSERT INTO rl.orders VALUES (5, 1), (7, 2);
SELECT count(*) AS latest_profile FROM dq.latest_profile WHERE schema_name = 'rl';
SELECT count(*) AS latest_validation FROM dq.latest_validation WHERE schema_name = 'rl';
SELECT count(*) AS scorecard FROM dq.quality_scorecard WHERE schema_name = 'rl';
SELECT dq.validate('rl.orders') AS run \gset
SELECT evaluated, nothing_evaluated FROM dq.validation_runs WHERE run_id = :run;
SELECT table_name, success_percent, nothing_evaluated, relation_dropped
  FROM dq.validation_summary WHERE run_id = :run;
-- its predecessor's watch ended with the drop: nothing to unwatch
SELECT dq.unwatch('rl.orders') AS was_watched;

-- on request, the ended expectations follow it, columns found by name
SELECT dq.reattach('rl.orders') AS reattached;
SELECT kind, column_name, attnum, param_attnums, enabled, status, relid::text
  FROM dq.expectations WHERE schema_name = 'rl' ORDER BY expectation_id;
SELECT dq.validate('rl.orders') AS run \gset
SELECT evaluated, succeeded, failed, nothing_evaluated FROM dq.validation_runs WHERE run_id = :run;
SELECT table_name, expectations, open_failures, runs FROM dq.quality_scorecard WHERE schema_name = 'rl';
SELECT reattached_at IS NOT NULL AS reattached FROM dq.dropped_relations WHERE schema_name = 'rl';
SELECT dq.reattach('rl.orders') AS again;

-- watched and unwatched by name
INSERT INTO dq.watched_tables (relid, schema_name, table_name, owner)
  VALUES ('rl.orders', 'rl', 'orders', current_user);
SELECT dq.unwatch('rl.orders') AS was_watched;

-- an expectation whose column the new table lacks stays disabled
CREATE TABLE rl.t2 (a int, b int);
SELECT dq.expect('rl.t2', 'expect_column_values_to_not_be_null', 'b') > 0 AS e;
DROP TABLE rl.t2;
CREATE TABLE rl.t2 (a int);
SELECT dq.reattach('rl.t2') AS reattached;
SELECT column_name, attnum, enabled, status, relid::text
  FROM dq.expectations WHERE table_name = 't2';

-- only the table's owner (or dq_admin) reattaches; NULL is refused
CREATE ROLE regress_rl_other;
GRANT USAGE ON SCHEMA rl TO regress_rl_other;
SET ROLE regress_rl_other;
SELECT dq.reattach('rl.t2');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT dq.reattach(NULL);
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- lineage of a dropped relation is kept, marked dropped, without its OID;
-- a new relation of the same name is not connected to it
CREATE TABLE rl.src (x int);
CREATE TABLE rl.dst AS SELECT x FROM rl.src;
DROP TABLE rl.src;
SELECT source_table, source_column, source_relid IS NULL AS no_source, target_relid::text, dropped
  FROM dq.lineage_edges WHERE target_table = 'dst';
SELECT source_table, target_table, dropped FROM dq.column_lineage WHERE target_table = 'dst';
CREATE TABLE rl.src (x int);
SELECT count(*) AS downstream FROM dq.downstream('rl.src');
SELECT count(*) AS upstream FROM dq.upstream('rl.dst');

-- dropping a column keeps the table's references
CREATE TABLE rl.c (a int, b int);
SELECT dq.expect('rl.c', 'expect_column_values_to_not_be_null', 'b') > 0 AS e;
ALTER TABLE rl.c DROP COLUMN b;
SELECT status, enabled, relid::text FROM dq.expectations WHERE table_name = 'c';

-- a schema dropped with its tables: one NOTICE per relation with expectations
DROP SCHEMA rl CASCADE;
SELECT table_name, expectations_ended, watch_ended FROM dq.dropped_relations
 WHERE schema_name = 'rl' ORDER BY table_name, watch_ended;
SELECT count(*) AS left_attached FROM dq.expectations WHERE schema_name = 'rl' AND relid IS NOT NULL;
DROP ROLE regress_rl_other;
