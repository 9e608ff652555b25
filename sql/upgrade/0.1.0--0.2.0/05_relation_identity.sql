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
-- @include ../../install/20_profile.sql latest_profile_comments

-- @include ../../install/30_expect.sql validation_summary or-replace

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
-- @include ../../install/30_expect.sql latest_validation_comments
COMMENT ON COLUMN dq.latest_validation.result IS 'The Great Expectations validation result';

-- @include ../../install/30_expect.sql quality_scorecard

-- @include ../../install/60_lineage.sql column_lineage


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

-- @include ../../install/70_relations.sql dropped_relations

-- @include ../../install/70_relations.sql on_sql_drop or-replace

-- @include ../../install/70_relations.sql reattach
