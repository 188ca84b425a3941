"""The engine: runs a :class:`~jobsmith.engine.dag.Plan` one node at a time, in order
(or with ``workers=N``, ready nodes at the same time: :mod:`.parallel`).

Two ways to treat a failure share everything else (tries, phases, delays, events):

* :meth:`Engine.converge` (goal graphs, DoJobber): a failed node blocks what depends on
  it while every other branch goes on. Failed nodes with tries left are retried in the
  next sweep over the graph, so retries interleave round-robin across the graph and a
  node's minimum delay between tries is mostly spent doing other work. It stops when
  everything succeeded or nothing can be retried. Cleanups run later, last in first out.
* :meth:`Engine.run_or_revert` (flows, TaskFlow): the first failure stops the run; the
  completed nodes are reverted newest first. A retry scope around the failed node may
  instead revert only its own nodes and run them again.

Loops only, no recursion: the size of a graph is limited by memory, not by the stack.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from jobsmith.engine import parallel
from jobsmith.engine.dag import Plan
from jobsmith.engine.events import Dispatch, Listener
from jobsmith.engine.gcpause import GcPause
from jobsmith.engine.model import Decision, Node, NodeReport, Outcome, Phase, Report, Scope, Step

log = logging.getLogger(__name__)

CHECK, RUN, RECHECK = Phase.CHECK.value, Phase.RUN.value, Phase.RECHECK.value
REVERT, CLEANUP = Phase.REVERT.value, Phase.CLEANUP.value


class NotRunInDryRun(Exception):
    """A node without a check cannot be shown to be done without running it."""


class Engine:
    """Runs plans and tells its listeners what happens.

    ``no_act`` (dry run) runs checks only: nothing is run, nothing retried. ``sleep`` and
    ``clock`` are there for tests that must not wait.
    """

    def __init__(
        self,
        listeners: Iterable[Listener] = (),
        *,
        no_act: bool = False,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        workers: int = 1,
    ) -> None:
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise ValueError(f"workers must be a whole number >= 1, not {workers!r}")
        self.no_act = no_act
        self.workers = workers
        self.events = Dispatch(listeners)
        self._sleep = sleep
        self._clock = clock
        self._cleanups: list[tuple[Node, Callable[[], object]]] = []
        self._gc = GcPause()

    # -- one try ---------------------------------------------------------------------------
    def _try(self, node: Node, report: NodeReport) -> Step:
        """Check, run if needed, recheck; the outcome lands in ``report``.

        A node whose step cannot even be made (a Job whose ``__init__`` raises) fails its
        check, as in DoJobber.
        """
        if self.events.try_started is not None:
            self.events.try_started(report)
        report.tries += 1
        self._gc.tick()
        try:
            step = node.make_step()
        except Exception as exc:
            self._phase(node, report, CHECK, exc)
            self._end_try(report, Outcome.FAILED, None, exc)
            return _NOTHING
        if step.cleanup is not None:
            self._cleanups.append((node, step.cleanup))
        check = step.check
        if check is not None:
            try:
                result = check()
            except Exception as exc:
                self._phase(node, report, CHECK, exc)
                if self.no_act:
                    self._end_try(report, Outcome.FAILED, None, exc)
                    return step
            else:
                self._phase(node, report, CHECK, None)
                self._end_try(report, Outcome.PASSED, result, None)
                return step
        elif self.no_act:
            not_run = NotRunInDryRun(f"{node.name} was not run (dry run) and has no check")
            self._end_try(report, Outcome.FAILED, None, not_run)
            return step
        self._run_and_recheck(node, report, step)
        return step

    def _run_and_recheck(self, node: Node, report: NodeReport, step: Step) -> None:
        result, error = None, None
        if step.run is not None:
            try:
                result = step.run()
            except Exception as exc:
                error = exc
            self._phase(node, report, RUN, error)
        if step.check is None:
            outcome = Outcome.FIXED if error is None else Outcome.FAILED
            self._end_try(report, outcome, result, error)
            return
        try:
            result = step.check()
        except Exception as exc:
            self._phase(node, report, RECHECK, exc)
            self._end_try(report, Outcome.FAILED, None, exc)
            return
        self._phase(node, report, RECHECK, None)
        self._end_try(report, Outcome.FIXED, result, None)

    def _phase(
        self, node: Node, report: NodeReport, phase: str, error: BaseException | None
    ) -> None:
        report.history.append((phase, error))
        if self.events.phase_done is not None:
            self.events.phase_done(node, phase, error)

    def _end_try(
        self, report: NodeReport, outcome: Outcome, result: object, error: BaseException | None
    ) -> None:
        report.outcome, report.result, report.error = outcome, result, error
        if self.events.try_done is not None:
            self.events.try_done(report)

    # -- goal graphs -------------------------------------------------------------------------
    def converge(self, plan: Plan) -> Report:
        """Run every node whose dependencies succeeded; retry failures in later sweeps."""
        reports = [NodeReport(node) for node in plan.nodes]
        report = Report({r.node.name: r for r in reports}, rounds=0, no_act=self.no_act)
        self._started(plan)
        try:
            with self._gc, self._threads():
                if self.workers > 1:
                    parallel.converge(self, plan, reports, report)
                else:
                    self._sweeps(plan, reports, report)
        except BaseException as exc:
            report.error = exc
            raise
        finally:
            self._finished(report)
        return report

    def _sweeps(self, plan: Plan, reports: list[NodeReport], report: Report) -> None:
        ok = [False] * len(plan.nodes)
        tries_left = [node.tries for node in plan.nodes]
        next_try = [0.0] * len(plan.nodes)
        pending = list(range(len(plan.nodes)))
        deps, nodes, clock = plan.deps, plan.nodes, self._clock
        while pending:
            report.rounds += 1
            for i in pending:
                if not tries_left[i]:
                    continue
                if not _all_ok(ok, deps[i]):
                    if not reports[i].tries:
                        reports[i].outcome = Outcome.BLOCKED
                    continue
                node = nodes[i]
                if node.retry_delay:
                    wait = next_try[i] - clock()
                    if wait > 0:
                        self._sleep(wait)
                    next_try[i] = clock() + node.retry_delay
                tries_left[i] -= 1
                self._try(node, reports[i])
                ok[i] = reports[i].error is None
            pending = [i for i in pending if not ok[i]]
            if self.no_act or not any(
                tries_left[i] and reports[i].outcome is Outcome.FAILED for i in pending
            ):
                return

    def cleanup(self) -> None:
        """Run the cleanups of every try so far, last in first out, each once.

        The first cleanup that raises stops the rest (they stay queued) and is raised.
        """
        while self._cleanups:
            node, cleanup = self._cleanups.pop()
            try:
                cleanup()
            except Exception as exc:
                if self.events.phase_done is not None:
                    self.events.phase_done(node, CLEANUP, exc)
                raise
            if self.events.phase_done is not None:
                self.events.phase_done(node, CLEANUP, None)

    # -- flows -----------------------------------------------------------------------------------
    def run_or_revert(self, plan: Plan) -> Report:
        """Run every node in order; on a failure, revert (or retry a scope) and stop."""
        reports = [NodeReport(node) for node in plan.nodes]
        report = Report({r.node.name: r for r in reports}, no_act=self.no_act)
        self._started(plan)
        try:
            with self._gc, self._threads():
                state = _Reverting(self, plan, reports, report)
                if self.workers > 1:
                    parallel.run_or_revert(state, self.workers)
                else:
                    state.run()
        except _RevertFailed:
            pass  # reverting stops at the first revert that fails; the report says which
        except BaseException as exc:
            report.error = report.error or exc
            raise
        finally:
            self._finished(report)
        return report

    @contextmanager
    def _threads(self) -> Iterator[None]:
        """With workers, listeners are called under a lock for the length of a run."""
        if self.workers == 1:
            yield
            return
        events, self.events = self.events, parallel.locked(self.events)
        try:
            yield
        finally:
            self.events = events

    def _started(self, plan: Plan) -> None:
        if self.events.run_started is not None:
            self.events.run_started(plan)

    def _finished(self, report: Report) -> None:
        if self.events.run_finished is not None:
            self.events.run_finished(report)


_NOTHING = Step()


def _all_ok(ok: list[bool], deps: tuple[int, ...]) -> bool:
    # A plain loop: all() over a generator costs a frame per node, which shows at 100k nodes.
    for dep in deps:  # noqa: SIM110
        if not ok[dep]:
            return False
    return True


class _Reverting:
    """The state of one reverting run: what completed (in order) and how scopes stand."""

    def __init__(self, engine: Engine, plan: Plan, reports: list[NodeReport], report: Report):
        self.engine, self.plan, self.reports, self.report = engine, plan, reports, report
        self.steps: list[Step | None] = [None] * len(plan.nodes)
        self.done: list[int] = []
        # A scope's try n starts after n - 1 failures (each failure ends a try): a resumed
        # run continues from the try that was in progress.
        self.failures: dict[Scope, int] = {
            s: s.first_try - 1 for s in plan.scopes if s.first_try > 1
        }
        self.tries: dict[Scope, int] = {s: s.first_try - 1 for s in plan.scopes}
        self.started: dict[Scope, float] = {}
        self.members = {
            scope: {plan.position[m] for m in scope.members if m in plan.position}
            for scope in plan.scopes
        }

    def run(self) -> None:
        for scope in self.plan.scopes:
            self._start_scope(scope)
        completed = [False] * len(self.plan.nodes)
        i = 0
        while i < len(self.plan.nodes):
            if completed[i]:
                i += 1
                continue
            if self._try(i):
                completed[i] = True
                self.done.append(i)
                i += 1
                continue
            error = self.reports[i].error
            assert error is not None
            self.report.error = error  # before reverting: a revert that fails stops there
            self._revert_node(i, error)
            restart = self._after_failure(self.plan.scope_of[i], error)
            if restart is None:
                self._revert(self.done, error)
                return
            self.report.error = None
            for j in self.members[restart]:
                completed[j] = False
            i = min(self.members[restart])

    def _try(self, i: int) -> bool:
        report = self.reports[i]
        self.steps[i] = self.engine._try(self.plan.nodes[i], report)
        return report.error is None

    def _after_failure(self, scope: Scope | None, error: BaseException) -> Scope | None:
        """The scope to run again, or None when the whole run fails."""
        while scope is not None:
            self.failures[scope] = self.failures.get(scope, 0) + 1
            decision = scope.decide(self.failures[scope], error)
            if decision is Decision.REVERT_ALL:
                return None
            self._revert([j for j in self.done if j in self.members[scope]], error)
            if decision is Decision.RETRY:
                self._forget_inner(scope)
                self._wait(scope)
                self._start_scope(scope)
                return scope
            scope = scope.parent
        return None

    def _start_scope(self, scope: Scope) -> None:
        self.tries[scope] = self.tries.get(scope, 0) + 1
        self.started[scope] = self.engine._clock()
        if scope.on_try is not None:
            scope.on_try(self.tries[scope])

    def _forget_inner(self, outer: Scope) -> None:
        """Scopes inside ``outer`` start counting afresh when ``outer`` runs again."""
        for scope in self.plan.scopes:
            parent = scope.parent
            while parent is not None and parent is not outer:
                parent = parent.parent
            if parent is outer:
                self.failures.pop(scope, None)
                self.tries[scope] = 0
                self._start_scope(scope)

    def _wait(self, scope: Scope) -> None:
        if scope.retry_delay:
            wait = self.started[scope] + scope.retry_delay - self.engine._clock()
            if wait > 0:
                self.engine._sleep(wait)

    def _revert(self, positions: list[int], error: BaseException) -> None:
        """Revert completed nodes, newest first; they are no longer done."""
        chosen = set(positions)
        for j in reversed(positions):
            self._revert_node(j, error)
        self.done = [j for j in self.done if j not in chosen]

    def _revert_node(self, j: int, error: BaseException) -> None:
        step, report = self.steps[j], self.reports[j]
        node = self.plan.nodes[j]
        if report.outcome is not Outcome.FAILED:
            report.outcome = Outcome.REVERTED
        events = self.engine.events
        if step is not None and step.revert is not None:
            try:
                step.revert(report.result, error)
            except Exception as exc:
                report.history.append((REVERT, exc))
                self.report.revert_error = exc
                if events.phase_done is not None:
                    events.phase_done(node, REVERT, exc)
                if events.node_reverted is not None:
                    events.node_reverted(report, exc)
                raise _RevertFailed(exc) from exc
            report.history.append((REVERT, None))
            if events.phase_done is not None:
                events.phase_done(node, REVERT, None)
        if events.node_reverted is not None:
            events.node_reverted(report, None)


class _RevertFailed(Exception):
    """A revert raised: reverting stops there."""
