-- A job posted by another job names its parent (see the PostgreSQL migration).
ALTER TABLE queue_job ADD COLUMN parent_id INTEGER;
UPDATE queue_job
SET parent_id = CAST(substr(unique_key, 7, instr(substr(unique_key, 7), ':') - 1) AS INTEGER)
WHERE unique_key GLOB 'child:[0-9]*:*'
  AND substr(unique_key, 7, instr(substr(unique_key, 7), ':') - 1) NOT GLOB '*[^0-9]*';
CREATE INDEX queue_job_children ON queue_job (parent_id) WHERE parent_id IS NOT NULL;
