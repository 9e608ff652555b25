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

