"""What the engine runs: nodes, the steps of one try, outcomes and reports.

A :class:`Node` is one vertex of the graph: a unique name, the names it depends on, how
often it may be tried and the minimum delay between tries. For each try the engine asks
the node for a fresh :class:`Step` (DoJobber builds a new Job object per try; a flow task
hands out the same task object every time) and runs its phases:

* ``check`` (optional): is the goal already met? Passing means nothing needs doing.
* ``run``: do the work; with a ``check``, the check runs again afterwards (the recheck)
  and decides; without one, ``run`` not raising is success.
* ``revert(result, failure)`` (optional): undo a completed step (flows).
* ``cleanup()`` (optional): after the whole run, in last-in-first-out order (goal graphs).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Outcome(StrEnum):
    """Where a node stands."""

    PENDING = "pending"
    """Not reached (the run stopped first)."""
    BLOCKED = "blocked"
    """Not tried, because a dependency did not succeed."""
    PASSED = "passed"
    """The check passed: the goal was already met."""
    FIXED = "fixed"
    """The run made the (re)check pass, or a node without a check ran without error."""
    FAILED = "failed"
    """Tried, and out of tries (or the run stopped)."""
    REVERTED = "reverted"
    """Completed and then undone because something else failed."""

    @property
    def succeeded(self) -> bool:
        return self is Outcome.PASSED or self is Outcome.FIXED


class Phase(StrEnum):
    """The phases of one try, and the two that come later."""

    CHECK = "check"
    RUN = "run"
    RECHECK = "recheck"
    REVERT = "revert"
    CLEANUP = "cleanup"


@dataclass(slots=True)
class Step:
    """The work of one try of a node: callables without arguments (bind them first)."""

    run: Callable[[], Any] | None = None
    check: Callable[[], Any] | None = None
    revert: Callable[[Any, BaseException | None], Any] | None = None
    """Called with the step's result (None if it failed) and the failure that caused the
    revert (its own, or the one elsewhere in the flow)."""
    cleanup: Callable[[], Any] | None = None


@dataclass(slots=True, eq=False)
class Node:
    """One vertex: a unique name, its dependencies (names), a retry policy, its steps."""

    name: str
    make_step: Callable[[], Step]
    deps: tuple[str, ...] = ()
    tries: int = 1
    retry_delay: float = 0.0
    kind: str = "node"
    """What the run log records as the task's kind (``Job``, ``Task`` …)."""
    payload: Any = None
    """Whatever the caller wants to find again from the node (a Job class, a Task)."""

    def __post_init__(self) -> None:
        if isinstance(self.tries, bool) or not isinstance(self.tries, int) or self.tries < 1:
            raise ValueError(f"{self.name}: tries must be a whole number >= 1, not {self.tries!r}")
        if isinstance(self.retry_delay, bool) or not (
            isinstance(self.retry_delay, int | float) and self.retry_delay >= 0
        ):
            raise ValueError(
                f"{self.name}: retry_delay must be a number of seconds >= 0, "
                f"not {self.retry_delay!r}"
            )


@dataclass(slots=True, eq=False)
class NodeReport:
    """What happened to one node in a run."""

    node: Node
    outcome: Outcome = Outcome.PENDING
    tries: int = 0
    result: Any = None
    """What the passing check returned (or ``run``'s result when there is no check)."""
    error: BaseException | None = None
    """The error that made the last try fail (or the revert fail)."""
    history: list[tuple[str, BaseException | None]] = field(default_factory=list)
    """Each phase that ran, in order, with its error (None when it passed)."""

    @property
    def name(self) -> str:
        return self.node.name


@dataclass(slots=True, eq=False)
class Report:
    """What happened in a run: one :class:`NodeReport` per node, in run order."""

    nodes: dict[str, NodeReport]
    rounds: int = 1
    no_act: bool = False
    error: BaseException | None = None
    """The failure that stopped the run: a reverting run's first failure, or an exception
    that escaped (an interrupt)."""
    revert_error: BaseException | None = None
    """The revert that failed, which stopped the reverting (the rest stay undone)."""

    @property
    def succeeded(self) -> bool:
        """Every node passed or was fixed."""
        return all(r.outcome.succeeded for r in self.nodes.values())

    def outcomes(self) -> dict[str, Outcome]:
        return {name: report.outcome for name, report in self.nodes.items()}


class Decision(StrEnum):
    """What a retry scope decides when one of its nodes fails (TaskFlow's spellings)."""

    RETRY = "retry"
    """Revert the scope's completed nodes and run the scope again."""
    REVERT = "revert"
    """Revert the scope's completed nodes and let the enclosing scope decide."""
    REVERT_ALL = "revert_all"
    """Revert everything that completed and fail the run."""


@dataclass(slots=True, eq=False)
class Scope:
    """Nodes that a reverting run retries together (a flow with a retry controller).

    ``decide(failures, error)`` gets how many times the scope has failed so far (this
    failure included) and the error; ``on_try(number)`` is told when a try of the scope
    starts (1 for the first). ``first_try`` is the number a run starts counting from: a
    resumed run continues the try that was in progress (the failures before it counted),
    so a controller's tries are not granted again after a restart.
    """

    name: str
    members: frozenset[str]
    decide: Callable[[int, BaseException], Decision]
    retry_delay: float = 0.0
    parent: Scope | None = None
    on_try: Callable[[int], None] | None = None
    first_try: int = 1
