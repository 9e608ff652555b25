-- dq.check: row-level expectations with Great Expectations' semantics
\set VERBOSITY default
CREATE TABLE ge (
    id int, amount numeric, qty int, code text COLLATE "C", email text COLLATE "C",
    day date, flag char(3), a int, b int, c int, total numeric
);
INSERT INTO ge VALUES
    (1, 10.5, 1, 'AB1', 'a@x.com',     '2024-01-01', 'yes', 1, 1, 1, 3),
    (2, -5,   2, 'AB2', 'bad',         '2024-02-29', 'no',  2, 1, 2, 5),
    (3, NULL, 3, NULL,  NULL,          NULL,         NULL,  NULL, NULL, NULL, NULL),
    (4, 200,  4, 'XY9', 'c@y.org',     '2024-12-31', 'yes', 3, 5, 3, 11),
    (5, 50,   5, 'AB2', 'bad',         '2023-06-15', 'n',   NULL, 2, 4, 6);

-- a compact view of the result
CREATE FUNCTION r(j jsonb) RETURNS text LANGUAGE sql AS $$
  SELECT format('success=%s n=%s missing=%s unexpected=%s pct=%s pct_total=%s list=%s',
                j->>'success', j->'result'->>'element_count', j->'result'->>'missing_count',
                j->'result'->>'unexpected_count', j->'result'->>'unexpected_percent',
                j->'result'->>'unexpected_percent_total', j->'result'->>'partial_unexpected_list')
$$;

-- the whole result document (BASIC)
SELECT jsonb_pretty(dq.check('ge', 'expect_column_values_to_be_between', 'amount',
                             '{"min_value": 0, "max_value": 100}'));

-- NULLs: not_be_null and be_null count NULLs over every row, report no missing
SELECT r(dq.check('ge', 'expect_column_values_to_not_be_null', 'amount'));
SELECT dq.check('ge', 'expect_column_values_to_not_be_null', 'amount')->'result' ? 'missing_count' AS has_missing;
SELECT r(dq.check('ge', 'expect_column_values_to_be_null', 'amount'));
SELECT r(dq.check('ge', 'expect_column_values_to_not_be_null', 'id'));

-- between: either bound, strictness, dates and text
SELECT r(dq.check('ge', 'expect_column_values_to_be_between', 'amount', '{"min_value": 0}'));
SELECT r(dq.check('ge', 'expect_column_values_to_be_between', 'amount', '{"max_value": 50}'));
SELECT r(dq.check('ge', 'expect_column_values_to_be_between', 'amount', '{"max_value": 50, "strict_max": true}'));
SELECT r(dq.check('ge', 'expect_column_values_to_be_between', 'qty', '{"min_value": 1, "max_value": 5, "strict_min": true, "strict_max": true}'));
SELECT r(dq.check('ge', 'expect_column_values_to_be_between', 'day', '{"min_value": "2024-01-01", "max_value": "2024-12-31"}'));
SELECT r(dq.check('ge', 'expect_column_values_to_be_between', 'code', '{"min_value": "AB", "max_value": "AC"}'));

-- mostly: (n - u) / n >= mostly, n = non-NULL rows; exact boundary succeeds
SELECT r(dq.check('ge', 'expect_column_values_to_be_between', 'amount', '{"min_value": 0, "max_value": 100}', mostly => 0.5));
SELECT r(dq.check('ge', 'expect_column_values_to_be_between', 'amount', '{"min_value": 0, "max_value": 100}', mostly => 0.51));
SELECT r(dq.check('ge', 'expect_column_values_to_be_between', 'amount', '{"min_value": 0, "max_value": 100, "mostly": 0.5}'));
SELECT dq.check('ge', 'expect_column_values_to_be_between', 'amount', '{"min_value": 0}', mostly => 0.25)->'expectation_config'->'kwargs';

-- sets: a NULL inside the set hides nothing; numbers and strings parse as the column type
SELECT r(dq.check('ge', 'expect_column_values_to_be_in_set', 'code', '{"value_set": ["AB1", "AB2", null]}'));
SELECT r(dq.check('ge', 'expect_column_values_to_not_be_in_set', 'code', '{"value_set": ["AB2"]}'));
SELECT r(dq.check('ge', 'expect_column_values_to_be_in_set', 'qty', '{"value_set": [1, "2", 3]}'));

