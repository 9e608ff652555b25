-- Anomaly detection: dq.detect_anomalies on series with known answers
\set VERBOSITY terse
SET TimeZone = 'UTC';

-- a series of daily points from 2024-01-01 (a Monday)
CREATE FUNCTION pg_temp.days(n int) RETURNS timestamptz[] LANGUAGE sql AS
$$ SELECT array_agg('2024-01-01 00:00+00'::timestamptz + g * interval '1 day' ORDER BY g)
     FROM generate_series(0, n - 1) g $$;
CREATE FUNCTION pg_temp.show(ts timestamptz[], val float8[], method text, options jsonb)
RETURNS TABLE (i int, value float8, expected numeric, lower numeric, upper numeric,
			   score numeric, is_anomaly boolean) LANGUAGE sql AS
$$ SELECT row_number() OVER (ORDER BY d.ts)::int - 1, d.value, round(d.expected::numeric, 4),
		  round(d.lower::numeric, 4), round(d.upper::numeric, 4),
		  CASE WHEN d.score IN ('Infinity', '-Infinity') THEN d.score::numeric
			   ELSE round(d.score::numeric, 4) END, d.is_anomaly
	 FROM dq.detect_anomalies(ts, val, method, options) d $$;

-- zscore by hand: the first 7 points train the 8th (mean 10, sd 2, band
-- 10 +- 3 * 2 without the small-sample widening); 17 scores 3.5.  The
-- flagged 17 stays out of the training of the next points, so 10 scores 0
-- and 4 is judged against 10, 10, 12, 8, 12, 8, 12 (mean 10.2857, sd 1.7995).
SELECT * FROM pg_temp.show(pg_temp.days(10), '{8, 12, 8, 12, 8, 12, 10, 17, 10, 4}',
						   'zscore', '{"seasonality": "none", "prediction_interval": false}');

-- The point under test is never in its own window: had 17 been in its
-- training, its z-score would be 1.85 (below 3) and it would pass.  The
-- detector must flag it.
SELECT round(((17 - avg(v)) / stddev_samp(v))::numeric, 4) AS z_with_the_point_in_its_window
  FROM unnest('{12, 8, 12, 8, 12, 10, 17}'::float8[]) v;
SELECT is_anomaly AS flagged_by_the_detector
  FROM pg_temp.show(pg_temp.days(8), '{8, 12, 8, 12, 8, 12, 10, 17}',
					'zscore', '{"seasonality": "none", "prediction_interval": false}')
 WHERE i = 7;

-- The minimum training is enforced: no verdict (NULL, not false) before
-- min_training_points earlier points
SELECT count(*) FILTER (WHERE is_anomaly IS NULL) AS no_verdict,
	   count(*) FILTER (WHERE NOT is_anomaly) AS normal
  FROM dq.detect_anomalies(pg_temp.days(10), '{1,2,1,2,1,2,1,2,1,2}');
SELECT count(*) FILTER (WHERE is_anomaly IS NULL) AS no_verdict
  FROM dq.detect_anomalies(pg_temp.days(10), '{1,2,1,2,1,2,1,2,1,2}', 'zscore',
						   '{"min_training_points": 3}');

-- The band of the default zscore is a Student-t prediction interval: wide
-- on 7 training points, close to 3 standard deviations on 28
SELECT n, round(((upper - expected) / sd)::numeric, 3) AS band_in_sd
  FROM (VALUES (7), (28)) AS t(n),
	   LATERAL (SELECT d.upper, d.expected,
					   (SELECT stddev_samp(x) FROM unnest(v[1:n]) x) AS sd
				  FROM (SELECT array_agg((g % 3)::float8 ORDER BY g) AS v
						  FROM generate_series(0, n) g) s,
					   LATERAL dq.detect_anomalies(pg_temp.days(n + 1), s.v, 'zscore',
												   '{"seasonality": "none"}') d
				 ORDER BY d.ts DESC LIMIT 1) x
 ORDER BY n;

