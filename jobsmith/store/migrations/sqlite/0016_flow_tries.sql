-- A flow's retry controllers keep counting after a crash (see the PostgreSQL migration).
ALTER TABLE flow_run ADD COLUMN tries TEXT NOT NULL DEFAULT '{}';
