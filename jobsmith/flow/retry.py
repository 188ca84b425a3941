"""Retry controllers: what a flow does when one of its tasks fails.

Give one to a flow (``LinearFlow("f", retry=Times(3))``). When a task inside fails, the
controller decides: ``RETRY`` reverts the flow's completed tasks and runs the flow again;
``REVERT`` reverts them and leaves the decision to the enclosing flow; ``REVERT_ALL``
reverts everything and fails the run. Without any controller a failure reverts the whole
run. Write your own by subclassing :class:`Retry` and overriding :meth:`~Retry.on_failure`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from jobsmith.engine import Decision

RETRY, REVERT, REVERT_ALL = Decision.RETRY, Decision.REVERT, Decision.REVERT_ALL


class Retry:
    """Base controller: never retries. ``provides`` stores what :meth:`execute` returns
    for each try (the try's number by default); ``delay`` is the minimum number of seconds
    between the starts of two tries."""

    def __init__(
        self, name: str | None = None, provides: str | None = None, delay: float = 0.0
    ) -> None:
        if isinstance(delay, bool) or not isinstance(delay, int | float) or delay < 0:
            raise ValueError(f"delay must be a number of seconds >= 0, not {delay!r}")
        self.name = name or type(self).__name__
        self.provides = provides
        self.delay = float(delay)

    def on_failure(self, failures: int, error: BaseException) -> Decision:
        """Decide after the ``failures``-th failure inside the flow (1 for the first)."""
        return REVERT

    def execute(self, attempt: int) -> Any:
        """The value stored under ``provides`` when try number ``attempt`` starts."""
        return attempt

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


class Times(Retry):
    """Run the flow at most ``attempts`` times in all (TaskFlow's ``Times``).

    When the tries are used up the flow is reverted and the enclosing flow decides, or
    with ``revert_all=True`` the whole run is reverted and fails.
    """

    def __init__(
        self,
        attempts: int = 1,
        name: str | None = None,
        provides: str | None = None,
        revert_all: bool = False,
        delay: float = 0.0,
    ) -> None:
        if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1:
            raise ValueError(f"attempts must be a whole number >= 1, not {attempts!r}")
        super().__init__(name, provides, delay)
        self.attempts = attempts
        self.revert_all = revert_all

    def on_failure(self, failures: int, error: BaseException) -> Decision:
        if failures < self.attempts:
            return RETRY
        return REVERT_ALL if self.revert_all else REVERT


class ForEach(Retry):
    """Try the flow once per value, storing the value under ``provides`` each try."""

    def __init__(
        self,
        values: Iterable[Any],
        name: str | None = None,
        provides: str | None = None,
        revert_all: bool = False,
        delay: float = 0.0,
    ) -> None:
        super().__init__(name, provides, delay)
        self.values = list(values)
        if not self.values:
            raise ValueError("ForEach needs at least one value")
        self.revert_all = revert_all

    def on_failure(self, failures: int, error: BaseException) -> Decision:
        if failures < len(self.values):
            return RETRY
        return REVERT_ALL if self.revert_all else REVERT

    def execute(self, attempt: int) -> Any:
        return self.values[attempt - 1]


class AlwaysRevert(Retry):
    """Never retry: revert this flow and let the enclosing flow decide."""


class AlwaysRevertAll(Retry):
    """Never retry: revert everything and fail the run."""

    def on_failure(self, failures: int, error: BaseException) -> Decision:
        return REVERT_ALL
