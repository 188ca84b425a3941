"""Waking idle workers the moment work arrives, through the store's wake-ups
(:mod:`jobsmith.store.wakeup`: LISTEN/NOTIFY on PostgreSQL, ``data_version`` on SQLite).
One thread listens; it listens again after the database went away. A waiting slot also
wakes after its timeout (retries that fell due).

A notification wakes one waiting slot, not all of them: the slot claims, and only if it
got jobs does it pass the wake-up on to the next waiting slot (more may be waiting), so a
backlog still reaches every slot, one claim after another, while a notification that
brings one job (or frees one limited key's slot) costs one claim instead of one per slot.
With no slot waiting, every slot's event is set: a slot that is between its claim and
its wait must not sleep through work posted in that gap."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from jobsmith.store import Store

log = logging.getLogger(__name__)


class Waker:
    """Wakes waiting slots; ``on_cancel(job_id)`` hears cancel requests."""

    def __init__(self, store: Store, on_cancel: Callable[[int], None] | None = None) -> None:
        self.store = store
        self.wakeups = store.wakeups
        self.on_cancel = on_cancel
        self._events: list[threading.Event] = []
        self._waiting: list[threading.Event] = []  # slots in wait(), longest first
        self._lock = threading.Lock()
        self._wanted = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def event(self) -> threading.Event:
        """An event that is set whenever work may have arrived (one per slot)."""
        event = threading.Event()
        self._events.append(event)
        return event

    def wait(self, event: threading.Event, timeout: float) -> bool:
        """Wait on a slot's event (then clear it) or ``timeout``; True when woken."""
        self._wanted.set()
        with self._lock:
            self._waiting.append(event)
        try:
            woken = event.wait(timeout)
        finally:
            with self._lock:
                self._waiting.remove(event)
        event.clear()
        return woken

    def mark(self) -> int:
        """A number that changes when jobs were posted or became waiting again (see
        :meth:`jobsmith.store.wakeup.Wakeups.mark`)."""
        return self.wakeups.mark()

    def changed(self, mark: int) -> bool:
        """Whether the queue may have changed since ``mark``."""
        return self.wakeups.mark() != mark

    def wake_all(self) -> None:
        for event in self._events:
            event.set()

    def waiting(self) -> int:
        """How many slots wait for work now."""
        with self._lock:
            return len(self._waiting)

    def wake_one(self) -> None:
        """Work may have arrived: wake the slot that has waited longest (it passes the
        wake-up on if it finds work), or, with no slot waiting, every slot."""
        with self._lock:
            if self._waiting:  # one is woken, or each waiting slot is already
                self._wake_a_waiting_slot()
                return
        self.wake_all()

    def pass_on(self) -> None:
        """A slot found work after a wake-up: wake one more waiting slot, if any, to look
        for more."""
        with self._lock:
            self._wake_a_waiting_slot()

    def _wake_a_waiting_slot(self) -> None:
        """Set the event of the slot waiting longest that is not woken yet (under the lock)."""
        for event in self._waiting:
            if not event.is_set():
                event.set()
                return

    def start(self) -> None:
        self._thread = threading.Thread(target=self._listen, name="jobsmith-waker", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wanted.set()
        if self._thread is not None:
            self._thread.join(5)

    def _heard(self, payload: str) -> None:
        if payload.startswith("cancel ") and self.on_cancel is not None:
            self.on_cancel(int(payload.split()[1]))
        self.wake_one()

    def _listen(self) -> None:
        delay = 0.1
        while not self._stop.is_set():
            try:
                self.wakeups.listen(self._stop, self._wanted, self._heard)
                delay = 0.1
            except Exception as exc:  # the database went away: listen again, wake everyone
                if self._stop.is_set():
                    return
                log.warning("Wake-ups lost (%s); listening again in %.1fs", exc, delay)
                self.wake_all()
                self._stop.wait(delay)
                delay = min(delay * 2, 5.0)
