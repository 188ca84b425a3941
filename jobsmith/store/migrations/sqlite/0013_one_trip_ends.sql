-- PostgreSQL ends a batch of attempts in one statement (its end_attempts function). SQLite
-- has no stored functions and needs none: it ends a batch (finish_jobs, release_dependants,
-- log_attempts) in one write turn of its own file, without a network round trip.

-- The running jobs of limit keys, for the claim's per-key counts: only jobs that have a
-- key (every query using it asks for limit_key IS NOT NULL). 0008's index held every
-- running job, so each claim wrote one more index entry per job for nothing.
DROP INDEX queue_job_limited;
CREATE INDEX queue_job_limited ON queue_job (limit_key)
    WHERE status = 'running' AND limit_key IS NOT NULL;
