"""The engine on its own: order, cycles, deep and wide graphs, retries, reverting scopes."""

from __future__ import annotations

import pytest

from jobsmith.engine import Decision, Engine, Node, Outcome, Plan, Scope, Step, find_cycle
from jobsmith.errors import CycleError, GraphError


def always(log: list[str], name: str, fail_times: int = 0):
    """A node that runs without a check, failing its first ``fail_times`` tries."""
    tries = {"n": 0}

    def run() -> str:
        tries["n"] += 1
        log.append(name)
        if tries["n"] <= fail_times:
            raise RuntimeError(f"{name} try {tries['n']}")
        return name

    def revert(result: object, error: BaseException | None) -> None:
        log.append(f"revert {name}")

    return lambda: Step(run=run, revert=revert)


def test_order_puts_dependencies_first_in_declared_order() -> None:
    log: list[str] = []
    nodes = [
        Node("root", always(log, "root"), deps=("b", "a")),
        Node("a", always(log, "a")),
        Node("b", always(log, "b"), deps=("c",)),
        Node("c", always(log, "c")),
    ]
    plan = Plan(nodes, roots=["root"])
    assert [n.name for n in plan.nodes] == ["c", "b", "a", "root"]
    Engine().converge(plan)
    assert log == ["c", "b", "a", "root"]


def test_a_cycle_is_refused_with_its_nodes_named() -> None:
    nodes = [
        Node("a", always([], "a"), deps=("b",)),
        Node("b", always([], "b"), deps=("c",)),
        Node("c", always([], "c"), deps=("a",)),
    ]
    with pytest.raises(CycleError, match="dependency cycle: a -> b -> c -> a") as caught:
        Plan(nodes)
    assert caught.value.cycle == ["a", "b", "c", "a"]
    assert find_cycle({"x": ["y"], "y": ["x"], "z": []}) == ["x", "y", "x"]
    assert find_cycle({"x": ["y"], "y": []}) is None


def test_unknown_dependency_and_duplicate_names_are_refused() -> None:
    with pytest.raises(GraphError, match="'a' depends on 'nope'"):
        Plan([Node("a", always([], "a"), deps=("nope",))])
    with pytest.raises(GraphError, match="two nodes are named 'a'"):
        Plan([Node("a", always([], "a")), Node("a", always([], "a"))])


def test_a_10000_deep_chain_converges_and_reverts_without_recursion() -> None:
    log: list[str] = []
    nodes = [
        Node(f"n{i}", always(log, f"n{i}"), deps=(f"n{i - 1}",) if i else ()) for i in range(10_000)
    ]
    report = Engine().converge(Plan(nodes, roots=["n9999"]))
    assert report.succeeded and log[0] == "n0" and log[-1] == "n9999"

    log.clear()
    nodes[-1] = Node("n9999", always(log, "n9999", fail_times=1), deps=("n9998",))
    report = Engine().run_or_revert(Plan(nodes))
    assert str(report.error) == "n9999 try 1"
    assert log[-1] == "revert n0" and log[-10_000] == "revert n9999"
    assert report.nodes["n0"].outcome is Outcome.REVERTED


