-- bench/monitors/detection.sql: precision and recall of dq.detect_anomalies
-- at its default settings, beside an Elementary-style z-score, on seasonal
-- daily series with injected spikes, drops and level shifts.
--
-- psql variables: series (number of series, default 400), seed (default
-- 0.42), trend (largest yearly growth of a series, default 0).
--
-- Every series is one year of daily values (2023-01-02, a Monday, on):
--   level * (1 + trend * t / 365) * weekday factor * (1 + 0.05 * N(0, 1))
-- (a noise of 5%, proportional to the value, as for row counts) with a
-- weekday profile of random amplitude (weekends lower), then, from day 70
-- on (ten weeks of history first), 10 events at least 6 days apart:
-- spikes and drops of k = 5 to 10 noise standard deviations on one day
-- (factor 1 + 0.05 k or 1 - 0.05 k), and level shifts of the same size
-- that last to the end (factors multiply).
--
-- Scoring, per event: a spike or drop is found when its day is flagged; a
-- level shift when one of its first 7 days is (flags in those 7 days
-- belong to it).  Any other flag from day 70 on is a false positive.
-- precision = events found / (events found + false positives),
-- recall = events found / events, their harmonic mean F1, and false
-- positives per 1,000 normal points (which does not depend on how many
-- events there are).  An oracle that knows each day's true value and noise
-- shows the best precision and recall a detector can have at sensitivity 3.
\if :{?series}
\else
\set series 400
\endif
\if :{?seed}
\else
\set seed 0.42
\endif
\if :{?trend}
\else
\set trend 0
\endif

SELECT setseed(:seed);

DROP TABLE IF EXISTS bench_points, bench_events, bench_flags;

CREATE TABLE bench_events AS
WITH slots AS (
	SELECT s, k, floor(random() * 3)::int AS kind, 5 + random() * 5 AS sigmas,
		   70 + (k - 1) * 29 + (random() * 23)::int AS day
	  FROM generate_series(1, :series) s, generate_series(1, 10) k
)
SELECT s, day, CASE kind WHEN 0 THEN 'spike' WHEN 1 THEN 'drop' ELSE 'shift' END AS kind,
	   sigmas * CASE WHEN kind = 1 OR (kind = 2 AND random() < 0.5) THEN -1 ELSE 1 END AS sigmas
  FROM slots;

CREATE TABLE bench_points AS
WITH params AS (
	SELECT s, 1000 * (1 + random()) AS level, random() * :trend AS trend,
		   0.2 + random() * 0.3 AS amplitude
	  FROM generate_series(1, :series) s
), raw AS (
	SELECT p.s, d AS day, '2023-01-02'::timestamptz + d * interval '1 day' AS ts,
		   p.level * (1 + p.trend * d / 365.0)
			 * CASE extract(isodow FROM '2023-01-02'::date + d)
				 WHEN 6 THEN 1 - p.amplitude WHEN 7 THEN 1 - p.amplitude * 1.2
				 WHEN 1 THEN 1 + p.amplitude * 0.3 ELSE 1 END AS expected,
		   sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS z
	  FROM params p, generate_series(0, 364) d
)
SELECT r.s, r.day, r.ts,
	   r.expected * (1 + 0.05 * r.z)
		 * coalesce((SELECT exp(sum(ln(1 + 0.05 * e.sigmas))) FROM bench_events e
					  WHERE e.s = r.s AND ((e.kind <> 'shift' AND e.day = r.day)
										   OR (e.kind = 'shift' AND e.day <= r.day))), 1)
		 AS value,
	   r.expected
		 * coalesce((SELECT exp(sum(ln(1 + 0.05 * e.sigmas))) FROM bench_events e
					  WHERE e.s = r.s AND e.kind = 'shift' AND e.day < r.day), 1)
		 AS truth
  FROM raw r;
CREATE INDEX ON bench_points (s, day);

CREATE TABLE bench_flags (detector text, s int, day int);

