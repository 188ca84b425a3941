-- Per-key limits, continued (issue 13).

-- A task's limit options are part of its published definition, so every post of the task
-- is limited the same, whoever posts it (post() by name without the task's code, the
-- dashboard). limit_key is the key itself, or the name of the argument whose value is the
-- key (limit_arg 1: "name=value").
ALTER TABLE queue_task ADD COLUMN limit_key TEXT;
ALTER TABLE queue_task ADD COLUMN limit_arg INTEGER NOT NULL DEFAULT 0;
ALTER TABLE queue_task ADD COLUMN max_running INTEGER;
ALTER TABLE queue_task ADD COLUMN rate_count INTEGER;
ALTER TABLE queue_task ADD COLUMN rate_window REAL;
-- The task's unique options: whether an identical job still active is returned instead of
-- queued again, the key (a format string over the arguments) and how long a completed job
-- still holds it (seconds); post() by name uses them.
ALTER TABLE queue_task ADD COLUMN is_unique INTEGER NOT NULL DEFAULT 1;
ALTER TABLE queue_task ADD COLUMN unique_key TEXT;
ALTER TABLE queue_task ADD COLUMN unique_for REAL;

-- Waiting jobs of limited tasks by key, in the order workers take them: a claim finds the
-- keys with waiting jobs (a skip scan) and takes each key's next jobs here, as many as the
-- key has room for.
CREATE INDEX queue_job_key_waiting ON queue_job (limit_key, priority DESC, id)
    WHERE status = 'waiting' AND limit_key IS NOT NULL;
-- Waiting jobs without a limit, in order: a claim walks these without stepping over the
-- jobs of full keys.
CREATE INDEX queue_job_ready_free ON queue_job (priority DESC, id)
    WHERE status = 'waiting' AND limit_key IS NULL;
-- Waiting jobs of limited tasks in order: a claim walks the next few hundred of these
-- first (enough when keys have room), and asks each key only when full keys fill the walk.
CREATE INDEX queue_job_ready_limited ON queue_job (priority DESC, id)
    WHERE status = 'waiting' AND limit_key IS NOT NULL;
