-- Scheduler SQL surface: dq.schedule, dq.alter_job, dq.unschedule, dq.jobs, dq.job_status
-- (the jobs here fire on 1 January only, or are disabled, so none runs during the test)
\set VERBOSITY default
SET TimeZone = 'UTC';
CREATE ROLE regress_dq_job_a LOGIN;
CREATE ROLE regress_dq_job_b LOGIN;
CREATE ROLE regress_dq_job_nologin NOLOGIN;
CREATE TABLE job_target (id int);
GRANT SELECT ON job_target TO regress_dq_job_a;

SELECT launcher_pid IS NOT NULL AS launcher_running, enabled FROM dq.scheduler_status();

SET ROLE regress_dq_job_a;
SELECT dq.schedule('yearly', '0 0 1 1 *', 'SELECT 1') AS job_id \gset
-- the same name again updates the same job
SELECT dq.schedule('yearly', '0 0 1 1 *', 'SELECT 2') = :job_id AS same_job;
SELECT job_name, schedule, timezone, command, owner, superuser, enabled, statement_timeout
  FROM dq.jobs;
SELECT job_name, next_run > now() AS next_run_ahead, last_status FROM dq.job_status;
SELECT dq.schedule('berlin', '30 6 * * mon', 'SELECT 3', 'Europe/Berlin') > 0 AS scheduled;
SELECT job_name, timezone, to_char(next_run AT TIME ZONE 'Europe/Berlin', 'Dy HH24:MI') AS local_next
  FROM dq.job_status WHERE job_name = 'berlin';
-- alter: disable, change schedule and timeout, reset the time zone
SELECT dq.alter_job('berlin', enabled => false, statement_timeout => '5 seconds') > 0 AS altered;
SELECT job_name, enabled, statement_timeout, next_run FROM dq.job_status WHERE job_name = 'berlin';
SELECT dq.alter_job('berlin', schedule => '@yearly', timezone => '', statement_timeout => '0') > 0 AS altered;
SELECT job_name, schedule, timezone, statement_timeout FROM dq.jobs WHERE job_name = 'berlin';
-- convenience jobs
SELECT dq.schedule_profile('job_target', '0 0 1 1 *') > 0 AS profile_job,
	   dq.schedule_validation('job_target', '@yearly') > 0 AS validation_job;
SELECT job_name, schedule, command FROM dq.jobs WHERE job_name ~ '^(profile|validate) ' ORDER BY 1;
-- the catalog is written only through the functions
INSERT INTO dq.jobs (job_name, schedule, command, owner, superuser)
	VALUES ('forged', '@daily', 'SELECT 1', 'regress_dq_job_b', false);
UPDATE dq.jobs SET command = 'SELECT 4';
RESET ROLE;

-- other roles neither see nor change these jobs; names are per owner, so
-- another role's job of the same name is a job of its own
SET ROLE regress_dq_job_b;
SELECT count(*) AS visible_jobs FROM dq.jobs;
SELECT count(*) AS visible_runs FROM dq.job_runs;
SELECT dq.alter_job('yearly', command => 'DROP TABLE job_target');
SELECT dq.unschedule('yearly');
SELECT dq.schedule('yearly', '@yearly', 'SELECT 6') <> :job_id AS own_job;
SELECT job_name, command FROM dq.jobs;
SELECT dq.schedule_profile('job_target', '@daily');
RESET ROLE;
SET ROLE regress_dq_job_a;
SELECT job_name, command FROM dq.jobs WHERE job_name = 'yearly';
RESET ROLE;
-- a superuser has the privileges of both owners: the name is ambiguous
SELECT dq.alter_job('yearly', enabled => false);
-- a superuser's job is marked as such; the superuser sees every job
SELECT dq.schedule('admin job', '@yearly', 'SELECT 5') > 0 AS scheduled;
SELECT job_name, owner::text = current_user AS mine, superuser FROM dq.jobs ORDER BY job_id;

-- bad input: nothing is created
SELECT dq.schedule(NULL, '@daily', 'SELECT 1');
SELECT dq.schedule('x', NULL, 'SELECT 1');
SELECT dq.schedule('x', '@daily', NULL);
SELECT dq.schedule('', '@daily', 'SELECT 1');
SELECT dq.schedule('x', '@daily', '   ');
SELECT dq.schedule('x', '61 * * * *', 'SELECT 1');
SELECT dq.schedule('x', '@daily', 'SELECT 1', 'Nowhere/Special');
SELECT dq.schedule('x', '@daily', 'SELEC 1');
SELECT dq.schedule('x', '@daily', ';');
SELECT dq.schedule('x', '@daily', 'SELECT 1', database => 'no_such_database');
SELECT dq.schedule('x', '@daily', 'SELECT 1', database => 'template0');
SELECT dq.alter_job('x', enabled => true);
SELECT dq.alter_job('yearly', schedule => 'often');
SELECT dq.alter_job('yearly', statement_timeout => '-1 second');
SELECT dq.unschedule('no such job');
SELECT dq.unschedule(NULL);
SELECT dq.schedule_profile(NULL, '@daily');
SELECT dq.schedule_profile('no_such_table', '@daily');
-- a job may run in another database only if its owner may connect there
REVOKE CONNECT ON DATABASE postgres FROM PUBLIC;
SET ROLE regress_dq_job_b;
SELECT dq.schedule('x', '@daily', 'SELECT 1', database => 'postgres');
RESET ROLE;
GRANT CONNECT ON DATABASE postgres TO PUBLIC;
SELECT dq.schedule('elsewhere', '@yearly', 'SELECT 1', database => 'postgres') > 0 AS scheduled;
SELECT job_name, database FROM dq.job_status WHERE job_name = 'elsewhere';
SELECT dq.alter_job('elsewhere', database => current_database()) > 0 AS back_here;
SELECT job_name, database = current_database() AS here FROM dq.job_status WHERE job_name = 'elsewhere';
SELECT dq.unschedule('elsewhere');
SET ROLE regress_dq_job_nologin;
SELECT dq.schedule('x', '@daily', 'SELECT 1');
RESET ROLE;
SELECT count(*) AS jobs_named_x FROM dq.jobs WHERE job_name = 'x';

-- unschedule removes the job and its history
SET ROLE regress_dq_job_a;
SELECT dq.unschedule('yearly'), dq.unschedule('berlin'),
	   dq.unschedule('profile public.job_target'), dq.unschedule('validate public.job_target');
RESET ROLE;
SET ROLE regress_dq_job_b;
SELECT dq.unschedule('yearly');
RESET ROLE;
SELECT dq.unschedule('admin job');
SELECT count(*) AS jobs_left FROM dq.jobs;
DROP TABLE job_target;
DROP ROLE regress_dq_job_a, regress_dq_job_b, regress_dq_job_nologin;
RESET TimeZone;
