------------------------------------------------------------------------
-- Report and BI views with the monitors: dq.metric_history shows the
-- monitors' metric points beside the profiles' metrics
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
