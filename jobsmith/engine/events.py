"""Events: what the engine tells the run log, the console and anyone else who listens.

Subclass :class:`Listener` and override the methods you care about; the engine calls
only the methods a listener overrides, so a listener that records nothing per phase
costs nothing per phase. A listener that raises stops the run (listeners are part of
the run, like the run log is).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jobsmith.engine.dag import Plan
    from jobsmith.engine.model import Node, NodeReport, Report


class Listener:
    """Receives the engine's events; every method does nothing unless overridden."""

    def run_started(self, plan: Plan) -> None:
        """The run starts (once per run)."""

    def try_started(self, report: NodeReport) -> None:
        """A try of a node starts (``report.tries`` is the number of tries before it)."""

    def phase_done(self, node: Node, phase: str, error: BaseException | None) -> None:
        """One phase (check, run, recheck, revert, cleanup) ended; ``error`` is None if it
        passed."""

    def try_done(self, report: NodeReport) -> None:
        """One try of a node ended; ``report.outcome`` says how (passed, fixed, failed)."""

    def node_reverted(self, report: NodeReport, error: BaseException | None) -> None:
        """A node's revert ended; ``error`` is None when the revert succeeded."""

    def run_finished(self, report: Report) -> None:
        """The run ended (also when it failed)."""


EVENTS = ("run_started", "try_started", "phase_done", "try_done", "node_reverted", "run_finished")


class Dispatch:
    """The listeners' overridden methods, by event, ready to call (None: nobody listens)."""

    __slots__ = EVENTS

    run_started: Callable[[Plan], None] | None
    try_started: Callable[[NodeReport], None] | None
    phase_done: Callable[[Node, str, BaseException | None], None] | None
    try_done: Callable[[NodeReport], None] | None
    node_reverted: Callable[[NodeReport, BaseException | None], None] | None
    run_finished: Callable[[Report], None] | None

    def __init__(self, listeners: Iterable[Listener]) -> None:
        chosen = list(listeners)
        for event in EVENTS:
            base = getattr(Listener, event)
            handlers = [
                getattr(listener, event)
                for listener in chosen
                if getattr(type(listener), event, base) is not base
            ]
            setattr(self, event, _fan_out(handlers))


def _fan_out(handlers: list[Callable[..., Any]]) -> Callable[..., Any] | None:
    """None when nobody listens (the engine skips the call), else one callable for all."""
    if not handlers:
        return None
    if len(handlers) == 1:
        return handlers[0]

    def call_all(*args: Any) -> None:
        for handler in handlers:
            handler(*args)

    return call_all
