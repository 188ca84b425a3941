-- Running a job that ended again (the queue's "retry"; the dashboard and the CLI share it).

-- name: retry_ended_job [sqlite]
-- Put a failed or cancelled job back in the queue as a fresh waiting job (its attempts so
-- far stay in the run log); returns nothing when the job is not failed or cancelled.
UPDATE queue_job
SET status = 'waiting', error = NULL, ended_at = NULL, started_at = NULL, run_after = NULL,
    lease_until = NULL, token = NULL, worker = NULL, host = NULL, waiting_on = NULL,
    cancel_requested = 0, lost = 0
WHERE id = :id AND status IN ('failed', 'cancelled')
RETURNING id, status;

-- name: retry_ended_job [postgresql]
-- Put a failed or cancelled job back in the queue as a fresh waiting job (its attempts so
-- far stay in the run log); returns nothing when the job is not failed or cancelled.
UPDATE queue_job
SET status = 'waiting', error = NULL, ended_at = NULL, started_at = NULL, run_after = NULL,
    lease_until = NULL, token = NULL, worker = NULL, host = NULL, waiting_on = NULL,
    cancel_requested = false, lost = 0
WHERE id = :id AND status IN ('failed', 'cancelled')
RETURNING id, status;

-- name: active_twin_of_job
-- A unique job's active twin (same task and arguments) that a retry would duplicate.
SELECT o.id FROM queue_job j JOIN queue_job o
  ON o.type_key = j.type_key AND o.task_key = j.task_key AND o.arguments = j.arguments
WHERE j.id = :id AND j.is_unique AND o.is_unique AND o.id <> j.id
  AND o.status IN ('waiting', 'running', 'parked')
LIMIT 1;
