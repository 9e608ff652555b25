------------------------------------------------------------------------
-- Relations in the catalog: regclass columns that pg_dump writes as names;
-- what happens when a relation is dropped (docs/catalog.md)
------------------------------------------------------------------------

-- Views and policies that read the columns whose type changes.
DROP VIEW dq.latest_profile;
DROP VIEW dq.latest_validation;
DROP VIEW dq.quality_scorecard;
DROP VIEW dq.column_lineage;
DROP POLICY profile_runs_readable ON dq.profile_runs;
DROP POLICY column_profiles_readable ON dq.column_profiles;
DROP POLICY expectations_readable ON dq.expectations;
DROP POLICY validation_runs_readable ON dq.validation_runs;
DROP POLICY validation_results_readable ON dq.validation_results;
DROP POLICY violations_readable ON dq.violations;

-- A reference to a relation that no longer exists becomes NULL (its names
-- stay): as a regclass it would be dumped as a bare number, and attached
-- to whatever relation has that OID after a restore.
ALTER TABLE dq.profile_runs ALTER COLUMN relid DROP NOT NULL;
ALTER TABLE dq.column_profiles ALTER COLUMN relid DROP NOT NULL;
ALTER TABLE dq.expectations ALTER COLUMN relid DROP NOT NULL;
ALTER TABLE dq.validation_runs ALTER COLUMN relid DROP NOT NULL;
ALTER TABLE dq.validation_results ALTER COLUMN relid DROP NOT NULL;
ALTER TABLE dq.violations ALTER COLUMN relid DROP NOT NULL;
ALTER TABLE dq.lineage_edges ALTER COLUMN source_relid DROP NOT NULL;
ALTER TABLE dq.lineage_edges ALTER COLUMN target_relid DROP NOT NULL;

UPDATE dq.profile_runs x SET relid = NULL
 WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_class c WHERE c.oid = x.relid);
UPDATE dq.column_profiles x SET relid = NULL
 WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_class c WHERE c.oid = x.relid);
UPDATE dq.expectations x
   SET relid = NULL, enabled = false,
	   status = CASE WHEN x.status = 'active' THEN 'relation dropped' ELSE x.status END
 WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_class c WHERE c.oid = x.relid);
UPDATE dq.validation_runs x SET relid = NULL
 WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_class c WHERE c.oid = x.relid);
UPDATE dq.validation_results x SET relid = NULL
 WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_class c WHERE c.oid = x.relid);
UPDATE dq.violations x SET relid = NULL
 WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_class c WHERE c.oid = x.relid);
DELETE FROM dq.watched_tables x
 WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_class c WHERE c.oid = x.relid);
UPDATE dq.lineage_edges x
   SET dropped = true,
	   source_relid = CASE WHEN EXISTS (SELECT FROM pg_catalog.pg_class c WHERE c.oid = x.source_relid)
						   THEN x.source_relid END,
	   target_relid = CASE WHEN EXISTS (SELECT FROM pg_catalog.pg_class c WHERE c.oid = x.target_relid)
						   THEN x.target_relid END
 WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_class c WHERE c.oid = x.source_relid)
	OR NOT EXISTS (SELECT FROM pg_catalog.pg_class c WHERE c.oid = x.target_relid);

-- oid to regclass keeps the values (the same four bytes); the indexes are
-- rebuilt.
ALTER TABLE dq.profile_runs ALTER COLUMN relid TYPE regclass;
ALTER TABLE dq.column_profiles ALTER COLUMN relid TYPE regclass;
ALTER TABLE dq.expectations ALTER COLUMN relid TYPE regclass;
ALTER TABLE dq.validation_runs ALTER COLUMN relid TYPE regclass;
ALTER TABLE dq.validation_results ALTER COLUMN relid TYPE regclass;
ALTER TABLE dq.watched_tables ALTER COLUMN relid TYPE regclass;
ALTER TABLE dq.violations ALTER COLUMN relid TYPE regclass;
ALTER TABLE dq.lineage_edges ALTER COLUMN source_relid TYPE regclass;
ALTER TABLE dq.lineage_edges ALTER COLUMN target_relid TYPE regclass;

ALTER TABLE dq.validation_runs
	ADD COLUMN nothing_evaluated boolean GENERATED ALWAYS AS (evaluated = 0) STORED;
CREATE POLICY profile_runs_readable ON dq.profile_runs FOR SELECT
	USING (pg_catalog.has_any_column_privilege(relid, 'SELECT'));
CREATE POLICY column_profiles_readable ON dq.column_profiles FOR SELECT
	USING (pg_catalog.has_column_privilege(relid, attnum, 'SELECT'));
CREATE POLICY expectations_readable ON dq.expectations FOR SELECT
	USING (pg_catalog.has_any_column_privilege(relid, 'SELECT'));
