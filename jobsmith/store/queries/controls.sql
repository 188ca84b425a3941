-- Queries of the queue controls (see jobsmith/store/controls.py): keyed unique jobs,
-- retry, retention.

-- name: lock_unique_key [postgresql]
-- Make posts of one unique key take turns until the end of the transaction, so the next
-- statement (take_unique_key) sees the job an earlier post of that key committed.
SELECT pg_advisory_xact_lock(hashtext('jobsmith.unique.' || :unique_key));

-- name: take_unique_key [sqlite]
-- Take a unique key for a new job: inserted when new, taken over when the job holding it
-- is no longer waiting, running or parked and did not complete within its unique_for.
-- A row back means the key is this post's; none means the holder still counts.
INSERT INTO queue_unique_key (unique_key, job_id, unique_for)
VALUES (:unique_key, NULL, :unique_for)
ON CONFLICT (unique_key) DO UPDATE SET job_id = NULL, unique_for = excluded.unique_for
WHERE NOT EXISTS (
    SELECT 1 FROM queue_job j
    WHERE j.id = queue_unique_key.job_id
      AND (j.status IN ('waiting', 'running', 'parked')
           OR (j.status = 'completed' AND j.ended_at >= :now - queue_unique_key.unique_for))
)
RETURNING unique_key;

-- name: take_unique_key [postgresql]
-- Take a unique key for a new job: inserted when new, taken over when the job holding it
-- is no longer waiting, running or parked and did not complete within its unique_for.
-- A row back means the key is this post's; none means the holder still counts. Runs
-- after lock_unique_key, in the same transaction.
INSERT INTO queue_unique_key AS k (unique_key, job_id, unique_for)
VALUES (:unique_key, NULL, :unique_for)
ON CONFLICT (unique_key) DO UPDATE SET job_id = NULL, unique_for = excluded.unique_for
WHERE NOT EXISTS (
    SELECT 1 FROM queue_job j
    WHERE j.id = k.job_id
      AND (j.status IN ('waiting', 'running', 'parked')
           OR (j.status = 'completed'
               AND j.ended_at >= :now::timestamptz - make_interval(secs => k.unique_for)))
)
RETURNING unique_key;

-- name: hold_unique_key
-- Record the job that now holds a unique key (right after take_unique_key).
UPDATE queue_unique_key SET job_id = :job_id WHERE unique_key = :unique_key;

-- name: unique_key_holder
-- The job holding a unique key.
SELECT j.id, j.status FROM queue_unique_key k JOIN queue_job j ON j.id = k.job_id
WHERE k.unique_key = :unique_key;

-- name: insert_keyed_job [sqlite]
-- Queue one job under a unique key (the key already taken by this transaction).
-- A job's child (ctx.post: key child:<parent id>:<n>) names its parent.
INSERT INTO queue_job (type_key, task_key, queue, arguments, priority, process_units,
                       is_unique, run_after, created_at, unique_key, parent_id)
VALUES (:type_key, :task_key, :queue, :arguments, :priority, :process_units, FALSE,
        :run_after, :created_at, :unique_key,
        CASE WHEN :unique_key GLOB 'child:[0-9]*:*'
                  AND substr(:unique_key, 7, instr(substr(:unique_key, 7), ':') - 1)
                      NOT GLOB '*[^0-9]*'
             THEN CAST(substr(:unique_key, 7, instr(substr(:unique_key, 7), ':') - 1)
                       AS INTEGER) END)
RETURNING id, status;

-- name: insert_keyed_job [postgresql]
-- Queue one job under a unique key (the key already taken by this transaction).
-- A job's child (ctx.post: key child:<parent id>:<n>) names its parent.
INSERT INTO queue_job (type_key, task_key, queue, arguments, priority, process_units,
                       is_unique, run_after, created_at, unique_key, parent_id)
VALUES (:type_key, :task_key, :queue, :arguments::jsonb, :priority, :process_units, FALSE,
        :run_after::timestamptz, now(), :unique_key,
        substring(:unique_key FROM '^child:([0-9]+):')::bigint)
RETURNING id, status;

-- name: job_unique_key
-- The unique key a job was posted under, if any.
SELECT unique_key FROM queue_job WHERE id = :id;

-- name: retry_job
-- Run a failed or cancelled job again: back to waiting as a new attempt (its attempts
-- and its run-log history stay; on PostgreSQL the status change wakes idle workers).
-- Returns it when it was failed or cancelled.
UPDATE queue_job SET status = 'waiting', run_after = NULL, ended_at = NULL, error = NULL,
    cancel_requested = FALSE, token = NULL, worker = NULL, host = NULL, lease_until = NULL,
    waiting_on = NULL, lost = 0
