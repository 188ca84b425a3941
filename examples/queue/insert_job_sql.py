"""PostgreSQL only: post with JobMaster's SQL procedure from any connection.

    CALL <schema>.insert_job('nice_tasks', 'foo', 10, '{"file_path": "/tmp/x", "number": 2}'::json)

and with the procedure of the JobMaster 0.1.1 package, which answers with a message
instead of raising (arguments before priority):

    CALL <schema>.insert('nice_tasks', 'foo', '{"file_path": "/tmp/y", "number": 3}'::json, 10)

Run it in this folder with JOBSMITH_STORE=postgresql://… after `python jobmaster_example.py`
(or a worker) published the task definitions.
"""

import os

import psycopg

from jobsmith.store import open_store

store = open_store(os.environ["JOBSMITH_STORE"], os.environ.get("JOBSMITH_SCHEMA", "jobmaster"))
schema = store.schema
with psycopg.connect(os.environ["JOBSMITH_STORE"], autocommit=True) as conn:
    call = f"CALL {schema}.insert_job('nice_tasks', 'foo', 10, %s::json)"
    (job_id,) = conn.execute(call, ('{"file_path": "/tmp/x", "number": 2}',)).fetchone()
    (same_id,) = conn.execute(call, ('{"number": 2, "file_path": "/tmp/x"}',)).fetchone()
    print(f"job {job_id}; posting it again returns job {same_id}")
    try:
        conn.execute(call, ('{"file_path": "/tmp/x", "number": "two"}',))
    except psycopg.errors.InvalidParameterValue as error:
        print(f"refused: {error.diag.message_primary}")

    # JobMaster 0.1.1's procedure: (job id, message); an error is a message, not an exception
    insert = f"CALL {schema}.insert('nice_tasks', 'foo', %s::json, 10)"
    for arguments in ('{"file_path": "/tmp/y", "number": 3}', '{"number": 3}'):
        job_id, message = conn.execute(insert, (arguments,)).fetchone()
        print(f"insert: job {job_id}, {message}")