CREATE POLICY validation_runs_readable ON dq.validation_runs FOR SELECT
	USING (pg_catalog.has_any_column_privilege(relid, 'SELECT'));
CREATE POLICY validation_results_readable ON dq.validation_results FOR SELECT
	USING (pg_catalog.has_table_privilege(relid, 'SELECT'));
CREATE POLICY violations_readable ON dq.violations FOR SELECT
	USING (pg_catalog.has_table_privilege(relid, 'SELECT'));

-- Dumped with each row attached to its relation by name.
SELECT pg_catalog.pg_extension_config_dump('dq.profile_runs',
	'WHERE relid IS NULL OR EXISTS (SELECT FROM pg_catalog.pg_class c WHERE c.oid = relid AND c.relpersistence <> ''t'')');
SELECT pg_catalog.pg_extension_config_dump('dq.column_profiles',
	'WHERE relid IS NULL OR EXISTS (SELECT FROM pg_catalog.pg_class c WHERE c.oid = relid AND c.relpersistence <> ''t'')');
SELECT pg_catalog.pg_extension_config_dump('dq.expectations',
	'WHERE relid IS NULL OR EXISTS (SELECT FROM pg_catalog.pg_class c WHERE c.oid = relid AND c.relpersistence <> ''t'')');
SELECT pg_catalog.pg_extension_config_dump('dq.validation_runs',
	'WHERE relid IS NULL OR EXISTS (SELECT FROM pg_catalog.pg_class c WHERE c.oid = relid AND c.relpersistence <> ''t'')');
SELECT pg_catalog.pg_extension_config_dump('dq.validation_results',
	'WHERE relid IS NULL OR EXISTS (SELECT FROM pg_catalog.pg_class c WHERE c.oid = relid AND c.relpersistence <> ''t'')');
SELECT pg_catalog.pg_extension_config_dump('dq.watched_tables',
	'WHERE EXISTS (SELECT FROM pg_catalog.pg_class c WHERE c.oid = relid AND c.relpersistence <> ''t'')');
SELECT pg_catalog.pg_extension_config_dump('dq.violations',
	'WHERE relid IS NULL OR EXISTS (SELECT FROM pg_catalog.pg_class c WHERE c.oid = relid AND c.relpersistence <> ''t'')');
SELECT pg_catalog.pg_extension_config_dump('dq.lineage_edges',
	'WHERE NOT (origin IN (''view'', ''matview'') AND NOT dropped) AND (source_relid IS NULL OR EXISTS (SELECT FROM pg_catalog.pg_class c WHERE c.oid = source_relid AND c.relpersistence <> ''t'')) AND (target_relid IS NULL OR EXISTS (SELECT FROM pg_catalog.pg_class c WHERE c.oid = target_relid AND c.relpersistence <> ''t''))');

-- Comments of the changed columns.
COMMENT ON COLUMN dq.profile_runs.relid IS 'The profiled relation (a regclass: pg_dump writes it as a name); NULL once the relation was dropped';
COMMENT ON COLUMN dq.column_profiles.relid IS 'The profiled relation (a regclass: pg_dump writes it as a name); NULL once the relation was dropped';
COMMENT ON COLUMN dq.expectations.relid IS 'The relation (a regclass: pg_dump writes it as a name); NULL once the relation was dropped (status relation dropped)';
COMMENT ON COLUMN dq.expectations.schema_name IS 'Schema of the relation when the expectation was defined, or when the relation was dropped';
COMMENT ON COLUMN dq.expectations.table_name IS 'Name of the relation when the expectation was defined, or when the relation was dropped (dq.reattach finds it by this name)';
COMMENT ON COLUMN dq.expectations.status IS 'active, or why the expectation cannot be evaluated: relation dropped, column dropped, column not found (after dq.reattach)';
COMMENT ON COLUMN dq.validation_runs.relid IS 'The validated relation (a regclass: pg_dump writes it as a name); NULL once the relation was dropped';
COMMENT ON COLUMN dq.validation_runs.nothing_evaluated IS 'True when the relation had no enabled expectation (matching the tags): the run checked nothing, which is not a success';
COMMENT ON COLUMN dq.validation_results.relid IS 'The validated relation (a regclass: pg_dump writes it as a name); NULL once the relation was dropped';
COMMENT ON COLUMN dq.watched_tables.relid IS 'The watched table (a regclass: pg_dump writes it as a name); dropping the table ends its watch';
COMMENT ON COLUMN dq.violations.relid IS 'The changed table (the partition, for a partitioned table; a regclass: pg_dump writes it as a name); NULL once the table was dropped';
COMMENT ON COLUMN dq.lineage_edges.source_relid IS 'The source relation (a regclass: pg_dump writes it as a name); NULL once it was dropped';
COMMENT ON COLUMN dq.lineage_edges.target_relid IS 'The target relation (a regclass: pg_dump writes it as a name); NULL once it was dropped';

