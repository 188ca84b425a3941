"""Talking to any DB-API 2 connection a user hands us: which database it is, its
placeholders, quoting, result sets and autocommit.

Used by stored procedure tasks, which run on the job's own connection (psycopg, psycopg2,
pg8000, PyMySQL, mysqlclient, mysql-connector, mariadb, pyodbc), not on the store.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import Any

from jobsmith.errors import ProcedureError
from jobsmith.store.sql import replace_placeholders

DATABASES = ("postgresql", "mysql", "sqlserver")
"""The databases understood: MariaDB is ``mysql``."""

_DRIVERS = {
    "psycopg": "postgresql",
    "psycopg2": "postgresql",
    "pg8000": "postgresql",
    "pymysql": "mysql",
    "MySQLdb": "mysql",
    "mysql": "mysql",  # mysql.connector
    "mariadb": "mysql",
}
_ODBC_DBMS_NAME = 17  # SQL_DBMS_NAME, for pyodbc's Connection.getinfo


def database_of(connection: Any) -> str:
    """Which database a DB-API connection talks to: one of :data:`DATABASES`."""
    module = type(connection).__module__.split(".")[0]
    if module in _DRIVERS:
        return _DRIVERS[module]
    if module == "pyodbc":
        return _odbc_database(connection)
    what = f"{module}.{type(connection).__name__}"
    if module == "sqlite3":
        raise ProcedureError("SQLite has no stored procedures")
    if module == "sqlalchemy":
        raise ProcedureError(
            f"got a {what}: pass a DB-API connection, e.g. engine.raw_connection()"
        )
    raise ProcedureError(
        f"cannot tell which database a {what} connection talks to; use psycopg, psycopg2, "
        "PyMySQL, mysqlclient, mysql-connector, mariadb or pyodbc, or pass database= "
        f"(one of {', '.join(DATABASES)}) to ProcedureExecution"
    )


def _odbc_database(connection: Any) -> str:
    name = str(connection.getinfo(_ODBC_DBMS_NAME)).lower()
    if "postgres" in name:
        return "postgresql"
    if "mysql" in name or "mariadb" in name:
        return "mysql"
    return "sqlserver"


def paramstyle_of(connection: Any) -> str:
    """The placeholder style of a connection's driver (its module's ``paramstyle``)."""
    root = type(connection).__module__.split(".")[0]
    return str(getattr(sys.modules.get(root), "paramstyle", "qmark"))


def quote(database: str, identifier: str) -> str:
    """An identifier quoted for ``database``."""
    if database == "mysql":
        return "`" + identifier.replace("`", "``") + "`"
    if database == "sqlserver":
        return "[" + identifier.replace("]", "]]") + "]"
    return '"' + identifier.replace('"', '""') + '"'


class Arguments:
    """Values bound in a driver's paramstyle, collected while a statement is built."""

    def __init__(self, paramstyle: str) -> None:
        self.style = paramstyle
        self.named: dict[str, Any] = {}
        self.positional: list[Any] = []

    def add(self, value: Any) -> str:
        """Bind ``value``; returns its placeholder."""
        number = len(self.named) + len(self.positional) + 1
        if self.style in ("pyformat", "named"):
            key = f"p{number}"
            self.named[key] = value
            return f"%({key})s" if self.style == "pyformat" else f":{key}"
        self.positional.append(value)
        return {"qmark": "?", "format": "%s"}.get(self.style, f":{number}")

    def text(self, sql: str) -> str:
        """Literal SQL as the driver wants it (``%`` doubled for the format styles)."""
        return sql.replace("%", "%%") if self.style in ("format", "pyformat") else sql

    def values(self) -> Mapping[str, Any] | Sequence[Any]:
        return self.named if self.style in ("pyformat", "named") else self.positional


def bind_query(sql: str, values: Mapping[str, Any], paramstyle: str) -> tuple[str, Any]:
    """A query's ``:name`` placeholders in the driver's paramstyle, and the values."""
    arguments = Arguments(paramstyle)
    text = replace_placeholders(arguments.text(sql), lambda name: arguments.add(values[name]))
    return text, arguments.values()


def first_result(cursor: Any, drain: bool) -> list[Any] | None:
    """The rows of the first result set (if any); with ``drain``, skip the others so the
    connection is ready for the next statement (MySQL and SQL Server need that)."""
    rows = None
    while True:
        if rows is None and cursor.description:
            rows = list(cursor.fetchall())
        if not drain or not cursor.nextset():
            return rows


def autocommit(connection: Any) -> bool:
    getter = getattr(connection, "get_autocommit", None)  # PyMySQL, mysqlclient
    if callable(getter):
        return bool(getter())
    value = getattr(connection, "autocommit", False)
    return bool(value) and not callable(value)
