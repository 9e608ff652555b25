-- Report and BI views: numbers beside text, long-form history, scorecard,
-- the lineage graph for graph panels, the SVG drawing, OpenLineage
-- data-quality facets, compact DOT.
\set VERBOSITY terse
-- 1. dq.metric_number: numbers and ISO dates/timestamps, NULL for the rest
SELECT v, f, dq.metric_number(v, f)
  FROM (VALUES ('42', 'numeric'), ('-1.5e3', 'numeric'), (' 7 ', 'numeric'),
               ('NaN', 'numeric'), ('Infinity', 'numeric'), ('1e400', 'numeric'),
               ('0x1A', 'numeric'), ('inf', 'numeric'), ('12abc', 'numeric'), ('', 'numeric'),
               ('1970-01-02', 'datetime'), ('2024-02-29 12:00:00+00', 'datetime'),
               ('2024-02-29T12:00:00.5Z', 'datetime'), ('2024-01-01 00:00:00+05:30', 'datetime'),
               ('2024-01-01 00:00:00-08', 'datetime'), ('2023-02-29', 'datetime'),
               ('2024-13-01', 'datetime'), ('infinity', 'datetime'), ('2024-01-01 BC', 'datetime'),
               ('12345-06-07', 'datetime'), ('05/01/2024', 'datetime'),
               ('42', 'text'), ('t', 'boolean')) x(v, f);
-- the same value under both readings
SELECT dq.metric_number('2024-01-01', 'datetime') = extract(epoch FROM timestamptz '2024-01-01 00:00:00+00') AS epoch_ok;

-- 2. a small table profiled twice, validated twice
CREATE SCHEMA bi;
CREATE TABLE bi.orders (id int, amount numeric, status text, created date, paid boolean);
INSERT INTO bi.orders
  SELECT g, g * 1.5, CASE WHEN g % 3 = 0 THEN 'open' ELSE 'done' END,
         date '2024-01-01' + g, g % 2 = 0
    FROM generate_series(1, 100) g;
SELECT dq.profile('bi.orders') > 0 AS profiled;
UPDATE bi.orders SET status = NULL WHERE id <= 10;
SELECT dq.profile('bi.orders') > 0 AS profiled;
SELECT dq.expect('bi.orders', 'expect_column_values_to_not_be_null', 'status') > 0 AS expect1;
SELECT dq.expect('bi.orders', 'expect_column_values_to_be_between', 'amount',
                 '{"min_value": 0, "max_value": 1000}') > 0 AS expect2;
SELECT dq.validate('bi.orders') > 0 AS validated;
UPDATE bi.orders SET status = 'done' WHERE status IS NULL;
SELECT dq.validate('bi.orders') > 0 AS validated;

-- 3. dq.profile_history: numbers beside text, is_latest
SELECT column_name, type_family, row_count, null_count, min_value, min_number, max_value, max_number,
       median, median_number, is_latest
  FROM dq.profile_history WHERE table_name = 'orders' AND schema_name = 'bi'
 ORDER BY run_id, attnum;
SELECT count(*) FILTER (WHERE "time" IS NULL) AS no_time, count(DISTINCT run_id) AS runs
  FROM dq.profile_history WHERE schema_name = 'bi';

-- 4. dq.metric_history: long form, numbers, text for non-numeric min/max
SELECT column_name, metric, value, value_text
  FROM dq.metric_history
 WHERE schema_name = 'bi' AND table_name = 'orders'
   AND run_id = (SELECT max(run_id) FROM dq.profile_runs WHERE relid = 'bi.orders'::regclass)
   AND metric IN ('row_count', 'null_count', 'null_fraction', 'min', 'max', 'median', 'true_count')
 ORDER BY attnum, metric;
-- a time series: the NULL share of status over the runs
SELECT value FROM dq.metric_history
 WHERE schema_name = 'bi' AND column_name = 'status' AND metric = 'null_fraction' ORDER BY "time", run_id;

-- 5. validation and expectation history
SELECT evaluated, succeeded, failed, success_percent, duration_seconds >= 0 AS timed
  FROM dq.validation_history WHERE schema_name = 'bi' ORDER BY run_id;