-- A spike must not mask the next one: flagged points stay out of training.
-- An Elementary-style score (the 14 points up to and including the point,
-- flagged points kept) misses the second, smaller spike.
CREATE TEMP TABLE spikes AS
SELECT g AS i, '2024-01-01 00:00+00'::timestamptz + g * interval '1 day' AS ts,
	   100 + (g * 7) % 5 - 2 + CASE g WHEN 20 THEN 40 WHEN 25 THEN 15 ELSE 0 END AS v
  FROM generate_series(0, 34) g;
SELECT s.i, s.v, d.is_anomaly AS detector,
	   abs(s.v - avg(s.v) OVER w) > 3 * stddev_samp(s.v) OVER w AS elementary_style
  FROM spikes s
  JOIN dq.detect_anomalies((SELECT array_agg(ts ORDER BY i) FROM spikes),
						   (SELECT array_agg(v::float8 ORDER BY i) FROM spikes),
						   'zscore', '{"seasonality": "none"}') d ON d.ts = s.ts
 WHERE s.i IN (19, 20, 21, 25, 26)
WINDOW w AS (ORDER BY s.i ROWS BETWEEN 14 PRECEDING AND CURRENT ROW)
 ORDER BY s.i;

-- Seasonality: weekdays near 100, weekends near 20, 10 weeks.  A Saturday
-- at 100 is an anomaly for a Saturday, not for the series as a whole.
CREATE TEMP TABLE weekly AS
SELECT g AS i, '2024-01-01 00:00+00'::timestamptz + g * interval '1 day' AS ts,
	   CASE WHEN g = 61 THEN 100 WHEN g % 7 IN (5, 6) THEN 20 ELSE 100 END + (g * 3) % 3 - 1 + (g % 2) AS v
  FROM generate_series(0, 69) g;
SELECT s, to_char(d.ts, 'Dy') AS day, d.value, d.is_anomaly
  FROM unnest('{none, day_of_week, auto}'::text[]) s,
	   LATERAL dq.detect_anomalies((SELECT array_agg(ts ORDER BY i) FROM weekly),
								   (SELECT array_agg(v::float8 ORDER BY i) FROM weekly),
								   'zscore', jsonb_build_object('seasonality', s, 'timezone', 'UTC')) d
 WHERE d.ts = '2024-03-02 00:00+00';
-- with day_of_week, each weekday trains on its own: no verdict before 7 of them
SELECT min(d.ts)::date AS first_verdict
  FROM dq.detect_anomalies((SELECT array_agg(ts ORDER BY i) FROM weekly),
						   (SELECT array_agg(v::float8 ORDER BY i) FROM weekly),
						   'zscore', '{"seasonality": "day_of_week", "timezone": "UTC"}') d
 WHERE d.is_anomaly IS NOT NULL;
-- hour_of_day: nights at 5, days at 50, 9 days; 03:00 on the 9th day at 50
CREATE TEMP TABLE hourly AS
SELECT g AS i, '2024-01-01 00:00+00'::timestamptz + g * interval '1 hour' AS ts,
	   CASE WHEN g = 8 * 24 + 3 THEN 50 WHEN g % 24 < 6 THEN 5 ELSE 50 END + (g % 3) AS v
  FROM generate_series(0, 9 * 24 - 1) g;
SELECT s, d.ts, d.value, d.is_anomaly
  FROM unnest('{none, hour_of_day}'::text[]) s,
	   LATERAL dq.detect_anomalies((SELECT array_agg(ts ORDER BY i) FROM hourly),
								   (SELECT array_agg(v::float8 ORDER BY i) FROM hourly),
								   'zscore', jsonb_build_object('seasonality', s, 'timezone', 'UTC')) d
 WHERE d.ts = '2024-01-09 03:00+00';
