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
-- Posting a job identical to one still waiting, running or parked returns that job. The
-- key is a 64-bit hash of the arguments (no text conversion: cheap to maintain); posting
-- compares the arguments themselves, so a hash collision only costs the dedupe.
CREATE UNIQUE INDEX queue_job_unique
    ON queue_job (type_key, task_key, jsonb_hash_extended(arguments, 0))
    WHERE is_unique AND status IN ('waiting', 'running', 'parked');

-- Every attempt of a queued job is a job run in the run log.
ALTER TABLE job_run ADD COLUMN queue_job_id BIGINT;
CREATE INDEX job_run_queue_job ON job_run (queue_job_id) WHERE queue_job_id IS NOT NULL;

-- Idle workers LISTEN on this channel (one per schema) and wake when work arrives.
CREATE FUNCTION queue_channel() RETURNS TEXT
LANGUAGE sql STABLE SET search_path FROM CURRENT
AS $$ SELECT left('jobsmith.' || current_schema(), 63) $$;

CREATE FUNCTION queue_notify() RETURNS TRIGGER
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM pg_notify(left('jobsmith.' || TG_TABLE_SCHEMA, 63), '');
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
    ON CONFLICT (type_key, task_key, jsonb_hash_extended(arguments, 0))
        WHERE is_unique AND status IN ('waiting', 'running', 'parked')
    DO NOTHING
    RETURNING id INTO job_id;
    IF job_id IS NULL THEN
        SELECT j.id INTO job_id FROM queue_job j
        WHERE j.type_key = task.type_key AND j.task_key = task.task_key
          AND jsonb_hash_extended(j.arguments, 0) = jsonb_hash_extended(checked, 0)
          AND j.arguments = checked AND j.is_unique
          AND j.status IN ('waiting', 'running', 'parked');
    END IF;
    IF job_id IS NULL THEN  -- a hash collision, or the active twin just ended
        INSERT INTO queue_job (type_key, task_key, queue, arguments, priority, process_units,
                               is_unique)
        VALUES (task.type_key, task.task_key, task.queue, checked,
                coalesce(insert_job.priority, task.priority), task.process_units, FALSE)
        RETURNING id INTO job_id;
    END IF;
END $$;

