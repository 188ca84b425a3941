-- Fair claims on real workloads: a claim takes one job per free slot unless the worker
-- has measured the task to be short, and says which dependants an ended job failed.

DROP FUNCTION claim_jobs(TEXT, TEXT, INTEGER, INTEGER, DOUBLE PRECISION, TEXT[], TEXT[]);
DROP FUNCTION finish_jobs(JSONB);
DROP FUNCTION release_dependants(BIGINT[]);

-- Claim the next jobs (highest priority first, then oldest) that fit the host's free
-- process units: the first one always, and after it the following ones only while each
-- is of a task in p_durations (task name -> measured seconds per job) and their measured
-- work stays within p_budget seconds (p_budget NULL: up to p_limit jobs, no measure).
-- Each gets a new token and a lease; the attempt is counted. Claims of one host take
-- turns (an advisory lock), so together they never exceed the host's units.
CREATE FUNCTION claim_jobs(
    p_worker TEXT, p_host TEXT, p_limit INTEGER, p_system_units INTEGER,
    p_lease DOUBLE PRECISION, p_queues TEXT[], p_tasks TEXT[], p_durations JSONB,
    p_budget DOUBLE PRECISION
) RETURNS TABLE (
    id BIGINT, type_key TEXT, task_key TEXT, queue TEXT, arguments TEXT, priority INTEGER,
    process_units INTEGER, attempts INTEGER, token TEXT, cancel_requested BOOLEAN
)
LANGUAGE plpgsql SET search_path FROM CURRENT
-- Walk the indexes whatever the statistics say: right after a burst of posts they are
-- stale, and a bitmap scan plus sort of every waiting job costs 50x an ordered index scan.
SET enable_seqscan = off SET enable_bitmapscan = off
AS $$
#variable_conflict use_column
DECLARE
    free INTEGER;
BEGIN
    -- A claim lost in a server crash only makes the job look unstarted, so it runs again
    -- (at least once): its commit need not wait for the WAL to reach the disk.
    PERFORM set_config('synchronous_commit', 'off', true);
    PERFORM pg_advisory_xact_lock(hashtext('jobsmith.units.' || p_host));
    SELECT p_system_units - coalesce(sum(r.process_units), 0) INTO free
    FROM queue_job r WHERE r.status = 'running' AND r.host = p_host;
    IF free <= 0 THEN
        RETURN;
    END IF;
    RETURN QUERY
    WITH candidates AS (
        SELECT c.id, c.priority, c.process_units,
               (p_durations ->> (c.type_key || '.' || c.task_key))::float8 AS took
        FROM queue_job c
        WHERE c.status = 'waiting' AND (c.run_after IS NULL OR c.run_after <= now())
          AND c.process_units <= free
          AND (p_queues IS NULL OR c.queue = ANY(p_queues))
          AND (p_tasks IS NULL OR c.type_key || '.' || c.task_key = ANY(p_tasks))
        ORDER BY c.priority DESC, c.id
        LIMIT p_limit
        FOR UPDATE SKIP LOCKED
    ), walked AS (
        SELECT c.id, row_number() OVER w AS n, sum(c.process_units) OVER w AS units,
               count(*) FILTER (WHERE c.took IS NULL) OVER w AS unknown,
               sum(coalesce(c.took, 0)) OVER w AS work
        FROM candidates c
        WINDOW w AS (ORDER BY c.priority DESC, c.id)
    ), chosen AS (
        SELECT w.id FROM walked w
        WHERE w.units <= free
          AND (w.n = 1 OR p_budget IS NULL OR (w.unknown = 0 AND w.work <= p_budget))
    )
    UPDATE queue_job j SET status = 'running', token = queue_token(),
        attempts = j.attempts + 1, started_at = now(),
        lease_until = now() + make_interval(secs => p_lease), worker = p_worker,
        host = p_host, error = NULL
    FROM chosen WHERE j.id = chosen.id
    RETURNING j.id, j.type_key, j.task_key, j.queue, j.arguments::text, j.priority,
              j.process_units, j.attempts, j.token::text, j.cancel_requested;
END $$;

-- Wake (or fail, naming the dependency) jobs parked on jobs that ended, and theirs in
-- turn. Returns every job it woke (waiting) or failed.
CREATE FUNCTION release_dependants(p_ids BIGINT[]) RETURNS TABLE (id BIGINT, status TEXT)
LANGUAGE plpgsql SET search_path FROM CURRENT
SET enable_seqscan = off SET enable_bitmapscan = off
AS $$
#variable_conflict use_column
DECLARE
    todo  BIGINT[] := p_ids;
    ids   BIGINT[];
    moved TEXT[];
