------------------------------------------------------------------------
-- Report and BI views with the monitors: dq.metric_history shows the
-- monitors' metric points beside the profiles' metrics; dq.table_scorecard
-- has the monitors, freshness from them, open anomalies and open alerts
-- (new columns at the end, as CREATE OR REPLACE VIEW allows)
------------------------------------------------------------------------

CREATE OR REPLACE VIEW dq.metric_history WITH (security_invoker = true) AS
SELECT r.finished_at AS "time",
	   r.run_id,
	   r.relid,
	   coalesce(n.nspname, r.schema_name) AS schema_name,
	   coalesce(c.relname, r.table_name) AS table_name,
	   0::smallint AS attnum,
	   NULL::name AS column_name,
	   m.metric,
	   m.value,
	   NULL::text AS value_text,
	   'profile'::text AS source,
	   NULL::bigint AS monitor_id
  FROM dq.profile_runs r
  LEFT JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) r.relid
  LEFT JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
  CROSS JOIN LATERAL (VALUES
	('row_count', r.rows_scanned::float8),
	('columns_profiled', r.columns_profiled::float8),
	('duration_seconds', pg_catalog.date_part('epoch', r.finished_at OPERATOR(pg_catalog.-) r.started_at))
  ) m(metric, value)
UNION ALL
SELECT r.finished_at,
	   p.run_id,
	   p.relid,
	   coalesce(n.nspname, r.schema_name),
	   coalesce(c.relname, r.table_name),
	   p.attnum,
	   coalesce(a.attname, p.column_name),
	   m.metric,
	   m.value,
	   m.value_text,
	   'profile',
	   NULL
  FROM dq.column_profiles p
  JOIN dq.profile_runs r ON r.run_id OPERATOR(pg_catalog.=) p.run_id
  LEFT JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) p.relid
  LEFT JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
  LEFT JOIN pg_catalog.pg_attribute a
	ON a.attrelid OPERATOR(pg_catalog.=) p.relid AND a.attnum OPERATOR(pg_catalog.=) p.attnum
	   AND NOT a.attisdropped
  CROSS JOIN LATERAL (VALUES
	('null_count', p.null_count::float8, NULL::text),
	('null_fraction', p.null_fraction, NULL),
	('distinct_count', p.distinct_count::float8, NULL),
	('distinct_fraction', p.distinct_count::float8 OPERATOR(pg_catalog./)
		nullif(p.row_count OPERATOR(pg_catalog.-) p.null_count, 0), NULL),
	('min', dq.metric_number(p.min_value, p.type_family), p.min_value),
	('max', dq.metric_number(p.max_value, p.type_family), p.max_value),
	('p01', dq.metric_number(p.quantiles OPERATOR(pg_catalog.->>) 'p01', p.type_family), p.quantiles OPERATOR(pg_catalog.->>) 'p01'),
	('p05', dq.metric_number(p.quantiles OPERATOR(pg_catalog.->>) 'p05', p.type_family), p.quantiles OPERATOR(pg_catalog.->>) 'p05'),
	('p25', dq.metric_number(p.quantiles OPERATOR(pg_catalog.->>) 'p25', p.type_family), p.quantiles OPERATOR(pg_catalog.->>) 'p25'),
	('median', dq.metric_number(p.quantiles OPERATOR(pg_catalog.->>) 'p50', p.type_family), p.quantiles OPERATOR(pg_catalog.->>) 'p50'),
	('p75', dq.metric_number(p.quantiles OPERATOR(pg_catalog.->>) 'p75', p.type_family), p.quantiles OPERATOR(pg_catalog.->>) 'p75'),
	('p95', dq.metric_number(p.quantiles OPERATOR(pg_catalog.->>) 'p95', p.type_family), p.quantiles OPERATOR(pg_catalog.->>) 'p95'),
	('p99', dq.metric_number(p.quantiles OPERATOR(pg_catalog.->>) 'p99', p.type_family), p.quantiles OPERATOR(pg_catalog.->>) 'p99'),
	('mean', p.mean, NULL),
	('stddev', p.stddev, NULL),
	('sum', dq.metric_number(p.sum::text, 'numeric'), NULL),
	('zero_count', p.zero_count::float8, NULL),
	('negative_count', p.negative_count::float8, NULL),
	('nan_count', p.nan_count::float8, NULL),
	('infinity_count', p.infinity_count::float8, NULL),
	('min_length', p.min_length::float8, NULL),
	('mean_length', p.mean_length, NULL),
	('max_length', p.max_length::float8, NULL),
	('empty_count', p.empty_count::float8, NULL),
	('true_count', p.true_count::float8, NULL),
	('false_count', p.false_count::float8, NULL)
  ) m(metric, value, value_text)
 WHERE m.value IS NOT NULL OR m.value_text IS NOT NULL
