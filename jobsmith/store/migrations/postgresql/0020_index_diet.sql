-- The run log's and the queue's index diet on the hot path. Every index is one more entry
-- (and WAL record) per row written: migration 0007's six dashboard indexes cost 8 WAL
-- records per claimed-and-ended job, 2 per post. The dashboard's lists find their rows
-- without them (docs/dashboard.md, bench/README.md "Dashboard pages"):
-- - job runs of one job: job_run_name_id (job_name, id), kept; 0001's job_run_name
--   (job_name, started_at) is read by no query, so it goes instead;
-- - job runs of one status, kind or environment: the primary key walked backwards (newest
--   first), filtered; a page stops at its 50th match;
-- - queue jobs of a status, of a task: the queue's own partial indexes (waiting, running,
--   parked, completed by task, ended) or the primary key walked backwards.
-- No index of job_run now holds a column its end (UPDATE of status, ended_at, error)
-- changes, so that update can be a HOT update (no new index entries at all) when the row's
-- page has room: job_run pages are filled to 90% to leave that room.
DROP INDEX job_run_status_id;
DROP INDEX job_run_kind_id;
DROP INDEX job_run_environment_id;
DROP INDEX job_run_name;
DROP INDEX queue_job_task_status_id;
DROP INDEX queue_job_status_id;
ALTER TABLE job_run SET (fillfactor = 90);
