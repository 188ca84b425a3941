"""@task as JobMaster spells it: keys, options, dependencies, one registry per object."""

from __future__ import annotations

import pytest

from jobsmith.errors import JobsmithError
from jobsmith.queue import Dependency, Registry, RetryPolicy, same
from jobsmith.queue.registry import MAX_HOURS, MIN_HOURS, UnknownTaskError
from jobsmith.store.controls import Limit


def test_task_without_arguments_is_keyed_by_module_and_function_name() -> None:
    registry = Registry()

    @registry.task
    def foo(a: int, b: int = 2) -> int:
        return a + b

    assert foo.type_key == "test_task_registry"  # the last part of the module's name
    assert foo.task_key == "foo"
    assert registry.get("test_task_registry.foo") is foo
    assert foo(1) == 3  # calling the task runs the function here and now


def test_task_with_arguments_keeps_its_options() -> None:
    registry = Registry()

    @registry.task(type_key="cool_tasks", write_all=["b"], process_units=20, priority=7, retries=2)
    def bar(a: int, b: [1, 2, 3]) -> None:  # type: ignore[valid-type]
        """Write b."""

    assert bar.name == "cool_tasks.bar"
    assert (bar.process_units, bar.priority, bar.write_all) == (20, 7, ("b",))
    assert bar.retry == RetryPolicy(retries=2)
    assert bar.help == "Write b."
    assert bar.definition()["parameters"][1] == {
        "name": "b",
        "kind": "any",
        "required": True,
        "choices": [1, 2, 3],
    }


def test_process_limit_is_read_as_process_units() -> None:
    registry = Registry()

    @registry.task(process_limit=3)
    def baz(file_path: str) -> None: ...

    assert baz.process_units == 3


def test_two_functions_under_one_name_are_refused() -> None:
    registry = Registry()

    @registry.task(task_key="same_name")
    def one() -> None: ...

    with pytest.raises(JobsmithError, match=r"two tasks are named 'test_task_registry\.same_name'"):

        @registry.task(task_key="same_name")
        def two() -> None: ...


def test_an_unknown_task_is_a_clear_error() -> None:
    with pytest.raises(UnknownTaskError, match=r"no task named 'x\.y' is registered"):
        Registry().get("x.y")


def test_write_all_needs_a_select_from_parameter() -> None:
    with pytest.raises(JobsmithError, match="write_all parameter 'a' needs a list of options"):

        @Registry().task(write_all=["a"])
        def f(a: int) -> None: ...


def test_dependency_window_is_clamped_as_jobmaster_does() -> None:
    registry = Registry()

    @registry.task
    def foo(file_path: str, number: int) -> None: ...

    assert Dependency(foo, 6).hours == 6
    assert Dependency(foo).hours == MAX_HOURS
    assert Dependency(foo, 10_000).hours == MAX_HOURS
    assert Dependency(foo, 0.001).hours == MIN_HOURS


def test_same_copies_the_dependants_argument() -> None:
    registry = Registry()

    @registry.task
    def foo(file_path: str, number: int) -> None: ...

    dep = Dependency(foo, 2, number=10, file_path=same)
    assert dep.arguments_for({"file_path": "/tmp/x", "number": 3}) == {
        "number": 10,
        "file_path": "/tmp/x",
    }
    with pytest.raises(JobsmithError, match="argument 'file_path' is `same`"):
        dep.arguments_for({"number": 3})


def test_dependencies_naming_unknown_tasks_or_parameters_are_found() -> None:
    registry = Registry()

    @registry.task(dependencies=Dependency("nowhere.task", 1))
    def lonely() -> None: ...

    with pytest.raises(UnknownTaskError, match=r"dependency 'nowhere\.task' is not registered"):
        registry.check_dependencies()

    registry = Registry()

    @registry.task
    def foo(a: int) -> None: ...

    @registry.task(dependencies=Dependency("test_task_registry.foo", 1, b=2))  # by name
    def bar() -> None: ...

    with pytest.raises(JobsmithError, match=r"has no parameter\(s\) \['b'\]"):
        registry.check_dependencies()
    with pytest.raises(JobsmithError, match="is given argument 'b', which"):  # by the task

        @registry.task(dependencies=Dependency(foo, 1, b=2))
        def baz() -> None: ...


