"""A running job's cancel request, as the job's own code sees it.

A cancel of a running job is stored (``queue_job.cancel_requested``); the worker's
heartbeat sees it and sets the job's :class:`Cancellation`. Code that checks
``jobsmith.current_job().cancelled`` (or a parameter annotated ``Cancellation``) can stop
cleanly; code that does not is interrupted after the worker's ``cancel_grace``.
"""

from __future__ import annotations

import threading


class Cancellation:
    """Set once the job was asked to stop: ``if cancel: return`` or ``cancel.wait(5)``."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def set(self) -> None:
        self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()

    def __bool__(self) -> bool:
        return self._event.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until cancelled (at most ``timeout`` seconds); True when it was."""
        return self._event.wait(timeout)

    def __repr__(self) -> str:
        return f"<Cancellation {'set' if self.is_set() else 'not set'}>"


def is_cancellation_hint(annotation: object) -> bool:
    """Whether a parameter's annotation asks for the job's :class:`Cancellation` (the class,
    or its name as a string under ``from __future__ import annotations``)."""
    if annotation is Cancellation:
        return True
    return isinstance(annotation, str) and annotation.rsplit(".", 1)[-1] == "Cancellation"


__all__ = ["Cancellation", "is_cancellation_hint"]
