-- The dashboard's lists: filtered, newest first, paged by id in SQL (keyset paging).
CREATE INDEX job_run_status_id ON job_run (status, id);
CREATE INDEX job_run_kind_id ON job_run (kind, id);
CREATE INDEX job_run_environment_id ON job_run (environment, id);
CREATE INDEX job_run_name_id ON job_run (job_name, id);
CREATE INDEX queue_job_task_status_id ON queue_job (type_key, task_key, status, id);
CREATE INDEX queue_job_status_id ON queue_job (status, id);
CREATE INDEX schedule_fire_run ON schedule_fire (run_id) WHERE run_id IS NOT NULL;
