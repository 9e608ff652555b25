-- Trust: profiles and expectations (docs/security.md, "Expectations,
-- profiles and stored values").  Stored values are shown only to roles that
-- may see them; dq.validate_all skips relations the caller cannot read.

-- who may see stored values
-- @include ../../install/20_profile.sql values_visible

ALTER POLICY column_profiles_readable ON dq.column_profiles
	USING (dq.values_visible(relid, ARRAY[attnum]));

-- @include ../../install/20_profile.sql latest_profile or-replace
COMMENT ON COLUMN dq.latest_profile.sensitive IS 'Counts of values the sensitive-value detectors accept, and of free-text values containing one (counts only; docs/sensitive-data.md)';
COMMENT ON COLUMN dq.latest_profile.values_visible IS 'False when the values (min, max, top values, moments, quantiles, histogram, lengths) are withheld from you: the relation filters rows per role and you do not see all the rows its owner sees';

-- results record the columns whose values they may show
ALTER TABLE dq.validation_results ADD COLUMN attnums smallint[];
COMMENT ON COLUMN dq.validation_results.attnums IS 'Columns whose values the result may show (NULL: every column, empty: none), which decide who may read it';

-- @include ../../install/30_expect.sql result_visible

UPDATE dq.validation_results v
   SET attnums = dq.expectation_attnums(e.kind, e.attnum, e.param_attnums)
  FROM dq.expectations e
 WHERE e.expectation_id = v.expectation_id;
ALTER POLICY expectations_readable ON dq.expectations
	USING (dq.columns_readable(relid, dq.expectation_attnums(kind, attnum, param_attnums)));
ALTER POLICY validation_results_readable ON dq.validation_results
	USING (dq.result_visible(relid, attnums, result));

-- @include ../../install/30_expect.sql latest_validation or-replace
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
-- @include ../../install/30_expect.sql validate_all


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
