------------------------------------------------------------------------
-- Row-level expectations (Great Expectations' names and semantics)
------------------------------------------------------------------------

CREATE FUNCTION dq_internal.expectation_kinds_list(
	OUT kind text, OUT scope text, OUT required_params text[],
	OUT params text[], OUT description text)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'dq_expectation_kinds'
	LANGUAGE C STRICT STABLE PARALLEL SAFE;

CREATE VIEW dq.expectation_kinds AS
	SELECT kind, scope, required_params, params, description FROM dq_internal.expectation_kinds_list();
GRANT SELECT ON dq.expectation_kinds TO PUBLIC;
COMMENT ON VIEW dq.expectation_kinds IS 'The expectation kinds dq.check() evaluates, with their parameters';
COMMENT ON COLUMN dq.expectation_kinds.kind IS 'Great Expectations'' name of the kind';
COMMENT ON COLUMN dq.expectation_kinds.scope IS 'What the kind is about, in Great Expectations'' terms: column (the values of one column), column_pair (column_A, column_B), multicolumn (column_list), column_aggregate (a statistic or the type of one column) or table (the row count, the columns, a query)';
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

CREATE FUNCTION dq_internal.expect_rows_trans(internal, jsonb, name[], oid[], VARIADIC "any") RETURNS internal
	AS 'MODULE_PATHNAME', 'dq_expect_rows_trans' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dq_internal.expect_rows_combine(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'dq_expect_rows_combine' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dq_internal.expect_rows_serialize(internal) RETURNS bytea
	AS 'MODULE_PATHNAME', 'dq_expect_rows_serialize' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dq_internal.expect_rows_deserialize(bytea, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'dq_expect_rows_deserialize' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dq_internal.expect_rows_final(internal) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'dq_expect_rows_final' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;

CREATE AGGREGATE dq.expect_rows(jsonb, name[], oid[], VARIADIC "any") (
	SFUNC = dq_internal.expect_rows_trans,
	STYPE = internal,
	FINALFUNC = dq_internal.expect_rows_final,
	COMBINEFUNC = dq_internal.expect_rows_combine,
	SERIALFUNC = dq_internal.expect_rows_serialize,
	DESERIALFUNC = dq_internal.expect_rows_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE dq.expect_rows(jsonb, name[], oid[], VARIADIC "any") IS
	'Evaluate row-level expectations on every row of a scan (used by dq.validate): rules, column names, column collations, then the columns';

-- @section numeric_minmax
-- max and min of a numeric column for the statistics kinds, comparing the
-- stored values in place (pg_catalog.max(numeric) copies each one first)
CREATE FUNCTION dq_internal.numeric_larger(numeric, numeric) RETURNS numeric
	AS 'MODULE_PATHNAME', 'dq_numeric_larger' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION dq_internal.numeric_smaller(numeric, numeric) RETURNS numeric
	AS 'MODULE_PATHNAME', 'dq_numeric_smaller' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE AGGREGATE dq_internal.numeric_max(numeric) (
	SFUNC = dq_internal.numeric_larger,
	STYPE = numeric,
	COMBINEFUNC = dq_internal.numeric_larger,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE dq_internal.numeric_max(numeric) IS
	'The largest value, as max(numeric), without copying each value (the statistics kinds of dq.validate use it)';
CREATE AGGREGATE dq_internal.numeric_min(numeric) (
	SFUNC = dq_internal.numeric_smaller,
	STYPE = numeric,
	COMBINEFUNC = dq_internal.numeric_smaller,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE dq_internal.numeric_min(numeric) IS
	'The smallest value, as min(numeric), without copying each value (the statistics kinds of dq.validate use it)';
-- @end numeric_minmax

------------------------------------------------------------------------
-- Stored expectations and validation history
------------------------------------------------------------------------

CREATE SEQUENCE dq.expectation_id_seq;
CREATE TABLE dq.expectations (
	expectation_id	bigint PRIMARY KEY DEFAULT nextval('dq.expectation_id_seq'),
	relid			regclass,
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
COMMENT ON COLUMN dq.expectations.relid IS 'The relation (a regclass: pg_dump writes it as a name); NULL once the relation was dropped (status relation dropped)';
COMMENT ON COLUMN dq.expectations.schema_name IS 'Schema of the relation when the expectation was defined, or when the relation was dropped';
COMMENT ON COLUMN dq.expectations.table_name IS 'Name of the relation when the expectation was defined, or when the relation was dropped (dq.reattach finds it by this name)';
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
COMMENT ON COLUMN dq.expectations.status IS 'active, or why the expectation cannot be evaluated: relation dropped, column dropped, column not found (after dq.reattach)';
COMMENT ON COLUMN dq.expectations.owner IS 'Role that defined the expectation';
COMMENT ON COLUMN dq.expectations.created_at IS 'When it was defined';

CREATE SEQUENCE dq.validation_run_id_seq;
CREATE TABLE dq.validation_runs (
	run_id			bigint PRIMARY KEY DEFAULT nextval('dq.validation_run_id_seq'),
	relid			regclass,
	schema_name		name NOT NULL,
	table_name		name NOT NULL,
	started_at		timestamptz NOT NULL,
	finished_at		timestamptz NOT NULL,
	rows_scanned	bigint NOT NULL,
	evaluated		integer NOT NULL,
	succeeded		integer NOT NULL,
	failed			integer NOT NULL,
	run_by			name NOT NULL,
	nothing_evaluated boolean GENERATED ALWAYS AS (evaluated = 0) STORED
);
ALTER SEQUENCE dq.validation_run_id_seq OWNED BY dq.validation_runs.run_id;
CREATE INDEX validation_runs_relid_idx ON dq.validation_runs (relid, run_id);
COMMENT ON TABLE dq.validation_runs IS 'One row per dq.validate() call';
COMMENT ON COLUMN dq.validation_runs.run_id IS 'Identifier returned by dq.validate()';
COMMENT ON COLUMN dq.validation_runs.relid IS 'The validated relation (a regclass: pg_dump writes it as a name); NULL once the relation was dropped';
COMMENT ON COLUMN dq.validation_runs.schema_name IS 'Schema at the time of the run';
COMMENT ON COLUMN dq.validation_runs.table_name IS 'Name at the time of the run';
COMMENT ON COLUMN dq.validation_runs.started_at IS 'Start of the run';
COMMENT ON COLUMN dq.validation_runs.finished_at IS 'End of the run';
COMMENT ON COLUMN dq.validation_runs.rows_scanned IS 'Rows read by the scan';
COMMENT ON COLUMN dq.validation_runs.evaluated IS 'Expectations evaluated';
COMMENT ON COLUMN dq.validation_runs.succeeded IS 'Expectations that succeeded';
COMMENT ON COLUMN dq.validation_runs.failed IS 'Expectations that failed';
COMMENT ON COLUMN dq.validation_runs.run_by IS 'Role that ran the validation';
COMMENT ON COLUMN dq.validation_runs.nothing_evaluated IS 'True when the relation had no enabled expectation (matching the tags): the run checked nothing, which is not a success';

CREATE TABLE dq.validation_results (
	run_id			bigint NOT NULL REFERENCES dq.validation_runs ON DELETE CASCADE,
	expectation_id	bigint NOT NULL,
	relid			regclass,
	kind			text NOT NULL,
	column_name		name,
	severity		text NOT NULL,
	success			boolean NOT NULL,
	element_count	bigint,
	unexpected_count bigint,
	unexpected_percent float8,
	result			jsonb NOT NULL,
	attnums			smallint[],
	PRIMARY KEY (run_id, expectation_id)
);
COMMENT ON TABLE dq.validation_results IS 'One row per expectation per validation run, with the Great Expectations validation result';
COMMENT ON COLUMN dq.validation_results.run_id IS 'The run (dq.validation_runs)';
COMMENT ON COLUMN dq.validation_results.expectation_id IS 'The expectation (dq.expectations)';
COMMENT ON COLUMN dq.validation_results.relid IS 'The validated relation (a regclass: pg_dump writes it as a name); NULL once the relation was dropped';
COMMENT ON COLUMN dq.validation_results.kind IS 'Expectation kind';
COMMENT ON COLUMN dq.validation_results.column_name IS 'Column name at the time of the run';
COMMENT ON COLUMN dq.validation_results.severity IS 'error or warn';
COMMENT ON COLUMN dq.validation_results.success IS 'Whether the expectation succeeded';
COMMENT ON COLUMN dq.validation_results.element_count IS 'Rows considered';
COMMENT ON COLUMN dq.validation_results.unexpected_count IS 'Rows that failed';
COMMENT ON COLUMN dq.validation_results.unexpected_percent IS 'unexpected / non-missing rows * 100';
COMMENT ON COLUMN dq.validation_results.result IS 'The Great Expectations validation result (success, expectation_config, result, exception_info, meta)';
COMMENT ON COLUMN dq.validation_results.attnums IS 'Columns whose values the result may show (NULL: every column, empty: none), which decide who may read it';

-- Who may read what (docs/security.md): an expectation, with its params
-- (value sets, regexes, bounds), by roles that may read its columns; a
-- result, which carries values of the relation (failing values, observed
-- statistics), by roles that may see those values (dq.values_visible) and
-- read any second relation it read; dq.latest_validation also shows the
-- counts of the expectations a role may read, with the values left out.
-- @section result_visible
CREATE FUNCTION dq.expectation_attnums(kind text, attnum smallint, param_attnums smallint[])
	RETURNS smallint[]
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT CASE WHEN kind = 'expect_row_condition' THEN NULL
				WHEN attnum IS NOT NULL THEN ARRAY[attnum]
				ELSE coalesce(param_attnums, '{}') END
$$;
COMMENT ON FUNCTION dq.expectation_attnums(text, smallint, smallint[]) IS
	'The columns an expectation reads: its column, the columns its params name, none for table-level kinds, NULL (every column) for a row condition';

CREATE FUNCTION dq.result_visible(rel oid, attnums smallint[], result jsonb) RETURNS boolean
	LANGUAGE sql STABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT dq.values_visible(rel, attnums)
	   AND coalesce((SELECT has_any_column_privilege(o, 'SELECT')
					   FROM to_regclass(coalesce(result #>> '{expectation_config,kwargs,to_table}',
												 result #>> '{expectation_config,kwargs,other_table_name}')) o
					  WHERE o IS NOT NULL), true)
$$;
COMMENT ON FUNCTION dq.result_visible(oid, smallint[], jsonb) IS
	'May the current role see the values in a validation result: dq.values_visible for its columns, and SELECT on the second relation it read (exist_in, row count of another table)';

CREATE FUNCTION dq.redact_result(result jsonb) RETURNS jsonb
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT CASE WHEN jsonb_typeof(result -> 'result') = 'object' THEN
		jsonb_set(
			CASE WHEN result #>> '{exception_info,raised_exception}' = 'true'
				 THEN jsonb_set(result, '{exception_info,exception_message}',
								'"withheld: the message may quote values"')
				 ELSE result END,
			'{result}',
			((result -> 'result')
			   - ARRAY['partial_unexpected_list', 'partial_unexpected_counts',
					   'partial_unexpected_index_list', 'unexpected_list', 'details']
			   - CASE WHEN result #>> '{expectation_config,expectation_type}' IN
						  ('expect_table_row_count_to_be_between', 'expect_table_row_count_to_equal',
						   'expect_table_column_count_to_equal', 'expect_column_to_exist',
						   'expect_table_columns_to_match_ordered_list', 'expect_table_columns_to_match_set',
						   'expect_column_unique_value_count_to_be_between',
						   'expect_column_proportion_of_unique_values_to_be_between',
						   'expect_column_values_to_be_of_type', 'expect_column_values_to_be_in_type_list')
					  THEN '' ELSE 'observed_value' END)
			|| '{"values_withheld": true}')
	ELSE result END
$$;
COMMENT ON FUNCTION dq.redact_result(jsonb) IS
	'A validation result without the values it carries (unexpected values, observed statistics other than counts, exception messages); counts and success stay';
-- @end result_visible

REVOKE ALL ON dq.expectations, dq.validation_runs, dq.validation_results FROM PUBLIC;
GRANT SELECT ON dq.expectations, dq.validation_runs, dq.validation_results TO PUBLIC;
ALTER TABLE dq.expectations ENABLE ROW LEVEL SECURITY;
ALTER TABLE dq.validation_runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE dq.validation_results ENABLE ROW LEVEL SECURITY;
CREATE POLICY expectations_readable ON dq.expectations FOR SELECT
	USING (dq.columns_readable(relid, dq.expectation_attnums(kind, attnum, param_attnums)));
CREATE POLICY validation_runs_readable ON dq.validation_runs FOR SELECT
	USING (pg_catalog.has_any_column_privilege(relid, 'SELECT'));
CREATE POLICY validation_results_readable ON dq.validation_results FOR SELECT
	USING (dq.result_visible(relid, attnums, result));

-- Dumped with each row attached to its relation by name (rows of temporary
-- relations are left out).
SELECT pg_catalog.pg_extension_config_dump('dq.expectations',
	'WHERE relid IS NULL OR EXISTS (SELECT FROM pg_catalog.pg_class c WHERE c.oid = relid AND c.relpersistence <> ''t'')');
SELECT pg_catalog.pg_extension_config_dump('dq.expectation_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('dq.validation_runs',
	'WHERE relid IS NULL OR EXISTS (SELECT FROM pg_catalog.pg_class c WHERE c.oid = relid AND c.relpersistence <> ''t'')');
SELECT pg_catalog.pg_extension_config_dump('dq.validation_results',
	'WHERE relid IS NULL OR EXISTS (SELECT FROM pg_catalog.pg_class c WHERE c.oid = relid AND c.relpersistence <> ''t'')');
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

-- @section validation_summary
CREATE VIEW dq.validation_summary WITH (security_invoker = true) AS
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
-- @end validation_summary

-- @section latest_validation
-- Not security_invoker: it applies the rules itself (see dq.latest_profile),
-- so that a role that may read the columns but not see the values still
-- gets the counts and the verdict.
CREATE VIEW dq.latest_validation WITH (security_barrier = true) AS
SELECT DISTINCT ON (v.expectation_id)
	   v.expectation_id, e.name, r.schema_name, r.table_name, v.kind, v.column_name,
	   v.severity, v.success, v.element_count, v.unexpected_count, v.unexpected_percent,
	   v.run_id, r.finished_at AS validated_at,
	   CASE WHEN dq.result_visible(v.relid, v.attnums, v.result) THEN v.result
			ELSE dq.redact_result(v.result) END AS result
  FROM dq.validation_results v
  JOIN dq.validation_runs r ON r.run_id = v.run_id
  LEFT JOIN dq.expectations e ON e.expectation_id = v.expectation_id
 WHERE v.relid IS NOT NULL
   AND EXISTS (SELECT FROM pg_catalog.pg_class c WHERE c.oid = v.relid)
   AND dq.columns_readable(v.relid, v.attnums)
 ORDER BY v.expectation_id, v.run_id DESC;
GRANT SELECT ON dq.latest_validation TO PUBLIC;
COMMENT ON VIEW dq.latest_validation IS 'The latest result of every expectation of the current relations whose columns you may read (a dropped relation''s results stay in dq.validation_results); its values are withheld (result.result.values_withheld) where you may not see them';
-- @end latest_validation
-- @section latest_validation_comments
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
-- @end latest_validation_comments
COMMENT ON COLUMN dq.latest_validation.result IS 'The Great Expectations validation result (without its values when they are withheld from you: dq.redact_result)';

-- @section quality_scorecard
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
-- @end quality_scorecard

-- @section validate_all
CREATE FUNCTION dq.validate_all(raise_on_failure boolean DEFAULT false)
	RETURNS TABLE (relid regclass, run_id bigint, skipped text)
	LANGUAGE plpgsql VOLATILE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	rel oid;
	nsp oid;
BEGIN
	-- every relation with enabled expectations that the caller may read;
	-- one the caller cannot validate is skipped, with the reason
	FOR rel, nsp IN
		SELECT DISTINCT e.relid, c.relnamespace
		  FROM dq.expectations e JOIN pg_class c ON c.oid = e.relid
		 WHERE e.enabled
		 ORDER BY 1
	LOOP
		relid := rel;
		run_id := NULL;
		skipped := NULL;
		IF NOT has_schema_privilege(nsp, 'USAGE') THEN
			skipped := format('permission denied for schema %s', nsp::regnamespace);
		ELSE
			BEGIN
				run_id := dq.validate(rel, NULL, raise_on_failure);
			EXCEPTION WHEN insufficient_privilege OR undefined_table THEN
				skipped := SQLERRM;
			END;
		END IF;
		IF skipped IS NOT NULL THEN
			RAISE NOTICE 'dq.validate_all skipped %: %', rel::regclass, skipped;
		END IF;
		RETURN NEXT;
	END LOOP;
END
$$;
COMMENT ON FUNCTION dq.validate_all(boolean) IS 'dq.validate() every relation that has enabled expectations; one row per relation, with the run id, or with the reason it was skipped (a relation the caller cannot read)';
-- @end validate_all

-- @section suggestions
-- Suggestions from the latest profile (dq.profile) of a relation.
--
-- Keys: a column that a primary key, a unique constraint or a unique index
-- on it alone makes unique gets the uniqueness suggestion from the
-- catalog; the profile's distinct count decides where it is exact (below
-- 1,024 values, or a profile with exact => true); elsewhere a column whose
-- estimated distinct count (a HyperLogLog sketch, about 1% off) is within
-- 3% of its non-NULL rows is a key candidate, and its uniqueness is
-- counted exactly by dq.check (under dq.check's rules of trust).  Ranges: the values of
-- dates and timestamps, and of ascending keys (identity columns, columns
-- filled from a sequence, unique columns stored in ascending order), grow
-- with every new row, so their range is open-ended: a minimum only.
CREATE FUNCTION dq.profile_suggestions(rel regclass)
	RETURNS TABLE (kind text, column_name name, params jsonb, mostly float8,
				   reason text)
	LANGUAGE plpgsql VOLATILE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	p record;
	nonnull bigint;
	span numeric;
	pat text;
	regex text;
	key_reason text;
	is_unique boolean;
	ascending text;
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
		-- a key: declared, or a candidate counted exactly
		SELECT CASE c.contype WHEN 'p' THEN 'primary key' ELSE 'unique constraint' END
		  INTO key_reason
		  FROM pg_catalog.pg_constraint c
		 WHERE c.conrelid = rel AND c.contype IN ('p', 'u') AND c.conkey = ARRAY[p.attnum]::int2[]
		 ORDER BY c.contype LIMIT 1;
		IF key_reason IS NULL THEN
			SELECT 'unique index ' || pg_catalog.quote_ident(ic.relname) INTO key_reason
			  FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
			 WHERE i.indrelid = rel AND i.indisunique AND i.indnkeyatts = 1
			   AND i.indkey[0] = p.attnum AND i.indpred IS NULL AND i.indexprs IS NULL
			 ORDER BY ic.relname LIMIT 1;
		END IF;
		is_unique := false;
		IF key_reason IS NOT NULL AND nonnull > 1 THEN
			is_unique := true;
			reason := format('enforced by a %s', key_reason);
		ELSIF nonnull > 1 AND (p.distinct_method = 'exact' OR p.distinct_count < 1024) THEN
			-- the profile's count is exact
			is_unique := p.distinct_count >= nonnull;
			reason := format('%s distinct values in %s non-NULL rows', p.distinct_count, nonnull);
		ELSIF nonnull > 1 AND p.distinct_count >= 0.97 * nonnull
			  AND p.type_family <> 'boolean' THEN
			BEGIN
				is_unique := (dq.check(rel, 'expect_column_values_to_be_unique', p.column_name)
							  ->> 'success')::boolean;
			EXCEPTION WHEN insufficient_privilege OR feature_not_supported
						OR undefined_function OR datatype_mismatch THEN
				-- a column the caller may not read or a type without
				-- equality: no suggestion rather than an error
				is_unique := false;
			END;
			reason := format('%s non-NULL rows, all distinct (counted exactly; the profile estimated %s distinct values)',
							 nonnull, p.distinct_count);
		END IF;
		IF is_unique THEN
			kind := 'expect_column_values_to_be_unique'; params := '{}';
			RETURN NEXT;
		ELSIF p.values_visible AND p.top_values_exact AND p.distinct_count BETWEEN 1 AND 10
			  AND p.type_family <> 'boolean' THEN
			kind := 'expect_column_values_to_be_in_set';
			params := jsonb_build_object('value_set',
						(SELECT jsonb_agg(t ->> 'value' ORDER BY t ->> 'value') FROM jsonb_array_elements(p.top_values) t));
			reason := format('%s distinct values', p.distinct_count);
			RETURN NEXT;
		END IF;
		-- an ascending key: its next values lie above today's maximum
		ascending := NULL;
		IF p.type_family = 'numeric' THEN
			SELECT CASE WHEN a.attidentity <> '' THEN 'an identity column'
						WHEN d.adbin IS NOT NULL
							 AND pg_catalog.pg_get_expr(d.adbin, d.adrelid) LIKE 'nextval(%'
							THEN 'filled from a sequence'
						WHEN is_unique
							 AND (SELECT st.correlation FROM pg_catalog.pg_stats st
								   WHERE st.schemaname = n.nspname AND st.tablename = c.relname
									 AND st.attname = a.attname) >= 0.99
							THEN 'a unique column stored in ascending order'
				   END
			  INTO ascending
			  FROM pg_catalog.pg_attribute a
			  JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
			  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
			  LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
			 WHERE a.attrelid = rel AND a.attnum = p.attnum;
		END IF;
		IF p.type_family = 'numeric' AND p.min_value IS NOT NULL AND p.nan_count = 0
		   AND p.infinity_count = 0 AND ascending IS NOT NULL THEN
			kind := 'expect_column_values_to_be_between';
			params := jsonb_build_object('min_value', p.min_value::numeric);
			reason := format('ascending key (%s): at least the observed minimum %s, no maximum', ascending, p.min_value);
			RETURN NEXT;
		ELSIF p.type_family = 'numeric' AND p.min_value IS NOT NULL AND p.nan_count = 0
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
			params := jsonb_build_object('min_value', p.min_value);
			reason := format('at least the observed minimum, no maximum: new rows often carry later dates than the latest so far (observed range %s to %s)',
							 p.min_value, p.max_value);
			RETURN NEXT;
		END IF;
		IF p.type_family = 'text' AND nonnull > 0 THEN
			IF p.min_length IS NOT NULL THEN
				kind := 'expect_column_value_lengths_to_be_between';
				params := jsonb_build_object('min_value', p.min_length, 'max_value', p.max_length);
				reason := format('observed lengths %s to %s', p.min_length, p.max_length);
				RETURN NEXT;
			END IF;
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
	LANGUAGE sql VOLATILE
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT s.kind, s.column_name, s.params, s.mostly, s.reason,
		   format('SELECT dq.expect(%L, %L, %L, %L%s);', rel::text, s.kind, s.column_name,
				  s.params::text,
				  CASE WHEN s.mostly IS NULL THEN '' ELSE format(', mostly => %s', s.mostly) END)
	  FROM dq.profile_suggestions(rel) s
$$;
COMMENT ON FUNCTION dq.suggest_expectations(regclass) IS
	'Expectations suggested by the latest profile of a relation (not-null, unique from keys and exact counts, value sets, ranges, open-ended for dates and ascending keys, lengths, patterns), each with the dq.expect() call that creates it';
-- @end suggestions

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

