"""Flows behave as TaskFlow (as jobrunner uses it) describes: order, data, revert, retry."""

from __future__ import annotations

from typing import Any

import pytest

from jobsmith.errors import CycleError, FlowError, MissingParameterError
from jobsmith.flow import (
    Failure,
    ForEach,
    FunctorTask,
    GraphFlow,
    LinearFlow,
    Task,
    Times,
    UnorderedFlow,
    run,
)


class Step(Task):
    """Records execute and revert calls in a shared list; fails while ``fail`` > 0."""

    def __init__(self, name: str, log: list, fail: int = 0, **options: Any) -> None:
        super().__init__(name, **options)
        self.log, self.fail = log, fail

    def execute(self, **inputs: Any) -> str:
        self.log.append(f"execute {self.name}")
        if self.fail:
            self.fail -= 1
            raise RuntimeError(f"{self.name} failed")
        return f"{self.name} result"

    def revert(self, result: Any, flow_failures: dict, **inputs: Any) -> None:
        shown = result.exception_str if isinstance(result, Failure) else result
        self.log.append(f"revert {self.name} ({shown})")


def test_the_seeds_task_reads_the_store_and_results_are_returned() -> None:
    class Task1(Task):
        def execute(self, message):
            return message.upper()

        def revert(*args, **kwargs):  # the seed writes revert without self, like this
            pass

    flow = LinearFlow("flow_1", retry=Times(10)).add(Task1("task_1_task_name", provides="loud"))
    results = run(flow, store={"message": "This is the message from the store"}, run_log=False)
    assert results == {
        "message": "This is the message from the store",
        "loud": "THIS IS THE MESSAGE FROM THE STORE",
    }


def test_linear_flow_runs_in_order_and_reverts_newest_first() -> None:
    log: list[str] = []
    flow = LinearFlow("f").add(
        Step("a", log), Step("b", log), Step("c", log, fail=1), Step("d", log)
    )
    with pytest.raises(RuntimeError, match="c failed") as caught:
        run(flow, run_log=False)
    assert log == [
        "execute a",
        "execute b",
        "execute c",
        "revert c (c failed)",  # the failing task is reverted too, with its Failure
        "revert b (b result)",
        "revert a (a result)",
    ]
    assert "jobsmith: flow 'f' failed in task 'c'; reverted: b, a" in caught.value.__notes__


def test_revert_gets_the_inputs_the_result_and_the_failures() -> None:
    seen: dict[str, Any] = {}

    class Create(Task):
        default_provides = "volume"

        def execute(self, size):
            return f"vol-{size}"

        def revert(self, size, result, flow_failures):
            seen.update(size=size, result=result, failures=flow_failures)

    class Attach(Task):
        def execute(self, volume):
            raise OSError("instance gone")

    with pytest.raises(OSError):
        run(LinearFlow("server").add(Create(), Attach("attach")), {"size": 10}, run_log=False)
    assert seen["size"] == 10 and seen["result"] == "vol-10"
    failure = seen["failures"]["attach"]
    assert isinstance(failure, Failure) and failure.check(ValueError, OSError) is OSError
    assert "OSError: instance gone" in failure.traceback_str


def test_graph_flow_orders_by_data_and_links_whatever_the_adding_order() -> None:
    log: list[str] = []
    consume = FunctorTask(lambda y: log.append(f"consume {y}"), name="consume")
    produce = FunctorTask(lambda x: x * 2, name="produce", provides="y")
    late = FunctorTask(lambda: log.append("late"), name="late")
    early = FunctorTask(lambda: log.append("early"), name="early")
    flow = GraphFlow("g").add(consume, late, produce, early).link(early, late)
    assert run(flow, {"x": 21}, run_log=False)["y"] == 42
    assert log.index("consume 42") >= 0 and log.index("early") < log.index("late")


def test_graph_flow_cycles_and_ambiguous_providers_are_refused() -> None:
    a = FunctorTask(lambda q: 1, name="a", provides="p")
    b = FunctorTask(lambda p: 1, name="b", provides="q")
    with pytest.raises(CycleError, match="task 'a' -> task 'b' -> task 'a'"):
        run(GraphFlow("g").add(a, b), run_log=False)
    c = FunctorTask(lambda: 1, name="c", provides="p")
    d = FunctorTask(lambda: 2, name="d", provides="p")
    with pytest.raises(FlowError, match="both task 'c' and task 'd' provide 'p'"):
        run(GraphFlow("g").add(c, d), run_log=False)


def test_unordered_flow_refuses_items_that_need_each_other() -> None:
    a = FunctorTask(lambda: 1, name="a", provides="p")
    b = FunctorTask(lambda p: p, name="b")
    with pytest.raises(FlowError, match="task 'b' needs \\['p'\\], which task 'a' provides"):
        run(UnorderedFlow("u").add(a, b), run_log=False)
    log: list[str] = []
    run(UnorderedFlow("u").add(Step("x", log), Step("y", log)), run_log=False)
    assert sorted(log) == ["execute x", "execute y"]


