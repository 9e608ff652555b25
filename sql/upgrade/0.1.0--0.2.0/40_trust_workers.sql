
------------------------------------------------------------------------
-- Scheduler and change validation: trust (issue 13)
------------------------------------------------------------------------

-- Job names are unique per owner: another role's job of the same name
-- must not block yours.
ALTER TABLE dq.jobs DROP CONSTRAINT jobs_job_name_key;
ALTER TABLE dq.jobs ADD UNIQUE (owner, job_name);
COMMENT ON COLUMN dq.jobs.job_name IS 'Name, unique among the jobs of its owner';

-- Change validation: rules that fail are recorded and skipped instead of
-- stopping the worker; dq.cdc_status shows them, and pg_monitor reads it.
CREATE TABLE dq.cdc_rule_errors (
	expectation_id	bigint PRIMARY KEY,
	relid			oid NOT NULL,
	lsn				pg_lsn,
	sqlstate		text NOT NULL,
	message			text NOT NULL,
	failed_at		timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE dq.cdc_rule_errors IS 'Expectations that change validation skips because checking them raised an error that is not about the data; changing or dropping the expectation removes its row';
COMMENT ON COLUMN dq.cdc_rule_errors.expectation_id IS 'The broken expectation (dq.expectations)';
COMMENT ON COLUMN dq.cdc_rule_errors.relid IS 'OID of the changed table (the partition, for a partitioned table)';
COMMENT ON COLUMN dq.cdc_rule_errors.lsn IS 'Commit LSN of the change it failed on; NULL when it failed before any change was checked';
COMMENT ON COLUMN dq.cdc_rule_errors.sqlstate IS 'SQLSTATE of the error';
COMMENT ON COLUMN dq.cdc_rule_errors.message IS 'Message of the error';
COMMENT ON COLUMN dq.cdc_rule_errors.failed_at IS 'When the worker found the rule broken';

REVOKE ALL ON dq.cdc_rule_errors FROM PUBLIC;
GRANT SELECT ON dq.cdc_rule_errors TO PUBLIC;
ALTER TABLE dq.cdc_rule_errors ENABLE ROW LEVEL SECURITY;
CREATE POLICY cdc_rule_errors_readable ON dq.cdc_rule_errors FOR SELECT
	USING (pg_catalog.has_table_privilege(relid, 'SELECT'));
COMMENT ON COLUMN dq.cdc_state.last_error IS 'Last error of the worker (it retries); cleared once a pass went through after it';

CREATE OR REPLACE VIEW dq.cdc_status AS
SELECT st.slot_name,
	   (SELECT pg_catalog.count(*) FROM dq.watched_tables) AS watched_tables,
	   s.active_pid AS worker_pid,
	   s.confirmed_flush_lsn,
	   st.processed_lsn,
	   pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), s.confirmed_flush_lsn)::bigint AS lag_bytes,
	   CASE WHEN pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), s.confirmed_flush_lsn) > 0
				 AND st.last_commit_time IS NOT NULL
			THEN pg_catalog.date_part('epoch', pg_catalog.now() OPERATOR(pg_catalog.-) st.last_commit_time)
			ELSE 0 END AS lag_seconds,
	   pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), s.confirmed_flush_lsn) >
		 pg_catalog.pg_size_bytes(coalesce(pg_catalog.current_setting('dq_lineage.cdc_max_lag', true), '1GB'))
		 AS lag_exceeded,
	   s.wal_status,
	   s.safe_wal_size,
	   st.changes_checked,
	   st.violations_found,
	   st.toast_skipped,
	   st.changes_per_second,
	   st.last_commit_time,
	   st.last_error,
	   st.last_error_at,
	   st.updated_at,
	   ARRAY(SELECT b.expectation_id FROM dq.cdc_rule_errors b ORDER BY 1) AS broken_expectations
  FROM dq.cdc_state st
  LEFT JOIN pg_catalog.pg_replication_slots s ON s.slot_name = st.slot_name
 WHERE st.slot_name = 'dq_lineage_' OPERATOR(pg_catalog.||)
	   (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database());
COMMENT ON COLUMN dq.cdc_status.last_error IS 'Last error of the worker; NULL again once a pass went through after it';
COMMENT ON COLUMN dq.cdc_status.broken_expectations IS 'Expectations skipped because checking them raised an error that is not about the data (details in dq.cdc_rule_errors)';
GRANT SELECT ON dq.cdc_status TO pg_monitor;
