-- The persistent job queue: task definitions (so SQL can post and check jobs), jobs with
-- leases and attempt tokens, the insert_job procedure, and NOTIFY wake-ups for workers.

-- What workers serve: one row per registered task, written by `jobsmith worker` and
-- JobMaster.deploy(). `parameters` is a list of {name, kind, required, default, choices}.
CREATE TABLE queue_task (
    type_key      TEXT        NOT NULL,
    task_key      TEXT        NOT NULL,
    parameters    JSONB       NOT NULL DEFAULT '[]',
    write_all     JSONB       NOT NULL DEFAULT '[]',
    process_units INTEGER     NOT NULL DEFAULT 1,
    priority      INTEGER     NOT NULL DEFAULT 0,
    queue         TEXT        NOT NULL DEFAULT 'default',
    help          TEXT,
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (type_key, task_key)
);

-- One row per job. status: waiting, running, parked (on a dependency), completed,
-- failed, cancelled. `token` names the current attempt: finishing, failing and renewing
-- are conditional on it, so a worker presumed dead cannot overwrite a newer attempt.
CREATE TABLE queue_job (
    id               BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    type_key         TEXT        NOT NULL,
    task_key         TEXT        NOT NULL,
    queue            TEXT        NOT NULL DEFAULT 'default',
    arguments        JSONB       NOT NULL DEFAULT '{}',
    priority         INTEGER     NOT NULL DEFAULT 0,
    process_units    INTEGER     NOT NULL DEFAULT 1,
    status           TEXT        NOT NULL DEFAULT 'waiting',
    is_unique        BOOLEAN     NOT NULL DEFAULT TRUE,
    attempts         INTEGER     NOT NULL DEFAULT 0,
    lost             INTEGER     NOT NULL DEFAULT 0,
    run_after        TIMESTAMPTZ,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    started_at       TIMESTAMPTZ,
    ended_at         TIMESTAMPTZ,
    lease_until      TIMESTAMPTZ,
    token            UUID,
    worker           TEXT,
    host             TEXT,
    waiting_on       BIGINT,
    cancel_requested BOOLEAN     NOT NULL DEFAULT FALSE,
    error            TEXT,
    job_run_id       BIGINT
);
-- Claims: highest priority first, then oldest.
CREATE INDEX queue_job_ready ON queue_job (priority DESC, id) WHERE status = 'waiting';
-- Heartbeats, expired leases, process units in use per host.
CREATE INDEX queue_job_running ON queue_job (lease_until) WHERE status = 'running';
-- Dependants parked until a dependency ends.
CREATE INDEX queue_job_parked ON queue_job (waiting_on) WHERE status = 'parked';
-- Dependencies: a completed job of a task within a freshness window.
CREATE INDEX queue_job_completed ON queue_job (type_key, task_key, ended_at)
    WHERE status = 'completed';
-- Posting a job identical to one still waiting, running or parked returns that job.
CREATE UNIQUE INDEX queue_job_unique ON queue_job (type_key, task_key, md5(arguments::text))
    WHERE is_unique AND status IN ('waiting', 'running', 'parked');

-- Every attempt of a queued job is a job run in the run log.
ALTER TABLE job_run ADD COLUMN queue_job_id BIGINT;
CREATE INDEX job_run_queue_job ON job_run (queue_job_id) WHERE queue_job_id IS NOT NULL;

-- Idle workers LISTEN on this channel (one per schema) and wake when work arrives.
CREATE FUNCTION queue_channel() RETURNS TEXT
LANGUAGE sql STABLE SET search_path FROM CURRENT
AS $$ SELECT left('jobsmith.' || current_schema(), 63) $$;

CREATE FUNCTION queue_notify() RETURNS TRIGGER
LANGUAGE plpgsql SET search_path FROM CURRENT
AS $$
BEGIN
    PERFORM pg_notify(queue_channel(), '');
    RETURN NULL;
END $$;

CREATE TRIGGER queue_job_posted AFTER INSERT ON queue_job
    FOR EACH STATEMENT EXECUTE FUNCTION queue_notify();
CREATE TRIGGER queue_job_requeued AFTER UPDATE OF status ON queue_job
    FOR EACH ROW WHEN (NEW.status = 'waiting' AND OLD.status <> 'waiting')
    EXECUTE FUNCTION queue_notify();