def test_missing_inputs_are_found_before_anything_runs() -> None:
    log: list[str] = []

    class Needs(Task):
        def execute(self, message, volume):
            log.append("ran")

    flow = LinearFlow("f").add(Step("first", log), Needs("needs"))
    with pytest.raises(FlowError, match="task 'needs' needs 'volume'"):
        run(flow, {"message": "hi"}, run_log=False)
    assert log == []


def test_times_retries_the_flow_and_provides_the_attempt() -> None:
    log: list[str] = []
    attempts: list[int] = []
    flow = LinearFlow("f", retry=Times(3, provides="attempt")).add(
        Step("a", log),
        FunctorTask(lambda number: attempts.append(number), name="seen", rebind=["attempt"]),
        Step("b", log, fail=2),
    )
    results = run(flow, run_log=False)
    assert attempts == [1, 2, 3] and results["attempt"] == 3
    assert log.count("execute a") == 3 and log.count("revert a (a result)") == 2


def test_nested_retry_retries_only_its_subflow_then_hands_over() -> None:
    log: list[str] = []
    inner = LinearFlow("inner", retry=Times(2)).add(Step("in", log, fail=5))
    outer = LinearFlow("outer").add(Step("before", log), inner)
    with pytest.raises(RuntimeError, match="in failed"):
        run(outer, run_log=False)
    assert log == [
        "execute before",
        "execute in",
        "revert in (in failed)",
        "execute in",
        "revert in (in failed)",
        "revert before (before result)",
    ]


def test_revert_all_skips_the_enclosing_retry() -> None:
    log: list[str] = []
    inner = LinearFlow("inner", retry=Times(1, revert_all=True)).add(Step("in", log, fail=9))
    outer = LinearFlow("outer", retry=Times(5)).add(Step("before", log), inner)
    with pytest.raises(RuntimeError):
        run(outer, run_log=False)
    assert log.count("execute in") == 1 and log.count("execute before") == 1


def test_for_each_tries_each_value_in_turn() -> None:
    tried: list[str] = []

    def connect(host):
        tried.append(host)
        if host != "c":
            raise ConnectionError(host)
        return host

    flow = LinearFlow("f", retry=ForEach(["a", "b", "c"], provides="host")).add(
        FunctorTask(connect, name="connect", provides="connected")
    )
    assert run(flow, run_log=False)["connected"] == "c" and tried == ["a", "b", "c"]


def test_a_failing_revert_stops_reverting_and_says_so() -> None:
    log: list[str] = []

    class BadUndo(Step):
        def revert(self, **kwargs: Any) -> None:
            raise OSError("cannot undo")

    flow = LinearFlow("f").add(Step("a", log), BadUndo("b", log), Step("c", log, fail=1))
    with pytest.raises(FlowError, match="reverting 'b' failed \\(cannot undo\\)") as caught:
        run(flow, run_log=False)
    assert isinstance(caught.value.__cause__, OSError)
    assert "revert a (a result)" not in log


def test_provides_unpacks_sequences_and_picks_mapping_keys() -> None:
    pair = FunctorTask(lambda: (1, 2), name="pair", provides=("one", "two"))
    keys = FunctorTask(lambda: {"x": 3, "y": 4, "z": 5}, name="keys", provides={"x", "y"})
    results = run(LinearFlow("f").add(pair, keys), run_log=False)
    assert results == {"one": 1, "two": 2, "x": 3, "y": 4}
    short = FunctorTask(lambda: (1,), name="short", provides=("a", "b"))
    with pytest.raises(FlowError, match="provides 2 values but returned 1"):
        run(LinearFlow("f").add(short), run_log=False)


def test_rebind_inject_defaults_and_fuzzy_names() -> None:
    class Greet(Task):
        def execute(self, name, greeting, punctuation="!"):
            return f"{greeting}, {name}{punctuation}"

    flow = LinearFlow("f").add(
        Greet("g1", provides="first", rebind={"name": "user_name"}, inject={"greeting": "Hi"}),
        Greet("g2", provides="second", inject={"greeting": "Bye", "punctuation": "."}),
    )
    results = run(flow, {"User Name": "Ada", "NAME": "Bob"}, run_log=False)
    assert results["first"] == "Hi, Ada!" and results["second"] == "Bye, Bob."


def test_task_names_must_be_unique() -> None:
    log: list[str] = []
    with pytest.raises(FlowError, match="two tasks are named 'a'"):
        run(LinearFlow("f").add(Step("a", log), Step("a", log)), run_log=False)


def test_a_value_removed_by_revert_is_missing_on_the_next_try() -> None:
    # A retried flow starts from the store as it was: outputs of reverted tasks are gone.
    seen: list[bool] = []
    make = FunctorTask(lambda: "v", name="make", provides="made")
    look = FunctorTask(lambda made=None: seen.append(made is not None), name="look")
    fail_once = {"n": 1}

    def flaky() -> None:
        if fail_once["n"]:
            fail_once["n"] -= 1
            raise RuntimeError("once")

    inner = LinearFlow("inner", retry=Times(2)).add(make, FunctorTask(flaky, name="flaky"))
    outer = LinearFlow("outer").add(look, inner)
    results = run(outer, run_log=False)
    assert results["made"] == "v" and seen == [False]


def test_missing_parameter_error_is_a_key_error() -> None:
    assert issubclass(MissingParameterError, KeyError)
