-- Monitors: definitions, runs, metric history, anomalies, verdicts
\set VERBOSITY terse
SET TimeZone = 'UTC';
SELECT setval('dq.monitor_id_seq', 1000, false) IS NOT NULL AS ids_from_1000;

-- 30 days of January 2024, 100 rows a day; on the 25th amounts are ten
-- times larger and 60 of the 100 orders failed
CREATE TABLE mon_events (id bigserial PRIMARY KEY, created_at timestamptz NOT NULL,
						 amount numeric, status text, flag boolean);
CREATE INDEX ON mon_events (created_at);
INSERT INTO mon_events (created_at, amount, status, flag)
SELECT '2024-01-01 00:00+00'::timestamptz + d * interval '1 day' + r * interval '10 minutes',
	   CASE WHEN d = 24 THEN 1000 ELSE 100 END + (r % 13),
	   CASE WHEN d = 24 AND r < 60 THEN 'failed' WHEN r % 3 = 0 THEN 'new' ELSE 'paid' END,
	   r % 4 = 0
  FROM generate_series(0, 29) d, generate_series(0, 99) r;

-- Column monitor with a timestamp watermark: the first run reads every row
-- once into daily buckets and judges the complete ones
SELECT dq.monitor('mon_events', 'column', 'amount',
				  '{"watermark": "created_at", "schedule": null,
					"metrics": ["mean", "null_fraction", "p50"]}') AS col_id \gset
SELECT dq.run_monitor(:col_id) AS new_anomalies;
SELECT kind, metric, bucket, round(value::numeric, 2) AS value, round(expected::numeric, 2) AS expected,
	   severity, state
  FROM dq.anomalies WHERE monitor_id = :col_id ORDER BY metric, bucket;
SELECT count(*) AS buckets, sum(rows) AS rows FROM dq.metric_sketches WHERE monitor_id = :col_id;
SELECT metric, round(value::numeric, 4) AS value FROM dq.metric_points
 WHERE source = 'monitor' AND source_id = :col_id AND bucket = '2024-01-01 00:00+00'
   AND metric IN ('row_count', 'mean', 'distinct_count', 'null_fraction', 'p50')
 ORDER BY metric;
-- the state the next run starts from
SELECT state - 'typid' AS state FROM dq.monitor_definitions WHERE monitor_id = :col_id;

-- Incremental: only rows past the watermark are read; they are merged into
-- their bucket's sketch (the 30th now has 150 rows, not rescanned)
INSERT INTO mon_events (created_at, amount, status)
SELECT '2024-01-30 17:00+00'::timestamptz + r * interval '1 minute', 100 + r % 13, 'paid'
  FROM generate_series(0, 49) r;
SELECT dq.run_monitor(:col_id) AS new_anomalies;
SELECT bucket, rows FROM dq.metric_sketches WHERE monitor_id = :col_id
 ORDER BY bucket DESC LIMIT 2;
SELECT state ->> 'watermark' AS watermark FROM dq.monitor_definitions WHERE monitor_id = :col_id;
-- nothing new: nothing read, nothing judged again
SELECT dq.run_monitor(:col_id) AS new_anomalies;

-- Windows merge stored buckets: the first week, without reading the table
-- (amounts 100 + r % 13 for r = 0..99: mean 105.82, 13 distinct values)
SELECT w ->> 'buckets' AS buckets, w ->> 'row_count' AS rows, round((w ->> 'mean')::numeric, 2) AS mean,
	   w ->> 'distinct_count' AS distinct_count
  FROM dq.monitor_window(:col_id, '2024-01-01 00:00+00', '2024-01-08 00:00+00') w;
SELECT dq.monitor_window(:col_id, '2023-01-01 00:00+00', '2023-01-08 00:00+00');

-- Distribution monitor of a category: the 25th drifts; the 26th is
-- compared with the last bucket that did not drift (the 24th), so it does
-- not drift back
SELECT dq.monitor('mon_events', 'distribution', 'status',
				  '{"watermark": "created_at", "schedule": null}') AS dist_id \gset
SELECT dq.run_monitor(:dist_id) AS new_anomalies;
SELECT metric, bucket, round(value::numeric, 4) AS cramers_v, upper AS threshold, method, severity,
	   detail ->> 'reference' AS reference, round((detail ->> 'chi2_p_value')::numeric, 6) AS p_value
  FROM dq.anomalies WHERE monitor_id = :dist_id ORDER BY bucket;
SELECT count(DISTINCT bucket) AS buckets_compared FROM dq.metric_points
 WHERE source = 'monitor' AND source_id = :dist_id AND metric = 'cramers_v';
-- the same of a number, against a pinned baseline (the first 7 buckets)
SELECT dq.monitor('mon_events', 'distribution', 'amount',
				  '{"watermark": "created_at", "schedule": null, "reference": "baseline",
					"baseline_buckets": 7}') AS dist2_id \gset
