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
