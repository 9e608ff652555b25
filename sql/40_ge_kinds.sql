-- Great Expectations' kinds added for conformance, GE's semantics fixed
-- by GE's own tests, and suites in GE's JSON format
\set VERBOSITY terse
CREATE TABLE gk (
    id int, doc text, day text, code text, a int, b int, c int, x float8
);
INSERT INTO gk VALUES
    (1, '{"a": 1}',  '2024-01-31', 'AB-1', 1, 1, 2, 0.1),
    (2, '{"a": "x"}', '01/02/2024', 'AB-2', 1, 2, 3, 0.2),
    (3, 'not json',  '2024-02-30', 'ZZ-9', 2, 2, 2, 0.3),
    (4, NULL,        NULL,         NULL,   NULL, NULL, NULL, 100);
CREATE FUNCTION s(j jsonb) RETURNS text LANGUAGE sql AS $$
  SELECT format('success=%s unexpected=%s missing=%s list=%s', j->>'success',
                j->'result'->>'unexpected_count', j->'result'->>'missing_count',
                j->'result'->>'partial_unexpected_list')
$$;

-- row-level kinds
SELECT s(dq.check('gk', 'expect_column_values_to_be_json_parseable', 'doc'));
SELECT s(dq.check('gk', 'expect_column_values_to_match_json_schema', 'doc',
                  '{"json_schema": {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}}'));
SELECT s(dq.check('gk', 'expect_column_values_to_be_dateutil_parseable', 'day'));
SELECT s(dq.check('gk', 'expect_column_values_to_match_strftime_format', 'day', '{"strftime_format": "%Y-%m-%d"}'));
SELECT s(dq.check('gk', 'expect_column_values_to_match_like_pattern_list', 'code', '{"like_pattern_list": ["AB%", "X%"]}'));
SELECT s(dq.check('gk', 'expect_column_values_to_match_like_pattern_list', 'code',
                  '{"like_pattern_list": ["AB%", "%-1"], "match_on": "all"}'));
SELECT s(dq.check('gk', 'expect_column_values_to_not_match_like_pattern_list', 'code', '{"like_pattern_list": ["ZZ%"]}'));
SELECT s(dq.check('gk', 'expect_column_pair_values_to_be_in_set',
                  params => '{"column_A": "a", "column_B": "b", "value_pairs_set": [[1, 1], [1, 2]]}'));
SELECT s(dq.check('gk', 'expect_column_pair_values_to_be_in_set',
                  params => '{"column_A": "a", "column_B": "b", "value_pairs_set": [[1, 1]], "ignore_row_if": "neither"}'));
SELECT s(dq.check('gk', 'expect_multicolumn_values_to_be_unique', params => '{"column_list": ["a", "b", "c"]}'));
-- aggregate, table and query kinds
SELECT s(dq.check('gk', 'expect_column_value_z_scores_to_be_less_than', 'x', '{"threshold": 1.4}'));
SELECT dq.check('gk', 'expect_table_column_count_to_be_between', params => '{"min_value": 2, "max_value": 8}') -> 'result';
SELECT dq.check('gk', 'expect_table_column_count_to_be_between', params => '{}') ->> 'success' AS vacuous;
SELECT dq.check('gk', 'unexpected_rows_expectation',
                params => '{"unexpected_rows_query": "SELECT id FROM {batch} WHERE x > 1"}') -> 'result';

-- GE semantics: float statistics in float8, ties_okay, value counts, vacuous bounds
SELECT dq.check('gk', 'expect_column_mean_to_be_between', 'x', '{"min_value": 0}') -> 'result' -> 'observed_value' AS mean;
CREATE TABLE gk2 (v float8, t int);
INSERT INTO gk2 VALUES (0.1, 1), (0.2, 1), (NULL, 2), (NULL, 2);
SELECT dq.check('gk2', 'expect_column_mean_to_be_between', 'v', '{"max_value": 1}') -> 'result' -> 'observed_value' AS mean_float8;
SELECT dq.check('gk2', 'expect_column_most_common_value_to_be_in_set', 't', '{"value_set": [2], "ties_okay": true}') ->> 'success' AS tie_ok;
SELECT dq.check('gk2', 'expect_column_distinct_values_to_be_in_set', 't', '{"value_set": null}') -> 'result' AS no_constraint;
SELECT dq.check('gk2', 'expect_column_sum_to_be_between', 'v') ->> 'success' AS vacuous;
SELECT dq.check('gk2', 'expect_table_columns_to_match_set', params => '{"column_set": ["v"]}') -> 'result' -> 'details';

-- the same counts from dq.validate's one scan
CREATE TABLE gkv AS SELECT * FROM gk;
SELECT dq.expect('gkv', 'expect_column_values_to_be_json_parseable', 'doc') > 0 AS ok;
SELECT dq.expect('gkv', 'expect_column_values_to_match_strftime_format', 'day', '{"strftime_format": "%Y-%m-%d"}') > 0 AS ok;
SELECT dq.expect('gkv', 'expect_column_pair_values_to_be_in_set',
                 params => '{"column_A": "a", "column_B": "b", "value_pairs_set": [[1, 1], [1, 2]]}') > 0 AS ok;