-- The views, reading the new columns.
CREATE VIEW dq.latest_profile WITH (security_invoker = true) AS
SELECT DISTINCT ON (p.relid, p.attnum)
	p.run_id,
	r.finished_at AS profiled_at,
	p.relid,
	n.nspname AS schema_name,
	c.relname AS table_name,
	p.attnum,
	coalesce(a.attname, p.column_name) AS column_name,
	p.data_type,
	p.type_family,
	p.row_count,
	p.null_count,
	p.null_fraction,
	p.distinct_count,
	p.distinct_count::float8 / nullif(p.row_count - p.null_count, 0) AS distinct_fraction,
	p.distinct_method,
	p.min_value,
	p.max_value,
	p.top_values,
	p.top_values_exact,
	p.mean,
	p.stddev,
	p.sum,
	p.quantiles ->> 'p50' AS median,
	p.zero_count,
	p.negative_count,
	p.nan_count,
	p.infinity_count,
	p.quantiles,
	p.histogram,
	p.min_length,
	p.mean_length,
	p.max_length,
	p.empty_count,
	p.patterns,
	p.true_count,
	p.false_count,
	r.sampled,
	r.sample_percent
FROM dq.column_profiles p
JOIN dq.profile_runs r ON r.run_id = p.run_id
JOIN pg_catalog.pg_class c ON c.oid = p.relid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_attribute a
	ON a.attrelid = p.relid AND a.attnum = p.attnum AND NOT a.attisdropped
ORDER BY p.relid, p.attnum, p.run_id DESC;

GRANT SELECT ON dq.latest_profile TO PUBLIC;
COMMENT ON VIEW dq.latest_profile IS 'Newest profile of every profiled column of the current relations (a dropped relation''s history stays in dq.column_profiles), with current relation and column names';
COMMENT ON COLUMN dq.latest_profile.run_id IS 'Run that produced this profile';
COMMENT ON COLUMN dq.latest_profile.profiled_at IS 'When that run finished';
COMMENT ON COLUMN dq.latest_profile.relid IS 'The profiled relation';
COMMENT ON COLUMN dq.latest_profile.schema_name IS 'Current schema of the relation';
COMMENT ON COLUMN dq.latest_profile.table_name IS 'Current name of the relation';
COMMENT ON COLUMN dq.latest_profile.attnum IS 'Column number';
COMMENT ON COLUMN dq.latest_profile.column_name IS 'Current column name (the name at the time of the run if it was dropped)';
COMMENT ON COLUMN dq.latest_profile.data_type IS 'Column type at the time of the run';
COMMENT ON COLUMN dq.latest_profile.type_family IS 'Metric family: numeric, text, datetime, boolean or other';
COMMENT ON COLUMN dq.latest_profile.row_count IS 'Rows scanned';
COMMENT ON COLUMN dq.latest_profile.null_count IS 'NULL values';
COMMENT ON COLUMN dq.latest_profile.null_fraction IS 'null_count / row_count';
COMMENT ON COLUMN dq.latest_profile.distinct_count IS 'Distinct non-NULL values (see distinct_method)';
COMMENT ON COLUMN dq.latest_profile.distinct_fraction IS 'distinct_count / non-NULL values';
COMMENT ON COLUMN dq.latest_profile.distinct_method IS 'sketch (HyperLogLog) or exact';
COMMENT ON COLUMN dq.latest_profile.min_value IS 'Smallest value as text';
COMMENT ON COLUMN dq.latest_profile.max_value IS 'Largest value as text';
COMMENT ON COLUMN dq.latest_profile.top_values IS 'Most frequent values with counts';
COMMENT ON COLUMN dq.latest_profile.top_values_exact IS 'True when top-value counts are exact';
COMMENT ON COLUMN dq.latest_profile.mean IS 'Mean of the finite values';
COMMENT ON COLUMN dq.latest_profile.stddev IS 'Sample standard deviation of the finite values';
COMMENT ON COLUMN dq.latest_profile.sum IS 'Sum of the finite values';
COMMENT ON COLUMN dq.latest_profile.median IS 'Approximate median (quantiles->>''p50''), as text';
COMMENT ON COLUMN dq.latest_profile.zero_count IS 'Zero values';
COMMENT ON COLUMN dq.latest_profile.negative_count IS 'Negative values';
COMMENT ON COLUMN dq.latest_profile.nan_count IS 'NaN values';
COMMENT ON COLUMN dq.latest_profile.infinity_count IS 'Infinite values';
COMMENT ON COLUMN dq.latest_profile.quantiles IS 'Quantiles p01 to p99';
COMMENT ON COLUMN dq.latest_profile.histogram IS 'Equi-height histogram';
COMMENT ON COLUMN dq.latest_profile.min_length IS 'Shortest value in characters';
COMMENT ON COLUMN dq.latest_profile.mean_length IS 'Mean length in characters';
COMMENT ON COLUMN dq.latest_profile.max_length IS 'Longest value in characters';
COMMENT ON COLUMN dq.latest_profile.empty_count IS 'Empty strings';
COMMENT ON COLUMN dq.latest_profile.patterns IS 'Value-pattern counts';
COMMENT ON COLUMN dq.latest_profile.true_count IS 'True values';
COMMENT ON COLUMN dq.latest_profile.false_count IS 'False values';
COMMENT ON COLUMN dq.latest_profile.sampled IS 'True when the run read a sample';
COMMENT ON COLUMN dq.latest_profile.sample_percent IS 'Percentage sampled';

