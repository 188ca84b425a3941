-- The run log's and the queue's index diet on the hot path. Every index is one more entry
-- per row written: with these gone a drained no-op job costs ~5 µs less CPU (median 71 ->
-- 66 µs, one process, bench/README.md). The dashboard's lists find their rows without them
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
