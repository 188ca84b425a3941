-- Queries of the job queue (see jobsmith/store/jobs.py). Statuses: waiting, running,
-- parked, completed, failed, cancelled. A job's current attempt is named by `token`;
-- everything that ends or renews an attempt is conditional on it.

-- name: upsert_task [sqlite]
-- Publish one task definition (what a worker serves; SQL posting checks against it; its
-- limit and unique options apply to every post of the task).
INSERT INTO queue_task (type_key, task_key, parameters, write_all, process_units, priority,
                        queue, help, updated_at, limit_key, limit_arg, max_running,
                        rate_count, rate_window, is_unique, unique_key, unique_for)
VALUES (:type_key, :task_key, :parameters, :write_all, :process_units, :priority, :queue,
        :help, :updated_at, :limit_key, :limit_arg, :max_running, :rate_count, :rate_window,
        :is_unique, :unique_key, :unique_for)
ON CONFLICT (type_key, task_key) DO UPDATE SET
    parameters = excluded.parameters, write_all = excluded.write_all,
    process_units = excluded.process_units, priority = excluded.priority,
    queue = excluded.queue, help = excluded.help, updated_at = excluded.updated_at,
    limit_key = excluded.limit_key, limit_arg = excluded.limit_arg,
    max_running = excluded.max_running, rate_count = excluded.rate_count,
    rate_window = excluded.rate_window, is_unique = excluded.is_unique,
    unique_key = excluded.unique_key, unique_for = excluded.unique_for;

-- name: upsert_task [postgresql]
-- Publish one task definition (what a worker serves; SQL posting checks against it; its
-- limit and unique options apply to every post of the task).
INSERT INTO queue_task (type_key, task_key, parameters, write_all, process_units, priority,
                        queue, help, updated_at, limit_key, limit_arg, max_running,
                        rate_count, rate_window, is_unique, unique_key, unique_for)
VALUES (:type_key, :task_key, :parameters::jsonb, :write_all::jsonb, :process_units, :priority,
        :queue, :help, :updated_at, :limit_key, :limit_arg, :max_running, :rate_count,
        :rate_window, :is_unique, :unique_key, :unique_for)
ON CONFLICT (type_key, task_key) DO UPDATE SET
    parameters = excluded.parameters, write_all = excluded.write_all,
    process_units = excluded.process_units, priority = excluded.priority,
    queue = excluded.queue, help = excluded.help, updated_at = excluded.updated_at,
    limit_key = excluded.limit_key, limit_arg = excluded.limit_arg,
    max_running = excluded.max_running, rate_count = excluded.rate_count,
    rate_window = excluded.rate_window, is_unique = excluded.is_unique,
    unique_key = excluded.unique_key, unique_for = excluded.unique_for;

-- name: task_definition
-- One published task definition.
SELECT * FROM queue_task WHERE type_key = :type_key AND task_key = :task_key;

-- name: task_definitions
-- Every published task definition.
SELECT * FROM queue_task ORDER BY type_key, task_key;

-- name: insert_job [sqlite]
-- Queue one job; a unique job identical to an active one is not inserted (no row back).
INSERT INTO queue_job (type_key, task_key, queue, arguments, priority, process_units,
                       is_unique, run_after, created_at)
VALUES (:type_key, :task_key, :queue, :arguments, :priority, :process_units, :is_unique,
        :run_after, :created_at)
ON CONFLICT (type_key, task_key, arguments)
    WHERE is_unique AND status IN ('waiting', 'running', 'parked')
DO NOTHING
RETURNING id, status;

-- name: insert_job [postgresql]
-- Queue one job; a unique job identical to an active one is not inserted (no row back).
INSERT INTO queue_job (type_key, task_key, queue, arguments, priority, process_units,
                       is_unique, run_after, created_at)
VALUES (:type_key, :task_key, :queue, :arguments::jsonb, :priority, :process_units,
        :is_unique, :run_after::timestamptz, now())
ON CONFLICT (type_key, task_key, jsonb_hash_extended(arguments, 0))
    WHERE is_unique AND status IN ('waiting', 'running', 'parked')
DO NOTHING
RETURNING id, status;

-- name: insert_job_plain [sqlite]
-- Queue one job that is not unique: a bare insert (no ON CONFLICT arbiter to probe).
INSERT INTO queue_job (type_key, task_key, queue, arguments, priority, process_units,
                       is_unique, run_after, created_at)
VALUES (:type_key, :task_key, :queue, :arguments, :priority, :process_units, FALSE,
        :run_after, :created_at)
RETURNING id, status;

-- name: insert_job_plain [postgresql]
-- Queue one job that is not unique: a bare insert, no ON CONFLICT (no arbiter probe, no
-- speculative insertion and its confirm WAL record). The AFTER INSERT trigger wakes workers.
INSERT INTO queue_job (type_key, task_key, queue, arguments, priority, process_units,
                       is_unique, run_after)
VALUES (:type_key, :task_key, :queue, :arguments::jsonb, :priority, :process_units, FALSE,
        :run_after::timestamptz)
RETURNING id, status;