CREATE OR REPLACE VIEW dq.validation_summary WITH (security_invoker = true) AS
SELECT r.run_id, r.schema_name, r.table_name, r.finished_at, r.rows_scanned,
	   r.evaluated, r.succeeded, r.failed,
	   round(100.0 * r.succeeded / nullif(r.evaluated, 0), 2) AS success_percent,
	   r.nothing_evaluated,
	   r.relid IS NULL AS relation_dropped
  FROM dq.validation_runs r;
GRANT SELECT ON dq.validation_summary TO PUBLIC;
COMMENT ON VIEW dq.validation_summary IS 'Per validation run: expectations evaluated, succeeded, failed and the success percentage';
COMMENT ON COLUMN dq.validation_summary.run_id IS 'The run';
COMMENT ON COLUMN dq.validation_summary.schema_name IS 'Schema of the relation';
COMMENT ON COLUMN dq.validation_summary.table_name IS 'Relation';
COMMENT ON COLUMN dq.validation_summary.finished_at IS 'When the run finished';
COMMENT ON COLUMN dq.validation_summary.rows_scanned IS 'Rows read';
COMMENT ON COLUMN dq.validation_summary.evaluated IS 'Expectations evaluated';
COMMENT ON COLUMN dq.validation_summary.succeeded IS 'Expectations that succeeded';
COMMENT ON COLUMN dq.validation_summary.failed IS 'Expectations that failed';
COMMENT ON COLUMN dq.validation_summary.success_percent IS 'succeeded / evaluated * 100; NULL when nothing was evaluated';
COMMENT ON COLUMN dq.validation_summary.nothing_evaluated IS 'True when the run evaluated no expectation';
COMMENT ON COLUMN dq.validation_summary.relation_dropped IS 'True for the history of a relation that was dropped since (schema_name and table_name are its names at the time of the run)';

CREATE VIEW dq.latest_validation WITH (security_invoker = true) AS
SELECT DISTINCT ON (v.expectation_id)
	   v.expectation_id, e.name, r.schema_name, r.table_name, v.kind, v.column_name,
	   v.severity, v.success, v.element_count, v.unexpected_count, v.unexpected_percent,
	   v.run_id, r.finished_at AS validated_at, v.result
  FROM dq.validation_results v
  JOIN dq.validation_runs r ON r.run_id = v.run_id
  LEFT JOIN dq.expectations e ON e.expectation_id = v.expectation_id
 WHERE v.relid IS NOT NULL
   AND EXISTS (SELECT FROM pg_catalog.pg_class c WHERE c.oid = v.relid)
 ORDER BY v.expectation_id, v.run_id DESC;
GRANT SELECT ON dq.latest_validation TO PUBLIC;
COMMENT ON VIEW dq.latest_validation IS 'The latest result of every expectation of the current relations (a dropped relation''s results stay in dq.validation_results)';
COMMENT ON COLUMN dq.latest_validation.expectation_id IS 'The expectation';
COMMENT ON COLUMN dq.latest_validation.name IS 'Its name';
COMMENT ON COLUMN dq.latest_validation.schema_name IS 'Schema of the relation';
COMMENT ON COLUMN dq.latest_validation.table_name IS 'Relation';
COMMENT ON COLUMN dq.latest_validation.kind IS 'Expectation kind';
COMMENT ON COLUMN dq.latest_validation.column_name IS 'Column';
COMMENT ON COLUMN dq.latest_validation.severity IS 'error or warn';
COMMENT ON COLUMN dq.latest_validation.success IS 'Whether it succeeded';
COMMENT ON COLUMN dq.latest_validation.element_count IS 'Rows considered';
COMMENT ON COLUMN dq.latest_validation.unexpected_count IS 'Rows that failed';
COMMENT ON COLUMN dq.latest_validation.unexpected_percent IS 'unexpected / non-missing rows * 100';
COMMENT ON COLUMN dq.latest_validation.run_id IS 'The run that produced this result';
COMMENT ON COLUMN dq.latest_validation.validated_at IS 'When that run finished';
COMMENT ON COLUMN dq.latest_validation.result IS 'The Great Expectations validation result';

