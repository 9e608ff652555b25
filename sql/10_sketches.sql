-- The sketches as SQL aggregates; parallel plans give the same answers
\set VERBOSITY terse
-- exact below 1024 distinct values, NULLs ignored, any type
SELECT dq.approx_distinct(x) FROM generate_series(1, 1000) x;
SELECT dq.approx_distinct(x % 7) FROM generate_series(1, 1000) x;
SELECT dq.approx_distinct(NULL::int) FROM generate_series(1, 3);
SELECT dq.approx_distinct(x) FROM generate_series(1, 0) x;
SELECT dq.approx_distinct(v) FROM (VALUES ('a'::text), ('b'), ('a'), (NULL)) t(v);
SELECT dq.approx_distinct(v) FROM (VALUES (1.0::numeric), (1.00), (-1), (1e400), (-1e400), ('NaN')) t(v);
SELECT dq.approx_distinct(v) FROM (VALUES ('0'::float8), ('-0'), ('NaN'), ('NaN')) t(v);
SELECT dq.approx_distinct(v) FROM (VALUES ('{"a":1}'::json), ('{"a":1}'), ('[]')) t(v);
-- large input: within 3 standard errors (2.4%) of the truth
SELECT abs(dq.approx_distinct(x) - 200000) < 200000 * 0.024 AS within_error
  FROM generate_series(1, 200000) x;

-- quantiles: percentile_disc semantics while exact; NaN and NULL ignored
SELECT dq.approx_quantiles(x, ARRAY[0, 0.25, 0.5, 0.75, 1]) FROM generate_series(1, 100) x;
SELECT percentile_disc(ARRAY[0, 0.25, 0.5, 0.75, 1]) WITHIN GROUP (ORDER BY x) FROM generate_series(1, 100) x;
SELECT dq.approx_quantiles(v, ARRAY[0.5]) FROM (VALUES (1::float8), ('NaN'), (NULL), (3)) t(v);
SELECT dq.approx_quantiles(v, ARRAY[0.5]) FROM (VALUES (NULL::float8)) t(v);

-- top-k: exact while distinct values fit the sketch
SELECT dq.approx_top_k(x % 5, 3) FROM generate_series(1, 103) x;
SELECT dq.approx_top_k(v, 2) FROM (VALUES ('b'::text), ('a'), ('b'), (NULL), (NULL)) t(v);
-- a heavy hitter is found in a high-cardinality stream
SELECT (dq.approx_top_k(CASE WHEN x % 10 = 0 THEN 0 ELSE x END, 1) -> 0 ->> 'value') AS heavy
  FROM generate_series(1, 100000) x;

-- parallel aggregation: partial states are serialized and combined
CREATE TABLE par AS
  SELECT g AS id, (g % 50)::text AS label, (g % 97)::numeric / 4 AS n,
         CASE WHEN g % 11 = 0 THEN NULL ELSE g % 500 END AS v
    FROM generate_series(1, 200000) g;
ANALYZE par;
SET max_parallel_workers_per_gather = 0;
CREATE TABLE serial_res AS
  SELECT dq.column_profile(label) AS label, dq.column_profile(n) AS n, dq.column_profile(v) AS v,
         dq.approx_distinct(v) AS d, dq.approx_top_k(label, 3) AS tk
    FROM par;
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
EXPLAIN (COSTS OFF)
  SELECT dq.column_profile(label), dq.approx_distinct(v), dq.approx_quantiles(id, ARRAY[0.5]),
         dq.approx_top_k(label, 3) FROM par;
CREATE TABLE parallel_res AS
  SELECT dq.column_profile(label) AS label, dq.column_profile(n) AS n, dq.column_profile(v) AS v,
         dq.approx_distinct(v) AS d, dq.approx_top_k(label, 3) AS tk
    FROM par;
-- exact metrics agree whatever the split
SELECT k, s.label -> k = p.label -> k AS same
  FROM serial_res s, parallel_res p,
       unnest(ARRAY['row_count', 'null_count', 'distinct_count', 'min_value', 'max_value',
                    'top_values', 'min_length', 'max_length', 'mean_length', 'patterns']) k;
SELECT k, s.n -> k = p.n -> k AS same
  FROM serial_res s, parallel_res p,
       unnest(ARRAY['row_count', 'distinct_count', 'min_value', 'max_value', 'sum', 'zero_count']) k;
SELECT k, s.v -> k = p.v -> k AS same
  FROM serial_res s, parallel_res p,
       unnest(ARRAY['row_count', 'null_count', 'distinct_count', 'min_value', 'max_value', 'sum']) k;
SELECT abs((s.v ->> 'mean')::float8 - (p.v ->> 'mean')::float8) < 1e-9 AS mean_same,
       abs((s.v ->> 'stddev')::float8 - (p.v ->> 'stddev')::float8) < 1e-9 AS stddev_same,
       abs((s.n ->> 'stddev')::float8 - (p.n ->> 'stddev')::float8) < 1e-9 AS numeric_stddev_same,
       s.d = p.d AS distinct_same, s.tk = p.tk AS topk_same
  FROM serial_res s, parallel_res p;
-- and they are right
SELECT (p.v ->> 'sum')::numeric = (SELECT sum(v) FROM par) AS sum_ok,
       (p.n ->> 'sum')::numeric = (SELECT sum(n) FROM par) AS numeric_sum_ok,
       abs((p.n ->> 'stddev')::float8 - (SELECT stddev_samp(n) FROM par)::float8) < 1e-9 AS stddev_ok,
       (p.label ->> 'distinct_count')::int = 50 AS distinct_ok
  FROM parallel_res p;
-- dq.profile itself uses the parallel plan and stores the same answers
SELECT dq.profile('par') AS run \gset
SELECT column_name, row_count, null_count, distinct_count, min_value, max_value, sum
  FROM dq.column_profiles WHERE run_id = :run ORDER BY attnum;
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
