-- Queries of flow state (flows that resume after a crash). Values are bound as :name.

-- name: flow_run_by_id
-- One flow run's state, with the task it is executing now (if any).
SELECT r.*, (SELECT min(t.name) FROM flow_task t
             WHERE t.flow_id = r.flow_id AND t.state = 'running') AS current
FROM flow_run r WHERE r.flow_id = :flow_id;

-- name: flow_tasks_of
-- The tasks of one flow run, in the order they completed.
SELECT * FROM flow_task WHERE flow_id = :flow_id ORDER BY seq, name;

-- name: delete_flow_run
-- Forget a flow run's state (its tasks go with it).
DELETE FROM flow_run WHERE flow_id = :flow_id;

-- name: delete_flow_tasks
-- Forget a flow run's task states (before it starts afresh).
DELETE FROM flow_task WHERE flow_id = :flow_id;

-- name: insert_flow_run
-- Start keeping a flow run's state.
INSERT INTO flow_run (flow_id, name, status, store, error, updated_at)
VALUES (:flow_id, :name, :status, :store, NULL, :updated_at);

-- name: set_flow_run
-- Change a flow run's status and error.
UPDATE flow_run SET status = :status, error = :error, updated_at = :updated_at
WHERE flow_id = :flow_id;

-- name: set_flow_tries
-- Record the try in progress of each retry controller of a flow run (JSON object).
UPDATE flow_run SET tries = :tries, updated_at = :updated_at WHERE flow_id = :flow_id;

-- name: upsert_flow_task
-- Record a task's state (and result, completion order, attempt).
INSERT INTO flow_task (flow_id, name, state, seq, attempt, result, updated_at)
VALUES (:flow_id, :name, :state, :seq, :attempt, :result, :updated_at)
ON CONFLICT (flow_id, name) DO UPDATE SET state = excluded.state, seq = excluded.seq,
    attempt = excluded.attempt, result = excluded.result, updated_at = excluded.updated_at;

-- name: flow_runs_by_ids
-- The flow runs among the given ids (a JSON array), for `jobsmith show`.
SELECT r.*, (SELECT min(t.name) FROM flow_task t
             WHERE t.flow_id = r.flow_id AND t.state = 'running') AS current
FROM flow_run r WHERE r.flow_id IN (SELECT value FROM json_each(:ids));

-- name: flow_runs_by_ids [postgresql]
-- The flow runs among the given ids (a JSON array), for `jobsmith show`.
SELECT r.*, (SELECT min(t.name) FROM flow_task t
             WHERE t.flow_id = r.flow_id AND t.state = 'running') AS current
FROM flow_run r
WHERE r.flow_id IN (SELECT value FROM json_array_elements_text(:ids::json));