CREATE VIEW dq.quality_scorecard WITH (security_invoker = true) AS
WITH runs AS (
	SELECT r.relid, r.run_id, r.finished_at, r.evaluated, r.succeeded, r.failed,
		   row_number() OVER (PARTITION BY r.relid ORDER BY r.run_id DESC) AS recency
	  FROM dq.validation_runs r
	 WHERE r.relid IS NOT NULL
)
SELECT n.nspname AS schema_name,
	   c.relname AS table_name,
	   l.relid,
	   (SELECT count(*) FROM dq.expectations e WHERE e.relid = l.relid AND e.enabled) AS expectations,
	   l.run_id AS last_run_id,
	   l.finished_at AS last_run_at,
	   l.failed AS open_failures,
	   round(100.0 * l.succeeded / nullif(l.evaluated, 0), 2) AS last_success_percent,
	   (SELECT round(100.0 * sum(x.succeeded) / nullif(sum(x.evaluated), 0), 2)
		  FROM runs x WHERE x.relid = l.relid AND x.recency <= 10) AS success_percent_last_10_runs,
	   (SELECT count(*) FROM runs x WHERE x.relid = l.relid) AS runs
  FROM (SELECT r.*, v.schema_name, v.table_name
		  FROM runs r JOIN dq.validation_runs v USING (run_id)
		 WHERE r.recency = 1) l
  JOIN pg_catalog.pg_class c ON c.oid = l.relid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace;
GRANT SELECT ON dq.quality_scorecard TO PUBLIC;
COMMENT ON VIEW dq.quality_scorecard IS 'Per validated table that exists now: expectations, the last run, open failures and the success rate over the last 10 runs (a dropped table leaves the scorecard; its runs stay in dq.validation_runs)';
COMMENT ON COLUMN dq.quality_scorecard.schema_name IS 'Schema of the table';
COMMENT ON COLUMN dq.quality_scorecard.table_name IS 'Table';
COMMENT ON COLUMN dq.quality_scorecard.relid IS 'The table';
COMMENT ON COLUMN dq.quality_scorecard.expectations IS 'Enabled expectations';
COMMENT ON COLUMN dq.quality_scorecard.last_run_id IS 'Latest validation run';
COMMENT ON COLUMN dq.quality_scorecard.last_run_at IS 'When it finished';
COMMENT ON COLUMN dq.quality_scorecard.open_failures IS 'Expectations that failed in the latest run';
COMMENT ON COLUMN dq.quality_scorecard.last_success_percent IS 'Success percentage of the latest run';
COMMENT ON COLUMN dq.quality_scorecard.success_percent_last_10_runs IS 'Success percentage over the last 10 runs';
COMMENT ON COLUMN dq.quality_scorecard.runs IS 'Validation runs recorded';

CREATE VIEW dq.column_lineage AS
WITH pending AS (
	SELECT p.query_id, p.calls, p.last_seen FROM dq.lineage_pending() p
), edges AS (
	SELECT e.source_relid, e.source_attnum, e.target_relid, e.target_attnum,
		   e.lineage_type, e.subtype, e.masking, e.origin,
		   min(e.source_schema) AS source_schema, min(e.source_table) AS source_table,
		   min(e.source_column) AS source_column, min(e.target_schema) AS target_schema,
		   min(e.target_table) AS target_table, min(e.target_column) AS target_column,
		   min(e.first_seen) AS first_seen,
		   GREATEST(max(e.last_seen), max(p.last_seen)) AS last_seen,
		   sum(e.occurrences + COALESCE(p.calls, 0))::bigint AS occurrences,
		   bool_or(e.dropped) AS dropped,
		   array_agg(DISTINCT e.query_id ORDER BY e.query_id) AS query_ids
	  FROM dq.lineage_edges e
	  LEFT JOIN pending p ON p.query_id = e.query_id AND e.origin IN ('insert', 'update', 'merge')
	 GROUP BY e.source_relid, e.source_attnum, e.target_relid, e.target_attnum,
			  e.lineage_type, e.subtype, e.masking, e.origin,
			  CASE WHEN e.source_relid IS NULL THEN e.source_schema END,
			  CASE WHEN e.source_relid IS NULL THEN e.source_table END,
			  CASE WHEN e.target_relid IS NULL THEN e.target_schema END,
			  CASE WHEN e.target_relid IS NULL THEN e.target_table END
)
SELECT COALESCE(sn.nspname, e.source_schema) AS source_schema,
	   COALESCE(sc.relname, e.source_table) AS source_table,
	   CASE WHEN e.source_attnum <> 0 THEN COALESCE(sa.attname, e.source_column) END AS source_column,
	   COALESCE(tn.nspname, e.target_schema) AS target_schema,
	   COALESCE(tc.relname, e.target_table) AS target_table,
	   CASE WHEN e.target_attnum <> 0 THEN COALESCE(ta.attname, e.target_column) END AS target_column,
	   CASE WHEN e.target_attnum = 0 THEN 'dataset' ELSE 'column' END AS scope,
	   e.lineage_type, e.subtype, e.masking, e.origin, e.first_seen, e.last_seen,
	   e.occurrences, e.dropped,
	   e.source_relid, e.source_attnum, e.target_relid, e.target_attnum, e.query_ids
  FROM edges e
  LEFT JOIN pg_catalog.pg_class sc ON sc.oid = e.source_relid AND NOT e.dropped
  LEFT JOIN pg_catalog.pg_namespace sn ON sn.oid = sc.relnamespace
  LEFT JOIN pg_catalog.pg_attribute sa ON sa.attrelid = sc.oid AND sa.attnum = e.source_attnum
		AND NOT sa.attisdropped
  LEFT JOIN pg_catalog.pg_class tc ON tc.oid = e.target_relid AND NOT e.dropped
  LEFT JOIN pg_catalog.pg_namespace tn ON tn.oid = tc.relnamespace
  LEFT JOIN pg_catalog.pg_attribute ta ON ta.attrelid = tc.oid AND ta.attnum = e.target_attnum
		AND NOT ta.attisdropped;