-- regexes and LIKE: NULLs are missing, never unexpected
SELECT r(dq.check('ge', 'expect_column_values_to_match_regex', 'email', '{"regex": "^[^@]+@[^@]+\\.[a-z]+$"}'));
SELECT r(dq.check('ge', 'expect_column_values_to_not_match_regex', 'email', '{"regex": "^bad$"}'));
SELECT r(dq.check('ge', 'expect_column_values_to_match_regex_list', 'code', '{"regex_list": ["^AB", "1$"]}'));
SELECT r(dq.check('ge', 'expect_column_values_to_match_regex_list', 'code', '{"regex_list": ["^AB", "1$"], "match_on": "all"}'));
SELECT r(dq.check('ge', 'expect_column_values_to_not_match_regex_list', 'code', '{"regex_list": ["^X", "^Y"]}'));
SELECT r(dq.check('ge', 'expect_column_values_to_match_like_pattern', 'email', '{"like_pattern": "%@%.%"}'));
SELECT r(dq.check('ge', 'expect_column_values_to_not_match_like_pattern', 'code', '{"like_pattern": "AB%"}'));
SELECT r(dq.check('ge', 'expect_column_values_to_match_regex', 'qty', '{"regex": "^[1-3]$"}'));

-- lengths in characters; char(n) ignores trailing blanks
SELECT r(dq.check('ge', 'expect_column_value_lengths_to_be_between', 'email', '{"min_value": 4, "max_value": 7}'));
SELECT r(dq.check('ge', 'expect_column_value_lengths_to_equal', 'flag', '{"value": 3}'));
SELECT r(dq.check('ge', 'expect_column_value_lengths_to_be_between', 'flag', '{"min_value": 2, "strict_min": true}'));
-- lengths settled by the byte count where it decides them: the same counts
-- as char_length, over strings of 1- to 4-byte characters and many bounds
CREATE TABLE lens AS
SELECT g, repeat(substr('aé€😀', g % 4 + 1, 1), g % 9) || repeat('b', g % 5) AS s
  FROM generate_series(1, 400) g;
SELECT count(*) AS bounds_tried,
       count(*) FILTER (WHERE (dq.check('lens', 'expect_column_value_lengths_to_be_between', 's',
                                        jsonb_build_object('min_value', lo, 'max_value', hi,
                                                           'strict_min', sl, 'strict_max', sh))
                               -> 'result' ->> 'unexpected_count')::int
                              <> (SELECT count(*) FROM lens
                                   WHERE char_length(s) < lo OR (sl AND char_length(s) = lo)
                                      OR char_length(s) > hi OR (sh AND char_length(s) = hi))) AS wrong
  FROM generate_series(0, 8, 2) lo, generate_series(2, 14, 3) hi,
       (VALUES (false), (true)) a(sl), (VALUES (false), (true)) b(sh);
SELECT count(*) FILTER (WHERE (dq.check('lens', 'expect_column_value_lengths_to_equal', 's',
                                        jsonb_build_object('value', v)) -> 'result' ->> 'unexpected_count')::int
                              <> (SELECT count(*) FROM lens WHERE char_length(s) <> v)) AS wrong_equal
  FROM generate_series(0, 14) v;
DROP TABLE lens;

-- parse-ability as a PostgreSQL type
SELECT r(dq.check('ge', 'expect_column_values_to_be_parseable_as', 'email', '{"type": "integer"}'));
SELECT r(dq.check('ge', 'expect_column_values_to_be_parseable_as', 'qty', '{"type": "smallint"}'));
SELECT r(dq.check('ge', 'expect_column_values_to_be_parseable_as', 'code', '{"type": "date"}'));

-- column pairs: both NULL is missing, one NULL is unexpected
SELECT r(dq.check('ge', 'expect_column_pair_values_to_be_equal', params => '{"column_A": "a", "column_B": "c"}'));
SELECT r(dq.check('ge', 'expect_column_pair_values_a_to_be_greater_than_b', params => '{"column_A": "a", "column_B": "b"}'));
SELECT r(dq.check('ge', 'expect_column_pair_values_a_to_be_greater_than_b', params => '{"column_A": "a", "column_B": "b", "or_equal": true}'));