def test_retry_waits_grow_and_are_capped() -> None:
    policy = RetryPolicy(retries=5, delay=1.0, backoff=3.0, max_delay=20.0)
    assert [policy.wait(n) for n in (1, 2, 3, 4)] == [1.0, 3.0, 9.0, 20.0]


def test_a_dependency_on_a_plain_function_is_refused() -> None:
    def plain(a: int) -> None: ...

    with pytest.raises(JobsmithError) as caught:
        Dependency(plain)  # type: ignore[arg-type]
    assert str(caught.value).startswith("Dependency(")
    assert "expected a task (a function decorated with @task) or its name 'TYPE.TASK'" in str(
        caught.value
    )
    assert "\n" not in str(caught.value)


def test_same_on_a_parameter_the_dependant_lacks_is_refused_when_the_task_is_defined() -> None:
    registry = Registry()

    @registry.task
    def base(a: int, b: int = 0) -> None: ...

    with pytest.raises(JobsmithError) as caught:

        @registry.task(dependencies=Dependency(base, a=same, b=same))
        def dependant(a: int) -> None: ...

    assert str(caught.value) == (
        "task test_task_registry.dependant: dependency test_task_registry.base takes 'b' as "
        "`same`, but test_task_registry.dependant has no parameter 'b' (it has: a)"
    )
    assert "test_task_registry.dependant" not in registry


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"priority": "high"}, "priority='high': expected a whole number (higher runs first)"),
        ({"priority": 1.5}, "priority=1.5: expected a whole number"),
        ({"priority": 2**31}, "priority=2147483648: expected a whole number from -2147483648 to"),
        ({"queue": 5}, "queue=5: expected a queue's name"),
        ({"queue": ""}, "queue='': expected a queue's name"),
        ({"retries": "2"}, "retries='2': expected a whole number >= 0"),
        ({"retries": -1}, "retries=-1: expected a whole number >= 0"),
        ({"retry_delay": -1}, "retry_delay=-1: expected seconds >= 0"),
        ({"retry_backoff": "2"}, "retry_backoff='2': expected a factor > 0"),
        ({"timeout": "30x"}, "timeout='30x': expected seconds > 0 (None or 0: no limit)"),
        ({"timeout": -1}, "timeout=-1: expected seconds > 0 (None or 0: no limit)"),
        ({"unique_key": "k", "unique_for": "1h"}, "unique_for='1h': expected seconds >= 0"),
        ({"unique_key": "k", "unique_for": -5}, "unique_for=-5: expected seconds >= 0"),
        ({"unique_key": 7}, "unique_key=7: expected a text such as 'report-{day}'"),
        ({"unique_key": "r-{dya}"}, "unique_key 'r-{dya}' names {dya}, which is not one of its"),
        ({"unique_for": 3600}, "unique_for=3600: expected a unique_key beside it, e.g. unique_"),
        ({"limit_key": 5, "max_running": 1}, "limit_key=5: expected a parameter's name (its"),
        ({"limit_key": "", "max_running": 1}, "limit_key='': expected a parameter's name"),
        (
            {"limit_key": "tennant", "max_running": 2},
            "limit_key 'tennant' is not one of its parameters (day, tenant) (did you mean "
            "'tenant'?): as a fixed key it would put every job of the task under one key",
        ),
        (
            {"limit_key": "tenant", "rate_limit": "5/0s"},
            "rate_limit '5/0s': expected jobs per time, e.g. '100/m'",
        ),
    ],
)
def test_options_of_the_wrong_type_are_refused_when_the_task_is_defined(
    options: dict[str, object], message: str
) -> None:
    """A mistyped option once got through: `priority="high"` queued jobs that stopped every
    worker that claimed them, `timeout="30x"` failed each job with a TypeError."""
    registry = Registry()

    def report(day: str, tenant: str = "") -> None: ...

    with pytest.raises(JobsmithError) as caught:
        registry.task(**options)(report)  # type: ignore[call-overload]
    assert str(caught.value).startswith(f"task test_task_registry.report: {message}")
    assert "\n" not in str(caught.value)
    assert "test_task_registry.report" not in registry


