-- Queries of the scheduler: schedules kept in the store, pauses, fires, live schedulers.
-- Each starts with "-- name: NAME" (optionally "[sqlite]" or "[postgresql]") and a
-- one-line purpose. Values are bound as :name; times are passed as aware datetimes.

-- name: schedule_entries
-- Every entry of one schedule kept in the store, by id.
SELECT * FROM schedule_entry WHERE schedule = :schedule ORDER BY id;

-- name: save_schedule_entry
-- Add an entry, or replace the one with the same id.
INSERT INTO schedule_entry (schedule, id, name, description, environment, file, month_day,
    week_day, hour, minute, second, cron, every, parameters, status, catchup, overlap,
    persons, updated_at)
VALUES (:schedule, :id, :name, :description, :environment, :file, :month_day, :week_day,
    :hour, :minute, :second, :cron, :every, :parameters, :status, :catchup, :overlap,
    :persons, :updated_at)
ON CONFLICT (schedule, id) DO UPDATE SET name = excluded.name,
    description = excluded.description, environment = excluded.environment,
    file = excluded.file, month_day = excluded.month_day, week_day = excluded.week_day,
    hour = excluded.hour, minute = excluded.minute, second = excluded.second,
    cron = excluded.cron, every = excluded.every, parameters = excluded.parameters,
    status = excluded.status, catchup = excluded.catchup, overlap = excluded.overlap,
    persons = excluded.persons, updated_at = excluded.updated_at;

-- name: delete_schedule_entry
-- Remove one entry; returns its id when it existed.
DELETE FROM schedule_entry WHERE schedule = :schedule AND id = :id RETURNING id;

-- name: bump_schedule_version
-- Count a change to a schedule kept in the store (schedulers reload when it moves).
INSERT INTO schedule_version (schedule, version) VALUES (:schedule, 1)
ON CONFLICT (schedule) DO UPDATE SET version = schedule_version.version + 1;

-- name: schedule_version
-- How many changes a schedule kept in the store has seen.
SELECT version FROM schedule_version WHERE schedule = :schedule;

-- name: pause_entry
-- Hold an entry: its fires are recorded as paused until it is resumed.
INSERT INTO schedule_pause (schedule, entry_id, paused_at, paused_by)
VALUES (:schedule, :entry_id, :paused_at, :paused_by)
ON CONFLICT (schedule, entry_id) DO NOTHING;

-- name: resume_entry
-- Let a paused entry fire again; returns its id when it was paused.
DELETE FROM schedule_pause WHERE schedule = :schedule AND entry_id = :entry_id RETURNING entry_id;

-- name: paused_entries
-- The paused entries of one schedule.
SELECT entry_id, paused_at, paused_by FROM schedule_pause WHERE schedule = :schedule;

-- name: retire_entry_fires
-- A job is deleted: its fires keep its id but no longer belong to a job created later with it.
UPDATE schedule_fire SET entry_deleted_at = :deleted_at
WHERE schedule = :schedule AND entry_id = :entry_id AND entry_deleted_at IS NULL;

