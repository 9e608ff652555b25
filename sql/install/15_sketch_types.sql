------------------------------------------------------------------------
-- dq.sketch_state and the aggregates that Citus pushes down to shards
------------------------------------------------------------------------

-- Citus computes an aggregate on the shards of a distributed table, and
-- merges the partial states on the coordinator, only when the aggregate
-- has a combine function and a transition type that is not a
-- pseudo-type.  These twins of the sketch aggregates keep their state in
-- a dq.sketch_state (docs/citus.md); they also work on any table.

CREATE TYPE dq.sketch_state;
CREATE FUNCTION dq.sketch_state_in(cstring) RETURNS dq.sketch_state
	AS 'MODULE_PATHNAME', 'dq_sketch_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION dq.sketch_state_out(dq.sketch_state) RETURNS cstring
	AS 'MODULE_PATHNAME', 'dq_sketch_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE dq.sketch_state (
	INPUT = dq.sketch_state_in,
	OUTPUT = dq.sketch_state_out,
	INTERNALLENGTH = VARIABLE,
	STORAGE = extended
);
COMMENT ON TYPE dq.sketch_state IS
	'Partial state of a sketch, profile or validation aggregate, as Citus ships it from the shards to the coordinator; text form <kind>:<base64>';

CREATE FUNCTION dq.value_hash(anyelement) RETURNS bigint
	AS 'MODULE_PATHNAME', 'dq_value_hash' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dq.value_hash(anyelement) IS
	'The 64-bit hash the sketch aggregates use for a value (consistent with the type''s equality; enums and types containing them hash their text)';
CREATE FUNCTION dq.value_text(anyelement) RETURNS text
	AS 'MODULE_PATHNAME', 'dq_value_text' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dq.value_text(anyelement) IS
	'A value printed by its type''s output function, as the top-values sketch prints it';

