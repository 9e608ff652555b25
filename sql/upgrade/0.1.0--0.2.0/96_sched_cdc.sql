-- Change validation: the expectation's kind, severity and mostly beside
-- each violation (recorded when the violation is; older violations take
-- the values their expectation has now, or stay NULL when it is gone).
ALTER TABLE dq.violations ADD COLUMN kind text;
ALTER TABLE dq.violations ADD COLUMN severity text;
ALTER TABLE dq.violations ADD COLUMN mostly float8;
UPDATE dq.violations v SET kind = e.kind, severity = e.severity, mostly = e.mostly
  FROM dq.expectations e WHERE e.expectation_id = v.expectation_id;
COMMENT ON COLUMN dq.violations.kind IS 'Kind of the expectation that failed (dq.expectation_kinds), as it was when the violation was recorded';
COMMENT ON COLUMN dq.violations.severity IS 'Severity of the expectation (error or warn) when the violation was recorded: filter on it to see the violations that matter first';
COMMENT ON COLUMN dq.violations.mostly IS 'The expectation''s mostly when the violation was recorded (NULL means 1): change validation checks each row on its own, so a row that fails an expectation with mostly below 1 is recorded too; whether the fraction holds is decided by dq.validate over the whole table';

-- Scheduler: runs that wait (status waiting) instead of failing when no
-- background worker slot is free or a cap is reached, retries, and jobs
-- that run after another job's successful run.
ALTER TABLE dq.jobs ALTER COLUMN schedule DROP NOT NULL;
ALTER TABLE dq.jobs ADD COLUMN retries integer NOT NULL DEFAULT 0 CONSTRAINT jobs_retries_check CHECK (retries >= 0);
ALTER TABLE dq.jobs ADD COLUMN retry_delay interval NOT NULL DEFAULT '1 minute';
ALTER TABLE dq.jobs ADD COLUMN after_job bigint;
ALTER TABLE dq.jobs ADD CONSTRAINT jobs_schedule_or_after CHECK ((schedule IS NULL) = (after_job IS NOT NULL));
COMMENT ON COLUMN dq.jobs.schedule IS 'Cron expression (5 fields), @shortcut or interval such as 30 seconds; NULL for a job that runs after another (after_job)';
COMMENT ON COLUMN dq.jobs.retries IS 'How many times a failed run is tried again (0: never); each attempt is a row of dq.job_runs with its attempt number';
COMMENT ON COLUMN dq.jobs.retry_delay IS 'Time from the end of a failed attempt to the next attempt';
COMMENT ON COLUMN dq.jobs.after_job IS 'The job (job_id) after each successful run of which this job runs, instead of a schedule of its own; NULL for a job on a schedule';

ALTER TABLE dq.job_runs DROP CONSTRAINT job_runs_status_check;
ALTER TABLE dq.job_runs ADD CONSTRAINT job_runs_status_check
	CHECK (status IN ('waiting', 'starting', 'running', 'succeeded', 'failed', 'skipped'));
ALTER TABLE dq.job_runs ADD COLUMN attempt integer NOT NULL DEFAULT 1;
ALTER TABLE dq.job_runs ADD COLUMN waited_for text;
ALTER TABLE dq.job_runs ADD COLUMN after_run_id bigint;
COMMENT ON COLUMN dq.job_runs.scheduled_at IS 'The tick: when the run was due (for a retry, when the attempt was due; for a job that runs after another, when that job''s run succeeded)';
COMMENT ON COLUMN dq.job_runs.status IS 'waiting (for a free background worker slot or under dq_lineage.max_running_jobs or dq_lineage.max_runs_per_role), starting, running, succeeded, failed or skipped';
COMMENT ON COLUMN dq.job_runs.attempt IS 'Attempt number: 1 for the tick''s first run, 2 and on for the retries of a failed run (dq.jobs.retries)';
COMMENT ON COLUMN dq.job_runs.waited_for IS 'What the run waited for before it started: a free background worker slot, dq_lineage.max_running_jobs or dq_lineage.max_runs_per_role; NULL when it started at once';
COMMENT ON COLUMN dq.job_runs.after_run_id IS 'For a job that runs after another: the run of that job whose success started this one';

DROP FUNCTION dq.schedule(text, text, text, text, name);
DROP FUNCTION dq.alter_job(text, text, text, boolean, text, interval, name);
-- @include ../../install/40_sched.sql job_functions or-replace

-- @include ../../install/40_sched.sql job_status or-replace
COMMENT ON COLUMN dq.job_status.schedule IS 'Cron expression, @shortcut or interval; NULL for a job that runs after another (after_job)';
COMMENT ON COLUMN dq.job_status.next_run IS 'Next tick (NULL when disabled, when a cron schedule never fires, or for a job that runs after another)';
COMMENT ON COLUMN dq.job_status.last_status IS 'Status of the latest tick: succeeded, failed, skipped, waiting, starting or running';
COMMENT ON COLUMN dq.job_status.retries IS 'How many times a failed run is tried again';
COMMENT ON COLUMN dq.job_status.retry_delay IS 'Time from a failed attempt to the next';
COMMENT ON COLUMN dq.job_status.after_job IS 'Name of the job after each successful run of which this one runs (NULL: the job has a schedule)';
COMMENT ON COLUMN dq.job_status.last_attempt IS 'Attempt number of the latest run (above 1: a retry)';
COMMENT ON COLUMN dq.job_status.waiting_runs IS 'Runs waiting to start (for a free background worker slot, or under dq_lineage.max_running_jobs or dq_lineage.max_runs_per_role)';

-- The run history of the BI views names the waiting status too.
COMMENT ON COLUMN dq.job_run_history.status IS 'succeeded, failed, skipped, waiting, starting or running';