GRANT SELECT ON dq.column_lineage TO PUBLIC;
COMMENT ON VIEW dq.column_lineage IS 'Column-level lineage: one row per edge from a source column (or relation) to a target column (or, for dataset-level edges, the whole target), with current names';
COMMENT ON COLUMN dq.column_lineage.source_schema IS 'Schema of the source relation (current name; name at capture time once dropped)';
COMMENT ON COLUMN dq.column_lineage.source_table IS 'Source relation';
COMMENT ON COLUMN dq.column_lineage.source_column IS 'Source column; NULL when the whole relation is the source (count(*))';
COMMENT ON COLUMN dq.column_lineage.target_schema IS 'Schema of the target relation';
COMMENT ON COLUMN dq.column_lineage.target_table IS 'Target relation';
COMMENT ON COLUMN dq.column_lineage.target_column IS 'Target column; NULL for dataset-level edges';
COMMENT ON COLUMN dq.column_lineage.scope IS 'column: the source feeds or conditions this column; dataset: it affects every row of the target (WHERE, JOIN, GROUP BY, DISTINCT, ORDER BY)';
COMMENT ON COLUMN dq.column_lineage.lineage_type IS 'DIRECT or INDIRECT';
COMMENT ON COLUMN dq.column_lineage.subtype IS 'IDENTITY, TRANSFORMATION, AGGREGATION; JOIN, FILTER, GROUP_BY, SORT, WINDOW, CONDITIONAL';
COMMENT ON COLUMN dq.column_lineage.masking IS 'True when the transformation hides the input (hash functions, count)';
COMMENT ON COLUMN dq.column_lineage.origin IS 'view, matview, ctas, insert, update, merge or manual';
COMMENT ON COLUMN dq.column_lineage.first_seen IS 'When first recorded';
COMMENT ON COLUMN dq.column_lineage.last_seen IS 'When last seen, pending counters included';
COMMENT ON COLUMN dq.column_lineage.occurrences IS 'Times seen, pending counters included';
COMMENT ON COLUMN dq.column_lineage.dropped IS 'True once the source or target was dropped';
COMMENT ON COLUMN dq.column_lineage.source_relid IS 'The source relation; NULL once it was dropped';
COMMENT ON COLUMN dq.column_lineage.source_attnum IS 'Source column number (0: whole relation)';
COMMENT ON COLUMN dq.column_lineage.target_relid IS 'The target relation; NULL once it was dropped';
COMMENT ON COLUMN dq.column_lineage.target_attnum IS 'Target column number (0: dataset level)';
COMMENT ON COLUMN dq.column_lineage.query_ids IS 'Query IDs of the statements that produced the edge (0: DDL or manual)';


-- What happens when a relation is dropped.
CREATE OR REPLACE FUNCTION dq_internal.lineage_on_sql_drop() RETURNS event_trigger
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF pg_catalog.to_regclass('dq.lineage_edges') IS NULL THEN
		RETURN;					-- the extension itself is being dropped
	END IF;
	WITH dropped AS (
		SELECT DISTINCT d.objid, d.objsubid FROM pg_catalog.pg_event_trigger_dropped_objects() d
		 WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
	)
	UPDATE dq.lineage_edges e
	   SET dropped = true,
		   source_relid = CASE WHEN e.source_relid::oid IN (SELECT r.objid FROM dropped r WHERE r.objsubid = 0)
							   THEN NULL ELSE e.source_relid END,
		   target_relid = CASE WHEN e.target_relid::oid IN (SELECT r.objid FROM dropped r WHERE r.objsubid = 0)
							   THEN NULL ELSE e.target_relid END
	 WHERE EXISTS (SELECT FROM dropped d
					WHERE (e.source_relid::oid = d.objid AND (d.objsubid = 0 OR e.source_attnum = d.objsubid))
					   OR (e.target_relid::oid = d.objid AND (d.objsubid = 0 OR e.target_attnum = d.objsubid)));