-- multicolumn: NULL counts as 0, all-NULL rows are missing
SELECT r(dq.check('ge', 'expect_multicolumn_sum_to_equal', params => '{"column_list": ["a", "b", "c"], "sum_total": 3}'));
SELECT r(dq.check('ge', 'expect_select_column_values_to_be_unique_within_record', params => '{"column_list": ["a", "b", "c"]}'));

-- empty table and all-NULL column succeed vacuously (null kinds: empty table only)
CREATE TABLE ge_empty (v int);
SELECT r(dq.check('ge_empty', 'expect_column_values_to_be_between', 'v', '{"min_value": 1}'));
SELECT r(dq.check('ge_empty', 'expect_column_values_to_not_be_null', 'v'));
INSERT INTO ge_empty VALUES (NULL), (NULL);
SELECT r(dq.check('ge_empty', 'expect_column_values_to_be_between', 'v', '{"min_value": 1}'));
SELECT r(dq.check('ge_empty', 'expect_column_values_to_not_be_null', 'v'));

-- result formats
SELECT dq.check('ge', 'expect_column_values_to_be_in_set', 'email', '{"value_set": ["a@x.com"], "result_format": "BOOLEAN_ONLY"}')->'result';
SELECT dq.check('ge', 'expect_column_values_to_be_in_set', 'email', '{"value_set": ["a@x.com"], "result_format": "SUMMARY"}')->'result'->'partial_unexpected_counts';
SELECT dq.check('ge', 'expect_column_values_to_be_in_set', 'email', '{"value_set": ["a@x.com"], "result_format": "COMPLETE"}')->'result'->'unexpected_list';
SELECT dq.check('ge', 'expect_column_values_to_be_in_set', 'email', '{"value_set": ["a@x.com"], "result_format": {"result_format": "BASIC", "partial_unexpected_count": 1}}')->'result'->'partial_unexpected_list';

