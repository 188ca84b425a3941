-- JobMaster 0.1.1's own SQL procedure beside insert_job:
--   CALL <schema>.insert('things1', 'foo', '{"file_path": "/tmp/x", "number": 2}'::json, 10);
-- Like JobMaster's, it answers instead of raising: new_job_id is the job's id (or that of
-- an identical job still waiting, running or parked) and message_out says what happened;
-- for an unknown task or bad arguments new_job_id is NULL and message_out says why.
-- priority NULL (the default) is the task's own priority; system_name_in is accepted and
-- not used (the host is recorded when a worker claims the job).
CREATE PROCEDURE "insert"(
    type_key_in TEXT,
    task_key_in TEXT,
    arguments_in JSON,
    priority_in INTEGER DEFAULT NULL,
    system_name_in TEXT DEFAULT 'external',
    INOUT new_job_id BIGINT DEFAULT NULL,
    INOUT message_out TEXT DEFAULT NULL
)
LANGUAGE plpgsql SET search_path FROM CURRENT
AS $$
DECLARE
    task    queue_task;
    checked JSONB;
BEGIN
    IF new_job_id IS NOT NULL AND EXISTS (SELECT 1 FROM queue_job j WHERE j.id = new_job_id)
    THEN
        message_out := 'job already in queue';
        RETURN;
    END IF;
    new_job_id := NULL;
    SELECT * INTO task FROM queue_task t
    WHERE t.type_key = type_key_in AND t.task_key = task_key_in;
    IF NOT FOUND THEN
        message_out := 'Invalid task: ' || type_key_in || '.' || task_key_in;
        RETURN;
    END IF;
    BEGIN
        checked := queue_check_arguments(task, arguments_in::jsonb);
    EXCEPTION WHEN invalid_parameter_value THEN
        message_out := SQLERRM;
        RETURN;
    END;
    SELECT j.id INTO new_job_id FROM queue_job j
    WHERE j.type_key = task.type_key AND j.task_key = task.task_key
      AND jsonb_hash_extended(j.arguments, 0) = jsonb_hash_extended(checked, 0)
      AND j.arguments = checked AND j.is_unique
      AND j.status IN ('waiting', 'running', 'parked')
    LIMIT 1;
    IF new_job_id IS NOT NULL THEN
        message_out := 'Job with same specification already in queue. '
                       'Returning job_id for that job.';
        RETURN;
    END IF;
    CALL insert_job(type_key_in, task_key_in, priority_in, arguments_in, new_job_id);
    message_out := 'inserted job';
END $$;
