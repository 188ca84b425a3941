-- The run log's and the queue's index diet on the hot path. Every index is one more entry
-- per row written: dropping migration 0007's dashboard indexes took a no-op job's CPU from
-- 84-89 µs to 74-77 µs. The dashboard's lists find their rows without them
-- (docs/dashboard.md, bench/README.md "Dashboard pages"):
-- - job runs of one job: job_run_name_id (job_name, id), kept; 0001's job_run_name
--   (job_name, started_at) is read by no query, so it goes instead;
-- - job runs of one status, kind or environment, queue jobs of a status or a task: the
--   primary key walked backwards (newest first), filtered; a page stops at its 50th match.
-- (SQLite has no queue_job (status, id) index since 0007.)
DROP INDEX job_run_status_id;
DROP INDEX job_run_kind_id;
DROP INDEX job_run_environment_id;
DROP INDEX job_run_name;
DROP INDEX queue_job_task_status_id;
