"""A running job's cancel request, as the job's own code sees it.

A cancel of a running job is stored (``queue_job.cancel_requested``); the worker's
heartbeat sees it and sets the job's :class:`Cancellation`. Code that checks
``jobsmith.current_job().cancelled`` (or a parameter annotated ``Cancellation``) can stop
cleanly; code that does not is interrupted after the worker's ``cancel_grace``.
"""

from __future__ import annotations

import threading

_GUARD = threading.Lock()  # makes a cancellation's event at most once


class Cancellation:
    """Set once the job was asked to stop: ``if cancel: return`` or ``cancel.wait(5)``.

    Most jobs are never cancelled and never wait on it: the event a wait needs is made on
    the first wait, not for every job (a worker makes one of these per job it runs)."""

    __slots__ = ("_cancelled", "_event")

    def __init__(self) -> None:
        self._cancelled = False
        self._event: threading.Event | None = None

    def set(self) -> None:
        self._cancelled = True
        with _GUARD:
            event = self._event
        if event is not None:
            event.set()

    def is_set(self) -> bool:
        return self._cancelled

    def __bool__(self) -> bool:
        return self._cancelled

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until cancelled (at most ``timeout`` seconds); True when it was."""
        if self._cancelled:
            return True
        with _GUARD:
            if self._event is None:
                self._event = threading.Event()
                if self._cancelled:  # set() ran before the event existed
                    self._event.set()
            event = self._event
        return event.wait(timeout)

    def __repr__(self) -> str:
        return f"<Cancellation {'set' if self.is_set() else 'not set'}>"


def is_cancellation_hint(annotation: object) -> bool:
    """Whether a parameter's annotation asks for the job's :class:`Cancellation` (the class,
    or its name as a string under ``from __future__ import annotations``)."""
    if annotation is Cancellation:
        return True
    return isinstance(annotation, str) and annotation.rsplit(".", 1)[-1] == "Cancellation"


__all__ = ["Cancellation", "is_cancellation_hint"]
