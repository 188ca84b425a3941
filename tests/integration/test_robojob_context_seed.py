"""robojob's job context as its README (seeds/robojob.md) describes it: ``exit()`` from a
task, ``on_error``, custom backends, and what ``go()`` refuses. Both stores."""

from __future__ import annotations

import logging
from typing import Any

import pytest

import jobsmith
from jobsmith import JobExecution, Store, TaskExecution
from jobsmith.config import Config


def job(store: Store, name: str = "job", **kwargs: Any) -> JobExecution:
    return JobExecution(name, Config(), backend=store, **kwargs)


# "ctx.exit() exits the job immediately, setting the status of the job to "Completed"";
# "ctx.exit(status="Skipped") ... to "Skipped"" -- also when a task calls it.
@pytest.mark.parametrize(
    ("args", "status"), [((), "Completed"), (("Skipped",), "Skipped")], ids=["plain", "skipped"]
)
def test_exit_inside_a_task_is_not_an_error(
    store: Store, caplog: pytest.LogCaptureFixture, args: tuple[str, ...], status: str
) -> None:
    after = []

    def nothing_to_do(ctx):
        ctx.exit(*args)

    with caplog.at_level(logging.DEBUG), job(store) as ctx:
        ctx.execute(nothing_to_do, ctx=ctx)
        after.append("ran on")
    assert after == []
    assert [r.message for r in caplog.records if r.levelno >= logging.ERROR] == []
    run = store.runs.get(ctx.run.id)
    assert (run.status, run.error) == (status, None)
    [task] = store.runs.tasks(run.id)
    assert (task.name, task.status, task.error) == ("nothing_to_do", status, None)


def test_exit_inside_a_task_runs_no_error_handler(store: Store) -> None:
    handled = []
    with job(store) as ctx:
        ctx.add_error_handler(lambda: handled.append("add"))
        ctx.on_error = lambda: handled.append("on_error")
        ctx.execute(lambda ctx: ctx.exit("Skipped"), ctx=ctx)
    assert handled == []


# "Assigning a task execution instance to ctx.on_error will cause the task to be executed
# immediately before job execution ends, if an error occurs."
def test_assigning_on_error_twice_runs_only_the_second(store: Store) -> None:
    handled = []

    def first():
        handled.append("first")

    def second(error_message):
        handled.append(("second", error_message))

    with pytest.raises(ZeroDivisionError), job(store) as ctx:
        ctx.on_error = first
        ctx.on_error = second
        ctx.execute(lambda: 1 / 0)
    assert handled == [("second", "division by zero")]
    assert ctx.on_error is not None and ctx.on_error.name == "second"
    tasks = store.runs.tasks(ctx.run.id)
    assert [(t.name, t.status) for t in tasks] == [("<lambda>", "Failed"), ("second", "Completed")]


def test_on_error_none_clears_it_and_keeps_added_handlers(store: Store) -> None:
    handled = []

    class Notify(TaskExecution):
        def execute(self) -> None:
            handled.append(self.name)

    with pytest.raises(ZeroDivisionError), job(store) as ctx:
        ctx.add_error_handler(Notify("added"))
        ctx.on_error = Notify("assigned")
        ctx.on_error = None
        assert ctx.on_error is None
        ctx.execute(lambda: 1 / 0)
    assert handled == ["added"]


class RecordingBackend:
    """robojob's backend interface: job hooks and task hooks (job_execution, task_execution)."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def before_job_execution(self, job_execution):
        self.calls.append(("before job", job_execution.job_name, job_execution.status))

    def before_task_execution(self, job_execution, task_execution):
        self.calls.append(
            (
                "before task",
                task_execution.name,
                dict(task_execution.parameters),
                task_execution.status,
            )
        )

    def after_task_execution(self, job_execution, task_execution):
        self.calls.append(
            ("after task", task_execution.name, task_execution.status, task_execution.error_message)
        )

    def after_job_execution(self, job_execution):
        self.calls.append(("after job", job_execution.status, job_execution.error_message))

    def close(self):
        self.calls.append(("close",))


def test_a_custom_backend_is_called_around_every_task_beside_the_run_log(
    target, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JOBSMITH_STORE", target.url)
    monkeypatch.setenv("JOBSMITH_SCHEMA", target.schema)
    backend = RecordingBackend()

    def greet(name):
        return f"Hello, {name}!"

    def fail():
        print(1 / 0)

    with pytest.raises(ZeroDivisionError), jobsmith.go("hello", backend=backend) as ctx:
        ctx["name"] = "world"
        ctx.execute(greet)
        ctx.execute(fail)
    assert backend.calls == [
        ("before job", "hello", "Running"),
        ("before task", "greet", {"name": "world"}, "Running"),
        ("after task", "greet", "Completed", None),
        ("before task", "fail", {}, "Running"),
        ("after task", "fail", "Failed", "division by zero"),
        ("after job", "Failed", "division by zero"),
        ("close",),
    ]
    # the run log is still written, in the configured store
    run = store.runs.get(ctx.run.id)
    assert (run.job_name, run.status) == ("hello", "Failed")
    assert [(t.name, t.status) for t in store.runs.tasks(run.id)] == [
        ("greet", "Completed"),
        ("fail", "Failed"),
    ]


def test_a_backend_with_task_hooks_only_and_one_argument_hooks(
    target, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JOBSMITH_STORE", target.url)
    monkeypatch.setenv("JOBSMITH_SCHEMA", target.schema)
    seen: list[tuple[str, str, str | None]] = []

    class Minimal:  # the seed's prose: "passed to the before_task_execution() method"
        def before_task_execution(self, task_execution):
            seen.append(("before", task_execution.name, task_execution.status))

        def after_task_execution(self, task_execution):
            seen.append(("after", task_execution.name, task_execution.status))

    with jobsmith.go("hello", backend=Minimal()) as ctx:
        ctx.execute(lambda: None)
    assert seen == [("before", "<lambda>", "Running"), ("after", "<lambda>", "Completed")]
    assert [t.status for t in store.runs.tasks(ctx.run.id)] == ["Completed"]


@pytest.mark.parametrize(
    "backend",
    [42, object(), {"type": "sql server"}, ["sqlite:///x.db"]],
    ids=["int", "object", "dict", "list"],
)
def test_anything_else_as_a_backend_is_a_type_error_saying_what_is_expected(
    backend: object,
) -> None:
    with pytest.raises(TypeError) as raised:
        jobsmith.go("hello", backend=backend)  # type: ignore[arg-type]
    message = str(raised.value)
    assert "store URL" in message and "Store" in message
    assert "before_task_execution() and after_task_execution()" in message
    assert type(backend).__name__ in message


@pytest.mark.parametrize("name", [None, "", 7], ids=["None", "empty", "int"])
def test_go_without_a_job_name_is_a_clear_error(name: object) -> None:
    with pytest.raises(TypeError, match=r"job_name.* must be a non-empty string, got"):
        jobsmith.go(name)  # type: ignore[arg-type]
