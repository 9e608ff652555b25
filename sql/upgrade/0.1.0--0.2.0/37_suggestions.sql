
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
CREATE OR REPLACE FUNCTION dq.profile_suggestions(rel regclass)
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

CREATE OR REPLACE FUNCTION dq.suggest_expectations(rel regclass)
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
