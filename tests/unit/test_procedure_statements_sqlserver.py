"""SQL Server stored procedures, through a stand-in for a pyodbc connection.

There is no SQL Server on the test machine. The stand-in below answers the catalog query
with the rows ``sys.parameters`` would give for the seed's ``dbo.Greet`` and records what
jobsmith sends, so these tests prove the SQL text, the quoting and the binding (qmark),
not the server's behaviour.
"""

from __future__ import annotations

from typing import Any

import pytest

from jobsmith.errors import ProcedureError
from jobsmith.tasks.dbapi import database_of
from jobsmith.tasks.procedure_catalog import ProcedureCatalog

GREET_ROWS = [
    (101, "dbo", "Greet", "procedure", 1, "@JobExecutionID", "IN", "int", 0),
    (101, "dbo", "Greet", "procedure", 2, "@Name", "IN", "nvarchar", 0),
    (101, "dbo", "Greet", "procedure", 3, "@Rows", "INOUT", "int", 0),
]


class Cursor:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.description: Any = None
        self._rows: list[Any] = []

    def execute(self, sql: str, params: Any) -> None:
        self.connection.sent.append((sql, list(params)))
        if "sys.parameters" in sql:
            self.description = [("routine_id",)]
            self._rows = self.connection.catalog
        else:
            self.description, self._rows = None, []

    def fetchall(self) -> list[Any]:
        return self._rows

    def nextset(self) -> bool:
        return False

    def close(self) -> None:
        pass


class Connection:
    """Looks like a pyodbc connection to jobsmith: same module name, getinfo, cursor."""

    __module__ = "pyodbc"

    def __init__(self, catalog: list[Any]) -> None:
        self.catalog = catalog
        self.sent: list[tuple[str, list[Any]]] = []
        self.autocommit = True

    def getinfo(self, what: int) -> str:
        assert what == 17  # SQL_DBMS_NAME
        return "Microsoft SQL Server"

    def cursor(self) -> Cursor:
        return Cursor(self)


def test_pyodbc_on_sql_server_is_recognised() -> None:
    assert database_of(Connection([])) == "sqlserver"


def test_catalog_query_reads_sys_parameters_with_qmark_placeholders() -> None:
    connection = Connection(GREET_ROWS)
    routine = ProcedureCatalog(connection).find("dbo", "Greet")
    [(sql, params)] = connection.sent
    assert "FROM sys.objects o" in sql and "sys.parameters p" in sql
    assert "lower(coalesce(?, SCHEMA_NAME()))" in sql and "lower(?)" in sql
    assert params == ["dbo", "Greet"]
    assert routine.bindable() == [("@JobExecutionID", False), ("@Name", False), ("@Rows", True)]


def test_exec_with_named_arguments_and_bound_values() -> None:
    connection = Connection(GREET_ROWS)
    catalog = ProcedureCatalog(connection)
    routine = catalog.find("dbo", "Greet")
    result = catalog.call(routine, {"@JobExecutionID": 7, "@Name": "world"})
    assert result.statement == "EXEC [dbo].[Greet] @JobExecutionID = ?, @Name = ?"
    assert connection.sent[-1] == (result.statement, [7, "world"])


def test_brackets_in_names_are_escaped() -> None:
    rows = [(5, "my]schema", "odd]name", "procedure", None, None, None, None, 0)]
    connection = Connection(rows)
    catalog = ProcedureCatalog(connection)
    result = catalog.call(catalog.find("my]schema", "odd]name"), {})
    assert result.statement == "EXEC [my]]schema].[odd]]name]"


def test_procedure_not_found() -> None:
    with pytest.raises(ProcedureError, match=r"procedure dbo\.Nope not found in the sqlserver"):
        ProcedureCatalog(Connection([])).find("dbo", "Nope")