CREATE FUNCTION dq_internal.hll_pushdown_trans(dq.sketch_state, bigint) RETURNS dq.sketch_state
	AS 'MODULE_PATHNAME', 'dq_hll_pushdown_trans' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dq_internal.hll_pushdown_combine(dq.sketch_state, dq.sketch_state) RETURNS dq.sketch_state
	AS 'MODULE_PATHNAME', 'dq_hll_pushdown_combine' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dq_internal.hll_pushdown_final(dq.sketch_state) RETURNS bigint
	AS 'MODULE_PATHNAME', 'dq_hll_pushdown_final' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE AGGREGATE dq.approx_distinct_pushdown(bigint) (
	SFUNC = dq_internal.hll_pushdown_trans,
	STYPE = dq.sketch_state,
	FINALFUNC = dq_internal.hll_pushdown_final,
	COMBINEFUNC = dq_internal.hll_pushdown_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE dq.approx_distinct_pushdown(bigint) IS
	'dq.approx_distinct over dq.value_hash(x): the same HyperLogLog, with a state Citus can merge from the shards';

CREATE FUNCTION dq_internal.kll_pushdown_trans(dq.sketch_state, float8, float8[]) RETURNS dq.sketch_state
	AS 'MODULE_PATHNAME', 'dq_kll_pushdown_trans' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dq_internal.kll_pushdown_combine(dq.sketch_state, dq.sketch_state) RETURNS dq.sketch_state
	AS 'MODULE_PATHNAME', 'dq_kll_pushdown_combine' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dq_internal.kll_pushdown_final(dq.sketch_state) RETURNS float8[]
	AS 'MODULE_PATHNAME', 'dq_kll_pushdown_final' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE AGGREGATE dq.approx_quantiles_pushdown(float8, float8[]) (
	SFUNC = dq_internal.kll_pushdown_trans,
	STYPE = dq.sketch_state,
	FINALFUNC = dq_internal.kll_pushdown_final,
	COMBINEFUNC = dq_internal.kll_pushdown_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE dq.approx_quantiles_pushdown(float8, float8[]) IS
	'dq.approx_quantiles with a state Citus can merge from the shards (KLL sketch, same error bound)';

CREATE FUNCTION dq_internal.topk_pushdown_trans(dq.sketch_state, bigint, text, integer) RETURNS dq.sketch_state
	AS 'MODULE_PATHNAME', 'dq_topk_pushdown_trans' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dq_internal.topk_pushdown_combine(dq.sketch_state, dq.sketch_state) RETURNS dq.sketch_state
	AS 'MODULE_PATHNAME', 'dq_topk_pushdown_combine' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dq_internal.topk_pushdown_final(dq.sketch_state) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'dq_topk_pushdown_final' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE AGGREGATE dq.approx_top_k_pushdown(bigint, text, integer) (
	SFUNC = dq_internal.topk_pushdown_trans,
	STYPE = dq.sketch_state,
	FINALFUNC = dq_internal.topk_pushdown_final,
	COMBINEFUNC = dq_internal.topk_pushdown_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE dq.approx_top_k_pushdown(bigint, text, integer) IS
	'dq.approx_top_k over dq.value_hash(x), dq.value_text(x), k, with a state Citus can merge from the shards';

-- dq.profile of a distributed table: dq.row_profile's twin, over the
-- columns as one record (docs/citus.md)
CREATE FUNCTION dq_internal.row_profile_pushdown_trans(dq.sketch_state, text[], record) RETURNS dq.sketch_state
	AS 'MODULE_PATHNAME', 'dq_row_profile_pushdown_trans' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dq_internal.row_profile_pushdown_combine(dq.sketch_state, dq.sketch_state) RETURNS dq.sketch_state
	AS 'MODULE_PATHNAME', 'dq_row_profile_pushdown_combine' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dq_internal.row_profile_pushdown_final(dq.sketch_state) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'dq_row_profile_pushdown_final' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE AGGREGATE dq.row_profile_pushdown(text[], record) (
	SFUNC = dq_internal.row_profile_pushdown_trans,
	STYPE = dq.sketch_state,
	FINALFUNC = dq_internal.row_profile_pushdown_final,
	COMBINEFUNC = dq_internal.row_profile_pushdown_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE dq.row_profile_pushdown(text[], record) IS
	'dq.row_profile over ROW(c1, c2, ...) with a state Citus can merge from the shards: the first argument names each column''s collation ('''' for none); columns of built-in scalar types only; NULL when no row was read';

-- dq.validate and dq.check of a distributed table: the row-level rules
-- evaluated by a scalar function on the shards, the outcomes counted by
-- an aggregate Citus can push down (docs/citus.md)
CREATE FUNCTION dq.expect_row_outcomes(rules jsonb, names name[], collations text[], VARIADIC "any")
	RETURNS text
	AS 'MODULE_PATHNAME', 'dq_expect_row_outcomes' LANGUAGE C STABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION dq.expect_row_outcomes(jsonb, name[], text[], "any") IS
	'The outcome of each row-level rule on one row, for dq.expect_rows_pushdown: NULL when all passed, else one character per rule (. m u v) and the unexpected values; collations are names ('''' for none)';
CREATE FUNCTION dq_internal.expect_rows_pushdown_trans(dq.sketch_state, text) RETURNS dq.sketch_state
	AS 'MODULE_PATHNAME', 'dq_expect_rows_pushdown_trans' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dq_internal.expect_rows_pushdown_combine(dq.sketch_state, dq.sketch_state) RETURNS dq.sketch_state
	AS 'MODULE_PATHNAME', 'dq_expect_rows_pushdown_combine' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION dq_internal.expect_rows_pushdown_final(dq.sketch_state) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'dq_expect_rows_pushdown_final' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE AGGREGATE dq.expect_rows_pushdown(text) (
	SFUNC = dq_internal.expect_rows_pushdown_trans,
	STYPE = dq.sketch_state,
	FINALFUNC = dq_internal.expect_rows_pushdown_final,
	COMBINEFUNC = dq_internal.expect_rows_pushdown_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE dq.expect_rows_pushdown(text) IS
	'Counts of dq.expect_row_outcomes lines, shaped as dq.expect_rows''s result, with a state Citus can merge from the shards';
