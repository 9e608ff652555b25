------------------------------------------------------------------------
-- Sketch aggregates (usable on their own)
------------------------------------------------------------------------

CREATE FUNCTION dq_internal.hll_trans(internal, anyelement) RETURNS internal
	AS 'MODULE_PATHNAME', 'dq_hll_trans' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dq_internal.hll_combine(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'dq_hll_combine' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dq_internal.hll_serialize(internal) RETURNS bytea
	AS 'MODULE_PATHNAME', 'dq_hll_serialize' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dq_internal.hll_deserialize(bytea, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'dq_hll_deserialize' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dq_internal.hll_final(internal) RETURNS bigint
	AS 'MODULE_PATHNAME', 'dq_hll_final' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;

CREATE AGGREGATE dq.approx_distinct(anyelement) (
	SFUNC = dq_internal.hll_trans,
	STYPE = internal,
	FINALFUNC = dq_internal.hll_final,
	COMBINEFUNC = dq_internal.hll_combine,
	SERIALFUNC = dq_internal.hll_serialize,
	DESERIALFUNC = dq_internal.hll_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE dq.approx_distinct(anyelement) IS
	'Approximate number of distinct non-NULL values (HyperLogLog, 2^14 registers, relative standard error 0.81%; exact below 1024 distinct values)';

CREATE FUNCTION dq_internal.kll_trans(internal, float8, float8[]) RETURNS internal
	AS 'MODULE_PATHNAME', 'dq_kll_trans' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dq_internal.kll_combine(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'dq_kll_combine' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dq_internal.kll_serialize(internal) RETURNS bytea
	AS 'MODULE_PATHNAME', 'dq_kll_serialize' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dq_internal.kll_deserialize(bytea, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'dq_kll_deserialize' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dq_internal.kll_final(internal) RETURNS float8[]
	AS 'MODULE_PATHNAME', 'dq_kll_final' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;

CREATE AGGREGATE dq.approx_quantiles(float8, float8[]) (
	SFUNC = dq_internal.kll_trans,
	STYPE = internal,
	FINALFUNC = dq_internal.kll_final,
	COMBINEFUNC = dq_internal.kll_combine,
	SERIALFUNC = dq_internal.kll_serialize,
	DESERIALFUNC = dq_internal.kll_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE dq.approx_quantiles(float8, float8[]) IS
	'Approximate quantiles (percentile_disc semantics) of the non-NULL, non-NaN values at the given fractions (KLL sketch, k = 400, normalized rank error about 0.7%)';

CREATE FUNCTION dq_internal.topk_trans(internal, anyelement, integer) RETURNS internal
	AS 'MODULE_PATHNAME', 'dq_topk_trans' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dq_internal.topk_combine(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'dq_topk_combine' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dq_internal.topk_serialize(internal) RETURNS bytea
	AS 'MODULE_PATHNAME', 'dq_topk_serialize' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dq_internal.topk_deserialize(bytea, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'dq_topk_deserialize' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION dq_internal.topk_final(internal) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'dq_topk_final' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;

CREATE AGGREGATE dq.approx_top_k(anyelement, integer) (
	SFUNC = dq_internal.topk_trans,
	STYPE = internal,
	FINALFUNC = dq_internal.topk_final,
	COMBINEFUNC = dq_internal.topk_combine,
	SERIALFUNC = dq_internal.topk_serialize,
	DESERIALFUNC = dq_internal.topk_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE dq.approx_top_k(anyelement, integer) IS
	'The k most frequent non-NULL values with their counts, as jsonb (Space-Saving sketch with max(64, 4k) counters; exact while the column has fewer distinct values than counters)';

