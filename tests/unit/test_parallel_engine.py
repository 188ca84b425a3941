"""The engine with threads (``workers=N``): the same results, reverts and retries as the
serial engine, for flows and goal graphs; independent tasks really run at once."""

from __future__ import annotations

import io
import threading
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jobsmith.flow import GraphFlow, LinearFlow, Task, Times, UnorderedFlow, run
from jobsmith.graph import DoJobber, Job


class Node(Task):
    """Provides ``v{n}``: n plus the sum of its inputs; fails when told to."""

    def __init__(self, n: int, needs: list[int], log: list[str], fail: bool = False) -> None:
        super().__init__(f"t{n}", provides=f"v{n}", requires=[f"v{m}" for m in needs])
        self.n, self.log, self.fail = n, log, fail

    def execute(self, **inputs: int) -> int:
        self.log.append(f"execute t{self.n}")
        if self.fail:
            raise RuntimeError(f"t{self.n} fails")
        return self.n + sum(inputs.values())

    def revert(self, **kwargs: Any) -> None:
        self.log.append(f"revert t{self.n}")


@st.composite
def dags(draw: st.DrawFn) -> tuple[list[list[int]], int | None]:
    """Random DAGs: node n needs some of the nodes before it; maybe one node fails."""
    size = draw(st.integers(1, 14))
    needs = [
        sorted(draw(st.sets(st.integers(0, n - 1), max_size=3))) if n else [] for n in range(size)
    ]
    failing = draw(st.one_of(st.none(), st.integers(0, size - 1)))
    return needs, failing


def _flow(needs: list[list[int]], failing: int | None, log: list[str]) -> GraphFlow:
    flow = GraphFlow("random")
    for n, deps in reversed(list(enumerate(needs))):  # added in any order: data orders them
        flow.add(Node(n, deps, log, fail=n == failing))
    return flow


def _outcome(needs: list[list[int]], failing: int | None, workers: int) -> tuple[Any, list[str]]:
    log: list[str] = []
    try:
        result: Any = run(_flow(needs, failing, log), {}, run_log=False, workers=workers)
    except RuntimeError as exc:
        result = str(exc)
    return result, log


@settings(max_examples=60, deadline=None)
@given(dags(), st.integers(2, 6))
def test_parallel_results_equal_serial_results_on_random_dags(
    dag: tuple[list[list[int]], int | None], workers: int
) -> None:
    needs, failing = dag
    serial, serial_log = _outcome(needs, failing, 1)
    parallel, parallel_log = _outcome(needs, failing, workers)
    assert parallel == serial
    if failing is None:
        assert sorted(parallel_log) == sorted(serial_log)
        return
    executed = {e.split()[1] for e in parallel_log if e.startswith("execute")}
    reverted = [e.split()[1] for e in parallel_log if e.startswith("revert")]
    assert sorted(reverted) == sorted(executed)  # every task that ran was undone
    for n, deps in enumerate(needs):  # a task is undone before what it needed
        for m in deps:
            if f"t{n}" in reverted:
                assert reverted.index(f"t{n}") < reverted.index(f"t{m}")
    for e in parallel_log:  # a task runs only after what it needs, reverts after dependents
        if e.startswith("execute"):
            n = int(e.split()[1][1:])
            before = parallel_log[: parallel_log.index(e)]
            assert all(f"execute t{m}" in before for m in needs[n])


def test_independent_tasks_run_at_the_same_time() -> None:
    barrier = threading.Barrier(3, timeout=30)

    class Meet(Task):
        def execute(self) -> int:
            return barrier.wait()  # breaks (raises) unless all three run at once

    flow = UnorderedFlow("meet").add(*(Meet(f"m{i}", provides=f"m{i}") for i in range(3)))
    values = run(flow, {}, run_log=False, workers=3)
    assert sorted(values[f"m{i}"] for i in range(3)) == [0, 1, 2]


