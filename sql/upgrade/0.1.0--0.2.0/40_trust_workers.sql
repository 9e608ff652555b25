
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
-- @include ../../install/50_cdc.sql cdc_rule_errors

REVOKE ALL ON dq.cdc_rule_errors FROM PUBLIC;
GRANT SELECT ON dq.cdc_rule_errors TO PUBLIC;
ALTER TABLE dq.cdc_rule_errors ENABLE ROW LEVEL SECURITY;
CREATE POLICY cdc_rule_errors_readable ON dq.cdc_rule_errors FOR SELECT
	USING (pg_catalog.has_table_privilege(relid, 'SELECT'));
COMMENT ON COLUMN dq.cdc_state.last_error IS 'Last error of the worker (it retries); cleared once a pass went through after it';

-- @include ../../install/50_cdc.sql cdc_status or-replace
COMMENT ON COLUMN dq.cdc_status.last_error IS 'Last error of the worker; NULL again once a pass went through after it';
COMMENT ON COLUMN dq.cdc_status.broken_expectations IS 'Expectations skipped because checking them raised an error that is not about the data (details in dq.cdc_rule_errors)';
GRANT SELECT ON dq.cdc_status TO pg_monitor;
