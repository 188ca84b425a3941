-- The dashboard's lists: filtered, newest first, paged by id in SQL (keyset paging).
CREATE INDEX job_run_status_id ON job_run (status, id);
CREATE INDEX job_run_kind_id ON job_run (kind, id);
CREATE INDEX job_run_environment_id ON job_run (environment, id);
CREATE INDEX job_run_name_id ON job_run (job_name, id);
CREATE INDEX queue_job_task_status_id ON queue_job (type_key, task_key, status, id);
-- No (status, id) index here: SQLite's planner preferred it over the queue's own partial
-- indexes (ready, running) and no-op drains fell from ~7,000 to ~1,500 jobs/s.
CREATE INDEX schedule_fire_run ON schedule_fire (run_id) WHERE run_id IS NOT NULL;

-- Workers say they are alive (the dashboard's workers page, the live-workers metric).
CREATE TABLE queue_worker (
    name          TEXT    PRIMARY KEY,            -- host:pid:random, as on its jobs
    host          TEXT    NOT NULL,
    pid           INTEGER NOT NULL,
    concurrency   INTEGER NOT NULL,
    process_units INTEGER NOT NULL,               -- the host's units it claims within
    queues        TEXT,                           -- comma-separated; NULL: every queue
    lease         REAL    NOT NULL,               -- seconds a heartbeat holds
    started_at    REAL    NOT NULL,
    heartbeat_at  REAL    NOT NULL,
    stopped_at    REAL
);
CREATE INDEX queue_worker_heartbeat ON queue_worker (heartbeat_at);
