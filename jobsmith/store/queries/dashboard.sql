-- What the dashboard reads (and nothing else writes through): lists filtered and paged
-- in SQL, newest first, with keyset paging (:before is the last id of the page before;
-- NULL for the first page). Filters left NULL match everything.

-- name: dashboard_runs [sqlite]
-- A page of job runs, optionally of one job, kind, status, environment and time span.
SELECT * FROM job_run
WHERE (:job_name IS NULL OR job_name = :job_name)
  AND (:kind IS NULL OR kind = :kind)
  AND (:status IS NULL OR status = :status)
  AND (:environment IS NULL OR environment = :environment)
  AND (:since IS NULL OR started_at >= :since)
  AND (:until IS NULL OR started_at < :until)
  AND (:before IS NULL OR id < :before)
ORDER BY id DESC LIMIT :limit;

-- name: dashboard_runs [postgresql]
-- A page of job runs, optionally of one job, kind, status, environment and time span.
SELECT *, guid::text AS guid FROM job_run
WHERE (:job_name::text IS NULL OR job_name = :job_name::text)
  AND (:kind::text IS NULL OR kind = :kind::text)
  AND (:status::text IS NULL OR status = :status::text)
  AND (:environment::text IS NULL OR environment = :environment::text)
  AND (:since::timestamptz IS NULL OR started_at >= :since::timestamptz)
  AND (:until::timestamptz IS NULL OR started_at < :until::timestamptz)
  AND (:before::bigint IS NULL OR id < :before::bigint)
ORDER BY id DESC LIMIT :limit;

-- name: dashboard_run_choices
-- The job names, kinds, statuses and environments seen in the newest job runs (filters).
SELECT DISTINCT job_name, kind, status, environment
FROM (SELECT job_name, kind, status, environment FROM job_run ORDER BY id DESC LIMIT 2000) recent;

-- name: dashboard_fire_of_run
-- The schedule fire a job run was started by (its log file), if any.
SELECT * FROM schedule_fire WHERE run_id = :run_id ORDER BY id DESC LIMIT 1;

-- name: dashboard_jobs [sqlite]
-- A page of queue jobs, optionally of one task and one status.
SELECT * FROM queue_job
WHERE (:type_key IS NULL OR (type_key = :type_key AND task_key = :task_key))
  AND (:status IS NULL OR status = :status)
  AND (:before IS NULL OR id < :before)
ORDER BY id DESC LIMIT :limit;

-- name: dashboard_jobs [postgresql]
-- A page of queue jobs, optionally of one task and one status.
SELECT j.*, j.arguments::text AS arguments, j.token::text AS token FROM queue_job j
WHERE (:type_key::text IS NULL OR (type_key = :type_key::text AND task_key = :task_key::text))
  AND (:status::text IS NULL OR status = :status::text)
  AND (:before::bigint IS NULL OR id < :before::bigint)
ORDER BY id DESC LIMIT :limit;

-- name: dashboard_attempts
-- The run-log records of a queue job's attempts, oldest first.
SELECT * FROM job_run WHERE queue_job_id = :id ORDER BY id;

-- name: dashboard_attempts [postgresql]
-- The run-log records of a queue job's attempts, oldest first.
SELECT *, guid::text AS guid FROM job_run WHERE queue_job_id = :id ORDER BY id;

-- name: dashboard_dependants
-- Jobs parked until this one ends.
SELECT id, type_key, task_key, status FROM queue_job WHERE waiting_on = :id AND status = 'parked'
ORDER BY id LIMIT 50;

-- name: dashboard_ahead [sqlite]
-- How many ready jobs of the same queue a worker claims before this waiting one.
SELECT count(*) AS n FROM queue_job
WHERE status = 'waiting' AND queue = :queue AND (run_after IS NULL OR run_after <= :now)
  AND (priority > :priority OR (priority = :priority AND id < :id));

