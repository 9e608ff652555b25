-- Stored expectations and dq.validate: one scan, results history, views
\set VERBOSITY default
CREATE TABLE orders_v (id int, amount numeric, status text COLLATE "C", email text COLLATE "C", a int, b int);
INSERT INTO orders_v VALUES
    (1, 10, 'paid', 'a@x.com', 1, 1), (2, -5, 'paid', 'bad', 2, 1), (3, NULL, NULL, NULL, NULL, NULL),
    (4, 200, 'lost', 'c@y.org', 3, 5), (5, 50, 'new', 'bad', NULL, 2);

SELECT dq.expect('orders_v', 'expect_column_values_to_be_between', 'amount',
                 '{"min_value": 0, "max_value": 100}', name => 'amount range') AS e1 \gset
SELECT dq.expect('orders_v', 'expect_column_values_to_not_be_null', 'id') AS e2 \gset
SELECT dq.expect('orders_v', 'expect_column_values_to_match_regex', 'email', '{"regex": "@"}',
                 mostly => 0.5, severity => 'warn') AS e3 \gset
SELECT dq.expect('orders_v', 'expect_column_values_to_be_in_set', 'status',
                 '{"value_set": ["new", "paid"], "result_format": "SUMMARY"}') AS e4 \gset
SELECT dq.expect('orders_v', 'expect_column_pair_values_a_to_be_greater_than_b',
                 params => '{"column_A": "a", "column_B": "b", "or_equal": true}') AS e5 \gset
SELECT kind, column_name, attnum, params, mostly, severity, name, enabled, status, owner = current_user AS mine
  FROM dq.expectations ORDER BY expectation_id;

SELECT dq.validate('orders_v') AS run \gset
SELECT rows_scanned, evaluated, succeeded, failed, success_percent
  FROM dq.validation_summary WHERE run_id = :run;
SELECT expectation_id - :e1 AS e, kind, column_name, severity, success, element_count,
       unexpected_count, unexpected_percent, result->'result'->'partial_unexpected_list' AS partial
  FROM dq.latest_validation ORDER BY expectation_id;
SELECT result->'result'->'partial_unexpected_counts' FROM dq.validation_results
 WHERE run_id = :run AND expectation_id = :e4;
-- the stored result is the same document dq.check returns
SELECT (SELECT result FROM dq.validation_results WHERE run_id = :run AND expectation_id = :e1)
     = dq.check('orders_v', 'expect_column_values_to_be_between', 'amount',
                '{"min_value": 0, "max_value": 100}') AS same_as_check;

-- expectations follow a renamed column; a dropped column gives an exception result
ALTER TABLE orders_v RENAME COLUMN amount TO total;
ALTER TABLE orders_v DROP COLUMN email;
SELECT dq.validate('orders_v') AS run \gset
SELECT expectation_id - :e1 AS e, column_name, success, result->'exception_info'->>'exception_message' AS exception
  FROM dq.validation_results WHERE run_id = :run ORDER BY expectation_id;

-- tags and enabling
SELECT dq.set_expectation_enabled(:e5, false);
SELECT dq.validate('orders_v') AS run \gset
SELECT evaluated FROM dq.validation_runs WHERE run_id = :run;
SELECT dq.drop_expectation(:e3);
SELECT count(*) FROM dq.expectations;
SELECT dq.validate('orders_v', tags => ARRAY['nightly']) AS run \gset
SELECT evaluated FROM dq.validation_runs WHERE run_id = :run;
SELECT dq.alter_expectation(:e1, tags => '["nightly", "finance"]', description => 'amounts are sane',
                            severity => 'warn', name => 'amount range v2');
SELECT dq.validate('orders_v', tags => ARRAY['nightly', 'other']) AS run \gset
SELECT evaluated FROM dq.validation_runs WHERE run_id = :run;
SELECT name, tags, description, severity FROM dq.expectations WHERE expectation_id = :e1;
SELECT dq.alter_expectation(:e1, tags => '["nightly", 3]');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.alter_expectation(:e1, severity => 'error');

-- raise_on_failure stops a pipeline when an error-severity expectation fails
SELECT dq.validate('orders_v', raise_on_failure => true);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
DELETE FROM orders_v WHERE total NOT BETWEEN 0 AND 100 OR status NOT IN ('new', 'paid');
SELECT dq.validate('orders_v', raise_on_failure => true) > 0 AS passed;

