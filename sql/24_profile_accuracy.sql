-- Accuracy on a generated 1M-row table against exact SQL:
-- null counts, min/max and means exact; distinct within the HyperLogLog
-- bound (3 standard errors = 2.43%); every quantile's true rank within
-- the KLL bound (1% of the rows).
\set VERBOSITY terse
SELECT setseed(0.42);
CREATE TABLE big AS
SELECT g AS id,
       (random() * 1e6)::int AS uniform_int,
       CASE WHEN g % 20 = 0 THEN NULL ELSE exp(random() * 10) END AS skewed,
       (random() * 1000)::numeric(12, 3) AS amount,
       '2020-01-01'::timestamptz + random() * interval '1000 days' AS ts,
       md5((g % 50000)::text) AS code
  FROM generate_series(1, 1000000) g;
SELECT dq.profile('big') AS run \gset

-- exact metrics
SELECT p.column_name,
       p.row_count = 1000000 AS rows_ok,
       p.null_count = CASE p.column_name WHEN 'skewed' THEN 50000 ELSE 0 END AS nulls_ok
  FROM dq.column_profiles p WHERE run_id = :run ORDER BY attnum;
CREATE TEMP VIEW prof AS SELECT * FROM dq.column_profiles WHERE run_id = :run;
CREATE TEMP TABLE exact AS
SELECT min(uniform_int) AS i_min, max(uniform_int) AS i_max, avg(uniform_int) AS i_avg,
       sum(uniform_int) AS i_sum,
       min(skewed) AS f_min, max(skewed) AS f_max, avg(skewed) AS f_avg,
       stddev_samp(skewed) AS f_sd,
       min(amount) AS n_min, max(amount) AS n_max, avg(amount) AS n_avg, sum(amount) AS n_sum,
       min(ts) AS t_min, max(ts) AS t_max, min(code) AS c_min, max(code) AS c_max
  FROM big;
SELECT (SELECT min_value::int = i_min AND max_value::int = i_max
          FROM prof, exact WHERE column_name = 'uniform_int') AS int_minmax,
       (SELECT min_value::float8 = f_min AND max_value::float8 = f_max
          FROM prof, exact WHERE column_name = 'skewed') AS float_minmax,
       (SELECT min_value::numeric = n_min AND max_value::numeric = n_max
          FROM prof, exact WHERE column_name = 'amount') AS numeric_minmax,
       (SELECT min_value::timestamptz = t_min AND max_value::timestamptz = t_max
          FROM prof, exact WHERE column_name = 'ts') AS ts_minmax,
       (SELECT min_value = c_min AND max_value = c_max
          FROM prof, exact WHERE column_name = 'code') AS text_minmax;
SELECT (SELECT abs(mean - i_avg::float8) < 1e-9 * i_avg::float8 AND sum = i_sum
          FROM prof, exact WHERE column_name = 'uniform_int') AS int_mean_sum,
       (SELECT abs(mean - f_avg) < 1e-9 * f_avg AND abs(stddev - f_sd) < 1e-9 * f_sd
          FROM prof, exact WHERE column_name = 'skewed') AS float_mean_stddev,
       (SELECT sum = n_sum AND abs(mean - n_avg::float8) < 1e-12 * n_avg::float8
          FROM prof, exact WHERE column_name = 'amount') AS numeric_sum_mean;

-- distinct counts within 2.43% of count(DISTINCT)
SELECT p.column_name,
       abs(p.distinct_count - e.n) <= 0.0243 * e.n AS distinct_within_bound
  FROM dq.column_profiles p
  JOIN (SELECT 'id' AS c, count(DISTINCT id) AS n FROM big
        UNION ALL SELECT 'uniform_int', count(DISTINCT uniform_int) FROM big
        UNION ALL SELECT 'skewed', count(DISTINCT skewed) FROM big
        UNION ALL SELECT 'amount', count(DISTINCT amount) FROM big
        UNION ALL SELECT 'ts', count(DISTINCT ts) FROM big
        UNION ALL SELECT 'code', count(DISTINCT code) FROM big) e ON e.c = p.column_name
 WHERE p.run_id = :run ORDER BY p.attnum;

-- each quantile's true rank is within 1% of its target
CREATE TEMP TABLE q AS
SELECT p.column_name, k.key AS quantile,
       CASE k.key WHEN 'p01' THEN 0.01 WHEN 'p05' THEN 0.05 WHEN 'p25' THEN 0.25
                  WHEN 'p50' THEN 0.50 WHEN 'p75' THEN 0.75 WHEN 'p95' THEN 0.95
                  ELSE 0.99 END AS target,
       k.value #>> '{}' AS value
  FROM dq.column_profiles p, jsonb_each(p.quantiles) k
 WHERE p.run_id = :run AND p.quantiles IS NOT NULL;
SELECT column_name, count(*) AS quantiles,
       bool_and(abs(rank - target) <= 0.01) AS ranks_within_bound
  FROM (SELECT q.column_name, q.target,
               CASE q.column_name
                 WHEN 'id' THEN (SELECT count(*) FILTER (WHERE id <= q.value::float8) / 1e6 FROM big)
                 WHEN 'uniform_int' THEN (SELECT count(*) FILTER (WHERE uniform_int <= q.value::float8) / 1e6 FROM big)
                 WHEN 'skewed' THEN (SELECT count(*) FILTER (WHERE skewed <= q.value::float8) / 950000.0 FROM big)
                 WHEN 'amount' THEN (SELECT count(*) FILTER (WHERE amount <= q.value::numeric) / 1e6 FROM big)
                 WHEN 'ts' THEN (SELECT count(*) FILTER (WHERE ts <= q.value::timestamptz) / 1e6 FROM big)
               END AS rank
          FROM q) r
 GROUP BY column_name ORDER BY column_name;

-- the histogram covers every non-NULL value and its buckets are ordered
SELECT column_name,
       (SELECT sum((b ->> 'count')::bigint) FROM jsonb_array_elements(histogram) b)
         BETWEEN row_count - null_count - 10 AND row_count - null_count + 10 AS histogram_total,
       jsonb_array_length(histogram) <= 10 AS at_most_10_buckets
  FROM dq.column_profiles WHERE run_id = :run AND histogram IS NOT NULL ORDER BY attnum;

-- the most frequent code values are found (50000 values, 20 rows each)
SELECT (SELECT count(*) FROM jsonb_array_elements(top_values)) <= 10 AS bounded,
       top_values_exact
  FROM dq.column_profiles WHERE run_id = :run AND column_name = 'code';
DROP TABLE big;