UNION ALL
-- The points the monitors measured (dq.metric_points): freshness, volume,
-- column metrics and drift distances per bucket or poll.
SELECT mp.bucket,
	   NULL,
	   mp.relid::pg_catalog.regclass,
	   n.nspname,
	   c.relname,
	   mp.attnum,
	   coalesce(a.attname, mp.column_name),
	   mp.metric,
	   mp.value,
	   NULL,
	   'monitor',
	   mp.source_id
  FROM dq.metric_points mp
  LEFT JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) mp.relid
  LEFT JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
  LEFT JOIN pg_catalog.pg_attribute a
	ON a.attrelid OPERATOR(pg_catalog.=) mp.relid AND a.attnum OPERATOR(pg_catalog.=) mp.attnum
	   AND mp.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
 WHERE mp.source OPERATOR(pg_catalog.=) 'monitor';
COMMENT ON VIEW dq.metric_history IS 'Profile and monitor metrics over time in long form (one row per time, table, column and metric) for time-series charts: table-level metrics have attnum 0 and no column; source tells profile runs from monitors';
COMMENT ON COLUMN dq.metric_history."time" IS 'When the profile run finished, or the start of the monitor''s bucket or the time of its poll (the time axis of charts)';
COMMENT ON COLUMN dq.metric_history.run_id IS 'Profile run (dq.profile_runs); NULL for a monitor''s point';
COMMENT ON COLUMN dq.metric_history.relid IS 'OID of the profiled or monitored table';
COMMENT ON COLUMN dq.metric_history.schema_name IS 'Schema of the table';
COMMENT ON COLUMN dq.metric_history.table_name IS 'Table';
COMMENT ON COLUMN dq.metric_history.attnum IS 'Column number; 0 for a metric of the whole table';
COMMENT ON COLUMN dq.metric_history.column_name IS 'Column; NULL for a metric of the whole table';
COMMENT ON COLUMN dq.metric_history.value IS 'Value as a number (dates and timestamps as seconds since 1970-01-01 UTC); NULL when the metric is not a number, such as the min of a text column';
COMMENT ON COLUMN dq.metric_history.metric IS 'Metric: from profiles, table level row_count, columns_profiled, duration_seconds; column level null_count, null_fraction, distinct_count, distinct_fraction, min, max, p01, p05, p25, median, p75, p95, p99, mean, stddev, sum, zero_count, negative_count, nan_count, infinity_count, min_length, mean_length, max_length, empty_count, true_count, false_count; from monitors, the metric of the monitor (age_seconds, rows_inserted, null_fraction, p50, ks_distance, ...: see dq.metric_points)';
COMMENT ON COLUMN dq.metric_history.value_text IS 'Value as text, for min, max and the percentiles (the only form for non-numeric types); NULL for counts and fractions';
COMMENT ON COLUMN dq.metric_history.source IS 'profile (a dq.profile run) or monitor (a point a monitor measured, dq.metric_points)';
COMMENT ON COLUMN dq.metric_history.monitor_id IS 'The monitor that measured the point (dq.monitors); NULL for profile metrics';