-- name: insert_jobs [sqlite]
-- Queue many jobs of one task in one statement: :arguments is a JSON array of the jobs'
-- argument texts (canonical JSON); the rest is shared. A unique job identical to an
-- active one is skipped (find it with active_duplicate). Returns the new ids.
INSERT INTO queue_job (type_key, task_key, queue, arguments, priority, process_units,
                       is_unique, run_after, created_at)
SELECT :type_key, :task_key, :queue, a.value, :priority, :process_units, :is_unique,
       :run_after, :created_at
FROM json_each(:arguments) AS a
WHERE TRUE
ORDER BY a.key
ON CONFLICT (type_key, task_key, arguments)
    WHERE is_unique AND status IN ('waiting', 'running', 'parked')
DO NOTHING
RETURNING id;

-- name: insert_jobs [postgresql]
-- Queue many jobs of one task in one statement: :arguments is a JSON array of the jobs'
-- argument texts; the rest is shared. A unique job identical to an active one is skipped
-- (find it with active_duplicate). Returns the new ids.
INSERT INTO queue_job (type_key, task_key, queue, arguments, priority, process_units,
                       is_unique, run_after)
SELECT :type_key, :task_key, :queue, a.value::jsonb, :priority, :process_units, :is_unique,
       :run_after::timestamptz
FROM jsonb_array_elements_text(:arguments::jsonb) WITH ORDINALITY AS a(value, n)
ORDER BY a.n
ON CONFLICT (type_key, task_key, jsonb_hash_extended(arguments, 0))
    WHERE is_unique AND status IN ('waiting', 'running', 'parked')
DO NOTHING
RETURNING id;

-- name: active_duplicate [sqlite]
-- The active unique job a post collided with.
SELECT id, status, created_at FROM queue_job
WHERE type_key = :type_key AND task_key = :task_key AND arguments = :arguments AND is_unique
  AND status IN ('waiting', 'running', 'parked');

-- name: active_duplicate [postgresql]
-- The active unique job a post collided with (same arguments, not only the same hash).
SELECT id, status, created_at FROM queue_job
WHERE type_key = :type_key AND task_key = :task_key
  AND jsonb_hash_extended(arguments, 0) = jsonb_hash_extended(:arguments::jsonb, 0)
  AND arguments = :arguments::jsonb AND is_unique
  AND status IN ('waiting', 'running', 'parked');

-- name: units_in_use
-- Process units held by running jobs on one host.
SELECT coalesce(sum(process_units), 0) AS n FROM queue_job
WHERE status = 'running' AND host = :host;

