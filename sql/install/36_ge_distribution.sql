
-- ---------------------------------------------------------------------
-- Great Expectations' distributional kinds (KL divergence, chi-square,
-- bootstrapped and parameterized Kolmogorov-Smirnov, Cramer's phi)
-- ---------------------------------------------------------------------

CREATE FUNCTION dq_internal.sorted_values_trans(internal, float8) RETURNS internal
	AS 'MODULE_PATHNAME', 'dq_sorted_values_trans' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dq_internal.sorted_values_combine(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'dq_sorted_values_combine' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dq_internal.sorted_values_serialize(internal) RETURNS bytea
	AS 'MODULE_PATHNAME', 'dq_sorted_values_serialize' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dq_internal.sorted_values_deserialize(bytea, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'dq_sorted_values_deserialize' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dq_internal.sorted_values_final(internal) RETURNS float8[]
	AS 'MODULE_PATHNAME', 'dq_sorted_values_final' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE AGGREGATE dq.sorted_values(float8) (
	SFUNC = dq_internal.sorted_values_trans,
	STYPE = internal,
	FINALFUNC = dq_internal.sorted_values_final,
	COMBINEFUNC = dq_internal.sorted_values_combine,
	SERIALFUNC = dq_internal.sorted_values_serialize,
	DESERIALFUNC = dq_internal.sorted_values_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE dq.sorted_values(float8) IS
	'Every non-NULL, non-NaN value in ascending order (the exact one-sample Kolmogorov-Smirnov test reads them all)';

CREATE FUNCTION dq_internal.ge_distribution_result(kind text, params jsonb, row_count bigint,
										  nonnull_count bigint, counts jsonb, vals float8[])
	RETURNS jsonb
	AS 'MODULE_PATHNAME', 'dq_ge_distribution_result' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION dq_internal.ge_distribution_result(text, jsonb, bigint, bigint, jsonb, float8[]) IS
	'The result of a distributional expectation (observed_value, success, details) from what the validation''s scan computed';

-- The exact number of distinct values, hash-based and parallel (the exact
-- distinct kinds use it instead of count(DISTINCT), which keeps the one
-- scan of dq.validate from a parallel plan)
CREATE FUNCTION dq_internal.exact_distinct_trans(internal, anyelement) RETURNS internal
	AS 'MODULE_PATHNAME', 'dq_exact_distinct_trans' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dq_internal.exact_distinct_combine(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'dq_exact_distinct_combine' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dq_internal.exact_distinct_serialize(internal) RETURNS bytea
	AS 'MODULE_PATHNAME', 'dq_exact_distinct_serialize' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dq_internal.exact_distinct_deserialize(bytea, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'dq_exact_distinct_deserialize' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dq_internal.exact_distinct_final(internal) RETURNS bigint
	AS 'MODULE_PATHNAME', 'dq_exact_distinct_final' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE AGGREGATE dq.exact_distinct(anyelement) (
	SFUNC = dq_internal.exact_distinct_trans,
	STYPE = internal,
	FINALFUNC = dq_internal.exact_distinct_final,
	FINALFUNC_MODIFY = READ_WRITE,
	COMBINEFUNC = dq_internal.exact_distinct_combine,
	SERIALFUNC = dq_internal.exact_distinct_serialize,
	DESERIALFUNC = dq_internal.exact_distinct_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE dq.exact_distinct(anyelement) IS
	'The exact number of distinct non-NULL values, as count(DISTINCT x), hash-based, parallel, in bounded memory (spills to a sort beyond hash_mem)';
