-- Flow state, so a flow interrupted by a crash continues where it stopped.

-- One row per flow run that keeps its state (a flow job: 'job:ID'; run(flow_id=...)).
-- status: running, reverting, completed, failed. `store` is the flow's initial store
-- (JSON); `error` the failure being reverted ("task: message").
CREATE TABLE flow_run (
    flow_id    TEXT        NOT NULL PRIMARY KEY,
    name       TEXT        NOT NULL,
    status     TEXT        NOT NULL,
    store      TEXT        NOT NULL DEFAULT '{}',
    error      TEXT,
    updated_at TIMESTAMPTZ NOT NULL
);

-- One row per task of a flow run. state: pending, running, done, failed, reverting,
-- reverted. `seq` orders completions (reverts go newest first); `attempt` counts the
-- executions started (a task interrupted by a crash runs again with attempt + 1);
-- `result` is what execute returned (JSON).
CREATE TABLE flow_task (
    flow_id    TEXT        NOT NULL REFERENCES flow_run (flow_id) ON DELETE CASCADE,
    name       TEXT        NOT NULL,
    state      TEXT        NOT NULL,
    seq        INTEGER     NOT NULL DEFAULT 0,
    attempt    INTEGER     NOT NULL DEFAULT 0,
    result     TEXT,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (flow_id, name)
);
