-- Reading lineage: renames, drops, dq.upstream/dq.downstream, DOT,
-- OpenLineage, dq.record_lineage and its errors.
\set VERBOSITY terse
-- 43. RENAME of a table and a column: edges follow (OIDs and column numbers)
ALTER TABLE lin.customers RENAME COLUMN name TO full_name;
ALTER TABLE lin.names RENAME TO people;
SELECT lin.edges('people');
SELECT source_column, target_column FROM dq.column_lineage
 WHERE target_table = 'v_ident' ORDER BY 1;
-- the names at capture time stay in the table
SELECT DISTINCT source_column FROM dq.lineage_edges WHERE target_table = 'v_ident' ORDER BY 1;
-- 44. dropped columns and relations: edges kept, marked dropped, old names
ALTER TABLE lin.orders DROP COLUMN qty CASCADE;
SELECT source_table, source_column, target_table, target_column, subtype, dropped
  FROM dq.column_lineage WHERE source_column = 'qty' ORDER BY 3, 4, 5;
DROP TABLE lin.sp;
SELECT source_table, source_column, target_table, target_column, dropped
  FROM dq.column_lineage WHERE target_table = 'sp';

-- 45. dq.upstream of one column: depth, path, through views
SELECT depth, source_table, source_column, target_table, target_column, subtype, path
  FROM dq.upstream('lin.t_ctas', 'uname');
SELECT depth, source_table, source_column, target_table, target_column, subtype
  FROM dq.upstream('lin.t_ctas', 'uname', max_depth => 1);
-- 46. dq.downstream: what a change to customers.full_name can break
SELECT depth, source_table, source_column, target_table, target_column, subtype
  FROM dq.downstream('lin.customers', 'full_name')
 WHERE target_table IN ('v_ident', 'v_nested', 't_ctas', 'people', 'sales');
-- 47. cycles end: a table that feeds itself
SELECT depth, source_table, source_column, target_table, target_column, path
  FROM dq.upstream('lin.loop');
SELECT depth, source_table, target_table, path FROM dq.downstream('lin.loop');
-- errors
SELECT * FROM dq.upstream('lin.loop', 'nosuch');
SELECT * FROM dq.upstream(NULL);

-- 48. manual edges: dq.record_lineage
CREATE TABLE lin.ext_source (code text, value numeric);
CREATE TABLE lin.ext_target (code text, value numeric);
SELECT dq.record_lineage('lin.ext_source', 'code', 'lin.ext_target', 'code');
SELECT dq.record_lineage('lin.ext_source', 'value', 'lin.ext_target', 'value', 'DIRECT', 'AGGREGATION');
SELECT dq.record_lineage('lin.ext_source', 'code', 'lin.ext_target', NULL, 'INDIRECT', 'FILTER');
SELECT dq.record_lineage('lin.ext_source', 'code', 'lin.ext_target', 'code');
SELECT lin.edges('ext_target');
SELECT occurrences FROM dq.column_lineage WHERE target_table = 'ext_target' AND target_column = 'code';
SELECT dq.record_lineage('lin.ext_source', 'nosuch', 'lin.ext_target', 'code');
SELECT dq.record_lineage('lin.ext_source', 'code', 'lin.ext_target', 'code', 'SIDEWAYS', 'IDENTITY');
SELECT dq.record_lineage('lin.ext_source', 'code', 'lin.ext_target', 'code', 'DIRECT', 'FILTER');
SELECT dq.record_lineage('lin.ext_source', 'code', 'lin.ext_target', NULL);
SELECT dq.record_lineage(NULL, 'code', 'lin.ext_target', 'code');
CREATE ROLE lin_reader;
GRANT USAGE, CREATE ON SCHEMA lin TO lin_reader;
GRANT SELECT ON lin.ext_source TO lin_reader;
SET ROLE lin_reader;
SELECT dq.record_lineage('lin.ext_source', 'code', 'lin.ext_target', 'code');
-- an ordinary role's statements and views are captured (written as the
-- extension's owner)
CREATE TABLE lin.reader_copy (code text);
INSERT INTO lin.reader_copy SELECT code FROM lin.ext_source WHERE value > 0;
CREATE VIEW lin.reader_view AS SELECT upper(code) AS code FROM lin.ext_source;
SELECT lin.edges('reader_copy');
SELECT lin.edges('reader_view');
-- anybody may read lineage; nobody may write the table directly
SELECT count(*) > 0 AS readable FROM dq.column_lineage;
DELETE FROM dq.lineage_edges;
SELECT dq.lineage_flush();
RESET ROLE;

-- 49. Graphviz DOT of one relation's neighbourhood
SELECT dq.lineage_dot('lin.t_ctas');

-- 50. OpenLineage column-lineage facet (1-2-0) and its legacy form
SET dq_lineage.openlineage_namespace = 'postgres://db.example.com:5432';
SELECT jsonb_pretty(dq.openlineage_facet('lin.v_cte'));
SELECT jsonb_pretty(dq.openlineage_facet('lin.v_cte', legacy => true));
-- RunEvents: one per target; runId and eventTime vary
SELECT count(*) > 10 AS events, count(DISTINCT e -> 'run' ->> 'runId') = count(*) AS distinct_runs
  FROM dq.openlineage_events() e;
SELECT jsonb_pretty(e - 'run' - 'eventTime')
  FROM dq.openlineage_events(now() - interval '1 day') e
 WHERE e -> 'outputs' -> 0 ->> 'name' = 'lin.ext_target';
SELECT count(*) FROM dq.openlineage_events(now() + interval '1 day');
RESET dq_lineage.openlineage_namespace;
SELECT dq.openlineage_facet(NULL);
