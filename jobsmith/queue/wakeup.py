"""Waking idle workers the moment work arrives.

PostgreSQL: a connection of its own LISTENs on the schema's channel; the queue's triggers
NOTIFY it when a job is posted or becomes waiting again (a cancel request sends one
too). It reconnects after the server went away. SQLite: ``PRAGMA data_version`` changes
whenever another connection commits; it is polled every millisecond, only while a slot
is waiting. Either way a waiting slot also wakes after its timeout (retries that fell due).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from jobsmith.store import Store

log = logging.getLogger(__name__)

SQLITE_POLL = 0.001


class Waker:
    """Wakes waiting slots; ``on_cancel(job_id)`` hears cancel requests (PostgreSQL)."""

    def __init__(self, store: Store, on_cancel: Callable[[int], None] | None = None) -> None:
        self.store = store
        self.on_cancel = on_cancel
        self._events: list[threading.Event] = []
        self._wanted = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._notices = 0

    def event(self) -> threading.Event:
        """An event that is set whenever work may have arrived (one per slot)."""
        event = threading.Event()
        self._events.append(event)
        return event

    def wait(self, event: threading.Event, timeout: float) -> bool:
        """Wait on a slot's event (then clear it) or ``timeout``; True when woken."""
        self._wanted.set()
        woken = event.wait(timeout)
        event.clear()
        return woken

    def mark(self) -> int:
        """A number that changes when jobs were posted or became waiting again (SQLite:
        when another connection committed, seen from the calling thread's connection)."""
        if self.store.dialect == "sqlite":
            return self.store.jobs.data_version()
        return self._notices

    def changed(self, mark: int) -> bool:
        """Whether the queue may have changed since ``mark``."""
        return self.mark() != mark

    def wake_all(self) -> None:
        for event in self._events:
            event.set()

    def start(self) -> None:
        target = self._listen if self.store.dialect == "postgresql" else self._poll_sqlite
        self._thread = threading.Thread(target=target, name="jobsmith-waker", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wanted.set()
        if self._thread is not None:
            self._thread.join(5)

    def _poll_sqlite(self) -> None:
        last: int | None = None
        while not self._stop.is_set():
            self._wanted.wait()
            try:
                version: int | None = self.store.jobs.data_version()
            except Exception as exc:  # busy or closed: the slots' timeouts still wake them
                log.debug("data_version poll failed: %s", exc)
                version = last
            if version != last:
                last = version
                self._wanted.clear()
                self.wake_all()
            self._stop.wait(SQLITE_POLL)

    def _listen(self) -> None:
        delay = 0.1
        while not self._stop.is_set():
            try:
                self._listen_once()
                delay = 0.1
            except Exception as exc:  # the server went away: reconnect, wake everyone
                if self._stop.is_set():
                    return
                log.warning("LISTEN connection lost (%s); reconnecting in %.1fs", exc, delay)
                self.wake_all()
                self._stop.wait(delay)
                delay = min(delay * 2, 5.0)

    def _listen_once(self) -> None:
        conn = self.store.jobs.listener()
        try:
            self._notices += 1
            self.wake_all()  # anything posted while we were not listening
            while not self._stop.is_set():
                for note in conn.notifies(timeout=0.5):
                    self._notices += 1
                    if note.payload.startswith("cancel ") and self.on_cancel is not None:
                        self.on_cancel(int(note.payload.split()[1]))
                    self.wake_all()
        finally:
            conn.close()
