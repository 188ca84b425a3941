-- Queue controls: keyed unique jobs. Times are UTC seconds since the epoch.

-- The key a job was posted under (shown by `jobsmith show ID`).
ALTER TABLE queue_job ADD COLUMN unique_key TEXT;

-- One row per unique key: the job that holds it. A post takes the key (an upsert on this
-- primary key) only when its job is no longer waiting, running or parked and did not
-- complete within unique_for seconds; otherwise the post returns that job.
CREATE TABLE queue_unique_key (
    unique_key TEXT    NOT NULL PRIMARY KEY,
    job_id     INTEGER,
    unique_for REAL    NOT NULL DEFAULT 0
) WITHOUT ROWID;

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
    paused_at REAL NOT NULL,
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
ALTER TABLE queue_job ADD COLUMN rate_window REAL;
CREATE INDEX queue_job_limited ON queue_job (limit_key) WHERE status = 'running';
CREATE INDEX queue_job_rate_started ON queue_job (started_at)
    WHERE rate_count IS NOT NULL;

-- Waiting for any end: a job parked until the job in parked_on ends, however it ends
-- (a dependency with on_failure = 'continue', a parent waiting for the children it
-- posted). Workers put such jobs back to waiting when that job has ended.
ALTER TABLE queue_job ADD COLUMN parked_on BIGINT;
CREATE INDEX queue_job_parked_on ON queue_job (parked_on) WHERE status = 'parked';
