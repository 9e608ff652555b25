------------------------------------------------------------------------
-- Scheduler: jobs on cron or interval schedules, run by background workers
------------------------------------------------------------------------

CREATE FUNCTION dq.cron_next(schedule text, after timestamptz DEFAULT now(),
		timezone text DEFAULT NULL, anchor timestamptz DEFAULT NULL)
	RETURNS timestamptz
	AS 'MODULE_PATHNAME', 'dq_cron_next' LANGUAGE C STABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION dq.cron_next(text, timestamptz, text, timestamptz) IS
	'First time strictly after "after" at which a schedule (cron expression, @shortcut or interval) fires, in the given time zone (default dq_lineage.timezone, else TimeZone); interval schedules fire at anchor + k * interval (default anchor: after); the scheduler uses the same function';

CREATE SEQUENCE dq.job_id_seq;
CREATE TABLE dq.jobs (
	job_id			bigint PRIMARY KEY DEFAULT nextval('dq.job_id_seq'),
	job_name		text NOT NULL,
	schedule		text,
	timezone		text,
	command			text NOT NULL,
	database		name,
	owner			regrole NOT NULL,
	superuser		boolean NOT NULL,
	enabled			boolean NOT NULL DEFAULT true,
	statement_timeout interval,
	schedule_anchor	timestamptz NOT NULL DEFAULT now(),
	created_at		timestamptz NOT NULL DEFAULT now(),
	updated_at		timestamptz NOT NULL DEFAULT now(),
	retries			integer NOT NULL DEFAULT 0 CONSTRAINT jobs_retries_check CHECK (retries >= 0),
	retry_delay		interval NOT NULL DEFAULT '1 minute',
	after_job		bigint,
	UNIQUE (owner, job_name),
	CONSTRAINT jobs_schedule_or_after CHECK ((schedule IS NULL) = (after_job IS NOT NULL))
);
ALTER SEQUENCE dq.job_id_seq OWNED BY dq.jobs.job_id;
COMMENT ON TABLE dq.jobs IS 'Scheduled jobs (dq.schedule); each runs as its owner in this database';
COMMENT ON COLUMN dq.jobs.job_id IS 'Identifier returned by dq.schedule()';
COMMENT ON COLUMN dq.jobs.job_name IS 'Name, unique among the jobs of its owner';
COMMENT ON COLUMN dq.jobs.schedule IS 'Cron expression (5 fields), @shortcut or interval such as 30 seconds; NULL for a job that runs after another (after_job)';
COMMENT ON COLUMN dq.jobs.timezone IS 'Time zone of a cron schedule; NULL means dq_lineage.timezone, else the server''s TimeZone';
COMMENT ON COLUMN dq.jobs.command IS 'SQL run at each tick (one or more statements, as in a simple query)';
COMMENT ON COLUMN dq.jobs.database IS 'Database the command runs in; NULL means this one';
COMMENT ON COLUMN dq.jobs.owner IS 'Role that scheduled the job; runs have exactly its rights';
COMMENT ON COLUMN dq.jobs.superuser IS 'Whether the owner was a superuser when the job was scheduled';
COMMENT ON COLUMN dq.jobs.enabled IS 'Disabled jobs are kept but not run';
COMMENT ON COLUMN dq.jobs.statement_timeout IS 'statement_timeout of each run; NULL means the role''s and server''s setting';
COMMENT ON COLUMN dq.jobs.schedule_anchor IS 'Interval schedules fire at schedule_anchor + k * interval; set when the schedule changes';
COMMENT ON COLUMN dq.jobs.created_at IS 'When the job was first scheduled';
COMMENT ON COLUMN dq.jobs.updated_at IS 'When the job was last changed';
COMMENT ON COLUMN dq.jobs.retries IS 'How many times a failed run is tried again (0: never); each attempt is a row of dq.job_runs with its attempt number';
COMMENT ON COLUMN dq.jobs.retry_delay IS 'Time from the end of a failed attempt to the next attempt';
COMMENT ON COLUMN dq.jobs.after_job IS 'The job (job_id) after each successful run of which this job runs, instead of a schedule of its own; NULL for a job on a schedule';