-- A value of a JSON kind? (kinds: integer, number, string, boolean, array, object, any).
CREATE FUNCTION queue_kind_ok(kind TEXT, value JSONB) RETURNS BOOLEAN
LANGUAGE sql IMMUTABLE
AS $$
    SELECT CASE kind
        WHEN 'integer' THEN jsonb_typeof(value) = 'number'
                            AND (value #>> '{}')::numeric = trunc((value #>> '{}')::numeric)
        WHEN 'number'  THEN jsonb_typeof(value) = 'number'
        WHEN 'string'  THEN jsonb_typeof(value) = 'string'
        WHEN 'boolean' THEN jsonb_typeof(value) = 'boolean'
        WHEN 'array'   THEN jsonb_typeof(value) = 'array'
        WHEN 'object'  THEN jsonb_typeof(value) = 'object'
        ELSE TRUE
    END
$$;

-- The arguments of a job checked against its task's definition, defaults filled in;
-- raises a clear error (nothing is queued) for an unknown, missing, mistyped or
-- not-allowed argument. 'ALL' is accepted for write_all parameters.
CREATE FUNCTION queue_check_arguments(task queue_task, given JSONB) RETURNS JSONB
LANGUAGE plpgsql STABLE SET search_path FROM CURRENT
AS $$
DECLARE
    arg_name  TEXT;
    param     JSONB;
    arg_value JSONB;
    checked   JSONB := '{}';
    label     TEXT := task.type_key || '.' || task.task_key;
BEGIN
    IF given IS NULL OR jsonb_typeof(given) <> 'object' THEN
        RAISE EXCEPTION 'task %: arguments must be a JSON object, got %', label, given
            USING ERRCODE = '22023';
    END IF;
    FOR arg_name IN SELECT jsonb_object_keys(given) LOOP
        IF NOT EXISTS (SELECT 1 FROM jsonb_array_elements(task.parameters) AS p(d)
                       WHERE p.d ->> 'name' = arg_name) THEN
            RAISE EXCEPTION 'task %: unknown argument ''%'' (expected: %)', label, arg_name,
                (SELECT string_agg(p.d ->> 'name', ', ')
                 FROM jsonb_array_elements(task.parameters) AS p(d))
                USING ERRCODE = '22023';
        END IF;
    END LOOP;
    FOR param IN SELECT p.d FROM jsonb_array_elements(task.parameters) AS p(d) LOOP
        arg_name := param ->> 'name';
        IF given ? arg_name THEN
            arg_value := given -> arg_name;
        ELSIF (param ->> 'required')::boolean THEN
            RAISE EXCEPTION 'task %: missing argument ''%''', label, arg_name
                USING ERRCODE = '22023';
        ELSIF param ? 'default' THEN
            arg_value := param -> 'default';
        ELSE
            CONTINUE;  -- a default with no JSON form: the function's own default applies
        END IF;
        IF arg_value = '"ALL"' AND task.write_all ? arg_name THEN
            NULL;
        ELSIF jsonb_typeof(param -> 'choices') = 'array' THEN
            IF NOT (param -> 'choices') @> jsonb_build_array(arg_value) THEN
                RAISE EXCEPTION 'task %: argument ''%'' is %, expected one of %', label,
                    arg_name, arg_value, param -> 'choices' USING ERRCODE = '22023';
            END IF;
        ELSIF arg_value <> 'null' AND NOT queue_kind_ok(param ->> 'kind', arg_value) THEN
            RAISE EXCEPTION 'task %: argument ''%'' is %, expected %', label, arg_name,
                arg_value, param ->> 'kind' USING ERRCODE = '22023';
        END IF;
        checked := checked || jsonb_build_object(arg_name, arg_value);
    END LOOP;
    RETURN checked;
END $$;

-- JobMaster's procedure: CALL <schema>.insert_job('things1', 'foo', 10, '{"a": 1}'::json).
-- A job identical to one still waiting, running or parked is not queued twice: job_id
-- comes back as that job's id.
CREATE PROCEDURE insert_job(
    type_key TEXT, task_key TEXT, priority INTEGER, arguments JSON,
    INOUT job_id BIGINT DEFAULT NULL
)
LANGUAGE plpgsql SET search_path FROM CURRENT
AS $$
#variable_conflict use_column
DECLARE
    task    queue_task;
    checked JSONB;
BEGIN
    SELECT * INTO task FROM queue_task t
    WHERE t.type_key = insert_job.type_key AND t.task_key = insert_job.task_key;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown task %.%: no worker or deploy() has registered it here',
            insert_job.type_key, insert_job.task_key USING ERRCODE = '22023';
    END IF;
    checked := queue_check_arguments(task, arguments::jsonb);
    INSERT INTO queue_job (type_key, task_key, queue, arguments, priority, process_units)
    VALUES (task.type_key, task.task_key, task.queue, checked,
            coalesce(insert_job.priority, task.priority), task.process_units)
    ON CONFLICT (type_key, task_key, md5(arguments::text))
        WHERE is_unique AND status IN ('waiting', 'running', 'parked')
    DO NOTHING
    RETURNING id INTO job_id;
    IF job_id IS NULL THEN
        SELECT j.id INTO job_id FROM queue_job j
        WHERE j.type_key = task.type_key AND j.task_key = task.task_key
          AND md5(j.arguments::text) = md5(checked::text) AND j.is_unique
          AND j.status IN ('waiting', 'running', 'parked');
    END IF;
END $$;
