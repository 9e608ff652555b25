-- Scheduler: retries, retry_delay and jobs that run after another (dq.schedule, dq.alter_job,
-- dq.unschedule), bad input and cycles; the jobs fire on 1 January only, or after such a job
\set VERBOSITY terse
SET TimeZone = 'UTC';
CREATE ROLE regress_dq_deps LOGIN;
SET ROLE regress_dq_deps;

-- retries and retry_delay
SELECT dq.schedule('load', '0 0 1 1 *', 'SELECT 1', retries => 3, retry_delay => '30 seconds') > 0 AS scheduled;
SELECT job_name, schedule, retries, retry_delay, after_job FROM dq.jobs ORDER BY job_name;
SELECT dq.schedule('bad', '0 0 1 1 *', 'SELECT 1', retries => -1);
SELECT dq.schedule('bad', '0 0 1 1 *', 'SELECT 1', retries => 101);
SELECT dq.schedule('bad', '0 0 1 1 *', 'SELECT 1', retries => NULL);
SELECT dq.schedule('bad', '0 0 1 1 *', 'SELECT 1', retry_delay => '-1 second');
SELECT dq.schedule('bad', '0 0 1 1 *', 'SELECT 1', retry_delay => '1 month');
SELECT dq.schedule('bad', '0 0 1 1 *', 'SELECT 1', retry_delay => '31 days');
SELECT dq.alter_job('load', retries => -2);

-- a job that runs after another: no schedule of its own
SELECT dq.schedule('validate', NULL, 'SELECT 2', after => 'load') > 0 AS scheduled;
SELECT dq.schedule('report', NULL, 'SELECT 3', after => 'validate') > 0 AS scheduled;
SELECT job_name, schedule, after_job, next_run IS NULL AS no_next_run, retries FROM dq.job_status ORDER BY job_name;
SELECT dq.schedule('bad', '0 0 1 1 *', 'SELECT 1', after => 'load');
SELECT dq.schedule('bad', NULL, 'SELECT 1');
SELECT dq.schedule('bad', NULL, 'SELECT 1', after => 'no_such_job');
SELECT dq.schedule('bad', NULL, 'SELECT 1', after => '');
SELECT dq.schedule('bad', NULL, 'SELECT 1', after => 'bad');

-- cycles are refused
SELECT dq.alter_job('load', after => 'report');
SELECT dq.alter_job('load', after => 'load');
SELECT dq.schedule('validate', NULL, 'SELECT 2', after => 'validate');
\set VERBOSITY default
SELECT dq.alter_job('load', after => 'validate');
\set VERBOSITY terse

-- an upstream job cannot be unscheduled while others run after it
SELECT dq.unschedule('validate');
SELECT dq.unschedule('report') AS unscheduled;
SELECT dq.unschedule('validate') AS unscheduled;

-- alter_job: after replaces the schedule, a schedule replaces after
SELECT dq.schedule('validate', NULL, 'SELECT 2', after => 'load') > 0 AS scheduled;
SELECT dq.alter_job('validate', schedule => '@yearly') > 0 AS altered;
SELECT job_name, schedule, after_job FROM dq.job_status WHERE job_name = 'validate';
SELECT dq.alter_job('validate', after => 'load', retries => 1, retry_delay => '0') > 0 AS altered;
SELECT job_name, schedule, after_job, retries, retry_delay FROM dq.job_status WHERE job_name = 'validate';
SELECT dq.alter_job('validate', schedule => '@yearly', after => 'load');
SELECT dq.alter_job('validate', after => '');
SELECT dq.alter_job('validate', schedule => '@monthly', after => '') > 0 AS altered;
SELECT job_name, schedule, after_job FROM dq.job_status WHERE job_name = 'validate';

-- the run history's new columns, and the waiting status in the status check
SELECT attname FROM pg_attribute WHERE attrelid = 'dq.job_runs'::regclass AND attnum > 0
   AND attname IN ('attempt', 'waited_for', 'after_run_id') ORDER BY attnum;
SELECT pg_get_constraintdef(oid) LIKE '%waiting%' AS waiting_allowed
  FROM pg_constraint WHERE conname = 'job_runs_status_check';
SELECT current_setting('dq_lineage.max_runs_per_role') AS max_runs_per_role;

SELECT dq.unschedule(job_name) FROM dq.jobs ORDER BY job_name;
RESET ROLE;
DROP ROLE regress_dq_deps;
