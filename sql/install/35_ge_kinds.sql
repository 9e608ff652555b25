
-- ---------------------------------------------------------------------
-- Great Expectations conformance: the objects of GE's kinds that need
-- their own SQL objects (value counts, distributions, suites)
-- ---------------------------------------------------------------------

CREATE FUNCTION dq_internal.value_counts_trans(internal, anyelement) RETURNS internal
	AS 'MODULE_PATHNAME', 'dq_value_counts_trans' LANGUAGE C CALLED ON NULL INPUT;
CREATE FUNCTION dq_internal.value_counts_final(internal, anyelement) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'dq_value_counts_final' LANGUAGE C CALLED ON NULL INPUT;
CREATE AGGREGATE dq.value_counts(anyelement) (
	SFUNC = dq_internal.value_counts_trans,
	STYPE = internal,
	FINALFUNC = dq_internal.value_counts_final,
	FINALFUNC_EXTRA
);
COMMENT ON AGGREGATE dq.value_counts(anyelement) IS
	'The non-NULL values with the number of rows holding each, sorted by value: [{"value": v, "count": n}, ...] (GE''s details.value_counts)';

-- Suites in Great Expectations' own JSON format
CREATE FUNCTION dq.import_suite(rel regclass, suite jsonb) RETURNS integer
	LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	e jsonb;
	kw jsonb;
	k text;
	n integer := 0;
BEGIN
	IF rel IS NULL OR suite IS NULL THEN
		RAISE EXCEPTION 'rel and suite must not be NULL'
			USING ERRCODE = 'null_value_not_allowed',
			      HINT = 'Pass a relation and a Great Expectations suite as jsonb.';
	END IF;
	IF jsonb_typeof(suite) <> 'object' OR jsonb_typeof(suite -> 'expectations') IS DISTINCT FROM 'array' THEN
		RAISE EXCEPTION 'suite must be a JSON object with an "expectations" array'
			USING ERRCODE = 'invalid_parameter_value',
			      HINT = 'Pass a Great Expectations suite: {"name": "...", "expectations": [{"type": "...", "kwargs": {...}}]}.';
	END IF;
	FOR e IN SELECT value FROM jsonb_array_elements(suite -> 'expectations') LOOP
		k := coalesce(e ->> 'type', e ->> 'expectation_type');
		kw := coalesce(e -> 'kwargs', '{}');
		IF jsonb_typeof(e) <> 'object' OR k IS NULL OR jsonb_typeof(kw) <> 'object' THEN
			RAISE EXCEPTION 'expectation % of the suite has no "type" or no "kwargs" object', n + 1
				USING ERRCODE = 'invalid_parameter_value',
				      HINT = 'Each expectation is {"type": "expect_...", "kwargs": {...}, "meta": {...}}.';
		END IF;
		PERFORM dq.expect(rel, k, (kw ->> 'column')::name,
		                  kw - 'column' - 'mostly' - 'batch_id',
		                  (kw ->> 'mostly')::float8,
		                  coalesce(e -> 'meta' ->> 'severity', 'error'),
		                  e -> 'meta' ->> 'name');
		n := n + 1;
	END LOOP;
	RETURN n;
END
$$;
COMMENT ON FUNCTION dq.import_suite(regclass, jsonb) IS
	'Define the expectations of a Great Expectations suite (JSON, "expectations": [{"type" or "expectation_type", "kwargs", "meta"}]) on a relation; all or none; returns how many';

CREATE FUNCTION dq.export_suite(rel regclass) RETURNS jsonb
	LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	suite jsonb;
BEGIN
	IF rel IS NULL THEN
		RAISE EXCEPTION USING ERRCODE = 'null_value_not_allowed',
			MESSAGE = 'rel must not be NULL', HINT = 'Name the relation, for example ''public.orders''.';
	END IF;
	SELECT jsonb_build_object(
		'name', rel::text,
		'expectations', coalesce(jsonb_agg(jsonb_build_object(
			'type', e.kind,
			'kwargs', e.params
				|| CASE WHEN e.column_name IS NULL THEN '{}'::jsonb
				        ELSE jsonb_build_object('column', coalesce(a.attname, e.column_name)) END
				|| CASE WHEN e.mostly IS NULL THEN '{}'::jsonb
				        ELSE jsonb_build_object('mostly', e.mostly) END,
			'meta', jsonb_strip_nulls(jsonb_build_object(
				'expectation_id', e.expectation_id, 'severity', e.severity, 'name', e.name,
				'description', e.description)))
			ORDER BY e.expectation_id), '[]'::jsonb),
		'meta', jsonb_build_object('great_expectations_version', '1.2.0',
		                           'exported_by', 'dq_lineage'))
	  INTO suite
	  FROM dq.expectations e
	  LEFT JOIN pg_attribute a ON a.attrelid = e.relid AND a.attnum = e.attnum AND NOT a.attisdropped
	 WHERE e.relid = rel AND e.enabled;
	RETURN suite;
END
$$;
COMMENT ON FUNCTION dq.export_suite(regclass) IS
	'The enabled expectations of a relation as a Great Expectations suite (JSON), for dq.import_suite or GE';
