------------------------------------------------------------------------
-- Monitors: metric history, anomaly detection, and monitors of freshness,
-- volume, schema, column metrics and distribution drift
------------------------------------------------------------------------

CREATE FUNCTION dq.detect_anomalies(ts timestamptz[], val float8[],
									method text DEFAULT 'zscore',
									options jsonb DEFAULT '{}')
	RETURNS TABLE (ts timestamptz, value float8, expected float8, lower float8,
				   upper float8, score float8, is_anomaly boolean)
	AS 'MODULE_PATHNAME', 'dq_detect_anomalies'
	LANGUAGE C STABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION dq.detect_anomalies(timestamptz[], float8[], text, jsonb) IS
	'Judge every point of a series against a model trained on earlier points only (methods zscore, mad, rate_of_change, absolute_change, threshold, holt_winters); is_anomaly is NULL while training is too short';

-- The mergeable state of a column over a time bucket
CREATE FUNCTION dq_internal.column_sketch_trans(internal, anyelement) RETURNS internal
	AS 'MODULE_PATHNAME', 'dq_column_sketch_trans' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dq_internal.column_sketch_merge_trans(internal, bytea) RETURNS internal
	AS 'MODULE_PATHNAME', 'dq_column_sketch_merge_trans' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dq_internal.column_sketch_combine(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'dq_column_sketch_combine' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dq_internal.column_sketch_serialize(internal) RETURNS bytea
	AS 'MODULE_PATHNAME', 'dq_column_sketch_serialize' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dq_internal.column_sketch_deserialize(bytea, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'dq_column_sketch_deserialize' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dq_internal.column_sketch_final(internal) RETURNS bytea
	AS 'MODULE_PATHNAME', 'dq_column_sketch_final' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;

CREATE AGGREGATE dq.column_sketch(anyelement) (
	SFUNC = dq_internal.column_sketch_trans,
	STYPE = internal,
	FINALFUNC = dq_internal.column_sketch_final,
	COMBINEFUNC = dq_internal.column_sketch_combine,
	SERIALFUNC = dq_internal.column_sketch_serialize,
	DESERIALFUNC = dq_internal.column_sketch_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE dq.column_sketch(anyelement) IS
	'Mergeable state of a column''s values (counts, distinct, moments, KLL quantiles, lengths, patterns, top values) as bytea; merge with dq.column_sketch_merge, read with dq.column_sketch_metrics';

CREATE AGGREGATE dq.column_sketch_merge(bytea) (
	SFUNC = dq_internal.column_sketch_merge_trans,
	STYPE = internal,
	FINALFUNC = dq_internal.column_sketch_final,
	COMBINEFUNC = dq_internal.column_sketch_combine,
	SERIALFUNC = dq_internal.column_sketch_serialize,
	DESERIALFUNC = dq_internal.column_sketch_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE dq.column_sketch_merge(bytea) IS
	'Merge column sketches of one column (for example the buckets of a window) into one, without rescanning';

CREATE FUNCTION dq.column_sketch_metrics(sketch bytea) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'dq_column_sketch_metrics'
	LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION dq.column_sketch_metrics(bytea) IS
	'The metrics of a column sketch: row_count, null_fraction, distinct_count, mean, stddev, quantiles p01-p99, lengths, pattern shares, top values (the names of dq.metric_points)';

CREATE FUNCTION dq.column_sketch_drift(reference bytea, current bytea, options jsonb DEFAULT '{}')
	RETURNS jsonb
	AS 'MODULE_PATHNAME', 'dq_column_sketch_drift'
	LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION dq.column_sketch_drift(bytea, bytea, jsonb) IS
	'Drift of a column between two sketches: Kolmogorov-Smirnov distance and p-value and PSI for numbers and times, chi-square test and PSI over top values for categories, and whether they pass the thresholds';

-- A sketch names its column's type and holds values of it: read from a
-- hand-made bytea, it could make a type's output function read memory it
-- should not.  Only the extension owner (and superusers) may pass sketches
-- in; others read windows of a monitor's stored sketches with
-- dq.monitor_window and dq.monitor_drift.
REVOKE ALL ON FUNCTION dq.column_sketch_merge(bytea) FROM PUBLIC;
REVOKE ALL ON FUNCTION dq.column_sketch_metrics(bytea) FROM PUBLIC;
REVOKE ALL ON FUNCTION dq.column_sketch_drift(bytea, bytea, jsonb) FROM PUBLIC;

------------------------------------------------------------------------
-- Catalog
------------------------------------------------------------------------

CREATE SEQUENCE dq.monitor_id_seq;
CREATE TABLE dq.monitor_definitions (
	monitor_id		bigint PRIMARY KEY DEFAULT nextval('dq.monitor_id_seq'),
	relid			oid NOT NULL,
	schema_name		name NOT NULL,
	table_name		name NOT NULL,
	kind			text NOT NULL
		CHECK (kind IN ('freshness', 'volume', 'schema', 'column', 'distribution')),
	attnum			smallint NOT NULL DEFAULT 0,
	column_name		name,
	options			jsonb NOT NULL DEFAULT '{}',
	schedule		text,
	job_name		text,
	owner			regrole NOT NULL,
	enabled			boolean NOT NULL DEFAULT true,
	status			text NOT NULL DEFAULT 'active',
	state			jsonb NOT NULL DEFAULT '{}',
	baseline_from	timestamptz,
	created_at		timestamptz NOT NULL DEFAULT now(),
	last_run_at		timestamptz,
	last_error		text,
	UNIQUE (relid, kind, attnum)
);
ALTER SEQUENCE dq.monitor_id_seq OWNED BY dq.monitor_definitions.monitor_id;
CREATE INDEX monitor_definitions_owner_idx ON dq.monitor_definitions (owner, schedule);
COMMENT ON TABLE dq.monitor_definitions IS 'Monitors defined with dq.monitor(); read dq.monitors';
COMMENT ON COLUMN dq.monitor_definitions.monitor_id IS 'Identifier returned by dq.monitor()';
COMMENT ON COLUMN dq.monitor_definitions.relid IS 'OID of the monitored relation';
COMMENT ON COLUMN dq.monitor_definitions.schema_name IS 'Schema of the relation when the monitor was defined';
COMMENT ON COLUMN dq.monitor_definitions.table_name IS 'Name of the relation when the monitor was defined';
COMMENT ON COLUMN dq.monitor_definitions.kind IS 'freshness, volume, schema, column or distribution';
COMMENT ON COLUMN dq.monitor_definitions.attnum IS 'Column number of a column or distribution monitor (0 for the whole table): the monitor follows renames';
COMMENT ON COLUMN dq.monitor_definitions.column_name IS 'Column name when the monitor was defined';
COMMENT ON COLUMN dq.monitor_definitions.options IS 'Options as given to dq.monitor() (defaults are not stored)';
COMMENT ON COLUMN dq.monitor_definitions.schedule IS 'Schedule of the runs (cron expression, @shortcut or interval); NULL: run only by dq.run_monitor()';
COMMENT ON COLUMN dq.monitor_definitions.job_name IS 'Scheduler job that runs the monitors of this owner and schedule (dq.jobs)';
COMMENT ON COLUMN dq.monitor_definitions.owner IS 'Role that defined the monitor; runs have exactly its rights';
COMMENT ON COLUMN dq.monitor_definitions.enabled IS 'Disabled monitors are kept but not run';
COMMENT ON COLUMN dq.monitor_definitions.status IS 'active, or why the monitor stopped (its relation or column was dropped)';
COMMENT ON COLUMN dq.monitor_definitions.state IS 'What a run leaves for the next: statistics counters, watermark, last bucket judged, column snapshot';
COMMENT ON COLUMN dq.monitor_definitions.baseline_from IS 'Training starts here (dq.reset_baseline); NULL: all history';
COMMENT ON COLUMN dq.monitor_definitions.created_at IS 'When the monitor was defined';
COMMENT ON COLUMN dq.monitor_definitions.last_run_at IS 'When it last ran';
COMMENT ON COLUMN dq.monitor_definitions.last_error IS 'Error of the last run, NULL when it succeeded';

CREATE TABLE dq.metric_points (
	relid			oid NOT NULL,
	attnum			smallint NOT NULL DEFAULT 0,
	column_name		name,
	metric			text NOT NULL,
	bucket			timestamptz NOT NULL,
	value			float8,
	source			text NOT NULL CHECK (source IN ('monitor', 'profile', 'validation')),
	source_id		bigint NOT NULL,
	recorded_at		timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (relid, attnum, metric, source, source_id, bucket)
);
COMMENT ON TABLE dq.metric_points IS 'Every measured metric over time, one row per relation, column, metric, source and bucket: filled by monitors, by every dq.profile run and by every validation';
COMMENT ON COLUMN dq.metric_points.relid IS 'OID of the measured relation';
COMMENT ON COLUMN dq.metric_points.attnum IS 'Column number; 0 for a metric of the whole relation';
COMMENT ON COLUMN dq.metric_points.column_name IS 'Column name at the time of the measurement; NULL for a metric of the whole relation';
COMMENT ON COLUMN dq.metric_points.metric IS 'Metric name: null_fraction, distinct_count, mean, p50, mean_length, row_count, age_seconds, rows_inserted, ks_distance, expectation:<id>:unexpected_percent, ...';
COMMENT ON COLUMN dq.metric_points.bucket IS 'Time the value describes: the start of a monitor''s bucket, the time of a poll, the end of a profile or validation run';
COMMENT ON COLUMN dq.metric_points.value IS 'The value';
COMMENT ON COLUMN dq.metric_points.source IS 'monitor, profile or validation';
COMMENT ON COLUMN dq.metric_points.source_id IS 'Monitor id, profile run id or validation run id';
COMMENT ON COLUMN dq.metric_points.recorded_at IS 'When the row was (last) written';

CREATE TABLE dq.metric_sketches (
	monitor_id		bigint NOT NULL REFERENCES dq.monitor_definitions ON DELETE CASCADE,
	bucket			timestamptz NOT NULL,
	rows			bigint NOT NULL,
	sketch			bytea NOT NULL,
	updated_at		timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (monitor_id, bucket)
);
COMMENT ON TABLE dq.metric_sketches IS 'Per-bucket column sketches of column and distribution monitors: a window is the merge of its buckets (dq.column_sketch_merge), never a rescan';
COMMENT ON COLUMN dq.metric_sketches.monitor_id IS 'The monitor (dq.monitors)';
COMMENT ON COLUMN dq.metric_sketches.bucket IS 'Start of the bucket';
COMMENT ON COLUMN dq.metric_sketches.rows IS 'Rows counted into the bucket';
COMMENT ON COLUMN dq.metric_sketches.sketch IS 'The column sketch (dq.column_sketch_metrics reads it)';
COMMENT ON COLUMN dq.metric_sketches.updated_at IS 'When rows were last added';

CREATE SEQUENCE dq.anomaly_id_seq;
CREATE TABLE dq.anomalies (
	anomaly_id		bigint PRIMARY KEY DEFAULT nextval('dq.anomaly_id_seq'),
	monitor_id		bigint REFERENCES dq.monitor_definitions ON DELETE SET NULL,
	relid			oid NOT NULL,
	schema_name		name NOT NULL,
	table_name		name NOT NULL,
	attnum			smallint NOT NULL DEFAULT 0,
	column_name		name,
	kind			text NOT NULL,
	metric			text NOT NULL,
	bucket			timestamptz NOT NULL,
	value			float8,
	expected		float8,
	lower			float8,
	upper			float8,
	score			float8,
	method			text,
	severity		text NOT NULL CHECK (severity IN ('info', 'warn', 'error')),
	state			text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'expected', 'confirmed')),
	detail			jsonb,
	detected_at		timestamptz NOT NULL DEFAULT now(),
	marked_by		name,
	marked_at		timestamptz,
	UNIQUE (monitor_id, metric, bucket)
);
CREATE INDEX anomalies_relid_idx ON dq.anomalies (relid, bucket);
COMMENT ON TABLE dq.anomalies IS 'Anomalies found by monitors, with the expected band; each is announced by NOTIFY dq_anomaly';
COMMENT ON COLUMN dq.anomalies.anomaly_id IS 'Identifier (for dq.mark_anomaly, and in the notification)';
COMMENT ON COLUMN dq.anomalies.monitor_id IS 'Monitor that found it; NULL once the monitor was removed';
COMMENT ON COLUMN dq.anomalies.relid IS 'OID of the relation';
COMMENT ON COLUMN dq.anomalies.schema_name IS 'Schema of the relation at detection time';
COMMENT ON COLUMN dq.anomalies.table_name IS 'Name of the relation at detection time';
COMMENT ON COLUMN dq.anomalies.attnum IS 'Column number; 0 for the whole relation';
COMMENT ON COLUMN dq.anomalies.column_name IS 'Column name at detection time';
COMMENT ON COLUMN dq.anomalies.kind IS 'Monitor kind: freshness, volume, schema, column or distribution';
COMMENT ON COLUMN dq.anomalies.metric IS 'Metric judged (age_seconds, rows_inserted, null_fraction, drift, column_dropped:<column>, ...)';
COMMENT ON COLUMN dq.anomalies.bucket IS 'Bucket or poll time of the anomalous value; for a schema change, when it happened';
COMMENT ON COLUMN dq.anomalies.value IS 'The anomalous value';
COMMENT ON COLUMN dq.anomalies.expected IS 'The value the model expected';
COMMENT ON COLUMN dq.anomalies.lower IS 'Lower end of the expected band (NULL: unbounded)';
COMMENT ON COLUMN dq.anomalies.upper IS 'Upper end of the expected band (NULL: unbounded)';
COMMENT ON COLUMN dq.anomalies.score IS 'Score of the method: z-score, modified z-score, change, or drift statistic';
COMMENT ON COLUMN dq.anomalies.method IS 'Detection method, or the drift test';
COMMENT ON COLUMN dq.anomalies.severity IS 'error (at least twice as far from the expected value as the band''s edge; schema changes that break downstream columns), warn, or info (added columns)';
COMMENT ON COLUMN dq.anomalies.state IS 'open; expected (a user returned the point to training); confirmed (a user kept it out of training)';
COMMENT ON COLUMN dq.anomalies.detail IS 'More facts: drift statistics, the schema change and its downstream impact';
COMMENT ON COLUMN dq.anomalies.detected_at IS 'When it was recorded';
COMMENT ON COLUMN dq.anomalies.marked_by IS 'Role that last set the state';
COMMENT ON COLUMN dq.anomalies.marked_at IS 'When the state was last set';

CREATE SEQUENCE dq.schema_change_id_seq;
CREATE TABLE dq.schema_changes (
	change_id		bigint PRIMARY KEY DEFAULT nextval('dq.schema_change_id_seq'),
	monitor_id		bigint REFERENCES dq.monitor_definitions ON DELETE SET NULL,
	relid			oid NOT NULL,
	schema_name		name NOT NULL,
	table_name		name NOT NULL,
	change			text NOT NULL CHECK (change IN ('column_added', 'column_dropped',
						'column_renamed', 'column_retyped', 'table_dropped')),
	attnum			smallint NOT NULL DEFAULT 0,
	column_name		name,
	old_name		name,
	old_type		text,
	new_type		text,
	changed_by		name,
	session_user_name name,
	changed_at		timestamptz NOT NULL,
	command_tag		text,
	impacted		jsonb NOT NULL DEFAULT '[]'
);
CREATE INDEX schema_changes_relid_idx ON dq.schema_changes (relid, changed_at);
ALTER SEQUENCE dq.schema_change_id_seq OWNED BY dq.schema_changes.change_id;
COMMENT ON TABLE dq.schema_changes IS 'Columns added, dropped, renamed or retyped on tables with a schema monitor, with who, when, and the downstream columns the change can break';
COMMENT ON COLUMN dq.schema_changes.change_id IS 'Identifier of the change';
COMMENT ON COLUMN dq.schema_changes.monitor_id IS 'Schema monitor that recorded it; NULL once the monitor was removed';
COMMENT ON COLUMN dq.schema_changes.relid IS 'OID of the changed relation';
COMMENT ON COLUMN dq.schema_changes.schema_name IS 'Schema of the relation at the time of the change';
COMMENT ON COLUMN dq.schema_changes.table_name IS 'Name of the relation at the time of the change';
COMMENT ON COLUMN dq.schema_changes.change IS 'column_added, column_dropped, column_renamed, column_retyped or table_dropped';
COMMENT ON COLUMN dq.schema_changes.attnum IS 'Column number (0 for table_dropped)';
COMMENT ON COLUMN dq.schema_changes.column_name IS 'Column name after the change (before it, for a dropped column)';
COMMENT ON COLUMN dq.schema_changes.old_name IS 'Name before a rename';
COMMENT ON COLUMN dq.schema_changes.old_type IS 'Type before the change (retyped and dropped columns)';
COMMENT ON COLUMN dq.schema_changes.new_type IS 'Type after the change (added and retyped columns)';
COMMENT ON COLUMN dq.schema_changes.changed_by IS 'Role that ran the DDL (current_user); NULL when a scheduled check found the change';
COMMENT ON COLUMN dq.schema_changes.session_user_name IS 'Session user of the DDL (the login role); NULL when a scheduled check found the change';
COMMENT ON COLUMN dq.schema_changes.changed_at IS 'Start of the DDL statement, or when a scheduled check found the change';
COMMENT ON COLUMN dq.schema_changes.command_tag IS 'Command tag of the DDL (ALTER TABLE, ...)';
COMMENT ON COLUMN dq.schema_changes.impacted IS 'Downstream columns from captured lineage that the change can break: [{"schema", "table", "column", "depth"}]';

REVOKE ALL ON dq.monitor_definitions, dq.metric_points, dq.metric_sketches, dq.anomalies,
	dq.schema_changes FROM PUBLIC;
GRANT SELECT ON dq.monitor_definitions, dq.metric_points, dq.metric_sketches, dq.anomalies,
	dq.schema_changes TO PUBLIC;
ALTER TABLE dq.monitor_definitions ENABLE ROW LEVEL SECURITY;
ALTER TABLE dq.metric_points ENABLE ROW LEVEL SECURITY;
ALTER TABLE dq.metric_sketches ENABLE ROW LEVEL SECURITY;
ALTER TABLE dq.anomalies ENABLE ROW LEVEL SECURITY;
ALTER TABLE dq.schema_changes ENABLE ROW LEVEL SECURITY;
CREATE POLICY monitor_definitions_readable ON dq.monitor_definitions FOR SELECT
	USING (pg_catalog.pg_has_role(owner, 'USAGE')
		   OR pg_catalog.has_any_column_privilege(relid, 'SELECT'));
-- metrics and sketches hold data (minimum, maximum, top values)
CREATE POLICY metric_points_readable ON dq.metric_points FOR SELECT
	USING (CASE WHEN attnum = 0 THEN pg_catalog.has_any_column_privilege(relid, 'SELECT')
				ELSE pg_catalog.has_column_privilege(relid, attnum, 'SELECT') END);
CREATE POLICY metric_sketches_readable ON dq.metric_sketches FOR SELECT
	USING (EXISTS (SELECT 1 FROM dq.monitor_definitions m
					WHERE m.monitor_id = metric_sketches.monitor_id
					  AND pg_catalog.has_column_privilege(m.relid, m.attnum, 'SELECT')));
CREATE POLICY anomalies_readable ON dq.anomalies FOR SELECT
	USING (CASE WHEN attnum = 0 THEN pg_catalog.has_any_column_privilege(relid, 'SELECT')
				ELSE pg_catalog.has_column_privilege(relid, attnum, 'SELECT') END);
CREATE POLICY schema_changes_readable ON dq.schema_changes FOR SELECT
	USING (pg_catalog.has_any_column_privilege(relid, 'SELECT'));

-- Monitors and what they found are kept across pg_dump and restore; the
-- sketches are in the server's byte order and are not.  The metrics of
-- profiles and validations are not dumped either: the triggers below
-- derive them again when their tables are restored.
SELECT pg_catalog.pg_extension_config_dump('dq.monitor_definitions', '');
SELECT pg_catalog.pg_extension_config_dump('dq.monitor_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('dq.metric_points', 'WHERE source = ''monitor''');
SELECT pg_catalog.pg_extension_config_dump('dq.anomalies', '');
SELECT pg_catalog.pg_extension_config_dump('dq.anomaly_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('dq.schema_changes', '');
SELECT pg_catalog.pg_extension_config_dump('dq.schema_change_id_seq', '');

CREATE VIEW dq.monitors WITH (security_invoker = true) AS
SELECT m.monitor_id,
	   coalesce(n.nspname, m.schema_name) AS schema_name,
	   coalesce(c.relname, m.table_name) AS table_name,
	   m.kind,
	   CASE WHEN m.attnum <> 0 THEN coalesce(a.attname, m.column_name) END AS column_name,
	   m.options, m.schedule, m.owner, m.enabled, m.status,
	   m.last_run_at, m.last_error, m.baseline_from,
	   (SELECT pg_catalog.count(*) FROM dq.anomalies x
		 WHERE x.monitor_id = m.monitor_id AND x.state = 'open') AS open_anomalies,
	   (SELECT pg_catalog.max(x.bucket) FROM dq.anomalies x
		 WHERE x.monitor_id = m.monitor_id) AS last_anomaly_at,
	   m.job_name,
	   CASE WHEN m.enabled AND j.enabled
			THEN dq.cron_next(j.schedule, pg_catalog.now(), j.timezone, j.schedule_anchor) END
		   AS next_run,
	   m.relid, m.attnum, m.created_at
  FROM dq.monitor_definitions m
  LEFT JOIN pg_catalog.pg_class c ON c.oid = m.relid
  LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_catalog.pg_attribute a
	ON a.attrelid = m.relid AND a.attnum = m.attnum AND NOT a.attisdropped
  LEFT JOIN dq.jobs j ON j.job_name = m.job_name;
GRANT SELECT ON dq.monitors TO PUBLIC;
COMMENT ON VIEW dq.monitors IS 'Monitors with current names, status, open anomalies and next run';
COMMENT ON COLUMN dq.monitors.monitor_id IS 'Identifier of the monitor';
COMMENT ON COLUMN dq.monitors.schema_name IS 'Current schema of the relation (at definition time once dropped)';
COMMENT ON COLUMN dq.monitors.table_name IS 'Current name of the relation (at definition time once dropped)';
COMMENT ON COLUMN dq.monitors.kind IS 'freshness, volume, schema, column or distribution';
COMMENT ON COLUMN dq.monitors.column_name IS 'Current name of the monitored column (column and distribution monitors)';
COMMENT ON COLUMN dq.monitors.options IS 'Options as given';
COMMENT ON COLUMN dq.monitors.schedule IS 'Schedule of the runs; NULL: run by hand only';
COMMENT ON COLUMN dq.monitors.owner IS 'Role the monitor runs as';
COMMENT ON COLUMN dq.monitors.enabled IS 'Whether it runs';
COMMENT ON COLUMN dq.monitors.status IS 'active, or why it stopped';
COMMENT ON COLUMN dq.monitors.last_run_at IS 'When it last ran';
COMMENT ON COLUMN dq.monitors.last_error IS 'Error of the last run';
COMMENT ON COLUMN dq.monitors.baseline_from IS 'Start of the training data (dq.reset_baseline)';
COMMENT ON COLUMN dq.monitors.open_anomalies IS 'Anomalies in state open';
COMMENT ON COLUMN dq.monitors.last_anomaly_at IS 'Bucket of the latest anomaly';
COMMENT ON COLUMN dq.monitors.job_name IS 'Scheduler job that runs it';
COMMENT ON COLUMN dq.monitors.next_run IS 'Next scheduled run (NULL when disabled or not scheduled, or when the job is not yours to see)';
COMMENT ON COLUMN dq.monitors.relid IS 'OID of the relation';
COMMENT ON COLUMN dq.monitors.attnum IS 'Column number (0: whole relation)';
COMMENT ON COLUMN dq.monitors.created_at IS 'When it was defined';

------------------------------------------------------------------------
-- Defining and running monitors
------------------------------------------------------------------------

CREATE FUNCTION dq.monitor(rel regclass, kind text, column_name name DEFAULT NULL,
						   options jsonb DEFAULT '{}')
	RETURNS bigint
	AS 'MODULE_PATHNAME', 'dq_monitor'
	LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE;
COMMENT ON FUNCTION dq.monitor(regclass, text, name, jsonb) IS
	'Define (or redefine) a monitor of a relation: freshness, volume, schema, or a column''s metrics or distribution; scheduled by the scheduler, run as you; returns its id';

CREATE FUNCTION dq.unmonitor(rel regclass, kind text DEFAULT NULL, column_name name DEFAULT NULL)
	RETURNS integer
	AS 'MODULE_PATHNAME', 'dq_unmonitor'
	LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE;
COMMENT ON FUNCTION dq.unmonitor(regclass, text, name) IS
	'Remove the monitors of a relation (of one kind, of one column); their metric history and anomalies stay. Returns how many were removed';

CREATE FUNCTION dq.run_monitor(monitor_id bigint)
	RETURNS integer
	AS 'MODULE_PATHNAME', 'dq_run_monitor'
	LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE;
COMMENT ON FUNCTION dq.run_monitor(bigint) IS
	'Run one monitor now, as its owner; returns the number of new anomalies';

CREATE FUNCTION dq.run_monitors(schedule text DEFAULT NULL)
	RETURNS integer
	AS 'MODULE_PATHNAME', 'dq_run_monitors'
	LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE;
COMMENT ON FUNCTION dq.run_monitors(text) IS
	'Run every enabled monitor of the current role (with the given schedule, or all); a monitor that fails records its error and does not stop the others. Returns the number of new anomalies';

CREATE FUNCTION dq.monitor_window(monitor_id bigint, from_time timestamptz, to_time timestamptz)
	RETURNS jsonb
	AS 'MODULE_PATHNAME', 'dq_monitor_window'
	LANGUAGE C STABLE CALLED ON NULL INPUT PARALLEL UNSAFE;
COMMENT ON FUNCTION dq.monitor_window(bigint, timestamptz, timestamptz) IS
	'Metrics of a column or distribution monitor''s column over the buckets in [from_time, to_time), merged from their stored sketches without reading the table';

CREATE FUNCTION dq.monitor_drift(monitor_id bigint, reference_from timestamptz,
								 reference_to timestamptz, current_from timestamptz,
								 current_to timestamptz, options jsonb DEFAULT '{}')
	RETURNS jsonb
	AS 'MODULE_PATHNAME', 'dq_monitor_drift'
	LANGUAGE C STABLE CALLED ON NULL INPUT PARALLEL UNSAFE;
COMMENT ON FUNCTION dq.monitor_drift(bigint, timestamptz, timestamptz, timestamptz, timestamptz, jsonb) IS
	'Drift of a column or distribution monitor''s column between two windows of its buckets (KS, PSI, chi-square), merged from the stored sketches';

CREATE FUNCTION dq.mark_anomaly(anomaly_id bigint, verdict text)
	RETURNS void
	AS 'MODULE_PATHNAME', 'dq_mark_anomaly'
	LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE;
COMMENT ON FUNCTION dq.mark_anomaly(bigint, text) IS
	'Give a verdict on an anomaly: expected returns the point to training, confirmed keeps it out, open undoes a verdict';

CREATE FUNCTION dq.reset_baseline(monitor_id bigint, since timestamptz DEFAULT now())
	RETURNS void
	AS 'MODULE_PATHNAME', 'dq_reset_baseline'
	LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE;
COMMENT ON FUNCTION dq.reset_baseline(bigint, timestamptz) IS
	'Train a monitor only on data from a point in time on (its history stays); for distribution monitors with reference baseline, the baseline starts there';

------------------------------------------------------------------------
-- Metric history from profiles and validations
------------------------------------------------------------------------

-- The metrics of the column profiles of some profile runs.
CREATE FUNCTION dq_internal.metric_points_add_profiles(run_ids bigint[]) RETURNS void
	LANGUAGE sql
	SET search_path = pg_catalog, pg_temp
AS $$
	INSERT INTO dq.metric_points (relid, attnum, column_name, metric, bucket, value, source, source_id)
	SELECT p.relid, p.attnum, p.column_name, x.metric, r.finished_at, x.value, 'profile', p.run_id
	  FROM dq.column_profiles p
	  JOIN dq.profile_runs r ON r.run_id = p.run_id,
	  LATERAL (VALUES
			('null_fraction', p.null_fraction),
			('distinct_count', p.distinct_count::float8),
			('distinct_fraction', p.distinct_count::float8 / nullif(p.row_count - p.null_count, 0)),
			('mean', p.mean),
			('stddev', p.stddev),
			('min_length', p.min_length::float8),
			('mean_length', p.mean_length),
			('max_length', p.max_length::float8),
			('empty_fraction', p.empty_count::float8 / nullif(p.row_count - p.null_count, 0)),
			('zero_fraction', p.zero_count::float8 / nullif(p.row_count - p.null_count, 0)),
			('negative_fraction', p.negative_count::float8 / nullif(p.row_count - p.null_count, 0)),
			('true_fraction', p.true_count::float8 / nullif(p.row_count - p.null_count, 0))
		  UNION ALL
		  -- numbers only (date quantiles are strings); CASE, not WHERE, so
		  -- that no cast runs before the test
		  SELECT q.key, CASE WHEN jsonb_typeof(q.value) = 'number' THEN q.value::float8 END
			FROM jsonb_each(p.quantiles) q
		  UNION ALL
		  SELECT 'pattern_' || t.key, t.value::float8 / nullif(p.row_count - p.null_count, 0)
			FROM jsonb_each_text(p.patterns) t
		) AS x(metric, value)
	 WHERE p.run_id = ANY (run_ids) AND x.value IS NOT NULL
	   AND p.relid IS NOT NULL		-- history of a dropped relation (a restore)
	ON CONFLICT DO NOTHING;
	-- rows of the relation, once per run
	INSERT INTO dq.metric_points (relid, attnum, column_name, metric, bucket, value, source, source_id)
	SELECT DISTINCT ON (p.run_id) p.relid, 0, NULL, 'row_count', r.finished_at, p.row_count, 'profile', p.run_id
	  FROM dq.column_profiles p JOIN dq.profile_runs r ON r.run_id = p.run_id
	 WHERE p.run_id = ANY (run_ids) AND p.relid IS NOT NULL
	 ORDER BY p.run_id
	ON CONFLICT DO NOTHING;
$$;
COMMENT ON FUNCTION dq_internal.metric_points_add_profiles(bigint[]) IS
	'Copy the metrics of the column profiles of the given profile runs into dq.metric_points';
REVOKE ALL ON FUNCTION dq_internal.metric_points_add_profiles(bigint[]) FROM PUBLIC;

-- The observed values of the results of some validation runs.
CREATE FUNCTION dq_internal.metric_points_add_validations(run_ids bigint[]) RETURNS void
	LANGUAGE sql
	SET search_path = pg_catalog, pg_temp
AS $$
	INSERT INTO dq.metric_points (relid, attnum, column_name, metric, bucket, value, source, source_id)
	SELECT v.relid, coalesce(e.attnum, 0), v.column_name,
		   format('expectation:%s:%s', v.expectation_id, x.metric), r.finished_at, x.value,
		   'validation', v.run_id
	  FROM dq.validation_results v
	  JOIN dq.validation_runs r ON r.run_id = v.run_id
	  LEFT JOIN dq.expectations e ON e.expectation_id = v.expectation_id,
	  LATERAL (VALUES
			('success', CASE WHEN v.success THEN 1.0 ELSE 0.0 END::float8),
			('unexpected_percent', v.unexpected_percent),
			('unexpected_count', v.unexpected_count::float8),
			('observed_value', CASE WHEN jsonb_typeof(v.result -> 'result' -> 'observed_value') = 'number'
									THEN (v.result -> 'result' ->> 'observed_value')::float8 END)
		) AS x(metric, value)
	 WHERE v.run_id = ANY (run_ids) AND x.value IS NOT NULL
	   AND v.relid IS NOT NULL		-- history of a dropped relation (a restore)
	ON CONFLICT DO NOTHING;
$$;
COMMENT ON FUNCTION dq_internal.metric_points_add_validations(bigint[]) IS
	'Copy the observed values of the results of the given validation runs into dq.metric_points';
REVOKE ALL ON FUNCTION dq_internal.metric_points_add_validations(bigint[]) FROM PUBLIC;

-- Every new profile and validation feeds the history (the triggers run
-- as the extension owner, who writes both tables).
CREATE FUNCTION dq_internal.metric_points_from_profile() RETURNS trigger
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM dq_internal.metric_points_add_profiles((SELECT array_agg(DISTINCT n.run_id) FROM new_rows n));
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION dq_internal.metric_points_from_profile() IS
	'Trigger: copies the metrics of every new column profile into dq.metric_points';
REVOKE ALL ON FUNCTION dq_internal.metric_points_from_profile() FROM PUBLIC;
CREATE TRIGGER column_profiles_metric_points AFTER INSERT ON dq.column_profiles
	REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION dq_internal.metric_points_from_profile();

CREATE FUNCTION dq_internal.metric_points_from_validation() RETURNS trigger
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM dq_internal.metric_points_add_validations((SELECT array_agg(DISTINCT n.run_id) FROM new_rows n));
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION dq_internal.metric_points_from_validation() IS
	'Trigger: copies the observed values of every new validation result into dq.metric_points';
REVOKE ALL ON FUNCTION dq_internal.metric_points_from_validation() FROM PUBLIC;
CREATE TRIGGER validation_results_metric_points AFTER INSERT ON dq.validation_results
	REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION dq_internal.metric_points_from_validation();

-- Profiles and validations made before the monitors existed (an upgrade)
SELECT dq_internal.metric_points_add_profiles(ARRAY(SELECT run_id FROM dq.profile_runs));
SELECT dq_internal.metric_points_add_validations(ARRAY(SELECT run_id FROM dq.validation_runs));

------------------------------------------------------------------------
-- Anomalies: NOTIFY dq_anomaly
------------------------------------------------------------------------

CREATE FUNCTION dq_internal.anomaly_notify() RETURNS trigger
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM pg_notify('dq_anomaly', jsonb_build_object(
		'anomaly_id', NEW.anomaly_id, 'monitor_id', NEW.monitor_id, 'kind', NEW.kind,
		'schema', NEW.schema_name, 'table', NEW.table_name, 'column', NEW.column_name,
		'metric', NEW.metric, 'bucket', NEW.bucket, 'value', NEW.value,
		'expected', NEW.expected, 'lower', NEW.lower, 'upper', NEW.upper,
		'score', CASE WHEN NEW.score IN ('Infinity', '-Infinity', 'NaN') THEN NULL ELSE NEW.score END,
		'severity', NEW.severity)::text);
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION dq_internal.anomaly_notify() IS
	'Trigger: announces every new anomaly with NOTIFY dq_anomaly and a JSON payload';
REVOKE ALL ON FUNCTION dq_internal.anomaly_notify() FROM PUBLIC;
CREATE TRIGGER anomalies_notify AFTER INSERT ON dq.anomalies
	FOR EACH ROW EXECUTE FUNCTION dq_internal.anomaly_notify();

-- Anomalies: handed to the alert outbox (dq.alerts) by the monitors that
-- record them (not by a trigger, so that restoring a dump, which restores
-- the alerts too, raises none).  One open alert per monitor and metric:
-- later anomalies of the same metric are more occurrences of it; the
-- monitor resolves it when it next judges the metric normal, and
-- dq.mark_anomaly(id, 'expected') does when no open anomaly of the metric
-- is left.  Added columns (severity info) raise none.
CREATE FUNCTION dq_internal.anomaly_raise_alert(a dq.anomalies) RETURNS bigint
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF a.severity = 'info' OR a.monitor_id IS NULL THEN
		RETURN NULL;
	END IF;
	RETURN dq.raise_alert(
		CASE WHEN a.kind = 'schema' THEN 'schema_change' ELSE 'anomaly' END,
		dq.anomaly_alert_key(a.monitor_id, a.metric),
		a.severity,
		format('%s monitor of %s: %s %s', a.kind,
			   quote_ident(a.schema_name) || '.' || quote_ident(a.table_name)
			   || coalesce('.' || quote_ident(a.column_name), ''),
			   a.metric,
			   CASE WHEN a.kind = 'schema' THEN 'changed'
					WHEN a.value IS NULL THEN 'is anomalous'
					ELSE format('= %s (expected %s to %s)', a.value,
								coalesce(a.lower::text, '-infinity'),
								coalesce(a.upper::text, 'infinity')) END),
		jsonb_strip_nulls(jsonb_build_object(
			'anomaly_id', a.anomaly_id, 'monitor_id', a.monitor_id, 'kind', a.kind,
			'metric', a.metric, 'bucket', a.bucket, 'value', a.value,
			'expected', a.expected, 'lower', a.lower, 'upper', a.upper,
			'score', CASE WHEN a.score IN ('Infinity', '-Infinity', 'NaN') THEN NULL ELSE a.score END,
			'detail', a.detail)),
		CASE WHEN EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = a.relid)
			 THEN a.relid::regclass END,
		-- a dropped column is named in the title and the body only
		CASE WHEN EXISTS (SELECT 1 FROM pg_attribute t
						   WHERE t.attrelid = a.relid AND t.attname = a.column_name
							 AND NOT t.attisdropped)
			 THEN a.column_name END);
END
$$;
COMMENT ON FUNCTION dq_internal.anomaly_raise_alert(dq.anomalies) IS
	'Hand a new anomaly of severity warn or error to the alert outbox (dq.raise_alert, source anomaly or schema_change, one alert per monitor and metric); returns the alert id, NULL for severity info';
REVOKE ALL ON FUNCTION dq_internal.anomaly_raise_alert(dq.anomalies) FROM PUBLIC;

CREATE FUNCTION dq.anomaly_alert_key(monitor_id bigint, metric text) RETURNS text
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT 'monitor:' || monitor_id || ':' || metric
$$;
COMMENT ON FUNCTION dq.anomaly_alert_key(bigint, text) IS
	'Key of the alert (dq.alerts.source_key) of a monitor''s anomalies of one metric';

-- A user returned an anomaly to training: when no open anomaly of its
-- monitor and metric is left, its alert is resolved.
CREATE FUNCTION dq_internal.anomaly_alert_marked() RETURNS trigger
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF NEW.state = 'expected' AND OLD.state <> 'expected' AND NEW.monitor_id IS NOT NULL
	   AND NOT EXISTS (SELECT 1 FROM dq.anomalies a
						WHERE a.monitor_id = NEW.monitor_id AND a.metric = NEW.metric
						  AND a.state = 'open') THEN
		PERFORM dq.clear_alert(CASE WHEN NEW.kind = 'schema' THEN 'schema_change' ELSE 'anomaly' END,
							   dq.anomaly_alert_key(NEW.monitor_id, NEW.metric));
	END IF;
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION dq_internal.anomaly_alert_marked() IS
	'Trigger: resolves the alert of a monitor''s metric once every anomaly of it was marked expected';
REVOKE ALL ON FUNCTION dq_internal.anomaly_alert_marked() FROM PUBLIC;
CREATE TRIGGER anomalies_alert_marked AFTER UPDATE OF state ON dq.anomalies
	FOR EACH ROW EXECUTE FUNCTION dq_internal.anomaly_alert_marked();

------------------------------------------------------------------------
-- Schema changes: DDL event triggers
------------------------------------------------------------------------

-- Downstream columns of a column from captured lineage.  "gone" lists the
-- objects the current DDL drops ('relid:attnum', attnum 0 for a whole
-- relation): their edges still count even when the lineage trigger has
-- already marked them dropped.
CREATE FUNCTION dq_internal.monitor_impact(rel oid, col smallint, gone text[] DEFAULT '{}')
	RETURNS jsonb
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
	WITH RECURSIVE e AS (
		SELECT l.* FROM dq.lineage_edges l
		 WHERE NOT l.dropped
			OR (l.source_relid || ':0') = ANY (gone) OR (l.source_relid || ':' || l.source_attnum) = ANY (gone)
			OR (l.target_relid || ':0') = ANY (gone) OR (l.target_relid || ':' || l.target_attnum) = ANY (gone)
	), walk AS (
		SELECT 1 AS depth, e.target_relid AS relid, e.target_attnum AS attnum,
			   e.target_schema, e.target_table, e.target_column,
			   ARRAY[e.target_relid || ':' || e.target_attnum] AS path
		  FROM e
		 WHERE e.source_relid = rel AND e.source_attnum IN (0, col)
		UNION ALL
		SELECT w.depth + 1, e.target_relid, e.target_attnum,
			   e.target_schema, e.target_table, e.target_column,
			   w.path || (e.target_relid || ':' || e.target_attnum)
		  FROM walk w
		  JOIN e ON e.source_relid = w.relid
				AND (w.attnum = 0 OR e.source_attnum IN (0, w.attnum))
		 WHERE w.depth < 32
		   AND NOT (e.target_relid || ':' || e.target_attnum) = ANY (w.path)
	), hit AS (
		SELECT DISTINCT ON (w.relid, w.attnum) w.depth,
			   coalesce(n.nspname, w.target_schema) AS schema_name,
			   coalesce(c.relname, w.target_table) AS table_name,
			   CASE WHEN w.attnum <> 0 THEN coalesce(a.attname, w.target_column) END AS column_name
		  FROM walk w
		  LEFT JOIN pg_class c ON c.oid = w.relid
		  LEFT JOIN pg_namespace n ON n.oid = c.relnamespace
		  LEFT JOIN pg_attribute a ON a.attrelid = w.relid AND a.attnum = w.attnum AND NOT a.attisdropped
		 ORDER BY w.relid, w.attnum, w.depth
	)
	SELECT coalesce(jsonb_agg(jsonb_build_object('schema', h.schema_name, 'table', h.table_name,
												 'column', h.column_name, 'depth', h.depth)
							  ORDER BY h.depth, h.schema_name, h.table_name, h.column_name), '[]')
	  FROM hit h
$$;
COMMENT ON FUNCTION dq_internal.monitor_impact(oid, smallint, text[]) IS
	'Downstream columns of a column from captured lineage, as a JSON array (the impacted list of dq.schema_changes)';

-- The columns of a relation as a schema monitor's snapshot.
CREATE FUNCTION dq_internal.monitor_columns(rel oid) RETURNS jsonb
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT coalesce(jsonb_agg(jsonb_build_object('attnum', a.attnum, 'name', a.attname,
												 'type', format_type(a.atttypid, a.atttypmod))
							  ORDER BY a.attnum), '[]')
	  FROM pg_attribute a
	 WHERE a.attrelid = rel AND a.attnum > 0 AND NOT a.attisdropped
$$;
COMMENT ON FUNCTION dq_internal.monitor_columns(oid) IS 'Columns of a relation (attnum, name, type): the snapshot a schema monitor compares with';

-- Record one schema change and its anomaly.
CREATE FUNCTION dq_internal.monitor_schema_record(m dq.monitor_definitions, change text, att smallint,
		colname name, oldname name, oldtype text, newtype text, who name, sess name,
		tag text, gone text[] DEFAULT '{}')
	RETURNS void
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	imp jsonb := CASE WHEN change IN ('column_added', 'table_dropped') THEN '[]'::jsonb
					  ELSE dq_internal.monitor_impact(m.relid, att, gone) END;
	at timestamptz := statement_timestamp();
	sch name;
	tab name;
	n bigint;
BEGIN
	SELECT n.nspname, c.relname INTO sch, tab
	  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = m.relid;
	sch := coalesce(sch, m.schema_name);
	tab := coalesce(tab, m.table_name);
	INSERT INTO dq.schema_changes (monitor_id, relid, schema_name, table_name, change, attnum,
		column_name, old_name, old_type, new_type, changed_by, session_user_name, changed_at,
		command_tag, impacted)
	VALUES (m.monitor_id, m.relid, sch, tab, change, coalesce(att, 0), colname, oldname, oldtype,
			newtype, who, sess, at, tag, imp);
	WITH a AS (
	INSERT INTO dq.anomalies (monitor_id, relid, schema_name, table_name, attnum, column_name,
		kind, metric, bucket, method, severity, detail)
	VALUES (m.monitor_id, m.relid, sch, tab, coalesce(att, 0), colname, 'schema',
			CASE WHEN colname IS NULL THEN change ELSE change || ':' || colname END, at, 'ddl',
			CASE WHEN change = 'column_added' THEN 'info'
				 WHEN jsonb_array_length(imp) > 0 OR change = 'table_dropped' THEN 'error'
				 ELSE 'warn' END,
			jsonb_build_object('change', change, 'column', colname, 'old_name', oldname,
							   'old_type', oldtype, 'new_type', newtype, 'changed_by', who,
							   'command_tag', tag, 'impacted', imp))
	ON CONFLICT (monitor_id, metric, bucket) DO NOTHING
	RETURNING *)
	SELECT count(dq_internal.anomaly_raise_alert(a::dq.anomalies)) INTO STRICT n FROM a;
END
$$;
COMMENT ON FUNCTION dq_internal.monitor_schema_record(dq.monitor_definitions, text, smallint, name, name, text, text, name, name, text, text[]) IS
	'Record one schema change of a monitored relation in dq.schema_changes and dq.anomalies';
REVOKE ALL ON FUNCTION dq_internal.monitor_schema_record(dq.monitor_definitions, text, smallint, name, name, text, text, name, name, text, text[]) FROM PUBLIC;

-- Compare a schema monitor's snapshot with the catalog; record and
-- remember the differences.  Returns how many changes were found.
CREATE FUNCTION dq_internal.monitor_schema_sync(monitor bigint, who name, sess name, tag text)
	RETURNS integer
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	m dq.monitor_definitions;
	d record;
	n integer := 0;
BEGIN
	SELECT * INTO m FROM dq.monitor_definitions WHERE monitor_id = monitor FOR UPDATE;
	IF NOT FOUND OR NOT EXISTS (SELECT 1 FROM pg_class WHERE oid = m.relid) THEN
		RETURN 0;
	END IF;
	FOR d IN
		WITH old AS (
			SELECT (x ->> 'attnum')::smallint AS attnum, (x ->> 'name')::name AS name, x ->> 'type' AS type
			  FROM jsonb_array_elements(coalesce(m.state -> 'columns', '[]')) x
		), cur AS (
			SELECT (x ->> 'attnum')::smallint AS attnum, (x ->> 'name')::name AS name, x ->> 'type' AS type
			  FROM jsonb_array_elements(dq_internal.monitor_columns(m.relid)) x
		)
		SELECT coalesce(cur.attnum, old.attnum) AS attnum, old.name AS old_name, cur.name AS new_name,
			   old.type AS old_type, cur.type AS new_type
		  FROM old FULL JOIN cur ON cur.attnum = old.attnum
		 WHERE old.attnum IS NULL OR cur.attnum IS NULL
			OR old.name IS DISTINCT FROM cur.name OR old.type IS DISTINCT FROM cur.type
		 ORDER BY 1
	LOOP
		IF d.old_name IS NULL THEN
			PERFORM dq_internal.monitor_schema_record(m, 'column_added', d.attnum, d.new_name, NULL, NULL,
											 d.new_type, who, sess, tag);
			n := n + 1;
		ELSIF d.new_name IS NULL THEN
			PERFORM dq_internal.monitor_schema_record(m, 'column_dropped', d.attnum, d.old_name, NULL,
											 d.old_type, NULL, who, sess, tag);
			n := n + 1;
		ELSE
			IF d.old_name IS DISTINCT FROM d.new_name THEN
				PERFORM dq_internal.monitor_schema_record(m, 'column_renamed', d.attnum, d.new_name,
												 d.old_name, NULL, NULL, who, sess, tag);
				n := n + 1;
			END IF;
			IF d.old_type IS DISTINCT FROM d.new_type THEN
				PERFORM dq_internal.monitor_schema_record(m, 'column_retyped', d.attnum, d.new_name, NULL,
												 d.old_type, d.new_type, who, sess, tag);
				n := n + 1;
			END IF;
		END IF;
	END LOOP;
	UPDATE dq.monitor_definitions
	   SET state = state || jsonb_build_object('columns', dq_internal.monitor_columns(relid))
	 WHERE monitor_id = monitor;
	RETURN n;
END
$$;
COMMENT ON FUNCTION dq_internal.monitor_schema_sync(bigint, name, name, text) IS
	'Compare a schema monitor''s column snapshot with the catalog, record the differences, keep the new snapshot';
REVOKE ALL ON FUNCTION dq_internal.monitor_schema_sync(bigint, name, name, text) FROM PUBLIC;

-- What a DROP does to monitors: dropped columns of schema-monitored
-- relations are recorded with their impact (before the lineage trigger
-- runs or not: see dq_internal.monitor_impact), and monitors of dropped relations
-- or columns stop, saying why.
CREATE FUNCTION dq_internal.monitor_drop_sync(who name, sess name, tag text)
	RETURNS void
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	gone text[];
	d record;
	m dq.monitor_definitions;
BEGIN
	SELECT array_agg(o.objid || ':' || o.objsubid) INTO gone
	  FROM pg_event_trigger_dropped_objects() o
	 WHERE o.classid = 'pg_class'::regclass;
	IF gone IS NULL THEN
		RETURN;
	END IF;
	-- dropped columns of schema-monitored relations that still exist
	FOR d IN
		SELECT m2.monitor_id, o.objsubid::smallint AS attnum, x ->> 'name' AS name, x ->> 'type' AS type
		  FROM pg_event_trigger_dropped_objects() o
		  JOIN dq.monitor_definitions m2 ON m2.relid = o.objid AND m2.kind = 'schema' AND m2.enabled
		  JOIN LATERAL jsonb_array_elements(coalesce(m2.state -> 'columns', '[]')) x
			ON (x ->> 'attnum')::int = o.objsubid
		 WHERE o.classid = 'pg_class'::regclass AND o.objsubid > 0
		   AND NOT ((o.objid || ':0') = ANY (gone))
	LOOP
		SELECT * INTO m FROM dq.monitor_definitions WHERE monitor_id = d.monitor_id;
		PERFORM dq_internal.monitor_schema_record(m, 'column_dropped', d.attnum, d.name::name, NULL, d.type,
										 NULL, who, sess, tag, gone);
		UPDATE dq.monitor_definitions
		   SET state = state || jsonb_build_object('columns',
				(SELECT coalesce(jsonb_agg(x ORDER BY (x ->> 'attnum')::int), '[]')
				   FROM jsonb_array_elements(state -> 'columns') x
				  WHERE (x ->> 'attnum')::int <> d.attnum))
		 WHERE monitor_id = d.monitor_id;
	END LOOP;
	-- monitors whose relation or column is gone stop
	FOR m IN
		SELECT * FROM dq.monitor_definitions m2
		 WHERE m2.enabled
		   AND ((m2.relid || ':0') = ANY (gone)
				OR (m2.attnum <> 0 AND (m2.relid || ':' || m2.attnum) = ANY (gone)))
		 ORDER BY m2.monitor_id
	LOOP
		IF m.kind = 'schema' THEN
			PERFORM dq_internal.monitor_schema_record(m, 'table_dropped', 0::smallint, NULL, NULL, NULL, NULL,
											 who, sess, tag, gone);
		END IF;
		UPDATE dq.monitor_definitions
		   SET enabled = false,
			   status = format('stopped: %s %s was dropped by %s',
							   CASE WHEN (m.relid || ':0') = ANY (gone) THEN 'relation' ELSE 'column' END,
							   CASE WHEN (m.relid || ':0') = ANY (gone)
									THEN quote_ident(m.schema_name) || '.' || quote_ident(m.table_name)
									ELSE quote_ident(m.column_name) END,
							   who)
		 WHERE monitor_id = m.monitor_id;
		RAISE NOTICE 'monitor % (%) of %.% stopped: the % was dropped', m.monitor_id, m.kind,
			quote_ident(m.schema_name), quote_ident(m.table_name),
			CASE WHEN (m.relid || ':0') = ANY (gone) THEN 'relation' ELSE 'column' END;
	END LOOP;
END
$$;
COMMENT ON FUNCTION dq_internal.monitor_drop_sync(name, name, text) IS
	'Event trigger helper: records dropped columns of schema-monitored relations and stops the monitors of dropped relations and columns';
REVOKE ALL ON FUNCTION dq_internal.monitor_drop_sync(name, name, text) FROM PUBLIC;

-- The event triggers run as the role that ran the DDL (so that "who" is
-- known) and do their writes as the extension owner.
CREATE FUNCTION dq_internal.monitor_ddl_command_end() RETURNS event_trigger
	AS 'MODULE_PATHNAME', 'dq_monitor_ddl_command_end' LANGUAGE C;
COMMENT ON FUNCTION dq_internal.monitor_ddl_command_end() IS 'Event trigger: records column changes of relations with a schema monitor';
CREATE EVENT TRIGGER dq_lineage_monitor_ddl ON ddl_command_end
	WHEN TAG IN ('ALTER TABLE', 'ALTER VIEW', 'ALTER MATERIALIZED VIEW', 'ALTER FOREIGN TABLE',
				 'CREATE VIEW')
	EXECUTE FUNCTION dq_internal.monitor_ddl_command_end();

CREATE FUNCTION dq_internal.monitor_sql_drop() RETURNS event_trigger
	AS 'MODULE_PATHNAME', 'dq_monitor_sql_drop' LANGUAGE C;
COMMENT ON FUNCTION dq_internal.monitor_sql_drop() IS 'Event trigger: records dropped columns of relations with a schema monitor, with their downstream impact, and stops the monitors of dropped relations and columns';
CREATE EVENT TRIGGER dq_lineage_impact_sql_drop ON sql_drop
	EXECUTE FUNCTION dq_internal.monitor_sql_drop();
