------------------------------------------------------------------------
-- The column profile aggregate: every metric of a column in one pass
------------------------------------------------------------------------

CREATE FUNCTION dq_internal.column_profile_trans(internal, anyelement) RETURNS internal
	AS 'MODULE_PATHNAME', 'dq_column_profile_trans' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dq_internal.column_profile_combine(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'dq_column_profile_combine' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dq_internal.column_profile_serialize(internal) RETURNS bytea
	AS 'MODULE_PATHNAME', 'dq_column_profile_serialize' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dq_internal.column_profile_deserialize(bytea, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'dq_column_profile_deserialize' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dq_internal.column_profile_final(internal) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'dq_column_profile_final' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;

CREATE AGGREGATE dq.column_profile(anyelement) (
	SFUNC = dq_internal.column_profile_trans,
	STYPE = internal,
	FINALFUNC = dq_internal.column_profile_final,
	COMBINEFUNC = dq_internal.column_profile_combine,
	SERIALFUNC = dq_internal.column_profile_serialize,
	DESERIALFUNC = dq_internal.column_profile_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE dq.column_profile(anyelement) IS
	'Profile of one column as jsonb (counts, distinct, top values, min/max, moments, quantiles, histogram, lengths, patterns); the keys are the columns of dq.column_profiles';

-- every column of a row in one call: what dq.profile() runs
CREATE FUNCTION dq_internal.row_profile_trans(internal, oid[], VARIADIC "any") RETURNS internal
	AS 'MODULE_PATHNAME', 'dq_row_profile_trans' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dq_internal.row_profile_combine(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'dq_row_profile_combine' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dq_internal.row_profile_serialize(internal) RETURNS bytea
	AS 'MODULE_PATHNAME', 'dq_row_profile_serialize' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dq_internal.row_profile_deserialize(bytea, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'dq_row_profile_deserialize' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dq_internal.row_profile_final(internal, oid[], VARIADIC "any") RETURNS jsonb
	AS 'MODULE_PATHNAME', 'dq_row_profile_final' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;

CREATE AGGREGATE dq.row_profile(oid[], VARIADIC "any") (
	SFUNC = dq_internal.row_profile_trans,
	STYPE = internal,
	FINALFUNC = dq_internal.row_profile_final,
	FINALFUNC_EXTRA,
	COMBINEFUNC = dq_internal.row_profile_combine,
	SERIALFUNC = dq_internal.row_profile_serialize,
	DESERIALFUNC = dq_internal.row_profile_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE dq.row_profile(oid[], VARIADIC "any") IS
	'Profiles of several columns in one call per row, as a jsonb array of dq.column_profile objects; the first argument gives each column''s collation (0 for none)';

------------------------------------------------------------------------
-- Profile history
------------------------------------------------------------------------

CREATE SEQUENCE dq.profile_run_id_seq;

CREATE TABLE dq.profile_runs (
	run_id			bigint PRIMARY KEY DEFAULT nextval('dq.profile_run_id_seq'),
	relid			regclass,
	schema_name		name NOT NULL,
	table_name		name NOT NULL,
	relkind			"char" NOT NULL,
	started_at		timestamptz NOT NULL,
	finished_at		timestamptz NOT NULL,
	rows_scanned	bigint NOT NULL,
	sampled			boolean NOT NULL,
	sample_method	text,
	sample_percent	float8 NOT NULL,
	exact			boolean NOT NULL,
	columns_profiled integer NOT NULL,
	run_by			name NOT NULL
);
ALTER SEQUENCE dq.profile_run_id_seq OWNED BY dq.profile_runs.run_id;
CREATE INDEX profile_runs_relid_idx ON dq.profile_runs (relid, run_id);

COMMENT ON TABLE dq.profile_runs IS 'One row per dq.profile() call: what was profiled, when, and how';
COMMENT ON COLUMN dq.profile_runs.run_id IS 'Identifier of the run, returned by dq.profile()';
COMMENT ON COLUMN dq.profile_runs.relid IS 'The profiled relation (a regclass: pg_dump writes it as a name); NULL once the relation was dropped';
COMMENT ON COLUMN dq.profile_runs.schema_name IS 'Schema of the relation at the time of the run';
COMMENT ON COLUMN dq.profile_runs.table_name IS 'Name of the relation at the time of the run';
COMMENT ON COLUMN dq.profile_runs.relkind IS 'Kind of relation (pg_class.relkind): r table, p partitioned table, m materialized view, v view, f foreign table';
COMMENT ON COLUMN dq.profile_runs.started_at IS 'When the scan started';
COMMENT ON COLUMN dq.profile_runs.finished_at IS 'When the scan finished';
COMMENT ON COLUMN dq.profile_runs.rows_scanned IS 'Rows read by the scan (after sampling and row-level security)';
COMMENT ON COLUMN dq.profile_runs.sampled IS 'True when only a sample of the relation was read';
COMMENT ON COLUMN dq.profile_runs.sample_method IS 'Sampling method (SYSTEM: TABLESAMPLE SYSTEM, block sampling); NULL when not sampled';
COMMENT ON COLUMN dq.profile_runs.sample_percent IS 'Percentage of the relation sampled (100 when not sampled)';
COMMENT ON COLUMN dq.profile_runs.exact IS 'True when distinct counts were computed exactly (exact => true)';
COMMENT ON COLUMN dq.profile_runs.columns_profiled IS 'Number of columns profiled';
COMMENT ON COLUMN dq.profile_runs.run_by IS 'Role that ran the profile';

CREATE TABLE dq.column_profiles (
	run_id			bigint NOT NULL REFERENCES dq.profile_runs ON DELETE CASCADE,
	relid			regclass,
	attnum			smallint NOT NULL,
	column_name		name NOT NULL,
	data_type		text NOT NULL,
	type_family		text,
	row_count		bigint NOT NULL,
	null_count		bigint NOT NULL,
	null_fraction	float8,
	distinct_count	bigint,
	distinct_method	text,
	min_value		text,
	max_value		text,
	top_values		jsonb,
	top_values_exact boolean,
	mean			float8,
	stddev			float8,
	sum				numeric,
	zero_count		bigint,
	negative_count	bigint,
	nan_count		bigint,
	infinity_count	bigint,
	quantiles		jsonb,
	histogram		jsonb,
	min_length		integer,
	mean_length		float8,
	max_length		integer,
	empty_count		bigint,
	patterns		jsonb,
	sensitive		jsonb,
	true_count		bigint,
	false_count		bigint,
	PRIMARY KEY (run_id, attnum)
);
CREATE INDEX column_profiles_relid_idx ON dq.column_profiles (relid, attnum, run_id);

COMMENT ON TABLE dq.column_profiles IS 'One row per profiled column per run; metrics that do not apply to the column''s type are NULL';
COMMENT ON COLUMN dq.column_profiles.run_id IS 'Run this profile belongs to (dq.profile_runs)';
COMMENT ON COLUMN dq.column_profiles.relid IS 'The profiled relation (a regclass: pg_dump writes it as a name); NULL once the relation was dropped';
COMMENT ON COLUMN dq.column_profiles.attnum IS 'Column number (pg_attribute.attnum)';
COMMENT ON COLUMN dq.column_profiles.column_name IS 'Column name at the time of the run';
COMMENT ON COLUMN dq.column_profiles.data_type IS 'Column type with modifiers, as format_type() prints it';
COMMENT ON COLUMN dq.column_profiles.type_family IS 'Metric family: numeric, text, datetime, boolean or other';
COMMENT ON COLUMN dq.column_profiles.row_count IS 'Rows scanned';
COMMENT ON COLUMN dq.column_profiles.null_count IS 'Rows where the column is NULL';
COMMENT ON COLUMN dq.column_profiles.null_fraction IS 'null_count / row_count; NULL for an empty relation';
COMMENT ON COLUMN dq.column_profiles.distinct_count IS 'Distinct non-NULL values: HyperLogLog estimate (exact below 1024) or exact count';
COMMENT ON COLUMN dq.column_profiles.distinct_method IS 'sketch (HyperLogLog, relative standard error 0.81%) or exact (count(DISTINCT))';
COMMENT ON COLUMN dq.column_profiles.min_value IS 'Smallest value by the type''s default btree order, as text; NULL for types without one';
COMMENT ON COLUMN dq.column_profiles.max_value IS 'Largest value by the type''s default btree order, as text; NULL for types without one';
COMMENT ON COLUMN dq.column_profiles.top_values IS 'Most frequent values, highest count first: [{"value": text, "count": n}], from a Space-Saving sketch';
COMMENT ON COLUMN dq.column_profiles.top_values_exact IS 'True when the top-value counts are exact (fewer distinct values than sketch counters)';
COMMENT ON COLUMN dq.column_profiles.mean IS 'Mean of the finite values (numeric types)';
COMMENT ON COLUMN dq.column_profiles.stddev IS 'Sample standard deviation of the finite values (numeric types)';
COMMENT ON COLUMN dq.column_profiles.sum IS 'Sum of the finite values (numeric types; exact for integer and numeric columns)';
COMMENT ON COLUMN dq.column_profiles.zero_count IS 'Values equal to zero (numeric types)';
COMMENT ON COLUMN dq.column_profiles.negative_count IS 'Values below zero, -Infinity included (numeric types)';
COMMENT ON COLUMN dq.column_profiles.nan_count IS 'NaN values (float and numeric types)';
COMMENT ON COLUMN dq.column_profiles.infinity_count IS 'Infinite values, either sign (float, numeric, date and timestamp types)';
COMMENT ON COLUMN dq.column_profiles.quantiles IS 'Quantiles p01, p05, p25, p50, p75, p95, p99 from a KLL sketch (percentile_disc semantics; normalized rank error about 0.7%); numbers, or date/timestamp strings';
COMMENT ON COLUMN dq.column_profiles.histogram IS 'Equi-height histogram: [{"lo", "hi", "count"}], buckets (lo, hi] except the first, which includes lo';
COMMENT ON COLUMN dq.column_profiles.min_length IS 'Shortest value in characters (text-like types)';
COMMENT ON COLUMN dq.column_profiles.mean_length IS 'Mean value length in characters (text-like types)';
COMMENT ON COLUMN dq.column_profiles.max_length IS 'Longest value in characters (text-like types)';
COMMENT ON COLUMN dq.column_profiles.empty_count IS 'Empty strings (text-like types)';
COMMENT ON COLUMN dq.column_profiles.patterns IS 'Counts of values shaped like: integer, decimal, iso_date, iso_timestamp, uuid, email, url, ipv4, upper, lower (text-like types)';
COMMENT ON COLUMN dq.column_profiles.sensitive IS 'Counts of values that the sensitive-value detectors accept (email, phone, payment_card, iban, ipv4, ipv6, us_ssn, name_like, ...) and of free-text values that contain one (in_text); counts only, never values (text-like types, dq_lineage.detect_sensitive)';
COMMENT ON COLUMN dq.column_profiles.true_count IS 'True values (boolean)';
COMMENT ON COLUMN dq.column_profiles.false_count IS 'False values (boolean)';

------------------------------------------------------------------------
-- Who may see stored values (docs/security.md, "Expectations, profiles
-- and stored values").  Profiles and validations read a relation as its
-- owner.  A reader sees a stored row when they may read its columns, and
-- its values (min, max, top values, failing values) only when they also
-- see every row the owner sees: no row-level security (or a view that
-- could filter rows per reader) stands between them and the data, or they
-- are a member of the owner's role, a superuser or have BYPASSRLS.
------------------------------------------------------------------------

-- @section values_visible
CREATE FUNCTION dq.row_filtered(rel oid) RETURNS boolean
	LANGUAGE sql STABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
AS $$
	WITH RECURSIVE reads(oid) AS (
		SELECT rel
		UNION
		SELECT d.refobjid
		  FROM reads r
		  JOIN pg_class v ON v.oid = r.oid AND v.relkind = 'v'
		  JOIN pg_rewrite w ON w.ev_class = v.oid
		  JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = w.oid
		   AND d.refclassid = 'pg_class'::regclass
	)
	SELECT EXISTS (
		SELECT 1 FROM reads r JOIN pg_class c ON c.oid = r.oid
		 WHERE c.relrowsecurity
			OR (c.relkind = 'v' AND EXISTS (
					SELECT 1 FROM unnest(c.reloptions) o
					 WHERE o ~* '^security_invoker=(t|tr|tru|true|y|ye|yes|on|1)$')))
$$;
COMMENT ON FUNCTION dq.row_filtered(oid) IS
	'True when the rows a role reads from the relation may depend on the role: it has row-level security, or it is a view that reads such a relation or is security_invoker';

CREATE FUNCTION dq.columns_readable(rel oid, attnums smallint[]) RETURNS boolean
	LANGUAGE sql STABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT CASE
		WHEN NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = rel)
			THEN coalesce((SELECT r.rolsuper FROM pg_roles r WHERE r.rolname = current_user), false)
		WHEN attnums IS NULL THEN has_table_privilege(rel, 'SELECT')
		WHEN cardinality(attnums) = 0 THEN has_any_column_privilege(rel, 'SELECT')
		ELSE coalesce((SELECT bool_and(coalesce(has_column_privilege(rel, a, 'SELECT'), false))
						 FROM unnest(attnums) a), false)
	END
$$;
COMMENT ON FUNCTION dq.columns_readable(oid, smallint[]) IS
	'May the current role read these columns of the relation (NULL: the whole table, empty: any column)?  Relations that are gone: superusers only';

CREATE FUNCTION dq.values_visible(rel oid, attnums smallint[]) RETURNS boolean
	LANGUAGE sql STABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT dq.columns_readable(rel, attnums)
	   AND (NOT dq.row_filtered(rel)
			OR EXISTS (SELECT 1 FROM pg_roles r
						WHERE r.rolname = current_user AND (r.rolsuper OR r.rolbypassrls))
			OR EXISTS (SELECT 1 FROM pg_class c
						WHERE c.oid = rel AND pg_has_role(c.relowner, 'USAGE')))
$$;
COMMENT ON FUNCTION dq.values_visible(oid, smallint[]) IS
	'May the current role see values stored from these columns (computed as the relation''s owner): it may read the columns, and sees every row the owner sees';
-- @end values_visible

-- Profiles contain data (min, max, top values): a column profile is
-- readable where its values are visible; dq.latest_profile also shows the
-- counts of the columns a role may read, with the values left out.
REVOKE ALL ON dq.profile_runs, dq.column_profiles FROM PUBLIC;
GRANT SELECT ON dq.profile_runs, dq.column_profiles TO PUBLIC;
ALTER TABLE dq.profile_runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE dq.column_profiles ENABLE ROW LEVEL SECURITY;
CREATE POLICY profile_runs_readable ON dq.profile_runs FOR SELECT
	USING (pg_catalog.has_any_column_privilege(relid, 'SELECT'));
CREATE POLICY column_profiles_readable ON dq.column_profiles FOR SELECT
	USING (dq.values_visible(relid, ARRAY[attnum]));

-- Profile history is kept across pg_dump and restore, each row attached to
-- its relation by name (rows of temporary relations are left out).
SELECT pg_catalog.pg_extension_config_dump('dq.profile_runs',
	'WHERE relid IS NULL OR EXISTS (SELECT FROM pg_catalog.pg_class c WHERE c.oid = relid AND c.relpersistence <> ''t'')');
SELECT pg_catalog.pg_extension_config_dump('dq.column_profiles',
	'WHERE relid IS NULL OR EXISTS (SELECT FROM pg_catalog.pg_class c WHERE c.oid = relid AND c.relpersistence <> ''t'')');
SELECT pg_catalog.pg_extension_config_dump('dq.profile_run_id_seq', '');

-- @section latest_profile
-- Not security_invoker: it reads the profile tables as their owner and
-- applies the rules itself (the reader's privileges: the functions run as
-- the reader), so that a role that may read a column but not see all its
-- rows still gets the counts.  security_barrier keeps the reader's own
-- conditions from seeing rows before these rules have filtered them.
CREATE VIEW dq.latest_profile WITH (security_barrier = true) AS
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
	CASE WHEN vis.v THEN p.min_value END AS min_value,
	CASE WHEN vis.v THEN p.max_value END AS max_value,
	CASE WHEN vis.v THEN p.top_values END AS top_values,
	p.top_values_exact,
	CASE WHEN vis.v THEN p.mean END AS mean,
	CASE WHEN vis.v THEN p.stddev END AS stddev,
	CASE WHEN vis.v THEN p.sum END AS sum,
	CASE WHEN vis.v THEN p.quantiles ->> 'p50' END AS median,
	p.zero_count,
	p.negative_count,
	p.nan_count,
	p.infinity_count,
	CASE WHEN vis.v THEN p.quantiles END AS quantiles,
	CASE WHEN vis.v THEN p.histogram END AS histogram,
	CASE WHEN vis.v THEN p.min_length END AS min_length,
	CASE WHEN vis.v THEN p.mean_length END AS mean_length,
	CASE WHEN vis.v THEN p.max_length END AS max_length,
	p.empty_count,
	p.patterns,
	p.true_count,
	p.false_count,
	r.sampled,
	r.sample_percent,
	vis.v AS values_visible,
	p.sensitive
FROM dq.column_profiles p
JOIN dq.profile_runs r ON r.run_id = p.run_id
CROSS JOIN LATERAL (SELECT dq.values_visible(p.relid, ARRAY[p.attnum]) AS v) vis
JOIN pg_catalog.pg_class c ON c.oid = p.relid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_attribute a
	ON a.attrelid = p.relid AND a.attnum = p.attnum AND NOT a.attisdropped
WHERE dq.columns_readable(p.relid, ARRAY[p.attnum])
ORDER BY p.relid, p.attnum, p.run_id DESC;

GRANT SELECT ON dq.latest_profile TO PUBLIC;
COMMENT ON VIEW dq.latest_profile IS 'Newest profile of every profiled column of the current relations that you may read (a dropped relation''s history stays in dq.column_profiles), with current relation and column names; values withheld where values_visible is false';
-- @end latest_profile
COMMENT ON COLUMN dq.latest_profile.run_id IS 'Run that produced this profile';
COMMENT ON COLUMN dq.latest_profile.sensitive IS 'Counts of values the sensitive-value detectors accept, and of free-text values containing one (counts only; docs/sensitive-data.md)';
-- @section latest_profile_comments
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
-- @end latest_profile_comments
COMMENT ON COLUMN dq.latest_profile.values_visible IS 'False when the values (min, max, top values, moments, quantiles, histogram, lengths) are withheld from you: the relation filters rows per role and you do not see all the rows its owner sees';

------------------------------------------------------------------------
-- dq.profile()
------------------------------------------------------------------------

CREATE FUNCTION dq.profile(rel regclass,
						   sample_percent float8 DEFAULT 100,
						   columns name[] DEFAULT NULL,
						   exact boolean DEFAULT false)
	RETURNS bigint
	AS 'MODULE_PATHNAME', 'dq_profile'
	LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE;
COMMENT ON FUNCTION dq.profile(regclass, float8, name[], boolean) IS
	'Profile every column (or the named ones) of a relation in one scan; returns the run id (see dq.profile_runs, dq.column_profiles, dq.latest_profile)';