-- bad input: clear errors with SQLSTATEs, nothing stored
SELECT dq.check(NULL, 'expect_column_values_to_not_be_null', 'id');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.check('ge', NULL, 'id');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.check('ge', 'expect_column_values_to_be_betwen', 'id');
-- a misspelt kind is matched to the closest name
SELECT dq.check('ge', 'expect_column_values_to_not_be_nul', 'id');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.check('ge', 'expect_column_values_to_be_between', 'nope', '{"min_value": 1}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.check('ge', 'expect_column_values_to_be_between', 'id');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- min_value > max_value is no error (as in GE): every value is unexpected
SELECT dq.check('ge', 'expect_column_values_to_be_between', 'id', '{"min_value": 5, "max_value": 1}')->'result'->'unexpected_count' AS all_unexpected;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.check('ge', 'expect_column_values_to_be_between', 'id', '{"min_value": "five"}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.check('ge', 'expect_column_values_to_be_between', 'id', '{"min": 1}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.check('ge', 'expect_column_values_to_be_between', 'id', '{"min_value": 1}', mostly => 1.5);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.check('ge', 'expect_column_values_to_be_between', 'id', '{"min_value": 1, "strict_min": "yes"}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.check('ge', 'expect_column_values_to_match_regex', 'email', '{"regex": "(("}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.check('ge', 'expect_column_values_to_match_regex', 'email');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.check('ge', 'expect_column_values_to_be_in_set', 'email', '{"value_set": "a@x.com"}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.check('ge', 'expect_column_value_lengths_to_be_between', 'qty', '{"min_value": 1}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.check('ge', 'expect_column_value_lengths_to_be_between', 'email', '{"min_value": 1.5}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.check('ge', 'expect_column_values_to_be_parseable_as', 'email', '{"type": "no_such_type"}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.check('ge', 'expect_column_pair_values_to_be_equal', params => '{"column_A": "a", "column_B": "email"}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.check('ge', 'expect_column_pair_values_to_be_equal', 'a', '{"column_A": "a", "column_B": "b"}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.check('ge', 'expect_multicolumn_sum_to_equal', params => '{"column_list": ["a", "email"], "sum_total": 1}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.check('ge', 'expect_column_values_to_match_regex_list', 'code', '{"regex_list": ["a"], "match_on": "most"}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.check('ge', 'expect_column_values_to_be_between', 'id', '{"min_value": 1, "result_format": "FULL"}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.check('ge', 'expect_column_values_to_be_in_set', 'qty', '{"value_set": [1, 2.5]}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CREATE TABLE ge_json (j json);
SELECT dq.check('ge_json', 'expect_column_values_to_be_in_set', 'j', '{"value_set": ["{}"]}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- privileges: the scan runs with the caller's rights
CREATE ROLE regress_checker;
SET ROLE regress_checker;
SELECT dq.check('ge', 'expect_column_values_to_not_be_null', 'id');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
RESET ROLE;
DROP ROLE regress_checker;

-- the catalogue
SELECT count(*) AS kinds, count(*) FILTER (WHERE scope = 'column') AS column_kinds FROM dq.expectation_kinds;
SELECT kind, required_params FROM dq.expectation_kinds WHERE scope <> 'column' ORDER BY kind;
DROP TABLE ge, ge_empty, ge_json;

-- aggregate kinds: observed_value, bounds inclusive unless strict, NULL statistic fails
CREATE TABLE agg (n numeric, i int, d date, t text COLLATE "C");
INSERT INTO agg VALUES (10, 1, '2024-01-01', 'b'), (-5, 1, '2024-03-01', 'a'), (NULL, NULL, NULL, NULL),
                       (200, 2, '2024-02-01', 'c'), (50, 3, NULL, 'c');
SELECT k, dq.check('agg', k, 'n', '{"min_value": 0, "max_value": 100}')->'result'->>'observed_value' AS observed,
       dq.check('agg', k, 'n', '{"min_value": 0, "max_value": 100}')->>'success' AS success
  FROM unnest(ARRAY['expect_column_min_to_be_between', 'expect_column_max_to_be_between',
                    'expect_column_mean_to_be_between', 'expect_column_median_to_be_between',
                    'expect_column_sum_to_be_between', 'expect_column_stdev_to_be_between']) k;
SELECT dq.check('agg', 'expect_column_min_to_be_between', 'd', '{"min_value": "2024-01-01"}')->>'success' AS inclusive,
       dq.check('agg', 'expect_column_min_to_be_between', 'd', '{"min_value": "2024-01-01", "strict_min": true}')->>'success' AS strict,
       dq.check('agg', 'expect_column_max_to_be_between', 't', '{"max_value": "c"}')->'result' AS text_max;
SELECT dq.check('agg', 'expect_column_unique_value_count_to_be_between', 'i', '{"min_value": 3, "max_value": 3}')->'result' AS unique_count,
       dq.check('agg', 'expect_column_proportion_of_unique_values_to_be_between', 'i', '{"min_value": 0.8}')->>'success' AS proportion;
SELECT dq.check('agg', 'expect_column_max_to_be_recent', 'd', '{"max_age": "1 day"}')->>'success' AS stale,
       dq.check('agg', 'expect_column_max_to_be_recent', 'd', '{"max_age": "100 years"}')->>'success' AS fresh;
SELECT dq.check('agg', 'expect_table_row_count_to_be_between', params => '{"min_value": 5, "max_value": 5}')->'result' AS rows,
       dq.check('agg', 'expect_table_row_count_to_equal', params => '{"value": 4}')->>'success' AS equal4,
       dq.check('agg', 'expect_table_column_count_to_equal', params => '{"value": 4}')->'result' AS columns;
SELECT dq.check('agg', 'expect_column_to_exist', 'd')->>'success' AS exists,
       dq.check('agg', 'expect_column_to_exist', 'd', '{"column_index": 2}')->>'success' AS at_index,
       dq.check('agg', 'expect_column_to_exist', 'zz')->>'success' AS missing;
SELECT dq.check('agg', 'expect_table_columns_to_match_ordered_list', params => '{"column_list": ["n", "i", "d", "t"]}')->>'success' AS ordered,
       dq.check('agg', 'expect_table_columns_to_match_ordered_list', params => '{"column_list": ["i", "n", "d", "t"]}')->>'success' AS reordered,
       dq.check('agg', 'expect_table_columns_to_match_set', params => '{"column_set": ["t", "n"], "exact_match": false}')->>'success' AS subset,
       dq.check('agg', 'expect_table_columns_to_match_set', params => '{"column_set": ["t", "n", "x"]}')->'result'->'details' AS details;
-- distinct-value sets (a NULL in the set matches nothing) and quantiles
SELECT dq.check('agg', 'expect_column_distinct_values_to_be_in_set', 'i', '{"value_set": [1, 2, 3, 4, null]}')->'result' AS observed,
       dq.check('agg', 'expect_column_distinct_values_to_be_in_set', 'i', '{"value_set": [1, 2, 3, 4, null]}')->>'success' AS in_set,
       dq.check('agg', 'expect_column_distinct_values_to_contain_set', 'i', '{"value_set": [1, 4]}')->>'success' AS contains,
       dq.check('agg', 'expect_column_distinct_values_to_equal_set', 'i', '{"value_set": [3, 2, 1]}')->>'success' AS equals;
SELECT dq.check('agg', 'expect_column_quantile_values_to_be_between', 'n',
                '{"quantile_ranges": {"quantiles": [0, 0.5, 1], "value_ranges": [[-10, 0], [0, 20], [100, null]]}}')->'result' AS quantiles,
       dq.check('agg', 'expect_column_quantile_values_to_be_between', 'n',
                '{"quantile_ranges": {"quantiles": [0.5], "value_ranges": [[11, null]]}}')->>'success' AS median_above_11;

-- uniqueness: every copy of a duplicated value is unexpected (GE), NULLs never duplicate
CREATE TABLE dup (k int, a int, b text);
INSERT INTO dup VALUES (1, 1, 'x'), (2, 1, 'x'), (2, 2, NULL), (NULL, 2, NULL), (NULL, 3, 'y'), (3, 3, 'y');
SELECT r(dq.check('dup', 'expect_column_values_to_be_unique', 'k'));
SELECT r(dq.check('dup', 'expect_column_values_to_be_unique', 'a', mostly => 0.5));
SELECT r(dq.check('dup', 'expect_compound_columns_to_be_unique', params => '{"column_list": ["a", "b"]}'));
DROP TABLE dup;

-- referential integrity, ordering, most common value, other tables, types
CREATE TABLE par2 (id int);
INSERT INTO par2 VALUES (1), (2), (3);
CREATE TABLE chi2 (id int, pid int, ts int, v int);
INSERT INTO chi2 VALUES (1, 1, 1, 5), (2, 4, 2, 6), (3, NULL, 3, 6), (4, 9, 4, 2), (5, 2, 5, NULL), (6, 2, 6, 7);
SELECT r(dq.check('chi2', 'expect_column_values_to_exist_in', 'pid', '{"to_table": "par2", "to_column": "id"}'));
SELECT r(dq.check('chi2', 'expect_column_values_to_be_increasing', 'v', '{"order_by": "ts"}'));
SELECT r(dq.check('chi2', 'expect_column_values_to_be_increasing', 'v', '{"order_by": "ts", "strictly": true}'));
SELECT r(dq.check('chi2', 'expect_column_values_to_be_decreasing', 'id', '{"order_by": "ts"}'));
SELECT dq.check('chi2', 'expect_column_most_common_value_to_be_in_set', 'pid', '{"value_set": [2]}')->'result' AS mode,
       dq.check('chi2', 'expect_column_most_common_value_to_be_in_set', 'pid', '{"value_set": [2]}')->>'success' AS in_set;
INSERT INTO chi2 VALUES (7, 1, 7, 8);
SELECT dq.check('chi2', 'expect_column_most_common_value_to_be_in_set', 'pid', '{"value_set": [1, 2]}')->'result' AS tied,
       dq.check('chi2', 'expect_column_most_common_value_to_be_in_set', 'pid', '{"value_set": [1, 2]}')->>'success' AS tie_fails,
       dq.check('chi2', 'expect_column_most_common_value_to_be_in_set', 'pid', '{"value_set": [1, 2], "ties_okay": true}')->>'success' AS ties_okay;
SELECT dq.check('chi2', 'expect_table_row_count_to_equal_other_table', params => '{"other_table_name": "par2"}')->'result' AS counts;
SELECT dq.check('chi2', 'expect_column_values_to_be_of_type', 'v', '{"type_": "int4"}')->>'success' AS of_type,
       dq.check('chi2', 'expect_column_values_to_be_in_type_list', 'v', '{"type_list": ["text", "bigint"]}')->'result' AS in_list;
SELECT dq.check('chi2', 'expect_column_values_to_exist_in', 'pid', '{"to_table": "nope", "to_column": "id"}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.check('chi2', 'expect_column_values_to_exist_in', 'pid', '{"to_table": "par2", "to_column": "nope"}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.check('chi2', 'expect_column_values_to_be_increasing', 'v');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.check('chi2', 'expect_column_values_to_be_of_type', 'v', '{"type_": "nonsense"}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
DROP TABLE par2, chi2;

-- statistics over no values are NULL and fail
DELETE FROM agg;
SELECT dq.check('agg', 'expect_column_mean_to_be_between', 'n', '{"min_value": 0}')->'result' AS empty_mean,
       dq.check('agg', 'expect_column_mean_to_be_between', 'n', '{"min_value": 0}')->>'success' AS success;
-- errors
SELECT dq.check('agg', 'expect_column_mean_to_be_between', 't', '{"min_value": 0}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.check('agg', 'expect_column_max_to_be_recent', 'n', '{"max_age": "1 day"}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.check('agg', 'expect_column_max_to_be_recent', 'd', '{"max_age": "soon"}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- a bound that does not parse raises the type's own error (docs/expectations.md)
SELECT dq.check('agg', 'expect_column_values_to_be_between', 'd', '{"min_value": "someday"}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.check('agg', 'expect_column_values_to_be_between', 'd', '{"min_value": "2024-13-45"}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.check('agg', 'expect_column_values_to_be_between', 'i', '{"min_value": 99999999999}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.check('agg', 'expect_column_values_to_be_between', 'i', '{"min_value": "one"}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.check('agg', 'expect_table_row_count_to_equal', 'n', '{"value": 1}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.check('agg', 'expect_column_sum_to_be_between', 'n', '{"min_value": 10, "max_value": 1}')->'success' AS min_above_max;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
DROP TABLE agg;
DROP FUNCTION r(jsonb);
-- regex outcomes of repeated values are remembered; the counts are the
-- same as the regex operator's, for repeated values and for distinct ones
-- (where the remembering switches itself off)
CREATE TABLE re_many AS
	SELECT CASE g % 7 WHEN 0 THEN 'AB-1' WHEN 1 THEN 'xy-2' WHEN 2 THEN 'AB-x'
					  WHEN 3 THEN 'ZZ-9' WHEN 4 THEN '' ELSE 'AB-' || (g % 5) END AS code,
		   md5(g::text) AS digest
	  FROM generate_series(1, 20000) g;
SELECT (dq.check('re_many', 'expect_column_values_to_match_regex', 'code',
				 '{"regex": "^[A-Z]{2}-[0-9]$"}') -> 'result' ->> 'unexpected_count')::int
	   = (SELECT count(*) FROM re_many WHERE code !~ '^[A-Z]{2}-[0-9]$') AS repeated_values_agree,
	   (dq.check('re_many', 'expect_column_values_to_not_match_regex', 'digest',
				 '{"regex": "^[0-7]"}') -> 'result' ->> 'unexpected_count')::int
	   = (SELECT count(*) FROM re_many WHERE digest ~ '^[0-7]') AS distinct_values_agree,
	   (dq.check('re_many', 'expect_column_values_to_match_regex_list', 'code',
				 '{"regex_list": ["^AB", "[0-9]$"], "match_on": "all"}') -> 'result' ->> 'unexpected_count')::int
	   = (SELECT count(*) FROM re_many WHERE NOT (code ~ '^AB' AND code ~ '[0-9]$')) AS list_all_agrees;
DROP TABLE re_many;