-- the time zone decides what a weekday is
SELECT to_char(d.ts AT TIME ZONE 'Asia/Tokyo', 'Dy HH24:MI') AS tokyo, d.is_anomaly
  FROM dq.detect_anomalies((SELECT array_agg(ts - interval '9 hours' ORDER BY i) FROM weekly),
						   (SELECT array_agg(v::float8 ORDER BY i) FROM weekly),
						   'zscore', '{"seasonality": "day_of_week", "timezone": "Asia/Tokyo"}') d
 WHERE d.ts = '2024-03-01 15:00+00';

-- mad: median 10, MAD 0, so the mean absolute deviation stands in
-- (1.2533 * 2/7 = 0.3581); 12 scores 5.5851
SELECT * FROM pg_temp.show(pg_temp.days(8), '{9, 10, 10, 10, 11, 10, 10, 12}', 'mad',
						   '{"seasonality": "none", "prediction_interval": false}')
 WHERE i = 7;
-- mad is robust: a wild value in training (40, given back to training as
-- expected) widens the zscore band to 62, the mad band to 8.9
SELECT method, expected, upper - lower AS band_width
  FROM (VALUES ('zscore'), ('mad')) m(method),
	   LATERAL pg_temp.show(pg_temp.days(9), '{10, 40, 10, 12, 10, 12, 10, 12, 11}', method,
							'{"seasonality": "none", "prediction_interval": false,
							  "expected": ["2024-01-02 00:00+00"]}') s
 WHERE s.i = 8
 ORDER BY method;

-- rate_of_change: from the last normal point; 20 after 11 is +82%, and the
-- next point compares with 11 again (20 stays out)
SELECT * FROM pg_temp.show(pg_temp.days(6), '{10, 11, 20, 10, 5, 10}', 'rate_of_change',
						   '{"max_increase": 0.5, "max_decrease": 0.3}');
-- absolute_change
SELECT * FROM pg_temp.show(pg_temp.days(5), '{100, 103, 130, 98, 90}', 'absolute_change',
						   '{"max_increase": 10, "max_decrease": 5}');
-- threshold: no training, every point judged
SELECT * FROM pg_temp.show(pg_temp.days(4), '{5, 15, -1, 10}', 'threshold',
						   '{"min": 0, "max": 10}');

-- holt_winters: an exact weekly pattern (residuals 0); no verdict in the
-- two seasons that initialise it nor before 7 residuals; the spike is
-- forecast at its weekday's value
SELECT count(*) FILTER (WHERE is_anomaly IS NULL) AS no_verdict,
	   count(*) FILTER (WHERE is_anomaly) AS anomalies,
	   min(i) FILTER (WHERE is_anomaly) AS at,
	   min(expected) FILTER (WHERE is_anomaly) AS forecast
  FROM pg_temp.show(pg_temp.days(42),
					ARRAY(SELECT (10 * (g % 7 + 1) + CASE g WHEN 30 THEN 25 ELSE 0 END)::float8
							FROM generate_series(0, 41) g),
					'holt_winters', '{"season_length": 7}');
-- and with a trend: forecasts follow it
SELECT i, value, expected, is_anomaly
  FROM pg_temp.show(pg_temp.days(40),
					ARRAY(SELECT (100 + g + 10 * (g % 7))::float8 FROM generate_series(0, 39) g),
					'holt_winters', '{"season_length": 7, "min_stddev": 1}')
 WHERE i IN (21, 39);

-- direction: spike flags only values above the band, drop only below
SELECT dir, string_agg(i::text, ',' ORDER BY i) AS flagged
  FROM (VALUES ('both'), ('spike'), ('drop')) x(dir),
	   LATERAL pg_temp.show(pg_temp.days(10), '{8, 12, 8, 12, 8, 12, 10, 17, 10, 4}', 'zscore',
							jsonb_build_object('direction', dir, 'seasonality', 'none',
											   'prediction_interval', false)) s
 WHERE s.is_anomaly
 GROUP BY dir ORDER BY dir;

