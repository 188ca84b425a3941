-- The dependencies of a graph or flow run, recorded when it starts, so the dashboard can
-- draw its picture with arrows: from_task depends on to_task (both task run names).
-- Runs recorded before this migration have none; their pictures show the nodes only.
CREATE TABLE run_edge (
    job_run_id    BIGINT  NOT NULL REFERENCES job_run (id) ON DELETE CASCADE,
    from_task     TEXT    NOT NULL,
    to_task       TEXT    NOT NULL,
    PRIMARY KEY (job_run_id, from_task, to_task)
);