SELECT dq.run_monitor(:dist2_id) AS new_anomalies;
SELECT bucket, round(value::numeric, 4) AS ks_distance, method, severity
  FROM dq.anomalies WHERE monitor_id = :dist2_id ORDER BY bucket;
-- any two windows
SELECT d ->> 'test' AS test, round((d ->> 'ks_distance')::numeric, 3) AS ks, d ->> 'drift' AS drift
  FROM dq.monitor_drift(:dist2_id, '2024-01-01 00:00+00', '2024-01-08 00:00+00',
						'2024-01-22 00:00+00', '2024-01-29 00:00+00') d;

-- Volume from the statistics counters (no scan): the first poll keeps the
-- counters, later polls record what changed since
CREATE TABLE mon_feed (id int);
SELECT dq.monitor('mon_feed', 'volume', options => '{"schedule": null}') AS vol_id \gset
SELECT dq.run_monitor(:vol_id) AS first_poll;
INSERT INTO mon_feed SELECT generate_series(1, 10);
DELETE FROM mon_feed WHERE id <= 2;
SELECT pg_stat_force_next_flush();
SELECT dq.run_monitor(:vol_id) AS second_poll;
SELECT metric, value FROM dq.metric_points WHERE source = 'monitor' AND source_id = :vol_id
 ORDER BY metric;
-- nine polls of 100 rows, then one of 1000: an anomaly (counts vary at
-- least as a Poisson count does, so 100 every time is not "constant")
SELECT s FROM generate_series(1, 10) g,
	   LATERAL (VALUES (1, format('INSERT INTO mon_feed SELECT generate_series(1, %s)',
								  CASE WHEN g = 10 THEN 1000 ELSE 100 END)),
					   (2, 'SELECT pg_stat_force_next_flush()'),
					   (3, 'SELECT dq.run_monitor(monitor_id) AS new_anomalies FROM dq.monitor_definitions WHERE relid = ''mon_feed''::regclass AND kind = ''volume''')) v(o, s)
 ORDER BY g, o \gexec
SELECT metric, value, expected, round(upper::numeric, 2) AS upper, severity
  FROM dq.anomalies WHERE monitor_id = :vol_id;
-- exact counts on request
SELECT dq.monitor('mon_feed', 'volume', options => '{"exact": true, "schedule": null}') AS vol_id \gset
SELECT dq.run_monitor(:vol_id);
SELECT metric, value FROM dq.metric_points WHERE source = 'monitor' AND source_id = :vol_id
   AND bucket = (SELECT max(bucket) FROM dq.metric_points WHERE source_id = :vol_id AND source = 'monitor')
 ORDER BY metric;

-- Freshness from max(created_at) through its index: no sequential scan
SELECT dq.monitor('mon_events', 'freshness',
				  options => '{"timestamp_column": "created_at", "schedule": null}') AS fresh_id \gset
SELECT pg_stat_force_next_flush();
SELECT seq_scan AS seq_before FROM pg_stat_user_tables WHERE relname = 'mon_events' \gset
SELECT dq.run_monitor(:fresh_id);
SELECT pg_stat_force_next_flush();
SELECT seq_scan - :seq_before AS seq_scans FROM pg_stat_user_tables WHERE relname = 'mon_events';
SELECT metric, value > 3600 * 24 * 300 AS days_old FROM dq.metric_points
 WHERE source = 'monitor' AND source_id = :fresh_id;
-- freshness from the statistics counters: the first poll records nothing
SELECT dq.monitor('mon_feed', 'freshness', options => '{"schedule": null}') AS fresh2_id \gset
SELECT dq.run_monitor(:fresh2_id);
SELECT dq.run_monitor(:fresh2_id);
SELECT state ->> 'source' AS source, count(h.*) AS points
  FROM dq.monitor_definitions m
  LEFT JOIN dq.metric_points h ON h.source = 'monitor' AND h.source_id = m.monitor_id
 WHERE m.monitor_id = :fresh2_id GROUP BY 1;

-- The monitors view
SELECT table_name, kind, column_name, schedule, enabled, status, open_anomalies,
	   last_run_at IS NOT NULL AS ran, last_error
  FROM dq.monitors ORDER BY monitor_id;

-- Verdicts: expected returns the point to training, confirmed keeps it out
SELECT anomaly_id AS mean_anomaly FROM dq.anomalies
 WHERE monitor_id = :col_id AND metric = 'mean' \gset
SELECT dq.mark_anomaly(:mean_anomaly, 'expected');
SELECT state, marked_by = current_user AS by_me, marked_at IS NOT NULL AS at
  FROM dq.anomalies WHERE anomaly_id = :mean_anomaly;
