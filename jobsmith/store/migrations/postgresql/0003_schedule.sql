-- The scheduler: schedules kept in the store, paused entries, every planned fire with its
-- outcome (claimed once per entry and planned time, whatever the number of schedulers),
-- and the schedulers alive. Times are timestamptz.
CREATE TABLE schedule_entry (
    schedule     TEXT    NOT NULL,                 -- the scheduler's name
    id           INTEGER NOT NULL,
    name         TEXT    NOT NULL,
    description  TEXT    NOT NULL DEFAULT '',
    environment  TEXT    NOT NULL DEFAULT 'python',
    file         TEXT    NOT NULL,
    month_day    TEXT    NOT NULL DEFAULT '*',
    week_day     TEXT    NOT NULL DEFAULT '*',
    hour         TEXT    NOT NULL DEFAULT '*',
    minute       TEXT    NOT NULL DEFAULT '*',
    second       TEXT    NOT NULL DEFAULT '*',
    cron         TEXT,                             -- instead of the five fields
    every        TEXT,                             -- instead of the five fields
    parameters   TEXT    NOT NULL DEFAULT '',
    status       TEXT    NOT NULL DEFAULT 'N' CHECK (status IN ('Y', 'N')),
    catchup      TEXT,                             -- NULL: the config's default
    overlap      TEXT,
    persons      TEXT,
    updated_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (schedule, id)
);

CREATE TABLE schedule_version (                    -- bumped on every change: live reload
    schedule     TEXT    PRIMARY KEY,
    version      INTEGER NOT NULL
);

CREATE TABLE schedule_pause (
    schedule     TEXT    NOT NULL,
    entry_id     INTEGER NOT NULL,
    paused_at    TIMESTAMPTZ NOT NULL,
    paused_by    TEXT    NOT NULL,
    PRIMARY KEY (schedule, entry_id)
);

CREATE TABLE schedule_fire (
    id           BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    schedule     TEXT    NOT NULL,
    entry_id     INTEGER NOT NULL,
    entry_name   TEXT    NOT NULL,
    planned_at   TIMESTAMPTZ NOT NULL,                 -- the trigger time
    kind         TEXT    NOT NULL,                 -- scheduled, catch-up, manual, backfill
    state        TEXT    NOT NULL,                 -- queued buffered starting running ran skipped missed paused interrupted
    claimed_by   TEXT    NOT NULL,
    claimed_at   TIMESTAMPTZ NOT NULL,
    started_at   TIMESTAMPTZ,
    ended_at     TIMESTAMPTZ,
    run_id       BIGINT,                          -- job_run.id in the run log
    job_id       TEXT,                             -- the queue's job, when posted
    status       TEXT,                             -- the run's status (Completed, Failed …)
    log_path     TEXT,
    note         TEXT
);
-- Exactly once: one planned fire per entry and time, however many schedulers claim it.
CREATE UNIQUE INDEX schedule_fire_once ON schedule_fire (schedule, entry_id, planned_at)
    WHERE kind IN ('scheduled', 'catch-up');
CREATE INDEX schedule_fire_history ON schedule_fire (schedule, entry_id, planned_at);
CREATE INDEX schedule_fire_open ON schedule_fire (schedule, entry_id)
    WHERE state IN ('queued', 'buffered', 'starting', 'running');

CREATE TABLE scheduler_instance (
    id           TEXT    PRIMARY KEY,
    schedule     TEXT    NOT NULL,
    host         TEXT    NOT NULL,
    pid          INTEGER NOT NULL,
    started_at   TIMESTAMPTZ NOT NULL,
    heartbeat_at TIMESTAMPTZ NOT NULL,
    stopped_at   TIMESTAMPTZ
);