CREATE SEQUENCE dq.job_run_id_seq;
CREATE TABLE dq.job_runs (
	run_id			bigint PRIMARY KEY DEFAULT nextval('dq.job_run_id_seq'),
	job_id			bigint NOT NULL REFERENCES dq.jobs ON DELETE CASCADE,
	scheduled_at	timestamptz NOT NULL,
	started_at		timestamptz,
	ended_at		timestamptz,
	status			text NOT NULL
		CHECK (status IN ('waiting', 'starting', 'running', 'succeeded', 'failed', 'skipped')),
	worker_pid		integer,
	command_tag		text,
	rows			bigint,
	sqlstate		text,
	message			text,
	attempt			integer NOT NULL DEFAULT 1,
	waited_for		text,
	after_run_id	bigint
);
ALTER SEQUENCE dq.job_run_id_seq OWNED BY dq.job_runs.run_id;
CREATE INDEX job_runs_job_idx ON dq.job_runs (job_id, scheduled_at);
CREATE INDEX job_runs_open_idx ON dq.job_runs (status) WHERE status IN ('starting', 'running');
COMMENT ON TABLE dq.job_runs IS 'One row per tick of a job: its run, or why it was skipped; pruned after dq_lineage.job_run_retention';
COMMENT ON COLUMN dq.job_runs.run_id IS 'Identifier of the run';
COMMENT ON COLUMN dq.job_runs.job_id IS 'The job (dq.jobs)';
COMMENT ON COLUMN dq.job_runs.scheduled_at IS 'The tick: when the run was due (for a retry, when the attempt was due; for a job that runs after another, when that job''s run succeeded)';
COMMENT ON COLUMN dq.job_runs.started_at IS 'When the job worker began executing the command';
COMMENT ON COLUMN dq.job_runs.ended_at IS 'When the run ended (or was skipped)';
COMMENT ON COLUMN dq.job_runs.status IS 'waiting (for a free background worker slot or under dq_lineage.max_running_jobs or dq_lineage.max_runs_per_role), starting, running, succeeded, failed or skipped';
COMMENT ON COLUMN dq.job_runs.worker_pid IS 'Process id of the job worker';
COMMENT ON COLUMN dq.job_runs.command_tag IS 'Command tag of the last statement, such as INSERT 0 5';
COMMENT ON COLUMN dq.job_runs.rows IS 'Rows processed by the last statement';
COMMENT ON COLUMN dq.job_runs.sqlstate IS 'SQLSTATE of the error of a failed run';
COMMENT ON COLUMN dq.job_runs.message IS 'Error message (with detail, hint and context) of a failed run, or why a tick was skipped';
COMMENT ON COLUMN dq.job_runs.attempt IS 'Attempt number: 1 for the tick''s first run, 2 and on for the retries of a failed run (dq.jobs.retries)';
COMMENT ON COLUMN dq.job_runs.waited_for IS 'What the run waited for before it started: a free background worker slot, dq_lineage.max_running_jobs or dq_lineage.max_runs_per_role; NULL when it started at once';
COMMENT ON COLUMN dq.job_runs.after_run_id IS 'For a job that runs after another: the run of that job whose success started this one';

REVOKE ALL ON dq.jobs, dq.job_runs FROM PUBLIC;
GRANT SELECT ON dq.jobs, dq.job_runs TO PUBLIC;
ALTER TABLE dq.jobs ENABLE ROW LEVEL SECURITY;
ALTER TABLE dq.job_runs ENABLE ROW LEVEL SECURITY;
CREATE POLICY jobs_own ON dq.jobs FOR SELECT
	USING (pg_catalog.pg_has_role(owner, 'USAGE'));
CREATE POLICY job_runs_own ON dq.job_runs FOR SELECT
	USING (EXISTS (SELECT 1 FROM dq.jobs j WHERE j.job_id = job_runs.job_id));
