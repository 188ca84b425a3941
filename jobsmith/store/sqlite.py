"""SQLite transport: one file in WAL mode, a connection per thread, immediate transactions."""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar, NoReturn, overload

from jobsmith.errors import StoreError, StoreUnavailable
from jobsmith.store.base import Params, Row, ThreadConnections, refused_for_good

BUSY_TIMEOUT_MS = 30_000

# SQLite's result codes (https://sqlite.org/rescode.html) after which the same statement
# may work when tried again: another connection holds the lock, or the disk or memory
# failed for now. Any other (SQLITE_ERROR: a missing table or column, a syntax error;
# SQLITE_CANTOPEN: the file or its folder is gone or unreadable; SQLITE_READONLY,
# SQLITE_CORRUPT …) stays until someone mends the store.
_BUSY = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})
_TRANSIENT = _BUSY | {
    sqlite3.SQLITE_IOERR,
    sqlite3.SQLITE_FULL,
    sqlite3.SQLITE_NOMEM,
    sqlite3.SQLITE_PROTOCOL,
    sqlite3.SQLITE_SCHEMA,
}
_TRANSIENT_EXTENDED = frozenset(
    {sqlite3.SQLITE_READONLY_RECOVERY, sqlite3.SQLITE_READONLY_CANTLOCK}
)


def _code(exc: sqlite3.Error) -> int:
    """The error's (extended) result code; an error the sqlite3 module raised itself has
    none: "locked" or "busy" in its words counts as SQLITE_BUSY, anything else as an error."""
    code: int | None = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code
    said = str(exc).lower()
    return sqlite3.SQLITE_BUSY if "locked" in said or "busy" in said else sqlite3.SQLITE_ERROR


def is_busy(exc: sqlite3.Error) -> bool:
    """Another connection holds the lock ("database is locked"): wait for a turn."""
    return _code(exc) & 0xFF in _BUSY


def is_transient(exc: sqlite3.Error) -> bool:
    """Whether trying the statement again may work (see ``_TRANSIENT``): a worker waits
    and retries these, and stops on any other."""
    code = _code(exc)
    return code & 0xFF in _TRANSIENT or code in _TRANSIENT_EXTENDED


@overload
def _epoch(params: Mapping[str, Any]) -> Mapping[str, Any]: ...
@overload
def _epoch(params: None) -> None: ...


def _epoch(params: Params) -> Params:
    """SQLite keeps times as epoch seconds and lists as JSON arrays (the queries read them
    with ``json_each``): convert them on the way in, so callers pass the same values to
    both databases."""
    if not params:
        return params
    for value in params.values():
        if isinstance(value, datetime | list | tuple):
            return {k: _value(v) for k, v in params.items()}
    return params


def _value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, list | tuple):
        return json.dumps(list(value))
    return value