-- name: dashboard_ahead [postgresql]
-- How many ready jobs of the same queue a worker claims before this waiting one.
SELECT count(*) AS n FROM queue_job
WHERE status = 'waiting' AND queue = :queue AND (run_after IS NULL OR run_after <= :now)
  AND (priority > :priority OR (priority = :priority AND id < :id));

-- name: dashboard_workers
-- Workers holding jobs now: host, units in use, the jobs, the newest lease (heartbeat).
SELECT worker, host, count(*) AS jobs, sum(process_units) AS units,
       max(lease_until) AS lease_until, min(started_at) AS since
FROM queue_job WHERE status = 'running' AND worker IS NOT NULL
GROUP BY worker, host ORDER BY worker;

-- name: dashboard_worker_jobs
-- The jobs the workers hold now.
SELECT id, worker, type_key, task_key, started_at, lease_until FROM queue_job
WHERE status = 'running' ORDER BY worker, id;

-- name: dashboard_queue_depth
-- Waiting jobs per queue and the time the oldest one was posted.
SELECT queue, count(*) AS n, min(created_at) AS oldest FROM queue_job
WHERE status = 'waiting' GROUP BY queue ORDER BY queue;

-- name: dashboard_run_counts
-- Job runs by kind and status.
SELECT kind, status, count(*) AS n FROM job_run GROUP BY kind, status ORDER BY kind, status;

-- name: dashboard_attempt_durations [sqlite]
-- Attempts of queue jobs that ended: count and total seconds under each bucket bound.
SELECT count(*) AS n, coalesce(sum(ended_at - started_at), 0) AS total,
       sum(ended_at - started_at <= 0.01) AS le_0_01, sum(ended_at - started_at <= 0.1) AS le_0_1,
       sum(ended_at - started_at <= 1) AS le_1, sum(ended_at - started_at <= 10) AS le_10,
       sum(ended_at - started_at <= 60) AS le_60, sum(ended_at - started_at <= 600) AS le_600,
       sum(ended_at - started_at <= 3600) AS le_3600
FROM job_run WHERE queue_job_id IS NOT NULL AND ended_at IS NOT NULL;

-- name: dashboard_attempt_durations [postgresql]
-- Attempts of queue jobs that ended: count and total seconds under each bucket bound.
WITH d AS (
    SELECT extract(epoch FROM ended_at - started_at)::float8 AS s FROM job_run
    WHERE queue_job_id IS NOT NULL AND ended_at IS NOT NULL
)
SELECT count(*) AS n, coalesce(sum(s), 0) AS total,
       count(*) FILTER (WHERE s <= 0.01) AS le_0_01, count(*) FILTER (WHERE s <= 0.1) AS le_0_1,
       count(*) FILTER (WHERE s <= 1) AS le_1, count(*) FILTER (WHERE s <= 10) AS le_10,
       count(*) FILTER (WHERE s <= 60) AS le_60, count(*) FILTER (WHERE s <= 600) AS le_600,
       count(*) FILTER (WHERE s <= 3600) AS le_3600
FROM d;

-- name: dashboard_schedule_lag [sqlite]
-- Per schedule entry, the seconds between the planned time and the start of its newest
-- started fire.
SELECT f.schedule, f.entry_id, f.entry_name, f.started_at - f.planned_at AS lag
FROM schedule_fire f
JOIN (SELECT schedule, entry_id, max(id) AS id FROM schedule_fire
      WHERE started_at IS NOT NULL AND kind IN ('scheduled', 'catch-up')
      GROUP BY schedule, entry_id) newest ON newest.id = f.id
ORDER BY f.schedule, f.entry_id;

-- name: dashboard_schedule_lag [postgresql]
-- Per schedule entry, the seconds between the planned time and the start of its newest
-- started fire.
SELECT DISTINCT ON (schedule, entry_id) schedule, entry_id, entry_name,
       extract(epoch FROM started_at - planned_at)::float8 AS lag
FROM schedule_fire WHERE started_at IS NOT NULL AND kind IN ('scheduled', 'catch-up')
ORDER BY schedule, entry_id, id DESC;
