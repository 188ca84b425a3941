"""Side work off the hot paths: e-mails handed over now and sent on a thread of their own.

A scheduler's tick, its run threads and a worker's slots hand alarms to an
:class:`Outbox` and go on at once; the outbox sends them one after another. A mail server
that accepts connections and never answers holds up only the outbox: each message waits
at most its SMTP timeout (``[EMAIL] timeout``, ``smtp: timeout``; 30 s by default) and is
then logged as undeliverable. The thread runs only while there is mail to send and is not
a daemon, so a process that ends still delivers (or gives up on) what it handed over.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable

__all__ = ["Outbox"]

log = logging.getLogger(__name__)


class Outbox:
    """Sends what it is given on a thread of its own, in the order given."""

    def __init__(self, name: str = "jobsmith-outbox") -> None:
        self.name = name
        self._queue: deque[tuple[str, Callable[[], object]]] = deque()
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._thread: threading.Thread | None = None
        self._sending = 0

    def submit(self, what: str, send: Callable[[], object]) -> None:
        """Send later: ``send()`` runs on the outbox's thread; if it raises, ``what`` (e.g.
        "Alarm for job 1 to ops@example.com") is logged as undeliverable with the reason."""
        with self._lock:
            self._queue.append((what, send))
            if self._thread is None:
                self._thread = threading.Thread(target=self._drain, name=self.name)
                self._thread.start()

    @property
    def pending(self) -> int:
        """Messages handed over and not yet sent or given up on (the one being sent included)."""
        with self._lock:
            return len(self._queue) + self._sending

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until everything handed over was sent or given up on; False on timeout."""
        with self._lock:
            return self._idle.wait_for(lambda: self._thread is None, timeout)

    def _drain(self) -> None:
        while True:
            with self._lock:
                if not self._queue:
                    self._thread = None
                    self._idle.notify_all()
                    return
                what, send = self._queue.popleft()
                self._sending = 1
            try:
                send()
            except Exception as exc:  # the reason goes to the log; the next message is sent
                log.error("%s undeliverable: %s", what, exc)
            finally:
                with self._lock:
                    self._sending = 0
