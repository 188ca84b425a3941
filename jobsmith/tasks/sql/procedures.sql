-- Stored procedures in a USER's database (not the jobsmith store): read a routine's
-- parameters from the catalog, then call it. Run over the job's own DB-API connection.
-- Each query has a variant per database: [postgresql], [mysql] (MariaDB too), [sqlserver].
-- Values are bound as :name (turned into the driver's placeholders). Call statements get
-- {routine} (the quoted name) and {arguments} (placeholders, built from the catalog).
--
-- procedure_catalog returns one row per parameter (one row with NULL parameter columns
-- for a routine without any), in order, with these columns: routine_id, schema_name,
-- routine_name, routine_kind ('procedure' or 'function'), ordinal, parameter_name,
-- parameter_mode (IN, OUT, INOUT, VARIADIC, TABLE), data_type, default_count (how many
-- of the last input parameters have defaults). Names match in any case; :schema NULL
-- means the connection's current schema (database, for MariaDB).

-- name: procedure_catalog [postgresql]
-- The procedures and functions called :name in schema :schema, one row per argument.
SELECT p.oid::bigint AS routine_id,
       n.nspname::text AS schema_name,
       p.proname::text AS routine_name,
       CASE p.prokind WHEN 'p' THEN 'procedure' ELSE 'function' END AS routine_kind,
       arg.ordinal,
       nullif(p.proargnames[arg.ordinal], '') AS parameter_name,
       CASE coalesce(p.proargmodes[arg.ordinal], 'i')
           WHEN 'i' THEN 'IN' WHEN 'o' THEN 'OUT' WHEN 'b' THEN 'INOUT'
           WHEN 'v' THEN 'VARIADIC' ELSE 'TABLE'
       END AS parameter_mode,
       format_type(coalesce(p.proallargtypes[arg.ordinal], p.proargtypes[arg.ordinal - 1]), NULL)
           AS data_type,
       p.pronargdefaults AS default_count
FROM pg_catalog.pg_proc p
JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
LEFT JOIN LATERAL generate_series(1, coalesce(array_length(p.proallargtypes, 1), p.pronargs))
    AS arg(ordinal) ON true
WHERE lower(n.nspname) = lower(coalesce(:schema::text, current_schema()::text))
  AND lower(p.proname) = lower(:name::text)
  AND p.prokind IN ('p', 'f')
ORDER BY p.oid, arg.ordinal;

-- name: procedure_catalog [mysql]
-- The procedures and functions called :name in database :schema, one row per parameter.
SELECT concat(r.ROUTINE_TYPE, ' ', r.ROUTINE_SCHEMA, '.', r.SPECIFIC_NAME) AS routine_id,
       r.ROUTINE_SCHEMA AS schema_name,
       r.ROUTINE_NAME AS routine_name,
       lower(r.ROUTINE_TYPE) AS routine_kind,
       p.ORDINAL_POSITION AS ordinal,
       p.PARAMETER_NAME AS parameter_name,
       coalesce(p.PARAMETER_MODE, CASE WHEN p.PARAMETER_NAME IS NOT NULL THEN 'IN' END)
           AS parameter_mode,
       p.DTD_IDENTIFIER AS data_type,
       0 AS default_count
FROM information_schema.ROUTINES r
LEFT JOIN information_schema.PARAMETERS p
    ON p.SPECIFIC_SCHEMA = r.ROUTINE_SCHEMA
   AND p.SPECIFIC_NAME = r.SPECIFIC_NAME
   AND p.ROUTINE_TYPE = r.ROUTINE_TYPE
   AND p.ORDINAL_POSITION > 0
WHERE lower(r.ROUTINE_SCHEMA) = lower(coalesce(:schema, DATABASE()))
  AND lower(r.ROUTINE_NAME) = lower(:name)
ORDER BY r.ROUTINE_SCHEMA, r.SPECIFIC_NAME, r.ROUTINE_TYPE, p.ORDINAL_POSITION;

-- name: procedure_catalog [sqlserver]
-- The procedures called :name in schema :schema, one row per parameter (sys.parameters).
-- An OUTPUT parameter is reported as INOUT: SQL Server does not tell OUT from INOUT.
SELECT o.object_id AS routine_id,
       s.name AS schema_name,
       o.name AS routine_name,
       'procedure' AS routine_kind,
       p.parameter_id AS ordinal,
       p.name AS parameter_name,
       CASE WHEN p.parameter_id IS NULL THEN NULL
            WHEN p.is_output = 1 THEN 'INOUT' ELSE 'IN' END AS parameter_mode,
       TYPE_NAME(p.user_type_id) AS data_type,
       0 AS default_count
FROM sys.objects o
JOIN sys.schemas s ON s.schema_id = o.schema_id
LEFT JOIN sys.parameters p ON p.object_id = o.object_id AND p.parameter_id > 0
WHERE lower(s.name) = lower(coalesce(:schema, SCHEMA_NAME()))
  AND lower(o.name) = lower(:name)
  AND o.type IN ('P', 'PC')
ORDER BY o.object_id, p.parameter_id;

-- name: call_procedure [postgresql]
-- Call a procedure; OUT and INOUT values come back as one row.
CALL {routine}({arguments});

-- name: call_function [postgresql]
-- Call a function; its result (a value, a row or a set of rows) comes back as rows.
SELECT * FROM {routine}({arguments});

-- name: call_procedure [mysql]
-- Call a procedure; OUT and INOUT parameters are session variables (see read_variables).
CALL {routine}({arguments});

-- name: call_function [mysql]
-- Call a function; its value comes back as one row.
SELECT {routine}({arguments});

-- name: set_variables [mysql]
-- Give the session variables of INOUT parameters their values before the call.
SET {assignments};

-- name: read_variables [mysql]
-- Read the OUT and INOUT parameters' session variables after the call.
SELECT {columns};

-- name: call_procedure [sqlserver]
-- Call a procedure with named arguments (@Name = ?).
EXEC {routine} {arguments};
