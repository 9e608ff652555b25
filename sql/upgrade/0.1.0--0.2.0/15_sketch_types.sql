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
------------------------------------------------------------------------
-- Change validation of Citus distributed tables (docs/citus.md)
------------------------------------------------------------------------

-- Run on the workers by the coordinator (as the extension's owner) when
-- the watch or the expectations of a distributed table change.
CREATE FUNCTION dq_internal.citus_watch_shards(rel regclass, expectations jsonb, owner name) RETURNS void
	AS 'MODULE_PATHNAME', 'dq_citus_watch_shards' LANGUAGE C STRICT;
COMMENT ON FUNCTION dq_internal.citus_watch_shards(regclass, jsonb, name) IS
	'On a Citus worker: validate the changes of the table''s shards against the coordinator''s expectations (called by the coordinator as the extension''s owner)';
CREATE FUNCTION dq_internal.citus_unwatch_shards(rel regclass) RETURNS boolean
	AS 'MODULE_PATHNAME', 'dq_citus_unwatch_shards' LANGUAGE C STRICT;
COMMENT ON FUNCTION dq_internal.citus_unwatch_shards(regclass) IS
	'On a Citus worker: stop validating the changes of the table''s shards (called by the coordinator as the extension''s owner)';
REVOKE ALL ON FUNCTION dq_internal.citus_watch_shards(regclass, jsonb, name), dq_internal.citus_unwatch_shards(regclass) FROM PUBLIC;

CREATE FUNCTION dq.citus_sync_watches() RETURNS bigint
	AS 'MODULE_PATHNAME', 'dq_citus_sync_watches' LANGUAGE C STRICT;
COMMENT ON FUNCTION dq.citus_sync_watches() IS
	'On a Citus coordinator: set up the watches of distributed tables on every worker again (after citus_add_node); returns the number of tables';
REVOKE ALL ON FUNCTION dq.citus_sync_watches() FROM PUBLIC;

-- When the coordinator's transaction commits, the watches and the
-- expectations of the distributed tables it changed reach the workers; a
-- worker that cannot take them fails the commit.
CREATE FUNCTION dq_internal.citus_sync() RETURNS trigger
	AS 'MODULE_PATHNAME', 'dq_citus_sync' LANGUAGE C;
COMMENT ON FUNCTION dq_internal.citus_sync() IS
	'Trigger: on a Citus coordinator, notes a changed watch or expectation; at commit the configuration of the distributed tables concerned is pushed to the workers';
REVOKE ALL ON FUNCTION dq_internal.citus_sync() FROM PUBLIC;
CREATE TRIGGER watched_tables_citus AFTER INSERT OR UPDATE OR DELETE ON dq.watched_tables
	FOR EACH ROW EXECUTE FUNCTION dq_internal.citus_sync();
CREATE TRIGGER expectations_citus AFTER INSERT OR UPDATE OR DELETE ON dq.expectations
	FOR EACH ROW EXECUTE FUNCTION dq_internal.citus_sync();

-- The violations and the change validation of every node, read from the
-- coordinator (each node's rows as the caller may see them there).
CREATE FUNCTION dq_internal.cluster_violations_rows(
	OUT node text, OUT violation_id bigint, OUT expectation_id bigint, OUT relid regclass,
	OUT schema_name name, OUT table_name name, OUT operation text, OUT lsn pg_lsn,
	OUT change_seq integer, OUT xid bigint, OUT commit_time timestamptz,
	OUT detected_at timestamptz, OUT unexpected jsonb, OUT row_image jsonb)
	RETURNS SETOF record
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	here text := 'local';
	w record;
BEGIN
	IF EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'citus') THEN
		EXECUTE 'SELECT nodename || '':'' || nodeport FROM pg_catalog.pg_dist_node WHERE groupid = 0 LIMIT 1'
		   INTO here;
		here := coalesce(here, 'coordinator');
	END IF;
	RETURN QUERY
		SELECT here, v.violation_id, v.expectation_id, v.relid, v.schema_name, v.table_name,
			   v.operation, v.lsn, v.change_seq, v.xid, v.commit_time, v.detected_at,
			   v.unexpected, v.row_image
		  FROM dq.violations v;
	IF here = 'local' THEN
		RETURN;
	END IF;
	FOR w IN EXECUTE
		'SELECT nodename || '':'' || nodeport AS node, success, result
		   FROM pg_catalog.run_command_on_workers(
				''SELECT COALESCE(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(v)), ''''[]'''')
				    FROM dq.violations v'')'
	LOOP
		IF NOT w.success THEN
			RAISE WARNING 'could not read the violations of node %: %', w.node, w.result;
			CONTINUE;
		END IF;
		RETURN QUERY
			SELECT w.node, (j->>'violation_id')::bigint, (j->>'expectation_id')::bigint,
				   pg_catalog.to_regclass(pg_catalog.quote_ident(j->>'schema_name') || '.' ||
										  pg_catalog.quote_ident(j->>'table_name')),
				   (j->>'schema_name')::name, (j->>'table_name')::name, j->>'operation',
				   (j->>'lsn')::pg_lsn, (j->>'change_seq')::integer, (j->>'xid')::bigint,
				   (j->>'commit_time')::timestamptz, (j->>'detected_at')::timestamptz,
				   j->'unexpected', j->'row_image'
			  FROM pg_catalog.jsonb_array_elements(w.result::jsonb) j;
	END LOOP;
END
$$;
COMMENT ON FUNCTION dq_internal.cluster_violations_rows() IS
	'The rows of dq.cluster_violations';

CREATE VIEW dq.cluster_violations AS SELECT * FROM dq_internal.cluster_violations_rows();
COMMENT ON VIEW dq.cluster_violations IS 'Violations recorded on every node of a Citus cluster (the workers decode the changes of their shards), read from the coordinator; on a server without Citus, dq.violations';
COMMENT ON COLUMN dq.cluster_violations.node IS 'Node that recorded the violation (host:port; local without Citus)';
COMMENT ON COLUMN dq.cluster_violations.violation_id IS 'Identifier of the violation on its node';
COMMENT ON COLUMN dq.cluster_violations.expectation_id IS 'The expectation that failed (dq.expectations of the coordinator)';
COMMENT ON COLUMN dq.cluster_violations.relid IS 'The changed table, here; for a distributed table the table, not its shard';
COMMENT ON COLUMN dq.cluster_violations.schema_name IS 'Schema of the changed table when the violation was recorded';
COMMENT ON COLUMN dq.cluster_violations.table_name IS 'Name of the changed table when the violation was recorded';
COMMENT ON COLUMN dq.cluster_violations.operation IS 'INSERT, UPDATE or DELETE';
COMMENT ON COLUMN dq.cluster_violations.lsn IS 'WAL position of the commit record on the node that recorded it';
COMMENT ON COLUMN dq.cluster_violations.change_seq IS 'Number of the change within its transaction on that node';
COMMENT ON COLUMN dq.cluster_violations.xid IS 'Transaction ID of the change on that node';
COMMENT ON COLUMN dq.cluster_violations.commit_time IS 'Commit time of the transaction';
COMMENT ON COLUMN dq.cluster_violations.detected_at IS 'When the violation was recorded';
COMMENT ON COLUMN dq.cluster_violations.unexpected IS 'The offending value(s)';
COMMENT ON COLUMN dq.cluster_violations.row_image IS 'The row, column name to text value (as in dq.violations)';

CREATE FUNCTION dq_internal.cluster_cdc_status_rows(
	OUT node text, OUT watched_tables bigint, OUT worker_pid integer, OUT lag_bytes bigint,
	OUT processed_lsn pg_lsn, OUT changes_checked bigint, OUT violations_found bigint,
	OUT last_error text)
	RETURNS SETOF record
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	here text := 'local';
	w record;
BEGIN
	IF EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'citus') THEN
		EXECUTE 'SELECT nodename || '':'' || nodeport FROM pg_catalog.pg_dist_node WHERE groupid = 0 LIMIT 1'
		   INTO here;
		here := coalesce(here, 'coordinator');
	END IF;
	RETURN QUERY
		SELECT here, s.watched_tables, s.worker_pid, s.lag_bytes, s.processed_lsn,
			   s.changes_checked, s.violations_found, s.last_error
		  FROM dq.cdc_status s;
	IF here = 'local' THEN
		RETURN;
	END IF;
	FOR w IN EXECUTE
		'SELECT nodename || '':'' || nodeport AS node, success, result
		   FROM pg_catalog.run_command_on_workers(
				''SELECT COALESCE(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(s)), ''''[]'''')
				    FROM dq.cdc_status s'')'
	LOOP
		IF NOT w.success THEN
			RAISE WARNING 'could not read the change validation status of node %: %', w.node, w.result;
			CONTINUE;
		END IF;
		RETURN QUERY
			SELECT w.node, (j->>'watched_tables')::bigint, (j->>'worker_pid')::integer,
				   (j->>'lag_bytes')::bigint, (j->>'processed_lsn')::pg_lsn,
				   (j->>'changes_checked')::bigint, (j->>'violations_found')::bigint,
				   j->>'last_error'
			  FROM pg_catalog.jsonb_array_elements(w.result::jsonb) j;
	END LOOP;
