"""The contract between jobsmith and a database: how to talk to it, not what to say.

A :class:`Connector` runs SQL text from the ``queries/*.sql`` files (see :mod:`.sql`) with
named values. Each thread gets its own connection; a forked child opens fresh ones.
Rows come back as mappings (``row["column"]``). Times go in as aware ``datetime`` and
come back as whatever the database returns; :func:`as_datetime` normalizes them.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from typing import Any, ClassVar, Generic, Protocol, TypeVar
from urllib.parse import urlsplit, urlunsplit

from jobsmith.errors import SchemaError, StoreError

log = logging.getLogger(__name__)
C = TypeVar("C")

Params = Mapping[str, Any] | None
Row = Mapping[str, Any]


class Connector(Protocol):
    """Thin transport over one database; sqlite.py and postgres.py implement it."""

    dialect: ClassVar[str]
    """``"sqlite"`` or ``"postgresql"``: picks the SQL variant of each query."""

    concurrent_writes: ClassVar[bool]
    """Whether several transactions can write at once (PostgreSQL) or take turns on one
    lock (SQLite): a worker records ended jobs in the background only where they can."""

    description: str
    """Where the data lives, for messages (a file path or a DSN without its password)."""

    def execute(self, sql: str, params: Params = None) -> None:
        """Run one statement."""

    def fetchone(self, sql: str, params: Params = None) -> Row | None:
        """Run one statement and return its first row, if any."""

    def fetchall(self, sql: str, params: Params = None) -> list[Row]:
        """Run one statement and return every row."""

    def executemany(self, sql: str, rows: Sequence[Mapping[str, Any]]) -> None:
        """Run one statement once per set of values."""

    def transaction(self) -> AbstractContextManager[None]:
        """Group statements atomically; SQLite takes the write lock at the start.
        Nested use joins the outer transaction."""

    def write_turn(self) -> AbstractContextManager[None]:
        """A transaction that writes at once: on SQLite its write lock is taken by polling
        (fair between busy workers), on PostgreSQL it is :meth:`transaction`."""

    def write(self, sql: str, params: Params = None) -> list[Row]:
        """Run one writing statement now and return its rows: on SQLite in a write turn
        of its own (see :meth:`write_turn`), on PostgreSQL as it is (one round trip)."""

    def run_script(self, sql: str) -> None:
        """Run several statements (DDL) inside the current transaction."""

    def release(self) -> None:
        """Close the calling thread's connection (outside a transaction); its next statement
        opens a new one. For threads that wait long between statements."""

    def open_here(self) -> None:
        """Open the calling thread's connection now, not on its first statement (a worker
        opens them all before its slots start)."""

    def close(self) -> None:
        """Close every connection this connector opened in this process."""


def as_datetime(value: Any) -> datetime | None:
    """A stored time as an aware UTC datetime (SQLite keeps epoch seconds)."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromtimestamp(float(value), UTC)


def as_required_datetime(value: Any) -> datetime:
    """:func:`as_datetime` for a column that is never NULL."""
    found = as_datetime(value)
    if found is None:
        raise StoreError("a time the store always records is missing (NULL)")
    return found


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


# What a database says of a table, column or function the store's schema lacks (SQLite's
# words and PostgreSQL's), with the missing name as the pattern's group; columns first
# (PostgreSQL's column message names its relation too).
_MISSING = (
    ("column", re.compile(r"no such column: (\S+)")),
    ("column", re.compile(r"table \w+ has no column named (\w+)")),
    ("column", re.compile(r'column "([^"]+)"(?: of relation "[^"]+")? does not exist')),
    ("table", re.compile(r"no such table: (?:\w+\.)?(\w+)")),
    ("table", re.compile(r'relation "(?:[^"]*\.)?([^"]+)" does not exist')),
    ("function", re.compile(r"function (?:\w+\.)?(\w+)\(.*\) does not exist")),
)
_HINT = {
    "table": "was it deployed? (`jobsmith deploy`)",
    "column": "was it deployed by this version of jobsmith? (`jobsmith deploy`)",
    "function": "was it deployed by this version of jobsmith? (`jobsmith deploy`)",
}


