\set VERBOSITY terse
-- Trust and robustness of expectations: code that is not a known-safe
-- built-in, kinds that cannot work on a type, awkward column names,
-- search_path, what a caller may see, and the public aggregates' errors.

-- A domain whose CHECK runs PL/pgSQL that fails with a data error inside
-- SPI: every row must be counted, and the scan must go on (each parse is
-- caught in a subtransaction, which cleans SPI up).
CREATE FUNCTION positive_text(t text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE n int;
BEGIN
  SELECT t::int INTO n;
  RETURN n > 0;
END $$;
CREATE DOMAIN posnum AS text CHECK (positive_text(VALUE));
CREATE TABLE trust_nums (s text);
INSERT INTO trust_nums SELECT 'x' || g FROM generate_series(1, 10000) g;
INSERT INTO trust_nums SELECT g::text FROM generate_series(1, 100) g;
SELECT r->'result'->>'element_count' AS n, r->'result'->>'unexpected_count' AS unexpected,
       r->'result'->'partial_unexpected_list'->0 AS first
  FROM dq.check('trust_nums', 'expect_column_values_to_be_parseable_as', 's', '{"type": "posnum"}') r;
-- a value the CHECK refuses does not parse as the domain either
INSERT INTO trust_nums VALUES ('-2'), ('0'), ('-1');
SELECT r->'result'->>'element_count' AS n, r->'result'->>'unexpected_count' AS unexpected
  FROM dq.check('trust_nums', 'expect_column_values_to_be_parseable_as', 's', '{"type": "posnum"}') r;
SELECT dq.expect('trust_nums', 'expect_column_values_to_be_parseable_as', 's', '{"type": "posnum"}') AS e1 \gset
SELECT dq.expect('trust_nums', 'expect_column_values_to_be_in_set', 's', '{"value_set": ["1", "2"]}') AS e2 \gset
SELECT dq.validate('trust_nums') AS run \gset
SELECT expectation_id - :e1 AS e, element_count, unexpected_count
  FROM dq.validation_results WHERE run_id = :run ORDER BY expectation_id;
-- names are stored so that they mean the same with search_path pinned
SELECT params FROM dq.expectations WHERE expectation_id = :e1;

-- Kinds that cannot work on a column's type are refused at definition
CREATE TABLE trust_odd (b bytea, j json, "we""ird" int, "a,b{c}" text, "back\slash" int);
INSERT INTO trust_odd VALUES ('\x01', '{}', 1, 'q', 1), ('\x02', '[]', NULL, NULL, 2), ('\x02', '[]', 3, 'q', NULL);
SELECT dq.expect('trust_odd', 'expect_column_max_to_be_between', 'b', '{"min_value": "\\x00"}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.check('trust_odd', 'expect_column_min_to_be_between', 'b', '{"min_value": "\\x00"}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.expect('trust_odd', 'expect_column_values_to_be_unique', 'j');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.expect('trust_odd', 'expect_column_median_to_be_between', 'j', '{"min_value": 0}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.expect('trust_odd', 'expect_column_unique_value_count_to_be_between', 'j', '{"min_value": 0}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.expect('trust_odd', 'expect_column_values_to_be_increasing', 'j', '{"order_by": "b"}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- bytea has an order: these work
SELECT dq.check('trust_odd', 'expect_column_values_to_be_between', 'b', '{"min_value": "\\x02"}')->'result'->>'unexpected_count' AS below;
SELECT dq.check('trust_odd', 'expect_column_values_to_be_unique', 'b')->'result'->>'unexpected_count' AS dups;
-- names with quotes, commas, braces and backslashes, in one scan
SELECT count(dq.expect('trust_odd', k, c, p::jsonb))
  FROM (VALUES ('expect_column_values_to_not_be_null', 'we"ird', '{}'),
               ('expect_column_values_to_be_between', 'we"ird', '{"max_value": 2}'),
               ('expect_column_values_to_be_in_set', 'a,b{c}', '{"value_set": ["q"]}'),
               ('expect_column_values_to_not_be_null', 'back\slash', '{}')) v(k, c, p);
SELECT dq.expect('trust_odd', 'expect_column_pair_values_a_to_be_greater_than_b',
                 params => '{"column_A": "we\"ird", "column_B": "back\\slash", "or_equal": true}') IS NOT NULL AS defined;
SELECT dq.validate('trust_odd') AS run \gset
SELECT v.column_name, v.success, v.unexpected_count,
       v.unexpected_count = (dq.check('trust_odd', e.kind, e.column_name, e.params)->'result'->>'unexpected_count')::int AS same_as_check
  FROM dq.validation_results v JOIN dq.expectations e USING (expectation_id)
 WHERE v.run_id = :run ORDER BY v.expectation_id;

-- The SQL the extension writes names every function and operator with its
-- schema and runs with search_path pinned: operators put before
-- pg_catalog on the search_path are never used
CREATE SCHEMA evil;
DO $$
DECLARE
  sig text[];
  op text;
BEGIN
  FOREACH sig SLICE 1 IN ARRAY ARRAY[['bigint', 'integer'], ['bigint', 'bigint'], ['numeric', 'numeric'],
                                     ['integer', 'integer'], ['text', 'text'], ['jsonb', 'text']]
  LOOP
    EXECUTE format('CREATE FUNCTION evil.%I(a %s, b %s) RETURNS boolean LANGUAGE plpgsql '
                   'AS $f$BEGIN RAISE EXCEPTION ''an operator of schema evil ran''; END$f$',
                   'f_' || sig[1] || '_' || sig[2], sig[1], sig[2]);
    FOREACH op IN ARRAY ARRAY['=', '<>', '<', '<=', '>', '>=', '?'] LOOP
      CONTINUE WHEN op = '?' AND sig[1] <> 'jsonb';
      EXECUTE format('CREATE OPERATOR evil.%s (LEFTARG = %s, RIGHTARG = %s, FUNCTION = evil.%I)',
                     op, sig[1], sig[2], 'f_' || sig[1] || '_' || sig[2]);
    END LOOP;
  END LOOP;
END $$;
CREATE TABLE trust_ops (id int, amount numeric, ref int, status text);
INSERT INTO trust_ops SELECT g, g * 2, g % 3, (ARRAY['a', 'b'])[1 + g % 2] FROM generate_series(1, 30) g;
CREATE TABLE trust_ops_ref (id int);
INSERT INTO trust_ops_ref VALUES (0), (1), (2);
SET search_path = evil, pg_catalog, public;
SELECT dq.expect('trust_ops', k, c, p::jsonb) IS NOT NULL AS defined
  FROM (VALUES ('expect_table_row_count_to_equal', NULL, '{"value": 30}'),
               ('expect_column_values_to_be_unique', 'id', '{}'),
               ('expect_column_values_to_be_increasing', 'id', '{"order_by": "amount"}'),
               ('expect_column_values_to_exist_in', 'ref', '{"to_table": "trust_ops_ref", "to_column": "id"}'),
               ('expect_column_mean_to_be_between', 'amount', '{"min_value": 0, "max_value": 100}'),
               ('expect_column_max_to_be_between', 'id', '{"min_value": 0}'),
               ('expect_column_proportion_of_unique_values_to_be_between', 'id', '{"min_value": 1}'),
               ('expect_column_most_common_value_to_be_in_set', 'status', '{"value_set": ["a", "b"], "ties_okay": true}'),
               ('expect_table_row_count_to_equal_other_table', NULL, '{"other_table_name": "trust_ops"}'),
               ('expect_row_condition', NULL, '{"row_condition": "amount >= id"}')) v(k, c, p);
SELECT dq.validate('trust_ops') AS run \gset
SELECT dq.check('trust_ops', 'expect_column_values_to_be_unique', 'id')->>'success' AS checked,
       dq.profile('trust_ops', exact => true) IS NOT NULL AS profiled;
SELECT count(*) AS suggestions FROM dq.suggest_expectations('trust_ops');
RESET search_path;
SELECT kind, success, result->'exception_info'->>'exception_message' AS exception
  FROM dq.validation_results WHERE run_id = :run ORDER BY expectation_id;
SELECT params->>'to_table' AS to_table FROM dq.expectations WHERE kind = 'expect_column_values_to_exist_in' AND table_name = 'trust_ops';
DROP SCHEMA evil CASCADE;

-- What a caller may see: values are withheld, counts stay
SELECT dq.redact_result('{"success": false, "expectation_config": {"expectation_type": "expect_column_values_to_be_in_set", "kwargs": {"column": "s"}},
                          "result": {"element_count": 3, "unexpected_count": 1, "partial_unexpected_list": ["x"]},
                          "exception_info": {"raised_exception": false}}');
SELECT dq.redact_result('{"success": true, "expectation_config": {"expectation_type": "expect_column_max_to_be_between"},
                          "result": {"observed_value": 42}}')->'result' AS max,
       dq.redact_result('{"success": true, "expectation_config": {"expectation_type": "expect_table_row_count_to_equal"},
                          "result": {"observed_value": 42}}')->'result' AS row_count;
CREATE TABLE trust_filtered (who text, v int);
ALTER TABLE trust_filtered ENABLE ROW LEVEL SECURITY;
CREATE VIEW trust_over_filtered AS SELECT * FROM trust_filtered;
CREATE VIEW trust_invoker WITH (security_invoker) AS SELECT * FROM trust_nums;
SELECT dq.row_filtered('trust_filtered'::regclass) AS rls, dq.row_filtered('trust_over_filtered'::regclass) AS view_over_rls,
       dq.row_filtered('trust_invoker'::regclass) AS invoker_view, dq.row_filtered('trust_nums'::regclass) AS plain;
DROP VIEW trust_over_filtered, trust_invoker;
DROP TABLE trust_filtered;

-- Public aggregates: errors with SQLSTATEs, no internal errors
SELECT dq.row_profile(ARRAY[4294967295]::oid[], g) FROM generate_series(1, 3) g;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.expect_rows('[{"kind": "expect_column_values_to_be_unique", "column": "g", "params": {}}]',
                      ARRAY['g']::name[], ARRAY[0]::oid[], g) FROM generate_series(1, 3) g;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.expect_rows('[{"kind": "expect_column_values_to_not_be_null", "column": "g", "params": {}}]',
                      ARRAY['g']::name[], ARRAY[12345678]::oid[], g) FROM generate_series(1, 3) g;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.expect_rows('[{"kind": "expect_column_values_to_not_be_null", "column": "g", "params": []}]',
                      ARRAY['g']::name[], ARRAY[0]::oid[], g) FROM generate_series(1, 3) g;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.approx_quantiles(g::float8, (SELECT array_agg(x / 100001.0) FROM generate_series(1, 100001) x))
  FROM generate_series(1, 3) g;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.approx_quantiles(g::float8, ARRAY[0.5, g / 10.0]) FROM generate_series(1, 3) g;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- a fraction array computed per row is fine while it stays the same
SELECT dq.approx_quantiles(g::float8, ARRAY[0.5, (g * 0) + 0.9]) FROM generate_series(1, 100) g;

DROP TABLE trust_nums, trust_odd, trust_ops, trust_ops_ref;
DROP DOMAIN posnum;
DROP FUNCTION positive_text(text);