END
$$;
COMMENT ON FUNCTION dq_internal.cluster_cdc_status_rows() IS
	'The rows of dq.cluster_cdc_status';

CREATE VIEW dq.cluster_cdc_status AS SELECT * FROM dq_internal.cluster_cdc_status_rows();
COMMENT ON VIEW dq.cluster_cdc_status IS 'Change validation of every node of a Citus cluster, read from the coordinator; on a server without Citus, dq.cdc_status';
COMMENT ON COLUMN dq.cluster_cdc_status.node IS 'Node (host:port; local without Citus)';
COMMENT ON COLUMN dq.cluster_cdc_status.watched_tables IS 'Tables watched on the node (a distributed table is watched on every node)';
COMMENT ON COLUMN dq.cluster_cdc_status.worker_pid IS 'Process of the node''s change validation worker, NULL when none runs';
COMMENT ON COLUMN dq.cluster_cdc_status.lag_bytes IS 'WAL of the node written since its slot''s confirmed position';
COMMENT ON COLUMN dq.cluster_cdc_status.processed_lsn IS 'Position of the node''s WAL up to which violations are recorded';
COMMENT ON COLUMN dq.cluster_cdc_status.changes_checked IS 'Changes of watched tables validated on the node';
COMMENT ON COLUMN dq.cluster_cdc_status.violations_found IS 'Violations recorded on the node';
COMMENT ON COLUMN dq.cluster_cdc_status.last_error IS 'Last error of the node''s worker';