END
$$;
COMMENT ON FUNCTION dq_internal.lineage_on_sql_drop() IS 'Event trigger: marks the lineage edges of dropped relations and columns as dropped, and forgets the dropped relations'' OIDs (their names stay)';
COMMENT ON FUNCTION dq_internal.lineage_on_sql_drop() IS 'Event trigger: marks the lineage edges of dropped relations and columns as dropped, and forgets the dropped relations'' OIDs (their names stay)';

CREATE TABLE dq.dropped_relations (
	schema_name		name NOT NULL,
	table_name		name NOT NULL,
	object_type		text NOT NULL,
	dropped_at		timestamptz NOT NULL DEFAULT pg_catalog.now(),
	expectations_ended integer NOT NULL,
	watch_ended		boolean NOT NULL,
	reattached_at	timestamptz
);
CREATE INDEX dropped_relations_name_idx ON dq.dropped_relations (schema_name, table_name);
COMMENT ON TABLE dq.dropped_relations IS 'Dropped relations that had expectations, a watch, profiles, validations or violations: their history stays in the catalog with a NULL relation';
COMMENT ON COLUMN dq.dropped_relations.schema_name IS 'Schema of the relation when it was dropped';
COMMENT ON COLUMN dq.dropped_relations.table_name IS 'Name of the relation when it was dropped';
COMMENT ON COLUMN dq.dropped_relations.object_type IS 'table, view, materialized view or foreign table';
COMMENT ON COLUMN dq.dropped_relations.dropped_at IS 'When it was dropped';
COMMENT ON COLUMN dq.dropped_relations.expectations_ended IS 'Expectations that ended with it (dq.expectations, status relation dropped)';
COMMENT ON COLUMN dq.dropped_relations.watch_ended IS 'True when the table was watched (dq.watch): its change validation ended';
COMMENT ON COLUMN dq.dropped_relations.reattached_at IS 'When dq.reattach attached its expectations to a re-created relation of the same name';

REVOKE ALL ON dq.dropped_relations FROM PUBLIC;
GRANT SELECT ON dq.dropped_relations TO PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('dq.dropped_relations', '');

CREATE OR REPLACE FUNCTION dq_internal.on_sql_drop() RETURNS event_trigger
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	gone record;
	ended integer;
	watched boolean;
	history boolean;
	qualified text;
