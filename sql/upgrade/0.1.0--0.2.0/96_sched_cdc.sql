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
CREATE FUNCTION dq.schedule(job_name text, schedule text, command text,
		timezone text DEFAULT NULL, database name DEFAULT NULL,
		retries integer DEFAULT 0, retry_delay interval DEFAULT '1 minute',
		after text DEFAULT NULL)
	RETURNS bigint
	AS 'MODULE_PATHNAME', 'dq_schedule' LANGUAGE C CALLED ON NULL INPUT;
COMMENT ON FUNCTION dq.schedule(text, text, text, text, name, integer, interval, text) IS
	'Schedule a command to run as the current user (cron expression, @shortcut or interval; or, with schedule NULL, after each successful run of the job named by after), in this database or in the one named, tried again up to retries times retry_delay after a failure; the same name again updates the job; returns the job id';

CREATE OR REPLACE FUNCTION dq.unschedule(job_name text)
	RETURNS boolean
	AS 'MODULE_PATHNAME', 'dq_unschedule' LANGUAGE C CALLED ON NULL INPUT;
COMMENT ON FUNCTION dq.unschedule(text) IS 'Delete one of your jobs and its run history (refused while other jobs run after it)';

CREATE FUNCTION dq.alter_job(job_name text, schedule text DEFAULT NULL,
		command text DEFAULT NULL, enabled boolean DEFAULT NULL,
		timezone text DEFAULT NULL, statement_timeout interval DEFAULT NULL,
		database name DEFAULT NULL, retries integer DEFAULT NULL,
		retry_delay interval DEFAULT NULL, after text DEFAULT NULL)
	RETURNS bigint
	AS 'MODULE_PATHNAME', 'dq_alter_job' LANGUAGE C CALLED ON NULL INPUT;
COMMENT ON FUNCTION dq.alter_job(text, text, text, boolean, text, interval, name, integer, interval, text) IS
	'Change one of your jobs: what is not NULL is set (timezone , statement_timeout 0 and database  go back to the defaults; a schedule replaces the job it ran after, after replaces the schedule)';

CREATE OR REPLACE VIEW dq.job_status WITH (security_invoker = true) AS
SELECT j.job_id, j.job_name, j.owner, j.superuser, j.enabled, j.schedule, j.statement_timeout,
	   coalesce(j.database, current_database()) AS database,
	   coalesce(j.timezone, nullif(current_setting('dq_lineage.timezone', true), ''),
				current_setting('TimeZone')) AS timezone,
	   CASE WHEN j.enabled AND j.schedule IS NOT NULL THEN dq.cron_next(j.schedule, now(), j.timezone, j.schedule_anchor) END
		   AS next_run,
	   last.status AS last_status, last.scheduled_at AS last_scheduled_at,
	   last.started_at AS last_started_at, last.ended_at AS last_ended_at,
	   last.message AS last_message,
	   (SELECT count(*) FROM dq.job_runs r WHERE r.job_id = j.job_id AND r.status = 'failed') AS failed_runs,
	   (SELECT count(*) FROM dq.job_runs r WHERE r.job_id = j.job_id AND r.status = 'skipped') AS skipped_runs,
	   j.command,
	   j.retries, j.retry_delay,
	   (SELECT a.job_name FROM dq.jobs a WHERE a.job_id = j.after_job) AS after_job,
	   last.attempt AS last_attempt,
	   (SELECT count(*) FROM dq.job_runs r WHERE r.job_id = j.job_id AND r.status = 'waiting') AS waiting_runs
  FROM dq.jobs j
  LEFT JOIN LATERAL (SELECT r.* FROM dq.job_runs r WHERE r.job_id = j.job_id
					 ORDER BY r.scheduled_at DESC, r.run_id DESC LIMIT 1) last ON true;
COMMENT ON VIEW dq.job_status IS 'Your jobs with their next run time and last run';
COMMENT ON COLUMN dq.job_status.job_id IS 'Identifier of the job';
COMMENT ON COLUMN dq.job_status.job_name IS 'Name of the job';
COMMENT ON COLUMN dq.job_status.owner IS 'Role the job runs as';
COMMENT ON COLUMN dq.job_status.superuser IS 'Whether the owner was a superuser when the job was scheduled';
COMMENT ON COLUMN dq.job_status.enabled IS 'Disabled jobs are not run';
COMMENT ON COLUMN dq.job_status.schedule IS 'Cron expression, @shortcut or interval; NULL for a job that runs after another (after_job)';
COMMENT ON COLUMN dq.job_status.database IS 'Database the command runs in';
COMMENT ON COLUMN dq.job_status.statement_timeout IS 'statement_timeout of each run (NULL: the role''s and server''s setting)';
COMMENT ON COLUMN dq.job_status.timezone IS 'Time zone the schedule is evaluated in';
COMMENT ON COLUMN dq.job_status.next_run IS 'Next tick (NULL when disabled, when a cron schedule never fires, or for a job that runs after another)';
COMMENT ON COLUMN dq.job_status.last_status IS 'Status of the latest tick: succeeded, failed, skipped, waiting, starting or running';
COMMENT ON COLUMN dq.job_status.last_scheduled_at IS 'When the latest tick was due';
COMMENT ON COLUMN dq.job_status.last_started_at IS 'When its run started';
COMMENT ON COLUMN dq.job_status.last_ended_at IS 'When its run ended';
COMMENT ON COLUMN dq.job_status.last_message IS 'Error of the latest run, or why it was skipped';
COMMENT ON COLUMN dq.job_status.failed_runs IS 'Failed runs in the kept history';
COMMENT ON COLUMN dq.job_status.skipped_runs IS 'Skipped ticks in the kept history';
COMMENT ON COLUMN dq.job_status.command IS 'The SQL the job runs';
COMMENT ON COLUMN dq.job_status.retries IS 'How many times a failed run is tried again';
COMMENT ON COLUMN dq.job_status.retry_delay IS 'Time from a failed attempt to the next';
COMMENT ON COLUMN dq.job_status.after_job IS 'Name of the job after each successful run of which this one runs (NULL: the job has a schedule)';
COMMENT ON COLUMN dq.job_status.last_attempt IS 'Attempt number of the latest run (above 1: a retry)';
COMMENT ON COLUMN dq.job_status.waiting_runs IS 'Runs waiting to start (for a free background worker slot, or under dq_lineage.max_running_jobs or dq_lineage.max_runs_per_role)';
GRANT SELECT ON dq.job_status TO PUBLIC;
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
