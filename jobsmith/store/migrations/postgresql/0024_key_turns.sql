-- Concurrency keys take turns (issue 13): among waiting jobs of one priority, a limited
-- job's turn is its key's running jobs plus its place among the key's waiting jobs (an
-- unlimited job's turn is 1), and a claim takes lower turns first, then older jobs. Before,
-- a claim took jobs of one priority oldest first, so a key with a backlog posted first
-- held every slot its max_running allowed until that backlog was done, and a key posted
-- after it waited (6 jobs of tenant A posted before 2 of tenant B, -c 2, max_running=2:
-- B ran last). The bounded walk's shortcut (it found enough jobs) now holds only for jobs
-- of the first turn; otherwise each key is asked, as when full keys fill the walk.
-- The same arguments and results as migration 0015's claim_jobs (the live one before).
CREATE OR REPLACE FUNCTION claim_jobs(
    p_worker TEXT, p_host TEXT, p_limit INTEGER, p_system_units INTEGER,
    p_lease DOUBLE PRECISION, p_queues TEXT[], p_tasks TEXT[], p_durations JSONB,
    p_budget DOUBLE PRECISION
) RETURNS TABLE (
    id BIGINT, type_key TEXT, task_key TEXT, queue TEXT, arguments TEXT, priority INTEGER,
    process_units INTEGER, attempts INTEGER, token TEXT, cancel_requested BOOLEAN
)
LANGUAGE plpgsql SET search_path FROM CURRENT
SET enable_seqscan = off SET enable_bitmapscan = off
AS $$
#variable_conflict use_column
DECLARE
    free INTEGER;
    limited BOOLEAN;