CREATE OR REPLACE VIEW dq.table_scorecard WITH (security_invoker = true) AS
WITH rels AS (
	SELECT r.relid FROM dq.profile_runs r
	UNION SELECT e.relid FROM dq.expectations e
	UNION SELECT v.relid FROM dq.validation_runs v
	UNION SELECT w.relid FROM dq.watched_tables w
	UNION SELECT v.relid FROM dq.violations v
	UNION SELECT l.source_relid FROM dq.lineage_edges l WHERE NOT l.dropped
	UNION SELECT l.target_relid FROM dq.lineage_edges l WHERE NOT l.dropped
	UNION SELECT m.relid FROM dq.monitor_definitions m
), t AS (
	SELECT c.oid AS relid, n.nspname AS schema_name, c.relname AS table_name, c.relkind,
		   lp.run_id AS profile_run_id, lp.finished_at AS last_profiled_at,
		   lp.rows_scanned AS row_count, lp.columns_profiled,
		   lv.run_id AS validation_run_id, lv.finished_at AS last_validated_at,
		   lv.evaluated, lv.succeeded, lv.failed,
		   (SELECT pg_catalog.count(*) FROM dq.expectations e
			 WHERE e.relid OPERATOR(pg_catalog.=) c.oid AND e.enabled) AS expectations,
		   (SELECT pg_catalog.count(*) FROM dq.violations v
			 WHERE v.relid OPERATOR(pg_catalog.=) c.oid
			   AND v.commit_time OPERATOR(pg_catalog.>)
				   (pg_catalog.now() OPERATOR(pg_catalog.-) '24 hours'::interval)) AS violations_24h,
		   (SELECT pg_catalog.max(v.commit_time) FROM dq.violations v
			 WHERE v.relid OPERATOR(pg_catalog.=) c.oid) AS last_violation_at,
		   EXISTS (SELECT 1 FROM dq.watched_tables w WHERE w.relid OPERATOR(pg_catalog.=) c.oid) AS watched,
		   (SELECT pg_catalog.to_timestamp(pg_catalog.max(dq.metric_number(p.max_value, 'datetime')))
			  FROM dq.column_profiles p
			 WHERE p.run_id OPERATOR(pg_catalog.=) lp.run_id AND p.type_family OPERATOR(pg_catalog.=) 'datetime') AS data_latest_at,
		   (SELECT pg_catalog.count(DISTINCT l.source_relid) FROM dq.lineage_edges l
			 WHERE l.target_relid OPERATOR(pg_catalog.=) c.oid AND NOT l.dropped
			   AND l.source_relid OPERATOR(pg_catalog.<>) c.oid) AS upstream_relations,
		   (SELECT pg_catalog.count(DISTINCT l.target_relid) FROM dq.lineage_edges l
			 WHERE l.source_relid OPERATOR(pg_catalog.=) c.oid AND NOT l.dropped
			   AND l.target_relid OPERATOR(pg_catalog.<>) c.oid) AS downstream_relations,
		   (SELECT pg_catalog.count(*) FROM dq.monitor_definitions m
			 WHERE m.relid OPERATOR(pg_catalog.=) c.oid AND m.enabled) AS monitors,
		   (SELECT p.bucket OPERATOR(pg_catalog.-)
				   pg_catalog.make_interval(secs => p.value)
			  FROM dq.metric_points p
			  JOIN dq.monitor_definitions m ON m.monitor_id OPERATOR(pg_catalog.=) p.source_id
			 WHERE p.relid OPERATOR(pg_catalog.=) c.oid AND p.attnum OPERATOR(pg_catalog.=) 0
			   AND p.source OPERATOR(pg_catalog.=) 'monitor'
			   AND p.metric OPERATOR(pg_catalog.=) 'age_seconds'
			   AND m.kind OPERATOR(pg_catalog.=) 'freshness'
			 ORDER BY p.bucket DESC LIMIT 1) AS changed_at,
		   (SELECT pg_catalog.count(*) FROM dq.anomalies a
			 WHERE a.relid OPERATOR(pg_catalog.=) c.oid
			   AND a.state OPERATOR(pg_catalog.=) 'open') AS open_anomalies,
		   (SELECT pg_catalog.count(*) FROM dq.alerts al
			 WHERE al.relid OPERATOR(pg_catalog.=) c.oid
			   AND al.state OPERATOR(pg_catalog.<>) 'resolved') AS open_alerts
	  FROM rels
	  JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) rels.relid
	  JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
	  LEFT JOIN LATERAL (SELECT r.* FROM dq.profile_runs r WHERE r.relid OPERATOR(pg_catalog.=) c.oid
						  ORDER BY r.run_id DESC LIMIT 1) lp ON true
	  LEFT JOIN LATERAL (SELECT r.* FROM dq.validation_runs r WHERE r.relid OPERATOR(pg_catalog.=) c.oid
						  ORDER BY r.run_id DESC LIMIT 1) lv ON true
)
SELECT t.relid,
	   t.schema_name,
	   t.table_name,
	   CASE t.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'partitioned table' WHEN 'v' THEN 'view'
			WHEN 'm' THEN 'materialized view' WHEN 'f' THEN 'foreign table' ELSE 'other' END AS kind,
	   CASE WHEN t.failed OPERATOR(pg_catalog.>) 0 THEN 'failing'
			WHEN t.violations_24h OPERATOR(pg_catalog.>) 0 THEN 'violations'
			WHEN t.open_anomalies OPERATOR(pg_catalog.>) 0 THEN 'anomalous'
			WHEN t.validation_run_id IS NOT NULL THEN 'passing'
			WHEN t.profile_run_id IS NOT NULL THEN 'profiled'
			WHEN t.monitors OPERATOR(pg_catalog.>) 0 THEN 'monitored'
			ELSE 'unchecked' END AS status,
	   t.row_count,
	   t.columns_profiled,
	   t.last_profiled_at,
	   t.expectations,
	   t.last_validated_at,
	   t.evaluated,
	   t.failed AS open_failures,
	   100.0::float8 OPERATOR(pg_catalog.*) t.succeeded OPERATOR(pg_catalog./)
		 nullif(t.evaluated, 0)::float8 AS last_success_percent,
	   t.watched,
	   t.violations_24h,
	   t.last_violation_at,
	   t.data_latest_at,
	   pg_catalog.date_part('epoch', pg_catalog.now() OPERATOR(pg_catalog.-) t.data_latest_at) AS data_age_seconds,
	   pg_catalog.date_part('epoch', pg_catalog.now() OPERATOR(pg_catalog.-)
			GREATEST(t.last_profiled_at, t.last_validated_at)) AS check_age_seconds,
	   t.upstream_relations,
	   t.downstream_relations,
	   t.monitors,
	   t.changed_at,
	   pg_catalog.date_part('epoch', pg_catalog.now() OPERATOR(pg_catalog.-) t.changed_at) AS change_age_seconds,
	   t.open_anomalies,
	   t.open_alerts
  FROM t;