def test_a_failing_branch_reverts_the_branches_that_completed() -> None:
    log: list[str] = []
    flow = GraphFlow("branches").add(Node(0, [], log), Node(1, [], log), Node(2, [0], log))
    flow.add(Node(3, [1], log, fail=True))
    with pytest.raises(RuntimeError, match="t3 fails"):
        run(flow, {}, run_log=False, workers=2)
    executed = [e.split()[1] for e in log if e.startswith("execute")]
    reverted = [e.split()[1] for e in log if e.startswith("revert")]
    assert sorted(reverted) == sorted(executed)
    assert reverted.index("t3") == 0  # the failed task's own revert first
    if "t2" in reverted:
        assert reverted.index("t2") < reverted.index("t0")  # newest first


def test_a_retry_scope_runs_again_with_workers() -> None:
    tries: list[str] = []

    class Flaky(Task):
        def execute(self) -> None:
            tries.append(self.name)
            if tries.count(self.name) == 1:
                raise RuntimeError("first try fails")

    inner = UnorderedFlow("inner", retry=Times(2)).add(Flaky("a"), Flaky("b"))
    flow = LinearFlow("outer").add(inner)
    run(flow, {}, run_log=False, workers=2)
    assert sorted(tries) == ["a", "a", "b", "b"]


@pytest.mark.parametrize("workers", [1, 4])
def test_dojobber_checknrun_with_workers(workers: int) -> None:
    barrier = threading.Barrier(workers, timeout=30)
    ran: list[str] = []

    def leaf(name: str) -> type[Job]:
        def Check(self: Job, *args: Any, **kwargs: Any) -> None:
            if name not in ran:
                raise RuntimeError("not yet")

        def Run(self: Job, *args: Any, **kwargs: Any) -> None:
            if workers > 1:
                barrier.wait()  # all four leaves run at once
            ran.append(name)

        return type(name, (Job,), {"Check": Check, "Run": Run})

    leaves = [leaf(f"Leaf{i}") for i in range(4)]

    class Root(Job):
        DEPS = tuple(leaves)

        def Check(self, *args: Any, **kwargs: Any) -> None:
            if len(ran) != 4:
                raise RuntimeError("leaves missing")

        def Run(self, *args: Any, **kwargs: Any) -> None:
            pass

    dojob = DoJobber(run_log=False, stream=io.StringIO())
    dojob.configure(Root, default_retry_delay=0)
    dojob.checknrun(workers=workers)
    assert dojob.success()
    assert sorted(ran) == [f"Leaf{i}" for i in range(4)]
    assert dojob.nodestatus == {**{f"Leaf{i}": True for i in range(4)}, "Root": True}


@settings(max_examples=40, deadline=None)
@given(dags(), st.sets(st.integers(0, 13), max_size=3), st.integers(2, 5))
def test_parallel_goal_graphs_end_as_serial_ones_on_random_dags(
    dag: tuple[list[list[int]], int | None], flaky: set[int], workers: int
) -> None:
    """Nodes fail for good (``failing``) or on their first try (``flaky``, 2 tries)."""
    from jobsmith.engine import Engine, Node, Plan, Step

    needs, failing = dag

    def outcomes(workers: int) -> dict[str, Any]:
        tries: dict[int, int] = {}

        def step(n: int) -> Step:
            def run() -> None:
                tries[n] = tries.get(n, 0) + 1
                if n == failing or (n in flaky and tries[n] == 1):
                    raise RuntimeError(f"n{n} fails")

            return Step(run=run)

        nodes = [
            Node(f"n{n}", lambda n=n: step(n), deps=tuple(f"n{m}" for m in deps), tries=2)
            for n, deps in enumerate(needs)
        ]
        report = Engine(workers=workers).converge(Plan(nodes))
        return {name: (r.outcome, r.tries) for name, r in report.nodes.items()}

    assert outcomes(workers) == outcomes(1)