SELECT dq.mark_anomaly(:mean_anomaly, 'confirmed');
SELECT dq.mark_anomaly(:mean_anomaly, 'open');
SELECT state FROM dq.anomalies WHERE anomaly_id = :mean_anomaly;

-- Alerts: every anomaly of severity warn or error raised one, one per
-- monitor and metric (the outbox deduplicates later anomalies of it).  The
-- column monitor's alerts are resolved already: it judged the buckets after
-- the 25th normal.
SELECT m.kind, substr(a.source_key, length('monitor:' || m.monitor_id || ':') + 1) AS metric,
	   a.source, a.severity, a.state, a.resolution, a.occurrences, a.table_name, a.column_name,
	   a.body ->> 'anomaly_id' = n.anomaly_id::text AS names_anomaly
  FROM dq.alerts a
  JOIN dq.anomalies n ON a.source_key = dq.anomaly_alert_key(n.monitor_id, n.metric)
  JOIN dq.monitor_definitions m ON m.monitor_id = n.monitor_id
 WHERE a.source IN ('anomaly', 'schema_change')
 ORDER BY m.monitor_id, metric, n.bucket;
SELECT count(*) AS anomalies_without_alert FROM dq.anomalies n
 WHERE n.severity <> 'info' AND NOT EXISTS (
	   SELECT 1 FROM dq.alerts a WHERE a.source_key = dq.anomaly_alert_key(n.monitor_id, n.metric));
-- marking the last open anomaly of a metric expected resolves its alert
SELECT count(dq.mark_anomaly(anomaly_id, 'expected')) AS marked
  FROM dq.anomalies WHERE monitor_id = :dist_id AND metric = 'drift';
SELECT state, resolution FROM dq.alerts WHERE source_key = dq.anomaly_alert_key(:dist_id, 'drift');
SELECT count(dq.mark_anomaly(anomaly_id, 'open')) AS reopened
  FROM dq.anomalies WHERE monitor_id = :dist_id AND metric = 'drift';

-- reset_baseline moves the start of training; NULL means all history
SELECT dq.reset_baseline(:col_id, '2024-01-20 00:00+00');
SELECT baseline_from FROM dq.monitors WHERE monitor_id = :col_id;
SELECT dq.reset_baseline(:col_id, NULL);
SELECT baseline_from FROM dq.monitors WHERE monitor_id = :col_id;

-- Metric history from every profile and every validation (quantiles of
-- dates are strings in a profile, and are left out)
SELECT dq.profile('mon_events', columns => '{amount, status, created_at}') AS profile_run \gset
SELECT attnum, metric, round(value::numeric, 4) AS value FROM dq.metric_points
 WHERE source = 'profile' AND source_id = :profile_run
   AND metric IN ('row_count', 'null_fraction', 'mean', 'distinct_count', 'mean_length', 'pattern_lower')
 ORDER BY attnum, metric;
SELECT dq.expect('mon_events', 'expect_column_values_to_be_between', 'amount',
				 '{"min_value": 0, "max_value": 500}') AS exp_id \gset
SELECT dq.validate('mon_events') AS val_run \gset
SELECT replace(metric, :'exp_id', 'N') AS metric, round(value::numeric, 4) AS value FROM dq.metric_points
 WHERE source = 'validation' AND source_id = :val_run ORDER BY metric;

-- Scheduling: the monitors of one owner and schedule share one job that
-- runs them all in one pass
SELECT dq.monitor('mon_events', 'volume', options => '{"schedule": "10 minutes"}') IS NOT NULL AS ok;
SELECT dq.monitor('mon_feed', 'schema', options => '{"schedule": "10 minutes"}') IS NOT NULL AS ok;
SELECT replace(job_name, current_user, '<me>') AS job_name, schedule, command
  FROM dq.jobs WHERE job_name LIKE 'monitors %' ORDER BY 1;
-- redefining with another schedule moves it to another job
SELECT dq.monitor('mon_events', 'volume', options => '{"schedule": "1 hour"}') IS NOT NULL AS ok;
SELECT replace(job_name, current_user, '<me>') AS job_name FROM dq.jobs
 WHERE job_name LIKE 'monitors %' ORDER BY 1;
-- run_monitors runs every enabled monitor of the current role with that schedule
SELECT dq.run_monitors('1 hour') >= 0 AS ran;
SELECT kind, last_run_at IS NOT NULL AS ran FROM dq.monitors
 WHERE schedule IS NOT NULL ORDER BY kind;
-- removing the last monitor of a job removes the job
SELECT dq.unmonitor('mon_feed', 'schema');
SELECT dq.unmonitor('mon_events', 'volume');
SELECT count(*) AS monitor_jobs FROM dq.jobs WHERE job_name LIKE 'monitors %';