BEGIN
    WHILE todo IS NOT NULL AND cardinality(todo) > 0 LOOP
        WITH released AS (
            UPDATE queue_job j SET
                status = CASE WHEN d.status = 'completed' THEN 'waiting' ELSE 'failed' END,
                error = CASE WHEN d.status = 'completed' THEN NULL
                        ELSE 'dependency ' || d.type_key || '.' || d.task_key || ' (job '
                             || d.id || ') ' || d.status || coalesce(': ' || d.error, '') END,
                ended_at = CASE WHEN d.status = 'completed' THEN NULL ELSE now() END,
                waiting_on = NULL
            FROM queue_job d
            WHERE j.status = 'parked' AND j.waiting_on = d.id AND d.id = ANY(todo)
              AND d.status IN ('completed', 'failed', 'cancelled')
            RETURNING j.id, j.status
        )
        SELECT array_agg(r.id) FILTER (WHERE r.status = 'failed'), array_agg(r.id),
               array_agg(r.status)
        INTO todo, ids, moved FROM released r;
        RETURN QUERY SELECT u.id, u.status FROM unnest(ids, moved) AS u(id, status);
    END LOOP;
END $$;

-- End attempts, each only if its token still names the job's current attempt (the
-- caller releases the dependants of those that ended in the same transaction). p_rows is
-- a JSON array of {id, token, status, error, run_after, ended} (times in epoch seconds).
-- Returns the jobs actually ended.
CREATE FUNCTION finish_jobs(p_rows JSONB) RETURNS TABLE (id BIGINT, status TEXT)
LANGUAGE plpgsql SET search_path FROM CURRENT
SET enable_seqscan = off SET enable_bitmapscan = off
AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    UPDATE queue_job j SET status = f.status, error = f.error,
        run_after = to_timestamp(f.run_after),
        ended_at = CASE WHEN f.status = 'waiting' THEN NULL ELSE to_timestamp(f.ended) END,
        token = CASE WHEN f.status = 'waiting' THEN NULL ELSE j.token END,
        lease_until = NULL,
        worker = CASE WHEN f.status = 'waiting' THEN NULL ELSE j.worker END
    FROM jsonb_to_recordset(p_rows) AS f(id BIGINT, token UUID, status TEXT, error TEXT,
                                         run_after FLOAT8, ended FLOAT8)
    WHERE j.id = f.id AND j.token = f.token AND j.status = 'running'
    RETURNING j.id, j.status;
END $$;

-- The run log's record of ended queue attempts (the run log owns these rows; the queue's
-- finishing transaction calls it): per attempt a job run (kind 'queue', guid = the
-- attempt's token; kept once if written twice) with one task run and its (masked)
-- parameter values. p_rows is a JSON array of {id, token, status, error, ended, name,
-- started, kind, params}; status is the job's (a retry is a failed attempt).
CREATE FUNCTION log_attempts(
    p_rows JSONB, p_environment TEXT, p_executed_by TEXT, p_host TEXT, p_pid INTEGER
) RETURNS VOID
LANGUAGE sql SET search_path FROM CURRENT
AS $$
    WITH r AS (
        SELECT r.*, CASE r.status WHEN 'completed' THEN 'Completed'
                                  WHEN 'cancelled' THEN 'Cancelled'
                                  ELSE 'Failed' END AS run_status
        FROM jsonb_to_recordset(p_rows)
             AS r(id BIGINT, token UUID, name TEXT, started FLOAT8, ended FLOAT8,
                  status TEXT, error TEXT, kind TEXT, params JSONB)
    ), jr AS (
        INSERT INTO job_run (guid, environment, job_name, kind, executed_by, host, pid,
                             started_at, ended_at, status, error, queue_job_id)
        SELECT token, p_environment, name, 'queue', p_executed_by, p_host, p_pid,
               to_timestamp(started), to_timestamp(ended), run_status, error, id
        FROM r
        ON CONFLICT (guid) DO NOTHING
        RETURNING id, guid
    ), tr AS (
        INSERT INTO task_run (guid, job_run_id, kind, name, started_at, ended_at, status,
                              error)
        SELECT queue_token(), jr.id, r.kind, r.name, to_timestamp(r.started),
               to_timestamp(r.ended), r.run_status, r.error
        FROM r JOIN jr ON jr.guid = r.token
        RETURNING id, job_run_id
    )
    INSERT INTO task_run_parameter (task_run_id, name, value)
    SELECT tr.id, p.key, p.value
    FROM tr JOIN jr ON jr.id = tr.job_run_id JOIN r ON r.token = jr.guid,
         jsonb_each_text(r.params) p
$$;