def test_a_100000_node_graph_runs() -> None:
    width = 10
    nodes = [
        Node(
            f"n{i}",
            lambda: Step(run=lambda: None),
            deps=tuple(f"n{j}" for j in range((i // width - 1) * width, (i // width) * width))
            if i >= width
            else (),
        )
        for i in range(100_000)
    ]
    report = Engine().converge(Plan(nodes))
    assert report.succeeded and len(report.nodes) == 100_000


def test_failures_block_dependents_and_retry_round_robin() -> None:
    log: list[str] = []
    nodes = [
        Node("a", always(log, "a", fail_times=2), tries=3),
        Node("b", always(log, "b", fail_times=1), tries=2),
        Node("c", always(log, "c", fail_times=5), tries=2),
        Node("after_a", always(log, "after_a"), deps=("a",)),
        Node("after_c", always(log, "after_c"), deps=("c",)),
    ]
    report = Engine().converge(Plan(nodes))
    # Each sweep tries every failed node once before any is tried again.
    assert log == ["a", "b", "c", "a", "b", "c", "a", "after_a"]
    assert report.outcomes() == {
        "a": Outcome.FIXED,
        "b": Outcome.FIXED,
        "c": Outcome.FAILED,
        "after_a": Outcome.FIXED,
        "after_c": Outcome.BLOCKED,
    }
    assert report.nodes["c"].tries == 2 and report.rounds == 3


def test_the_minimum_delay_between_tries_is_waited_only_when_not_spent() -> None:
    now = {"t": 0.0}
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(round(seconds, 3))
        now["t"] += seconds

    log: list[str] = []
    nodes = [Node("slow", always(log, "slow", fail_times=2), tries=3, retry_delay=5.0)]
    Engine(sleep=sleep, clock=lambda: now["t"]).converge(Plan(nodes))
    assert slept == [5.0, 5.0]


def test_no_act_runs_checks_only_and_does_not_retry() -> None:
    ran: list[str] = []

    def failing_check() -> None:
        raise RuntimeError("not yet")

    nodes = [
        Node("checked", lambda: Step(run=lambda: ran.append("x"), check=failing_check), tries=3),
        Node("fine", lambda: Step(run=lambda: ran.append("y"), check=lambda: "ok")),
        Node("runonly", lambda: Step(run=lambda: ran.append("z"))),
    ]
    report = Engine(no_act=True).converge(Plan(nodes))
    assert ran == []
    assert report.outcomes() == {
        "checked": Outcome.FAILED,
        "fine": Outcome.PASSED,
        "runonly": Outcome.FAILED,
    }
    assert report.nodes["checked"].tries == 1


def test_a_retry_scope_reverts_its_own_nodes_and_runs_them_again() -> None:
    log: list[str] = []
    nodes = [
        Node("outside", always(log, "outside")),
        Node("in1", always(log, "in1"), deps=("outside",)),
        Node("in2", always(log, "in2", fail_times=1), deps=("in1",)),
    ]
    tries: list[int] = []
    scope = Scope(
        "sub",
        frozenset({"in1", "in2"}),
        decide=lambda failures, error: Decision.RETRY if failures < 2 else Decision.REVERT,
        on_try=tries.append,
    )
    report = Engine().run_or_revert(Plan(nodes, scopes=[scope]))
    assert report.error is None and report.succeeded
    assert log == ["outside", "in1", "in2", "revert in2", "revert in1", "in1", "in2"]
    assert tries == [1, 2]


def test_an_exhausted_scope_hands_the_failure_to_the_enclosing_one() -> None:
    log: list[str] = []
    nodes = [
        Node("a", always(log, "a")),
        Node("b", always(log, "b", fail_times=9), deps=("a",)),
    ]
    outer = Scope(
        "outer",
        frozenset({"a", "b"}),
        decide=lambda f, e: Decision.RETRY if f < 2 else Decision.REVERT,
    )
    inner = Scope(
        "inner",
        frozenset({"b"}),
        decide=lambda f, e: Decision.RETRY if f < 2 else Decision.REVERT,
        parent=outer,
    )
    report = Engine().run_or_revert(Plan(nodes, scopes=[outer, inner]))
    # inner: 2 tries, then outer retries (inner starts counting afresh: 2 more), then all fail.
    assert log.count("b") == 4 and log.count("a") == 2
    assert log[-2:] == ["revert b", "revert a"]
    assert report.nodes["a"].outcome is Outcome.REVERTED
    assert report.nodes["b"].outcome is Outcome.FAILED


def test_the_gc_pause_is_shared_by_runs_in_several_threads() -> None:
    import gc
    import threading

    from jobsmith.engine.gcpause import GcPause

    assert gc.isenabled()
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen: list[bool] = []

    def first() -> None:
        with GcPause():
            first_in.set()
            second_in.wait(10)
        first_out.set()

    def second() -> None:
        first_in.wait(10)
        with GcPause():
            second_in.set()
            first_out.wait(10)
            seen.append(gc.isenabled())  # the first run ended; this one still runs

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert seen == [False]
    assert gc.isenabled()
