
-- ---------------------------------------------------------------------
-- Great Expectations conformance: the objects of GE's kinds that need
-- their own SQL objects (value counts, distributions, suites)
-- ---------------------------------------------------------------------

CREATE FUNCTION dq.value_counts_trans(internal, anyelement) RETURNS internal
	AS 'MODULE_PATHNAME', 'dq_value_counts_trans' LANGUAGE C CALLED ON NULL INPUT;
CREATE FUNCTION dq.value_counts_final(internal, anyelement) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'dq_value_counts_final' LANGUAGE C CALLED ON NULL INPUT;
CREATE AGGREGATE dq.value_counts(anyelement) (
	SFUNC = dq.value_counts_trans,
	STYPE = internal,
	FINALFUNC = dq.value_counts_final,
	FINALFUNC_EXTRA
);
COMMENT ON AGGREGATE dq.value_counts(anyelement) IS
	'The non-NULL values with the number of rows holding each, sorted by value: [{"value": v, "count": n}, ...] (GE''s details.value_counts)';