BEGIN
	IF pg_catalog.to_regclass('dq.expectations') IS NULL THEN
		RETURN;					-- the extension itself is being dropped
	END IF;
	UPDATE dq.expectations e
	   SET enabled = false, status = 'column dropped'
	  FROM pg_catalog.pg_event_trigger_dropped_objects() d
	 WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
	   AND d.objsubid <> 0 AND e.relid::oid = d.objid
	   AND (e.attnum = d.objsubid OR d.objsubid = ANY (e.param_attnums))
	   AND e.status = 'active';
	-- classifications of dropped columns go with them (the table is
	-- missing only while an update of the extension creates it)
	IF pg_catalog.to_regclass('dq.column_tags') IS NOT NULL THEN
		DELETE FROM dq.column_tags t
		 USING pg_catalog.pg_event_trigger_dropped_objects() d
		 WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
		   AND d.objsubid <> 0 AND t.relid::oid = d.objid AND t.attnum = d.objsubid;
	END IF;
	FOR gone IN
		SELECT DISTINCT o.objid, o.schema_name, o.object_name, o.object_type
		  FROM pg_catalog.pg_event_trigger_dropped_objects() o
		 WHERE o.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND o.objsubid = 0
		   AND o.object_type IN ('table', 'view', 'materialized view', 'foreign table')
	LOOP
		-- active ones end; those already disabled for a dropped column keep that status
		SELECT pg_catalog.count(*) INTO ended FROM dq.expectations e
		 WHERE e.relid::oid = gone.objid AND e.status = 'active';
		UPDATE dq.expectations e
		   SET relid = NULL, enabled = false,
			   status = CASE WHEN e.status = 'active' THEN 'relation dropped' ELSE e.status END,
			   schema_name = gone.schema_name, table_name = gone.object_name
		 WHERE e.relid::oid = gone.objid;
		DELETE FROM dq.watched_tables w WHERE w.relid::oid = gone.objid;
		watched := FOUND;
		-- its change counts (the table is missing only while an update of
		-- the extension creates it)
		IF pg_catalog.to_regclass('dq.cdc_table_activity') IS NOT NULL THEN
			DELETE FROM dq.cdc_table_activity a WHERE a.relid::oid = gone.objid;
		END IF;
		-- results first: they are found through their runs' index
		UPDATE dq.validation_results v SET relid = NULL
		 WHERE v.run_id IN (SELECT r.run_id FROM dq.validation_runs r WHERE r.relid::oid = gone.objid)
		   AND v.relid::oid = gone.objid;
		UPDATE dq.validation_runs r SET relid = NULL WHERE r.relid::oid = gone.objid;
		history := FOUND;
		UPDATE dq.column_profiles p SET relid = NULL WHERE p.relid::oid = gone.objid;
		UPDATE dq.profile_runs p SET relid = NULL WHERE p.relid::oid = gone.objid;
		history := history OR FOUND;
		UPDATE dq.violations v SET relid = NULL WHERE v.relid::oid = gone.objid;
		history := history OR FOUND;
		-- a classification describes a live column: it ends with the relation
		IF pg_catalog.to_regclass('dq.column_tags') IS NOT NULL THEN
			DELETE FROM dq.column_tags t WHERE t.relid::oid = gone.objid;
		END IF;
		IF ended > 0 OR watched OR history THEN
			INSERT INTO dq.dropped_relations (schema_name, table_name, object_type,
											  expectations_ended, watch_ended)
			VALUES (gone.schema_name, gone.object_name, gone.object_type, ended, watched);
		END IF;
		qualified := pg_catalog.quote_ident(gone.schema_name) OPERATOR(pg_catalog.||) '.'
					 OPERATOR(pg_catalog.||) pg_catalog.quote_ident(gone.object_name);
		IF ended > 0 THEN
			RAISE NOTICE USING
				MESSAGE = pg_catalog.format('%s of %s ended with the %s',
											CASE WHEN ended = 1 THEN '1 expectation'
												 ELSE ended OPERATOR(pg_catalog.||) ' expectations' END,
											qualified, gone.object_type),
				DETAIL = 'They are kept in dq.expectations with status "relation dropped", with their results.',
				HINT = pg_catalog.format('After re-creating the %s, SELECT dq.reattach(%L) attaches them to it.',
										 gone.object_type, qualified);
		END IF;
		IF watched THEN
			RAISE NOTICE USING
				MESSAGE = pg_catalog.format('change validation of %s ended with the table', qualified),
				HINT = pg_catalog.format('After re-creating the table, SELECT dq.watch(%L) watches it again.',
										 qualified);
		END IF;
	END LOOP;
END
$$;
COMMENT ON FUNCTION dq_internal.on_sql_drop() IS 'Event trigger: ends the expectations (status relation dropped or column dropped) and watches of dropped relations and columns, with a NOTICE, and keeps their history with a NULL relation';
COMMENT ON FUNCTION dq_internal.on_sql_drop() IS 'Event trigger: ends the expectations (status relation dropped or column dropped) and watches of dropped relations and columns, with a NOTICE, and keeps their history with a NULL relation';

-- A restored dq.watched_tables row names a quarantine table by OID, and
-- quarantine tables are not part of a dump: forget an OID that does not
-- name one.
CREATE FUNCTION dq_internal.watched_tables_check_quarantine() RETURNS trigger
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF NEW.quarantine IS NOT NULL AND NOT EXISTS (
		SELECT FROM pg_catalog.pg_class c
		 WHERE c.oid = NEW.quarantine
		   AND c.relnamespace = 'dq'::pg_catalog.regnamespace
		   AND c.relname OPERATOR(pg_catalog.~~) 'quarantine\_%') THEN
		NEW.quarantine := NULL;
	END IF;
	RETURN NEW;
END
$$;
COMMENT ON FUNCTION dq_internal.watched_tables_check_quarantine() IS 'Trigger: clears a dq.watched_tables.quarantine that names no quarantine table (a restored row)';
REVOKE ALL ON FUNCTION dq_internal.watched_tables_check_quarantine() FROM PUBLIC;
CREATE TRIGGER watched_tables_quarantine BEFORE INSERT ON dq.watched_tables
	FOR EACH ROW EXECUTE FUNCTION dq_internal.watched_tables_check_quarantine();

CREATE FUNCTION dq.reattach(rel regclass) RETURNS integer
	AS 'MODULE_PATHNAME', 'dq_reattach'
	LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE;
COMMENT ON FUNCTION dq.reattach(regclass) IS
	'Attach the expectations that ended when a relation of the same name was dropped (status relation dropped) to this relation, columns found again by name; returns how many are active again';
