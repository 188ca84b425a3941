-- Ending a batch of attempts in one round trip: the queue's finish_jobs, the release of
-- the jobs parked on those that ended (only when some are parked on them), and the run
-- log's own log_attempts (p_log), in one statement, so one implicit transaction. Before,
-- a batch took five round trips (BEGIN, the three functions, COMMIT). The commit stays
-- synchronous: an attempt's end (and its run-log rows) survives a server crash.
-- p_rows as finish_jobs and log_attempts read it. Returns each job ended (dependant
-- false) and then each dependant woken or failed (dependant true), with its new status.
CREATE FUNCTION end_attempts(
    p_rows JSONB, p_log BOOLEAN, p_environment TEXT, p_executed_by TEXT, p_host TEXT,
    p_pid INTEGER
) RETURNS TABLE (id BIGINT, status TEXT, dependant BOOLEAN)
LANGUAGE plpgsql SET search_path FROM CURRENT
AS $$
#variable_conflict use_column
DECLARE
    ids    BIGINT[];
    states TEXT[];
    ended  BIGINT[];
BEGIN
    SELECT array_agg(f.id), array_agg(f.status),
           array_agg(f.id) FILTER (WHERE f.status IN ('completed', 'failed', 'cancelled'))
    INTO ids, states, ended
    FROM finish_jobs(p_rows) f;
    RETURN QUERY SELECT u.id, u.status, false FROM unnest(ids, states) AS u(id, status);
    IF ended IS NOT NULL AND EXISTS (
        SELECT 1 FROM queue_job p WHERE p.status = 'parked' AND p.waiting_on = ANY(ended)
    ) THEN
        RETURN QUERY SELECT d.id, d.status, true FROM release_dependants(ended) d;
    END IF;
    IF p_log THEN
        PERFORM log_attempts(p_rows, p_environment, p_executed_by, p_host, p_pid);
    END IF;
END $$;

-- The running jobs of limit keys, for the claim's per-key counts: only jobs that have a
-- key (every query using it asks for limit_key IS NOT NULL). 0008's index held every
-- running job, so each claim wrote one more index entry (and WAL record) per job for
-- nothing: 9 -> 8 WAL records per claimed job.
DROP INDEX queue_job_limited;
CREATE INDEX queue_job_limited ON queue_job (limit_key)
    WHERE status = 'running' AND limit_key IS NOT NULL;
