-- dq_reader: a NOLOGIN role that reads the BI views; a BI user granted it
-- sees what its own privileges allow, and nothing of the tables it may
-- not read.
\set VERBOSITY terse
SELECT rolname, rolcanlogin, rolsuper, rolcreaterole, rolinherit
  FROM pg_roles WHERE rolname = 'dq_reader';
-- what it may read: every BI view, nothing written
SELECT c.relname, has_table_privilege('dq_reader', c.oid, 'SELECT') AS can_select
  FROM pg_class c
 WHERE c.relnamespace = 'dq'::regnamespace
   AND c.relname IN ('profile_history', 'metric_history', 'validation_history', 'expectation_history',
                     'violations_per_hour', 'cdc_lag_history', 'cdc_lag', 'job_run_history',
                     'table_scorecard', 'lineage_graph_edges', 'lineage_graph_nodes',
                     'latest_profile', 'latest_validation', 'quality_scorecard', 'column_lineage')
 ORDER BY 1;
SELECT count(*) AS writable
  FROM pg_class c, unnest(ARRAY['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) p
 WHERE c.relnamespace = 'dq'::regnamespace AND c.relkind IN ('r', 'v', 'p', 'm')
   AND has_table_privilege('dq_reader', c.oid, p);
-- every BI view runs with the reader's rights (row-level security stays in force)
SELECT c.relname
  FROM pg_class c
 WHERE c.relnamespace = 'dq'::regnamespace AND c.relkind = 'v'
   AND c.relname IN ('profile_history', 'metric_history', 'validation_history', 'expectation_history',
                     'violations_per_hour', 'cdc_lag_history', 'cdc_lag', 'job_run_history',
                     'table_scorecard', 'lineage_graph_edges', 'lineage_graph_nodes')
   AND NOT coalesce(c.reloptions @> ARRAY['security_invoker=true'], false);
SELECT has_function_privilege('dq_reader', 'dq.report_html(regclass, timestamptz)', 'EXECUTE') AS report,
       has_function_privilege('dq_reader', 'dq.grant_reader_access(name)', 'EXECUTE') AS grant_fn;

-- two tables: one the BI user may read, one it may not; a third with
-- column privileges only
CREATE SCHEMA rd;
CREATE TABLE rd.visible (id int, v text);
CREATE TABLE rd.hidden (id int, secret text);
CREATE TABLE rd.partial (id int, salary int);
INSERT INTO rd.visible SELECT g, 'v' || g FROM generate_series(1, 20) g;
INSERT INTO rd.hidden SELECT g, 'top secret ' || g FROM generate_series(1, 20) g;
INSERT INTO rd.partial SELECT g, g * 1000 FROM generate_series(1, 20) g;
SELECT dq.profile('rd.visible') > 0, dq.profile('rd.hidden') > 0, dq.profile('rd.partial') > 0;
SELECT dq.expect('rd.hidden', 'expect_column_values_to_be_null', 'secret') > 0 AS expect;
SELECT dq.expect('rd.visible', 'expect_column_values_to_not_be_null', 'v') > 0 AS expect;
SELECT dq.validate('rd.hidden') > 0, dq.validate('rd.visible') > 0;
CREATE VIEW rd.hidden_v AS SELECT secret FROM rd.hidden;

-- what the views hold about the hidden table (the superuser sees it)
SELECT count(*) > 0 AS profiled, bool_or(max_value LIKE 'top secret%') AS values_there
  FROM dq.profile_history WHERE schema_name = 'rd' AND table_name = 'hidden';

CREATE ROLE regress_bi LOGIN;
GRANT dq_reader TO regress_bi;
GRANT USAGE ON SCHEMA rd TO regress_bi;
GRANT SELECT ON rd.visible TO regress_bi;
GRANT SELECT (id) ON rd.partial TO regress_bi;

SET ROLE regress_bi;
-- the base tables stay closed
SELECT * FROM rd.hidden;
SELECT salary FROM rd.partial;
-- the views show only what the user may read
SELECT DISTINCT table_name, column_name FROM dq.profile_history
 WHERE schema_name = 'rd' ORDER BY 1, 2;
SELECT DISTINCT table_name, column_name, metric FROM dq.metric_history
 WHERE schema_name = 'rd' AND metric IN ('row_count', 'min') ORDER BY 1, 2, 3;
SELECT table_name, evaluated, failed FROM dq.validation_history WHERE schema_name = 'rd' ORDER BY 1;
SELECT table_name, kind, success FROM dq.expectation_history WHERE schema_name = 'rd' ORDER BY 1;
SELECT table_name, status, row_count, expectations FROM dq.table_scorecard
 WHERE schema_name = 'rd' ORDER BY 1;
-- nothing of the hidden table's values anywhere
SELECT count(*) AS leaks FROM dq.profile_history
 WHERE min_value LIKE 'top secret%' OR max_value LIKE 'top secret%';
SELECT count(*) AS leaks FROM dq.metric_history WHERE value_text LIKE 'top secret%';
SELECT position('top secret' IN dq.report_html()) AS report_leak;
SELECT position('top secret' IN dq.report_html('rd.hidden')) AS page_leak;
-- lineage is metadata everybody may read, as pg_depend is
SELECT source, target FROM dq.lineage_graph_edges
 WHERE level = 'table' AND source_table_id LIKE 'rd.%';
-- the report functions run; nothing can be written
SELECT dq.report_html() IS NOT NULL AS report_runs;
INSERT INTO dq.expectations (relid, schema_name, table_name, kind, owner)
  VALUES ('rd.hidden'::regclass, 'rd', 'hidden', 'x', 'me');
DELETE FROM dq.profile_runs;
SELECT dq.grant_reader_access('regress_bi');
RESET ROLE;

-- with PUBLIC's grants revoked, dq_reader keeps working
BEGIN;
REVOKE SELECT ON dq.profile_runs, dq.column_profiles, dq.profile_history FROM PUBLIC;
SET LOCAL ROLE regress_bi;
SELECT count(DISTINCT table_name) AS tables FROM dq.profile_history WHERE schema_name = 'rd';
ROLLBACK;
-- a role without dq_reader and without PUBLIC's grant reads nothing
BEGIN;
REVOKE SELECT ON dq.profile_history FROM PUBLIC;
REVOKE dq_reader FROM regress_bi;
SET LOCAL ROLE regress_bi;
SELECT count(*) FROM dq.profile_history;
ROLLBACK;

-- grant_reader_access gives another role the same rights; errors
CREATE ROLE regress_bi_team NOLOGIN;
SELECT dq.grant_reader_access('regress_bi_team');
SELECT has_table_privilege('regress_bi_team', 'dq.metric_history', 'SELECT') AS metric_history,
       has_table_privilege('regress_bi_team', 'dq.column_profiles', 'SELECT') AS column_profiles,
       has_table_privilege('regress_bi_team', 'dq.column_profiles', 'INSERT') AS insert;
SELECT dq.grant_reader_access('regress_no_such_role');
SELECT dq.grant_reader_access(NULL);

DROP SCHEMA rd CASCADE;
DROP OWNED BY regress_bi_team;
DROP ROLE regress_bi_team;
REVOKE dq_reader FROM regress_bi;
DROP OWNED BY regress_bi;
DROP ROLE regress_bi;