SELECT kind, column_name, success, success_value, unexpected_count
  FROM dq.expectation_history WHERE schema_name = 'bi' ORDER BY run_id, expectation_id;

-- 6. the scorecard
SELECT table_name, kind, status, row_count, columns_profiled, expectations, evaluated,
       open_failures, last_success_percent, watched, violations_24h, data_latest_at,
       data_age_seconds > 0 AS aged, check_age_seconds >= 0 AS checked,
       upstream_relations, downstream_relations
  FROM dq.table_scorecard WHERE schema_name = 'bi' ORDER BY table_name;

-- 6b. monitors in the scorecard and in dq.metric_history: freshness from a
-- freshness monitor, open anomalies (a schema monitor's dropped column) and
-- the alert each raised
CREATE SCHEMA bimon;
CREATE TABLE bimon.feed (id int, note text);
SELECT dq.monitor('bimon.feed', 'freshness', options => '{"schedule": null}') AS feed_fresh \gset
SELECT dq.monitor('bimon.feed', 'schema', options => '{"schedule": null}') > 0 AS schema_monitor;
SELECT dq.run_monitor(:feed_fresh) AS first_poll;
INSERT INTO bimon.feed VALUES (1, 'a');
SELECT pg_stat_force_next_flush();
SELECT dq.run_monitor(:feed_fresh) AS second_poll;
ALTER TABLE bimon.feed DROP COLUMN note;
SELECT table_name, kind, status, monitors, changed_at IS NOT NULL AS fresh_known,
       change_age_seconds >= 0 AS aged, open_anomalies, open_alerts, row_count
  FROM dq.table_scorecard WHERE schema_name = 'bimon';
-- the monitor's point beside the profile metrics, with its source
SELECT table_name, column_name, metric, value >= 0 AS measured, source,
       monitor_id = :feed_fresh AS by_monitor, run_id
  FROM dq.metric_history WHERE schema_name = 'bimon';
-- marked expected, the anomaly and its alert are closed
SELECT count(dq.mark_anomaly(anomaly_id, 'expected')) AS marked
  FROM dq.anomalies WHERE schema_name = 'bimon';
SELECT status, open_anomalies, open_alerts FROM dq.table_scorecard WHERE schema_name = 'bimon';
SELECT dq.unmonitor('bimon.feed');

-- 7. lineage for graph panels: edge list and nodes at two levels
CREATE VIEW bi.open_orders AS SELECT id, amount FROM bi.orders WHERE status = 'open';
CREATE TABLE bi.totals AS SELECT sum(amount) AS total, count(*) AS n FROM bi.open_orders;
SELECT level, id, source, target, lineage_type, subtypes, masking, dashed
  FROM dq.lineage_graph_edges WHERE source_table_id LIKE 'bi.%' ORDER BY level, id;
SELECT level, id, kind, title, subtitle, table_id
  FROM dq.lineage_graph_nodes WHERE table_id LIKE 'bi.%' ORDER BY level, id;
SELECT dq.lineage_node_id('a"b', 'Mixed Case', 'x') AS quoted_id;
SELECT table_name, status, upstream_relations, downstream_relations
  FROM dq.table_scorecard WHERE schema_name = 'bi' ORDER BY table_name;

-- 8. dq.lineage_svg: layers left to right, valid XML; crossings are counted
-- with the columns in table order (a filter on the last column crosses)
SELECT s IS DOCUMENT AS well_formed,
       (xpath('/s:svg/@data-relations', s, ARRAY[ARRAY['s', 'http://www.w3.org/2000/svg']]))[1]::text AS relations,
       (xpath('/s:svg/@data-layers', s, ARRAY[ARRAY['s', 'http://www.w3.org/2000/svg']]))[1]::text AS layers,
       (xpath('/s:svg/@data-crossings', s, ARRAY[ARRAY['s', 'http://www.w3.org/2000/svg']]))[1]::text AS crossings,
       array_to_string(xpath('//s:g[contains(@class, ''node'')]/@data-relation', s,
                             ARRAY[ARRAY['s', 'http://www.w3.org/2000/svg']])::text[], ', ') AS relations_by_layer,
       array_to_string(xpath('//s:g[contains(@class, ''node'')]/@data-layer', s,
                             ARRAY[ARRAY['s', 'http://www.w3.org/2000/svg']])::text[], ', ') AS layer_of_each,
       (xpath('count(//s:g[@class=''edge indirect''])', s, ARRAY[ARRAY['s', 'http://www.w3.org/2000/svg']]))[1]::text AS indirect_edges,
       (xpath('count(//s:g[@class=''edge indirect'']/s:path[@stroke-dasharray])', s, ARRAY[ARRAY['s', 'http://www.w3.org/2000/svg']]))[1]::text AS dashed_paths,
       (xpath('count(//s:g[@class=''edge direct'']/s:path[@stroke-dasharray])', s, ARRAY[ARRAY['s', 'http://www.w3.org/2000/svg']]))[1]::text AS dashed_direct
  FROM (SELECT dq.lineage_svg('bi.open_orders')::xml AS s) x;
-- a graph drawn in name order would cross everywhere (a_* sorts before
-- z_*, but z_top feeds the top rows of mid and z_first reads them): the
-- layout finds the order without crossings
CREATE TABLE bi.z_top (t1 int, t2 int);
CREATE TABLE bi.a_bottom (b1 int, b2 int);
CREATE VIEW bi.mid AS SELECT z.t1, z.t2, a.b1, a.b2 FROM bi.z_top z, bi.a_bottom a;
CREATE VIEW bi.z_first AS SELECT t1, t2 FROM bi.mid;
CREATE VIEW bi.a_last AS SELECT b1, b2 FROM bi.mid;
SELECT (xpath('/s:svg/@data-crossings', s, ARRAY[ARRAY['s', 'http://www.w3.org/2000/svg']]))[1]::text AS crossings,
       (xpath('/s:svg/@data-layers', s, ARRAY[ARRAY['s', 'http://www.w3.org/2000/svg']]))[1]::text AS layers,
       array_to_string(xpath('//s:g[contains(@class, ''node'')]/@data-relation', s,
                             ARRAY[ARRAY['s', 'http://www.w3.org/2000/svg']])::text[], ', ') AS relations
  FROM (SELECT dq.lineage_svg('bi.mid')::xml AS s) x;
-- the boxes of a layer are stacked in the order found: z_top above a_bottom
SELECT array_to_string(xpath('//s:g[contains(@class, ''node'') and @data-layer=''0'']/s:rect[@class=''box'']/@y', s,
                             ARRAY[ARRAY['s', 'http://www.w3.org/2000/svg']])::text[], ', ') AS y_of_sources,
       array_to_string(xpath('//s:g[contains(@class, ''node'') and @data-layer=''0'']/@data-relation', s,
                             ARRAY[ARRAY['s', 'http://www.w3.org/2000/svg']])::text[], ', ') AS sources
  FROM (SELECT dq.lineage_svg('bi.mid')::xml AS s) x;
-- a cycle (a table that feeds itself and another that feeds it back) is drawn
CREATE TABLE bi.loop1 (v int);
CREATE TABLE bi.loop2 (v int);
SELECT dq.record_lineage('bi.loop1', 'v', 'bi.loop2', 'v');
SELECT dq.record_lineage('bi.loop2', 'v', 'bi.loop1', 'v');
SELECT dq.record_lineage('bi.loop1', 'v', 'bi.loop1', 'v');
SELECT (xpath('/s:svg/@data-relations', s, ARRAY[ARRAY['s', 'http://www.w3.org/2000/svg']]))[1]::text AS relations,
       (xpath('count(//s:g[starts-with(@class, ''edge'')])', s, ARRAY[ARRAY['s', 'http://www.w3.org/2000/svg']]))[1]::text AS edges
  FROM (SELECT dq.lineage_svg('bi.loop1')::xml AS s) x;
-- a relation without lineage: just its box; bad arguments
CREATE TABLE bi.alone (v int);
SELECT (xpath('/s:svg/@data-relations', dq.lineage_svg('bi.alone', 1)::xml,
              ARRAY[ARRAY['s', 'http://www.w3.org/2000/svg']]))[1]::text AS relations;
SELECT dq.lineage_svg('bi.orders', 0);
SELECT dq.lineage_svg('bi.orders', 3, 0);
-- every relation, and a cap on the neighbourhood
SELECT dq.lineage_svg()::xml IS DOCUMENT AS whole_graph_well_formed;
SELECT (xpath('/s:svg/@data-relations', dq.lineage_svg('bi.mid', 3, 2)::xml,
              ARRAY[ARRAY['s', 'http://www.w3.org/2000/svg']]))[1]::text AS capped;

-- 9. dq.lineage_dot: left to right, a table per relation, ports on the sides
SELECT dq.lineage_dot('bi.totals');
CREATE TABLE bi."odd""name<&>" ("col|<x>" int);
SELECT dq.record_lineage('bi."odd""name<&>"', 'col|<x>', 'bi.alone', 'v');
SELECT dq.lineage_dot('bi."odd""name<&>"');

-- 10. OpenLineage data-quality facets: the profile maps onto dataQualityMetrics
SET dq_lineage.openlineage_namespace = 'postgres://db.example.com:5432';
SELECT jsonb_pretty(dq.openlineage_metrics_facet(
         (SELECT max(run_id) FROM dq.profile_runs WHERE relid = 'bi.orders'::regclass)));
-- (expectation ids depend on the tests before this one: compared, not shown)
SELECT jsonb_pretty(f #- '{assertions,0,properties,expectationId}' #- '{assertions,1,properties,expectationId}'),
       (SELECT array_agg((a -> 'properties' ->> 'expectationId')::bigint ORDER BY o)
          FROM jsonb_array_elements(f -> 'assertions') WITH ORDINALITY x(a, o))
       = (SELECT array_agg(expectation_id ORDER BY expectation_id) FROM dq.expectations
           WHERE relid = 'bi.orders'::regclass) AS ids_are_the_expectations
  FROM dq.openlineage_assertions_facet(
         (SELECT min(run_id) FROM dq.validation_runs WHERE relid = 'bi.orders'::regclass)) f;
-- one event per profile and validation run, a stable runId, the table as input
SELECT e -> 'job' ->> 'name' AS job,
       e -> 'inputs' -> 0 ->> 'name' AS dataset,
       (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(e -> 'inputs' -> 0 -> 'inputFacets') k) AS input_facets,
       e -> 'inputs' -> 0 -> 'facets' ? 'schema' AS has_schema,
       e ->> 'eventType' AS type
  FROM dq.openlineage_quality_events() e
 WHERE e -> 'inputs' -> 0 ->> 'name' = 'bi.orders';
SELECT count(DISTINCT e -> 'run' ->> 'runId') = count(*) AS distinct_ids,
       bool_and((e -> 'run' ->> 'runId') ~ '^[0-9a-f]{8}-[0-9a-f]{4}-3[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$') AS uuid_v3
  FROM dq.openlineage_quality_events() e;
SELECT (SELECT array_agg(e -> 'run' ->> 'runId') FROM dq.openlineage_quality_events() e)
     = (SELECT array_agg(e -> 'run' ->> 'runId') FROM dq.openlineage_quality_events() e) AS stable_ids;
-- dq.openlineage_events carries them after the lineage events
SELECT count(*) FILTER (WHERE e -> 'inputs' -> 0 -> 'inputFacets' ? 'dataQualityMetrics') AS metrics_events,
       count(*) FILTER (WHERE e -> 'inputs' -> 0 -> 'inputFacets' ? 'dataQualityAssertions') AS assertion_events,
       count(*) FILTER (WHERE e -> 'outputs' -> 0 -> 'facets' ? 'columnLineage') > 0 AS lineage_events
  FROM dq.openlineage_events() e
 WHERE e -> 'inputs' -> 0 ->> 'name' LIKE 'bi.%' OR e -> 'outputs' -> 0 ->> 'name' LIKE 'bi.%';
SELECT count(*) AS none_in_future FROM dq.openlineage_quality_events(now() + interval '1 day');
RESET dq_lineage.openlineage_namespace;
