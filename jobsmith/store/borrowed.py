"""Writing to the queue on a connection the caller owns, inside the caller's transaction.

``post(..., connection=conn)`` hands the application's open connection here: a
``sqlite3.Connection``, a psycopg ``Connection``, or an SQLAlchemy ``Connection`` /
``Session`` over either. The job is written on that connection and nothing is committed
or rolled back here: the caller's commit makes the job appear (PostgreSQL's insert
trigger then wakes idle workers; SQLite's workers see the file change), its rollback
leaves no job.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any, ClassVar

from jobsmith.errors import StoreError
from jobsmith.store.base import Params, Row
from jobsmith.store.controls import ControlRepository
from jobsmith.store.jobs import JobRepository
from jobsmith.store.sqlite import _epoch


class BorrowedConnector:
    """A connector over a connection the caller owns (see the module docstring): it
    joins the caller's transaction and never commits, rolls back or closes."""

    dialect: ClassVar[str] = ""
    concurrent_writes: ClassVar[bool] = False

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.description = f"the caller's {self.dialect} connection"

    def open_here(self) -> None:
        pass  # the caller's connection is open

    def _cursor(self) -> Any:
        return self.connection.cursor()

    def _params(self, params: Params) -> Any:
        return params

    def execute(self, sql: str, params: Params = None) -> None:
        self._cursor().execute(sql, self._params(params))

    def fetchone(self, sql: str, params: Params = None) -> Row | None:
        row: Row | None = self._cursor().execute(sql, self._params(params)).fetchone()
        return row

    def fetchall(self, sql: str, params: Params = None) -> list[Row]:
        rows: list[Row] = self._cursor().execute(sql, self._params(params)).fetchall()
        return rows

    def executemany(self, sql: str, rows: Sequence[Mapping[str, Any]]) -> None:
        self._cursor().executemany(sql, [self._params(r) for r in rows])

    @contextmanager
    def transaction(self) -> Iterator[None]:
        yield  # the caller's transaction: it commits or rolls back

    def write_turn(self) -> AbstractContextManager[None]:
        return self.transaction()

    def write(self, sql: str, params: Params = None) -> list[Row]:
        return self.fetchall(sql, params)

    def run_script(self, sql: str) -> None:
        raise StoreError("a borrowed connection does not run migrations")

    def release(self) -> None:
        """The connection is the caller's: nothing to release."""

    def close(self) -> None:
        """The connection is the caller's: it stays open."""


class BorrowedSQLite(BorrowedConnector):
    """The caller's ``sqlite3`` connection (rows by name, times as epoch seconds)."""

    dialect: ClassVar[str] = "sqlite"
    concurrent_writes: ClassVar[bool] = False

    def _cursor(self) -> Any:
        cursor = self.connection.cursor()
        cursor.row_factory = sqlite3.Row
        return cursor

    def _params(self, params: Params) -> Any:
        return _epoch(params) or ()


class BorrowedPostgres(BorrowedConnector):
    """The caller's psycopg connection; :func:`borrow` puts the store's schema first on
    its search path for the post, then sets it back."""

    dialect: ClassVar[str] = "postgresql"
    concurrent_writes: ClassVar[bool] = True

    def _cursor(self) -> Any:
        from psycopg.rows import dict_row

        return self.connection.cursor(row_factory=dict_row)


class Borrowed:
    """The queue's repositories over a borrowed connection."""

    def __init__(self, connector: BorrowedConnector) -> None:
        self.connector = connector
        self.jobs = JobRepository(connector)
        self.controls = ControlRepository(connector)


def driver_connection(connection: Any) -> Any:
    """The DB-API connection under an SQLAlchemy ``Session`` or ``Connection`` (the
    session's transaction begun if need be), else ``connection`` itself."""
    if hasattr(connection, "get_bind") and hasattr(connection, "connection"):  # a Session
        connection = connection.connection()
    pooled = getattr(connection, "connection", None)  # an SQLAlchemy Connection
    if pooled is not None and hasattr(pooled, "driver_connection"):
        if not connection.in_transaction():
            connection.begin()  # as SQLAlchemy's own first statement would (autobegin)
        return pooled.driver_connection
    return connection


@contextmanager
def borrow(connection: Any, dialect: str, schema: str | None) -> Iterator[Borrowed]:
    """The queue's repositories on the caller's connection, in its transaction."""
    raw = driver_connection(connection)
    if isinstance(raw, sqlite3.Connection):
        _check(dialect, "sqlite", raw)
        borrowed = Borrowed(BorrowedSQLite(raw))
        _check_store_is_here(borrowed, raw, {})
        yield borrowed
        return
    if type(raw).__module__.startswith("psycopg"):
        _check(dialect, "postgresql", raw)
        yield from _on_postgres(raw, schema)
        return
    raise StoreError(
        f"connection={type(connection).__name__}: expected an open sqlite3 or psycopg "
        "connection, or an SQLAlchemy Connection or Session over one"
    )


def _on_postgres(raw: Any, schema: str | None) -> Iterator[Borrowed]:
    borrowed = Borrowed(BorrowedPostgres(raw))
    q = borrowed.jobs.q
    if raw.autocommit:  # no transaction of the caller's: the post is one of its own
        with raw.transaction():
            yield from _with_search_path(borrowed, q, schema)
        return
    yield from _with_search_path(borrowed, q, schema)


def _with_search_path(borrowed: Borrowed, q: Any, schema: str | None) -> Iterator[Borrowed]:
    db = borrowed.connector
    _check_store_is_here(borrowed, db.connection, {"schema": schema or "jobsmith"})
    row = db.fetchone(q.search_path)
    old = str(row["path"]) if row else ""
    db.execute(q.set_search_path, {"path": f'"{schema or "jobsmith"}", public'})
    try:
        yield borrowed
    finally:
        if not getattr(db.connection, "broken", False):
            db.execute(q.set_search_path, {"path": old})


def _check_store_is_here(borrowed: Borrowed, raw: Any, params: dict[str, str]) -> None:
    """The connection's database holds the store: a connection to another one is a clear
    error (it was the driver's "no such table" or, on PostgreSQL, an aborted transaction)."""
    row = borrowed.connector.fetchone(borrowed.jobs.q.store_is_here, params)
    if row is None or not row["found"]:
        where = f" in schema {params['schema']!r}" if "schema" in params else ""
        raise StoreError(
            f"connection={type(raw).__module__}.{type(raw).__name__}: its database has no "
            f"jobsmith store{where}: post on a connection to the store's own database"
        )


def _check(dialect: str, found: str, raw: Any) -> None:
    if dialect != found:
        raise StoreError(
            f"connection={type(raw).__module__}.{type(raw).__name__} is a {found} connection, "
            f"but the store is {dialect}: post on a connection to the store's own database"
        )


__all__ = ["Borrowed", "borrow", "driver_connection"]
