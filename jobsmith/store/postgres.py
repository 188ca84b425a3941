"""PostgreSQL transport (psycopg 3): a connection per thread, autocommit outside transactions,
the store's schema first on the search path, reconnects after the server went away."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any, ClassVar

import psycopg
from psycopg import errors
from psycopg.rows import dict_row

from jobsmith.errors import StoreError, StoreUnavailable
from jobsmith.store.base import Params, Row, ThreadConnections, public_url, refused_for_good

IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")

# The schema lacks what a statement names: trying again cannot mend it (it was dropped,
# or never deployed). psycopg raises them as ProgrammingError (never transient); the
# connector says which table, column or function, in one line (see refused_for_good).
_SCHEMA_LACKS = (errors.UndefinedTable, errors.UndefinedColumn, errors.UndefinedFunction)


def check_identifier(name: str, what: str = "schema") -> str:
    """A schema name must be a plain identifier: it is quoted, but never built from odd text."""
    if not IDENTIFIER.match(name):
        raise StoreError(
            f"{what} name {name!r} is not valid: use letters, digits and _ (not first), at most 63"
        )
    return name


def public_dsn(conninfo: str) -> str:
    """The store as messages show it: its URL (or key=value DSN) without the password."""
    if "://" in conninfo:
        return public_url(conninfo)
    try:
        parts = psycopg.conninfo.conninfo_to_dict(conninfo)
    except psycopg.ProgrammingError:
        return "<invalid DSN>"
    parts.pop("password", None)
    return psycopg.conninfo.make_conninfo("", **{k: v for k, v in parts.items() if v is not None})


class PostgresConnector:
    """Connections to one PostgreSQL database, working in one schema."""

    dialect: ClassVar[str] = "postgresql"
    concurrent_writes: ClassVar[bool] = True

    def __init__(self, conninfo: str, schema: str) -> None:
        self.conninfo = conninfo
        self.schema = check_identifier(schema)
        self.description = f"{public_dsn(conninfo)} (schema {schema})"
        self._threads: ThreadConnections[psycopg.Connection[Any]] = ThreadConnections(
            self.connect, psycopg.Connection.close
        )

    def connect(self, **kwargs: Any) -> psycopg.Connection[Any]:
        """A new connection with the schema on its search path (also used for LISTEN)."""
        try:
            return psycopg.connect(
                self.conninfo,
                autocommit=True,
                row_factory=dict_row,
                options=f"-c search_path={self.schema},public",
                **kwargs,
            )
        except psycopg.Error as exc:
            said = "; ".join(line.strip() for line in str(exc).splitlines() if line.strip())
            raise StoreUnavailable(
                f"cannot connect to PostgreSQL at {self.description}: {said}"
            ) from exc

    @property
    def connection(self) -> psycopg.Connection[Any]:
        """This thread's connection, opened on first use and again after it broke."""
        conn = self._threads.current()
        if conn is None or conn.closed or conn.broken:
            if conn is not None and self._threads.depth():
                raise StoreUnavailable(
                    f"lost the connection to {self.description} inside a transaction"
                )
            conn = self._threads.open()
        return conn

    def open_here(self) -> None:
        self.connection  # noqa: B018 (opens it)

    def _cursor(self) -> psycopg.Cursor[Any]:
        """This thread's cursor on its connection, made once per connection: a new cursor
        for every statement (``Connection.execute``) costs ~12 µs more client CPU."""
        conn = self.connection
        cursor: psycopg.Cursor[Any] | None = getattr(self._threads.local, "cursor", None)
        if cursor is None or cursor.connection is not conn:
            cursor = self._threads.local.cursor = conn.cursor()
        return cursor

    def execute(self, sql: str, params: Params = None) -> None:
        try:
            self._cursor().execute(sql, params)
        except _SCHEMA_LACKS as exc:
            raise self._refused(exc) from exc

    def fetchone(self, sql: str, params: Params = None) -> Row | None:
        cursor = self._cursor()
        try:
            row: Row | None = cursor.execute(sql, params).fetchone()
        except _SCHEMA_LACKS as exc:
            raise self._refused(exc) from exc
        return row

    def fetchall(self, sql: str, params: Params = None) -> list[Row]:
        try:
            return self._cursor().execute(sql, params).fetchall()
        except _SCHEMA_LACKS as exc:
            raise self._refused(exc) from exc

    def executemany(self, sql: str, rows: Sequence[Mapping[str, Any]]) -> None:
        try:
            with self.connection.cursor() as cursor:
                cursor.executemany(sql, rows)
        except _SCHEMA_LACKS as exc:
            raise self._refused(exc) from exc

    def _refused(self, exc: psycopg.Error) -> StoreError:
        return refused_for_good(self.description, exc.diag.message_primary or str(exc))

    @contextmanager
    def transaction(self) -> Iterator[None]:
        conn = self.connection
        with self._threads.transaction_depth() as outermost:
            if not outermost:
                yield
                return
            with conn.transaction():
                yield

    def write_turn(self) -> AbstractContextManager[None]:
        """A transaction (row locks and SKIP LOCKED need no turn-taking here)."""
        return self.transaction()

    def write(self, sql: str, params: Params = None) -> list[Row]:
        return self.fetchall(sql, params)

    def run_script(self, sql: str) -> None:
        self.connection.execute(sql.encode())  # bytes: no placeholders are parsed

    def release(self) -> None:
        self._threads.release()

    def close(self) -> None:
        self._threads.close_all()
