"""Stored procedures and functions on the real PostgreSQL, over the job's own connection.

Each test works in the fresh schema of ``pg_target``; the seed's tutorial keeps the run
log in that same schema, next to its ``Hello`` table and ``Greet`` procedure.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

import jobsmith
from jobsmith import JobExecution
from jobsmith.config import Config
from jobsmith.errors import MissingParameterError, ProcedureError
from jobsmith.store import Store
from tests.conftest import PG_URL, StoreTarget

pytestmark = pytest.mark.postgres

TUTORIAL = """
CREATE TABLE Hello (JobExecutionID int NOT NULL, Message varchar(100) NOT NULL);
CREATE PROCEDURE Greet(JobExecutionID int, Name varchar(50))
LANGUAGE sql SET search_path FROM CURRENT AS $$
    INSERT INTO Hello (JobExecutionID, Message) VALUES (JobExecutionID, 'Hello ' || Name)
$$;
"""


@pytest.fixture
def schema(pg_target: StoreTarget) -> str:
    return pg_target.schema


@pytest.fixture
def admin(schema: str) -> Iterator[psycopg.Connection[Any]]:
    """An autocommit connection working in the test's schema (created if needed)."""
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        conn.execute(f'SET search_path TO "{schema}"')
        yield conn


def job(store: Store, **parameters: Any) -> JobExecution:
    return JobExecution("procedures", Config(), backend=store, parameters=parameters)


def user_connection(schema: str, **kwargs: Any) -> psycopg.Connection[Any]:
    return psycopg.connect(PG_URL, options=f"-c search_path={schema}", **kwargs)