-- name: claim_jobs [sqlite]
-- Claim the next jobs (highest priority first, then oldest) that fit the host's free
-- process units: the first one always, and after it the following ones only while each
-- is of a task in :durations (JSON object: task name -> measured seconds per job) and their
-- measured work stays within :budget seconds (:budget NULL: up to :limit jobs). Each gets a
-- new token and a lease; the attempt is counted. Jobs of a concurrency key (limit_key)
-- start only while the key has room: fewer than max_running running and fewer than
-- rate_count started within rate_window seconds (queue controls, migration 0008). The
-- candidates are the next unlimited jobs plus the limited jobs that fit their key's room,
-- found by a walk of at most :limit + 20 waiting limited jobs in order, or, when full
-- keys' backlogs fill that walk, by asking each key with waiting jobs for as many of its
-- next jobs as it has room for (migration 0015's indexes): a full key costs little however
-- many of its jobs wait. Keys take turns: among jobs of one priority, a job's turn is its
-- key's running jobs plus its place among the key's waiting ones (an unlimited job's is 1),
-- and lower turns go first, then older jobs (so one key's backlog does not hold up a key
-- posted after it). Run inside the claim's write turn.
WITH RECURSIVE free AS MATERIALIZED (
    SELECT :system_units - coalesce(sum(process_units), 0) AS units FROM queue_job
    WHERE status = 'running' AND host = :host
), running AS MATERIALIZED (  -- concurrency keys with running jobs
    SELECT limit_key, count(*) AS n FROM queue_job
    WHERE status = 'running' AND limit_key IS NOT NULL GROUP BY limit_key
), started AS MATERIALIZED (  -- rate-limited keys: jobs started within their window
    SELECT limit_key, count(*) AS n FROM queue_job
    WHERE rate_count IS NOT NULL AND started_at > :now - rate_window GROUP BY limit_key
), ahead AS MATERIALIZED (  -- the next waiting limited jobs in order (a bounded walk)
    SELECT c.id, c.priority, c.limit_key, c.max_running, c.rate_count FROM queue_job c
    WHERE c.status = 'waiting' AND c.limit_key IS NOT NULL
      AND (c.run_after IS NULL OR c.run_after <= :now)
          AND c.process_units <= (SELECT units FROM free)
          AND (:queues IS NULL OR c.queue IN (SELECT value FROM json_each(:queues)))
          AND (:tasks IS NULL
               OR c.type_key || '.' || c.task_key IN (SELECT value FROM json_each(:tasks)))
    ORDER BY c.priority DESC, c.id LIMIT :limit + 20
), ahead_ok AS (  -- those whose key has room for them (its nth job: nth <= room)
    SELECT a.id, a.priority, coalesce(ru.n, 0) + a.nth AS turn FROM (
        SELECT a.*, row_number() OVER (PARTITION BY a.limit_key
                                       ORDER BY a.priority DESC, a.id) AS nth
        FROM ahead a
    ) a
    LEFT JOIN running ru ON ru.limit_key = a.limit_key
    LEFT JOIN started st ON st.limit_key = a.limit_key
    WHERE a.nth <= min(coalesce(a.max_running - coalesce(ru.n, 0), 1 << 30),
                       coalesce(a.rate_count - coalesce(st.n, 0), 1 << 30))
    ORDER BY a.priority DESC, turn, a.id LIMIT :limit
), walk_will_do AS MATERIALIZED (
    -- the walk saw every waiting limited job, or found enough of the first turn (no job
    -- beyond it goes before them): its choice is exact. Else ask each key instead.
    SELECT (SELECT count(*) FROM ahead) < :limit + 20
           OR (SELECT count(*) FROM ahead_ok WHERE turn = 1) >= :limit AS yes
), keys(limit_key) AS (  -- every key with waiting jobs (a skip scan)
    SELECT (SELECT min(w.limit_key) FROM queue_job w
            WHERE w.status = 'waiting' AND w.limit_key IS NOT NULL)
    WHERE NOT (SELECT yes FROM walk_will_do)  -- only when the walk above is not enough
    UNION ALL
    SELECT (SELECT min(w.limit_key) FROM queue_job w
            WHERE w.status = 'waiting' AND w.limit_key > k.limit_key)
    FROM keys k WHERE k.limit_key IS NOT NULL
), rooms AS (  -- how many more jobs of each key may start now (its next job's limits)
    SELECT k.limit_key, min(coalesce(f.max_running - coalesce(ru.n, 0), 1 << 30),
                            coalesce(f.rate_count - coalesce(st.n, 0), 1 << 30)) AS room,
           coalesce(ru.n, 0) AS ran
    FROM keys k
    JOIN queue_job f ON f.id = (SELECT x.id FROM queue_job x
                                WHERE x.status = 'waiting' AND x.limit_key = k.limit_key
                                ORDER BY x.priority DESC, x.id LIMIT 1)
    LEFT JOIN running ru ON ru.limit_key = k.limit_key
    LEFT JOIN started st ON st.limit_key = k.limit_key
    WHERE k.limit_key IS NOT NULL
), walk(limit_key, id, priority, n, room, ran) AS (  -- each key's next jobs, up to its room
    SELECT r.limit_key, c.id, c.priority, 1, r.room, r.ran
    FROM rooms r
    JOIN queue_job c ON c.id = (
        SELECT x.id FROM queue_job x
        WHERE x.status = 'waiting' AND x.limit_key = r.limit_key
          AND (x.run_after IS NULL OR x.run_after <= :now)
          AND x.process_units <= (SELECT units FROM free)
          AND (:queues IS NULL OR x.queue IN (SELECT value FROM json_each(:queues)))
          AND (:tasks IS NULL
               OR x.type_key || '.' || x.task_key IN (SELECT value FROM json_each(:tasks)))
        ORDER BY x.priority DESC, x.id LIMIT 1)
    WHERE r.room > 0
    UNION ALL
    SELECT w.limit_key, c.id, c.priority, w.n + 1, w.room, w.ran
    FROM walk w
    JOIN queue_job c ON c.id = coalesce(
        (SELECT x.id FROM queue_job x  -- the key's next job of the same priority
         WHERE x.status = 'waiting' AND x.limit_key = w.limit_key
           AND x.priority = w.priority AND x.id > w.id
           AND (x.run_after IS NULL OR x.run_after <= :now)
          AND x.process_units <= (SELECT units FROM free)
          AND (:queues IS NULL OR x.queue IN (SELECT value FROM json_each(:queues)))
          AND (:tasks IS NULL
               OR x.type_key || '.' || x.task_key IN (SELECT value FROM json_each(:tasks)))
         ORDER BY x.id LIMIT 1),
        (SELECT x.id FROM queue_job x  -- else its first of a lower priority
         WHERE x.status = 'waiting' AND x.limit_key = w.limit_key AND x.priority < w.priority
           AND (x.run_after IS NULL OR x.run_after <= :now)
          AND x.process_units <= (SELECT units FROM free)
          AND (:queues IS NULL OR x.queue IN (SELECT value FROM json_each(:queues)))
          AND (:tasks IS NULL
               OR x.type_key || '.' || x.task_key IN (SELECT value FROM json_each(:tasks)))
         ORDER BY x.priority DESC, x.id LIMIT 1))
    WHERE w.n < w.room AND w.n < :limit
), candidates AS (
    SELECT id, priority, turn FROM (
        SELECT c.id, c.priority, 1 AS turn FROM queue_job c
        WHERE c.status = 'waiting' AND c.limit_key IS NULL
          AND (c.run_after IS NULL OR c.run_after <= :now)
          AND c.process_units <= (SELECT units FROM free)
          AND (:queues IS NULL OR c.queue IN (SELECT value FROM json_each(:queues)))
          AND (:tasks IS NULL
               OR c.type_key || '.' || c.task_key IN (SELECT value FROM json_each(:tasks)))
        ORDER BY c.priority DESC, c.id LIMIT :limit)
    UNION ALL
    SELECT id, priority, turn FROM ahead_ok WHERE (SELECT yes FROM walk_will_do)
    UNION ALL
    SELECT id, priority, ran + n FROM walk
    ORDER BY priority DESC, turn, id LIMIT :limit
), walked AS (
    SELECT c.id, row_number() OVER w AS n, sum(c.process_units) OVER w AS units,
           sum(c.took IS NULL) OVER w AS unknown, sum(coalesce(c.took, 0)) OVER w AS work
    FROM (SELECT j.id, j.priority, cd.turn, j.process_units,
                 (SELECT d.value FROM json_each(:durations) d
                  WHERE d.key = j.type_key || '.' || j.task_key) AS took
          FROM candidates cd JOIN queue_job j ON j.id = cd.id) c
    WINDOW w AS (ORDER BY c.priority DESC, c.turn, c.id)
)
UPDATE queue_job SET status = 'running',
    token = printf('%012x', CAST(:now * 1000 AS INTEGER)) || lower(hex(randomblob(10))),
    attempts = attempts + 1, started_at = :now, lease_until = :now + :lease, worker = :worker,
    host = :host, error = NULL
WHERE status = 'waiting' AND id IN (
    SELECT w.id FROM walked w, free
    WHERE w.units <= free.units
      AND (w.n = 1 OR :budget IS NULL OR (w.unknown = 0 AND w.work <= :budget)))
RETURNING id, type_key, task_key, queue, arguments, priority, process_units, attempts,
          token, cancel_requested;

-- name: claim_jobs [postgresql]
-- Claim the next jobs: one round trip. The live claim_jobs function is the one in
-- migrations/postgresql/0024_key_turns.sql (0002's, 0004's, 0008's and 0015's are dead:
-- replaced by 0024; see migrations/README.md). Change it with a new migration that copies
-- 0024's body.
SELECT * FROM claim_jobs(:worker, :host, :limit, :system_units, :lease, :queues::text[],
                         :tasks::text[], :durations::jsonb, :budget::float8);

-- name: top_waiting [sqlite]
-- The highest priority among the jobs ready to start that a worker serves and whose
-- process units the host has (NULL: none); a worker holding a batch checks it before
-- starting the batch's next job (an ordered walk of the ready index: it stops at the
-- first job that qualifies). Column priority.
SELECT priority FROM queue_job
WHERE status = 'waiting' AND (run_after IS NULL OR run_after <= :now)
  AND process_units <= :system_units
  AND (:queues IS NULL OR queue IN (SELECT value FROM json_each(:queues)))
  AND (:tasks IS NULL OR type_key || '.' || task_key IN (SELECT value FROM json_each(:tasks)))
ORDER BY priority DESC, id LIMIT 1;

-- name: top_waiting [postgresql]
-- The highest priority among the jobs ready to start that a worker serves and whose
-- process units the host has (NULL: none). Column priority.
SELECT priority FROM queue_job
WHERE status = 'waiting' AND (run_after IS NULL OR run_after <= now())
  AND process_units <= :system_units
  AND (:queues::text[] IS NULL OR queue = ANY(:queues::text[]))
  AND (:tasks::text[] IS NULL OR type_key || '.' || task_key = ANY(:tasks::text[]))
ORDER BY priority DESC, id LIMIT 1;

-- name: renew_leases [sqlite]
-- The heartbeat: extend the lease of every job one worker holds; says which to cancel.
UPDATE queue_job SET lease_until = :lease_until
WHERE status = 'running' AND worker = :worker
RETURNING id, token, cancel_requested;

-- name: renew_leases [postgresql]
-- The heartbeat: extend the lease of every job one worker holds; says which to cancel.
UPDATE queue_job SET lease_until = now() + make_interval(secs => :lease)
WHERE status = 'running' AND worker = :worker
RETURNING id, token::text AS token, cancel_requested;

-- name: expire_leases [sqlite]
-- Attempts whose worker stopped renewing its lease: run the job again (or fail it once
-- it was lost :max_lost times). The token stays (it names the lost attempt's run-log
-- record; every statement acting on an attempt also requires status running). Returns
-- the lost attempts.
UPDATE queue_job SET
    status = CASE WHEN lost + 1 >= :max_lost THEN 'failed' ELSE 'waiting' END,
    ended_at = CASE WHEN lost + 1 >= :max_lost THEN :now END,
    error = 'worker ' || worker || ' stopped renewing its lease (attempt ' || attempts || ')',
    lost = lost + 1, worker = NULL, lease_until = NULL
WHERE status = 'running' AND lease_until < :now
RETURNING id, type_key, task_key, arguments, status, started_at, error, host, token;

-- name: expire_leases [postgresql]
-- Attempts whose worker stopped renewing its lease: run the job again (or fail it once
-- it was lost :max_lost times). The token stays (see the SQLite variant). Returns the
-- lost attempts.
WITH expired AS (
    SELECT id, token, worker, host, started_at, attempts FROM queue_job
    WHERE status = 'running' AND lease_until < now()
    FOR UPDATE SKIP LOCKED
)
UPDATE queue_job j SET
    status = CASE WHEN j.lost + 1 >= :max_lost THEN 'failed' ELSE 'waiting' END,
    ended_at = CASE WHEN j.lost + 1 >= :max_lost THEN now() END,
    error = 'worker ' || e.worker || ' stopped renewing its lease (attempt ' || e.attempts || ')',
    lost = j.lost + 1, worker = NULL, lease_until = NULL
FROM expired e WHERE j.id = e.id
RETURNING j.id, j.type_key, j.task_key, j.arguments::text AS arguments, j.status,
          e.started_at, j.error, e.host, e.token::text AS token;

-- name: finish_jobs [sqlite]
-- End attempts (completed, failed, cancelled, or waiting again for a retry), each only if
-- its token still names the job's current attempt. :rows is a JSON array of {id, token,
-- status, error, run_after, ended}. Returns the jobs actually ended (release_dependants
-- follows in the same transaction).
UPDATE queue_job SET status = f.status, error = f.error, run_after = f.run_after,
    ended_at = CASE WHEN f.status = 'waiting' THEN NULL ELSE f.ended END,
    token = CASE WHEN f.status = 'waiting' THEN NULL ELSE queue_job.token END,
    lease_until = NULL,
    worker = CASE WHEN f.status = 'waiting' THEN NULL ELSE queue_job.worker END
FROM (SELECT value ->> 'id' AS id, value ->> 'token' AS token, value ->> 'status' AS status,
             value ->> 'error' AS error, value ->> 'run_after' AS run_after,
             value ->> 'ended' AS ended
      FROM json_each(:rows)) AS f
WHERE queue_job.id = f.id AND queue_job.token = f.token AND queue_job.status = 'running'
RETURNING queue_job.id, queue_job.status;

-- name: finish_jobs [postgresql]
-- End attempts (the live finish_jobs function is migration 0004's; see
-- migrations/README.md). Returns the jobs ended (release_dependants follows in the same
-- transaction).
SELECT * FROM finish_jobs(:rows::jsonb);

-- name: end_attempts [postgresql]
-- End attempts, release their dependants and record them in the run log (:log) in one
-- statement, one round trip (the end_attempts function; live: migration 0015). SQLite runs
-- finish_jobs, release_dependants and log_attempts in one write turn instead.
SELECT * FROM end_attempts(:rows::jsonb, :log, :environment, :executed_by, :host, :pid);

-- name: release_jobs [sqlite]
-- Give claimed attempts back untouched (worker stopping): the attempts do not count.
-- :ids and :tokens are JSON arrays, matched by position.
UPDATE queue_job SET status = 'waiting', token = NULL, worker = NULL, lease_until = NULL,
    started_at = NULL, attempts = attempts - 1
FROM (SELECT i.value AS id, t.value AS token
      FROM json_each(:ids) i JOIN json_each(:tokens) t ON t.key = i.key) AS r
WHERE queue_job.id = r.id AND queue_job.token = r.token AND queue_job.status = 'running';

-- name: release_jobs [postgresql]
-- Give claimed attempts back untouched (worker stopping): the attempts do not count.
UPDATE queue_job j SET status = 'waiting', token = NULL, worker = NULL, lease_until = NULL,
    started_at = NULL, attempts = j.attempts - 1
FROM unnest(:ids::bigint[], :tokens::uuid[]) AS r(id, token)
WHERE j.id = r.id AND j.token = r.token AND j.status = 'running';

-- name: stop_renewing [sqlite]
-- An attempt whose end could not be recorded: its worker's heartbeat no longer renews the
-- lease (renew_leases matches the worker's name), so it runs again once the lease ran out.
UPDATE queue_job SET worker = worker || ' (its end could not be recorded)'
WHERE id = :id AND token = :token AND status = 'running' AND worker = :worker
RETURNING id;

-- name: stop_renewing [postgresql]
-- An attempt whose end could not be recorded: its worker's heartbeat no longer renews the
-- lease (renew_leases matches the worker's name), so it runs again once the lease ran out.
UPDATE queue_job SET worker = worker || ' (its end could not be recorded)'
WHERE id = :id AND token = :token::uuid AND status = 'running' AND worker = :worker
RETURNING id;

-- name: park_job [sqlite]
-- Park a job until the dependency job it waits on ends (the attempt does not count).
UPDATE queue_job SET status = 'parked', waiting_on = :dependency, token = NULL,
    worker = NULL, lease_until = NULL, started_at = NULL, attempts = attempts - 1
WHERE id = :id AND token = :token AND status = 'running'
  AND EXISTS (SELECT 1 FROM queue_job d WHERE d.id = :dependency
              AND d.status IN ('waiting', 'running', 'parked'))
RETURNING id;

-- name: park_job [postgresql]
-- Park a job until the dependency job it waits on ends (the attempt does not count). The
-- dependency's row is locked so it cannot end unseen between this check and the commit.
UPDATE queue_job SET status = 'parked', waiting_on = :dependency, token = NULL,
    worker = NULL, lease_until = NULL, started_at = NULL, attempts = attempts - 1
WHERE id = :id AND token = :token::uuid AND status = 'running'
  AND EXISTS (SELECT 1 FROM queue_job d WHERE d.id = :dependency
              AND d.status IN ('waiting', 'running', 'parked') FOR SHARE)
RETURNING id;

-- name: release_dependants [sqlite]
-- Jobs parked on dependencies that just ended (:ids, a JSON array): back to waiting when
-- the dependency completed, failed (with the reason) otherwise, and the jobs parked on a
-- job failed so, in turn. Returns every job woken or failed.
WITH RECURSIVE chain(id, status, error) AS (
    SELECT j.id, CASE WHEN d.status = 'completed' THEN 'waiting' ELSE 'failed' END,
           CASE WHEN d.status = 'completed' THEN NULL
           ELSE 'dependency ' || d.type_key || '.' || d.task_key || ' (job ' || d.id || ') '
                || d.status || coalesce(': ' || d.error, '') END
    FROM queue_job d JOIN queue_job j ON j.waiting_on = d.id AND j.status = 'parked'
    WHERE d.id IN (SELECT value FROM json_each(:ids))
      AND d.status IN ('completed', 'failed', 'cancelled')
    UNION
    SELECT j.id, 'failed',
           'dependency ' || p.type_key || '.' || p.task_key || ' (job ' || p.id || ') failed: '
           || c.error
    FROM chain c JOIN queue_job p ON p.id = c.id
         JOIN queue_job j ON j.waiting_on = c.id AND j.status = 'parked'
    WHERE c.status = 'failed'
)
UPDATE queue_job SET status = chain.status, error = chain.error,
    ended_at = CASE WHEN chain.status = 'failed' THEN :now END, waiting_on = NULL
FROM chain WHERE queue_job.id = chain.id
RETURNING queue_job.id, queue_job.status;

-- name: release_dependants [postgresql]
-- Wake (or fail) jobs parked on jobs that ended (:ids), and theirs in turn; and wake the
-- jobs parked until one of them ended, however (parked_on: a parent waiting for its
-- children, a dependency with on_failure = 'continue'), in the same round trip. Returns
-- every job woken or failed. (The live release_dependants function is migration 0004's.)
WITH ended_waits AS (
    UPDATE queue_job SET status = 'waiting', parked_on = NULL
    WHERE status = 'parked' AND parked_on = ANY(:ids::bigint[])
    RETURNING id, status
)
SELECT d.id, d.status FROM release_dependants(:ids::bigint[]) AS d
UNION ALL
SELECT w.id, w.status FROM ended_waits AS w;

-- name: release_ended_waits_of [sqlite]
-- Jobs parked until one of the jobs that just ended (:ids, a JSON array) ended, however
-- (parked_on): back to waiting in the ending transaction. Returns them.
UPDATE queue_job SET status = 'waiting', parked_on = NULL
WHERE status = 'parked' AND parked_on IN (SELECT value FROM json_each(:ids))
RETURNING id, status;

-- name: completed_since [sqlite]
-- Whether a job of a task completed since a time with arguments that include these (JSON
-- object :arguments: every key present with an equal value).
SELECT id FROM queue_job j
WHERE type_key = :type_key AND task_key = :task_key AND status = 'completed'
  AND ended_at >= :since
  AND NOT EXISTS (
      SELECT 1 FROM json_each(:arguments) s
      WHERE NOT EXISTS (
          SELECT 1 FROM json_each(j.arguments) a
          WHERE a.key = s.key AND a.type = s.type
            AND (a.atom IS s.atom AND (a.atom IS NOT NULL OR a.value = s.value))
      )
  )
LIMIT 1;

-- name: active_including [sqlite]
-- The oldest waiting, running or parked job of a task with arguments that include these.
SELECT id FROM queue_job j
WHERE type_key = :type_key AND task_key = :task_key
  AND status IN ('waiting', 'running', 'parked')
  AND NOT EXISTS (
      SELECT 1 FROM json_each(:arguments) s
      WHERE NOT EXISTS (
          SELECT 1 FROM json_each(j.arguments) a
          WHERE a.key = s.key AND a.type = s.type
            AND (a.atom IS s.atom AND (a.atom IS NOT NULL OR a.value = s.value))
      )
  )
ORDER BY id LIMIT 1;

-- name: active_including [postgresql]
-- The oldest waiting, running or parked job of a task with arguments that include these.
SELECT id FROM queue_job
WHERE type_key = :type_key AND task_key = :task_key
  AND status IN ('waiting', 'running', 'parked') AND arguments @> :arguments::jsonb
ORDER BY id LIMIT 1;

-- name: completed_since [postgresql]
-- Whether a job of a task completed since a time with arguments that include these.
SELECT id FROM queue_job
WHERE type_key = :type_key AND task_key = :task_key AND status = 'completed'
  AND ended_at >= :since AND arguments @> :arguments::jsonb
LIMIT 1;

-- name: cancel_waiting
-- Cancel a job that has not started (waiting or parked); returns it when it was.
UPDATE queue_job SET status = 'cancelled', ended_at = :now, error = 'cancelled',
    waiting_on = NULL
WHERE id = :id AND status IN ('waiting', 'parked')
RETURNING id, status;

-- name: cancel_children_waiting
-- Cancel the jobs job :id posted as its children (ctx.post), and theirs in turn, that
-- have not started (waiting or parked); returns them. Found by their parent_id (an index).
WITH RECURSIVE family(id) AS (
    SELECT c.id FROM queue_job c WHERE c.parent_id = :id
    UNION
    SELECT c.id FROM queue_job c JOIN family f ON c.parent_id = f.id
)
UPDATE queue_job SET status = 'cancelled', ended_at = :now, error = :error,
    waiting_on = NULL
WHERE id IN (SELECT id FROM family) AND status IN ('waiting', 'parked')
RETURNING id;

-- name: request_cancel_children
-- Ask the workers running children of job :id (and theirs in turn) to stop them.
WITH RECURSIVE family(id) AS (
    SELECT c.id FROM queue_job c WHERE c.parent_id = :id
    UNION
    SELECT c.id FROM queue_job c JOIN family f ON c.parent_id = f.id
)
UPDATE queue_job SET cancel_requested = TRUE
WHERE id IN (SELECT id FROM family) AND status = 'running'
RETURNING id;

-- name: request_cancel
-- Ask the worker running a job to stop it (its heartbeat sees the flag).
UPDATE queue_job SET cancel_requested = TRUE WHERE id = :id AND status = 'running'
RETURNING id, status;

-- name: notify_workers [postgresql]
-- Wake the workers of this schema now (a cancel request, a retry that is due).
SELECT pg_notify(queue_channel(), :payload);

-- name: notify_workers [sqlite]
-- SQLite's workers see every commit (they poll data_version): nothing to send.
SELECT :payload WHERE FALSE;

-- name: queue_channel [postgresql]
-- The LISTEN channel of this schema's workers.
SELECT queue_channel() AS channel;

-- name: job_by_id [sqlite]
-- One job.
SELECT * FROM queue_job WHERE id = :id;

-- name: job_by_id [postgresql]
-- One job.
SELECT j.*, j.arguments::text AS arguments, j.token::text AS token FROM queue_job j
WHERE id = :id;

-- name: jobs_of_task [sqlite]
-- The newest jobs of one task, optionally of one status.
SELECT * FROM queue_job
WHERE type_key = :type_key AND task_key = :task_key AND (:status IS NULL OR status = :status)
ORDER BY id DESC LIMIT :limit;

-- name: jobs_of_task [postgresql]
-- The newest jobs of one task, optionally of one status.
SELECT j.*, j.arguments::text AS arguments, j.token::text AS token FROM queue_job j
WHERE type_key = :type_key AND task_key = :task_key
  AND (:status::text IS NULL OR status = :status::text)
ORDER BY id DESC LIMIT :limit;

-- name: count_by_task
-- How many jobs each task has in each status.
SELECT type_key, task_key, status, count(*) AS n FROM queue_job
GROUP BY type_key, task_key, status ORDER BY type_key, task_key, status;

-- name: count_active
-- How many jobs are waiting, running or parked.
SELECT count(*) AS n FROM queue_job WHERE status IN ('waiting', 'running', 'parked');

-- name: attempts_of_job
-- The run-log records of a job's attempts, oldest first.
SELECT id FROM job_run WHERE queue_job_id = :id ORDER BY id;

-- name: data_version [sqlite]
-- Changes whenever another connection commits (idle workers poll it to wake up); column data_version.
PRAGMA data_version;

-- name: listen [postgresql]
-- Hear this schema's queue notifications ({channel} is quoted by the code).
LISTEN {channel};

-- name: count_waiting [sqlite]
-- How many jobs of some queues/tasks wait (or are parked, or run under a lease that ran
-- out: they will be handed back) to run: n that fit in :system_units process units,
-- too_big that need more.
SELECT count(*) FILTER (WHERE process_units <= :system_units) AS n,
       count(*) FILTER (WHERE process_units > :system_units) AS too_big
FROM queue_job
WHERE (status IN ('waiting', 'parked') OR (status = 'running' AND lease_until < :now))
  AND (:queues IS NULL OR queue IN (SELECT value FROM json_each(:queues)))
  AND (:tasks IS NULL OR type_key || '.' || task_key IN (SELECT value FROM json_each(:tasks)));

-- name: count_waiting [postgresql]
-- How many jobs of some queues/tasks wait (or are parked, or run under a lease that ran
-- out: they will be handed back) to run: n that fit in :system_units process units,
-- too_big that need more.
SELECT count(*) FILTER (WHERE process_units <= :system_units) AS n,
       count(*) FILTER (WHERE process_units > :system_units) AS too_big
FROM queue_job
WHERE (status IN ('waiting', 'parked') OR (status = 'running' AND lease_until < now()))
  AND (:queues::text[] IS NULL OR queue = ANY(:queues::text[]))
  AND (:tasks::text[] IS NULL OR type_key || '.' || task_key = ANY(:tasks::text[]));

-- name: running_holders [sqlite]
-- The registered workers that hold jobs of some queues/tasks under a lease that has not
-- run out yet: where each runs, and whether its heartbeat stopped (three beats missed).
-- A burst worker waits for the jobs of dead ones: they are handed back when it runs out.
SELECT w.host, w.pid, w.heartbeat_at < :now - 3 * min(max(w.lease / 4, 0.2), 10) AS stale,
       count(*) AS n
FROM queue_job j JOIN queue_worker w ON w.name = j.worker
WHERE j.status = 'running' AND j.lease_until >= :now
  AND (:queues IS NULL OR j.queue IN (SELECT value FROM json_each(:queues)))
  AND (:tasks IS NULL OR j.type_key || '.' || j.task_key IN (SELECT value FROM json_each(:tasks)))
GROUP BY w.name;

-- name: running_holders [postgresql]
-- The registered workers that hold jobs of some queues/tasks under a lease that has not
-- run out yet: where each runs, and whether its heartbeat stopped (three beats missed).
-- A burst worker waits for the jobs of dead ones: they are handed back when it runs out.
SELECT w.host, w.pid,
       w.heartbeat_at < now() - make_interval(secs => 3 * least(greatest(w.lease / 4, 0.2), 10))
           AS stale,
       count(*) AS n
FROM queue_job j JOIN queue_worker w ON w.name = j.worker
WHERE j.status = 'running' AND j.lease_until >= now()
  AND (:queues::text[] IS NULL OR j.queue = ANY(:queues::text[]))
  AND (:tasks::text[] IS NULL OR j.type_key || '.' || j.task_key = ANY(:tasks::text[]))
GROUP BY w.name, w.host, w.pid, w.heartbeat_at, w.lease;

-- name: count_stranded [sqlite]
-- Parked jobs of some queues/tasks that wait, directly or down a chain of parked jobs, on
-- an active job of other queues/tasks (a worker of these never runs it).
WITH RECURSIVE stuck(id) AS (
    SELECT j.id FROM queue_job j JOIN queue_job d ON d.id = coalesce(j.parked_on, j.waiting_on)
    WHERE j.status = 'parked' AND d.status IN ('waiting', 'running', 'parked')
      AND NOT ((:queues IS NULL OR d.queue IN (SELECT value FROM json_each(:queues)))
           AND (:tasks IS NULL
                OR d.type_key || '.' || d.task_key IN (SELECT value FROM json_each(:tasks))))
    UNION
    SELECT j.id FROM queue_job j JOIN stuck s ON s.id = coalesce(j.parked_on, j.waiting_on)
    WHERE j.status = 'parked'
)
SELECT count(*) AS n FROM queue_job
WHERE id IN (SELECT id FROM stuck)
  AND (:queues IS NULL OR queue IN (SELECT value FROM json_each(:queues)))
  AND (:tasks IS NULL OR type_key || '.' || task_key IN (SELECT value FROM json_each(:tasks)));

-- name: count_stranded [postgresql]
-- Parked jobs of some queues/tasks that wait, directly or down a chain of parked jobs, on
-- an active job of other queues/tasks (a worker of these never runs it).
WITH RECURSIVE stuck(id) AS (
    SELECT j.id FROM queue_job j JOIN queue_job d ON d.id = coalesce(j.parked_on, j.waiting_on)
    WHERE j.status = 'parked' AND d.status IN ('waiting', 'running', 'parked')
      AND NOT ((:queues::text[] IS NULL OR d.queue = ANY(:queues::text[]))
           AND (:tasks::text[] IS NULL
                OR d.type_key || '.' || d.task_key = ANY(:tasks::text[])))
    UNION
    SELECT j.id FROM queue_job j JOIN stuck s ON s.id = coalesce(j.parked_on, j.waiting_on)
    WHERE j.status = 'parked'
)
SELECT count(*) AS n FROM queue_job
WHERE id IN (SELECT id FROM stuck)
  AND (:queues::text[] IS NULL OR queue = ANY(:queues::text[]))
  AND (:tasks::text[] IS NULL OR type_key || '.' || task_key = ANY(:tasks::text[]));

-- name: jobs_in_queue [sqlite]
-- Jobs still in the queue (waiting, running, parked), in the order workers take them.
SELECT * FROM queue_job WHERE status IN ('waiting', 'running', 'parked')
ORDER BY priority DESC, id LIMIT :limit;

-- name: jobs_in_queue [postgresql]
-- Jobs still in the queue (waiting, running, parked), in the order workers take them.
SELECT j.*, j.arguments::text AS arguments, j.token::text AS token FROM queue_job j
WHERE status IN ('waiting', 'running', 'parked')
ORDER BY priority DESC, id LIMIT :limit;