-- name: lock_entry [sqlite]
-- Serialize decisions about one entry (SQLite's write lock already does).
SELECT 1;

-- name: lock_entry [postgresql]
-- Serialize decisions about one entry's fires until the transaction ends.
SELECT pg_advisory_xact_lock(hashtext(:key));

-- name: claim_fire
-- Claim one planned fire; returns its id, or nothing when another scheduler has it.
INSERT INTO schedule_fire (schedule, entry_id, entry_name, planned_at, kind, state,
    claimed_by, claimed_at, note)
VALUES (:schedule, :entry_id, :entry_name, :planned_at, :kind, :state, :claimed_by,
    :claimed_at, :note)
ON CONFLICT DO NOTHING
RETURNING id;

-- name: insert_fire
-- Record a manual or backfill run (several may share a trigger time); returns its id.
INSERT INTO schedule_fire (schedule, entry_id, entry_name, planned_at, kind, state,
    claimed_by, claimed_at, note)
VALUES (:schedule, :entry_id, :entry_name, :planned_at, :kind, :state, :claimed_by,
    :claimed_at, :note)
RETURNING id;

-- name: update_fire
-- Move a fire on (state, times, run, outcome); a NULL value keeps what is stored.
UPDATE schedule_fire SET state = :state,
    started_at = COALESCE(:started_at, started_at), ended_at = COALESCE(:ended_at, ended_at),
    run_id = COALESCE(:run_id, run_id), job_id = COALESCE(:job_id, job_id),
    status = COALESCE(:status, status), log_path = COALESCE(:log_path, log_path),
    note = COALESCE(:note, note)
WHERE id = :id;

-- name: fire_by_id
-- One fire.
SELECT * FROM schedule_fire WHERE id = :id;

-- name: open_fires
-- The planned fires of an entry still queued, buffered, starting or running.
SELECT * FROM schedule_fire
WHERE schedule = :schedule AND entry_id = :entry_id AND entry_deleted_at IS NULL
  AND state IN ('queued', 'buffered', 'starting', 'running')
  AND kind IN ('scheduled', 'catch-up')
ORDER BY planned_at;

-- name: buffered_entries
-- The entries of one schedule with a fire waiting for the previous run to end.
SELECT DISTINCT entry_id FROM schedule_fire
WHERE schedule = :schedule AND state = 'buffered' AND entry_deleted_at IS NULL;

-- name: take_fire
-- Take a fire from one state to another for one owner; returns it when this caller won.
UPDATE schedule_fire SET state = :state, claimed_by = :claimed_by
WHERE id = :id AND state = :from_state AND claimed_by = :from_owner
RETURNING *;

-- name: fire_watermarks
-- The newest planned time claimed for each entry (where catch-up after downtime starts).
SELECT entry_id, max(planned_at) AS planned_at FROM schedule_fire
WHERE schedule = :schedule AND kind IN ('scheduled', 'catch-up') AND entry_deleted_at IS NULL
GROUP BY entry_id;

-- name: fire_history
-- One entry's fires, newest first (not those of a deleted job that had the same id).
SELECT * FROM schedule_fire
WHERE schedule = :schedule AND entry_id = :entry_id AND entry_deleted_at IS NULL
ORDER BY planned_at DESC, id DESC LIMIT :limit;

-- name: orphaned_fires
-- Fires started or being started by a scheduler that stopped or stopped beating.
SELECT f.* FROM schedule_fire f LEFT JOIN scheduler_instance i ON i.id = f.claimed_by
WHERE f.schedule = :schedule AND f.state IN ('starting', 'running')
  AND f.kind IN ('scheduled', 'catch-up') AND f.job_id IS NULL
  AND (i.id IS NULL OR i.stopped_at IS NOT NULL OR i.heartbeat_at < :dead_before)
ORDER BY f.planned_at;

-- name: fires_of_ended_jobs [sqlite]
-- Fires posted as jobsmith.scheduled_run jobs, still queued or running, whose job has
-- ended (cancelled, failed, lost too often): no worker will finish them.
SELECT f.*, j.status AS job_status, j.error AS job_error
FROM schedule_fire f JOIN queue_job j ON j.id = CAST(f.job_id AS INTEGER)
WHERE f.schedule = :schedule AND f.state IN ('queued', 'running') AND f.job_id IS NOT NULL
  AND j.type_key = 'jobsmith' AND j.task_key = 'scheduled_run' AND j.arguments ->> 'fire' = f.id
  AND j.status IN ('completed', 'failed', 'cancelled')
ORDER BY f.planned_at;

-- name: fires_of_ended_jobs [postgresql]
-- Fires posted as jobsmith.scheduled_run jobs, still queued or running, whose job has
-- ended (cancelled, failed, lost too often): no worker will finish them. (A poster of
-- your own may return job ids that are not numbers: those are left alone.)
SELECT f.*, j.status AS job_status, j.error AS job_error
FROM schedule_fire f JOIN queue_job j
  ON j.id = CASE WHEN f.job_id ~ '^[0-9]{1,18}$' THEN CAST(f.job_id AS BIGINT) END
WHERE f.schedule = :schedule AND f.state IN ('queued', 'running') AND f.job_id IS NOT NULL
  AND j.type_key = 'jobsmith' AND j.task_key = 'scheduled_run'
  AND j.arguments ->> 'fire' = CAST(f.id AS TEXT)
  AND j.status IN ('completed', 'failed', 'cancelled')
ORDER BY f.planned_at;

-- name: register_instance
-- A scheduler starts.
INSERT INTO scheduler_instance (id, schedule, host, pid, started_at, heartbeat_at)
VALUES (:id, :schedule, :host, :pid, :started_at, :started_at);

-- name: instance_heartbeat
-- A scheduler is alive.
UPDATE scheduler_instance SET heartbeat_at = :heartbeat_at WHERE id = :id;

-- name: stop_instance
-- A scheduler stopped cleanly.
UPDATE scheduler_instance SET stopped_at = :stopped_at WHERE id = :id;

-- name: live_instances
-- The schedulers of one schedule that beat recently and have not stopped.
SELECT * FROM scheduler_instance
WHERE schedule = :schedule AND stopped_at IS NULL AND heartbeat_at >= :since
ORDER BY started_at;
