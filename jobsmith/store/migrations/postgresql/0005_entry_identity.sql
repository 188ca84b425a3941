-- A schedule entry's identity is (schedule, id, entry_deleted_at): when a job is deleted its
-- fires keep its id but get the time it was deleted, so a job created later with the same
-- id (runner reuses the highest free number) does not inherit their history, pause or
-- "already fired" marks.
ALTER TABLE schedule_fire ADD COLUMN entry_deleted_at TIMESTAMPTZ;  -- NULL: the job still exists

DROP INDEX schedule_fire_once;
CREATE UNIQUE INDEX schedule_fire_once ON schedule_fire (schedule, entry_id, planned_at)
    WHERE kind IN ('scheduled', 'catch-up') AND entry_deleted_at IS NULL;
