-- Trust: profiles and expectations (docs/security.md, "Expectations,
-- profiles and stored values").  Stored values are shown only to roles that
-- may see them; dq.validate_all skips relations the caller cannot read.

-- who may see stored values
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

ALTER POLICY column_profiles_readable ON dq.column_profiles
	USING (dq.values_visible(relid, ARRAY[attnum]));

-- Not security_invoker: it reads the profile tables as their owner and
-- applies the rules itself (the reader's privileges: the functions run as
-- the reader), so that a role that may read a column but not see all its
-- rows still gets the counts.  security_barrier keeps the reader's own
-- conditions from seeing rows before these rules have filtered them.
CREATE OR REPLACE VIEW dq.latest_profile WITH (security_barrier = true) AS
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
COMMENT ON COLUMN dq.latest_profile.sensitive IS 'Counts of values the sensitive-value detectors accept, and of free-text values containing one (counts only; docs/sensitive-data.md)';
COMMENT ON COLUMN dq.latest_profile.values_visible IS 'False when the values (min, max, top values, moments, quantiles, histogram, lengths) are withheld from you: the relation filters rows per role and you do not see all the rows its owner sees';

-- results record the columns whose values they may show
ALTER TABLE dq.validation_results ADD COLUMN attnums smallint[];
COMMENT ON COLUMN dq.validation_results.attnums IS 'Columns whose values the result may show (NULL: every column, empty: none), which decide who may read it';

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

UPDATE dq.validation_results v
   SET attnums = dq.expectation_attnums(e.kind, e.attnum, e.param_attnums)
  FROM dq.expectations e
 WHERE e.expectation_id = v.expectation_id;
ALTER POLICY expectations_readable ON dq.expectations
	USING (dq.columns_readable(relid, dq.expectation_attnums(kind, attnum, param_attnums)));
ALTER POLICY validation_results_readable ON dq.validation_results
	USING (dq.result_visible(relid, attnums, result));

-- Not security_invoker: it applies the rules itself (see dq.latest_profile),
-- so that a role that may read the columns but not see the values still
-- gets the counts and the verdict.
CREATE OR REPLACE VIEW dq.latest_validation WITH (security_barrier = true) AS
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
COMMENT ON COLUMN dq.latest_validation.result IS 'The Great Expectations validation result (without its values when they are withheld from you: dq.redact_result)';

-- relations and types named in params are evaluated with search_path
-- pinned to pg_catalog: qualify the unqualified names of earlier
-- expectations with the schema of their relation (or public) when that is
-- where they are, as their authors' search_path found them
WITH fix AS (
	SELECT e.expectation_id, k.key,
		   (SELECT pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname)
			  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
			 WHERE c.relname = e.params ->> k.key
			   AND n.nspname IN (coalesce((SELECT xn.nspname FROM pg_catalog.pg_class x
											 JOIN pg_catalog.pg_namespace xn ON xn.oid = x.relnamespace
											WHERE x.oid = e.relid), e.schema_name), 'public')
			 ORDER BY n.nspname = 'public'
			 LIMIT 1) AS name
	  FROM dq.expectations e
	  JOIN (VALUES ('expect_column_values_to_exist_in', 'to_table'),
				   ('expect_table_row_count_to_equal_other_table', 'other_table_name'),
				   ('expect_column_values_to_be_parseable_as', 'type')) k(kind, key)
		ON k.kind = e.kind
	 WHERE strpos(e.params ->> k.key, '.') = 0 AND k.key <> 'type'
	   AND pg_catalog.to_regclass('pg_catalog.' || pg_catalog.quote_ident(e.params ->> k.key)) IS NULL
	UNION ALL
	SELECT e.expectation_id, 'type',
		   (SELECT pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(t.typname)
			  FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
			 WHERE t.typname = e.params ->> 'type'
			   AND n.nspname IN (coalesce((SELECT xn.nspname FROM pg_catalog.pg_class x
											 JOIN pg_catalog.pg_namespace xn ON xn.oid = x.relnamespace
											WHERE x.oid = e.relid), e.schema_name), 'public')
			 ORDER BY n.nspname = 'public'
			 LIMIT 1)
	  FROM dq.expectations e
	 WHERE e.kind = 'expect_column_values_to_be_parseable_as'
	   AND strpos(e.params ->> 'type', '.') = 0
	   AND pg_catalog.to_regtype(e.params ->> 'type') IS NULL
)
UPDATE dq.expectations e
   SET params = e.params || pg_catalog.jsonb_build_object(f.key, f.name)
  FROM fix f
 WHERE f.expectation_id = e.expectation_id AND f.name IS NOT NULL;

-- dq.validate_all: one row per relation, skipped ones with their reason
DROP FUNCTION dq.validate_all(boolean);
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


-- suggestions from values only where the profile's values are visible
-- Suggestions from the latest profile (dq.profile) of a relation.
CREATE OR REPLACE FUNCTION dq.profile_suggestions(rel regclass)
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
		ELSIF p.values_visible AND p.top_values_exact AND p.distinct_count BETWEEN 1 AND 10
			  AND p.type_family <> 'boolean' THEN
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