-- A lasting level shift: its first 3 points are anomalies, then it is the
-- new normal (level_shift 0 keeps flagging it)
SELECT ls, string_agg(i::text, ',' ORDER BY i) AS flagged
  FROM (VALUES (3), (0)) x(ls),
	   LATERAL pg_temp.show(pg_temp.days(30),
							ARRAY(SELECT (CASE WHEN g < 20 THEN 100 ELSE 150 END + g % 3)::float8
									FROM generate_series(0, 29) g),
							'zscore', jsonb_build_object('level_shift', ls, 'seasonality', 'none')) s
 WHERE s.is_anomaly
 GROUP BY ls ORDER BY ls;

-- Verdicts: the 17 (2024-01-08) marked expected is normal and trains the
-- next point (a wider band for the 10 after it); a normal 12 (2024-01-02)
-- marked anomalous is reported so and stays out of training
SELECT opts, i, value, is_anomaly, upper
  FROM (VALUES ('{}'::jsonb), ('{"expected": ["2024-01-08 00:00+00"]}'),
			   ('{"anomalous": ["2024-01-02 00:00+00"]}')) x(opts),
	   LATERAL pg_temp.show(pg_temp.days(9), '{8, 12, 8, 12, 8, 12, 10, 17, 10}', 'zscore',
							opts || '{"seasonality": "none", "prediction_interval": false,
									  "min_training_points": 5}') s
 WHERE s.i IN (1, 7, 8)
 ORDER BY opts::text, i;

-- training_period and training_points bound the window
SELECT expected FROM pg_temp.show(pg_temp.days(12), '{1,1,1,1,1,1,1,5,5,5,5,5}', 'zscore',
								  '{"seasonality": "none", "level_shift": 0, "training_points": 3,
									"min_training_points": 3, "min_stddev": 1}')
 WHERE i = 11;
SELECT count(*) FILTER (WHERE is_anomaly IS NULL) AS no_verdict
  FROM dq.detect_anomalies(pg_temp.days(12), '{1,2,1,2,1,2,1,2,1,2,1,2}', 'zscore',
						   '{"training_period": "3 days", "min_training_points": 3}');

-- Spread floors: a constant training flags any change, unless min_stddev
-- or count_floor (counts vary at least as a Poisson count does) say what
-- is noise
SELECT opts, is_anomaly, score
  FROM (VALUES ('{}'::jsonb), ('{"min_stddev": 2}'), ('{"count_floor": true}')) x(opts),
	   LATERAL pg_temp.show(pg_temp.days(8), '{5, 5, 5, 5, 5, 5, 5, 7}', 'zscore',
							opts || '{"seasonality": "none"}') s
 WHERE s.i = 7
 ORDER BY opts::text;

-- Empty series, named arguments, defaults
SELECT count(*) FROM dq.detect_anomalies('{}', '{}');
SELECT count(*) FROM dq.detect_anomalies(val => '{1, 2}', ts => pg_temp.days(2));

