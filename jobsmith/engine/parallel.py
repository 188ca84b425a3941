"""The engine with threads: nodes whose dependencies are met run at the same time.

``Engine(workers=N)`` runs both kinds of run in N threads; everything else is as in the
serial engine (:mod:`.executor`):

* flows (:meth:`~.executor.Engine.run_or_revert`): nodes start as soon as the nodes they
  depend on completed. At the first failure no new node starts; the nodes still running
  finish; then, as in the serial engine, the failed node's own revert runs, its retry
  scope decides, and the completed nodes are reverted newest first (in the order they
  completed) — the other branches that completed are reverted too.
* goal graphs (:meth:`~.executor.Engine.converge`): each sweep runs the nodes still to
  do whose dependencies succeeded, a node as soon as its dependencies (in this sweep or
  an earlier one) succeeded; failed nodes with tries left wait for the next sweep.

Listeners are called under one lock, so a listener never sees two events at once.
Results are the same as the serial engine's for the same graph; only the order of
independent nodes (in the run log, in the revert order) may differ.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, Any

from jobsmith.engine.events import EVENTS, Dispatch
from jobsmith.engine.model import NodeReport, Outcome

if TYPE_CHECKING:
    from jobsmith.engine.dag import Plan
    from jobsmith.engine.executor import Engine, _Reverting
    from jobsmith.engine.model import Report


def locked(events: Dispatch) -> Dispatch:
    """The same listeners, called one at a time under a lock."""
    lock = threading.RLock()
    safe = Dispatch(())
    for event in EVENTS:
        handler = getattr(events, event)
        setattr(safe, event, None if handler is None else _under(lock, handler))
    return safe


def _under(lock: threading.RLock, handler: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any) -> Any:
        with lock:
            return handler(*args)

    return call


def dependents_of(plan: Plan) -> list[list[int]]:
    found: list[list[int]] = [[] for _ in plan.nodes]
    for i, deps in enumerate(plan.deps):
        for dep in deps:
            found[dep].append(i)
    return found


def run_or_revert(state: _Reverting, workers: int) -> None:
    """The parallel counterpart of ``_Reverting.run``."""
    plan = state.plan
    n = len(plan.nodes)
    dependents = dependents_of(plan)
    for scope in plan.scopes:
        state._start_scope(scope)
    completed = [False] * n
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="jobsmith-flow") as pool:
        while True:
            failed = _run_ready(state, pool, workers, completed, dependents)
            if not failed:
                return
            first = failed[0]
            error = state.reports[first].error
            assert error is not None
            state.report.error = error
            for i in failed:
                own = state.reports[i].error
                state._revert_node(i, own if own is not None else error)
            restart = state._after_failure(plan.scope_of[first], error)
            if restart is not None:
                others = [i for i in failed[1:] if i not in state.members[restart]]
                if others:  # another branch failed outside the scope that retries
                    restart = None
            if restart is None:
                state._revert(state.done, error)
                return
            state.report.error = None
            for j in state.members[restart]:
                completed[j] = False


def _run_ready(
    state: _Reverting,
    pool: ThreadPoolExecutor,
    workers: int,
    completed: list[bool],
    dependents: list[list[int]],
) -> list[int]:
    """Run every node not completed whose dependencies are, until all are or one fails;
    returns the failed nodes (after the running ones finished), in plan order."""
    deps = state.plan.deps
    waiting = [sum(1 for d in deps[i] if not completed[d]) for i in range(len(deps))]
    ready = deque(i for i in range(len(deps)) if not completed[i] and not waiting[i])
    running: dict[Future[bool], int] = {}
    failed: list[int] = []
    while ready or running:
        while ready and len(running) < workers and not failed:
            i = ready.popleft()
            running[pool.submit(state._try, i)] = i
        if not running:
            break
        finished, _ = wait(running, return_when=FIRST_COMPLETED)
        for future in sorted(finished, key=running.__getitem__):
            i = running.pop(future)
            if not future.result():
                failed.append(i)
                continue
            completed[i] = True
            state.done.append(i)
            for later in dependents[i]:
                waiting[later] -= 1
                if not waiting[later] and not completed[later]:
                    ready.append(later)
    return sorted(failed)


def converge(engine: Engine, plan: Plan, reports: list[NodeReport], report: Report) -> None:
    """The parallel counterpart of ``Engine._sweeps``."""
    n = len(plan.nodes)
    ok = [False] * n
    tries_left = [node.tries for node in plan.nodes]
    next_try = [0.0] * n
    dependents = dependents_of(plan)
    pending = list(range(n))
    clock = engine._clock

    def attempt(i: int) -> bool:
        node = plan.nodes[i]
        if node.retry_delay:
            delay = next_try[i] - clock()
            if delay > 0:
                engine._sleep(delay)
            next_try[i] = clock() + node.retry_delay
        engine._try(node, reports[i])
        return reports[i].error is None

    with ThreadPoolExecutor(
        max_workers=engine.workers, thread_name_prefix="jobsmith-graph"
    ) as pool:
        while pending:
            report.rounds += 1
            todo = set(i for i in pending if tries_left[i])
            waiting = {i: sum(1 for d in plan.deps[i] if not ok[d]) for i in todo}
            ready = deque(i for i in pending if i in todo and not waiting[i])
            running: dict[Future[bool], int] = {}
            while ready or running:
                while ready and len(running) < engine.workers:
                    i = ready.popleft()
                    tries_left[i] -= 1
                    running[pool.submit(attempt, i)] = i
                if not running:
                    break
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in sorted(finished, key=running.__getitem__):
                    i = running.pop(future)
                    ok[i] = future.result()
                    if not ok[i]:
                        continue
                    for later in dependents[i]:
                        if later in waiting:
                            waiting[later] -= 1
                            if not waiting[later]:
                                ready.append(later)
            for i in pending:
                if not ok[i] and not reports[i].tries:
                    reports[i].outcome = Outcome.BLOCKED
            pending = [i for i in pending if not ok[i]]
            if engine.no_act or not any(
                tries_left[i] and reports[i].outcome is Outcome.FAILED for i in pending
            ):
                return