-- dq.detect_anomalies at its defaults
INSERT INTO bench_flags
SELECT 'dq.detect_anomalies (defaults)', p.s, (d.ts::date - '2023-01-02'::date)
  FROM (SELECT s, array_agg(ts ORDER BY day) ts, array_agg(value ORDER BY day) v
		  FROM bench_points GROUP BY s) p,
	   LATERAL dq.detect_anomalies(p.ts, p.v) d
 WHERE d.is_anomaly;

-- Elementary-style: z-score of each point against the 14 days up to and
-- including it, sensitivity 3, flagged points kept in training
INSERT INTO bench_flags
SELECT 'Elementary-style z-score', s, day FROM (
	SELECT s, day, value,
		   avg(value) OVER w AS mean, stddev_samp(value) OVER w AS sd
	  FROM bench_points
	WINDOW w AS (PARTITION BY s ORDER BY day ROWS BETWEEN 14 PRECEDING AND CURRENT ROW)) x
 WHERE day >= 14 AND abs(value - mean) > 3 * sd;

-- the same with weekly seasonality (the 14 last same weekdays)
INSERT INTO bench_flags
SELECT 'Elementary-style z-score, day_of_week', s, day FROM (
	SELECT s, day, value,
		   avg(value) OVER w AS mean, stddev_samp(value) OVER w AS sd
	  FROM bench_points
	WINDOW w AS (PARTITION BY s, day % 7 ORDER BY day ROWS BETWEEN 14 PRECEDING AND CURRENT ROW)) x
 WHERE day >= 98 AND abs(value - mean) > 3 * sd;

-- An oracle: the z-score against the true value of the day (the level
-- shifts of earlier days included, the day's own event not) and the true
-- noise (5% of it), sensitivity 3.  No detector that estimates the band from history can do better at
-- the same sensitivity: its false positives are the normal points beyond 3
-- standard deviations of Gaussian noise (2.7 per 1,000), which bounds the
-- precision any detector at sensitivity 3 can reach on these series.
INSERT INTO bench_flags
SELECT 'oracle (true mean and noise), sensitivity 3', s, day
  FROM bench_points
 WHERE day >= 70 AND abs(value - truth) > 3 * 0.05 * truth;

WITH f AS (
	SELECT f.detector, f.s, f.day,
		   (SELECT e.day FROM bench_events e
			 WHERE e.s = f.s AND (e.day = f.day OR (e.kind = 'shift' AND f.day BETWEEN e.day AND e.day + 6))
			 LIMIT 1) AS event_day
	  FROM bench_flags f WHERE f.day >= 70
), per AS (
	SELECT d.detector,
		   (SELECT count(*) FROM bench_events) AS events,
		   (SELECT count(DISTINCT (f.s, f.event_day)) FROM f WHERE f.detector = d.detector AND f.event_day IS NOT NULL) AS found,
		   (SELECT count(*) FROM f WHERE f.detector = d.detector AND f.event_day IS NULL) AS false_pos
	  FROM (SELECT DISTINCT detector FROM bench_flags) d
)
SELECT detector, events, found, false_pos,
	   round(found::numeric / nullif(found + false_pos, 0), 3) AS precision,
	   round(found::numeric / events, 3) AS recall,
	   round(2.0 * found / nullif(2 * found + false_pos + (events - found), 0), 3) AS f1,
	   round(1000.0 * false_pos / (SELECT count(*) FROM bench_points p
								   WHERE p.day >= 70 AND NOT EXISTS (
									 SELECT 1 FROM bench_events e WHERE e.s = p.s
									    AND (e.day = p.day OR (e.kind = 'shift' AND p.day BETWEEN e.day AND e.day + 6)))), 2)
		 AS false_per_1000
  FROM per ORDER BY detector;

-- recall per kind of event
SELECT d.detector, e.kind, count(*) AS events,
	   round(avg((EXISTS (SELECT 1 FROM bench_flags f WHERE f.detector = d.detector AND f.s = e.s
						   AND (f.day = e.day OR (e.kind = 'shift' AND f.day BETWEEN e.day AND e.day + 6))))::int), 3) AS recall
  FROM bench_events e, (SELECT DISTINCT detector FROM bench_flags) d
 GROUP BY 1, 2 ORDER BY 1, 2;