def refused_for_good(where: str, said: str) -> StoreError:
    """The error for a statement the store refused in a way that trying again cannot mend
    (both connectors raise it; a worker stops on it): a table, column or function its
    schema lacks is a one-line :class:`SchemaError` naming it, anything else a
    :class:`StoreError` with the database's first line."""
    first = said.strip().splitlines()[0] if said.strip() else "an unknown error"
    for kind, pattern in _MISSING:
        found = pattern.search(first)
        if found:
            return SchemaError(
                f"the store at {where} has no {kind} {found.group(1)}: {_HINT[kind]}"
            )
    return StoreError(f"the store at {where} refused a statement: {first}")


class ThreadConnections(Generic[C]):
    """One connection per thread, opened on first use.

    A forked child never touches its parent's connections (it opens its own), and the
    connections of threads that have ended are closed when another one is opened, so
    short-lived threads do not pile up connections on the server.
    :meth:`depth` is the calling thread's transaction nesting depth (kept in ``local``).
    """

    def __init__(self, open_connection: Callable[[], C], close_connection: Callable[[C], None]):
        self._open = open_connection
        self._close = close_connection
        self._lock = threading.Lock()
        self._owned: dict[int, tuple[threading.Thread, C]] = {}
        self._pid = os.getpid()
        self.local = threading.local()

    def current(self) -> C | None:
        """This thread's connection, if it has one."""
        if self._pid != os.getpid():  # forked: the parent's connections are not ours
            self._pid, self._owned, self.local = os.getpid(), {}, threading.local()
        conn: C | None = getattr(self.local, "conn", None)
        return conn

    def open(self) -> C:
        """Open (or replace) this thread's connection."""
        old = self.current()
        conn = self._open()
        self.local.conn, self.local.depth = conn, 0
        with self._lock:
            ended = [i for i, (thread, _) in self._owned.items() if not thread.is_alive()]
            stale = [self._owned.pop(i)[1] for i in ended]
            self._owned[threading.get_ident()] = (threading.current_thread(), conn)
        for other in [*stale, *([old] if old is not None else [])]:
            self._quietly_close(other)
        return conn

    def depth(self) -> int:
        """The calling thread's transaction nesting depth (0 outside a transaction)."""
        depth: int = getattr(self.local, "depth", 0)
        return depth

    @contextmanager
    def transaction_depth(self) -> Iterator[bool]:
        """Count this thread's nested transactions; yields True for the outermost one."""
        depth = self.depth()
        self.local.depth = depth + 1
        try:
            yield depth == 0
        finally:
            self.local.depth = depth

    def release(self) -> None:
        """Close the calling thread's connection, unless a transaction is open on it."""
        conn = self.current()
        if conn is None or self.depth():
            return
        with self._lock:
            self._owned.pop(threading.get_ident(), None)
        self.local.conn = None
        self._quietly_close(conn)

    def __len__(self) -> int:
        """How many connections this process holds open."""
        return len(self._owned)

    def close_all(self) -> None:
        """Close every connection opened in this process."""
        with self._lock:
            owned, self._owned = self._owned, {}
        if self._pid == os.getpid():
            for _, conn in owned.values():
                self._quietly_close(conn)
        self.local = threading.local()

    def _quietly_close(self, conn: C) -> None:
        try:
            self._close(conn)
        except Exception:  # closing a connection that already broke must not hide the cause
            log.debug("closing a stale connection failed", exc_info=True)


def public_url(url: str) -> str:
    """A store URL as messages show it: without its password (``user:secret@`` or a
    ``password=`` query parameter)."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        user, _, host = netloc.rpartition("@")
        user = user.split(":", 1)[0]
        netloc = f"{user}@{host}" if user else host
    query = "&".join(
        item for item in parts.query.split("&") if item and not item.lower().startswith("password=")
    )
    return urlunsplit(parts._replace(netloc=netloc, query=query))