COMMENT ON VIEW dq.table_scorecard IS 'One row per table, view or materialized view that dq_lineage knows of (profiled, with expectations, validated, watched, monitored or in the lineage graph): its status, size, last checks, open failures, recent violations, freshness, monitors, open anomalies and alerts, and lineage';
COMMENT ON COLUMN dq.table_scorecard.relid IS 'OID of the relation';
COMMENT ON COLUMN dq.table_scorecard.schema_name IS 'Schema';
COMMENT ON COLUMN dq.table_scorecard.table_name IS 'Relation name';
COMMENT ON COLUMN dq.table_scorecard.kind IS 'table, partitioned table, view, materialized view, foreign table or other';
COMMENT ON COLUMN dq.table_scorecard.status IS 'failing (the last validation has failed expectations), violations (changes broke expectations in the last 24 hours), anomalous (a monitor found an anomaly nobody marked yet), passing, profiled (no validation yet), monitored (no profile or validation yet) or unchecked (only in the lineage graph)';
COMMENT ON COLUMN dq.table_scorecard.row_count IS 'Rows at the last profile';
COMMENT ON COLUMN dq.table_scorecard.columns_profiled IS 'Columns in the last profile';
COMMENT ON COLUMN dq.table_scorecard.last_profiled_at IS 'When it was last profiled';
COMMENT ON COLUMN dq.table_scorecard.expectations IS 'Enabled expectations';
COMMENT ON COLUMN dq.table_scorecard.last_validated_at IS 'When it was last validated';
COMMENT ON COLUMN dq.table_scorecard.evaluated IS 'Expectations evaluated by the last validation';
COMMENT ON COLUMN dq.table_scorecard.open_failures IS 'Expectations that failed in the last validation';
COMMENT ON COLUMN dq.table_scorecard.last_success_percent IS 'Pass rate of the last validation, 0 to 100';
COMMENT ON COLUMN dq.table_scorecard.watched IS 'Whether every committed change is validated (dq.watch)';
COMMENT ON COLUMN dq.table_scorecard.violations_24h IS 'Violations committed in the last 24 hours';
COMMENT ON COLUMN dq.table_scorecard.last_violation_at IS 'Commit time of the latest violation';
COMMENT ON COLUMN dq.table_scorecard.data_latest_at IS 'Freshness: the latest date or timestamp value of any date/time column in the last profile';
COMMENT ON COLUMN dq.table_scorecard.data_age_seconds IS 'Seconds from data_latest_at to now (how stale the data looks)';
COMMENT ON COLUMN dq.table_scorecard.check_age_seconds IS 'Seconds since the last profile or validation (how stale the checks are)';
COMMENT ON COLUMN dq.table_scorecard.upstream_relations IS 'Relations it is derived from directly (lineage)';
COMMENT ON COLUMN dq.table_scorecard.downstream_relations IS 'Relations derived from it directly (lineage)';
COMMENT ON COLUMN dq.table_scorecard.monitors IS 'Enabled monitors of the relation (dq.monitors)';
COMMENT ON COLUMN dq.table_scorecard.changed_at IS 'Freshness from its freshness monitor: when the relation last changed, as of the monitor''s last poll; NULL without a freshness monitor';
COMMENT ON COLUMN dq.table_scorecard.change_age_seconds IS 'Seconds from changed_at to now (how long nothing was written)';
COMMENT ON COLUMN dq.table_scorecard.open_anomalies IS 'Anomalies its monitors found that nobody marked expected or confirmed yet (dq.anomalies, state open)';
COMMENT ON COLUMN dq.table_scorecard.open_alerts IS 'Alerts about the relation that are not resolved (dq.alerts, state open or acknowledged)';
