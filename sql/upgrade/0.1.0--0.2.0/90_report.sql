------------------------------------------------------------------------
-- Report and BI (see sql/install/90_report.sql, of which the part after
-- the two lineage functions below is a copy)
------------------------------------------------------------------------

-- dq.lineage_dot draws a compact left-to-right graph; dq.openlineage_events
-- also returns the data-quality events of profile and validation runs.
CREATE OR REPLACE FUNCTION dq.lineage_dot(rel regclass DEFAULT NULL) RETURNS text
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
	WITH near AS (
		-- the relations upstream and downstream of rel
		SELECT rel::oid AS relid
		UNION SELECT c.oid FROM dq.upstream(rel) u
				JOIN pg_class c ON c.relname = u.source_table
				JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = u.source_schema
		UNION SELECT c.oid FROM dq.downstream(rel) d
				JOIN pg_class c ON c.relname = d.target_table
				JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = d.target_schema
	), e AS (
		SELECT l.*, quote_ident(l.source_schema) || '.' || quote_ident(l.source_table) AS src,
			   quote_ident(l.target_schema) || '.' || quote_ident(l.target_table) AS tgt
		  FROM dq.column_lineage l
		 WHERE NOT l.dropped
		   AND (rel IS NULL OR (l.source_relid IN (SELECT relid FROM near)
								AND l.target_relid IN (SELECT relid FROM near)))
	), cols AS (
		SELECT src AS node, source_column AS col, source_attnum AS attnum FROM e
		UNION SELECT tgt, target_column, target_attnum FROM e
	), nodes AS (
		-- one HTML-like table per relation: its name, then a row per column
		SELECT node,
			   string_agg(format('<tr><td port="c%s" align="left">%s</td></tr>', attnum,
								 replace(replace(replace(replace(col, '&', '&amp;'), '<', '&lt;'),
														 '>', '&gt;'), '"', '&quot;')),
						  '' ORDER BY attnum) FILTER (WHERE attnum > 0) AS rows
		  FROM cols GROUP BY node
	), edges AS (
		-- one arrow per column pair and lineage type; how it flows in the tooltip
		SELECT src, source_attnum, tgt, target_attnum, lineage_type, bool_or(masking) AS masking,
			   string_agg(DISTINCT lower(subtype) || CASE WHEN masking THEN ' (masking)' ELSE '' END,
						  ', ') AS how
		  FROM e GROUP BY src, source_attnum, tgt, target_attnum, lineage_type
	)
	SELECT E'digraph lineage {\n'
		|| E'  graph [rankdir=LR, nodesep=0.15, ranksep=0.6, fontname="Helvetica"];\n'
		|| E'  node [shape=plain, fontname="Helvetica", fontsize=10];\n'
		|| E'  edge [arrowsize=0.6, penwidth=0.9, color="#34495e"];\n'
		|| COALESCE((SELECT string_agg(format(E'  "%s" [label=<<table border="0" cellborder="1" cellspacing="0" cellpadding="2"><tr><td port="c0" bgcolor="#dfe7ef"><b>%s</b></td></tr>%s</table>>];\n',
											  replace(replace(node, '\', '\\'), '"', '\"'),
											  replace(replace(replace(replace(node, '&', '&amp;'), '<', '&lt;'),
																	  '>', '&gt;'), '"', '&quot;'),
											  COALESCE(rows, '')), '' ORDER BY node)
					   FROM nodes), '')
		|| COALESCE((SELECT string_agg(format(E'  "%s":c%s:e -> "%s":c%s:w [style=%s, tooltip="%s"%s];\n',
											  replace(replace(src, '\', '\\'), '"', '\"'), source_attnum,
											  replace(replace(tgt, '\', '\\'), '"', '\"'), target_attnum,
											  CASE lineage_type WHEN 'DIRECT' THEN 'solid' ELSE 'dashed' END,
											  lineage_type || ': ' || how,
											  CASE WHEN masking THEN ', color="#8e44ad"' ELSE '' END),
									   '' ORDER BY src, source_attnum, tgt, target_attnum, lineage_type)
					   FROM edges), '')
		|| E'}\n'
$$;
COMMENT ON FUNCTION dq.lineage_dot(regclass) IS
	'The lineage graph (of one relation''s upstream and downstream, or of everything) in Graphviz DOT, laid out left to right: a relation is a table of its columns, edges go from a column''s right side to a column''s left side (the relation''s header for whole-relation edges), DIRECT solid, INDIRECT dashed, masking ones purple, how in the tooltip; render with dot -Tsvg';

CREATE OR REPLACE FUNCTION dq.openlineage_events(since timestamptz DEFAULT '-infinity', legacy boolean DEFAULT false)
	RETURNS SETOF jsonb
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
	WITH targets AS (
		SELECT l.target_relid, min(l.target_schema) AS target_schema, min(l.target_table) AS target_table,
			   max(l.last_seen) AS event_time, min(l.origin) AS origin
		  FROM dq.column_lineage l
		 WHERE NOT l.dropped AND l.last_seen >= since
		 GROUP BY l.target_relid
	)
	SELECT x.ev FROM (
	SELECT jsonb_build_object(
		'eventType', 'COMPLETE',
		'eventTime', to_char(t.event_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
		'run', jsonb_build_object('runId', gen_random_uuid()),
		'job', jsonb_build_object('namespace', dq.openlineage_namespace(),
								  'name', 'dq_lineage.' || dq.openlineage_dataset_name(t.target_schema, t.target_table)),
		'inputs', (SELECT COALESCE(jsonb_agg(jsonb_build_object(
							'namespace', dq.openlineage_namespace(),
							'name', dq.openlineage_dataset_name(s.source_schema, s.source_table),
							'facets', jsonb_build_object('schema', dq.openlineage_schema_facet(s.source_relid))
									  || dq_internal.openlineage_tags_facets(s.source_relid))
						  ORDER BY s.source_schema, s.source_table), '[]')
					 FROM (SELECT DISTINCT l.source_relid, l.source_schema, l.source_table
							 FROM dq.column_lineage l
							WHERE l.target_relid = t.target_relid AND NOT l.dropped) s),
		'outputs', jsonb_build_array(jsonb_build_object(
						'namespace', dq.openlineage_namespace(),
						'name', dq.openlineage_dataset_name(t.target_schema, t.target_table),
						'facets', jsonb_build_object(
							'schema', dq.openlineage_schema_facet(t.target_relid),
							'columnLineage', dq.openlineage_facet(t.target_relid, legacy))
								  || dq_internal.openlineage_tags_facets(t.target_relid))),
		'producer', 'https://github.com/dq-lineage/dq_lineage',
		'schemaURL', 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent') AS ev,
		   0 AS k, t.target_schema::text AS k1, t.target_table::text AS k2, 0::bigint AS k3
	  FROM targets t
	UNION ALL
	SELECT c.ev, 1, c.ev -> 'job' ->> 'name', '', 0
	  FROM dq.openlineage_copy_events(since, legacy) AS c(ev)
	UNION ALL
	-- the data-quality facets of profile and validation runs (90_report.sql)
	SELECT q.event, 2, '', '', q.n
	  FROM dq.openlineage_quality_events(since) WITH ORDINALITY AS q(event, n)
	) x
	 ORDER BY x.k, x.k1, x.k2, x.k3
$$;
COMMENT ON FUNCTION dq.openlineage_events(timestamptz, boolean) IS
	'OpenLineage RunEvents (COMPLETE): one per target relation with edges seen since a time, with schema and column-lineage facets (legacy => true for the form Marquez reads), then one per COPY run (dq.openlineage_copy_events), then one per profile or validation run finished since then, with the dataQualityMetrics or dataQualityAssertions facet';

------------------------------------------------------------------------
-- Report and BI: chart-ready views, the lineage graph for graph panels,
-- OpenLineage data-quality facets, the HTML report, the dq_reader role
------------------------------------------------------------------------

CREATE FUNCTION dq.metric_number(value text, type_family text) RETURNS float8
	AS 'MODULE_PATHNAME', 'dq_metric_number'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dq.metric_number(text, text) IS
	'The number a profile value stands for: the value for the numeric family, seconds since 1970-01-01 00:00 UTC for an ISO date or timestamp (datetime family), NULL otherwise (other families, NaN, infinities, text in another form); never raises an error';

-- Profile history, one row per column and run, with numbers beside the
-- text of min, max and quantiles.
CREATE VIEW dq.profile_history WITH (security_invoker = true) AS
SELECT r.finished_at AS "time",
	   p.run_id,
	   p.run_id OPERATOR(pg_catalog.=) (SELECT pg_catalog.max(x.run_id) FROM dq.column_profiles x
							WHERE x.relid OPERATOR(pg_catalog.=) p.relid
							  AND x.attnum OPERATOR(pg_catalog.=) p.attnum) AS is_latest,
	   p.relid,
	   coalesce(n.nspname, r.schema_name) AS schema_name,
	   coalesce(c.relname, r.table_name) AS table_name,
	   p.attnum,
	   coalesce(a.attname, p.column_name) AS column_name,
	   p.data_type,
	   p.type_family,
	   p.row_count,
	   p.null_count,
	   p.null_fraction,
	   p.distinct_count,
	   p.distinct_count::float8 OPERATOR(pg_catalog./)
		 nullif(p.row_count OPERATOR(pg_catalog.-) p.null_count, 0) AS distinct_fraction,
	   p.min_value,
	   p.max_value,
	   p.quantiles OPERATOR(pg_catalog.->>) 'p50' AS median,
	   dq.metric_number(p.min_value, p.type_family) AS min_number,
	   dq.metric_number(p.max_value, p.type_family) AS max_number,
	   dq.metric_number(p.quantiles OPERATOR(pg_catalog.->>) 'p05', p.type_family) AS p05_number,
	   dq.metric_number(p.quantiles OPERATOR(pg_catalog.->>) 'p25', p.type_family) AS p25_number,
	   dq.metric_number(p.quantiles OPERATOR(pg_catalog.->>) 'p50', p.type_family) AS median_number,
	   dq.metric_number(p.quantiles OPERATOR(pg_catalog.->>) 'p75', p.type_family) AS p75_number,
	   dq.metric_number(p.quantiles OPERATOR(pg_catalog.->>) 'p95', p.type_family) AS p95_number,
	   p.mean,
	   p.stddev,
	   dq.metric_number(p.sum::text, 'numeric') AS sum_number,
	   p.zero_count,
	   p.negative_count,
	   p.nan_count,
	   p.infinity_count,
	   p.min_length,
	   p.mean_length,
	   p.max_length,
	   p.empty_count,
	   p.true_count,
	   p.false_count,
	   r.sampled,
	   r.sample_percent
  FROM dq.column_profiles p
  JOIN dq.profile_runs r ON r.run_id OPERATOR(pg_catalog.=) p.run_id
  LEFT JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) p.relid
  LEFT JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
  LEFT JOIN pg_catalog.pg_attribute a
	ON a.attrelid OPERATOR(pg_catalog.=) p.relid AND a.attnum OPERATOR(pg_catalog.=) p.attnum
	   AND NOT a.attisdropped;
COMMENT ON VIEW dq.profile_history IS 'Every profile of every column over time, one row per column and profile run, with numeric columns beside the text of min, max and quantiles; filter on is_latest for the newest profile';
COMMENT ON COLUMN dq.profile_history."time" IS 'When the profile run finished (the time axis of charts)';
COMMENT ON COLUMN dq.profile_history.run_id IS 'Profile run (dq.profile_runs)';
COMMENT ON COLUMN dq.profile_history.is_latest IS 'True for the newest profile of the column';
COMMENT ON COLUMN dq.profile_history.relid IS 'OID of the profiled table';
COMMENT ON COLUMN dq.profile_history.schema_name IS 'Schema of the table (current name; the name at the time of the run once dropped)';
COMMENT ON COLUMN dq.profile_history.table_name IS 'Table (current name; the name at the time of the run once dropped)';
COMMENT ON COLUMN dq.profile_history.attnum IS 'Column number';
COMMENT ON COLUMN dq.profile_history.column_name IS 'Column (current name)';
COMMENT ON COLUMN dq.profile_history.data_type IS 'Column type at the time of the run';
COMMENT ON COLUMN dq.profile_history.type_family IS 'Metric family: numeric, text, datetime, boolean or other';
COMMENT ON COLUMN dq.profile_history.row_count IS 'Rows scanned';
COMMENT ON COLUMN dq.profile_history.null_count IS 'Rows where the column is NULL';
COMMENT ON COLUMN dq.profile_history.null_fraction IS 'Share of rows that are NULL, 0 to 1';
COMMENT ON COLUMN dq.profile_history.distinct_count IS 'Distinct non-NULL values (estimate above 1024 unless the run was exact)';
COMMENT ON COLUMN dq.profile_history.distinct_fraction IS 'Distinct values per non-NULL value, 0 to 1 (1: every value unique)';
COMMENT ON COLUMN dq.profile_history.min_value IS 'Smallest value, as text (any type)';
COMMENT ON COLUMN dq.profile_history.max_value IS 'Largest value, as text (any type)';
COMMENT ON COLUMN dq.profile_history.median IS 'Approximate median, as text (numeric and date/time columns)';
COMMENT ON COLUMN dq.profile_history.min_number IS 'Smallest value as a number: the value (numeric columns) or seconds since 1970-01-01 UTC (date/time columns); NULL for other types';
COMMENT ON COLUMN dq.profile_history.max_number IS 'Largest value as a number (see min_number)';
COMMENT ON COLUMN dq.profile_history.p05_number IS '5th percentile as a number (see min_number)';
COMMENT ON COLUMN dq.profile_history.p25_number IS '25th percentile (first quartile) as a number';
COMMENT ON COLUMN dq.profile_history.median_number IS 'Median as a number';
COMMENT ON COLUMN dq.profile_history.p75_number IS '75th percentile (third quartile) as a number';
COMMENT ON COLUMN dq.profile_history.p95_number IS '95th percentile as a number';
COMMENT ON COLUMN dq.profile_history.mean IS 'Mean of the finite values (numeric columns)';
COMMENT ON COLUMN dq.profile_history.stddev IS 'Sample standard deviation of the finite values (numeric columns)';
COMMENT ON COLUMN dq.profile_history.sum_number IS 'Sum of the finite values as a float (numeric columns)';
COMMENT ON COLUMN dq.profile_history.zero_count IS 'Values equal to zero (numeric columns)';
COMMENT ON COLUMN dq.profile_history.negative_count IS 'Values below zero (numeric columns)';
COMMENT ON COLUMN dq.profile_history.nan_count IS 'NaN values (float and numeric columns)';
COMMENT ON COLUMN dq.profile_history.infinity_count IS 'Infinite values (float, numeric, date and timestamp columns)';
COMMENT ON COLUMN dq.profile_history.min_length IS 'Shortest value in characters (text columns)';
COMMENT ON COLUMN dq.profile_history.mean_length IS 'Mean length in characters (text columns)';
COMMENT ON COLUMN dq.profile_history.max_length IS 'Longest value in characters (text columns)';
COMMENT ON COLUMN dq.profile_history.empty_count IS 'Empty strings (text columns)';
COMMENT ON COLUMN dq.profile_history.true_count IS 'True values (boolean columns)';
COMMENT ON COLUMN dq.profile_history.false_count IS 'False values (boolean columns)';
COMMENT ON COLUMN dq.profile_history.sampled IS 'True when the run read a sample of the table';
COMMENT ON COLUMN dq.profile_history.sample_percent IS 'Percentage of the table read (100 when not sampled)';

-- The same history in long form: one row per metric, value as a number.
CREATE VIEW dq.metric_history WITH (security_invoker = true) AS
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

CREATE VIEW dq.validation_history WITH (security_invoker = true) AS
SELECT r.finished_at AS "time",
	   r.run_id,
	   r.relid,
	   coalesce(n.nspname, r.schema_name) AS schema_name,
	   coalesce(c.relname, r.table_name) AS table_name,
	   r.evaluated,
	   r.succeeded,
	   r.failed,
	   100.0::float8 OPERATOR(pg_catalog.*) r.succeeded OPERATOR(pg_catalog./)
		 nullif(r.evaluated, 0)::float8 AS success_percent,
	   r.rows_scanned,
	   pg_catalog.date_part('epoch', r.finished_at OPERATOR(pg_catalog.-) r.started_at) AS duration_seconds,
	   r.run_by
  FROM dq.validation_runs r
  LEFT JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) r.relid
  LEFT JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace;
COMMENT ON VIEW dq.validation_history IS 'Validation runs over time: expectations evaluated, passed and failed, and the pass rate, one row per run';
COMMENT ON COLUMN dq.validation_history."time" IS 'When the validation run finished (the time axis of charts)';
COMMENT ON COLUMN dq.validation_history.run_id IS 'Validation run (dq.validation_runs)';
COMMENT ON COLUMN dq.validation_history.relid IS 'OID of the validated table';
COMMENT ON COLUMN dq.validation_history.schema_name IS 'Schema of the table';
COMMENT ON COLUMN dq.validation_history.table_name IS 'Table';
COMMENT ON COLUMN dq.validation_history.evaluated IS 'Expectations evaluated';
COMMENT ON COLUMN dq.validation_history.succeeded IS 'Expectations that passed';
COMMENT ON COLUMN dq.validation_history.failed IS 'Expectations that failed';
COMMENT ON COLUMN dq.validation_history.success_percent IS 'Pass rate: succeeded / evaluated * 100 (0 to 100)';
COMMENT ON COLUMN dq.validation_history.rows_scanned IS 'Rows read by the validation';
COMMENT ON COLUMN dq.validation_history.duration_seconds IS 'How long the run took, in seconds';
COMMENT ON COLUMN dq.validation_history.run_by IS 'Role that ran the validation';

CREATE VIEW dq.expectation_history WITH (security_invoker = true) AS
SELECT r.finished_at AS "time",
	   v.run_id,
	   v.expectation_id,
	   e.name,
	   v.relid,
	   coalesce(n.nspname, r.schema_name) AS schema_name,
	   coalesce(c.relname, r.table_name) AS table_name,
	   v.kind,
	   coalesce(a.attname, v.column_name) AS column_name,
	   v.severity,
	   v.success,
	   CASE WHEN v.success THEN 1 ELSE 0 END AS success_value,
	   v.element_count,
	   v.unexpected_count,
	   v.unexpected_percent
  FROM dq.validation_results v
  JOIN dq.validation_runs r ON r.run_id OPERATOR(pg_catalog.=) v.run_id
  LEFT JOIN dq.expectations e ON e.expectation_id OPERATOR(pg_catalog.=) v.expectation_id
  LEFT JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) v.relid
  LEFT JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
  LEFT JOIN pg_catalog.pg_attribute a
	ON a.attrelid OPERATOR(pg_catalog.=) v.relid AND a.attnum OPERATOR(pg_catalog.=) e.attnum
	   AND NOT a.attisdropped;
COMMENT ON VIEW dq.expectation_history IS 'The result of every expectation in every validation run: pass or fail and the share of failing rows, one row per expectation and run';
COMMENT ON COLUMN dq.expectation_history."time" IS 'When the validation run finished (the time axis of charts)';
COMMENT ON COLUMN dq.expectation_history.run_id IS 'Validation run';
COMMENT ON COLUMN dq.expectation_history.expectation_id IS 'Expectation (dq.expectations)';
COMMENT ON COLUMN dq.expectation_history.name IS 'Name given to the expectation, if any';
COMMENT ON COLUMN dq.expectation_history.relid IS 'OID of the table';
COMMENT ON COLUMN dq.expectation_history.schema_name IS 'Schema of the table';
COMMENT ON COLUMN dq.expectation_history.table_name IS 'Table';
COMMENT ON COLUMN dq.expectation_history.kind IS 'Expectation kind, such as expect_column_values_to_not_be_null';
COMMENT ON COLUMN dq.expectation_history.column_name IS 'Column checked (current name); NULL for expectations on several columns';
COMMENT ON COLUMN dq.expectation_history.severity IS 'error or warn';
COMMENT ON COLUMN dq.expectation_history.success IS 'Whether the expectation passed';
COMMENT ON COLUMN dq.expectation_history.success_value IS '1 when it passed, 0 when it failed (to chart or average)';
COMMENT ON COLUMN dq.expectation_history.element_count IS 'Rows considered';
COMMENT ON COLUMN dq.expectation_history.unexpected_count IS 'Rows that failed';
COMMENT ON COLUMN dq.expectation_history.unexpected_percent IS 'Failing rows per 100 non-NULL rows';

CREATE VIEW dq.violations_per_hour WITH (security_invoker = true) AS
SELECT pg_catalog.date_trunc('hour', v.commit_time) AS "time",
	   v.relid,
	   coalesce(n.nspname, pg_catalog.min(v.schema_name)) AS schema_name,
	   coalesce(c.relname, pg_catalog.min(v.table_name)) AS table_name,
	   v.expectation_id,
	   pg_catalog.min(e.kind) AS kind,
	   pg_catalog.min(coalesce(a.attname, e.column_name)) AS column_name,
	   pg_catalog.count(*) AS violations,
	   pg_catalog.avg(pg_catalog.date_part('epoch', v.detected_at OPERATOR(pg_catalog.-) v.commit_time)) AS mean_detection_seconds,
	   pg_catalog.max(pg_catalog.date_part('epoch', v.detected_at OPERATOR(pg_catalog.-) v.commit_time)) AS max_detection_seconds
  FROM dq.violations v
  LEFT JOIN dq.expectations e ON e.expectation_id OPERATOR(pg_catalog.=) v.expectation_id
  LEFT JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) v.relid
  LEFT JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
  LEFT JOIN pg_catalog.pg_attribute a
	ON a.attrelid OPERATOR(pg_catalog.=) e.relid AND a.attnum OPERATOR(pg_catalog.=) e.attnum
	   AND NOT a.attisdropped
 GROUP BY 1, v.relid, n.nspname, c.relname, v.expectation_id;
COMMENT ON VIEW dq.violations_per_hour IS 'Violations found by change validation (dq.watch) per hour of commit, table and expectation; hours without violations have no row';
COMMENT ON COLUMN dq.violations_per_hour."time" IS 'Start of the hour in which the violating transactions committed';
COMMENT ON COLUMN dq.violations_per_hour.relid IS 'OID of the changed table';
COMMENT ON COLUMN dq.violations_per_hour.schema_name IS 'Schema of the table';
COMMENT ON COLUMN dq.violations_per_hour.table_name IS 'Table';
COMMENT ON COLUMN dq.violations_per_hour.expectation_id IS 'Expectation that failed';
COMMENT ON COLUMN dq.violations_per_hour.kind IS 'Its kind';
COMMENT ON COLUMN dq.violations_per_hour.column_name IS 'Its column (current name)';
COMMENT ON COLUMN dq.violations_per_hour.violations IS 'Violating changes committed in the hour';
COMMENT ON COLUMN dq.violations_per_hour.mean_detection_seconds IS 'Mean time from commit to recording, in seconds (the change validation lag)';
COMMENT ON COLUMN dq.violations_per_hour.max_detection_seconds IS 'Longest time from commit to recording, in seconds';

CREATE VIEW dq.cdc_lag_history WITH (security_invoker = true) AS
SELECT pg_catalog.date_trunc('hour', v.detected_at) AS "time",
	   pg_catalog.count(*) AS violations,
	   pg_catalog.avg(pg_catalog.date_part('epoch', v.detected_at OPERATOR(pg_catalog.-) v.commit_time)) AS mean_lag_seconds,
	   pg_catalog.percentile_cont(0.95) WITHIN GROUP (ORDER BY pg_catalog.date_part('epoch', v.detected_at OPERATOR(pg_catalog.-) v.commit_time)) AS p95_lag_seconds,
	   pg_catalog.max(pg_catalog.date_part('epoch', v.detected_at OPERATOR(pg_catalog.-) v.commit_time)) AS max_lag_seconds
  FROM dq.violations v
 GROUP BY 1;
COMMENT ON VIEW dq.cdc_lag_history IS 'Change validation lag over time, measured on every violation found: time from a transaction''s commit to the recording of its violation, per hour of recording (the current lag is in dq.cdc_lag)';
COMMENT ON COLUMN dq.cdc_lag_history."time" IS 'Start of the hour in which the violations were recorded';
COMMENT ON COLUMN dq.cdc_lag_history.violations IS 'Violations recorded in the hour (the sample the lag is measured on)';
COMMENT ON COLUMN dq.cdc_lag_history.mean_lag_seconds IS 'Mean seconds from commit to recording';
COMMENT ON COLUMN dq.cdc_lag_history.p95_lag_seconds IS '95th percentile of the seconds from commit to recording';
COMMENT ON COLUMN dq.cdc_lag_history.max_lag_seconds IS 'Longest seconds from commit to recording';

CREATE VIEW dq.cdc_lag WITH (security_invoker = true) AS
SELECT pg_catalog.now() AS "time",
	   s.slot_name,
	   s.watched_tables,
	   s.worker_pid IS NOT NULL AS worker_running,
	   s.lag_bytes,
	   s.lag_seconds,
	   s.lag_exceeded,
	   s.changes_per_second,
	   s.changes_checked,
	   s.violations_found,
	   s.last_error
  FROM dq.cdc_status s;
COMMENT ON VIEW dq.cdc_lag IS 'The change validation lag of this database now, for a stat panel or an alert rule (one row when tables are watched)';
COMMENT ON COLUMN dq.cdc_lag."time" IS 'Now: when the values were read';
COMMENT ON COLUMN dq.cdc_lag.slot_name IS 'Replication slot read by the change validation worker';
COMMENT ON COLUMN dq.cdc_lag.watched_tables IS 'Tables whose changes are validated';
COMMENT ON COLUMN dq.cdc_lag.worker_running IS 'Whether the worker is running';
COMMENT ON COLUMN dq.cdc_lag.lag_bytes IS 'WAL written since the last validated position, in bytes';
COMMENT ON COLUMN dq.cdc_lag.lag_seconds IS 'Age in seconds of the last validated commit while WAL remains to be validated, else 0';
COMMENT ON COLUMN dq.cdc_lag.lag_exceeded IS 'Whether lag_bytes is above dq_lineage.cdc_max_lag';
COMMENT ON COLUMN dq.cdc_lag.changes_per_second IS 'Changes validated per second over the last minute';
COMMENT ON COLUMN dq.cdc_lag.changes_checked IS 'Changes validated since the worker started on this database';
COMMENT ON COLUMN dq.cdc_lag.violations_found IS 'Violations recorded';
COMMENT ON COLUMN dq.cdc_lag.last_error IS 'Last error of the worker, if any';

CREATE VIEW dq.job_run_history WITH (security_invoker = true) AS
SELECT r.scheduled_at AS "time",
	   r.run_id,
	   r.job_id,
	   j.job_name,
	   j.owner,
	   r.status,
	   CASE r.status WHEN 'succeeded' THEN 1 WHEN 'failed' THEN 0 END AS success_value,
	   pg_catalog.date_part('epoch', r.ended_at OPERATOR(pg_catalog.-) r.started_at) AS duration_seconds,
	   pg_catalog.date_part('epoch', r.started_at OPERATOR(pg_catalog.-) r.scheduled_at) AS start_delay_seconds,
	   r.rows,
	   r.sqlstate,
	   r.message
  FROM dq.job_runs r
  JOIN dq.jobs j ON j.job_id OPERATOR(pg_catalog.=) r.job_id;
COMMENT ON VIEW dq.job_run_history IS 'Scheduled job runs over time with their outcome and duration (jobs of roles whose privileges you have)';
COMMENT ON COLUMN dq.job_run_history."time" IS 'When the run was due (the tick)';
COMMENT ON COLUMN dq.job_run_history.run_id IS 'Job run (dq.job_runs)';
COMMENT ON COLUMN dq.job_run_history.job_id IS 'Job (dq.jobs)';
COMMENT ON COLUMN dq.job_run_history.job_name IS 'Name of the job';
COMMENT ON COLUMN dq.job_run_history.owner IS 'Role the job runs as';
COMMENT ON COLUMN dq.job_run_history.status IS 'succeeded, failed, skipped, starting or running';
COMMENT ON COLUMN dq.job_run_history.success_value IS '1 when the run succeeded, 0 when it failed, NULL otherwise (to chart or average)';
COMMENT ON COLUMN dq.job_run_history.duration_seconds IS 'How long the run took, in seconds (NULL until it ends)';
COMMENT ON COLUMN dq.job_run_history.start_delay_seconds IS 'Seconds between the tick and the start of the run';
COMMENT ON COLUMN dq.job_run_history.rows IS 'Rows processed by the last statement';
COMMENT ON COLUMN dq.job_run_history.sqlstate IS 'SQLSTATE of the error of a failed run';
COMMENT ON COLUMN dq.job_run_history.message IS 'Error of a failed run, or why a tick was skipped';

-- One row per table that dq_lineage knows of: profiled, with expectations,
-- validated, watched or in the lineage graph.
CREATE VIEW dq.table_scorecard WITH (security_invoker = true) AS
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

------------------------------------------------------------------------
-- The lineage graph for graph panels (Grafana's node graph, Superset's
-- graph chart): edges and nodes with ids, at relation and column level
------------------------------------------------------------------------

CREATE FUNCTION dq.lineage_node_id(schema_name name, table_name name, column_name name DEFAULT NULL)
	RETURNS text
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT quote_ident(schema_name) || '.' || quote_ident(table_name)
		   || coalesce('.' || quote_ident(column_name), '')
$$;
COMMENT ON FUNCTION dq.lineage_node_id(name, name, name) IS
	'Node id of a relation (schema.table) or of a column (schema.table.column), identifiers quoted as needed, as dq.lineage_graph_nodes and dq.lineage_graph_edges use them';

CREATE VIEW dq.lineage_graph_edges WITH (security_invoker = true) AS
WITH l AS (
	SELECT dq.lineage_node_id(l.source_schema, l.source_table) AS source_table_id,
		   dq.lineage_node_id(l.target_schema, l.target_table) AS target_table_id,
		   dq.lineage_node_id(l.source_schema, l.source_table, l.source_column) AS source_column_id,
		   dq.lineage_node_id(l.target_schema, l.target_table, l.target_column) AS target_column_id,
		   l.*
	  FROM dq.column_lineage l
	 WHERE NOT l.dropped
)
SELECT 'column' AS level,
	   l.source_column_id OPERATOR(pg_catalog.||) ' -> ' OPERATOR(pg_catalog.||) l.target_column_id
		 OPERATOR(pg_catalog.||) ' ' OPERATOR(pg_catalog.||) l.lineage_type AS id,
	   l.source_column_id AS source,
	   l.target_column_id AS target,
	   l.source_table_id,
	   l.target_table_id,
	   l.lineage_type,
	   pg_catalog.string_agg(DISTINCT pg_catalog.lower(l.subtype), ', ') AS subtypes,
	   pg_catalog.bool_or(l.masking) AS masking,
	   l.lineage_type OPERATOR(pg_catalog.=) 'INDIRECT' AS dashed,
	   pg_catalog.sum(l.occurrences)::bigint AS occurrences,
	   pg_catalog.max(l.last_seen) AS last_seen
  FROM l
 GROUP BY l.source_column_id, l.target_column_id, l.source_table_id, l.target_table_id, l.lineage_type
UNION ALL
SELECT 'table',
	   l.source_table_id OPERATOR(pg_catalog.||) ' -> ' OPERATOR(pg_catalog.||) l.target_table_id,
	   l.source_table_id,
	   l.target_table_id,
	   l.source_table_id,
	   l.target_table_id,
	   CASE WHEN pg_catalog.bool_or(l.lineage_type OPERATOR(pg_catalog.=) 'DIRECT') THEN 'DIRECT' ELSE 'INDIRECT' END,
	   pg_catalog.string_agg(DISTINCT pg_catalog.lower(l.subtype), ', '),
	   pg_catalog.bool_or(l.masking),
	   NOT pg_catalog.bool_or(l.lineage_type OPERATOR(pg_catalog.=) 'DIRECT'),
	   pg_catalog.sum(l.occurrences)::bigint,
	   pg_catalog.max(l.last_seen)
  FROM l
 GROUP BY l.source_table_id, l.target_table_id;
COMMENT ON VIEW dq.lineage_graph_edges IS 'The lineage graph as an edge list for graph panels: level column (column to column, a whole relation as the table node) or table (relation to relation); filter on one level';
COMMENT ON COLUMN dq.lineage_graph_edges.level IS 'column or table: which graph the row belongs to';
COMMENT ON COLUMN dq.lineage_graph_edges.id IS 'Unique id of the edge within its level';
COMMENT ON COLUMN dq.lineage_graph_edges.source IS 'Node id of the source (dq.lineage_graph_nodes.id)';
COMMENT ON COLUMN dq.lineage_graph_edges.target IS 'Node id of the target';
COMMENT ON COLUMN dq.lineage_graph_edges.source_table_id IS 'Node id of the source relation';
COMMENT ON COLUMN dq.lineage_graph_edges.target_table_id IS 'Node id of the target relation';
COMMENT ON COLUMN dq.lineage_graph_edges.lineage_type IS 'DIRECT (values flow) or INDIRECT (the source only filters, joins, groups or orders); a table edge is DIRECT when any of its column edges is';
COMMENT ON COLUMN dq.lineage_graph_edges.subtypes IS 'How: identity, transformation, aggregation, join, filter, group_by, sort, window, conditional (comma-separated)';
COMMENT ON COLUMN dq.lineage_graph_edges.masking IS 'True when a transformation hides the input (hashing, count)';
COMMENT ON COLUMN dq.lineage_graph_edges.dashed IS 'True for INDIRECT edges: draw them dashed';
COMMENT ON COLUMN dq.lineage_graph_edges.occurrences IS 'Times the statements behind the edge ran';
COMMENT ON COLUMN dq.lineage_graph_edges.last_seen IS 'When the edge was last seen';

CREATE VIEW dq.lineage_graph_nodes WITH (security_invoker = true) AS
WITH ends AS (
	SELECT e.level, e.source AS id, e.source_table_id AS table_id FROM dq.lineage_graph_edges e
	UNION
	SELECT e.level, e.target, e.target_table_id FROM dq.lineage_graph_edges e
), rels AS (
	SELECT DISTINCT dq.lineage_node_id(l.source_schema, l.source_table) AS table_id,
		   l.source_schema AS schema_name, l.source_table AS table_name, l.source_relid AS relid
	  FROM dq.column_lineage l WHERE NOT l.dropped
	UNION
	SELECT dq.lineage_node_id(l.target_schema, l.target_table),
		   l.target_schema, l.target_table, l.target_relid
	  FROM dq.column_lineage l WHERE NOT l.dropped
)
SELECT x.level,
	   x.id,
	   CASE WHEN x.id OPERATOR(pg_catalog.=) x.table_id THEN 'table' ELSE 'column' END AS kind,
	   CASE WHEN x.id OPERATOR(pg_catalog.=) x.table_id THEN r.table_name::text
			ELSE pg_catalog.substr(x.id, pg_catalog.length(x.table_id) OPERATOR(pg_catalog.+) 2) END AS title,
	   CASE WHEN x.id OPERATOR(pg_catalog.=) x.table_id THEN r.schema_name::text ELSE x.table_id END AS subtitle,
	   x.table_id,
	   r.relid,
	   r.schema_name,
	   r.table_name
  FROM ends x
  JOIN rels r ON r.table_id OPERATOR(pg_catalog.=) x.table_id;
COMMENT ON VIEW dq.lineage_graph_nodes IS 'The nodes of dq.lineage_graph_edges: relations, and columns at level column; filter on the same level as the edges';
COMMENT ON COLUMN dq.lineage_graph_nodes.level IS 'column or table, as in dq.lineage_graph_edges';
COMMENT ON COLUMN dq.lineage_graph_nodes.id IS 'Node id: schema.table or schema.table.column';
COMMENT ON COLUMN dq.lineage_graph_nodes.kind IS 'table (a relation) or column';
COMMENT ON COLUMN dq.lineage_graph_nodes.title IS 'Label: the relation or column name';
COMMENT ON COLUMN dq.lineage_graph_nodes.subtitle IS 'Second line: the schema of a relation, the relation of a column';
COMMENT ON COLUMN dq.lineage_graph_nodes.table_id IS 'Node id of the relation (the column''s relation, or itself)';
COMMENT ON COLUMN dq.lineage_graph_nodes.relid IS 'OID of the relation';
COMMENT ON COLUMN dq.lineage_graph_nodes.schema_name IS 'Schema of the relation';
COMMENT ON COLUMN dq.lineage_graph_nodes.table_name IS 'Relation name';

------------------------------------------------------------------------
-- OpenLineage data-quality facets (dataQualityMetrics 1-0-2 and
-- dataQualityAssertions 1-1-0): one event per profile and validation run,
-- which dq.openlineage_events() adds to its lineage events
------------------------------------------------------------------------

CREATE FUNCTION dq.openlineage_run_uuid(kind text, run_id bigint) RETURNS uuid
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT (overlay(overlay(x.h placing '3' from 13 for 1)
					placing substr('89ab', (('x' || substr(x.h, 17, 1))::bit(4)::int & 3) + 1, 1)
					from 17 for 1))::uuid
	  FROM (SELECT md5(dq.openlineage_namespace() || '/' || current_database() || '/'
					   || kind || '/' || run_id) AS h) x
$$;
COMMENT ON FUNCTION dq.openlineage_run_uuid(text, bigint) IS
	'OpenLineage runId of a profile or validation run: a name-based (MD5, version 3) UUID of the namespace, database, kind and run id, so that exporting a run again gives the same id';

CREATE FUNCTION dq.openlineage_metrics_facet(profile_run_id bigint) RETURNS jsonb
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT jsonb_build_object(
		'_producer', 'https://github.com/dq-lineage/dq_lineage',
		'_schemaURL', 'https://openlineage.io/spec/facets/1-0-2/DataQualityMetricsInputDatasetFacet.json#/$defs/DataQualityMetricsInputDatasetFacet',
		'rowCount', r.rows_scanned,
		'columnMetrics', coalesce((
			SELECT jsonb_object_agg(coalesce(a.attname, p.column_name), jsonb_strip_nulls(jsonb_build_object(
				'nullCount', p.null_count,
				'distinctCount', p.distinct_count,
				'count', p.row_count - p.null_count,
				'sum', CASE WHEN p.sum::text ~ '^-?[0-9]+(\.[0-9]+)?$' THEN p.sum END,
				'min', CASE WHEN p.type_family = 'numeric'
							 AND p.min_value ~ '^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$'
							THEN p.min_value::numeric END,
				'max', CASE WHEN p.type_family = 'numeric'
							 AND p.max_value ~ '^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$'
							THEN p.max_value::numeric END,
				'quantiles', CASE WHEN p.type_family = 'numeric' THEN (
					SELECT jsonb_object_agg(q.fraction, p.quantiles -> q.name ORDER BY q.fraction)
					  FROM (VALUES ('0.01', 'p01'), ('0.05', 'p05'), ('0.25', 'p25'), ('0.5', 'p50'),
								   ('0.75', 'p75'), ('0.95', 'p95'), ('0.99', 'p99')) q(fraction, name)
					 WHERE jsonb_typeof(p.quantiles -> q.name) = 'number') END))
				ORDER BY p.attnum)
			  FROM dq.column_profiles p
			  LEFT JOIN pg_attribute a ON a.attrelid = p.relid AND a.attnum = p.attnum
					AND NOT a.attisdropped
			 WHERE p.run_id = r.run_id), '{}'))
	  FROM dq.profile_runs r
	 WHERE r.run_id = profile_run_id
$$;
COMMENT ON FUNCTION dq.openlineage_metrics_facet(bigint) IS
	'OpenLineage DataQualityMetricsInputDatasetFacet (1-0-2) of a profile run: rowCount, and per column nullCount, distinctCount, count, and for numeric columns sum, min, max and quantiles (0.01 to 0.99); the columns you may read';

CREATE FUNCTION dq.openlineage_assertions_facet(validation_run_id bigint) RETURNS jsonb
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT jsonb_build_object(
		'_producer', 'https://github.com/dq-lineage/dq_lineage',
		'_schemaURL', 'https://openlineage.io/spec/facets/1-1-0/DataQualityAssertionsDatasetFacet.json#/$defs/DataQualityAssertionsDatasetFacet',
		'assertions', coalesce((
			SELECT jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
				'assertion', v.kind,
				'success', v.success,
				'column', coalesce(a.attname, v.column_name),
				'severity', v.severity,
				'failures', v.unexpected_count,
				'properties', jsonb_build_object(
					'expectationId', v.expectation_id,
					'name', e.name,
					'elementCount', v.element_count,
					'unexpectedPercent', CASE WHEN v.unexpected_percent::text NOT IN ('NaN', 'Infinity', '-Infinity')
											  THEN v.unexpected_percent END)))
				ORDER BY v.expectation_id)
			  FROM dq.validation_results v
			  LEFT JOIN dq.expectations e ON e.expectation_id = v.expectation_id
			  LEFT JOIN pg_attribute a ON a.attrelid = v.relid AND a.attnum = e.attnum
					AND NOT a.attisdropped
			 WHERE v.run_id = validation_run_id), '[]'))
$$;
COMMENT ON FUNCTION dq.openlineage_assertions_facet(bigint) IS
	'OpenLineage DataQualityAssertionsDatasetFacet (1-1-0) of a validation run: per expectation its kind (assertion), column, success, severity and failing rows; the results you may read';

CREATE FUNCTION dq.openlineage_quality_events(since timestamptz DEFAULT '-infinity')
	RETURNS SETOF jsonb
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
	WITH runs AS (
		SELECT 'profile' AS kind, r.run_id, r.relid, r.schema_name, r.table_name, r.finished_at
		  FROM dq.profile_runs r WHERE r.finished_at >= since
		UNION ALL
		SELECT 'validate', r.run_id, r.relid, r.schema_name, r.table_name, r.finished_at
		  FROM dq.validation_runs r WHERE r.finished_at >= since
	), named AS (
		SELECT x.*, c.oid AS current_relid,
			   dq.openlineage_dataset_name(coalesce(n.nspname, x.schema_name),
										   coalesce(c.relname, x.table_name)) AS dataset
		  FROM runs x
		  LEFT JOIN pg_class c ON c.oid = x.relid
		  LEFT JOIN pg_namespace n ON n.oid = c.relnamespace
	)
	SELECT jsonb_build_object(
		'eventType', 'COMPLETE',
		'eventTime', to_char(x.finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
		'run', jsonb_build_object('runId', dq.openlineage_run_uuid(x.kind, x.run_id)),
		'job', jsonb_build_object('namespace', dq.openlineage_namespace(),
								  'name', 'dq_lineage.' || x.kind || '.' || x.dataset),
		'inputs', jsonb_build_array(jsonb_build_object(
			'namespace', dq.openlineage_namespace(),
			'name', x.dataset,
			'facets', CASE WHEN x.current_relid IS NOT NULL
						   THEN jsonb_build_object('schema', dq.openlineage_schema_facet(x.current_relid))
						   ELSE '{}'::jsonb END,
			'inputFacets', CASE x.kind
				WHEN 'profile' THEN jsonb_build_object('dataQualityMetrics',
													   dq.openlineage_metrics_facet(x.run_id))
				ELSE jsonb_build_object('dataQualityAssertions',
										dq.openlineage_assertions_facet(x.run_id)) END)),
		'outputs', '[]'::jsonb,
		'producer', 'https://github.com/dq-lineage/dq_lineage',
		'schemaURL', 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent')
	  FROM named x
	 ORDER BY x.finished_at, x.kind, x.run_id
$$;
COMMENT ON FUNCTION dq.openlineage_quality_events(timestamptz) IS
	'OpenLineage RunEvents (COMPLETE) of the profile and validation runs finished since a time: job dq_lineage.profile.<schema>.<table> or dq_lineage.validate.<schema>.<table>, the table as input with its schema facet and the dataQualityMetrics or dataQualityAssertions input facet; part of dq.openlineage_events()';

------------------------------------------------------------------------
-- The lineage drawing and the HTML report
------------------------------------------------------------------------

CREATE FUNCTION dq.lineage_svg(rel regclass DEFAULT NULL, max_depth integer DEFAULT 3,
							   max_relations integer DEFAULT 60)
	RETURNS text
	AS 'MODULE_PATHNAME', 'dq_lineage_svg'
	LANGUAGE C STABLE CALLED ON NULL INPUT
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION dq.lineage_svg(regclass, integer, integer) IS
	'The column lineage of a relation (max_depth steps upstream and downstream, at most max_relations relations, the nearest first; everything when rel is NULL) as an SVG drawing laid out left to right in layers with few crossings: DIRECT edges solid, INDIRECT dashed';

CREATE FUNCTION dq.report_html(rel regclass DEFAULT NULL, since timestamptz DEFAULT NULL)
	RETURNS text
	AS 'MODULE_PATHNAME', 'dq_report_html'
	LANGUAGE C STABLE CALLED ON NULL INPUT
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION dq.report_html(regclass, timestamptz) IS
	'A self-contained HTML report (inline CSS and SVG, no network access): an overview of every table you may see with a searchable index, the scorecard and open failures, and per table its profile with charts, expectations and results over time, recent violations and lineage graph; with rel, the page of that one table; history from since (default: the last 30 days)';

-- The views run with the reader's rights (security_invoker): row-level
-- security on the tables below shows each role only the rows about tables
-- and columns it may read, as for the rest of dq's views.
GRANT SELECT ON dq.profile_history, dq.metric_history, dq.validation_history,
	dq.expectation_history, dq.violations_per_hour, dq.cdc_lag_history, dq.cdc_lag,
	dq.job_run_history, dq.table_scorecard, dq.lineage_graph_edges, dq.lineage_graph_nodes
	TO PUBLIC;

------------------------------------------------------------------------
-- dq_reader: a NOLOGIN role to grant to BI users
------------------------------------------------------------------------

-- Grants a role what dq_reader has: reading every view and table of dq
-- that PUBLIC may read (row-level security decides which rows), and the
-- read-only functions the views and the report use.  The grants are on
-- the extension's objects, so they go away with DROP EXTENSION.
CREATE FUNCTION dq.grant_reader_access(reader name DEFAULT 'dq_reader')
	RETURNS void
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	r record;
BEGIN
	IF reader IS NULL THEN
		RAISE EXCEPTION USING ERRCODE = 'null_value_not_allowed',
			MESSAGE = 'reader must not be NULL',
			HINT = 'Name the role to grant read access to, for example dq_reader.';
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = reader) THEN
		RAISE EXCEPTION USING ERRCODE = 'undefined_object',
			MESSAGE = format('role "%s" does not exist', reader),
			HINT = format('Create it first: CREATE ROLE %I NOLOGIN;', reader);
	END IF;
	-- USAGE on schema dq comes from PUBLIC: the schema outlives DROP
	-- EXTENSION, and a grant on it would keep the role from being dropped
	FOR r IN
		SELECT c.oid::regclass AS rel
		  FROM pg_class c
		 WHERE c.relnamespace = 'dq'::regnamespace
		   AND c.relkind IN ('r', 'p', 'v', 'm')
		   AND has_table_privilege('public', c.oid, 'SELECT')
		 ORDER BY c.relname
	LOOP
		EXECUTE format('GRANT SELECT ON %s TO %I', r.rel, reader);
	END LOOP;
	FOR r IN
		SELECT p.oid::regprocedure AS fn
		  FROM pg_proc p
		 WHERE p.pronamespace = 'dq'::regnamespace
		   AND p.proname IN ('report_html', 'lineage_svg', 'lineage_dot', 'metric_number',
							 'lineage_node_id', 'lineage_pending', 'lineage_closure',
							 'lineage_attnum', 'upstream', 'downstream', 'cron_next',
							 'openlineage_namespace',
							 'openlineage_dataset_name', 'openlineage_facet',
							 'openlineage_schema_facet', 'openlineage_events',
							 'openlineage_run_uuid', 'openlineage_metrics_facet',
							 'openlineage_assertions_facet', 'openlineage_quality_events')
		 ORDER BY p.oid::regprocedure::text
	LOOP
		EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %I', r.fn, reader);
	END LOOP;
END
$$;
COMMENT ON FUNCTION dq.grant_reader_access(name) IS
	'Grant a role read access to dq_lineage''s views for BI tools: SELECT on every view and table of dq that PUBLIC may read (row-level security still shows only rows about tables the role may read), EXECUTE on the read-only functions the views and the report use; CREATE EXTENSION does this for dq_reader';
REVOKE ALL ON FUNCTION dq.grant_reader_access(name) FROM PUBLIC;

-- Roles are shared by every database of the cluster: the first CREATE
-- EXTENSION creates dq_reader, later ones (in other databases, or after a
-- DROP EXTENSION, which leaves the role) find it and grant it access to
-- their own objects.
DO $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'dq_reader') THEN
		IF (SELECT r.rolsuper OR r.rolcreaterole FROM pg_catalog.pg_roles r
			 WHERE r.rolname = CURRENT_USER) THEN
			BEGIN
				CREATE ROLE dq_reader NOLOGIN;
				COMMENT ON ROLE dq_reader IS
					'Reads the report and BI views of dq_lineage (created by CREATE EXTENSION dq_lineage); grant it to BI users';
			EXCEPTION WHEN duplicate_object THEN
				NULL;				-- created meanwhile from another database
			END;
		ELSE
			RAISE WARNING 'role "dq_reader" does not exist and % may not create it', CURRENT_USER
				USING HINT = 'Create it with CREATE ROLE dq_reader NOLOGIN, then run SELECT dq.grant_reader_access(''dq_reader'').';
		END IF;
	END IF;
	IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'dq_reader') THEN
		PERFORM dq.grant_reader_access('dq_reader');
	END IF;
END
$$;