def test_seed_tutorial_hello_greet(
    pg_target: StoreTarget, admin: psycopg.Connection[Any], tmp_path: Path, monkeypatch: Any
) -> None:
    """The robojob tutorial, PostgreSQL edition: run log and procedure in one database."""
    pg_target.open().close()  # deploy the store into the schema first
    admin.execute(TUTORIAL)
    (tmp_path / "robojob.yml").write_text(
        f"backend:\n  url: {PG_URL}\n  schema: {pg_target.schema}\n"
        f"parameters:\n  name: world\n  connection string: {PG_URL}\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("JOBSMITH_STORE", raising=False)
    monkeypatch.delenv("JOBSMITH_SCHEMA", raising=False)

    with jobsmith.go(job_name="hello") as ctx:
        conn = psycopg.connect(ctx["connection string"], autocommit=True)
        ctx.execute_procedure(conn, pg_target.schema, "Greet")
        conn.close()

    assert ctx.run is not None
    rows = admin.execute("SELECT JobExecutionID, Message FROM Hello").fetchall()
    assert rows == [(ctx.run.id, "Hello world")]
    logged = admin.execute(
        "SELECT t.kind, t.name, t.status, t.output, p.name, p.value FROM task_run t "
        "JOIN task_run_parameter p ON p.task_run_id = t.id ORDER BY p.name"
    ).fetchall()
    statement = f'CALL "{pg_target.schema}"."greet"(%(p1)s::integer, %(p2)s::character varying)'
    assert logged == [
        ("ProcedureExecution", f"{pg_target.schema}.Greet", "Completed", statement, p, v)
        for p, v in (("jobexecutionid", str(ctx.run.id)), ("name", "world"))
    ]


def test_procedure_gets_a_new_parameter_without_code_change(
    pg_store: Store, admin: psycopg.Connection[Any], schema: str
) -> None:
    admin.execute(TUTORIAL)
    with user_connection(schema, autocommit=True) as conn, job(pg_store, name="a") as ctx:
        ctx.execute_procedure(conn, schema, "Greet")
        admin.execute(
            "DROP PROCEDURE Greet; CREATE PROCEDURE Greet(JobExecutionID int, Name text, "
            "Punctuation text) LANGUAGE sql AS $$ INSERT INTO Hello VALUES "
            "(JobExecutionID, 'Hello ' || Name || Punctuation) $$"
        )
        ctx["punctuation"] = "!"
        ctx.execute_procedure(conn, schema, "greet")
    messages = admin.execute("SELECT Message FROM Hello ORDER BY Message").fetchall()
    assert messages == [("Hello a",), ("Hello a!",)]


def test_functions_defaults_and_casts(
    pg_store: Store, admin: psycopg.Connection[Any], schema: str
) -> None:
    admin.execute(
        "CREATE FUNCTION add3(a bigint, b int DEFAULT 10, c int DEFAULT 100) RETURNS bigint "
        "LANGUAGE sql AS $$ SELECT a + b + c $$;"
        "CREATE FUNCTION pairs(n int) RETURNS TABLE (i int, square int) LANGUAGE sql AS "
        "$$ SELECT g, g * g FROM generate_series(1, n) g $$;"
    )
    with user_connection(schema, autocommit=True) as conn, job(pg_store, a=2**40, c="1") as ctx:
        # b is left to its default, so c is passed by name: add3(a, c => 1)
        [total] = ctx.execute_procedure(conn, schema, "add3")
        [rows] = ctx.execute_procedure(conn, schema, "pairs", n=3)
    assert total == [(2**40 + 10 + 1,)]
    assert rows == [(1, 1), (2, 4), (3, 9)]


def test_out_parameters_come_back(
    pg_store: Store, admin: psycopg.Connection[Any], schema: str
) -> None:
    admin.execute(
        "CREATE PROCEDURE split_name(full_name text, OUT first text, INOUT count int) "
        "LANGUAGE plpgsql AS $$ BEGIN first := split_part(full_name, ' ', 1); "
        "count := count + 1; END $$"
    )
    with user_connection(schema, autocommit=True) as conn, job(pg_store) as ctx:
        [result] = ctx.execute_procedure(
            conn, schema, "split_name", full_name="Ada Lovelace", count=41
        )
    assert result == [("Ada", 42)]


def test_missing_procedure_is_a_clear_error(pg_store: Store, admin: Any, schema: str) -> None:
    with (
        user_connection(schema, autocommit=True) as conn,
        pytest.raises(ProcedureError) as caught,
        job(pg_store) as ctx,
    ):
        ctx.execute_procedure(conn, schema, "LoadStuff")
    assert str(caught.value) == (
        f"procedure {schema}.LoadStuff not found in the postgresql database (looked in the "
        "catalog for a procedure or function of that name, in any case)"
    )


def test_unbindable_parameter_names_it(
    pg_store: Store, admin: psycopg.Connection[Any], schema: str
) -> None:
    admin.execute(TUTORIAL)
    with (
        user_connection(schema, autocommit=True) as conn,
        pytest.raises(MissingParameterError) as caught,
        job(pg_store) as ctx,
    ):
        ctx.execute_procedure(conn, schema, "Greet")
    assert str(caught.value) == (
        f"The parameter 'name' is not defined (asked for by task '{schema}.Greet')."
    )


def test_transactions_on_a_connection_without_autocommit(
    pg_store: Store, admin: psycopg.Connection[Any], schema: str
) -> None:
    admin.execute(
        TUTORIAL + "CREATE PROCEDURE fail(why text) LANGUAGE plpgsql AS "
        "$$ BEGIN INSERT INTO Hello VALUES (0, why); RAISE EXCEPTION 'failed: %', why; END $$"
    )
    with user_connection(schema) as conn, job(pg_store, name="kept", why="boom") as ctx:
        ctx.execute_procedure(conn, schema, "Greet")  # committed when the task succeeds
        with pytest.raises(ProcedureError) as caught:
            ctx.execute_procedure(conn, schema, "fail")
        ctx.execute_procedure(conn, schema, "Greet", name="after")  # connection still usable
    assert str(caught.value).startswith(f"procedure {schema}.fail failed: failed: boom")
    assert isinstance(caught.value.__cause__, psycopg.errors.RaiseException)
    messages = admin.execute("SELECT Message FROM Hello ORDER BY Message").fetchall()
    assert messages == [("Hello after",), ("Hello kept",)]


def test_current_schema_exact_case_and_quoted_names(
    pg_store: Store, admin: psycopg.Connection[Any], schema: str
) -> None:
    admin.execute(
        "CREATE TABLE said (what text);"
        'CREATE PROCEDURE "Odd ""Name"""(what text) LANGUAGE sql AS $$ INSERT INTO said VALUES (what) $$;'
        "CREATE PROCEDURE odd(what text) LANGUAGE sql AS $$ INSERT INTO said VALUES ('lower ' || what) $$;"
        "CREATE PROCEDURE \"ODD\"(what text) LANGUAGE sql AS $$ INSERT INTO said VALUES ('upper ' || what) $$;"
    )
    conn = user_connection(schema, autocommit=True, row_factory=dict_row)
    with conn, job(pg_store, what="x") as ctx:
        ctx.execute_procedure(conn, None, 'Odd "Name"')  # None: the current schema
        ctx.execute_procedure(conn, schema, "ODD")  # the exact spelling wins
        with pytest.raises(ProcedureError) as caught:
            ctx.execute_procedure(conn, schema, "Odd")
    assert str(caught.value) == (
        f"{schema}.Odd matches 2 routines: {schema}.odd(IN what text); {schema}.ODD(IN what text)."
        " jobsmith cannot tell which one to call (spell the name exactly as created, or give "
        "overloaded routines names of their own)"
    )
    said = admin.execute("SELECT what FROM said ORDER BY what").fetchall()
    assert said == [("upper x",), ("x",)]


def test_a_sqlite_connection_is_refused(pg_store: Store, tmp_path: Path) -> None:
    import sqlite3

    with (
        sqlite3.connect(tmp_path / "x.db") as conn,
        pytest.raises(ProcedureError, match="SQLite has no stored procedures"),
        job(pg_store) as ctx,
    ):
        ctx.execute_procedure(conn, "main", "anything")