def test_good_options_of_every_kind_are_kept() -> None:
    from datetime import timedelta

    registry = Registry()

    @registry.task(
        priority=-3,
        queue="reports",
        retries=0,
        retry_delay=0,
        retry_backoff=1.5,
        timeout=0.5,
        unique_key="report-{day}-{tenant}",
        unique_for=timedelta(minutes=5),
    )
    def report(day: str, tenant: str = "") -> None: ...

    assert (report.priority, report.queue, report.timeout) == (-3, "reports", 0.5)

    @registry.task(unique_key="nightly", unique_for=60)
    def nightly() -> None: ...

    assert (nightly.unique_key, nightly.unique_for) == ("nightly", 60)

    @registry.task(limit_key="stripe-api", rate_limit="5/10s")
    def charge(tenant: str) -> None: ...

    assert charge.limit_for({"tenant": "a"}) == Limit("stripe-api", None, 5, 10.0)


def test_the_scheduler_registers_its_built_in_task_without_the_queue_naming_it() -> None:
    from pathlib import Path

    import jobsmith.queue
    from jobsmith.queue.builtins import load_builtins

    assert load_builtins().find("jobsmith.scheduled_run") is not None
    queue_source = Path(jobsmith.queue.__file__).parent
    naming = [p.name for p in queue_source.glob("*.py") if "jobsmith.schedule" in p.read_text()]
    assert naming == []


def test_dependency_hours_that_are_not_a_number_are_refused() -> None:
    """`Dependency(base, "1d")` was a bare ValueError (could not convert string to float)."""
    registry = Registry()

    @registry.task
    def base(a: int) -> None: ...

    for hours in ("1d", [1]):
        with pytest.raises(JobsmithError) as caught:
            Dependency(base, hours)  # type: ignore[arg-type]
        assert str(caught.value) == (
            f"Dependency(test_task_registry.base): hours={hours!r}: expected a number of hours "
            "(e.g. 24; kept between 2 minutes and 30 days)"
        )
    assert Dependency(base, "6").hours == 6  # a number written as text, as JobMaster takes it


def test_a_dependency_argument_its_task_does_not_take_is_refused_when_defined() -> None:
    """It was accepted, and failed each dependant when the dependency had to be posted."""
    registry = Registry()

    @registry.task
    def base(file_path: str, number: int = 1) -> None: ...

    with pytest.raises(JobsmithError) as caught:

        @registry.task(dependencies=Dependency(base, 6, file_pth=same))
        def dependant(file_pth: str) -> None: ...

    assert str(caught.value) == (
        "task test_task_registry.dependant: dependency test_task_registry.base is given "
        "argument 'file_pth', which test_task_registry.base does not take (it has: file_path, "
        "number) (did you mean 'file_path'?)"
    )
    assert "test_task_registry.dependant" not in registry


def test_a_type_key_given_by_position_is_refused_by_name() -> None:
    # @task("u") was "AttributeError: 'str' object has no attribute '__name__'"
    reg = Registry()
    with pytest.raises(JobsmithError) as caught:
        reg.task("u", unique_key="u-{day}")  # type: ignore[call-overload]
    assert str(caught.value) == (
        "task('u'): expected the function, or options by name (e.g. @task(type_key='u'))"
    )
    assert list(reg) == []
