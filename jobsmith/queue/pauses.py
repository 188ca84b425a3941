"""Paused queues and tasks, as a worker sees them.

``jobsmith pause queue Q`` / ``jobsmith pause task T.t`` store a row; every worker reads
the paused set at most every :data:`REFRESH` seconds and leaves their jobs out of its
claims (running jobs finish, waiting ones stay). ``resume`` deletes the row. The claim
itself is unchanged: a worker narrows the queues and tasks it asks for.

So a pause takes effect within :data:`REFRESH` seconds, not at once: a worker that read
the paused set just before the pause may still start jobs of that queue or task until it
reads it again (one small query a second per worker, instead of one per claim). Wait that
long after ``pause`` before relying on it, e.g. before a deploy.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

from jobsmith.store import Store

REFRESH = 1.0


@dataclass(frozen=True)
class Served:
    """What a worker may claim now: ``queues`` (None: every queue) and ``tasks``."""

    queues: list[str] | None
    tasks: list[str]

    @property
    def empty(self) -> bool:
        return not self.tasks or (self.queues is not None and not self.queues)


class PauseFilter:
    """The queues and tasks a worker serves, minus the paused ones (read every
    :data:`REFRESH` seconds). The worker's slots share one: while one slot reads the paused
    set, the others wait for that read rather than claim with what was known before it."""

    def __init__(self, store: Store, queues: Sequence[str] | None, tasks: Sequence[str]) -> None:
        self.store = store
        self.queues = list(queues) if queues else None
        self.tasks = list(tasks)
        self._checked = -REFRESH
        self._served = Served(self.queues, self.tasks)
        self._lock = threading.Lock()

    def served(self) -> Served:
        with self._lock:
            now = time.monotonic()
            if now - self._checked >= REFRESH:
                self._served = self._read()
                self._checked = now
            return self._served

    def _read(self) -> Served:
        paused = self.store.controls.paused()
        if not paused:
            return Served(self.queues, self.tasks)
        queues = {p.name for p in paused if p.kind == "queue"}
        tasks = {p.name for p in paused if p.kind == "task"}
        served_tasks = [t for t in self.tasks if t not in tasks]
        if not queues:
            return Served(self.queues, served_tasks)
        known = self.queues if self.queues is not None else self.store.controls.queue_names()
        return Served([q for q in known if q not in queues], served_tasks)


__all__ = ["REFRESH", "PauseFilter", "Served"]
