------------------------------------------------------------------------
-- Progress and counters of the extension's own work
-- (docs/observability.md)
------------------------------------------------------------------------

CREATE FUNCTION dq_internal.progress_rows(
	OUT pid integer, OUT database name, OUT role name, OUT operation text,
	OUT relid oid, OUT schema_name name, OUT table_name name, OUT phase text,
	OUT blocks_total bigint, OUT blocks_done bigint, OUT rows_seen bigint,
	OUT percent_done float8, OUT started_at timestamptz, OUT elapsed interval,
	OUT estimated_remaining interval, OUT job_name text)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'dq_progress_rows'
	LANGUAGE C VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION dq_internal.progress_rows() IS
	'The rows of dq.progress, read from shared memory';

CREATE VIEW dq.progress AS
	SELECT pid, database, role, operation, relid, schema_name, table_name, phase,
		   blocks_total, blocks_done, rows_seen, percent_done, started_at, elapsed,
		   estimated_remaining, job_name
	  FROM dq_internal.progress_rows();
GRANT SELECT ON dq.progress TO PUBLIC;
COMMENT ON VIEW dq.progress IS 'One row per running profile, validation, check, monitor pass, backfill or job run of the server; like pg_stat_activity, what runs on which relation shows only to roles with the privileges of the row''s role and to members of pg_read_all_stats';
COMMENT ON COLUMN dq.progress.pid IS 'Process id of the backend or job worker running the operation (its parallel workers report into the same row)';
COMMENT ON COLUMN dq.progress.database IS 'Database the operation runs in';
COMMENT ON COLUMN dq.progress.role IS 'Role running the operation';
COMMENT ON COLUMN dq.progress.operation IS 'profile, validation, check, monitor, backfill or job';
COMMENT ON COLUMN dq.progress.relid IS 'OID of the relation (in database)';
COMMENT ON COLUMN dq.progress.schema_name IS 'Schema of the relation when the operation began';
COMMENT ON COLUMN dq.progress.table_name IS 'Name of the relation when the operation began';
COMMENT ON COLUMN dq.progress.phase IS 'planning, scanning, merging (combining the partial results of the scan), evaluating (further queries of a validation), storing (writing the results) or running (a job''s command)';
COMMENT ON COLUMN dq.progress.blocks_total IS 'Blocks of the heap tables the scan reads (the relation, or its partitions); NULL when unknown (views, foreign tables, samples)';
COMMENT ON COLUMN dq.progress.blocks_done IS 'Blocks read so far, from the scan itself; for a parallel scan, blocks handed out to the leader and its workers';
COMMENT ON COLUMN dq.progress.rows_seen IS 'Rows the scan has returned so far, in all its processes; NULL before the scan';
COMMENT ON COLUMN dq.progress.percent_done IS 'Share of the scan done: blocks, else rows against the planner''s estimate; 100 after the scan, NULL when unknown';
COMMENT ON COLUMN dq.progress.started_at IS 'When the operation began';
COMMENT ON COLUMN dq.progress.elapsed IS 'Time since the operation began';
COMMENT ON COLUMN dq.progress.estimated_remaining IS 'Time the scan still needs at its speed so far; NULL outside the scanning phase or when unknown';
COMMENT ON COLUMN dq.progress.job_name IS 'Scheduled job that runs the operation, NULL for a session''s own work';

CREATE FUNCTION dq_internal.stats_rows(
	OUT dbid oid, OUT operation text, OUT relid oid, OUT schema_name name,
	OUT table_name name, OUT calls bigint, OUT failures bigint, OUT skipped bigint,
	OUT rows bigint, OUT violations bigint, OUT total_time float8,
	OUT max_time float8, OUT last_at timestamptz, OUT stats_reset timestamptz)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'dq_stats_rows'
	LANGUAGE C VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION dq_internal.stats_rows() IS
	'The rows of dq.stats, read from shared memory';

CREATE VIEW dq.stats AS
	SELECT d.datname AS database, s.operation, s.relid, s.schema_name, s.table_name,
		   s.calls, s.failures, s.skipped, s.rows, s.violations,
		   s.total_time, s.max_time,
		   CASE WHEN s.calls > 0 THEN s.total_time / s.calls END AS mean_time,
		   s.last_at, s.stats_reset
	  FROM dq_internal.stats_rows() s
	  LEFT JOIN pg_catalog.pg_database d ON d.oid = s.dbid;
GRANT SELECT ON dq.stats TO PUBLIC;
COMMENT ON VIEW dq.stats IS 'Cumulative counters of the extension''s work since dq.stats_reset(), per database, operation and relation; rows of other databases show only to members of pg_read_all_stats';
COMMENT ON COLUMN dq.stats.database IS 'Database the work ran in';
COMMENT ON COLUMN dq.stats.operation IS 'profile, validation, check, monitor, backfill (per relation); job, cdc, alert (per database)';
COMMENT ON COLUMN dq.stats.relid IS 'OID of the relation; NULL for job, cdc and alert, and for relations beyond dq_lineage.stats_max';
COMMENT ON COLUMN dq.stats.schema_name IS 'Schema of the relation when it was first counted';
COMMENT ON COLUMN dq.stats.table_name IS 'Name of the relation when it was first counted';
COMMENT ON COLUMN dq.stats.calls IS 'Runs, failed ones included (job: runs; cdc: passes that recorded changes; alert: alerts sent)';
COMMENT ON COLUMN dq.stats.failures IS 'Runs that ended with an error, were cancelled or timed out, or whose session ended (alert: failed delivery attempts)';
COMMENT ON COLUMN dq.stats.skipped IS 'job: ticks skipped (overlapping runs, no free place, owner not allowed)';
COMMENT ON COLUMN dq.stats.rows IS 'Rows scanned (cdc: changes validated)';
COMMENT ON COLUMN dq.stats.violations IS 'cdc: violations recorded';
COMMENT ON COLUMN dq.stats.total_time IS 'Time spent in the runs, in milliseconds';
COMMENT ON COLUMN dq.stats.max_time IS 'Longest run, in milliseconds';
COMMENT ON COLUMN dq.stats.mean_time IS 'total_time / calls, in milliseconds';
COMMENT ON COLUMN dq.stats.last_at IS 'When the entry was last counted';
COMMENT ON COLUMN dq.stats.stats_reset IS 'When the counters were last reset (dq.stats_reset(), or the first start of the server after a crash)';

CREATE FUNCTION dq.stats_reset() RETURNS timestamptz
	AS 'MODULE_PATHNAME', 'dq_stats_reset'
	LANGUAGE C VOLATILE PARALLEL UNSAFE;
REVOKE ALL ON FUNCTION dq.stats_reset() FROM PUBLIC;
COMMENT ON FUNCTION dq.stats_reset() IS
	'Forget every counter of dq.stats, in every database; returns the time of the reset.  Superusers, and roles granted EXECUTE';