BEGIN
    PERFORM set_config('synchronous_commit', 'off', true);
    PERFORM pg_advisory_xact_lock(hashtext('jobsmith.units.' || p_host));
    limited := EXISTS (SELECT 1 FROM queue_job l
                       WHERE l.status = 'waiting' AND l.limit_key IS NOT NULL);
    IF limited THEN
        PERFORM pg_advisory_xact_lock(hashtext('jobsmith.limits'));
    END IF;
    SELECT p_system_units - coalesce(sum(r.process_units), 0) INTO free
    FROM queue_job r WHERE r.status = 'running' AND r.host = p_host;
    IF free <= 0 THEN
        RETURN;
    END IF;
    RETURN QUERY
    WITH RECURSIVE keys(limit_key, max_running, rate_count) AS (
        -- every key with waiting jobs and the limits of its next job: a skip scan, one
        -- probe of queue_job_key_waiting per key
        (SELECT w.limit_key, w.max_running, w.rate_count FROM queue_job w
         WHERE limited  -- limited jobs posted since that look wait for the next claim
           AND w.status = 'waiting' AND w.limit_key IS NOT NULL
         ORDER BY w.limit_key, w.priority DESC, w.id LIMIT 1)
        UNION ALL
        SELECT n.limit_key, n.max_running, n.rate_count FROM keys k
        CROSS JOIN LATERAL (
            SELECT w.limit_key, w.max_running, w.rate_count FROM queue_job w
            WHERE w.status = 'waiting' AND w.limit_key > k.limit_key
            ORDER BY w.limit_key, w.priority DESC, w.id LIMIT 1
        ) n
    ), running AS (  -- running jobs by key, as one lookup (key -> count)
        SELECT coalesce(jsonb_object_agg(r.limit_key, r.n), '{}') AS n FROM (
            SELECT r.limit_key, count(*) AS n FROM queue_job r
            WHERE r.status = 'running' AND r.limit_key IS NOT NULL GROUP BY r.limit_key
        ) r
    ), started AS (  -- rate-limited keys: jobs started within their window (key -> count)
        SELECT coalesce(jsonb_object_agg(r.limit_key, r.n), '{}') AS n FROM (
            SELECT r.limit_key, count(*) AS n FROM queue_job r
            WHERE r.rate_count IS NOT NULL
              AND r.started_at > now() - make_interval(secs => r.rate_window)
            GROUP BY r.limit_key
        ) r
    ), rooms AS (  -- how many more jobs of each key may start now
        SELECT k.limit_key, least(
            coalesce(k.max_running - coalesce((ru.n ->> k.limit_key)::int, 0), 1 << 30),
            coalesce(k.rate_count - coalesce((st.n ->> k.limit_key)::int, 0), 1 << 30)) AS room,
            coalesce((ru.n ->> k.limit_key)::int, 0) AS ran
        FROM keys k CROSS JOIN running ru CROSS JOIN started st
    ), ahead AS MATERIALIZED (  -- the next waiting limited jobs in order (a bounded walk)
        SELECT c.id, c.priority, c.limit_key, c.max_running, c.rate_count FROM queue_job c
        WHERE limited AND c.status = 'waiting' AND c.limit_key IS NOT NULL
          AND (c.run_after IS NULL OR c.run_after <= now())
                  AND c.process_units <= free
                  AND (p_queues IS NULL OR c.queue = ANY(p_queues))
                  AND (p_tasks IS NULL OR c.type_key || '.' || c.task_key = ANY(p_tasks))
        ORDER BY c.priority DESC, c.id LIMIT p_limit + 20
    ), ahead_ok AS (  -- those whose key has room for them (its nth job: nth <= room)
        SELECT a.id, a.priority, coalesce((ru.n ->> a.limit_key)::int, 0) + a.nth AS turn
        FROM (
            SELECT a.*, row_number() OVER (PARTITION BY a.limit_key
                                           ORDER BY a.priority DESC, a.id) AS nth
            FROM ahead a
        ) a CROSS JOIN running ru CROSS JOIN started st
        WHERE a.nth <= least(
            coalesce(a.max_running - coalesce((ru.n ->> a.limit_key)::int, 0), 1 << 30),
            coalesce(a.rate_count - coalesce((st.n ->> a.limit_key)::int, 0), 1 << 30))
        ORDER BY a.priority DESC, turn, a.id LIMIT p_limit
    ), walk_will_do AS (
        -- the walk saw every waiting limited job, or found enough of the first turn (no
        -- job beyond it goes before them): its choice is exact. Else ask each key instead
        -- (one probe per key).
        SELECT (SELECT count(*) FROM ahead) < p_limit + 20
               OR (SELECT count(*) FROM ahead_ok WHERE turn = 1) >= p_limit AS yes
    ), per_key AS (
        SELECT c.id, c.priority, r.ran + c.nth AS turn FROM rooms r
        CROSS JOIN LATERAL (  -- a full key never holds up other keys
            SELECT c.id, c.priority, row_number() OVER (ORDER BY c.priority DESC, c.id) AS nth
            FROM queue_job c
            WHERE c.status = 'waiting' AND c.limit_key = r.limit_key
              AND (c.run_after IS NULL OR c.run_after <= now())
                  AND c.process_units <= free
                  AND (p_queues IS NULL OR c.queue = ANY(p_queues))
                  AND (p_tasks IS NULL OR c.type_key || '.' || c.task_key = ANY(p_tasks))
            ORDER BY c.priority DESC, c.id LIMIT least(r.room, p_limit)
        ) c
        WHERE r.room > 0 AND NOT (SELECT yes FROM walk_will_do)
    ), candidates AS (
        SELECT u.id, u.priority, u.turn FROM (
            (SELECT c.id, c.priority, 1::bigint AS turn FROM queue_job c
             WHERE c.status = 'waiting' AND c.limit_key IS NULL
               AND (c.run_after IS NULL OR c.run_after <= now())
                  AND c.process_units <= free
                  AND (p_queues IS NULL OR c.queue = ANY(p_queues))
                  AND (p_tasks IS NULL OR c.type_key || '.' || c.task_key = ANY(p_tasks))
             ORDER BY c.priority DESC, c.id LIMIT p_limit)
            UNION ALL
            SELECT a.id, a.priority, a.turn FROM ahead_ok a WHERE (SELECT yes FROM walk_will_do)
            UNION ALL
            SELECT k.id, k.priority, k.turn FROM per_key k
        ) u
        ORDER BY u.priority DESC, u.turn, u.id LIMIT p_limit
    ), locked AS (  -- each candidate by its id (never a scan of every waiting job)
        SELECT c.id, c.priority, cd.turn, c.process_units, c.took
        FROM candidates cd
        CROSS JOIN LATERAL (
            SELECT c.id, c.priority, c.process_units,
                   (p_durations ->> (c.type_key || '.' || c.task_key))::float8 AS took
            FROM queue_job c WHERE c.id = cd.id AND c.status = 'waiting'
            FOR UPDATE SKIP LOCKED
        ) c
    ), walked AS (
        SELECT c.id, row_number() OVER w AS n, sum(c.process_units) OVER w AS units,
               count(*) FILTER (WHERE c.took IS NULL) OVER w AS unknown,
               sum(coalesce(c.took, 0)) OVER w AS work
        FROM locked c
        WINDOW w AS (ORDER BY c.priority DESC, c.turn, c.id)
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
