-- CALL <schema>.insert_job(...) with JSON null for a required `date` (or any hint without
-- a JSON kind that does not allow None) is refused, as post() refuses None for it.
-- Definitions now say "nullable" both ways for kind "any"; one without the key (published
-- before this) keeps the old rule: null is accepted for "any".

-- The arguments of a job checked against its task's definition, defaults filled in;
-- raises a clear error (nothing is queued) for an unknown, missing, mistyped or
-- not-allowed argument. 'ALL' is accepted for write_all parameters. A given null is
-- accepted only where post() accepts None: where the definition says "nullable" (an
-- Optional hint, an untyped parameter), or, with no such key, for kind 'any' (0011's rule,
-- for definitions published before this migration).
CREATE OR REPLACE FUNCTION queue_check_arguments(task queue_task, given JSONB) RETURNS JSONB
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
        ELSIF arg_value = 'null' THEN
            IF given ? arg_name
               AND NOT coalesce((param ->> 'nullable')::boolean, param ->> 'kind' = 'any') THEN
                RAISE EXCEPTION 'task %: argument ''%'' is null, expected %', label, arg_name,
                    coalesce(nullif(param ->> 'kind', 'any'), 'a value (its type hint does not allow null)')
                    USING ERRCODE = '22023';
            END IF;
        ELSIF NOT queue_kind_ok(param ->> 'kind', arg_value) THEN
            RAISE EXCEPTION 'task %: argument ''%'' is %, expected %', label, arg_name,
                arg_value, param ->> 'kind' USING ERRCODE = '22023';
        END IF;
        checked := checked || jsonb_build_object(arg_name, arg_value);
    END LOOP;
    RETURN checked;
END $$;
