-- Queue controls: keyed unique jobs.

-- The key a job was posted under (shown by `jobsmith show ID`).
ALTER TABLE queue_job ADD COLUMN unique_key TEXT;

-- One row per unique key: the job that holds it. A post takes the key (an upsert on this
-- primary key, which also makes concurrent posts of one key wait for each other) only
-- when its job is no longer waiting, running or parked and did not complete within
-- unique_for seconds; otherwise the post returns that job.
CREATE TABLE queue_unique_key (
    unique_key TEXT             NOT NULL PRIMARY KEY,
    job_id     BIGINT,
    unique_for DOUBLE PRECISION NOT NULL DEFAULT 0
);

-- Retention: ended jobs by the time they ended (workers and `jobsmith prune` delete the
-- oldest in small batches).
CREATE INDEX queue_job_ended ON queue_job (ended_at)
    WHERE status IN ('completed', 'failed', 'cancelled');

-- Paused queues and tasks: workers claim no job of a queue (kind 'queue', name the queue)
-- or a task (kind 'task', name 'type_key.task_key') listed here; running jobs finish and
-- waiting ones stay until it is resumed (the row deleted).
CREATE TABLE queue_pause (
    kind      TEXT NOT NULL,
    name      TEXT NOT NULL,
    paused_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (kind, name)
);

-- Per-key concurrency limits: a job of a limited task carries its key (the task and,
-- when the task names one, an argument's value) and the most jobs of that key that may
-- run at once. A running job holds its key's slot under its lease: a dead worker's slot
-- frees when its lease is handed back.
ALTER TABLE queue_job ADD COLUMN limit_key TEXT;
ALTER TABLE queue_job ADD COLUMN max_running INTEGER;
-- Rate limits per key: at most rate_count jobs of the key start within rate_window seconds.
ALTER TABLE queue_job ADD COLUMN rate_count INTEGER;
ALTER TABLE queue_job ADD COLUMN rate_window DOUBLE PRECISION;
CREATE INDEX queue_job_limited ON queue_job (limit_key) WHERE status = 'running';
CREATE INDEX queue_job_rate_started ON queue_job (started_at)
    WHERE rate_count IS NOT NULL;

-- Waiting for any end: a job parked until the job in parked_on ends, however it ends
-- (a dependency with on_failure = 'continue', a parent waiting for the children it
-- posted). Workers put such jobs back to waiting when that job has ended.
ALTER TABLE queue_job ADD COLUMN parked_on BIGINT;
CREATE INDEX queue_job_parked_on ON queue_job (parked_on) WHERE status = 'parked';

-- Waiting jobs of limited tasks (a claim takes the limits lock only while there are some).
CREATE INDEX queue_job_limited_waiting ON queue_job (id)
    WHERE status = 'waiting' AND limit_key IS NOT NULL;

-- Claim the next jobs (highest priority first, then oldest) that fit the host's free
-- process units: the first one always, and after it the following ones only while each
-- is of a task in p_durations (task name -> measured seconds per job) and their measured
-- work stays within p_budget seconds (p_budget NULL: up to p_limit jobs, no measure).
-- Each gets a new token and a lease; the attempt is counted. Claims of one host take
-- turns (an advisory lock), so together they never exceed the host's units.
-- Queue controls: a job of a concurrency key (limit_key) starts only while its key has
-- room (fewer than max_running running, fewer than rate_count started within
-- rate_window seconds); while limited jobs wait, claims of every host take turns on one
-- more advisory lock, so each sees the slots the others took. This replaces 0004's
-- function with the same body plus the key check.
CREATE OR REPLACE FUNCTION claim_jobs(
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
    IF EXISTS (SELECT 1 FROM queue_job l
               WHERE l.status = 'waiting' AND l.limit_key IS NOT NULL) THEN
        PERFORM pg_advisory_xact_lock(hashtext('jobsmith.limits'));
    END IF;
    SELECT p_system_units - coalesce(sum(r.process_units), 0) INTO free
    FROM queue_job r WHERE r.status = 'running' AND r.host = p_host;
    IF free <= 0 THEN
        RETURN;
    END IF;
    RETURN QUERY
    WITH running AS MATERIALIZED (  -- concurrency keys with running jobs
        SELECT r.limit_key, count(*) AS n FROM queue_job r
        WHERE r.status = 'running' AND r.limit_key IS NOT NULL GROUP BY r.limit_key
    ), started AS MATERIALIZED (  -- rate-limited keys: jobs started within their window
        SELECT r.limit_key, count(*) AS n FROM queue_job r
        WHERE r.rate_count IS NOT NULL
          AND r.started_at > now() - make_interval(secs => r.rate_window)
        GROUP BY r.limit_key
    ), candidates AS (
        SELECT c.id, c.priority, c.process_units,
               (p_durations ->> (c.type_key || '.' || c.task_key))::float8 AS took,
               c.limit_key, k.room
        FROM queue_job c
        CROSS JOIN LATERAL (  -- how many more jobs of its key may start now
            SELECT CASE WHEN c.limit_key IS NOT NULL THEN least(
                coalesce(c.max_running - coalesce(
                    (SELECT ru.n FROM running ru WHERE ru.limit_key = c.limit_key), 0), 1 << 30),
                coalesce(c.rate_count - coalesce(
                    (SELECT st.n FROM started st WHERE st.limit_key = c.limit_key), 0), 1 << 30))
            END AS room
        ) k
        WHERE c.status = 'waiting' AND (c.run_after IS NULL OR c.run_after <= now())
          AND c.process_units <= free
          AND (p_queues IS NULL OR c.queue = ANY(p_queues))
          AND (p_tasks IS NULL OR c.type_key || '.' || c.task_key = ANY(p_tasks))
          AND (c.limit_key IS NULL OR k.room > 0)  -- a full key never holds up other keys
        ORDER BY c.priority DESC, c.id
        LIMIT p_limit
        FOR UPDATE OF c SKIP LOCKED
    ), walked AS (
        SELECT c.id, row_number() OVER w AS n, sum(c.process_units) OVER w AS units,
               count(*) FILTER (WHERE c.took IS NULL) OVER w AS unknown,
               sum(coalesce(c.took, 0)) OVER w AS work, c.room,
               row_number() OVER (PARTITION BY c.limit_key ORDER BY c.priority DESC, c.id)
                   AS nth
        FROM candidates c
        WINDOW w AS (ORDER BY c.priority DESC, c.id)
    ), chosen AS (
        SELECT w.id FROM walked w
        WHERE w.units <= free AND (w.room IS NULL OR w.nth <= w.room)
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
