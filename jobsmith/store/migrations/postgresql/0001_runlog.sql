-- The run log: one row per job run and per task run, whatever started it,
-- and the parameter values each task run used.
CREATE TABLE job_run (
    id            BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,  -- job_execution_id
    guid          UUID        NOT NULL UNIQUE,                           -- job_execution_guid
    environment   TEXT        NOT NULL,
    job_name      TEXT        NOT NULL,
    kind          TEXT        NOT NULL DEFAULT 'job',  -- job, graph, flow, queue, schedule
    executed_by   TEXT        NOT NULL,
    host          TEXT        NOT NULL,
    pid           INTEGER,
    started_at    TIMESTAMPTZ NOT NULL,
    ended_at      TIMESTAMPTZ,
    status        TEXT        NOT NULL,
    error         TEXT
);
CREATE INDEX job_run_started ON job_run (started_at);
CREATE INDEX job_run_name ON job_run (job_name, started_at);

CREATE TABLE task_run (
    id            BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    guid          UUID        NOT NULL UNIQUE,
    job_run_id    BIGINT      NOT NULL REFERENCES job_run (id) ON DELETE CASCADE,
    kind          TEXT        NOT NULL,                -- FunctionExecution, RExecution …
    name          TEXT        NOT NULL,
    started_at    TIMESTAMPTZ NOT NULL,
    ended_at      TIMESTAMPTZ,
    status        TEXT        NOT NULL,
    error         TEXT,
    output        TEXT                                 -- captured output, bounded
);
CREATE INDEX task_run_job ON task_run (job_run_id);

CREATE TABLE task_run_parameter (
    task_run_id   BIGINT      NOT NULL REFERENCES task_run (id) ON DELETE CASCADE,
    name          TEXT        NOT NULL,
    value         TEXT,
    PRIMARY KEY (task_run_id, name)
);
