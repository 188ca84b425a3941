"""Wake-ups: how a worker hears that jobs arrived, the same interface on both stores.

- PostgreSQL: a connection of its own LISTENs on the schema's channel; the queue's
  triggers NOTIFY it when a job is posted or becomes waiting again, and a cancel request
  sends ``cancel <id>``.
- SQLite: ``PRAGMA data_version`` changes whenever another connection commits; it is
  polled every millisecond, only while someone waits.

:meth:`Wakeups.mark` is a number that changes when the queue may have changed: a worker
holding a batch compares it before starting the batch's next job.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, cast

from jobsmith.store.base import Connector
from jobsmith.store.sql import load

if TYPE_CHECKING:
    import psycopg

    from jobsmith.store.postgres import PostgresConnector
    from jobsmith.store.sqlite import SQLiteConnector

SQLITE_POLL = 0.001

Heard = Callable[[str], None]


class Wakeups(Protocol):
    """What a worker waits on."""

    same_connection: bool
    """True when a single slot may wait on its own connection (the claim after a
    wake-up then runs on the server process that has just woken: an idle worker's
    quickest path to a new job)."""

    def listen(self, stop: threading.Event, wanted: threading.Event, heard: Heard) -> None:
        """Hear wake-ups until ``stop`` is set, calling ``heard(payload)`` for each (the
        payload ``cancel <id>`` asks to cancel a running job). ``wanted`` is set while
        someone waits (a store may listen only then). Raises when the database goes away
        (the caller listens again)."""

    def mark(self) -> int:
        """A number that changes when jobs may have been posted or become waiting (as
        seen by the calling thread)."""

    def wait_here(self, timeout: float) -> bool:
        """Wait on the calling thread's own connection for a wake-up, at most ``timeout``
        seconds; True when one came."""

    def drop_here(self) -> bool:
        """Forget the wake-ups the calling thread's connection received meanwhile; True
        when there were any."""


def wakeups_for(connector: Connector) -> Wakeups:
    """The wake-ups of a store's database."""
    if connector.dialect == "postgresql":
        return PostgresWakeups(cast("PostgresConnector", connector))
    return SQLiteWakeups(cast("SQLiteConnector", connector))


LISTEN_CHECK = 0.1
"""How often (seconds) the listening thread looks whether it should stop: a stopping
worker waits for it (a burst worker on PostgreSQL exited up to 0.5 s after its last job)."""

_OWN_CHANGES = (1 << 40) - 1


class SQLiteWakeups:
    """Polls ``PRAGMA data_version`` (see the module docstring)."""

    same_connection = False

    def __init__(self, connector: SQLiteConnector) -> None:
        self.db = connector

    def listen(self, stop: threading.Event, wanted: threading.Event, heard: Heard) -> None:
        last: int | None = None
        while not stop.is_set():
            wanted.wait()
            version = self.mark()
            if version != last:
                last = version
                wanted.clear()
                heard("")
            stop.wait(SQLITE_POLL)

    def mark(self) -> int:
        # Another connection's commits change data_version; this thread's own writes (a
        # job posting from the slot that runs it) change its total_changes instead.
        return (self.db.data_version() << 40) | (self.db.own_changes() & _OWN_CHANGES)

    def wait_here(self, timeout: float) -> bool:
        start, deadline = self.mark(), time.monotonic() + timeout
        while time.monotonic() < deadline:
            time.sleep(SQLITE_POLL)
            if self.mark() != start:
                return True
        return False

    def drop_here(self) -> bool:
        return False


class PostgresWakeups:
    """LISTEN/NOTIFY (see the module docstring)."""

    same_connection = True

    def __init__(self, connector: PostgresConnector) -> None:
        self.db = connector
        self.q = load(connector.dialect)
        self._heard = 0
        self._local = threading.local()

    def _channel_sql(self) -> str:
        from jobsmith.store.migrate import quote

        row = self.db.fetchone(self.q.queue_channel)
        channel = str(row["channel"]) if row else ""
        return str(self.q.listen.format(channel=quote(channel)))

    def listen(self, stop: threading.Event, wanted: threading.Event, heard: Heard) -> None:
        conn = self.db.connect()
        try:
            conn.execute(self._channel_sql())
            self._heard += 1
            heard("")  # anything posted while nobody was listening
            while not stop.is_set():
                for note in conn.notifies(timeout=LISTEN_CHECK):
                    self._heard += 1
                    heard(note.payload)
        finally:
            conn.close()

    def mark(self) -> int:
        return self._heard

    def wait_here(self, timeout: float) -> bool:
        conn = self._listening()
        for _ in conn.notifies(timeout=timeout, stop_after=1):
            return True
        return False

    def drop_here(self) -> bool:
        conn: Any = getattr(self._local, "conn", None)
        if conn is None or conn is not self.db.connection:
            return False
        return any(True for _ in conn.notifies(timeout=0))

    def _listening(self) -> psycopg.Connection[Any]:
        conn = self.db.connection
        if getattr(self._local, "conn", None) is not conn:  # new, or reconnected
            conn.execute(self._channel_sql())
            self._local.conn = conn
        return conn
