-- The persistent job queue: task definitions, jobs with leases and attempt tokens.
-- Times are UTC seconds since the epoch; JSON is stored as canonical text (sorted keys).

-- What workers serve: one row per registered task (see the PostgreSQL migration).
CREATE TABLE queue_task (
    type_key      TEXT    NOT NULL,
    task_key      TEXT    NOT NULL,
    parameters    TEXT    NOT NULL DEFAULT '[]',
    write_all     TEXT    NOT NULL DEFAULT '[]',
    process_units INTEGER NOT NULL DEFAULT 1,
    priority      INTEGER NOT NULL DEFAULT 0,
    queue         TEXT    NOT NULL DEFAULT 'default',
    help          TEXT,
    updated_at    REAL    NOT NULL,
    PRIMARY KEY (type_key, task_key)
) WITHOUT ROWID;

-- One row per job; see the PostgreSQL migration for the meaning of each column.
CREATE TABLE queue_job (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    type_key         TEXT    NOT NULL,
    task_key         TEXT    NOT NULL,
    queue            TEXT    NOT NULL DEFAULT 'default',
    arguments        TEXT    NOT NULL DEFAULT '{}',
    priority         INTEGER NOT NULL DEFAULT 0,
    process_units    INTEGER NOT NULL DEFAULT 1,
    status           TEXT    NOT NULL DEFAULT 'waiting',
    is_unique        INTEGER NOT NULL DEFAULT 1,
    attempts         INTEGER NOT NULL DEFAULT 0,
    lost             INTEGER NOT NULL DEFAULT 0,
    run_after        REAL,
    created_at       REAL    NOT NULL,
    started_at       REAL,
    ended_at         REAL,
    lease_until      REAL,
    token            TEXT,
    worker           TEXT,
    host             TEXT,
    waiting_on       INTEGER,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    error            TEXT,
    job_run_id       INTEGER
);
CREATE INDEX queue_job_ready ON queue_job (priority DESC, id) WHERE status = 'waiting';
CREATE INDEX queue_job_running ON queue_job (lease_until) WHERE status = 'running';
CREATE INDEX queue_job_parked ON queue_job (waiting_on) WHERE status = 'parked';
CREATE INDEX queue_job_completed ON queue_job (type_key, task_key, ended_at)
    WHERE status = 'completed';
CREATE UNIQUE INDEX queue_job_unique ON queue_job (type_key, task_key, arguments)
    WHERE is_unique AND status IN ('waiting', 'running', 'parked');

-- Every attempt of a queued job is a job run in the run log.
ALTER TABLE job_run ADD COLUMN queue_job_id INTEGER;
CREATE INDEX job_run_queue_job ON job_run (queue_job_id) WHERE queue_job_id IS NOT NULL;
