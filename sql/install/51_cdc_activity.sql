------------------------------------------------------------------------
-- Change validation: what the change stream saw of each watched table
-- (docs/cdc.md; read by freshness and volume monitors, docs/monitors.md)
------------------------------------------------------------------------

-- A table of its own rather than columns of dq.watched_tables: the worker
-- writes it at every batch, while dq.watched_tables is configuration (it
-- is dumped, and the decoder reads it under historic snapshots); and the
-- counts are kept per decoded table, so that the partitions of a watched
-- partitioned table each have a row.  The rows are written in the same
-- transaction as dq.cdc_state.processed_lsn, so each change is counted
-- exactly once, across restarts and crashes of the worker.
CREATE TABLE dq.cdc_table_activity (
	relid			regclass PRIMARY KEY,
	last_commit_time timestamptz NOT NULL,
	rows_inserted	bigint NOT NULL DEFAULT 0,
	rows_updated	bigint NOT NULL DEFAULT 0,
	rows_deleted	bigint NOT NULL DEFAULT 0,
	truncates		bigint NOT NULL DEFAULT 0,
	updated_at		timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE dq.cdc_table_activity IS 'Committed changes of each watched table decoded by change validation, counted exactly once with the worker''s progress; freshness and volume monitors with source cdc read it';
COMMENT ON COLUMN dq.cdc_table_activity.relid IS 'The changed table (the partition, for a partitioned table; a regclass); the row goes when the table is dropped';
COMMENT ON COLUMN dq.cdc_table_activity.last_commit_time IS 'Commit time of the last decoded transaction that changed the table';
COMMENT ON COLUMN dq.cdc_table_activity.rows_inserted IS 'Rows inserted since the table was first watched';
COMMENT ON COLUMN dq.cdc_table_activity.rows_updated IS 'Rows updated since the table was first watched';
COMMENT ON COLUMN dq.cdc_table_activity.rows_deleted IS 'Rows deleted since the table was first watched (TRUNCATE not included)';
COMMENT ON COLUMN dq.cdc_table_activity.truncates IS 'TRUNCATEs of the table';
COMMENT ON COLUMN dq.cdc_table_activity.updated_at IS 'When the worker last recorded a change of the table';

REVOKE ALL ON dq.cdc_table_activity FROM PUBLIC;
GRANT SELECT ON dq.cdc_table_activity TO PUBLIC;