-- A monitor that fails records its error and does not stop the others
CREATE TABLE mon_noindex (ts timestamptz);
CREATE INDEX mon_noindex_ts ON mon_noindex (ts);
SELECT dq.monitor('mon_noindex', 'freshness',
				  options => '{"timestamp_column": "ts", "schedule": "3 hours"}') AS broken_id \gset
SELECT dq.monitor('mon_feed', 'volume', options => '{"schedule": "3 hours"}') IS NOT NULL AS ok;
DROP INDEX mon_noindex_ts;
SET client_min_messages = error;
SELECT dq.run_monitors('3 hours');
RESET client_min_messages;
SELECT kind, last_error FROM dq.monitors WHERE schedule = '3 hours' ORDER BY kind;

-- unmonitor
SELECT dq.unmonitor('mon_noindex');
SELECT dq.unmonitor('mon_events', 'column', 'amount');
SELECT dq.unmonitor('mon_events', 'column', 'amount');
-- anomalies and metric history outlive their monitor
SELECT count(*) > 0 AS kept FROM dq.anomalies WHERE monitor_id IS NULL;
SELECT count(*) > 0 AS kept FROM dq.metric_points WHERE source = 'monitor' AND source_id = :col_id;

-- Bad input: an error with its SQLSTATE, nothing written
SELECT count(*) AS monitors_before FROM dq.monitor_definitions \gset
\set VERBOSITY default
SELECT dq.monitor('mon_events', 'staleness');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.monitor(NULL, 'volume');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.monitor('mon_events', 'column');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.monitor('mon_events', 'volume', 'amount');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.monitor('mon_events', 'column', 'amont');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.monitor('mon_events', 'column', 'status', '{"metrics": ["mean"]}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.monitor('mon_events', 'column', 'status', '{"metrics": ["median"]}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.monitor('mon_events', 'column', 'status', '{"metrics": "mean"}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.monitor('mon_events', 'column', 'amount', '{"watermark": "status"}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.monitor('mon_events', 'column', 'amount', '{"watermark": "nope"}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.monitor('mon_events', 'column', 'amount', '{"bucket": "1 month"}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.monitor('mon_events', 'column', 'amount', '{"sensitivity": -1}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.monitor('mon_events', 'column', 'amount', '{"method": "prophet"}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.monitor('mon_events', 'column', 'amount', '{"ks_threshold": 0.2}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.monitor('mon_events', 'distribution', 'amount', '{"ks_threshold": 2}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.monitor('mon_events', 'distribution', 'amount', '{"reference": "last_week"}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.monitor('mon_events', 'distribution', 'amount', '{"sensitivity": 2}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.monitor('mon_events', 'freshness', options => '{"timestamp_column": "status"}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.monitor('mon_feed', 'freshness', options => '{"source": "timestamp"}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.monitor('mon_feed', 'freshness', options => '{"source": "cdc"}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.monitor('mon_feed', 'volume', options => '{"source": "cdc"}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.monitor('mon_feed', 'volume', options => '{"source": "wal"}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.monitor('mon_feed', 'volume', options => '{"source": "stats", "exact": true}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.monitor('mon_feed', 'volume', options => '{"source": 1}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.monitor('mon_noindex', 'freshness', options => '{"timestamp_column": "ts"}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.monitor('mon_events', 'freshness', options => '{"max_age": "soon"}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.monitor('mon_events', 'volume', options => '{"metric": "rows_inserted", "exact": true}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.monitor('mon_events', 'volume', options => '{"schedule": 5}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.monitor('mon_events', 'volume', options => '{"schedule": "every day"}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.monitor('mon_events', 'schema', options => '{"sensitivity": 3}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.monitor('mon_events', 'volume', options => '[]');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CREATE VIEW mon_view AS SELECT * FROM mon_events;
SELECT dq.monitor('mon_view', 'volume');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.monitor('mon_view', 'freshness');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.monitor('mon_events_pkey', 'schema');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.run_monitor(NULL);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.run_monitor(-1);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.mark_anomaly(-1, 'expected');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.mark_anomaly(:mean_anomaly, 'ignore');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.reset_baseline(-1);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.unmonitor('mon_events', 'sizes');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.monitor_window(-1, now(), now());
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT dq.monitor_window(:dist_id, NULL, now());
\echo SQLSTATE :LAST_ERROR_SQLSTATE
\set VERBOSITY terse
SELECT count(*) - :monitors_before AS monitors_written FROM dq.monitor_definitions;
-- views and foreign tables: exact counts and timestamps do work
SELECT dq.monitor('mon_view', 'volume', options => '{"exact": true, "schedule": null}') IS NOT NULL AS ok;
SELECT dq.monitor('mon_view', 'freshness',
				  options => '{"timestamp_column": "created_at", "allow_scan": true, "schedule": null}') IS NOT NULL AS ok;
SELECT dq.unmonitor('mon_view');