-- bad input: nothing stored
SELECT count(*) AS expectations_before FROM dq.expectations \gset
SELECT dq.expect('orders_v', 'expect_column_values_to_be_between', 'total', '{"min_value": "ten"}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.expect('orders_v', 'expect_column_values_to_match_regex', 'status', '{"regex": "[z-a]"}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.expect('orders_v', 'expect_column_values_to_be_null', 'id', severity => 'fatal');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.expect('orders_v', 'expect_column_values_to_be_null', 'id', mostly => -0.1);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.expect(NULL, 'expect_column_values_to_be_null', 'id');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.drop_expectation(-1);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT count(*) = :expectations_before AS nothing_stored FROM dq.expectations;

-- only the table's owner (or dq_admin) defines expectations; results need SELECT
CREATE ROLE regress_viewer;
GRANT SELECT ON orders_v TO regress_viewer;
SET ROLE regress_viewer;
SELECT dq.expect('orders_v', 'expect_column_values_to_not_be_null', 'id');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.set_expectation_enabled(:e5, true);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT count(*) > 0 AS sees_results FROM dq.latest_validation;
INSERT INTO dq.expectations (relid, schema_name, table_name, kind, owner) VALUES (1, 'x', 'y', 'z', 'w');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
RESET ROLE;
CREATE ROLE regress_stranger;
SET ROLE regress_stranger;
SELECT count(*) AS sees_nothing FROM dq.latest_validation;
SELECT dq.validate('orders_v');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
RESET ROLE;
DROP TABLE orders_v;
DROP ROLE regress_viewer, regress_stranger;

-- row-level, aggregate and metadata expectations together, one scan
CREATE TABLE mix (id int, amount numeric, placed date);
INSERT INTO mix SELECT g, g * 2, '2024-01-01'::date + g FROM generate_series(1, 100) g;
SELECT dq.expect('mix', 'expect_column_values_to_be_between', 'amount', '{"min_value": 0, "max_value": 150}');
SELECT dq.expect('mix', 'expect_column_mean_to_be_between', 'amount', '{"min_value": 100, "max_value": 102}');
SELECT dq.expect('mix', 'expect_table_row_count_to_be_between', params => '{"min_value": 100}');
SELECT dq.expect('mix', 'expect_column_to_exist', 'placed');
SELECT dq.expect('mix', 'expect_table_columns_to_match_ordered_list', params => '{"column_list": ["id", "amount", "placed"]}');
SELECT dq.validate('mix') AS run \gset
SELECT kind, success, element_count, unexpected_count,
       result->'result'->'observed_value' AS observed
  FROM dq.validation_results WHERE run_id = :run ORDER BY expectation_id;
SELECT evaluated, succeeded, failed FROM dq.validation_runs WHERE run_id = :run;
DROP TABLE mix;

-- pair and multicolumn expectations follow renames of the columns their params name
CREATE TABLE ren (lo int, hi int, extra int);
INSERT INTO ren VALUES (1, 2, 0), (5, 3, 0);
SELECT dq.expect('ren', 'expect_column_pair_values_a_to_be_greater_than_b',
                 params => '{"column_A": "hi", "column_B": "lo"}') AS p1 \gset
SELECT dq.expect('ren', 'expect_select_column_values_to_be_unique_within_record',
                 params => '{"column_list": ["lo", "hi", "extra"]}') AS p2 \gset
ALTER TABLE ren RENAME COLUMN hi TO upper_bound;
ALTER TABLE ren RENAME COLUMN lo TO lower_bound;
SELECT dq.validate('ren') AS run \gset
SELECT expectation_id = :p1 AS pair, success, unexpected_count,
       result->'expectation_config'->'kwargs' AS kwargs
  FROM dq.validation_results WHERE run_id = :run ORDER BY expectation_id;
ALTER TABLE ren DROP COLUMN extra;
SELECT expectation_id = :p2 AS multi, enabled, status FROM dq.expectations WHERE expectation_id IN (:p1, :p2) ORDER BY 1;
DROP TABLE ren;

-- custom row conditions: one expression, checked at definition, run as their owner
CREATE FUNCTION r(j jsonb) RETURNS text LANGUAGE sql AS $$
  SELECT format('success=%s n=%s missing=%s unexpected=%s list=%s', j->>'success',
                j->'result'->>'element_count', j->'result'->>'missing_count',
                j->'result'->>'unexpected_count', j->'result'->>'partial_unexpected_list')
$$;
CREATE TABLE shipments (ordered date, shipped date, qty int);
INSERT INTO shipments VALUES ('2024-01-01', '2024-01-03', 1), ('2024-01-05', '2024-01-02', 2),
                             ('2024-01-07', NULL, 3);
SELECT r(dq.check('shipments', 'expect_row_condition', params => '{"row_condition": "shipped >= ordered"}'));
SELECT dq.check('shipments', 'expect_row_condition', params => '{"row_condition": "true) FROM pg_authid --"}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.check('shipments', 'expect_row_condition', params => '{"row_condition": "qty > 0 FROM pg_class"}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.check('shipments', 'expect_row_condition', params => '{"row_condition": "nope > 0"}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.check('shipments', 'expect_row_condition', params => '{"row_condition": "qty + 1"}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.expect('shipments', 'expect_row_condition', params => '{"row_condition": "shipped >= ordered"}') AS rc \gset
SELECT dq.validate('shipments') AS run \gset
SELECT success, unexpected_count, result->'result'->'partial_unexpected_list' AS rows
  FROM dq.validation_results WHERE run_id = :run;
DROP TABLE shipments;
DROP FUNCTION r(jsonb);

-- how many rules of validation run `run` on rel got dq.check's counts and
-- lists of unexpected values
CREATE FUNCTION same_as_check(rel regclass, run bigint,
                              OUT rules bigint, OUT same_as_check bigint, OUT unexpected bigint)
LANGUAGE sql AS $$
SELECT count(*),
       count(*) FILTER (WHERE (v.result->'result'->>'unexpected_count')::int =
                              (dq.check(rel, e.kind, e.column_name, e.params)->'result'->>'unexpected_count')::int
                          AND v.result->'result'->'partial_unexpected_list' =
                              dq.check(rel, e.kind, e.column_name, e.params)->'result'->'partial_unexpected_list'),
       sum((v.result->'result'->>'unexpected_count')::int)
  FROM dq.validation_results v JOIN dq.expectations e USING (expectation_id)
 WHERE v.run_id = run
$$;

-- dq.validate decides null checks and ranges on integer, date/time and
-- float columns inline; its counts must be dq.check's (the generic
-- evaluator) for every bound shape, NULLs, NaN and infinities included
CREATE TABLE ranges (i2 int2, i4 int4, i8 int8, d date, ts timestamptz, f4 float4, f8 float8);
INSERT INTO ranges
SELECT (g % 200 - 100)::int2, g % 300 - 150, (g::int8 * 7919) % 1000 - 500,
       date '2024-01-01' + (g % 60 - 30), timestamptz '2024-01-01 00:00+00' + (g % 50) * interval '1 hour',
       ((g % 40) - 20) / 4.0, ((g % 90) - 45) / 3.0
  FROM generate_series(1, 500) g;
INSERT INTO ranges VALUES (NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  (32767, 2147483647, 9223372036854775807, 'infinity', 'infinity', 'NaN', 'NaN'),
  (-32768, -2147483648, -9223372036854775808, '-infinity', '-infinity', '-Infinity', 'Infinity'),
  (0, 0, 0, '2024-01-01', '2024-01-01 00:00+00', '-0', '-0');
CREATE TABLE range_cases AS
SELECT c.col, b.params
  FROM (VALUES ('i2', '5', '50'), ('i4', '-20', '20'), ('i8', '0', '499'), ('d', '"2024-01-01"', '"2024-01-15"'),
               ('ts', '"2024-01-01 05:00+00"', '"2024-01-02 00:00+00"'), ('f4', '-1.25', '2.5'), ('f8', '0', '14.0'))
       AS c(col, lo, hi),
       LATERAL (VALUES (format('{"min_value": %s, "max_value": %s}', c.lo, c.hi)),
                       (format('{"min_value": %s, "max_value": %s, "strict_min": true}', c.lo, c.hi)),
                       (format('{"min_value": %s, "max_value": %s, "strict_max": true}', c.lo, c.hi)),
                       (format('{"min_value": %s}', c.lo)), (format('{"max_value": %s, "strict_max": true}', c.hi)),
                       (format('{"min_value": %s, "max_value": %s}', c.lo, c.lo))) AS b(params)
UNION ALL SELECT col, '{}' FROM (VALUES ('i2'), ('f8'), ('ts')) n(col);
SELECT count(dq.expect('ranges', CASE WHEN params = '{}' THEN 'expect_column_values_to_not_be_null'
                                      ELSE 'expect_column_values_to_be_between' END, col::name, params::jsonb))
  FROM range_cases;
SELECT dq.validate('ranges') AS run \gset
SELECT * FROM same_as_check('ranges', :run);
DROP TABLE ranges, range_cases;

-- in-set and not-in-set are looked up in a hash table on integer-like,
-- boolean, date/time columns and text in a byte-order collation (other
-- collations and compressed values stay generic); counts and lists must
-- be dq.check's
CREATE TABLE sets (i2 int2, i4 int4, i8 int8, b bool, d date, tc text COLLATE "C",
                   tv varchar(20) COLLATE "C", tx text COLLATE "und-x-icu", big text COLLATE "C");
INSERT INTO sets
SELECT g % 7 - 3, g % 11 - 5, (g::int8 * 7919) % 13 - 6, g % 3 = 0, date '2024-01-01' + g % 9,
       (ARRAY['new', 'paid', 'shipped', 'PAID', 'paid ', '', 'café'])[g % 7 + 1],
       (ARRAY['a', 'b', 'c', 'dd'])[g % 4 + 1],
       (ARRAY['new', 'paid', 'Paid'])[g % 3 + 1],
       CASE WHEN g % 50 = 0 THEN repeat('x', 5000) ELSE (ARRAY['x', 'y'])[g % 2 + 1] END
  FROM generate_series(1, 400) g;
INSERT INTO sets VALUES (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  (-32768, -2147483648, -9223372036854775808, false, 'infinity', 'zzz', 'zzz', 'zzz', repeat('x', 5000));
CREATE TABLE set_cases AS
SELECT c.col, k.kind, c.vset
  FROM (VALUES ('i2', '[-3, 0, 2, -32768, 99]'), ('i4', '[-5, 5, 0, 1]'), ('i8', '[-6, 6, null, 0]'),
               ('b', '[true]'), ('b', '[true, false]'), ('d', '["2024-01-02", "2024-01-05", "infinity"]'),
               ('tc', '["new", "paid", "café", ""]'), ('tc', '[]'), ('tv', '["a", "dd", "zzz"]'),
               ('tx', '["new", "paid"]'), ('big', '["x"]')) AS c(col, vset),
       (VALUES ('expect_column_values_to_be_in_set'), ('expect_column_values_to_not_be_in_set')) AS k(kind);
SELECT count(dq.expect('sets', kind, col::name, jsonb_build_object('value_set', vset::jsonb)))
  FROM set_cases;
SELECT dq.validate('sets') AS run \gset
SELECT * FROM same_as_check('sets', :run);
DROP TABLE sets, set_cases;

-- the scan evaluates rows in batches (64 rows, 64 kB of copied values): a
-- batch cut short by a large value, values that stand alone, TOAST
-- pointers and compressed values give dq.check's counts and lists
CREATE TABLE batches (id int, t text, c text);
ALTER TABLE batches ALTER COLUMN t SET STORAGE EXTERNAL;
INSERT INTO batches
SELECT g,
       CASE WHEN g % 37 = 0 THEN (SELECT string_agg(md5((g * 1000 + k)::text), '') FROM generate_series(1, 2200) k)
            WHEN g % 41 = 0 THEN NULL
            ELSE to_hex(g * 7919) END,
       CASE WHEN g % 29 = 0 THEN repeat('ab', 40000) ELSE (ARRAY['x', 'y', 'zz'])[g % 3 + 1] END
  FROM generate_series(1, 300) g;
SELECT count(*) FILTER (WHERE length(t) > 65536) AS larger_than_a_batch,
       count(*) FILTER (WHERE pg_column_size(c) < length(c)) AS compressed
  FROM batches;
SELECT count(dq.expect('batches', kind, col::name, params::jsonb))
  FROM (VALUES ('expect_column_value_lengths_to_be_between', 't', '{"min_value": 1, "max_value": 100}'),
               ('expect_column_values_to_match_regex', 't', '{"regex": "^[0-9a-f]{1,6}$"}'),
               ('expect_column_values_to_not_be_null', 't', '{}'),
               ('expect_column_values_to_be_in_set', 'c', '{"value_set": ["x", "y"]}'),
               ('expect_column_value_lengths_to_be_between', 'c', '{"max_value": 2}'),
               ('expect_column_values_to_be_between', 'id', '{"min_value": 10}'),
               ('expect_select_column_values_to_be_unique_within_record', NULL,
                '{"column_list": ["t", "c"]}')) AS e(kind, col, params);
SELECT dq.validate('batches') AS run \gset
SELECT * FROM same_as_check('batches', :run);
DROP TABLE batches;
DROP FUNCTION same_as_check(regclass, bigint);
