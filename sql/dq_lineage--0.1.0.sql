/* dq_lineage--0.1.0.sql: install script of the dq_lineage extension */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION dq_lineage" to load this file. \quit

GRANT USAGE ON SCHEMA dq TO PUBLIC;
COMMENT ON SCHEMA dq IS 'dq_lineage: data quality profiles, expectations and column-level lineage';

------------------------------------------------------------------------
-- Sketch aggregates (usable on their own)
------------------------------------------------------------------------

CREATE FUNCTION dq.hll_trans(internal, anyelement) RETURNS internal
	AS 'MODULE_PATHNAME', 'dq_hll_trans' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dq.hll_combine(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'dq_hll_combine' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dq.hll_serialize(internal) RETURNS bytea
	AS 'MODULE_PATHNAME', 'dq_hll_serialize' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dq.hll_deserialize(bytea, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'dq_hll_deserialize' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dq.hll_final(internal) RETURNS bigint
	AS 'MODULE_PATHNAME', 'dq_hll_final' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;

CREATE AGGREGATE dq.approx_distinct(anyelement) (
	SFUNC = dq.hll_trans,
	STYPE = internal,
	FINALFUNC = dq.hll_final,
	COMBINEFUNC = dq.hll_combine,
	SERIALFUNC = dq.hll_serialize,
	DESERIALFUNC = dq.hll_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE dq.approx_distinct(anyelement) IS
	'Approximate number of distinct non-NULL values (HyperLogLog, 2^14 registers, relative standard error 0.81%; exact below 1024 distinct values)';

CREATE FUNCTION dq.kll_trans(internal, float8, float8[]) RETURNS internal
	AS 'MODULE_PATHNAME', 'dq_kll_trans' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dq.kll_combine(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'dq_kll_combine' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dq.kll_serialize(internal) RETURNS bytea
	AS 'MODULE_PATHNAME', 'dq_kll_serialize' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dq.kll_deserialize(bytea, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'dq_kll_deserialize' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dq.kll_final(internal) RETURNS float8[]
	AS 'MODULE_PATHNAME', 'dq_kll_final' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;

CREATE AGGREGATE dq.approx_quantiles(float8, float8[]) (
	SFUNC = dq.kll_trans,
	STYPE = internal,
	FINALFUNC = dq.kll_final,
	COMBINEFUNC = dq.kll_combine,
	SERIALFUNC = dq.kll_serialize,
	DESERIALFUNC = dq.kll_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE dq.approx_quantiles(float8, float8[]) IS
	'Approximate quantiles (percentile_disc semantics) of the non-NULL, non-NaN values at the given fractions (KLL sketch, k = 400, normalized rank error about 0.7%)';

CREATE FUNCTION dq.topk_trans(internal, anyelement, integer) RETURNS internal
	AS 'MODULE_PATHNAME', 'dq_topk_trans' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dq.topk_combine(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'dq_topk_combine' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dq.topk_serialize(internal) RETURNS bytea
	AS 'MODULE_PATHNAME', 'dq_topk_serialize' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dq.topk_deserialize(bytea, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'dq_topk_deserialize' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dq.topk_final(internal) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'dq_topk_final' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;

CREATE AGGREGATE dq.approx_top_k(anyelement, integer) (
	SFUNC = dq.topk_trans,
	STYPE = internal,
	FINALFUNC = dq.topk_final,
	COMBINEFUNC = dq.topk_combine,
	SERIALFUNC = dq.topk_serialize,
	DESERIALFUNC = dq.topk_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE dq.approx_top_k(anyelement, integer) IS
	'The k most frequent non-NULL values with their counts, as jsonb (Space-Saving sketch with max(64, 4k) counters; exact while the column has fewer distinct values than counters)';

------------------------------------------------------------------------
-- The column profile aggregate: every metric of a column in one pass
------------------------------------------------------------------------

CREATE FUNCTION dq.column_profile_trans(internal, anyelement) RETURNS internal
	AS 'MODULE_PATHNAME', 'dq_column_profile_trans' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dq.column_profile_combine(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'dq_column_profile_combine' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dq.column_profile_serialize(internal) RETURNS bytea
	AS 'MODULE_PATHNAME', 'dq_column_profile_serialize' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dq.column_profile_deserialize(bytea, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'dq_column_profile_deserialize' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dq.column_profile_final(internal) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'dq_column_profile_final' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;

CREATE AGGREGATE dq.column_profile(anyelement) (
	SFUNC = dq.column_profile_trans,
	STYPE = internal,
	FINALFUNC = dq.column_profile_final,
	COMBINEFUNC = dq.column_profile_combine,
	SERIALFUNC = dq.column_profile_serialize,
	DESERIALFUNC = dq.column_profile_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE dq.column_profile(anyelement) IS
	'Profile of one column as jsonb (counts, distinct, top values, min/max, moments, quantiles, histogram, lengths, patterns); the keys are the columns of dq.column_profiles';

-- every column of a row in one call: what dq.profile() runs
CREATE FUNCTION dq.row_profile_trans(internal, oid[], VARIADIC "any") RETURNS internal
	AS 'MODULE_PATHNAME', 'dq_row_profile_trans' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dq.row_profile_combine(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'dq_row_profile_combine' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dq.row_profile_serialize(internal) RETURNS bytea
	AS 'MODULE_PATHNAME', 'dq_row_profile_serialize' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dq.row_profile_deserialize(bytea, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'dq_row_profile_deserialize' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dq.row_profile_final(internal, oid[], VARIADIC "any") RETURNS jsonb
	AS 'MODULE_PATHNAME', 'dq_row_profile_final' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;

CREATE AGGREGATE dq.row_profile(oid[], VARIADIC "any") (
	SFUNC = dq.row_profile_trans,
	STYPE = internal,
	FINALFUNC = dq.row_profile_final,
	FINALFUNC_EXTRA,
	COMBINEFUNC = dq.row_profile_combine,
	SERIALFUNC = dq.row_profile_serialize,
	DESERIALFUNC = dq.row_profile_deserialize,
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
	relid			oid NOT NULL,
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
COMMENT ON COLUMN dq.profile_runs.relid IS 'OID of the profiled relation';
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
	relid			oid NOT NULL,
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
	true_count		bigint,
	false_count		bigint,
	PRIMARY KEY (run_id, attnum)
);
CREATE INDEX column_profiles_relid_idx ON dq.column_profiles (relid, attnum, run_id);

COMMENT ON TABLE dq.column_profiles IS 'One row per profiled column per run; metrics that do not apply to the column''s type are NULL';
COMMENT ON COLUMN dq.column_profiles.run_id IS 'Run this profile belongs to (dq.profile_runs)';
COMMENT ON COLUMN dq.column_profiles.relid IS 'OID of the profiled relation';
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
COMMENT ON COLUMN dq.column_profiles.true_count IS 'True values (boolean)';
COMMENT ON COLUMN dq.column_profiles.false_count IS 'False values (boolean)';

-- Profiles contain data (min, max, top values): show a row only to roles
-- that may read the profiled relation, or the profiled column.
REVOKE ALL ON dq.profile_runs, dq.column_profiles FROM PUBLIC;
GRANT SELECT ON dq.profile_runs, dq.column_profiles TO PUBLIC;
ALTER TABLE dq.profile_runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE dq.column_profiles ENABLE ROW LEVEL SECURITY;
CREATE POLICY profile_runs_readable ON dq.profile_runs FOR SELECT
	USING (pg_catalog.has_any_column_privilege(relid, 'SELECT'));
CREATE POLICY column_profiles_readable ON dq.column_profiles FOR SELECT
	USING (pg_catalog.has_column_privilege(relid, attnum, 'SELECT'));

-- Profile history is kept across pg_dump and restore.
SELECT pg_catalog.pg_extension_config_dump('dq.profile_runs', '');
SELECT pg_catalog.pg_extension_config_dump('dq.column_profiles', '');
SELECT pg_catalog.pg_extension_config_dump('dq.profile_run_id_seq', '');

CREATE VIEW dq.latest_profile WITH (security_invoker = true) AS
SELECT DISTINCT ON (p.relid, p.attnum)
	p.run_id,
	r.finished_at AS profiled_at,
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
LEFT JOIN pg_catalog.pg_class c ON c.oid = p.relid
LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_attribute a
	ON a.attrelid = p.relid AND a.attnum = p.attnum AND NOT a.attisdropped
ORDER BY p.relid, p.attnum, p.run_id DESC;

GRANT SELECT ON dq.latest_profile TO PUBLIC;
COMMENT ON VIEW dq.latest_profile IS 'Newest profile of every profiled column, with current relation and column names';
COMMENT ON COLUMN dq.latest_profile.run_id IS 'Run that produced this profile';
COMMENT ON COLUMN dq.latest_profile.profiled_at IS 'When that run finished';
COMMENT ON COLUMN dq.latest_profile.relid IS 'OID of the profiled relation';
COMMENT ON COLUMN dq.latest_profile.schema_name IS 'Current schema of the relation (the name at the time of the run if it was dropped)';
COMMENT ON COLUMN dq.latest_profile.table_name IS 'Current name of the relation (the name at the time of the run if it was dropped)';
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

------------------------------------------------------------------------
-- Row-level expectations (Great Expectations' names and semantics)
------------------------------------------------------------------------

CREATE FUNCTION dq.expectation_kinds_list(
	OUT kind text, OUT scope text, OUT required_params text[],
	OUT params text[], OUT description text)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'dq_expectation_kinds'
	LANGUAGE C STRICT STABLE PARALLEL SAFE;

CREATE VIEW dq.expectation_kinds AS
	SELECT kind, scope, required_params, params, description FROM dq.expectation_kinds_list();
GRANT SELECT ON dq.expectation_kinds TO PUBLIC;
COMMENT ON VIEW dq.expectation_kinds IS 'The expectation kinds dq.check() evaluates, with their parameters';
COMMENT ON COLUMN dq.expectation_kinds.kind IS 'Great Expectations'' name of the kind';
COMMENT ON COLUMN dq.expectation_kinds.scope IS 'column (one column), column_pair (column_A, column_B) or multicolumn (column_list)';
COMMENT ON COLUMN dq.expectation_kinds.required_params IS 'Parameters that must be given';
COMMENT ON COLUMN dq.expectation_kinds.params IS 'Every parameter the kind takes (result_format and meta are accepted by all)';
COMMENT ON COLUMN dq.expectation_kinds.description IS 'What the expectation asserts';

CREATE FUNCTION dq.check(rel regclass, kind text, column_name name DEFAULT NULL,
						 params jsonb DEFAULT '{}', mostly float8 DEFAULT NULL)
	RETURNS jsonb
	AS 'MODULE_PATHNAME', 'dq_check'
	LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE;
COMMENT ON FUNCTION dq.check(regclass, text, name, jsonb, float8) IS
	'Evaluate one row-level expectation on a relation and return the Great Expectations validation result; stores nothing';

CREATE FUNCTION dq.expect_rows_trans(internal, jsonb, name[], oid[], VARIADIC "any") RETURNS internal
	AS 'MODULE_PATHNAME', 'dq_expect_rows_trans' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dq.expect_rows_combine(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'dq_expect_rows_combine' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dq.expect_rows_serialize(internal) RETURNS bytea
	AS 'MODULE_PATHNAME', 'dq_expect_rows_serialize' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dq.expect_rows_deserialize(bytea, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'dq_expect_rows_deserialize' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dq.expect_rows_final(internal) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'dq_expect_rows_final' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;

CREATE AGGREGATE dq.expect_rows(jsonb, name[], oid[], VARIADIC "any") (
	SFUNC = dq.expect_rows_trans,
	STYPE = internal,
	FINALFUNC = dq.expect_rows_final,
	COMBINEFUNC = dq.expect_rows_combine,
	SERIALFUNC = dq.expect_rows_serialize,
	DESERIALFUNC = dq.expect_rows_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE dq.expect_rows(jsonb, name[], oid[], VARIADIC "any") IS
	'Evaluate row-level expectations on every row of a scan (used by dq.validate): rules, column names, column collations, then the columns';

------------------------------------------------------------------------
-- Stored expectations and validation history
------------------------------------------------------------------------

CREATE SEQUENCE dq.expectation_id_seq;
CREATE TABLE dq.expectations (
	expectation_id	bigint PRIMARY KEY DEFAULT nextval('dq.expectation_id_seq'),
	relid			oid NOT NULL,
	schema_name		name NOT NULL,
	table_name		name NOT NULL,
	kind			text NOT NULL,
	column_name		name,
	attnum			smallint,
	params			jsonb NOT NULL DEFAULT '{}',
	param_attnums	smallint[],
	mostly			float8,
	severity		text NOT NULL DEFAULT 'error' CHECK (severity IN ('error', 'warn')),
	name			text,
	tags			jsonb NOT NULL DEFAULT '[]' CHECK (pg_catalog.jsonb_typeof(tags) = 'array'),
	description		text,
	enabled			boolean NOT NULL DEFAULT true,
	status			text NOT NULL DEFAULT 'active',
	owner			name NOT NULL,
	created_at		timestamptz NOT NULL DEFAULT now()
);
ALTER SEQUENCE dq.expectation_id_seq OWNED BY dq.expectations.expectation_id;
CREATE INDEX expectations_relid_idx ON dq.expectations (relid);
COMMENT ON TABLE dq.expectations IS 'Expectations defined with dq.expect(); dq.validate() evaluates the enabled ones';
COMMENT ON COLUMN dq.expectations.expectation_id IS 'Identifier returned by dq.expect()';
COMMENT ON COLUMN dq.expectations.relid IS 'OID of the relation';
COMMENT ON COLUMN dq.expectations.schema_name IS 'Schema of the relation when the expectation was defined';
COMMENT ON COLUMN dq.expectations.table_name IS 'Name of the relation when the expectation was defined';
COMMENT ON COLUMN dq.expectations.kind IS 'Expectation kind (dq.expectation_kinds)';
COMMENT ON COLUMN dq.expectations.column_name IS 'Column at definition time (single-column kinds)';
COMMENT ON COLUMN dq.expectations.attnum IS 'Column number: the expectation follows renames of its column';
COMMENT ON COLUMN dq.expectations.params IS 'Parameters, with Great Expectations'' names';
COMMENT ON COLUMN dq.expectations.param_attnums IS 'Column numbers of the columns params names (column_A/column_B or column_list): the expectation follows their renames';
COMMENT ON COLUMN dq.expectations.mostly IS 'Fraction of non-NULL rows that must pass; NULL means 1';
COMMENT ON COLUMN dq.expectations.severity IS 'error (dq.validate(raise_on_failure => true) raises) or warn';
COMMENT ON COLUMN dq.expectations.name IS 'Optional name';
COMMENT ON COLUMN dq.expectations.tags IS 'Tags (a JSON array of strings); dq.validate(tags => ...) evaluates the expectations with any of them';
COMMENT ON COLUMN dq.expectations.description IS 'Free text';
COMMENT ON COLUMN dq.expectations.enabled IS 'Disabled expectations are kept but not evaluated';
COMMENT ON COLUMN dq.expectations.status IS 'active, or why the expectation cannot be evaluated';
COMMENT ON COLUMN dq.expectations.owner IS 'Role that defined the expectation';
COMMENT ON COLUMN dq.expectations.created_at IS 'When it was defined';

CREATE SEQUENCE dq.validation_run_id_seq;
CREATE TABLE dq.validation_runs (
	run_id			bigint PRIMARY KEY DEFAULT nextval('dq.validation_run_id_seq'),
	relid			oid NOT NULL,
	schema_name		name NOT NULL,
	table_name		name NOT NULL,
	started_at		timestamptz NOT NULL,
	finished_at		timestamptz NOT NULL,
	rows_scanned	bigint NOT NULL,
	evaluated		integer NOT NULL,
	succeeded		integer NOT NULL,
	failed			integer NOT NULL,
	run_by			name NOT NULL
);
ALTER SEQUENCE dq.validation_run_id_seq OWNED BY dq.validation_runs.run_id;
CREATE INDEX validation_runs_relid_idx ON dq.validation_runs (relid, run_id);
COMMENT ON TABLE dq.validation_runs IS 'One row per dq.validate() call';
COMMENT ON COLUMN dq.validation_runs.run_id IS 'Identifier returned by dq.validate()';
COMMENT ON COLUMN dq.validation_runs.relid IS 'OID of the validated relation';
COMMENT ON COLUMN dq.validation_runs.schema_name IS 'Schema at the time of the run';
COMMENT ON COLUMN dq.validation_runs.table_name IS 'Name at the time of the run';
COMMENT ON COLUMN dq.validation_runs.started_at IS 'Start of the run';
COMMENT ON COLUMN dq.validation_runs.finished_at IS 'End of the run';
COMMENT ON COLUMN dq.validation_runs.rows_scanned IS 'Rows read by the scan';
COMMENT ON COLUMN dq.validation_runs.evaluated IS 'Expectations evaluated';
COMMENT ON COLUMN dq.validation_runs.succeeded IS 'Expectations that succeeded';
COMMENT ON COLUMN dq.validation_runs.failed IS 'Expectations that failed';
COMMENT ON COLUMN dq.validation_runs.run_by IS 'Role that ran the validation';

CREATE TABLE dq.validation_results (
	run_id			bigint NOT NULL REFERENCES dq.validation_runs ON DELETE CASCADE,
	expectation_id	bigint NOT NULL,
	relid			oid NOT NULL,
	kind			text NOT NULL,
	column_name		name,
	severity		text NOT NULL,
	success			boolean NOT NULL,
	element_count	bigint,
	unexpected_count bigint,
	unexpected_percent float8,
	result			jsonb NOT NULL,
	PRIMARY KEY (run_id, expectation_id)
);
COMMENT ON TABLE dq.validation_results IS 'One row per expectation per validation run, with the Great Expectations validation result';
COMMENT ON COLUMN dq.validation_results.run_id IS 'The run (dq.validation_runs)';
COMMENT ON COLUMN dq.validation_results.expectation_id IS 'The expectation (dq.expectations)';
COMMENT ON COLUMN dq.validation_results.relid IS 'OID of the validated relation';
COMMENT ON COLUMN dq.validation_results.kind IS 'Expectation kind';
COMMENT ON COLUMN dq.validation_results.column_name IS 'Column name at the time of the run';
COMMENT ON COLUMN dq.validation_results.severity IS 'error or warn';
COMMENT ON COLUMN dq.validation_results.success IS 'Whether the expectation succeeded';
COMMENT ON COLUMN dq.validation_results.element_count IS 'Rows considered';
COMMENT ON COLUMN dq.validation_results.unexpected_count IS 'Rows that failed';
COMMENT ON COLUMN dq.validation_results.unexpected_percent IS 'unexpected / non-missing rows * 100';
COMMENT ON COLUMN dq.validation_results.result IS 'The Great Expectations validation result (success, expectation_config, result, exception_info, meta)';

REVOKE ALL ON dq.expectations, dq.validation_runs, dq.validation_results FROM PUBLIC;
GRANT SELECT ON dq.expectations, dq.validation_runs, dq.validation_results TO PUBLIC;
ALTER TABLE dq.expectations ENABLE ROW LEVEL SECURITY;
ALTER TABLE dq.validation_runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE dq.validation_results ENABLE ROW LEVEL SECURITY;
CREATE POLICY expectations_readable ON dq.expectations FOR SELECT
	USING (pg_catalog.has_any_column_privilege(relid, 'SELECT'));
CREATE POLICY validation_runs_readable ON dq.validation_runs FOR SELECT
	USING (pg_catalog.has_any_column_privilege(relid, 'SELECT'));
-- results carry failing values: readable by roles that may read the table
CREATE POLICY validation_results_readable ON dq.validation_results FOR SELECT
	USING (pg_catalog.has_table_privilege(relid, 'SELECT'));

SELECT pg_catalog.pg_extension_config_dump('dq.expectations', '');
SELECT pg_catalog.pg_extension_config_dump('dq.expectation_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('dq.validation_runs', '');
SELECT pg_catalog.pg_extension_config_dump('dq.validation_results', '');
SELECT pg_catalog.pg_extension_config_dump('dq.validation_run_id_seq', '');

CREATE FUNCTION dq.expect(rel regclass, kind text, column_name name DEFAULT NULL,
						  params jsonb DEFAULT '{}', mostly float8 DEFAULT NULL,
						  severity text DEFAULT 'error', name text DEFAULT NULL)
	RETURNS bigint
	AS 'MODULE_PATHNAME', 'dq_expect'
	LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE;
COMMENT ON FUNCTION dq.expect(regclass, text, name, jsonb, float8, text, text) IS
	'Define an expectation on a relation (checked now: kind, column, parameters, regexes); returns its id';

CREATE FUNCTION dq.set_expectation_enabled(expectation_id bigint, enabled boolean)
	RETURNS void
	AS 'MODULE_PATHNAME', 'dq_set_expectation_enabled'
	LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE;
COMMENT ON FUNCTION dq.set_expectation_enabled(bigint, boolean) IS 'Enable or disable an expectation';

CREATE FUNCTION dq.alter_expectation(expectation_id bigint, enabled boolean DEFAULT NULL,
									 tags jsonb DEFAULT NULL, description text DEFAULT NULL,
									 severity text DEFAULT NULL, name text DEFAULT NULL)
	RETURNS void
	AS 'MODULE_PATHNAME', 'dq_alter_expectation'
	LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE;
COMMENT ON FUNCTION dq.alter_expectation(bigint, boolean, jsonb, text, text, text) IS
	'Change an expectation''s enabled flag, tags, description, severity or name (NULL keeps the current value)';

CREATE FUNCTION dq.drop_expectation(expectation_id bigint)
	RETURNS void
	AS 'MODULE_PATHNAME', 'dq_drop_expectation'
	LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE;
COMMENT ON FUNCTION dq.drop_expectation(bigint) IS 'Delete an expectation (its past results stay)';

CREATE FUNCTION dq.validate(rel regclass, tags text[] DEFAULT NULL,
							raise_on_failure boolean DEFAULT false)
	RETURNS bigint
	AS 'MODULE_PATHNAME', 'dq_validate'
	LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE;
COMMENT ON FUNCTION dq.validate(regclass, text[], boolean) IS
	'Evaluate the enabled expectations of a relation in one scan, store the results, return the run id';

CREATE VIEW dq.validation_summary WITH (security_invoker = true) AS
SELECT r.run_id, r.schema_name, r.table_name, r.finished_at, r.rows_scanned,
	   r.evaluated, r.succeeded, r.failed,
	   round(100.0 * r.succeeded / nullif(r.evaluated, 0), 2) AS success_percent
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
COMMENT ON COLUMN dq.validation_summary.success_percent IS 'succeeded / evaluated * 100';

CREATE VIEW dq.latest_validation WITH (security_invoker = true) AS
SELECT DISTINCT ON (v.expectation_id)
	   v.expectation_id, e.name, r.schema_name, r.table_name, v.kind, v.column_name,
	   v.severity, v.success, v.element_count, v.unexpected_count, v.unexpected_percent,
	   v.run_id, r.finished_at AS validated_at, v.result
  FROM dq.validation_results v
  JOIN dq.validation_runs r ON r.run_id = v.run_id
  LEFT JOIN dq.expectations e ON e.expectation_id = v.expectation_id
 ORDER BY v.expectation_id, v.run_id DESC;
GRANT SELECT ON dq.latest_validation TO PUBLIC;
COMMENT ON VIEW dq.latest_validation IS 'The latest result of every expectation';
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
)
SELECT coalesce(n.nspname, l.schema_name) AS schema_name,
	   coalesce(c.relname, l.table_name) AS table_name,
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
  LEFT JOIN pg_catalog.pg_class c ON c.oid = l.relid
  LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace;
GRANT SELECT ON dq.quality_scorecard TO PUBLIC;
COMMENT ON VIEW dq.quality_scorecard IS 'Per validated table: expectations, the last run, open failures and the success rate over the last 10 runs';
COMMENT ON COLUMN dq.quality_scorecard.schema_name IS 'Schema of the table';
COMMENT ON COLUMN dq.quality_scorecard.table_name IS 'Table';
COMMENT ON COLUMN dq.quality_scorecard.relid IS 'OID of the table';
COMMENT ON COLUMN dq.quality_scorecard.expectations IS 'Enabled expectations';
COMMENT ON COLUMN dq.quality_scorecard.last_run_id IS 'Latest validation run';
COMMENT ON COLUMN dq.quality_scorecard.last_run_at IS 'When it finished';
COMMENT ON COLUMN dq.quality_scorecard.open_failures IS 'Expectations that failed in the latest run';
COMMENT ON COLUMN dq.quality_scorecard.last_success_percent IS 'Success percentage of the latest run';
COMMENT ON COLUMN dq.quality_scorecard.success_percent_last_10_runs IS 'Success percentage over the last 10 runs';
COMMENT ON COLUMN dq.quality_scorecard.runs IS 'Validation runs recorded';

CREATE FUNCTION dq.validate_all(raise_on_failure boolean DEFAULT false)
	RETURNS TABLE (relid regclass, run_id bigint)
	LANGUAGE plpgsql VOLATILE
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	-- every relation with enabled expectations that the caller may read
	FOR relid IN
		SELECT DISTINCT e.relid::regclass FROM dq.expectations e
		 WHERE e.enabled AND EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = e.relid)
		 ORDER BY 1
	LOOP
		run_id := dq.validate(relid, NULL, raise_on_failure);
		RETURN NEXT;
	END LOOP;
END
$$;
COMMENT ON FUNCTION dq.validate_all(boolean) IS 'dq.validate() every relation that has enabled expectations; one row per run';

-- Expectations of dropped relations and columns are disabled with a status.
CREATE FUNCTION dq.on_sql_drop() RETURNS event_trigger
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF pg_catalog.to_regclass('dq.expectations') IS NULL THEN
		RETURN;					-- the extension itself is being dropped
	END IF;
	UPDATE dq.expectations e
	   SET enabled = false, status = 'relation dropped'
	  FROM pg_catalog.pg_event_trigger_dropped_objects() d
	 WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
	   AND d.objsubid = 0 AND e.relid = d.objid AND e.status = 'active';
	UPDATE dq.expectations e
	   SET enabled = false, status = 'column dropped'
	  FROM pg_catalog.pg_event_trigger_dropped_objects() d
	 WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
	   AND d.objsubid <> 0 AND e.relid = d.objid
	   AND (e.attnum = d.objsubid OR d.objsubid = ANY (e.param_attnums))
	   AND e.status = 'active';
END
$$;
REVOKE ALL ON FUNCTION dq.on_sql_drop() FROM PUBLIC;
CREATE EVENT TRIGGER dq_lineage_sql_drop ON sql_drop EXECUTE FUNCTION dq.on_sql_drop();

-- Suggestions from the latest profile (dq.profile) of a relation.
CREATE FUNCTION dq.profile_suggestions(rel regclass)
	RETURNS TABLE (kind text, column_name name, params jsonb, mostly float8,
				   reason text)
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	p record;
	nonnull bigint;
	span numeric;
	pat text;
	regex text;
BEGIN
	IF rel IS NULL THEN
		RAISE EXCEPTION USING ERRCODE = 'null_value_not_allowed',
			MESSAGE = 'rel must not be NULL', HINT = 'Name the relation, for example ''public.orders''.';
	END IF;
	IF NOT EXISTS (SELECT 1 FROM dq.latest_profile l WHERE l.relid = rel) THEN
		RAISE EXCEPTION USING ERRCODE = 'object_not_in_prerequisite_state',
			MESSAGE = format('relation %s has no profile', rel),
			HINT = format('Run SELECT dq.profile(%L) first.', rel::text);
	END IF;
	FOR p IN SELECT * FROM dq.latest_profile l WHERE l.relid = rel AND l.row_count > 0 ORDER BY l.attnum
	LOOP
		nonnull := p.row_count - p.null_count;
		column_name := p.column_name;
		mostly := NULL;
		IF p.null_count = 0 THEN
			kind := 'expect_column_values_to_not_be_null'; params := '{}';
			reason := format('no NULL in %s rows', p.row_count);
			RETURN NEXT;
		END IF;
		IF nonnull > 1 AND p.distinct_count >= nonnull THEN
			kind := 'expect_column_values_to_be_unique'; params := '{}';
			reason := format('%s distinct values in %s non-NULL rows', p.distinct_count, nonnull);
			RETURN NEXT;
		ELSIF p.top_values_exact AND p.distinct_count BETWEEN 1 AND 10 AND p.type_family <> 'boolean' THEN
			kind := 'expect_column_values_to_be_in_set';
			params := jsonb_build_object('value_set',
						(SELECT jsonb_agg(t ->> 'value' ORDER BY t ->> 'value') FROM jsonb_array_elements(p.top_values) t));
			reason := format('%s distinct values', p.distinct_count);
			RETURN NEXT;
		END IF;
		IF p.type_family = 'numeric' AND p.min_value IS NOT NULL AND p.nan_count = 0
		   AND p.infinity_count = 0 THEN
			span := p.max_value::numeric - p.min_value::numeric;
			kind := 'expect_column_values_to_be_between';
			IF p.data_type IN ('smallint', 'integer', 'bigint') THEN
				params := jsonb_build_object('min_value', floor(p.min_value::numeric - span / 10),
											 'max_value', ceil(p.max_value::numeric + span / 10));
			ELSE
				params := jsonb_build_object('min_value', round(p.min_value::numeric - span / 10, 6),
											 'max_value', round(p.max_value::numeric + span / 10, 6));
			END IF;
			reason := format('observed range [%s, %s], widened by 10%%', p.min_value, p.max_value);
			RETURN NEXT;
		ELSIF p.type_family = 'datetime' AND p.min_value IS NOT NULL AND p.infinity_count = 0 THEN
			kind := 'expect_column_values_to_be_between';
			params := jsonb_build_object('min_value', p.min_value, 'max_value', p.max_value);
			reason := 'observed range';
			RETURN NEXT;
		END IF;
		IF p.type_family = 'text' AND nonnull > 0 THEN
			kind := 'expect_column_value_lengths_to_be_between';
			params := jsonb_build_object('min_value', p.min_length, 'max_value', p.max_length);
			reason := format('observed lengths %s to %s', p.min_length, p.max_length);
			RETURN NEXT;
			-- a dominant value pattern (95% of the values) becomes a regex
			SELECT x.key INTO pat FROM jsonb_each_text(p.patterns) x
			 WHERE x.key NOT IN ('upper', 'lower') AND x.value::bigint >= 0.95 * nonnull
			 ORDER BY x.value::bigint DESC, x.key LIMIT 1;
			IF pat IS NOT NULL THEN
				regex := CASE pat
					WHEN 'integer' THEN '^[+-]?[0-9]+$'
					WHEN 'decimal' THEN '^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$'
					WHEN 'iso_date' THEN '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'
					WHEN 'iso_timestamp' THEN '^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}'
					WHEN 'uuid' THEN '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
					WHEN 'email' THEN '^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$'
					WHEN 'url' THEN '^(https?|ftp)://[^[:space:]]+$'
					WHEN 'ipv4' THEN '^[0-9]{1,3}(\.[0-9]{1,3}){3}$'
				END;
				kind := 'expect_column_values_to_match_regex';
				params := jsonb_build_object('regex', regex);
				mostly := 0.95;
				reason := format('%s of %s values look like %s', (p.patterns ->> pat), nonnull, pat);
				RETURN NEXT;
				mostly := NULL;
			END IF;
		END IF;
	END LOOP;
	RETURN;
END
$$;
COMMENT ON FUNCTION dq.profile_suggestions(regclass) IS
	'The rules behind dq.suggest_expectations()';

CREATE FUNCTION dq.suggest_expectations(rel regclass)
	RETURNS TABLE (kind text, column_name name, params jsonb, mostly float8,
				   reason text, expect_call text)
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT s.kind, s.column_name, s.params, s.mostly, s.reason,
		   format('SELECT dq.expect(%L, %L, %L, %L%s);', rel::text, s.kind, s.column_name,
				  s.params::text,
				  CASE WHEN s.mostly IS NULL THEN '' ELSE format(', mostly => %s', s.mostly) END)
	  FROM dq.profile_suggestions(rel) s
$$;
COMMENT ON FUNCTION dq.suggest_expectations(regclass) IS
	'Expectations suggested by the latest profile of a relation (not-null, unique, value sets, ranges, lengths, patterns), each with the dq.expect() call that creates it';

CREATE FUNCTION dq.apply_suggestions(rel regclass)
	RETURNS integer
	LANGUAGE plpgsql VOLATILE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	s record;
	n integer := 0;
BEGIN
	FOR s IN SELECT * FROM dq.suggest_expectations(rel) LOOP
		PERFORM dq.expect(rel, s.kind, s.column_name, s.params, s.mostly);
		n := n + 1;
	END LOOP;
	RETURN n;
END
$$;
COMMENT ON FUNCTION dq.apply_suggestions(regclass) IS 'Create every expectation dq.suggest_expectations() suggests; returns how many';

------------------------------------------------------------------------
-- Scheduler: jobs on cron or interval schedules, run by background workers
------------------------------------------------------------------------

CREATE FUNCTION dq.cron_next(schedule text, after timestamptz DEFAULT now(),
		timezone text DEFAULT NULL, anchor timestamptz DEFAULT NULL)
	RETURNS timestamptz
	AS 'MODULE_PATHNAME', 'dq_cron_next' LANGUAGE C STABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION dq.cron_next(text, timestamptz, text, timestamptz) IS
	'First time strictly after "after" at which a schedule (cron expression, @shortcut or interval) fires, in the given time zone (default dq_lineage.timezone, else TimeZone); interval schedules fire at anchor + k * interval (default anchor: after); the scheduler uses the same function';

CREATE SEQUENCE dq.job_id_seq;
CREATE TABLE dq.jobs (
	job_id			bigint PRIMARY KEY DEFAULT nextval('dq.job_id_seq'),
	job_name		text NOT NULL UNIQUE,
	schedule		text NOT NULL,
	timezone		text,
	command			text NOT NULL,
	database		name,
	owner			regrole NOT NULL,
	superuser		boolean NOT NULL,
	enabled			boolean NOT NULL DEFAULT true,
	statement_timeout interval,
	schedule_anchor	timestamptz NOT NULL DEFAULT now(),
	created_at		timestamptz NOT NULL DEFAULT now(),
	updated_at		timestamptz NOT NULL DEFAULT now()
);
ALTER SEQUENCE dq.job_id_seq OWNED BY dq.jobs.job_id;
COMMENT ON TABLE dq.jobs IS 'Scheduled jobs (dq.schedule); each runs as its owner in this database';
COMMENT ON COLUMN dq.jobs.job_id IS 'Identifier returned by dq.schedule()';
COMMENT ON COLUMN dq.jobs.job_name IS 'Name, unique in the database';
COMMENT ON COLUMN dq.jobs.schedule IS 'Cron expression (5 fields), @shortcut or interval such as 30 seconds';
COMMENT ON COLUMN dq.jobs.timezone IS 'Time zone of a cron schedule; NULL means dq_lineage.timezone, else the server''s TimeZone';
COMMENT ON COLUMN dq.jobs.command IS 'SQL run at each tick (one or more statements, as in a simple query)';
COMMENT ON COLUMN dq.jobs.database IS 'Database the command runs in; NULL means this one';
COMMENT ON COLUMN dq.jobs.owner IS 'Role that scheduled the job; runs have exactly its rights';
COMMENT ON COLUMN dq.jobs.superuser IS 'Whether the owner was a superuser when the job was scheduled';
COMMENT ON COLUMN dq.jobs.enabled IS 'Disabled jobs are kept but not run';
COMMENT ON COLUMN dq.jobs.statement_timeout IS 'statement_timeout of each run; NULL means the role''s and server''s setting';
COMMENT ON COLUMN dq.jobs.schedule_anchor IS 'Interval schedules fire at schedule_anchor + k * interval; set when the schedule changes';
COMMENT ON COLUMN dq.jobs.created_at IS 'When the job was first scheduled';
COMMENT ON COLUMN dq.jobs.updated_at IS 'When the job was last changed';

CREATE SEQUENCE dq.job_run_id_seq;
CREATE TABLE dq.job_runs (
	run_id			bigint PRIMARY KEY DEFAULT nextval('dq.job_run_id_seq'),
	job_id			bigint NOT NULL REFERENCES dq.jobs ON DELETE CASCADE,
	scheduled_at	timestamptz NOT NULL,
	started_at		timestamptz,
	ended_at		timestamptz,
	status			text NOT NULL
		CHECK (status IN ('starting', 'running', 'succeeded', 'failed', 'skipped')),
	worker_pid		integer,
	command_tag		text,
	rows			bigint,
	sqlstate		text,
	message			text
);
ALTER SEQUENCE dq.job_run_id_seq OWNED BY dq.job_runs.run_id;
CREATE INDEX job_runs_job_idx ON dq.job_runs (job_id, scheduled_at);
CREATE INDEX job_runs_open_idx ON dq.job_runs (status) WHERE status IN ('starting', 'running');
COMMENT ON TABLE dq.job_runs IS 'One row per tick of a job: its run, or why it was skipped; pruned after dq_lineage.job_run_retention';
COMMENT ON COLUMN dq.job_runs.run_id IS 'Identifier of the run';
COMMENT ON COLUMN dq.job_runs.job_id IS 'The job (dq.jobs)';
COMMENT ON COLUMN dq.job_runs.scheduled_at IS 'The tick: when the run was due';
COMMENT ON COLUMN dq.job_runs.started_at IS 'When the job worker began executing the command';
COMMENT ON COLUMN dq.job_runs.ended_at IS 'When the run ended (or was skipped)';
COMMENT ON COLUMN dq.job_runs.status IS 'starting, running, succeeded, failed or skipped';
COMMENT ON COLUMN dq.job_runs.worker_pid IS 'Process id of the job worker';
COMMENT ON COLUMN dq.job_runs.command_tag IS 'Command tag of the last statement, such as INSERT 0 5';
COMMENT ON COLUMN dq.job_runs.rows IS 'Rows processed by the last statement';
COMMENT ON COLUMN dq.job_runs.sqlstate IS 'SQLSTATE of the error of a failed run';
COMMENT ON COLUMN dq.job_runs.message IS 'Error message (with detail, hint and context) of a failed run, or why a tick was skipped';

REVOKE ALL ON dq.jobs, dq.job_runs FROM PUBLIC;
GRANT SELECT ON dq.jobs, dq.job_runs TO PUBLIC;
ALTER TABLE dq.jobs ENABLE ROW LEVEL SECURITY;
ALTER TABLE dq.job_runs ENABLE ROW LEVEL SECURITY;
CREATE POLICY jobs_own ON dq.jobs FOR SELECT
	USING (pg_catalog.pg_has_role(owner, 'USAGE'));
CREATE POLICY job_runs_own ON dq.job_runs FOR SELECT
	USING (EXISTS (SELECT 1 FROM dq.jobs j WHERE j.job_id = job_runs.job_id));
SELECT pg_catalog.pg_extension_config_dump('dq.jobs', '');
SELECT pg_catalog.pg_extension_config_dump('dq.job_id_seq', '');

CREATE FUNCTION dq.schedule(job_name text, schedule text, command text,
		timezone text DEFAULT NULL, database name DEFAULT NULL)
	RETURNS bigint
	AS 'MODULE_PATHNAME', 'dq_schedule' LANGUAGE C CALLED ON NULL INPUT;
COMMENT ON FUNCTION dq.schedule(text, text, text, text, name) IS
	'Schedule a command to run as the current user (cron expression, @shortcut or interval), in this database or in the one named; the same name again updates the job; returns the job id';

CREATE FUNCTION dq.unschedule(job_name text)
	RETURNS boolean
	AS 'MODULE_PATHNAME', 'dq_unschedule' LANGUAGE C CALLED ON NULL INPUT;
COMMENT ON FUNCTION dq.unschedule(text) IS 'Delete one of your jobs and its run history';

CREATE FUNCTION dq.alter_job(job_name text, schedule text DEFAULT NULL,
		command text DEFAULT NULL, enabled boolean DEFAULT NULL,
		timezone text DEFAULT NULL, statement_timeout interval DEFAULT NULL,
		database name DEFAULT NULL)
	RETURNS bigint
	AS 'MODULE_PATHNAME', 'dq_alter_job' LANGUAGE C CALLED ON NULL INPUT;
COMMENT ON FUNCTION dq.alter_job(text, text, text, boolean, text, interval, name) IS
	'Change one of your jobs: what is not NULL is set (timezone '''', statement_timeout 0 and database '''' go back to the defaults)';

CREATE FUNCTION dq.schedule_table_job(rel regclass, schedule text, action text)
	RETURNS bigint LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	qualified text;
BEGIN
	IF rel IS NULL THEN
		RAISE EXCEPTION 'relation must not be NULL' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF action IS NULL OR action NOT IN ('profile', 'validate') THEN
		RAISE EXCEPTION 'action must be profile or validate' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF NOT has_table_privilege(rel, 'SELECT') THEN
		RAISE EXCEPTION 'permission denied for table %', rel
			USING ERRCODE = 'insufficient_privilege',
				  HINT = 'A scheduled ' || CASE action WHEN 'profile' THEN 'profile' ELSE 'validation' END
						 || ' runs as you: you need SELECT on the table.';
	END IF;
	SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) INTO qualified
	  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = rel;
	RETURN dq.schedule(action || ' ' || qualified, schedule,
					   format('SELECT dq.%s(%L)', action, qualified));
END
$$;
COMMENT ON FUNCTION dq.schedule_table_job(regclass, text, text) IS
	'Schedule dq.profile (action profile) or dq.validate (action validate) of a table, in a job named "<action> <schema>.<table>"; dq.schedule_profile and dq.schedule_validation call it';

CREATE FUNCTION dq.schedule_profile(rel regclass, schedule text)
	RETURNS bigint LANGUAGE sql
	AS $$ SELECT dq.schedule_table_job(rel, schedule, 'profile') $$;
COMMENT ON FUNCTION dq.schedule_profile(regclass, text) IS
	'Schedule dq.profile of a table; the job is named "profile <schema>.<table>"';

CREATE FUNCTION dq.schedule_validation(rel regclass, schedule text)
	RETURNS bigint LANGUAGE sql
	AS $$ SELECT dq.schedule_table_job(rel, schedule, 'validate') $$;
COMMENT ON FUNCTION dq.schedule_validation(regclass, text) IS
	'Schedule dq.validate of a table; the job is named "validate <schema>.<table>"';

CREATE FUNCTION dq.start_scheduler() RETURNS boolean
	AS 'MODULE_PATHNAME', 'dq_start_scheduler' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dq.start_scheduler() IS
	'Ask the launcher to (re)start this database''s scheduler when the transaction commits; false when dq_lineage is not preloaded';

CREATE FUNCTION dq.scheduler_status(OUT launcher_pid integer, OUT scheduler_pid integer,
		OUT state text, OUT enabled boolean)
	AS 'MODULE_PATHNAME', 'dq_scheduler_status' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dq.scheduler_status() IS
	'Process ids of the launcher and of this database''s scheduler, and the scheduler''s state';

CREATE VIEW dq.job_status WITH (security_invoker = true) AS
SELECT j.job_id, j.job_name, j.owner, j.superuser, j.enabled, j.schedule, j.statement_timeout,
	   coalesce(j.database, current_database()) AS database,
	   coalesce(j.timezone, nullif(current_setting('dq_lineage.timezone', true), ''),
				current_setting('TimeZone')) AS timezone,
	   CASE WHEN j.enabled THEN dq.cron_next(j.schedule, now(), j.timezone, j.schedule_anchor) END
		   AS next_run,
	   last.status AS last_status, last.scheduled_at AS last_scheduled_at,
	   last.started_at AS last_started_at, last.ended_at AS last_ended_at,
	   last.message AS last_message,
	   (SELECT count(*) FROM dq.job_runs r WHERE r.job_id = j.job_id AND r.status = 'failed') AS failed_runs,
	   (SELECT count(*) FROM dq.job_runs r WHERE r.job_id = j.job_id AND r.status = 'skipped') AS skipped_runs,
	   j.command
  FROM dq.jobs j
  LEFT JOIN LATERAL (SELECT r.* FROM dq.job_runs r WHERE r.job_id = j.job_id
					 ORDER BY r.scheduled_at DESC, r.run_id DESC LIMIT 1) last ON true;
COMMENT ON VIEW dq.job_status IS 'Your jobs with their next run time and last run';
COMMENT ON COLUMN dq.job_status.job_id IS 'Identifier of the job';
COMMENT ON COLUMN dq.job_status.job_name IS 'Name of the job';
COMMENT ON COLUMN dq.job_status.owner IS 'Role the job runs as';
COMMENT ON COLUMN dq.job_status.superuser IS 'Whether the owner was a superuser when the job was scheduled';
COMMENT ON COLUMN dq.job_status.enabled IS 'Disabled jobs are not run';
COMMENT ON COLUMN dq.job_status.schedule IS 'Cron expression, @shortcut or interval';
COMMENT ON COLUMN dq.job_status.database IS 'Database the command runs in';
COMMENT ON COLUMN dq.job_status.statement_timeout IS 'statement_timeout of each run (NULL: the role''s and server''s setting)';
COMMENT ON COLUMN dq.job_status.timezone IS 'Time zone the schedule is evaluated in';
COMMENT ON COLUMN dq.job_status.next_run IS 'Next tick (NULL when disabled or when a cron schedule never fires)';
COMMENT ON COLUMN dq.job_status.last_status IS 'Status of the latest tick: succeeded, failed, skipped, starting or running';
COMMENT ON COLUMN dq.job_status.last_scheduled_at IS 'When the latest tick was due';
COMMENT ON COLUMN dq.job_status.last_started_at IS 'When its run started';
COMMENT ON COLUMN dq.job_status.last_ended_at IS 'When its run ended';
COMMENT ON COLUMN dq.job_status.last_message IS 'Error of the latest run, or why it was skipped';
COMMENT ON COLUMN dq.job_status.failed_runs IS 'Failed runs in the kept history';
COMMENT ON COLUMN dq.job_status.skipped_runs IS 'Skipped ticks in the kept history';
COMMENT ON COLUMN dq.job_status.command IS 'The SQL the job runs';
GRANT SELECT ON dq.job_status TO PUBLIC;

-- Start this database's scheduler when CREATE EXTENSION commits.
SELECT dq.start_scheduler();

------------------------------------------------------------------------
-- Change validation: the dq_lineage output plugin and its worker
------------------------------------------------------------------------

-- The output plugin reads the expectations under the historic snapshot of
-- each decoded change: only catalogs and user catalog tables may be read so.
ALTER TABLE dq.expectations SET (user_catalog_table = true);

CREATE TABLE dq.watched_tables (
	relid			oid PRIMARY KEY,
	schema_name		name NOT NULL,
	table_name		name NOT NULL,
	owner			name NOT NULL,
	watched_at		timestamptz NOT NULL DEFAULT now(),
	quarantine		oid
) WITH (user_catalog_table = true);
COMMENT ON TABLE dq.watched_tables IS 'Tables whose committed changes are validated (dq.watch); a partitioned table covers its partitions';
COMMENT ON COLUMN dq.watched_tables.relid IS 'OID of the watched table';
COMMENT ON COLUMN dq.watched_tables.schema_name IS 'Schema of the table when it was watched';
COMMENT ON COLUMN dq.watched_tables.table_name IS 'Name of the table when it was watched';
COMMENT ON COLUMN dq.watched_tables.owner IS 'Role that called dq.watch()';
COMMENT ON COLUMN dq.watched_tables.watched_at IS 'When dq.watch() was called';
COMMENT ON COLUMN dq.watched_tables.quarantine IS 'OID of the table the violating rows are copied to (dq.quarantine_<relid>), NULL when there is none';

CREATE TABLE dq.cdc_state (
	slot_name		name PRIMARY KEY,
	processed_lsn	pg_lsn NOT NULL,
	changes_checked	bigint NOT NULL DEFAULT 0,
	violations_found bigint NOT NULL DEFAULT 0,
	toast_skipped	bigint NOT NULL DEFAULT 0,
	last_commit_time timestamptz,
	changes_per_second float8,
	last_error		text,
	last_error_at	timestamptz,
	updated_at		timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE dq.cdc_state IS 'Progress of the change validation worker, written in the same transaction as the violations it found';
COMMENT ON COLUMN dq.cdc_state.slot_name IS 'Replication slot consumed (dq_lineage_<database oid>)';
COMMENT ON COLUMN dq.cdc_state.processed_lsn IS 'WAL position up to which every committed change has been validated and recorded';
COMMENT ON COLUMN dq.cdc_state.changes_checked IS 'Changes (INSERT, UPDATE, DELETE, TRUNCATE) of watched tables decoded';
COMMENT ON COLUMN dq.cdc_state.violations_found IS 'Violations recorded in dq.violations';
COMMENT ON COLUMN dq.cdc_state.toast_skipped IS 'Checks skipped because an UPDATE left a TOASTed value unchanged (it is not in the WAL)';
COMMENT ON COLUMN dq.cdc_state.last_commit_time IS 'Commit time of the last validated transaction that changed a watched table';
COMMENT ON COLUMN dq.cdc_state.changes_per_second IS 'Changes of watched tables validated per second over the last minute';
COMMENT ON COLUMN dq.cdc_state.last_error IS 'Last error of the worker (it retries)';
COMMENT ON COLUMN dq.cdc_state.last_error_at IS 'When the last error happened';
COMMENT ON COLUMN dq.cdc_state.updated_at IS 'Last time the worker recorded a batch';

CREATE SEQUENCE dq.violation_id_seq;
CREATE TABLE dq.violations (
	violation_id	bigint PRIMARY KEY DEFAULT nextval('dq.violation_id_seq'),
	expectation_id	bigint NOT NULL,
	relid			oid NOT NULL,
	schema_name		name,
	table_name		name,
	operation		text NOT NULL,
	lsn				pg_lsn NOT NULL,
	change_seq		integer NOT NULL,
	xid				bigint NOT NULL,
	commit_time		timestamptz NOT NULL,
	detected_at		timestamptz NOT NULL DEFAULT clock_timestamp(),
	unexpected		jsonb,
	row_image		jsonb,
	UNIQUE (lsn, change_seq, expectation_id)
);
ALTER SEQUENCE dq.violation_id_seq OWNED BY dq.violations.violation_id;
CREATE INDEX violations_relid_idx ON dq.violations (relid, violation_id);
COMMENT ON TABLE dq.violations IS 'Committed changes of watched tables that failed a row-level expectation, each recorded exactly once';
COMMENT ON COLUMN dq.violations.violation_id IS 'Identifier (also in the dq_violation notification)';
COMMENT ON COLUMN dq.violations.expectation_id IS 'The expectation that failed (dq.expectations)';
COMMENT ON COLUMN dq.violations.relid IS 'OID of the changed table (the partition, for a partitioned table)';
COMMENT ON COLUMN dq.violations.schema_name IS 'Schema of the changed table when the violation was recorded';
COMMENT ON COLUMN dq.violations.table_name IS 'Name of the changed table when the violation was recorded';
COMMENT ON COLUMN dq.violations.operation IS 'INSERT or UPDATE';
COMMENT ON COLUMN dq.violations.lsn IS 'WAL position of the commit record of the transaction';
COMMENT ON COLUMN dq.violations.change_seq IS 'Number of the change within its transaction (1 = first)';
COMMENT ON COLUMN dq.violations.xid IS 'Transaction ID of the change';
COMMENT ON COLUMN dq.violations.commit_time IS 'Commit time of the transaction';
COMMENT ON COLUMN dq.violations.detected_at IS 'When the worker recorded the violation';
COMMENT ON COLUMN dq.violations.unexpected IS 'The offending value(s), shaped as in dq.validate results';
COMMENT ON COLUMN dq.violations.row_image IS 'The new row, column name to text value; NULL when dq_lineage.capture_row_images is off or the expectation''s owner may not read the whole table; unchanged TOAST values are left out and listed under unchanged_toast';

REVOKE ALL ON dq.watched_tables, dq.cdc_state, dq.violations FROM PUBLIC;
GRANT SELECT ON dq.watched_tables, dq.cdc_state, dq.violations TO PUBLIC;
ALTER TABLE dq.violations ENABLE ROW LEVEL SECURITY;
-- violations carry row values: readable by roles that may read the table
CREATE POLICY violations_readable ON dq.violations FOR SELECT
	USING (pg_catalog.has_table_privilege(relid, 'SELECT'));

SELECT pg_catalog.pg_extension_config_dump('dq.watched_tables', '');
SELECT pg_catalog.pg_extension_config_dump('dq.violations', '');
SELECT pg_catalog.pg_extension_config_dump('dq.violation_id_seq', '');

CREATE FUNCTION dq.watch(rel regclass, quarantine boolean DEFAULT false) RETURNS void
	AS 'MODULE_PATHNAME', 'dq_watch' LANGUAGE C STRICT;
COMMENT ON FUNCTION dq.watch(regclass, boolean) IS 'Validate every committed INSERT and UPDATE of the table against its row-level expectations; with quarantine, also copy the violating rows to dq.quarantine_<relid> (needs the library preloaded, wal_level = logical; the first call of a database creates its replication slot and must not follow a write in the same transaction)';

CREATE FUNCTION dq.unwatch(rel regclass) RETURNS boolean
	AS 'MODULE_PATHNAME', 'dq_unwatch' LANGUAGE C STRICT;
COMMENT ON FUNCTION dq.unwatch(regclass) IS 'Stop validating the table''s changes; unwatching the last table drops the replication slot. Returns whether the table was watched';

CREATE FUNCTION dq.cdc_start() RETURNS void
	AS 'MODULE_PATHNAME', 'dq_cdc_start' LANGUAGE C STRICT;
COMMENT ON FUNCTION dq.cdc_start() IS 'Start the change validation worker of this database now if tables are watched and none runs';

CREATE FUNCTION dq.cdc_expectations_changed() RETURNS trigger
	AS 'MODULE_PATHNAME', 'dq_cdc_expectations_changed' LANGUAGE C;
COMMENT ON FUNCTION dq.cdc_expectations_changed() IS 'Trigger: tells the change validation decoder that a relation''s expectations changed';
REVOKE ALL ON FUNCTION dq.cdc_expectations_changed() FROM PUBLIC;
CREATE TRIGGER expectations_cdc AFTER INSERT OR UPDATE OR DELETE ON dq.expectations
	FOR EACH ROW EXECUTE FUNCTION dq.cdc_expectations_changed();

CREATE VIEW dq.cdc_status AS
SELECT st.slot_name,
	   (SELECT pg_catalog.count(*) FROM dq.watched_tables) AS watched_tables,
	   s.active_pid AS worker_pid,
	   s.confirmed_flush_lsn,
	   st.processed_lsn,
	   pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), s.confirmed_flush_lsn)::bigint AS lag_bytes,
	   CASE WHEN pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), s.confirmed_flush_lsn) > 0
				 AND st.last_commit_time IS NOT NULL
			THEN pg_catalog.date_part('epoch', pg_catalog.now() OPERATOR(pg_catalog.-) st.last_commit_time)
			ELSE 0 END AS lag_seconds,
	   pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), s.confirmed_flush_lsn) >
		 pg_catalog.pg_size_bytes(coalesce(pg_catalog.current_setting('dq_lineage.cdc_max_lag', true), '1GB'))
		 AS lag_exceeded,
	   s.wal_status,
	   s.safe_wal_size,
	   st.changes_checked,
	   st.violations_found,
	   st.toast_skipped,
	   st.changes_per_second,
	   st.last_commit_time,
	   st.last_error,
	   st.last_error_at,
	   st.updated_at
  FROM dq.cdc_state st
  LEFT JOIN pg_catalog.pg_replication_slots s ON s.slot_name = st.slot_name
 WHERE st.slot_name = 'dq_lineage_' OPERATOR(pg_catalog.||)
	   (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database());
COMMENT ON VIEW dq.cdc_status IS 'Change validation of this database: slot, watched tables, positions, lag, counters, last error';
COMMENT ON COLUMN dq.cdc_status.slot_name IS 'Replication slot consumed by the worker';
COMMENT ON COLUMN dq.cdc_status.watched_tables IS 'Number of watched tables';
COMMENT ON COLUMN dq.cdc_status.worker_pid IS 'Process holding the slot (the worker), NULL when none runs';
COMMENT ON COLUMN dq.cdc_status.confirmed_flush_lsn IS 'Position the slot has been confirmed to; WAL before its restart point can be removed';
COMMENT ON COLUMN dq.cdc_status.processed_lsn IS 'Position up to which violations are recorded';
COMMENT ON COLUMN dq.cdc_status.lag_bytes IS 'WAL written since the confirmed position';
COMMENT ON COLUMN dq.cdc_status.lag_seconds IS 'Age of the last validated commit while WAL remains to be validated, else 0';
COMMENT ON COLUMN dq.cdc_status.lag_exceeded IS 'lag_bytes is above dq_lineage.cdc_max_lag (the worker then logs a WARNING)';
COMMENT ON COLUMN dq.cdc_status.wal_status IS 'wal_status of the slot (pg_replication_slots)';
COMMENT ON COLUMN dq.cdc_status.safe_wal_size IS 'safe_wal_size of the slot: WAL that can still be written before max_slot_wal_keep_size invalidates it';
COMMENT ON COLUMN dq.cdc_status.changes_checked IS 'Changes of watched tables validated';
COMMENT ON COLUMN dq.cdc_status.violations_found IS 'Violations recorded';
COMMENT ON COLUMN dq.cdc_status.toast_skipped IS 'Checks skipped on unchanged TOAST values';
COMMENT ON COLUMN dq.cdc_status.changes_per_second IS 'Changes validated per second over the last minute';
COMMENT ON COLUMN dq.cdc_status.last_commit_time IS 'Commit time of the last validated transaction that changed a watched table';
COMMENT ON COLUMN dq.cdc_status.last_error IS 'Last error of the worker';
COMMENT ON COLUMN dq.cdc_status.last_error_at IS 'When it happened';
COMMENT ON COLUMN dq.cdc_status.updated_at IS 'Last time the worker recorded a batch';

------------------------------------------------------------------------
-- Column-level lineage
------------------------------------------------------------------------

CREATE TABLE dq.lineage_edges (
	source_relid	oid NOT NULL,
	source_attnum	smallint NOT NULL,
	target_relid	oid NOT NULL,
	target_attnum	smallint NOT NULL,
	lineage_type	text NOT NULL CHECK (lineage_type IN ('DIRECT', 'INDIRECT')),
	subtype			text NOT NULL CHECK (subtype IN ('IDENTITY', 'TRANSFORMATION', 'AGGREGATION',
						'JOIN', 'FILTER', 'GROUP_BY', 'SORT', 'WINDOW', 'CONDITIONAL')),
	masking			boolean NOT NULL,
	origin			text NOT NULL CHECK (origin IN ('view', 'matview', 'ctas', 'insert', 'update',
						'merge', 'manual')),
	query_id		bigint NOT NULL,
	source_schema	name NOT NULL,
	source_table	name NOT NULL,
	source_column	name,
	target_schema	name NOT NULL,
	target_table	name NOT NULL,
	target_column	name,
	first_seen		timestamptz NOT NULL DEFAULT pg_catalog.now(),
	last_seen		timestamptz NOT NULL DEFAULT pg_catalog.now(),
	occurrences		bigint NOT NULL DEFAULT 0,
	dropped			boolean NOT NULL DEFAULT false,
	UNIQUE (target_relid, target_attnum, source_relid, source_attnum, subtype, masking,
			origin, query_id)
);
CREATE INDEX lineage_edges_source_idx ON dq.lineage_edges (source_relid, source_attnum);
CREATE INDEX lineage_edges_query_idx ON dq.lineage_edges (query_id);

COMMENT ON TABLE dq.lineage_edges IS 'Column lineage edges as captured, one per edge and statement; read dq.column_lineage instead';
COMMENT ON COLUMN dq.lineage_edges.source_relid IS 'OID of the source relation';
COMMENT ON COLUMN dq.lineage_edges.source_attnum IS 'Source column number; 0 for the whole relation (row-count lineage such as count(*))';
COMMENT ON COLUMN dq.lineage_edges.target_relid IS 'OID of the target relation';
COMMENT ON COLUMN dq.lineage_edges.target_attnum IS 'Target column number; 0 for a dataset-level edge';
COMMENT ON COLUMN dq.lineage_edges.lineage_type IS 'DIRECT or INDIRECT (OpenLineage column-lineage facet 1-2-0)';
COMMENT ON COLUMN dq.lineage_edges.subtype IS 'IDENTITY, TRANSFORMATION, AGGREGATION (DIRECT); JOIN, FILTER, GROUP_BY, SORT, WINDOW, CONDITIONAL (INDIRECT)';
COMMENT ON COLUMN dq.lineage_edges.masking IS 'True when the transformation hides the input (hash functions, count)';
COMMENT ON COLUMN dq.lineage_edges.origin IS 'What produced the edge: view, matview, ctas, insert, update, merge or manual';
COMMENT ON COLUMN dq.lineage_edges.query_id IS 'Query ID of the capturing statement (0 for DDL and manual edges)';
COMMENT ON COLUMN dq.lineage_edges.source_schema IS 'Schema of the source at capture time';
COMMENT ON COLUMN dq.lineage_edges.source_table IS 'Name of the source at capture time';
COMMENT ON COLUMN dq.lineage_edges.source_column IS 'Name of the source column at capture time; NULL for the whole relation';
COMMENT ON COLUMN dq.lineage_edges.target_schema IS 'Schema of the target at capture time';
COMMENT ON COLUMN dq.lineage_edges.target_table IS 'Name of the target at capture time';
COMMENT ON COLUMN dq.lineage_edges.target_column IS 'Name of the target column at capture time; NULL for a dataset-level edge';
COMMENT ON COLUMN dq.lineage_edges.first_seen IS 'When the edge was first recorded';
COMMENT ON COLUMN dq.lineage_edges.last_seen IS 'Last time it was seen, as of the last dq.lineage_flush()';
COMMENT ON COLUMN dq.lineage_edges.occurrences IS 'Times it was seen, as of the last dq.lineage_flush()';
COMMENT ON COLUMN dq.lineage_edges.dropped IS 'True once the source or target (relation or column) was dropped';

-- Lineage is metadata, like pg_depend: readable by everyone, written only
-- by the extension (as its owner).  It holds OIDs, so pg_dump does not
-- dump it: it is captured again as statements run.
REVOKE ALL ON dq.lineage_edges FROM PUBLIC;
GRANT SELECT ON dq.lineage_edges TO PUBLIC;

CREATE FUNCTION dq.lineage_pending(OUT query_id bigint, OUT calls bigint, OUT last_seen timestamptz)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'dq_lineage_pending' LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION dq.lineage_pending() IS
	'Executions of captured statements counted in shared memory and not yet folded into dq.lineage_edges by dq.lineage_flush(); empty without shared_preload_libraries';

CREATE FUNCTION dq.lineage_flush() RETURNS void
	AS 'MODULE_PATHNAME', 'dq_lineage_flush' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dq.lineage_flush() IS
	'Fold the pending occurrence counters of this database into dq.lineage_edges (what a crash would otherwise lose)';
REVOKE ALL ON FUNCTION dq.lineage_flush() FROM PUBLIC;

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
			  e.lineage_type, e.subtype, e.masking, e.origin
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
COMMENT ON COLUMN dq.column_lineage.source_relid IS 'OID of the source relation';
COMMENT ON COLUMN dq.column_lineage.source_attnum IS 'Source column number (0: whole relation)';
COMMENT ON COLUMN dq.column_lineage.target_relid IS 'OID of the target relation';
COMMENT ON COLUMN dq.column_lineage.target_attnum IS 'Target column number (0: dataset level)';
COMMENT ON COLUMN dq.column_lineage.query_ids IS 'Query IDs of the statements that produced the edge (0: DDL or manual)';

CREATE FUNCTION dq.record_lineage(source regclass, source_column name, target regclass,
								  target_column name, lineage_type text DEFAULT 'DIRECT',
								  subtype text DEFAULT 'IDENTITY', masking boolean DEFAULT false)
	RETURNS void
	AS 'MODULE_PATHNAME', 'dq_record_lineage' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dq.record_lineage(regclass, name, regclass, name, text, text, boolean) IS
	'Record an edge by hand (ETL outside the database); NULL source_column: the whole relation, NULL target_column: a dataset-level INDIRECT edge';

-- Resolve a column name of a relation, for dq.upstream/dq.downstream.
CREATE FUNCTION dq.lineage_attnum(rel regclass, col name) RETURNS smallint
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n smallint;
BEGIN
	IF rel IS NULL THEN
		RAISE EXCEPTION USING ERRCODE = 'null_value_not_allowed',
			MESSAGE = 'rel must not be NULL', HINT = 'Name the relation, for example ''public.orders''.';
	END IF;
	IF col IS NULL THEN
		RETURN NULL;
	END IF;
	SELECT a.attnum INTO n FROM pg_attribute a
	 WHERE a.attrelid = rel AND a.attname = col AND a.attnum > 0 AND NOT a.attisdropped;
	IF n IS NULL THEN
		RAISE EXCEPTION USING ERRCODE = 'undefined_column',
			MESSAGE = format('column "%s" of relation %s does not exist', col, rel),
			HINT = format('List the columns with \d %s.', rel);
	END IF;
	RETURN n;
END
$$;
COMMENT ON FUNCTION dq.lineage_attnum(regclass, name) IS 'Column number of a named column (errors when it does not exist); used by dq.upstream and dq.downstream';

-- The closure of the lineage graph from a relation (or one column of it),
-- in either direction, with depth and path; a node already on the path is
-- not visited again, so cycles (a table that feeds itself) end.
CREATE FUNCTION dq.lineage_closure(rel oid, attnum smallint, max_depth integer, downstream boolean)
	RETURNS TABLE (depth integer, source_schema name, source_table name, source_column name,
				   target_schema name, target_table name, target_column name, scope text,
				   lineage_type text, subtype text, masking boolean, path text[])
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
	WITH RECURSIVE e AS (
		SELECT l.*, n.*
		  FROM dq.column_lineage l,
			   LATERAL (SELECT
					CASE WHEN downstream THEN l.source_relid ELSE l.target_relid END AS near_relid,
					CASE WHEN downstream THEN l.source_attnum ELSE l.target_attnum END AS near_attnum,
					CASE WHEN downstream THEN l.target_relid ELSE l.source_relid END AS far_relid,
					CASE WHEN downstream THEN l.target_attnum ELSE l.source_attnum END AS far_attnum,
					format('%I.%I.%s', l.source_schema, l.source_table,
						   COALESCE(quote_ident(l.source_column), '*')) AS src,
					format('%I.%I.%s', l.target_schema, l.target_table,
						   COALESCE(quote_ident(l.target_column), '*')) AS tgt) n
		 WHERE NOT l.dropped
	), walk AS (
		SELECT 1 AS depth, e.*,
			   CASE WHEN downstream THEN ARRAY[e.src, e.tgt] ELSE ARRAY[e.tgt, e.src] END AS path
		  FROM e
		 WHERE e.near_relid = rel AND (attnum IS NULL OR e.near_attnum IN (0, attnum))
		UNION ALL
		SELECT w.depth + 1, e.*,
			   w.path || CASE WHEN downstream THEN e.tgt ELSE e.src END
		  FROM walk w
		  JOIN e ON e.near_relid = w.far_relid
				AND (w.far_attnum = 0 OR e.near_attnum IN (0, w.far_attnum))
		 WHERE (max_depth IS NULL OR w.depth < max_depth)
		   AND NOT (CASE WHEN downstream THEN e.tgt ELSE e.src END) = ANY (w.path)
	)
	SELECT w.depth, w.source_schema, w.source_table, w.source_column, w.target_schema,
		   w.target_table, w.target_column, w.scope, w.lineage_type, w.subtype, w.masking, w.path
	  FROM walk w
	 ORDER BY w.depth, w.path, w.lineage_type, w.subtype
$$;
COMMENT ON FUNCTION dq.lineage_closure(oid, smallint, integer, boolean) IS
	'The walk behind dq.upstream and dq.downstream';

CREATE FUNCTION dq.upstream(rel regclass, col name DEFAULT NULL, max_depth integer DEFAULT NULL)
	RETURNS TABLE (depth integer, source_schema name, source_table name, source_column name,
				   target_schema name, target_table name, target_column name, scope text,
				   lineage_type text, subtype text, masking boolean, path text[])
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$ SELECT * FROM dq.lineage_closure(rel, dq.lineage_attnum(rel, col), max_depth, false) $$;
COMMENT ON FUNCTION dq.upstream(regclass, name, integer) IS
	'Everything a relation (or one of its columns) is derived from: the transitive closure of dq.column_lineage upstream, with depth and path (target first); dataset-level edges of a relation count for each of its columns; cycle-safe';

CREATE FUNCTION dq.downstream(rel regclass, col name DEFAULT NULL, max_depth integer DEFAULT NULL)
	RETURNS TABLE (depth integer, source_schema name, source_table name, source_column name,
				   target_schema name, target_table name, target_column name, scope text,
				   lineage_type text, subtype text, masking boolean, path text[])
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$ SELECT * FROM dq.lineage_closure(rel, dq.lineage_attnum(rel, col), max_depth, true) $$;
COMMENT ON FUNCTION dq.downstream(regclass, name, integer) IS
	'Everything derived from a relation (or one of its columns), i.e. what a change to it can break: the transitive closure downstream, with depth and path (source first); cycle-safe';

CREATE FUNCTION dq.lineage_dot(rel regclass DEFAULT NULL) RETURNS text
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
		SELECT node, string_agg(format('<c%s> %s', attnum,
										regexp_replace(col, '([|<>{}"\\])', '\\\1', 'g')),
								' | ' ORDER BY attnum) FILTER (WHERE attnum > 0) AS fields
		  FROM cols GROUP BY node
	)
	SELECT E'digraph lineage {\n  rankdir=LR;\n'
		|| E'  node [shape=record, fontname="Helvetica", fontsize=10];\n'
		|| E'  edge [fontname="Helvetica", fontsize=8];\n'
		|| COALESCE((SELECT string_agg(format(E'  "%s" [label="{<c0> %s%s}"];\n',
											  replace(node, '"', '\"'), replace(node, '"', '\"'),
											  COALESCE(' | ' || fields, '')), '' ORDER BY node)
					   FROM nodes), '')
		|| COALESCE((SELECT string_agg(format(E'  "%s":c%s -> "%s":c%s [style=%s, label="%s%s"];\n',
											  replace(src, '"', '\"'), source_attnum,
											  replace(tgt, '"', '\"'), target_attnum,
											  CASE lineage_type WHEN 'DIRECT' THEN 'solid' ELSE 'dashed' END,
											  lower(subtype), CASE WHEN masking THEN ' (masked)' ELSE '' END),
									   '' ORDER BY src, source_attnum, tgt, target_attnum, subtype, masking)
					   FROM e), '')
		|| E'}\n'
$$;
COMMENT ON FUNCTION dq.lineage_dot(regclass) IS
	'The lineage graph (of one relation''s upstream and downstream, or of everything) in Graphviz DOT: relations as records, columns as fields, DIRECT edges solid, INDIRECT dashed; render with dot -Tsvg';

CREATE FUNCTION dq.openlineage_namespace() RETURNS text
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT COALESCE(NULLIF(current_setting('dq_lineage.openlineage_namespace', true), ''),
					'postgres://localhost:' || current_setting('port'))
$$;
COMMENT ON FUNCTION dq.openlineage_namespace() IS
	'OpenLineage namespace of exported datasets: dq_lineage.openlineage_namespace, or postgres://localhost:<port>';

CREATE FUNCTION dq.openlineage_dataset_name(schema_name name, table_name name) RETURNS text
	LANGUAGE sql IMMUTABLE
	SET search_path = pg_catalog, pg_temp
AS $$ SELECT schema_name || '.' || table_name $$;
COMMENT ON FUNCTION dq.openlineage_dataset_name(name, name) IS 'OpenLineage dataset name: schema.table';

CREATE FUNCTION dq.openlineage_facet(rel regclass, legacy boolean DEFAULT false) RETURNS jsonb
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	ns text := dq.openlineage_namespace();
	fields jsonb;
	dataset jsonb;
BEGIN
	IF rel IS NULL THEN
		RAISE EXCEPTION USING ERRCODE = 'null_value_not_allowed',
			MESSAGE = 'rel must not be NULL', HINT = 'Name the target relation, for example ''public.daily''.';
	END IF;
	-- one input field per source column and output slot (0: dataset level;
	-- the legacy form copies dataset-level inputs into every field)
	WITH raw AS (
		SELECT l.target_attnum, l.source_schema, l.source_table,
			   COALESCE(l.source_column, '*') AS source_column,
			   l.lineage_type, l.subtype, l.masking, l.origin
		  FROM dq.column_lineage l
		 WHERE l.target_relid = rel AND NOT l.dropped
	), placed AS (
		SELECT r.*, r.target_attnum AS slot FROM raw r
		 WHERE NOT legacy OR r.target_attnum <> 0
		UNION ALL
		SELECT r.*, a.attnum FROM raw r
		  JOIN pg_attribute a ON a.attrelid = rel AND a.attnum > 0 AND NOT a.attisdropped
		 WHERE legacy AND r.target_attnum = 0
	), inputs AS (
		SELECT p.slot, p.source_schema, p.source_table, p.source_column,
			   jsonb_agg(jsonb_build_object('type', p.lineage_type, 'subtype', p.subtype,
											'description', p.origin || ' ' || lower(p.subtype),
											'masking', p.masking)
						 ORDER BY p.lineage_type, p.subtype, p.masking, p.origin) AS transformations
		  FROM placed p
		 GROUP BY 1, 2, 3, 4
	), slots AS (
		SELECT i.slot,
			   jsonb_agg(jsonb_build_object('namespace', ns,
						 'name', dq.openlineage_dataset_name(i.source_schema, i.source_table),
						 'field', i.source_column, 'transformations', i.transformations)
						 ORDER BY i.source_schema, i.source_table, i.source_column) AS input_fields
		  FROM inputs i
		 GROUP BY i.slot
	)
	SELECT COALESCE((SELECT jsonb_object_agg(a.attname, jsonb_build_object('inputFields', s.input_fields))
					   FROM slots s
					   JOIN pg_attribute a ON a.attrelid = rel AND a.attnum = s.slot), '{}'),
		   COALESCE((SELECT s.input_fields FROM slots s WHERE s.slot = 0), '[]')
	  INTO fields, dataset;
	RETURN jsonb_build_object(
		'_producer', 'https://github.com/dq-lineage/dq_lineage',
		'_schemaURL', 'https://openlineage.io/spec/facets/1-2-0/ColumnLineageDatasetFacet.json#/$defs/ColumnLineageDatasetFacet',
		'fields', fields)
		|| CASE WHEN legacy THEN '{}'::jsonb ELSE jsonb_build_object('dataset', dataset) END;
END
$$;
COMMENT ON FUNCTION dq.openlineage_facet(regclass, boolean) IS
	'OpenLineage ColumnLineageDatasetFacet (1-2-0) of a target relation; legacy => true copies the dataset-level inputs into every field and leaves out "dataset" (what Marquez reads)';

CREATE FUNCTION dq.openlineage_schema_facet(rel oid) RETURNS jsonb
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT jsonb_build_object(
		'_producer', 'https://github.com/dq-lineage/dq_lineage',
		'_schemaURL', 'https://openlineage.io/spec/facets/1-1-1/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet',
		'fields', COALESCE(jsonb_agg(jsonb_build_object('name', a.attname, 'type', format_type(a.atttypid, a.atttypmod))
									 ORDER BY a.attnum), '[]'))
	  FROM pg_attribute a
	 WHERE a.attrelid = rel AND a.attnum > 0 AND NOT a.attisdropped
$$;
COMMENT ON FUNCTION dq.openlineage_schema_facet(oid) IS 'OpenLineage SchemaDatasetFacet of a relation: its columns and types';

CREATE FUNCTION dq.openlineage_events(since timestamptz DEFAULT '-infinity', legacy boolean DEFAULT false)
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
	SELECT jsonb_build_object(
		'eventType', 'COMPLETE',
		'eventTime', to_char(t.event_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
		'run', jsonb_build_object('runId', gen_random_uuid()),
		'job', jsonb_build_object('namespace', dq.openlineage_namespace(),
								  'name', 'dq_lineage.' || dq.openlineage_dataset_name(t.target_schema, t.target_table)),
		'inputs', (SELECT COALESCE(jsonb_agg(jsonb_build_object(
							'namespace', dq.openlineage_namespace(),
							'name', dq.openlineage_dataset_name(s.source_schema, s.source_table),
							'facets', jsonb_build_object('schema', dq.openlineage_schema_facet(s.source_relid)))
						  ORDER BY s.source_schema, s.source_table), '[]')
					 FROM (SELECT DISTINCT l.source_relid, l.source_schema, l.source_table
							 FROM dq.column_lineage l
							WHERE l.target_relid = t.target_relid AND NOT l.dropped) s),
		'outputs', jsonb_build_array(jsonb_build_object(
						'namespace', dq.openlineage_namespace(),
						'name', dq.openlineage_dataset_name(t.target_schema, t.target_table),
						'facets', jsonb_build_object(
							'schema', dq.openlineage_schema_facet(t.target_relid),
							'columnLineage', dq.openlineage_facet(t.target_relid, legacy)))),
		'producer', 'https://github.com/dq-lineage/dq_lineage',
		'schemaURL', 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent')
	  FROM targets t
	 ORDER BY t.target_schema, t.target_table
$$;
COMMENT ON FUNCTION dq.openlineage_events(timestamptz, boolean) IS
	'OpenLineage RunEvents (COMPLETE), one per target relation with edges seen since a time, with schema and column-lineage facets; legacy => true for the form Marquez reads';

-- DDL capture: views, materialized views, CREATE TABLE AS, SELECT INTO.
CREATE FUNCTION dq.lineage_ddl_command_end() RETURNS event_trigger
	AS 'MODULE_PATHNAME', 'dq_lineage_ddl_command_end' LANGUAGE C SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION dq.lineage_ddl_command_end() IS 'Event trigger: records the lineage of views, materialized views and CREATE TABLE AS';
REVOKE ALL ON FUNCTION dq.lineage_ddl_command_end() FROM PUBLIC;
CREATE EVENT TRIGGER dq_lineage_ddl ON ddl_command_end
	WHEN TAG IN ('CREATE VIEW', 'CREATE MATERIALIZED VIEW', 'CREATE TABLE AS', 'SELECT INTO',
				 'REFRESH MATERIALIZED VIEW')
	EXECUTE FUNCTION dq.lineage_ddl_command_end();

-- Edges of dropped relations and columns are kept, marked dropped.
CREATE FUNCTION dq.lineage_on_sql_drop() RETURNS event_trigger
	LANGUAGE plpgsql SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF pg_catalog.to_regclass('dq.lineage_edges') IS NULL THEN
		RETURN;					-- the extension itself is being dropped
	END IF;
	UPDATE dq.lineage_edges e
	   SET dropped = true
	  FROM pg_catalog.pg_event_trigger_dropped_objects() d
	 WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
	   AND NOT e.dropped
	   AND ((e.source_relid = d.objid AND (d.objsubid = 0 OR e.source_attnum = d.objsubid))
			OR (e.target_relid = d.objid AND (d.objsubid = 0 OR e.target_attnum = d.objsubid)));
END
$$;
COMMENT ON FUNCTION dq.lineage_on_sql_drop() IS 'Event trigger: marks the lineage edges of dropped relations and columns as dropped';
REVOKE ALL ON FUNCTION dq.lineage_on_sql_drop() FROM PUBLIC;
CREATE EVENT TRIGGER dq_lineage_lineage_sql_drop ON sql_drop EXECUTE FUNCTION dq.lineage_on_sql_drop();
