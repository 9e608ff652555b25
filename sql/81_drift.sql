-- Column sketches (the per-bucket state of monitors) and drift between two
\set VERBOSITY terse
SET TimeZone = 'UTC';

-- metrics of a sketch: integers 1..100 and ten NULLs
SELECT dq.column_sketch_metrics(dq.column_sketch(v)) - 'stddev' AS metrics,
	   round((dq.column_sketch_metrics(dq.column_sketch(v)) ->> 'stddev')::numeric, 6) AS stddev
  FROM (SELECT g AS v FROM generate_series(1, 100) g UNION ALL SELECT NULL FROM generate_series(1, 10)) x;

-- sketches merge: two halves merged give the counts, distinct values,
-- extremes and moments of the whole, and its quantiles within the quantile
-- sketch's error (1% of the rank)
WITH halves AS (SELECT g % 2 AS h, dq.column_sketch(g::numeric) AS s
				  FROM generate_series(1, 1000) g GROUP BY 1),
	 merged AS (SELECT dq.column_sketch_metrics(dq.column_sketch_merge(s)) AS m FROM halves),
	 whole AS (SELECT dq.column_sketch_metrics(dq.column_sketch(g::numeric)) AS m
				 FROM generate_series(1, 1000) g)
SELECT k, CASE WHEN k ~ '^p[0-9]+$'
			   THEN abs((merged.m ->> k)::numeric - (whole.m ->> k)::numeric) <= 10
			   ELSE round((merged.m ->> k)::numeric, 9) = round((whole.m ->> k)::numeric, 9) END AS same
  FROM merged, whole, jsonb_object_keys(whole.m) k
 WHERE k <> 'data_type'
 ORDER BY k;
-- a merge of nothing is NULL; NULL sketches are skipped
SELECT dq.column_sketch_merge(s) IS NULL AS empty FROM (SELECT NULL::bytea AS s) x;
SELECT dq.column_sketch_metrics(dq.column_sketch_merge(s)) ->> 'row_count' AS rows
  FROM (VALUES (NULL::bytea), ((SELECT dq.column_sketch(1)))) x(s);

-- strings: lengths, pattern shares, top values
SELECT jsonb_pretty(dq.column_sketch_metrics(dq.column_sketch(v)))
  FROM (VALUES ('a@example.com'), ('b@example.com'), ('b@example.com'), (''), ('ABC'),
			   (NULL)) x(v);
-- booleans, dates (as seconds since 1970), other types (top values only)
SELECT dq.column_sketch_metrics(dq.column_sketch(v)) ->> 'true_fraction' AS true_fraction
  FROM (VALUES (true), (true), (false), (NULL::boolean)) x(v);
SELECT to_timestamp((dq.column_sketch_metrics(dq.column_sketch(v)) ->> 'p50')::float8) AS median
  FROM (SELECT '2024-01-01'::date + g AS v FROM generate_series(0, 10) g) x;
SELECT dq.column_sketch_metrics(dq.column_sketch(v)) -> 'top_values' AS top_values
  FROM (VALUES ('{"a": 1}'::jsonb), ('{"a": 1}'), ('[2]')) x(v);

-- Drift of numbers: Kolmogorov-Smirnov distance from the two quantile
-- sketches, its p-value, PSI over the reference's deciles
CREATE FUNCTION pg_temp.drift(ref bytea, cur bytea, options jsonb DEFAULT '{}')
RETURNS TABLE (test text, ks numeric, ks_p numeric, psi numeric, chi2 numeric,
			   chi2_p numeric, cramers_v numeric, enough boolean, drift boolean)
LANGUAGE sql AS $$
	SELECT d ->> 'test', round((d ->> 'ks_distance')::numeric, 4),
		   round((d ->> 'ks_p_value')::numeric, 4), round((d ->> 'psi')::numeric, 4),
		   round((d ->> 'chi2_statistic')::numeric, 4), round((d ->> 'chi2_p_value')::numeric, 4),
		   round((d ->> 'cramers_v')::numeric, 4), (d ->> 'enough_data')::boolean,
		   (d ->> 'drift')::boolean
	  FROM dq.column_sketch_drift(ref, cur, options) d $$;
