
------------------------------------------------------------------------
-- Scheduler and change validation: trust (issue 13)
------------------------------------------------------------------------

-- Job names are unique per owner: another role's job of the same name
-- must not block yours.
ALTER TABLE dq.jobs DROP CONSTRAINT jobs_job_name_key;
ALTER TABLE dq.jobs ADD UNIQUE (owner, job_name);
COMMENT ON COLUMN dq.jobs.job_name IS 'Name, unique among the jobs of its owner';