-- A new attempt token: a UUID that starts with the time in ms, so the run log's guid
-- index (the token is the attempt's job run guid) grows at its end, not at random pages.
CREATE FUNCTION queue_token() RETURNS UUID
LANGUAGE sql VOLATILE
AS $$
    SELECT (lpad(to_hex((extract(epoch FROM clock_timestamp()) * 1000)::bigint), 12, '0')
            || substr(replace(gen_random_uuid()::text, '-', ''), 13))::uuid
$$;

-- Claim up to p_limit jobs (highest priority first, then oldest) that fit the host's free
-- process units: each gets a new token and a lease, and the attempt is counted. Claims of
-- one host take turns (an advisory lock); each statement below sees what the previous
-- claim committed, so together they never exceed the host's units. One round trip.
CREATE FUNCTION claim_jobs(
    p_worker TEXT, p_host TEXT, p_limit INTEGER, p_system_units INTEGER,
    p_lease DOUBLE PRECISION, p_queues TEXT[], p_tasks TEXT[]
) RETURNS TABLE (
    id BIGINT, type_key TEXT, task_key TEXT, queue TEXT, arguments TEXT, priority INTEGER,
    process_units INTEGER, attempts INTEGER, token TEXT, cancel_requested BOOLEAN
)
LANGUAGE plpgsql SET search_path FROM CURRENT
-- Walk the indexes whatever the statistics say: right after a burst of posts they are
-- stale, and a bitmap scan plus sort of every waiting job costs 50x an ordered index scan.
SET enable_seqscan = off SET enable_bitmapscan = off
AS $$
#variable_conflict use_column
DECLARE
    free INTEGER;
BEGIN
    -- A claim lost in a server crash only makes the job look unstarted, so it runs again
    -- (at least once): its commit need not wait for the WAL to reach the disk.
    PERFORM set_config('synchronous_commit', 'off', true);
    PERFORM pg_advisory_xact_lock(hashtext('jobsmith.units.' || p_host));
    SELECT p_system_units - coalesce(sum(r.process_units), 0) INTO free
    FROM queue_job r WHERE r.status = 'running' AND r.host = p_host;
    IF free <= 0 THEN
        RETURN;
    END IF;
    RETURN QUERY
    WITH candidates AS (
        SELECT c.id, c.priority, c.process_units FROM queue_job c
        WHERE c.status = 'waiting' AND (c.run_after IS NULL OR c.run_after <= now())
          AND c.process_units <= free
          AND (p_queues IS NULL OR c.queue = ANY(p_queues))
          AND (p_tasks IS NULL OR c.type_key || '.' || c.task_key = ANY(p_tasks))
        ORDER BY c.priority DESC, c.id
        LIMIT p_limit
        FOR UPDATE SKIP LOCKED
    ), chosen AS (
        SELECT s.id FROM (
            SELECT c.id, sum(c.process_units) OVER (ORDER BY c.priority DESC, c.id) AS total
            FROM candidates c
        ) s WHERE s.total <= free
    )
    UPDATE queue_job j SET status = 'running', token = queue_token(),
        attempts = j.attempts + 1, started_at = now(),
        lease_until = now() + make_interval(secs => p_lease), worker = p_worker,
        host = p_host, error = NULL
    FROM chosen WHERE j.id = chosen.id
    RETURNING j.id, j.type_key, j.task_key, j.queue, j.arguments::text, j.priority,
              j.process_units, j.attempts, j.token::text, j.cancel_requested;
END $$;

-- End attempts, each only if its token still names the job's current attempt; then wake
-- (or fail) the jobs parked on jobs that ended, and theirs in turn. Each statement takes a
-- fresh snapshot, so a job parked concurrently on one of these is seen. p_rows is a JSON
-- array of {id, token, status, error, run_after, ended} (times in epoch seconds).
-- Returns the jobs actually ended.
CREATE FUNCTION finish_jobs(p_rows JSONB) RETURNS TABLE (id BIGINT, status TEXT)
LANGUAGE plpgsql SET search_path FROM CURRENT
-- Walk the indexes whatever the statistics say: right after a burst of posts they are
-- stale, and a bitmap scan plus sort of every waiting job costs 50x an ordered index scan.
SET enable_seqscan = off SET enable_bitmapscan = off
AS $$
#variable_conflict use_column
DECLARE
    ended BIGINT[];
BEGIN
    RETURN QUERY
    UPDATE queue_job j SET status = f.status, error = f.error,
        run_after = to_timestamp(f.run_after),
        ended_at = CASE WHEN f.status = 'waiting' THEN NULL ELSE to_timestamp(f.ended) END,
        token = CASE WHEN f.status = 'waiting' THEN NULL ELSE j.token END,
        lease_until = NULL,
        worker = CASE WHEN f.status = 'waiting' THEN NULL ELSE j.worker END
    FROM jsonb_to_recordset(p_rows) AS f(id BIGINT, token UUID, status TEXT, error TEXT,
                                         run_after FLOAT8, ended FLOAT8)
    WHERE j.id = f.id AND j.token = f.token AND j.status = 'running'
    RETURNING j.id, j.status;
    SELECT array_agg(j.id) INTO ended FROM queue_job j
    WHERE j.id IN (SELECT (r ->> 'id')::bigint FROM jsonb_array_elements(p_rows) r)
      AND j.status IN ('completed', 'failed', 'cancelled');
    PERFORM release_dependants(ended);
END $$;

-- Wake (or fail, naming the dependency) jobs parked on jobs that ended, and theirs in turn.
CREATE FUNCTION release_dependants(p_ids BIGINT[]) RETURNS VOID
LANGUAGE plpgsql SET search_path FROM CURRENT
-- Walk the indexes whatever the statistics say: right after a burst of posts they are
-- stale, and a bitmap scan plus sort of every waiting job costs 50x an ordered index scan.
SET enable_seqscan = off SET enable_bitmapscan = off
AS $$
DECLARE
    todo BIGINT[] := p_ids;
BEGIN
    WHILE todo IS NOT NULL AND cardinality(todo) > 0 LOOP
        WITH released AS (
            UPDATE queue_job j SET
                status = CASE WHEN d.status = 'completed' THEN 'waiting' ELSE 'failed' END,
                error = CASE WHEN d.status = 'completed' THEN NULL
                        ELSE 'dependency ' || d.type_key || '.' || d.task_key || ' (job '
                             || d.id || ') ' || d.status || coalesce(': ' || d.error, '') END,
                ended_at = CASE WHEN d.status = 'completed' THEN NULL ELSE now() END,
                waiting_on = NULL
            FROM queue_job d
            WHERE j.status = 'parked' AND j.waiting_on = d.id AND d.id = ANY(todo)
              AND d.status IN ('completed', 'failed', 'cancelled')
            RETURNING j.id, j.status
        )
        SELECT array_agg(r.id) INTO todo FROM released r WHERE r.status = 'failed';
    END LOOP;
END $$;
