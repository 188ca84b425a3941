"""Recording ended attempts in the background, while the slots run the next batch.

Ending a batch (the queue rows, the dependants, the run log) is one statement but still a
round trip and a commit; a slot hands the batch to the flusher and goes on claiming and
running. The flusher ends every batch waiting for it in one statement (slots running jobs
one at a time hand over one job each: one round trip per job would keep them waiting on
the flusher). At most ``depth`` batches wait, so a slot that outpaces the database waits
instead of holding many finished-but-unrecorded jobs (which would run again if the
worker died: the at-least-once rule).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from jobsmith.store import Store
from jobsmith.store.jobs import Ended, Outcome, transient_errors

log = logging.getLogger("jobsmith.worker")


class Flusher:
    """One thread that ends attempts (``store.jobs.finish``) in the order they came."""

    def __init__(
        self,
        store: Store,
        who: dict[str, Any],
        on_flushed: Callable[[Sequence[Outcome], Ended], None],
        depth: int = 2,
        on_start: Callable[[], None] | None = None,
    ) -> None:
        self.store = store
        self.on_start = on_start
        self.who = who
        self.on_flushed = on_flushed
        self.transient = transient_errors()
        self._batches: queue.Queue[list[Outcome] | None] = queue.Queue(maxsize=depth)
        self._thread = threading.Thread(target=self._run, name="jobsmith-flusher", daemon=True)
        self._idle = threading.Event()
        self._idle.set()

    def start(self) -> None:
        self._thread.start()

    def put(self, outcomes: list[Outcome]) -> None:
        """Queue a batch (blocks while ``depth`` batches already wait)."""
        if outcomes:
            self._idle.clear()
            self._batches.put(list(outcomes))

    def idle(self) -> bool:
        """True when every batch handed over is recorded."""
        return self._idle.is_set() and self._batches.empty()

    def close(self, timeout: float = 60.0) -> None:
        """Record what is left, then stop."""
        self._batches.put(None)
        self._thread.join(timeout)
        if self._thread.is_alive():
            log.error("Still recording finished jobs after %gs; they may run again", timeout)

    def _run(self) -> None:
        if self.on_start is not None:
            self.on_start()
        closing = False
        while not closing:
            batch = self._batches.get()
            if batch is None:
                return
            while True:  # what else waits goes in the same statement
                try:
                    more = self._batches.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    closing = True
                    break
                batch.extend(more)
            self._record(batch)
            if self._batches.empty():
                self._idle.set()

    def _record(self, batch: list[Outcome]) -> None:
        ended = record_until_done(self.store, batch, self.who, self.transient)
        self.on_flushed(batch, ended)


def record_until_done(
    store: Store,
    batch: Sequence[Outcome],
    who: dict[str, Any],
    transient: tuple[type[Exception], ...],
) -> Ended:
    """End a batch of attempts, waiting and trying again while the database is away (the
    batch is kept: a restart of the server loses nothing)."""
    delay = 0.1
    while True:
        try:
            return store.jobs.end(batch, who)
        except transient as exc:
            log.warning("Could not record %d finished job(s) yet: %s", len(batch), exc)
            time.sleep(delay)
            delay = min(delay * 2, 5.0)
