-- A job posted by another job (ctx.post: unique key child:<parent id>:<n>) names its parent,
-- so cancelling a job finds its children, and theirs, by an index. Before, the cancel
-- matched every unique key against 'child:<id>:%' with LIKE (a scan of queue_unique_key for
-- the job and again for each child found).
ALTER TABLE queue_job ADD COLUMN parent_id BIGINT;
UPDATE queue_job SET parent_id = substring(unique_key FROM '^child:([0-9]+):')::bigint
WHERE unique_key LIKE 'child:%';
CREATE INDEX queue_job_children ON queue_job (parent_id) WHERE parent_id IS NOT NULL;