-- Bad input: an error with its SQLSTATE
\set VERBOSITY default
SELECT * FROM dq.detect_anomalies(NULL, '{1}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM dq.detect_anomalies(pg_temp.days(2), '{1}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM dq.detect_anomalies(pg_temp.days(2), '{1, NULL}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM dq.detect_anomalies('{2024-01-02 00:00+00, 2024-01-01 00:00+00}', '{1, 2}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM dq.detect_anomalies('{2024-01-01 00:00+00, 2024-01-01 00:00+00}', '{1, 2}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM dq.detect_anomalies(pg_temp.days(2), '{1, NaN}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM dq.detect_anomalies(ARRAY['infinity'::timestamptz], '{1}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM dq.detect_anomalies(pg_temp.days(2), '{{1}, {2}}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM dq.detect_anomalies(pg_temp.days(2), '{1, 2}', 'prophet');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM dq.detect_anomalies(pg_temp.days(2), '{1, 2}', NULL);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM dq.detect_anomalies(pg_temp.days(2), '{1, 2}', 'zscore', NULL);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM dq.detect_anomalies(pg_temp.days(2), '{1, 2}', 'zscore', '[1]');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM dq.detect_anomalies(pg_temp.days(2), '{1, 2}', 'zscore', '{"sensitivty": 2}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM dq.detect_anomalies(pg_temp.days(2), '{1, 2}', 'zscore', '{"sensitivity": "high"}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM dq.detect_anomalies(pg_temp.days(2), '{1, 2}', 'zscore', '{"sensitivity": 0}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM dq.detect_anomalies(pg_temp.days(2), '{1, 2}', 'zscore', '{"direction": "up"}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM dq.detect_anomalies(pg_temp.days(2), '{1, 2}', 'zscore', '{"seasonality": "monthly"}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM dq.detect_anomalies(pg_temp.days(2), '{1, 2}', 'zscore', '{"timezone": "Mars/Olympus"}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM dq.detect_anomalies(pg_temp.days(2), '{1, 2}', 'zscore', '{"training_points": 2.5}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM dq.detect_anomalies(pg_temp.days(2), '{1, 2}', 'zscore', '{"min_training_points": 50}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM dq.detect_anomalies(pg_temp.days(2), '{1, 2}', 'zscore', '{"training_period": "-1 day"}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM dq.detect_anomalies(pg_temp.days(2), '{1, 2}', 'zscore', '{"expected": "2024-01-01"}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM dq.detect_anomalies(pg_temp.days(2), '{1, 2}', 'zscore', '{"alpha": 0.5}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM dq.detect_anomalies(pg_temp.days(2), '{1, 2}', 'holt_winters', '{"alpha": 1.5}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM dq.detect_anomalies(pg_temp.days(2), '{1, 2}', 'threshold');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM dq.detect_anomalies(pg_temp.days(2), '{1, 2}', 'threshold', '{"min": 5, "max": 1}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM dq.detect_anomalies(pg_temp.days(2), '{1, 2}', 'rate_of_change');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM dq.detect_anomalies(pg_temp.days(2), '{1, 2}', 'rate_of_change', '{"max_increase": -1}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- Trend: a series that grows by 2 a day (with a small repeating noise of
-- +-1) and a spike of +25 on day 35.  Against the mean of its training
-- (trend none) the growth itself is the spread, a band of about +-50 that
-- hides the spike; the least-squares line (trend linear) expects each next
-- value within its noise and finds the spike, and nothing else.
CREATE TEMP TABLE growing AS
SELECT pg_temp.days(40) AS ts,
	   ARRAY(SELECT 100 + 2 * d + ((d * 7) % 5 - 2) * 0.5
				    + CASE WHEN d = 35 THEN 25 ELSE 0 END
			   FROM generate_series(0, 39) d)::float8[] AS val;
SELECT o ->> 'trend' AS trend,
	   count(*) FILTER (WHERE is_anomaly) AS anomalies,
	   array_agg(EXTRACT(day FROM r.ts - '2024-01-01 00:00+00')::int ORDER BY r.ts) FILTER (WHERE is_anomaly) AS days
  FROM growing g,
	   (VALUES ('{"seasonality": "none", "trend": "none"}'::jsonb),
			   ('{"seasonality": "none", "trend": "linear"}')) x(o),
	   LATERAL dq.detect_anomalies(g.ts, g.val, 'zscore', o) r
 GROUP BY 1 ORDER BY 1;
-- the line's prediction for day 39 (100 + 78 + noise 0.5), inside its band
SELECT round(expected::numeric, 1) AS expected, lower < value AND value < upper AS inside
  FROM growing g, LATERAL dq.detect_anomalies(g.ts, g.val, 'zscore', '{"seasonality": "none", "trend": "linear"}') r
 WHERE r.ts = g.ts[40];
SELECT * FROM dq.detect_anomalies(pg_temp.days(2), '{1, 2}', 'zscore', '{"trend": "quadratic"}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM dq.detect_anomalies(pg_temp.days(2), '{1, 2}', 'mad', '{"trend": "linear"}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
