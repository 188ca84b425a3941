-- Queries of the run log. Each starts with "-- name: NAME" (optionally "[sqlite]" or
-- "[postgresql]" for a dialect's own variant) and a one-line purpose. Values are bound
-- as :name; times are passed as aware datetimes.

-- name: insert_job_run
-- Record that a job run started; returns its integer id.
INSERT INTO job_run (guid, environment, job_name, kind, executed_by, host, pid, started_at, status)
VALUES (:guid, :environment, :job_name, :kind, :executed_by, :host, :pid, :started_at, :status)
RETURNING id;

-- name: end_job_run
-- Record how a job run ended.
UPDATE job_run SET ended_at = :ended_at, status = :status, error = :error WHERE id = :id;

-- name: insert_task_run
-- Record that a task run started; returns its integer id.
INSERT INTO task_run (guid, job_run_id, kind, name, started_at, status)
VALUES (:guid, :job_run_id, :kind, :name, :started_at, :status)
RETURNING id;

-- name: insert_task_run_parameters
-- Record the parameter values a task run used (already masked), given as one JSON object.
INSERT INTO task_run_parameter (task_run_id, name, value)
SELECT :task_run_id, key, value FROM json_each(:parameters);

-- name: start_task_run [postgresql]
-- Record a task run's start and its parameter values in one round trip; returns its id.
WITH task AS (
    INSERT INTO task_run (guid, job_run_id, kind, name, started_at, status)
    VALUES (:guid, :job_run_id, :kind, :name, :started_at, :status)
    RETURNING id
), parameters AS (
    INSERT INTO task_run_parameter (task_run_id, name, value)
    SELECT task.id, p.key, p.value FROM task, json_each_text(:parameters::json) AS p
)
SELECT id FROM task;

-- name: end_task_run
-- Record how a task run ended, with its captured output if any.
UPDATE task_run SET ended_at = :ended_at, status = :status, error = :error, output = :output
WHERE id = :id;

-- name: recent_job_runs
-- The newest job runs, optionally of one job and/or one status.
SELECT * FROM job_run
WHERE (:job_name IS NULL OR job_name = :job_name) AND (:status IS NULL OR status = :status)
ORDER BY id DESC LIMIT :limit;

-- name: recent_job_runs [postgresql]
-- The newest job runs, optionally of one job and/or one status.
SELECT * FROM job_run
WHERE (:job_name::text IS NULL OR job_name = :job_name::text)
  AND (:status::text IS NULL OR status = :status::text)
ORDER BY id DESC LIMIT :limit;

-- name: job_run_by_id
-- One job run by its integer id.
SELECT * FROM job_run WHERE id = :id;

-- name: job_run_by_guid
-- One job run by its guid.
SELECT * FROM job_run WHERE guid = :guid;

-- name: task_runs_of_job
-- The task runs of one job run, in the order they started.
SELECT * FROM task_run WHERE job_run_id = :job_run_id ORDER BY id;

-- name: parameters_of_job
-- The parameter values of every task run of one job run.
SELECT p.task_run_id, p.name, p.value
FROM task_run_parameter p JOIN task_run t ON t.id = p.task_run_id
WHERE t.job_run_id = :job_run_id
ORDER BY p.task_run_id, p.name;

-- name: insert_ended_task_run
-- Record a task run that has already ended (engines write these in batches).
INSERT INTO task_run (guid, job_run_id, kind, name, started_at, ended_at, status, error, output)
VALUES (:guid, :job_run_id, :kind, :name, :started_at, :ended_at, :status, :error, :output);

-- name: insert_task_run_parameter_by_guid
-- Record one parameter value of a task run known by its guid (already masked).
INSERT INTO task_run_parameter (task_run_id, name, value)
SELECT id, :name, :value FROM task_run WHERE guid = :guid;

-- name: end_task_run_by_guid
-- Change how a task run known by its guid ended (a flow task reverted later).
UPDATE task_run SET ended_at = :ended_at, status = :status, error = :error WHERE guid = :guid;

-- name: log_attempts [postgresql]
-- Record ended queue attempts (see the log_attempts function in migration 0004). :rows is
-- a JSON array of {id, token, status, error, ended, name, started, kind, params}.
SELECT log_attempts(:rows::jsonb, :environment, :executed_by, :host, :pid);

-- name: log_attempts [sqlite]
-- Record ended queue attempts: per attempt a job run (kind 'queue', guid = the attempt's
-- token; kept once if written twice), one task run and its (masked) parameter values; the
-- job's status gives the run's (a retry is a failed attempt). Three statements, run in
-- the caller's transaction.
INSERT OR IGNORE INTO job_run (guid, environment, job_name, kind, executed_by, host, pid,
                               started_at, ended_at, status, error, queue_job_id)
SELECT value ->> 'token', :environment, value ->> 'name', 'queue', :executed_by, :host, :pid,
       value ->> 'started', value ->> 'ended',
       CASE value ->> 'status' WHEN 'completed' THEN 'Completed'
                               WHEN 'cancelled' THEN 'Cancelled' ELSE 'Failed' END,
       value ->> 'error', value ->> 'id'
FROM json_each(:rows);
INSERT INTO task_run (guid, job_run_id, kind, name, started_at, ended_at, status, error)
SELECT printf('%012x', CAST(r.value ->> 'started' * 1000 AS INTEGER)) || lower(hex(randomblob(10))),
       j.id, r.value ->> 'kind', r.value ->> 'name', r.value ->> 'started',
       r.value ->> 'ended', j.status, r.value ->> 'error'
FROM json_each(:rows) r JOIN job_run j ON j.guid = r.value ->> 'token'
WHERE NOT EXISTS (SELECT 1 FROM task_run t WHERE t.job_run_id = j.id);
INSERT INTO task_run_parameter (task_run_id, name, value)
SELECT t.id, p.key, p.value
FROM json_each(:rows) r JOIN job_run j ON j.guid = r.value ->> 'token'
     JOIN task_run t ON t.job_run_id = j.id, json_each(r.value -> 'params') p
WHERE NOT EXISTS (SELECT 1 FROM task_run_parameter x WHERE x.task_run_id = t.id);

-- name: insert_ended_job_run
-- Record a job run that has already ended (imports, benchmarks: many rows at once).
INSERT INTO job_run (guid, environment, job_name, kind, executed_by, host, pid, started_at,
                     ended_at, status, error)
VALUES (:guid, :environment, :job_name, :kind, :executed_by, :host, :pid, :started_at,
        :ended_at, :status, :error);

-- name: insert_run_edge
-- Record that task :from_task of a graph or flow run depends on its task :to_task
-- (written with executemany when the run starts; a pair given twice is kept once).
INSERT INTO run_edge (job_run_id, from_task, to_task) VALUES (:job_run_id, :from_task, :to_task)
ON CONFLICT (job_run_id, from_task, to_task) DO NOTHING;

-- name: run_edges_of_job
-- The dependencies recorded for one job run (none for runs recorded before migration 0012).
SELECT from_task, to_task FROM run_edge WHERE job_run_id = :job_run_id
ORDER BY from_task, to_task;
