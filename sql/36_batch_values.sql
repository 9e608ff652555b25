-- dq.validate's scan reads text and numeric values in place in the table's
-- pages (pinned while a batch waits) and copies the others: the counts are
-- those of plain SQL over many pages, TOASTed values, a join, groups, and
-- an ordered aggregate; no pin outlives the query (a leak would warn).
CREATE TABLE bv (id int, code text COLLATE "C", n numeric, big text COLLATE "C");
ALTER TABLE bv ALTER COLUMN big SET STORAGE EXTERNAL;
INSERT INTO bv
SELECT g, CASE WHEN g % 97 = 0 THEN 'bad-' || g WHEN g % 89 = 0 THEN NULL ELSE md5(g::text) END,
       CASE WHEN g % 83 = 0 THEN -g ELSE g / 7.0 END,
       CASE WHEN g % 1000 = 0 THEN repeat(md5(g::text), 200) END
  FROM generate_series(1, 20000) g;
SELECT pg_relation_size('bv') / current_setting('block_size')::int > 100 AS many_pages,
       count(*) FILTER (WHERE pg_column_size(big) > 6000) AS toasted FROM bv;
SELECT dq.expect('bv', 'expect_column_values_to_match_regex', 'code', '{"regex": "^[0-9a-f]+$"}') IS NOT NULL AS e1,
       dq.expect('bv', 'expect_column_value_lengths_to_equal', 'code', '{"value": 32}') IS NOT NULL AS e2,
       dq.expect('bv', 'expect_column_values_to_be_between', 'n', '{"min_value": 0}') IS NOT NULL AS e3,
       dq.expect('bv', 'expect_column_value_lengths_to_be_between', 'big', '{"max_value": 6000}') IS NOT NULL AS e4;
SELECT dq.validate('bv') AS run \gset
SELECT kind, column_name, element_count, unexpected_count,
       left(result->'result'->'partial_unexpected_list'->>0, 12) AS first_unexpected
  FROM dq.validation_results WHERE run_id = :run ORDER BY expectation_id;
SELECT count(*) FILTER (WHERE code !~ '^[0-9a-f]+$') AS regex_sql,
       count(*) FILTER (WHERE length(code) <> 32) AS length_sql,
       count(*) FILTER (WHERE n < 0) AS range_sql,
       count(*) FILTER (WHERE length(big) > 6000) AS big_sql
  FROM bv;
-- the same with parallel workers, each of which pins and releases its own
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SELECT dq.validate('bv') AS run \gset
SELECT kind, column_name, element_count, unexpected_count
  FROM dq.validation_results WHERE run_id = :run ORDER BY expectation_id;
RESET ALL;
-- the aggregate fed by a join (values of two pages in one row), by groups
-- (values copied: one state per group) and in order (values of a sort)
CREATE VIEW bv_rules AS
SELECT '[{"kind": "expect_column_values_to_match_regex", "column": "a", "params": {"regex": "^[0-9a-f]+$"}},
         {"kind": "expect_column_values_to_match_regex", "column": "b", "params": {"regex": "^[0-9a-f]+$"}}]'::jsonb AS rules;
SELECT (SELECT jsonb_agg(r->'unexpected_count')
          FROM jsonb_array_elements(dq.expect_rows(rules, '{a,b}', '{0,0}', x.code, y.code)) r) AS joined
  FROM bv x JOIN bv y ON y.id = x.id % 5000 + 1, bv_rules;
SELECT count(*) FILTER (WHERE x.code !~ '^[0-9a-f]+$'), count(*) FILTER (WHERE y.code !~ '^[0-9a-f]+$')
  FROM bv x JOIN bv y ON y.id = x.id % 5000 + 1;
SELECT id % 3 AS g, (dq.expect_rows(rules, '{a,b}', '{0,0}', code, code) -> 0 ->> 'unexpected_count')::int AS grouped,
       count(*) FILTER (WHERE code !~ '^[0-9a-f]+$') AS sql
  FROM bv, bv_rules GROUP BY 1 ORDER BY 1;
SELECT (dq.expect_rows(rules, '{a,b}', '{0,0}', code, code ORDER BY code) -> 1 ->> 'unexpected_count')::int AS ordered
  FROM bv, bv_rules;
DROP VIEW bv_rules;
DROP TABLE bv CASCADE;