SELECT pg_catalog.pg_extension_config_dump('dq.jobs', '');
SELECT pg_catalog.pg_extension_config_dump('dq.job_id_seq', '');

-- @section job_functions
CREATE FUNCTION dq.schedule(job_name text, schedule text, command text,
		timezone text DEFAULT NULL, database name DEFAULT NULL,
		retries integer DEFAULT 0, retry_delay interval DEFAULT '1 minute',
		after text DEFAULT NULL)
	RETURNS bigint
	AS 'MODULE_PATHNAME', 'dq_schedule' LANGUAGE C CALLED ON NULL INPUT;
COMMENT ON FUNCTION dq.schedule(text, text, text, text, name, integer, interval, text) IS
	'Schedule a command to run as the current user (cron expression, @shortcut or interval; or, with schedule NULL, after each successful run of the job named by after), in this database or in the one named, tried again up to retries times retry_delay after a failure; the same name again updates the job; returns the job id';

CREATE FUNCTION dq.unschedule(job_name text)
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
-- @end job_functions

CREATE FUNCTION dq.schedule_table_job(rel regclass, schedule text, action text)
	RETURNS bigint LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	qualified text;
BEGIN
	IF rel IS NULL THEN
		RAISE EXCEPTION 'relation must not be NULL' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF action IS NULL OR action NOT IN ('profile', 'validate') THEN
		RAISE EXCEPTION 'action must be profile or validate' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF NOT has_table_privilege(rel, 'SELECT') THEN
		RAISE EXCEPTION 'permission denied for table %', rel
			USING ERRCODE = 'insufficient_privilege',
				  HINT = 'A scheduled ' || CASE action WHEN 'profile' THEN 'profile' ELSE 'validation' END
						 || ' runs as you: you need SELECT on the table.';
	END IF;
	SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) INTO qualified
	  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = rel;
	RETURN dq.schedule(action || ' ' || qualified, schedule,
					   format('SELECT dq.%s(%L)', action, qualified));
END
$$;
COMMENT ON FUNCTION dq.schedule_table_job(regclass, text, text) IS
	'Schedule dq.profile (action profile) or dq.validate (action validate) of a table, in a job named "<action> <schema>.<table>"; dq.schedule_profile and dq.schedule_validation call it';

CREATE FUNCTION dq.schedule_profile(rel regclass, schedule text)
	RETURNS bigint LANGUAGE sql
	AS $$ SELECT dq.schedule_table_job(rel, schedule, 'profile') $$;
COMMENT ON FUNCTION dq.schedule_profile(regclass, text) IS
	'Schedule dq.profile of a table; the job is named "profile <schema>.<table>"';

CREATE FUNCTION dq.schedule_validation(rel regclass, schedule text)
	RETURNS bigint LANGUAGE sql
	AS $$ SELECT dq.schedule_table_job(rel, schedule, 'validate') $$;
COMMENT ON FUNCTION dq.schedule_validation(regclass, text) IS
	'Schedule dq.validate of a table; the job is named "validate <schema>.<table>"';

CREATE FUNCTION dq.start_scheduler() RETURNS boolean
	AS 'MODULE_PATHNAME', 'dq_start_scheduler' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dq.start_scheduler() IS
	'Ask the launcher to (re)start this database''s scheduler when the transaction commits; false when dq_lineage is not preloaded';

CREATE FUNCTION dq.scheduler_status(OUT launcher_pid integer, OUT scheduler_pid integer,
		OUT state text, OUT enabled boolean)
	AS 'MODULE_PATHNAME', 'dq_scheduler_status' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dq.scheduler_status() IS
	'Process ids of the launcher and of this database''s scheduler, and the scheduler''s state';

-- @section job_status
CREATE VIEW dq.job_status WITH (security_invoker = true) AS
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
-- @end job_status

-- Start this database's scheduler when CREATE EXTENSION commits.
SELECT dq.start_scheduler();

