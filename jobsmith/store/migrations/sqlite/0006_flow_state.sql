-- Flow state, so a flow interrupted by a crash continues where it stopped (see the
-- PostgreSQL migration for the meaning of each column). Times are UTC epoch seconds;
-- JSON is stored as text.

CREATE TABLE flow_run (
    flow_id    TEXT    NOT NULL PRIMARY KEY,
    name       TEXT    NOT NULL,
    status     TEXT    NOT NULL,
    store      TEXT    NOT NULL DEFAULT '{}',
    error      TEXT,
    updated_at REAL    NOT NULL
) WITHOUT ROWID;

CREATE TABLE flow_task (
    flow_id    TEXT    NOT NULL REFERENCES flow_run (flow_id) ON DELETE CASCADE,
    name       TEXT    NOT NULL,
    state      TEXT    NOT NULL,
    seq        INTEGER NOT NULL DEFAULT 0,
    attempt    INTEGER NOT NULL DEFAULT 0,
    result     TEXT,
    updated_at REAL    NOT NULL,
    PRIMARY KEY (flow_id, name)
) WITHOUT ROWID;
