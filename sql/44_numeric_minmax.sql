-- dq_internal.numeric_max / numeric_min: the same values as max and min of
-- numeric, compared in place (one-byte and four-byte headers, compressed
-- values, signs, weights, NaN and infinities, ties of display scale)
CREATE TABLE nmm (id int, x numeric);
INSERT INTO nmm VALUES
 (1, 0), (2, -0.0001), (3, 1.5), (4, 1.50), (5, -1e20), (6, 1e20), (7, 99999.9999),
 (8, 100000), (9, -100000.00001), (10, 0.000000001), (11, NULL), (12, 12345678901234567890.123),
 (13, repeat('9', 140)::numeric), (14, ('-' || repeat('9', 140))::numeric),
 (15, repeat('12345678', 600)::numeric), (16, repeat('12345678', 600)::numeric - 1);
-- the long ones are stored with a four-byte header, the longest compressed
SELECT id, pg_column_size(x) AS stored_bytes FROM nmm WHERE id IN (3, 13, 15) ORDER BY id;
SELECT dq_internal.numeric_max(x) = max(x) AS max_same, dq_internal.numeric_min(x) = min(x) AS min_same,
       left(dq_internal.numeric_max(x)::text, 12) AS max, left(dq_internal.numeric_min(x)::text, 12) AS min
  FROM nmm;
-- every order of the rows gives the same extremes, ties keep the later value
SELECT count(*) FILTER (WHERE mx::text = m1::text AND mn::text = n1::text) AS agree, count(*) AS orders
  FROM (SELECT s, dq_internal.numeric_max(x ORDER BY (id * s) % 17) AS mx, max(x ORDER BY (id * s) % 17) AS m1,
               dq_internal.numeric_min(x ORDER BY (id * s) % 17) AS mn, min(x ORDER BY (id * s) % 17) AS n1
          FROM nmm, generate_series(1, 16) s GROUP BY s) o;
SELECT dq_internal.numeric_max(x ORDER BY id)::text, max(x ORDER BY id)::text
  FROM nmm WHERE id IN (3, 4);
SELECT dq_internal.numeric_min(x ORDER BY id DESC)::text, min(x ORDER BY id DESC)::text
  FROM nmm WHERE id IN (3, 4);
-- specials: NaN above everything, then +Infinity; -Infinity below
INSERT INTO nmm VALUES (20, 'Infinity'), (21, '-Infinity');
SELECT dq_internal.numeric_max(x)::text AS max, dq_internal.numeric_min(x)::text AS min FROM nmm;
INSERT INTO nmm VALUES (22, 'NaN');
SELECT dq_internal.numeric_max(x)::text AS max, dq_internal.numeric_min(x)::text AS min FROM nmm;
SELECT dq_internal.numeric_max(x) FROM nmm WHERE x IS NULL;
-- a parallel plan combines the workers' extremes
CREATE TABLE nmm_big AS
  SELECT g AS id, ((g * 7919) % 100003 - 50000)::numeric / 100 AS x FROM generate_series(1, 200000) g;
ANALYZE nmm_big;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT dq_internal.numeric_max(x) FROM nmm_big;
SELECT dq_internal.numeric_max(x) = max(x) AS max_same, dq_internal.numeric_min(x) = min(x) AS min_same,
       dq_internal.numeric_max(x) AS max, dq_internal.numeric_min(x) AS min
  FROM nmm_big;
RESET ALL;
-- the statistics kinds of a numeric column use them, and report the same
SELECT dq.expect('nmm_big', 'expect_column_max_to_be_between', 'x', '{"max_value": 500}') IS NOT NULL AS max_defined;
SELECT dq.expect('nmm_big', 'expect_column_min_to_be_between', 'x', '{"min_value": -400}') IS NOT NULL AS min_defined;
SELECT dq.validate('nmm_big') AS run \gset
SELECT kind, success, result->'result'->>'observed_value' AS observed
  FROM dq.validation_results WHERE run_id = :run ORDER BY kind;
-- the column's element and missing counts come with COMPLETE only (the
-- scan counts the column's values only then)
INSERT INTO nmm_big VALUES (0, NULL);
SELECT dq.check('nmm_big', 'expect_column_max_to_be_between', 'x', '{"max_value": 600}') -> 'result' AS basic;
SELECT dq.check('nmm_big', 'expect_column_max_to_be_between', 'x',
				'{"max_value": 600, "result_format": "COMPLETE"}') -> 'result' AS complete;
DROP TABLE nmm, nmm_big CASCADE;
