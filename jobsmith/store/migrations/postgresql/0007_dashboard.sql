-- The dashboard's lists: filtered, newest first, paged by id in SQL (keyset paging).
CREATE INDEX job_run_status_id ON job_run (status, id);
CREATE INDEX job_run_kind_id ON job_run (kind, id);
CREATE INDEX job_run_environment_id ON job_run (environment, id);
CREATE INDEX job_run_name_id ON job_run (job_name, id);
CREATE INDEX queue_job_task_status_id ON queue_job (type_key, task_key, status, id);
CREATE INDEX queue_job_status_id ON queue_job (status, id);
CREATE INDEX schedule_fire_run ON schedule_fire (run_id) WHERE run_id IS NOT NULL;

-- Workers say they are alive (the dashboard's workers page, the live-workers metric).
CREATE TABLE queue_worker (
    name          TEXT        PRIMARY KEY,        -- host:pid:random, as on its jobs
    host          TEXT        NOT NULL,
    pid           INTEGER     NOT NULL,
    concurrency   INTEGER     NOT NULL,
    process_units INTEGER     NOT NULL,           -- the host's units it claims within
    queues        TEXT,                           -- comma-separated; NULL: every queue
    lease         DOUBLE PRECISION NOT NULL,      -- seconds a heartbeat holds
    started_at    TIMESTAMPTZ NOT NULL,
    heartbeat_at  TIMESTAMPTZ NOT NULL,
    stopped_at    TIMESTAMPTZ
);
CREATE INDEX queue_worker_heartbeat ON queue_worker (heartbeat_at);