class SQLiteConnector:
    """Connections to one SQLite file; durable against process crashes (WAL, synchronous=NORMAL)."""

    dialect: ClassVar[str] = "sqlite"
    concurrent_writes: ClassVar[bool] = False

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.description = str(self.path)
        self._threads: ThreadConnections[sqlite3.Connection] = ThreadConnections(
            self._open, sqlite3.Connection.close
        )
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"{self.path.parent}: cannot create the store's folder: {exc}"
            ) from exc

    @property
    def connection(self) -> sqlite3.Connection:
        """This thread's connection, opened on first use."""
        return self._threads.current() or self._threads.open()

    def open_here(self) -> None:
        self.connection  # noqa: B018 (opens it)

    def _open(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(
                self.path,
                isolation_level=None,
                check_same_thread=False,
                timeout=BUSY_TIMEOUT_MS / 1000,
            )
            conn.row_factory = sqlite3.Row
            _enable_wal(conn)
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        except sqlite3.Error as exc:
            kind = StoreUnavailable if is_transient(exc) else StoreError
            raise kind(f"{self.path}: cannot open the SQLite store: {exc}") from exc
        return conn

    def _refused(self, exc: sqlite3.OperationalError) -> NoReturn:
        """Raise a statement's error: as it is when trying again may work (a worker waits
        and retries it), else as the clear error that stops a worker (see
        :func:`is_transient` and :func:`~jobsmith.store.base.refused_for_good`)."""
        if is_transient(exc):
            raise exc
        raise refused_for_good(self.description, str(exc)) from exc

    def execute(self, sql: str, params: Params = None) -> None:
        self.fetchall(sql, params)

    def fetchone(self, sql: str, params: Params = None) -> Row | None:
        if len(_statements(sql)) > 1:
            rows = self.fetchall(sql, params)
            return rows[0] if rows else None
        try:
            row: Row | None = self.connection.execute(sql, _epoch(params) or ()).fetchone()
        except sqlite3.OperationalError as exc:
            self._refused(exc)
        return row

    def fetchall(self, sql: str, params: Params = None) -> list[Row]:
        """Rows of one statement; a query of several statements (SQLite has no stored
        functions) runs them in order, in one transaction, and returns all their rows."""
        statements = _statements(sql)
        try:
            if len(statements) == 1:
                return self.connection.execute(sql, _epoch(params) or ()).fetchall()
            values = _epoch(params) or {}
            rows: list[Row] = []
            with self.transaction():
                for statement in statements:
                    rows.extend(self.connection.execute(statement, values).fetchall())
            return rows
        except sqlite3.OperationalError as exc:
            self._refused(exc)

    def executemany(self, sql: str, rows: Sequence[Mapping[str, Any]]) -> None:
        try:
            self.connection.executemany(sql, [_epoch(r) for r in rows])
        except sqlite3.OperationalError as exc:
            self._refused(exc)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """A write transaction (``BEGIN IMMEDIATE``) whose lock is taken by polling every
        100 µs (see :meth:`_begin`); nested use joins the outer transaction."""
        conn = self.connection
        with self._threads.transaction_depth() as outermost:
            if not outermost:
                yield
                return
            try:
                self._begin(conn)
            except sqlite3.OperationalError as exc:
                self._refused(exc)
            try:
                yield
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            try:
                conn.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                self._refused(exc)

    @staticmethod
    def _begin(conn: sqlite3.Connection) -> None:
        """``BEGIN IMMEDIATE``, trying every 100 µs while another connection writes.

        SQLite's own busy handler sleeps 1, 2, 5, 10 … 25 ms between tries, so a writer
        that commits and begins again at once (a worker's slots) keeps the lock from one
        that waits that way (a post: a high-priority job posted while workers drain a
        backlog waited up to 30 ms for its turn); polling lets every writer take its turn."""
        wait_ms = int(conn.execute("PRAGMA busy_timeout").fetchone()[0])
        conn.execute("PRAGMA busy_timeout = 0")
        try:
            deadline = time.monotonic() + wait_ms / 1000
            while True:
                try:
                    conn.execute("BEGIN IMMEDIATE")
                    return
                except sqlite3.OperationalError as exc:
                    if not is_busy(exc) or time.monotonic() > deadline:
                        raise
                    time.sleep(0.0001)
        finally:
            conn.execute(f"PRAGMA busy_timeout = {wait_ms:d}")

    def write_turn(self) -> AbstractContextManager[None]:
        """A write transaction (every transaction polls for its turn; see :meth:`_begin`)."""
        return self.transaction()

    def write(self, sql: str, params: Params = None) -> list[Row]:
        with self.write_turn():
            return self.fetchall(sql, params)

    def own_changes(self) -> int:
        """Rows this thread's connection has written so far (data_version does not see a
        connection's own commits)."""
        return int(self.connection.total_changes)

    def data_version(self) -> int:
        """A number that changes when another connection commits (this thread's view)."""
        try:
            return int(self.connection.execute("PRAGMA data_version").fetchone()[0])
        except sqlite3.OperationalError as exc:
            self._refused(exc)

    def run_script(self, sql: str) -> None:
        try:
            for statement in iter_statements(sql):
                self.connection.execute(statement)
        except sqlite3.OperationalError as exc:
            self._refused(exc)

    def release(self) -> None:
        self._threads.release()

    def close(self) -> None:
        self._threads.close_all()


def _enable_wal(conn: sqlite3.Connection) -> None:
    """Put the file in WAL mode (it stays so). Switching needs the file to itself and
    SQLite answers "locked" at once, without waiting, while another connection opens the
    same new file, so retry for as long as the busy timeout allows."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    delay = 0.001
    while True:
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if not is_busy(exc) or time.monotonic() > deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.05)


@lru_cache(maxsize=512)
def _statements(sql: str) -> tuple[str, ...]:
    """The statements of a query's text (most have one)."""
    if ";" not in sql:
        return (sql,)
    return tuple(iter_statements(sql + ";")) or (sql,)


def iter_statements(script: str) -> Iterator[str]:
    """Split an SQLite script into complete statements (trigger bodies included)."""
    buffer = ""
    for line in script.splitlines(keepends=True):
        if not buffer and (not line.strip() or line.lstrip().startswith("--")):
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            yield buffer.strip()
            buffer = ""
    if buffer.strip():
        raise StoreError(f"incomplete SQL statement at the end of a script: {buffer[:80]!r}")
