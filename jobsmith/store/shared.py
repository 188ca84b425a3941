"""Stores the edges open by URL, kept open for the process.

``go(backend=URL)`` (or ``go()`` with the settings' store) and a graph or flow run
without a run log given used to open a store for every run and close it after: about
3 ms of a small job on SQLite (tens on PostgreSQL) went to connecting, checking the
schema and closing. :data:`shared_stores` opens one :class:`Store` per ``(url, schema)``
for the process and lends it out instead::

    with shared_stores.borrow(url, schema) as store:
        ...

It opened them, so it closes them: at interpreter exit, or sooner for stores nobody
borrows when more than :attr:`SharedStores.max_idle` are idle (a test session that uses
many PostgreSQL schemas does not hold a connection to each). A store is never closed
while it is lent out. A SQLite file deleted since it was opened is opened afresh.
A forked child keeps the stores (their connectors open their own connections there).
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from jobsmith.config import DEFAULT_SCHEMA
from jobsmith.store import Store, open_store

__all__ = ["SharedStores", "shared_stores"]

log = logging.getLogger("jobsmith.store")

MAX_IDLE = 4
"""How many stores nobody borrows stay open (the least recently used beyond are closed)."""


@dataclass
class _Lent:
    store: Store
    users: int = 0


class SharedStores:
    """Open stores by ``(url, schema)``, lent out and closed by this object (see the
    module docstring)."""

    def __init__(self, max_idle: int = MAX_IDLE) -> None:
        self.max_idle = max_idle
        self._lock = threading.Lock()
        self._stores: OrderedDict[tuple[str, str], _Lent] = OrderedDict()
        self._pid = os.getpid()

    def acquire(self, url: str, schema: str | None = None) -> Store:
        """The open store for ``url`` and ``schema``, opened on first use; give it back
        with :meth:`release` (or use :meth:`borrow`)."""
        key = (url, schema or DEFAULT_SCHEMA)
        stale: list[Store] = []
        try:
            with self._lock:
                self._after_fork()
                lent = self._stores.get(key)
                if lent is not None and lent.users == 0 and _file_gone(lent.store):
                    stale.append(self._stores.pop(key).store)
                    lent = None
                if lent is None:
                    lent = _Lent(open_store(url, key[1]))
                    self._stores[key] = lent
                lent.users += 1
                self._stores.move_to_end(key)
                stale += self._over_limit()
            return lent.store
        finally:
            _close(stale)

    def release(self, store: Store) -> None:
        """Give back a store :meth:`acquire` lent."""
        with self._lock:
            for lent in self._stores.values():
                if lent.store is store:
                    lent.users = max(0, lent.users - 1)
                    break
            stale = self._over_limit()
        _close(stale)

    @contextmanager
    def borrow(self, url: str, schema: str | None = None) -> Iterator[Store]:
        """The open store for ``url`` and ``schema`` for the ``with`` block."""
        store = self.acquire(url, schema)
        try:
            yield store
        finally:
            self.release(store)

    def close_all(self) -> None:
        """Close every store opened here (at interpreter exit; also lent ones)."""
        with self._lock:
            stores, self._stores = [lent.store for lent in self._stores.values()], OrderedDict()
        _close(stores)

    def __len__(self) -> int:
        return len(self._stores)

    def _over_limit(self) -> list[Store]:
        """Remove the least recently used idle stores beyond ``max_idle``; returns them to
        be closed outside the lock."""
        idle = [key for key, lent in self._stores.items() if lent.users == 0]
        return [self._stores.pop(key).store for key in idle[: max(0, len(idle) - self.max_idle)]]

    def _after_fork(self) -> None:
        if self._pid != os.getpid():  # the parent's borrowers are not this process's
            self._pid = os.getpid()
            for lent in self._stores.values():
                lent.users = 0


def _file_gone(store: Store) -> bool:
    prefix = "sqlite:///"
    return store.url.startswith(prefix) and not Path(store.url[len(prefix) :]).exists()


def _close(stores: list[Store]) -> None:
    for store in stores:
        try:
            store.close()
        except Exception:  # closing must not hide why the process ends
            log.debug("closing a shared store failed", exc_info=True)


shared_stores = SharedStores()
"""The process's shared stores (closed at interpreter exit)."""
atexit.register(shared_stores.close_all)
