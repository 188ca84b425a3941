"""Stored procedures and functions on the real MariaDB (PyMySQL), in a database of its own.

MariaDB comes from ``JOBSMITH_TEST_MYSQL`` (default ``127.0.0.1:3306``, user root, no
password). A developer without it gets these tests skipped; in CI they fail instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pymysql
import pytest

from jobsmith import JobExecution
from jobsmith.config import Config
from jobsmith.errors import MissingParameterError, ProcedureError
from jobsmith.store import Store
from tests.conftest import IN_CI

HOST, _, PORT = os.environ.get("JOBSMITH_TEST_MYSQL", "127.0.0.1:3306").partition(":")


def connect(database: str | None = None, **kwargs: Any) -> pymysql.Connection[Any]:
    return pymysql.connect(
        host=HOST, port=int(PORT or 3306), user="root", database=database, **kwargs
    )


@pytest.fixture
def database() -> Iterator[str]:
    """A database of this test's own (jobsmith_issue4_…), dropped afterwards."""
    try:
        admin = connect(autocommit=True, connect_timeout=3)
    except pymysql.err.OperationalError as exc:
        message = f"MariaDB is not reachable at {HOST}:{PORT}: {exc}"
        if IN_CI:
            pytest.fail(message + " (CI requires it)")
        pytest.skip(message)
    name = f"jobsmith_issue4_{uuid.uuid4().hex[:10]}"
    with admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{name}`")
    try:
        yield name
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        admin.close()


def run_sql(database: str, *statements: str) -> list[Any]:
    with connect(database, autocommit=True) as conn, conn.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
        return list(cursor.fetchall())


def job(store: Store, **parameters: Any) -> JobExecution:
    return JobExecution("mariadb", Config(), backend=store, parameters=parameters)


GREET = (
    "CREATE TABLE Hello (JobExecutionID int NOT NULL, Message varchar(100) NOT NULL)",
    "CREATE PROCEDURE Greet(IN JobExecutionID int, IN Name varchar(50)) "
    "INSERT INTO Hello (JobExecutionID, Message) VALUES (JobExecutionID, concat('Hello ', Name))",
)


def test_seed_greet_on_mariadb(sqlite_store: Store, database: str) -> None:
    run_sql(database, *GREET)
    with connect(database) as conn, job(sqlite_store, name="world") as ctx:  # no autocommit
        [result] = ctx.execute_procedure(conn, database, "greet")
    assert ctx.run is not None and result is None
    assert run_sql(database, "SELECT * FROM Hello") == [(ctx.run.id, "Hello world")]
    [record] = sqlite_store.runs.tasks(ctx.run.id)
    assert dict(record.parameters) == {"JobExecutionID": str(ctx.run.id), "Name": "world"}
    assert record.output == f"CALL `{database}`.`Greet`(%(p1)s, %(p2)s)"


def test_out_and_inout_parameters_and_functions(sqlite_store: Store, database: str) -> None:
    run_sql(
        database,
        "CREATE PROCEDURE Twice(IN x int, INOUT total int, OUT doubled int) "
        "BEGIN SET doubled = x * 2; SET total = total + x; SELECT 'ignored' AS r; END",
        "CREATE FUNCTION plus(a int, b int) RETURNS int DETERMINISTIC RETURN a + b",
    )
    with connect(database) as conn, job(sqlite_store, x=21, total=1, a=2, b=3) as ctx:
        [outs, [(five,)]] = ctx.execute_procedure(conn, None, "Twice", "plus")
    assert outs == [(22, 42)]
    assert five == 5


def test_failure_rolls_back_and_the_connection_stays_usable(
    sqlite_store: Store, database: str
) -> None:
    run_sql(
        database,
        *GREET,
        "CREATE PROCEDURE Fail(IN Why varchar(50)) BEGIN INSERT INTO Hello VALUES (0, Why); "
        "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'no luck'; END",
    )
    with connect(database) as conn, job(sqlite_store, name="x", why="y") as ctx:
        with pytest.raises(ProcedureError) as caught:
            ctx.execute_procedure(conn, database, "Fail")
        ctx.execute_procedure(conn, database, "Greet")
    assert str(caught.value) == f"procedure {database}.Fail failed: (1644, 'no luck')"
    assert run_sql(database, "SELECT Message FROM Hello") == [("Hello x",)]


def test_missing_procedure_and_parameter(sqlite_store: Store, database: str) -> None:
    run_sql(database, *GREET)
    with connect(database, autocommit=True) as conn, job(sqlite_store) as ctx:
        with pytest.raises(
            ProcedureError, match=rf"procedure {database}\.Nope not found in the mysql"
        ):
            ctx.execute_procedure(conn, database, "Nope")
        with pytest.raises(MissingParameterError) as caught:
            ctx.execute_procedure(conn, database, "Greet")
    assert str(caught.value) == (
        f"The parameter 'Name' is not defined (asked for by task '{database}.Greet')."
    )


def test_quoted_names(sqlite_store: Store, database: str) -> None:
    run_sql(
        database,
        "CREATE TABLE said (what varchar(20))",
        "CREATE PROCEDURE `odd ``name`` 100%`(IN what varchar(20)) INSERT INTO said VALUES (what)",
    )
    with connect(database, autocommit=True) as conn, job(sqlite_store, what="ok") as ctx:
        ctx.execute_procedure(conn, database, "odd `name` 100%")
    assert run_sql(database, "SELECT what FROM said") == [("ok",)]