SELECT dq.expect('gkv', 'expect_column_value_z_scores_to_be_less_than', 'x', '{"threshold": 1.4}') > 0 AS ok;
SELECT dq.expect('gkv', 'expect_table_column_count_to_be_between', params => '{"max_value": 3}') > 0 AS ok;
SELECT dq.validate('gkv') > 0 AS validated;
SELECT kind, success, unexpected_count FROM dq.latest_validation WHERE table_name = 'gkv' ORDER BY expectation_id;

-- unexpected_rows_expectation runs as the role that defined it
CREATE ROLE dq_ge_owner;
CREATE TABLE gko (id int);
INSERT INTO gko VALUES (1), (2);
ALTER TABLE gko OWNER TO dq_ge_owner;
SET ROLE dq_ge_owner;
SELECT dq.expect('gko', 'unexpected_rows_expectation',
                 params => '{"unexpected_rows_query": "SELECT * FROM {batch} WHERE current_user = ''dq_ge_owner''"}') > 0 AS ok;
RESET ROLE;
SELECT dq.validate('gko') > 0 AS validated;
SELECT success, result -> 'result' -> 'observed_value' AS observed FROM dq.latest_validation WHERE table_name = 'gko';

-- suites in GE's format
SELECT (dq.export_suite('gkv') -> 'expectations' -> 1) #- '{meta,expectation_id}' AS second;
CREATE TABLE gki (LIKE gk);
SELECT dq.import_suite('gki', dq.export_suite('gkv'));
SELECT dq.import_suite('gki', '{"expectations": [{"expectation_type": "expect_column_values_to_not_be_null",
                                                  "kwargs": {"column": "id", "mostly": 0.9},
                                                  "meta": {"severity": "warn", "name": "ids"}}]}');
SELECT kind, column_name, mostly, severity, name FROM dq.expectations WHERE table_name = 'gki' ORDER BY expectation_id;
SELECT jsonb_array_length(dq.export_suite('gki') -> 'expectations') AS exported;

-- bad input
SELECT dq.check('gk', 'expect_column_values_to_match_json_schema', 'doc', '{"json_schema": {"$ref": "#/x"}}');
SELECT dq.check('gk', 'expect_column_values_to_match_json_schema', 'doc', '{"json_schema": [1]}');
SELECT dq.check('gk', 'expect_column_values_to_match_strftime_format', 'day', '{"strftime_format": "%D"}');
SELECT dq.check('gk', 'expect_column_values_to_match_strftime_format', 'a', '{"strftime_format": "%Y"}');
SELECT dq.check('gk', 'expect_column_values_to_be_dateutil_parseable', 'a');
SELECT dq.check('gk', 'expect_column_values_to_match_like_pattern_list', 'code', '{"like_pattern_list": []}');
SELECT dq.check('gk', 'expect_column_values_to_match_like_pattern_list', 'code', '{"like_pattern_list": ["a"], "match_on": "some"}');
SELECT dq.check('gk', 'expect_column_pair_values_to_be_in_set', params => '{"column_A": "a", "column_B": "b", "value_pairs_set": [[1]]}');
SELECT dq.check('gk', 'expect_column_pair_values_to_be_in_set', params => '{"column_A": "a", "column_B": "b", "value_pairs_set": [["x", 1]]}');
SELECT dq.check('gk', 'expect_column_pair_values_to_be_equal', params => '{"column_A": "a", "column_B": "b", "ignore_row_if": "sometimes"}');
SELECT dq.check('gk', 'expect_column_value_z_scores_to_be_less_than', 'doc', '{"threshold": 1}');
SELECT dq.check('gk', 'expect_column_value_z_scores_to_be_less_than', 'x', '{}');
SELECT dq.check('gk', 'expect_table_column_count_to_be_between', params => '{"min_value": "two"}');
SELECT dq.check('gk', 'unexpected_rows_expectation', params => '{}');
SELECT dq.check('gk', 'unexpected_rows_expectation', params => '{"unexpected_rows_query": "SELECT * FROM nowhere"}');
SELECT dq.check('gk', 'expect_column_values_to_be_in_set', 'a', '{"value_set": [1, "one"]}');
SELECT dq.import_suite('gki', '[]');
SELECT dq.import_suite('gki', '{"expectations": [{"kwargs": {}}]}');
SELECT dq.import_suite('gki', '{"expectations": [{"type": "expect_column_values_to_be_betwen", "kwargs": {"column": "id"}}]}');
SELECT count(*) AS still_one FROM dq.expectations WHERE table_name = 'gki' AND kind = 'expect_column_values_to_not_be_null';
SELECT dq.import_suite(NULL, '{}');

DROP TABLE gk, gk2, gkv, gki, gko;
DROP ROLE dq_ge_owner;
DROP FUNCTION s(jsonb);
