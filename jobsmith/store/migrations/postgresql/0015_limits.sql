-- Per-key limits, continued (issue 13).

-- A task's limit options are part of its published definition, so every post of the task
-- is limited the same, whoever posts it: post() by name without the task's code, the
-- dashboard, and SQL (CALL insert_job / "insert", below). limit_key is the key itself,
-- or the name of the argument whose value is the key (limit_arg true: "name=value").
ALTER TABLE queue_task ADD COLUMN limit_key TEXT;
ALTER TABLE queue_task ADD COLUMN limit_arg BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE queue_task ADD COLUMN max_running INTEGER;
ALTER TABLE queue_task ADD COLUMN rate_count INTEGER;
ALTER TABLE queue_task ADD COLUMN rate_window DOUBLE PRECISION;
-- The task's unique options: whether an identical job still active is returned instead of
-- queued again, the key (a format string over the arguments) and how long a completed job
-- still holds it (seconds); post() by name uses them.
ALTER TABLE queue_task ADD COLUMN is_unique BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE queue_task ADD COLUMN unique_key TEXT;
ALTER TABLE queue_task ADD COLUMN unique_for DOUBLE PRECISION;

-- A job's concurrency key as the store computes it from its task's definition (the same
-- text as jobsmith.queue's Task.limit_for): the key, or "argument=value" with a string
-- value as it is and any other JSON value as JSON text.
CREATE FUNCTION queue_limit_key(task queue_task, arguments JSONB) RETURNS TEXT
LANGUAGE sql IMMUTABLE
AS $$
    SELECT CASE
        WHEN task.max_running IS NULL AND task.rate_count IS NULL THEN NULL
        WHEN NOT task.limit_arg THEN coalesce(task.limit_key, task.type_key || '.' || task.task_key)
        WHEN jsonb_typeof(arguments -> task.limit_key) = 'string'
            THEN task.limit_key || '=' || (arguments ->> task.limit_key)
        ELSE task.limit_key || '=' || coalesce((arguments -> task.limit_key)::text, 'null')
    END
$$;

-- JobMaster's procedure (0002's insert_job, the live one) with the task's published
-- options: a job of a limited task gets its key and limits as post() gives them, and a
-- task published with unique=False queues identical jobs. Python posts set the limit
-- themselves (from the task's code or its definition), so no trigger taxes every insert.
CREATE OR REPLACE PROCEDURE insert_job(
    type_key TEXT, task_key TEXT, priority INTEGER, arguments JSON,
    INOUT job_id BIGINT DEFAULT NULL
)
LANGUAGE plpgsql SET search_path FROM CURRENT
AS $$
#variable_conflict use_column
DECLARE
    task    queue_task;
    checked JSONB;
BEGIN
    SELECT * INTO task FROM queue_task t
    WHERE t.type_key = insert_job.type_key AND t.task_key = insert_job.task_key;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown task %.%: no worker or deploy() has registered it here',
            insert_job.type_key, insert_job.task_key USING ERRCODE = '22023';
    END IF;
    checked := queue_check_arguments(task, arguments::jsonb);
    INSERT INTO queue_job (type_key, task_key, queue, arguments, priority, process_units,
                           is_unique)
    VALUES (task.type_key, task.task_key, task.queue, checked,
            coalesce(insert_job.priority, task.priority), task.process_units, task.is_unique)
    ON CONFLICT (type_key, task_key, jsonb_hash_extended(arguments, 0))
        WHERE is_unique AND status IN ('waiting', 'running', 'parked')
    DO NOTHING
    RETURNING id INTO job_id;
    IF job_id IS NULL THEN
        SELECT j.id INTO job_id FROM queue_job j
        WHERE j.type_key = task.type_key AND j.task_key = task.task_key
          AND jsonb_hash_extended(j.arguments, 0) = jsonb_hash_extended(checked, 0)
          AND j.arguments = checked AND j.is_unique
          AND j.status IN ('waiting', 'running', 'parked');
    END IF;
    IF job_id IS NULL THEN  -- a hash collision, or the active twin just ended
        INSERT INTO queue_job (type_key, task_key, queue, arguments, priority, process_units,
                               is_unique)
        VALUES (task.type_key, task.task_key, task.queue, checked,
                coalesce(insert_job.priority, task.priority), task.process_units, FALSE)
        RETURNING id INTO job_id;
    END IF;
    IF task.max_running IS NOT NULL OR task.rate_count IS NOT NULL THEN
        UPDATE queue_job j SET limit_key = queue_limit_key(task, j.arguments),
            max_running = task.max_running, rate_count = task.rate_count,
            rate_window = task.rate_window
        WHERE j.id = job_id AND j.status = 'waiting' AND j.limit_key IS NULL;
    END IF;
END $$;

-- Ending a batch (0013's end_attempts, the live one) also wakes the jobs parked until one
-- of the ended jobs ended, however (parked_on: a parent waiting for its children, a
-- dependency with on_failure = 'continue'), in the same statement, instead of leaving
-- them to the workers' sweep (up to half a lease later). Only when some are parked so.
CREATE OR REPLACE FUNCTION end_attempts(
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
    IF ended IS NOT NULL AND EXISTS (
        SELECT 1 FROM queue_job p WHERE p.status = 'parked' AND p.parked_on = ANY(ended)
    ) THEN
        RETURN QUERY
        WITH woken AS (
            UPDATE queue_job p SET status = 'waiting', parked_on = NULL
            WHERE p.status = 'parked' AND p.parked_on = ANY(ended)
            RETURNING p.id, p.status
        )
        SELECT w.id, w.status, true FROM woken w;
    END IF;
    IF p_log THEN
        PERFORM log_attempts(p_rows, p_environment, p_executed_by, p_host, p_pid);
    END IF;
END $$;

-- A limited job that stops running frees a slot of its key: wake idle workers (on every
-- machine) so one takes the key's next job now, not at its next poll. One notification
-- per transaction (PostgreSQL folds identical ones).
CREATE TRIGGER queue_job_slot_freed AFTER UPDATE OF status ON queue_job
    FOR EACH ROW WHEN (OLD.status = 'running' AND NEW.status <> 'running'
                       AND OLD.limit_key IS NOT NULL)
    EXECUTE FUNCTION queue_notify();

-- Waiting jobs of limited tasks by key, in the order workers take them: a claim finds the
-- keys with waiting jobs (a skip scan) and each key's next jobs here.
DROP INDEX queue_job_limited_waiting;
CREATE INDEX queue_job_key_waiting ON queue_job (limit_key, priority DESC, id)
    WHERE status = 'waiting' AND limit_key IS NOT NULL;
-- Waiting jobs of limited tasks in order: a claim walks the next few hundred of these
-- first (enough when keys have room), and asks each key only when full keys fill the walk.
CREATE INDEX queue_job_ready_limited ON queue_job (priority DESC, id)
    WHERE status = 'waiting' AND limit_key IS NOT NULL;
-- Waiting jobs without a limit, in order: a claim walks these without stepping over the
-- jobs of full keys.
CREATE INDEX queue_job_ready_free ON queue_job (priority DESC, id)
    WHERE status = 'waiting' AND limit_key IS NULL;

-- Claim the next jobs: as migration 0008's claim_jobs (same arguments, same results),
-- but full keys cost little. 0008 walked every waiting job in order and looked up its
-- key's running count in a list, so with every key full a claim read the whole backlog
-- (0.2-0.4 s for 10,000 jobs over 100 keys, while holding the limits lock). Now the
-- candidates are the next unlimited jobs in order plus the limited jobs that fit their
-- key's room (max_running minus its running jobs, rate_count minus its jobs started
-- within the window), found by a walk of at most p_limit + 20 waiting limited jobs in
-- order; when full keys' backlogs fill that walk, by asking each key with waiting jobs for
-- as many of its next jobs as it has room for instead. Both are merged in order. The
-- limits lock is still taken while limited jobs wait, so no key ever runs more than
-- max_running.
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
            coalesce(k.rate_count - coalesce((st.n ->> k.limit_key)::int, 0), 1 << 30)) AS room
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
        SELECT a.id, a.priority FROM (
            SELECT a.*, row_number() OVER (PARTITION BY a.limit_key
                                           ORDER BY a.priority DESC, a.id) AS nth
            FROM ahead a
        ) a CROSS JOIN running ru CROSS JOIN started st
        WHERE a.nth <= least(
            coalesce(a.max_running - coalesce((ru.n ->> a.limit_key)::int, 0), 1 << 30),
            coalesce(a.rate_count - coalesce((st.n ->> a.limit_key)::int, 0), 1 << 30))
        ORDER BY a.priority DESC, a.id LIMIT p_limit
    ), walk_will_do AS (
        -- the walk saw every waiting limited job, or found enough: its choice is exact.
        -- Else full keys' backlogs filled it: ask each key instead (one probe per key).
        SELECT (SELECT count(*) FROM ahead) < p_limit + 20
               OR (SELECT count(*) FROM ahead_ok) >= p_limit AS yes
    ), per_key AS (
        SELECT c.id, c.priority FROM rooms r
        CROSS JOIN LATERAL (  -- a full key never holds up other keys
            SELECT c.id, c.priority FROM queue_job c
            WHERE c.status = 'waiting' AND c.limit_key = r.limit_key
              AND (c.run_after IS NULL OR c.run_after <= now())
                  AND c.process_units <= free
                  AND (p_queues IS NULL OR c.queue = ANY(p_queues))
                  AND (p_tasks IS NULL OR c.type_key || '.' || c.task_key = ANY(p_tasks))
            ORDER BY c.priority DESC, c.id LIMIT least(r.room, p_limit)
        ) c
        WHERE r.room > 0 AND NOT (SELECT yes FROM walk_will_do)
    ), candidates AS (
        SELECT u.id, u.priority FROM (
            (SELECT c.id, c.priority FROM queue_job c
             WHERE c.status = 'waiting' AND c.limit_key IS NULL
               AND (c.run_after IS NULL OR c.run_after <= now())
                  AND c.process_units <= free
                  AND (p_queues IS NULL OR c.queue = ANY(p_queues))
                  AND (p_tasks IS NULL OR c.type_key || '.' || c.task_key = ANY(p_tasks))
             ORDER BY c.priority DESC, c.id LIMIT p_limit)
            UNION ALL
            SELECT a.id, a.priority FROM ahead_ok a WHERE (SELECT yes FROM walk_will_do)
            UNION ALL
            SELECT k.id, k.priority FROM per_key k
        ) u
        ORDER BY u.priority DESC, u.id LIMIT p_limit
    ), locked AS (  -- each candidate by its id (never a scan of every waiting job)
        SELECT c.id, c.priority, c.process_units, c.took
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