WHERE id = :id AND status IN ('failed', 'cancelled')
RETURNING id, status;

-- name: retake_unique_key [sqlite]
-- A retried job takes its unique key back (inserted when its row was pruned), unless
-- another job holds it and still counts (waiting, running or parked, or completed within
-- the key's unique_for): a row back means the key is the retried job's again.
INSERT INTO queue_unique_key (unique_key, job_id, unique_for)
VALUES (:unique_key, :id, 0)
ON CONFLICT (unique_key) DO UPDATE SET job_id = excluded.job_id
WHERE NOT EXISTS (
    SELECT 1 FROM queue_job j
    WHERE j.id = queue_unique_key.job_id AND j.id <> excluded.job_id
      AND (j.status IN ('waiting', 'running', 'parked')
           OR (j.status = 'completed' AND j.ended_at >= :now - queue_unique_key.unique_for))
)
RETURNING unique_key;

-- name: retake_unique_key [postgresql]
-- A retried job takes its unique key back (inserted when its row was pruned), unless
-- another job holds it and still counts (waiting, running or parked, or completed within
-- the key's unique_for): a row back means the key is the retried job's again. Runs after
-- lock_unique_key, in the retry's transaction.
INSERT INTO queue_unique_key AS k (unique_key, job_id, unique_for)
VALUES (:unique_key, :id, 0)
ON CONFLICT (unique_key) DO UPDATE SET job_id = excluded.job_id
WHERE NOT EXISTS (
    SELECT 1 FROM queue_job j
    WHERE j.id = k.job_id AND j.id <> excluded.job_id
      AND (j.status IN ('waiting', 'running', 'parked')
           OR (j.status = 'completed'
               AND j.ended_at >= :now::timestamptz - make_interval(secs => k.unique_for)))
)
RETURNING unique_key;

-- name: active_twin_of_job
-- A unique job's active twin (same task and arguments) that a retry would duplicate.
SELECT o.id FROM queue_job j JOIN queue_job o
  ON o.type_key = j.type_key AND o.task_key = j.task_key AND o.arguments = j.arguments
WHERE j.id = :id AND j.is_unique AND o.is_unique AND o.id <> j.id
  AND o.status IN ('waiting', 'running', 'parked')
LIMIT 1;

-- name: job_status
-- One job's status.
SELECT status FROM queue_job WHERE id = :id;

-- name: search_path [postgresql]
-- The caller's search path (a post on a borrowed connection sets it back after).
SELECT current_setting('search_path') AS path;

-- name: set_search_path [postgresql]
-- Put the store's schema first on a borrowed connection, for this transaction only.
SELECT set_config('search_path', :path, true);

-- name: store_is_here [postgresql]
-- Whether a borrowed connection's database holds the store (its queue table) in the schema.
SELECT to_regclass(format('%I.queue_job', CAST(:schema AS text))) IS NOT NULL AS found;

-- name: store_is_here [sqlite]
-- Whether a borrowed connection's database holds the store (its queue table).
SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'queue_job') AS found;

-- name: prune_jobs [sqlite]
-- Delete up to :batch jobs that ended before :cutoff, except completed jobs of tasks in
-- :keep (a JSON object: task name -> seconds) that ended within that many seconds, which
-- other tasks' dependencies still count as fresh, and jobs of tasks in :keep_any that
-- ended in any way within theirs (dependencies with on_failure="continue"). Returns the
-- deleted ids.
DELETE FROM queue_job WHERE id IN (
    SELECT j.id FROM queue_job j
    WHERE j.status IN ('completed', 'failed', 'cancelled') AND j.ended_at < :cutoff
      AND NOT EXISTS (
          SELECT 1 FROM json_each(:keep) k
          WHERE k.key = j.type_key || '.' || j.task_key AND j.status = 'completed'
            AND j.ended_at >= :now - k.value
      )
      AND NOT EXISTS (
          SELECT 1 FROM json_each(:keep_any) k
          WHERE k.key = j.type_key || '.' || j.task_key AND j.ended_at >= :now - k.value
      )
    ORDER BY j.ended_at LIMIT :batch
)
RETURNING id;

-- name: prune_jobs [postgresql]
-- Delete up to :batch jobs that ended before :cutoff, except completed jobs of tasks in
-- :keep (a JSON object: task name -> seconds) that ended within that many seconds, which
-- other tasks' dependencies still count as fresh, and jobs of tasks in :keep_any that
-- ended in any way within theirs (dependencies with on_failure="continue"). Returns the
-- deleted ids.
DELETE FROM queue_job WHERE id IN (
    SELECT j.id FROM queue_job j
    WHERE j.status IN ('completed', 'failed', 'cancelled') AND j.ended_at < :cutoff::timestamptz
      AND NOT (j.status = 'completed'
               AND coalesce(j.ended_at >= :now::timestamptz - make_interval(
                   secs => (:keep::jsonb ->> (j.type_key || '.' || j.task_key))::float8),
                   FALSE))
      AND NOT coalesce(j.ended_at >= :now::timestamptz - make_interval(
                   secs => (:keep_any::jsonb ->> (j.type_key || '.' || j.task_key))::float8),
                   FALSE)
    ORDER BY j.ended_at LIMIT :batch
    FOR UPDATE SKIP LOCKED
)
RETURNING id;

-- name: prune_unique_keys [sqlite]
-- Forget the unique keys of pruned jobs (:ids, a JSON array).
DELETE FROM queue_unique_key WHERE job_id IN (SELECT value FROM json_each(:ids));

-- name: prune_unique_keys [postgresql]
-- Forget the unique keys of pruned jobs.
DELETE FROM queue_unique_key WHERE job_id = ANY(:ids::bigint[]);

-- name: prune_runs [sqlite]
-- Delete up to :batch run-log job runs that ended before :cutoff (their task runs and
-- parameters go with them). Returns the deleted ids.
DELETE FROM job_run WHERE id IN (
    SELECT id FROM job_run
    WHERE started_at < :cutoff AND ended_at IS NOT NULL AND ended_at < :cutoff
    ORDER BY started_at LIMIT :batch
)
RETURNING id;

-- name: prune_runs [postgresql]
-- Delete up to :batch run-log job runs that ended before :cutoff, with their task runs and
-- parameters (no foreign key cascades to them: migration 0021). Returns the deleted ids.
WITH gone AS (
    DELETE FROM job_run WHERE id IN (
        SELECT id FROM job_run
        WHERE started_at < :cutoff::timestamptz AND ended_at IS NOT NULL
          AND ended_at < :cutoff::timestamptz
        ORDER BY started_at LIMIT :batch
        FOR UPDATE SKIP LOCKED
    )
    RETURNING id
), tasks AS (
    DELETE FROM task_run t USING gone WHERE t.job_run_id = gone.id RETURNING t.id
), parameters AS (
    DELETE FROM task_run_parameter p USING tasks WHERE p.task_run_id = tasks.id
)
SELECT id FROM gone;

-- name: pause
-- Pause a queue or a task (kind 'queue' or 'task'); a row back when it was not paused.
INSERT INTO queue_pause (kind, name, paused_at) VALUES (:kind, :name, :now)
ON CONFLICT (kind, name) DO NOTHING
RETURNING kind, name;

-- name: resume
-- Resume a paused queue or task; a row back when it was paused.
DELETE FROM queue_pause WHERE kind = :kind AND name = :name
RETURNING kind, name;

-- name: paused
-- Every paused queue and task, oldest pause first.
SELECT kind, name, paused_at FROM queue_pause ORDER BY paused_at, kind, name;

-- name: queue_names
-- The queues of the published tasks and of the jobs waiting (a worker serving every queue
-- but the paused ones claims from these).
SELECT queue FROM queue_task
UNION
SELECT DISTINCT queue FROM queue_job WHERE status = 'waiting';

-- name: set_limit
-- Give a just-posted job its concurrency key, its limit and its rate (same transaction
-- as the post).
UPDATE queue_job SET limit_key = :limit_key, max_running = :max_running,
    rate_count = :rate_count, rate_window = :rate_window
WHERE id = :id AND status = 'waiting';

-- name: limit_slots
-- Who holds each key's slots: the running jobs of limited tasks, oldest first.
SELECT limit_key, coalesce(max_running, 0) AS max_running, id, type_key, task_key, worker, host, started_at,
       lease_until
FROM queue_job
WHERE status = 'running' AND limit_key IS NOT NULL
ORDER BY limit_key, started_at, id;

-- name: limit_waiting
-- How many jobs wait on each limited key.
SELECT limit_key, count(*) AS n FROM queue_job
WHERE status = 'waiting' AND limit_key IS NOT NULL
GROUP BY limit_key ORDER BY limit_key;

-- name: park_until_ended [sqlite]
-- Park a running attempt until job :on ends, however it ends (the attempt does not count).
UPDATE queue_job SET status = 'parked', parked_on = :on, token = NULL, worker = NULL,
    lease_until = NULL, started_at = NULL, attempts = attempts - 1
WHERE id = :id AND token = :token AND status = 'running'
  AND EXISTS (SELECT 1 FROM queue_job d WHERE d.id = :on
              AND d.status IN ('waiting', 'running', 'parked'))
RETURNING id;

-- name: park_until_ended [postgresql]
-- Park a running attempt until job :on ends, however it ends (the attempt does not count).
-- The other job's row is locked so it cannot end unseen between this check and the commit.
UPDATE queue_job SET status = 'parked', parked_on = :on, token = NULL, worker = NULL,
    lease_until = NULL, started_at = NULL, attempts = attempts - 1
WHERE id = :id AND token = :token::uuid AND status = 'running'
  AND EXISTS (SELECT 1 FROM queue_job d WHERE d.id = :on
              AND d.status IN ('waiting', 'running', 'parked') FOR SHARE)
RETURNING id;

-- name: release_ended_waits
-- Jobs parked until another job ended, however (parked_on), whose job has ended: back to
-- waiting. Returns them.
UPDATE queue_job SET status = 'waiting', parked_on = NULL
WHERE status = 'parked' AND parked_on IS NOT NULL
  AND parked_on IN (SELECT d.id FROM queue_job d
                    WHERE d.status IN ('completed', 'failed', 'cancelled'))
RETURNING id;

-- name: ended_including [sqlite]
-- Whether a job of a task ended (completed, failed or cancelled) since a time with
-- arguments that include these (JSON object :arguments).
SELECT id FROM queue_job j
WHERE type_key = :type_key AND task_key = :task_key
  AND status IN ('completed', 'failed', 'cancelled') AND ended_at >= :since
  AND NOT EXISTS (
      SELECT 1 FROM json_each(:arguments) s
      WHERE NOT EXISTS (
          SELECT 1 FROM json_each(j.arguments) a
          WHERE a.key = s.key AND a.type = s.type
            AND (a.atom IS s.atom AND (a.atom IS NOT NULL OR a.value = s.value))
      )
  )
LIMIT 1;

-- name: ended_including [postgresql]
-- Whether a job of a task ended (completed, failed or cancelled) since a time with
-- arguments that include these.
SELECT id FROM queue_job
WHERE type_key = :type_key AND task_key = :task_key
  AND status IN ('completed', 'failed', 'cancelled') AND ended_at >= :since
  AND arguments @> :arguments::jsonb
LIMIT 1;

-- name: job_outcomes [sqlite]
-- The status and error of some jobs (:ids, a JSON array).
SELECT id, type_key, task_key, status, error FROM queue_job
WHERE id IN (SELECT value FROM json_each(:ids)) ORDER BY id;

-- name: job_outcomes [postgresql]
-- The status and error of some jobs.
SELECT id, type_key, task_key, status, error FROM queue_job
WHERE id = ANY(:ids::bigint[]) ORDER BY id;

-- name: rate_blocked [sqlite]
-- Rate-limited keys with no room now: how many of their jobs (of some queues/tasks) wait,
-- and when (epoch seconds) the oldest start within the window ages out and one more may
-- start. A burst worker leaves the keys that open later than it waits for.
WITH started AS (
    SELECT limit_key, count(*) AS n, min(started_at + rate_window) AS opens
    FROM queue_job
    WHERE rate_count IS NOT NULL AND started_at > :now - rate_window
    GROUP BY limit_key
)
SELECT w.limit_key, count(*) AS n, min(s.opens) AS opens
FROM queue_job w JOIN started s ON s.limit_key = w.limit_key
WHERE w.status = 'waiting' AND w.rate_count IS NOT NULL AND s.n >= w.rate_count
  AND (:queues IS NULL OR w.queue IN (SELECT value FROM json_each(:queues)))
  AND (:tasks IS NULL OR w.type_key || '.' || w.task_key IN (SELECT value FROM json_each(:tasks)))
GROUP BY w.limit_key ORDER BY w.limit_key;

-- name: rate_blocked [postgresql]
-- Rate-limited keys with no room now: how many of their jobs (of some queues/tasks) wait,
-- and when (epoch seconds) one more may start (see the SQLite variant).
WITH started AS (
    SELECT limit_key, count(*) AS n,
           min(extract(epoch FROM started_at) + rate_window) AS opens
    FROM queue_job
    WHERE rate_count IS NOT NULL AND started_at > now() - make_interval(secs => rate_window)
    GROUP BY limit_key
)
SELECT w.limit_key, count(*) AS n, min(s.opens)::float8 AS opens
FROM queue_job w JOIN started s ON s.limit_key = w.limit_key
WHERE w.status = 'waiting' AND w.rate_count IS NOT NULL AND s.n >= w.rate_count
  AND (:queues::text[] IS NULL OR w.queue = ANY(:queues::text[]))
  AND (:tasks::text[] IS NULL OR w.type_key || '.' || w.task_key = ANY(:tasks::text[]))
GROUP BY w.limit_key ORDER BY w.limit_key;