-- the same values: no drift
SELECT * FROM pg_temp.drift((SELECT dq.column_sketch(g) FROM generate_series(1, 1000) g),
							(SELECT dq.column_sketch(g) FROM generate_series(1, 1000) g));
-- 1..100 against 6..105: D = 5/100 = 0.05, not significant
SELECT * FROM pg_temp.drift((SELECT dq.column_sketch(g) FROM generate_series(1, 100) g),
							(SELECT dq.column_sketch(g) FROM generate_series(6, 105) g));
-- 1..1000 against 501..1500: D = 0.5 (within the sketches' error), PSI
-- large: drift
SELECT * FROM pg_temp.drift((SELECT dq.column_sketch(g) FROM generate_series(1, 1000) g),
							(SELECT dq.column_sketch(g) FROM generate_series(501, 1500) g));
-- too few values for a verdict (min_rows, default 100)
SELECT enough, drift FROM pg_temp.drift((SELECT dq.column_sketch(g) FROM generate_series(1, 50) g),
										(SELECT dq.column_sketch(g) FROM generate_series(500, 549) g));
SELECT enough, drift FROM pg_temp.drift((SELECT dq.column_sketch(g) FROM generate_series(1, 50) g),
										(SELECT dq.column_sketch(g) FROM generate_series(500, 549) g),
										'{"min_rows": 10}');

-- Drift of categories: chi-square test of homogeneity over the top values.
-- 50 A + 50 B against 60 A + 40 B: chi2 = 2 * (25/55 + 25/45) = 2.0202,
-- p = 0.1552, Cramer's V = sqrt(2.0202 / 200) = 0.1005 (scipy's
-- chi2_contingency without Yates' correction gives the same)
CREATE FUNCTION pg_temp.cats(a int, b int) RETURNS bytea LANGUAGE sql AS
$$ SELECT dq.column_sketch(v) FROM (SELECT 'A' AS v FROM generate_series(1, a)
									 UNION ALL SELECT 'B' FROM generate_series(1, b)) x $$;
SELECT * FROM pg_temp.drift(pg_temp.cats(50, 50), pg_temp.cats(60, 40));
-- 500 + 500 against 800 + 200: drift
SELECT * FROM pg_temp.drift(pg_temp.cats(500, 500), pg_temp.cats(800, 200));
-- a category never seen before
SELECT test, drift, (dq.column_sketch_drift(pg_temp.cats(500, 0), pg_temp.cats(400, 100)) ->> 'categories') AS categories
  FROM pg_temp.drift(pg_temp.cats(500, 0), pg_temp.cats(400, 100));
-- booleans compare their true and false counts
SELECT test, drift FROM pg_temp.drift(
	(SELECT dq.column_sketch(g % 2 = 0) FROM generate_series(1, 1000) g),
	(SELECT dq.column_sketch(g % 10 = 0) FROM generate_series(1, 1000) g));
-- thresholds are options
SELECT drift FROM pg_temp.drift(pg_temp.cats(500, 500), pg_temp.cats(540, 460));
SELECT drift FROM pg_temp.drift(pg_temp.cats(500, 500), pg_temp.cats(540, 460),
								'{"min_effect": 0.01, "p_value": 0.1}');

-- Bad input
\set VERBOSITY default
SELECT dq.column_sketch_metrics(NULL);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.column_sketch_metrics('\x00010203');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.column_sketch_drift(pg_temp.cats(1, 1), NULL);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.column_sketch_drift(pg_temp.cats(1, 1), (SELECT dq.column_sketch(1)));
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.column_sketch_merge(s) FROM (VALUES (pg_temp.cats(1, 1)), ((SELECT dq.column_sketch(1)))) x(s);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.column_sketch_drift(pg_temp.cats(1, 1), pg_temp.cats(1, 1), '{"ks_threshold": 2}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.column_sketch_drift(pg_temp.cats(1, 1), pg_temp.cats(1, 1), '{"p_value": "small"}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.column_sketch_drift(pg_temp.cats(1, 1), pg_temp.cats(1, 1), '{"alpha": 0.1}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.column_sketch_drift(pg_temp.cats(1, 1), pg_temp.cats(1, 1), '[]');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
