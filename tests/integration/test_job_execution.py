"""go() and JobExecution: every call of robojob's API, recorded in the run log of both stores."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

import jobsmith
from jobsmith import JobExecution, MissingParameterError, Store, TaskExecution
from jobsmith.config import Config


def job(store: Store, name: str = "job", **kwargs) -> JobExecution:
    return JobExecution(name, Config(), backend=store, **kwargs)


def test_builtins_are_bound_and_the_run_is_logged(store: Store) -> None:
    seen = {}

    def task(job_execution_guid, job_execution_id, job_name, environment_name, status):
        seen.update(locals())

    with job(store, "nightly", environment_name="prod") as ctx:
        ctx.execute(task)
    run = store.runs.get(seen["job_execution_id"])
    assert isinstance(seen["job_execution_id"], int)
    assert seen["job_execution_guid"] == run.guid
    assert (seen["job_name"], seen["environment_name"], seen["status"]) == (
        "nightly",
        "prod",
        "Running",
    )
    assert (run.job_name, run.environment, run.status) == ("nightly", "prod", "Completed")


def test_get_contains_and_defaults(store: Store) -> None:
    with job(store, parameters={"Name": "world"}) as ctx:
        assert ctx["name"] == "world" and "NAME" in ctx and "other" not in ctx
        assert ctx.get("other") is None
        assert ctx.get("other", default="d") == "d"
        assert ctx.get("name", default="d") == "world"
        with pytest.raises(KeyError):
            ctx["other"]


def test_execute_returns_the_result_and_locals_win(store: Store) -> None:
    with job(store, parameters={"x": 1}) as ctx:
        assert ctx.execute(lambda x: x * 10) == 10
        assert ctx.execute(lambda x: x * 10, x=5) == 50
        assert ctx["x"] == 1


def test_parameters_named_like_builtins_in_go_are_ignored(store: Store, caplog) -> None:
    with (
        caplog.at_level(logging.WARNING),
        job(store, "real", parameters={"job name": "fake"}) as ctx,
    ):
        assert ctx["job_name"] == "real"
    assert "cannot be overwritten" in caplog.text


@pytest.mark.parametrize("bad", [[1, 2], ["ab", "cd"], "day=mon"])
def test_parameters_that_are_not_a_mapping_are_refused_by_name(
    store: Store, tmp_path: Path, bad: object
) -> None:
    # [1, 2] was a bare TypeError from dict(); ["ab", "cd"] silently became {"a": "b", ...}
    expected = (
        "parameters must be a mapping of names to values (e.g. {'day': 'mon'}), "
        f"got {type(bad).__name__} {bad!r}"
    )
    with pytest.raises(TypeError) as caught:
        jobsmith.go("j", backend=store, parameters=bad)  # type: ignore[arg-type]
    assert str(caught.value) == expected
    url = f"sqlite:///{tmp_path / 'never.db'}"
    with pytest.raises(TypeError) as caught:
        jobsmith.go("j", backend=url, parameters=bad)  # type: ignore[arg-type]
    assert str(caught.value) == expected
    assert not (tmp_path / "never.db").exists()  # refused before a store is opened
    with pytest.raises(TypeError, match=r"^parameters: a name must be a non-empty string, got 1$"):
        JobExecution("j", backend=store, parameters={1: 2})  # type: ignore[dict-item]


def test_secret_values_are_masked_in_the_run_log_and_logs(store: Store, caplog) -> None:
    def connect(password, connection_string):
        return None

    with caplog.at_level(logging.DEBUG), job(store) as ctx:
        ctx["password"] = "hunter2"
        ctx["connection string"] = "Server=db;Uid=me;Pwd=hunter2;"
        ctx.execute(connect)
    assert "hunter2" not in caplog.text
    [task] = store.runs.tasks(ctx.run.id)
    assert dict(task.parameters) == {
        "password": "***",
        "connection_string": "Server=db;Uid=me;Pwd=***;",
    }


def test_exit_sets_the_status_and_stops_the_block(store: Store) -> None:
    reached = []
    with job(store) as ctx:
        ctx.exit("Skipped")
        reached.append(True)
    assert reached == []
    assert store.runs.get(ctx.run.id).status == "Skipped"
    with job(store) as ctx:
        ctx.exit()
    assert store.runs.get(ctx.run.id).status == "Completed"


def test_exit_is_not_caught_by_except_exception(store: Store) -> None:
    with job(store) as ctx:
        try:
            ctx.exit("Skipped")
        except Exception:  # the user's broad handler must not swallow the exit
            pytest.fail("exit() was caught as an Exception")
    assert store.runs.get(ctx.run.id).status == "Skipped"


def test_failure_runs_handlers_with_the_error_and_reraises(store: Store) -> None:
    handled = []

    def boom():
        raise ValueError("bad input file")

    def broken_handler():
        raise RuntimeError("handler broke")

    with pytest.raises(ValueError, match="bad input file"), job(store) as ctx:
        ctx.add_error_handler(lambda error_message, status: handled.append((error_message, status)))
        ctx.on_error = broken_handler
        ctx.execute(boom)
    assert handled == [("bad input file", "Failed")]
    run = store.runs.get(ctx.run.id)
    assert (run.status, run.error) == ("Failed", "bad input file")
    assert [(t.name, t.status) for t in store.runs.tasks(run.id)] == [
        ("boom", "Failed"),
        ("<lambda>", "Completed"),
        ("broken_handler", "Failed"),
    ]


def test_handlers_do_not_run_on_success(store: Store) -> None:
    handled = []
    with job(store) as ctx:
        ctx.add_error_handler(lambda: handled.append(1))
    assert handled == []


def test_an_error_outside_tasks_fails_the_job(store: Store) -> None:
    with pytest.raises(MissingParameterError), job(store) as ctx:
        ctx["nothing here"]
    assert store.runs.get(ctx.run.id).status == "Failed"


class Upper(TaskExecution):
    def bind_parameters(self, context_parameters):
        self.bind_names(context_parameters, "text")

    def execute(self):
        return self.parameters["text"].upper()


def test_custom_task_with_local_parameters(store: Store) -> None:
    with job(store) as ctx:
        task = Upper("shout")
        assert ctx.process_task_execution(task, local_parameters={"TEXT": "hi"}) == "HI"
    assert (task.status, task.result) == ("Completed", "HI")
    assert task.started_on is not None and task.completed_on >= task.started_on
    [record] = store.runs.tasks(ctx.run.id)
    assert (record.kind, record.name, dict(record.parameters)) == ("Upper", "shout", {"text": "hi"})


def test_custom_task_missing_parameter_is_a_keyerror_naming_it(store: Store) -> None:
    with pytest.raises(KeyError, match="'text' is not defined"), job(store) as ctx:
        ctx.process_task_execution(Upper("shout"))


def test_export_and_add_path_reach_subprocesses_only(store: Store, tmp_path: Path) -> None:
    tool = tmp_path / "bin"
    tool.mkdir()
    with job(store, path=[str(tool)], parameters={"region": "eu"}) as ctx:
        ctx.export("region")
        ctx.add_path("/opt/extra")
        env = ctx.subprocess_environment()
    assert env["region"] == "eu"
    assert env["PATH"].split(os.pathsep)[-2:] == [str(tool), "/opt/extra"]
    assert "region" not in os.environ and "/opt/extra" not in os.environ["PATH"]
    out = subprocess.run(
        [sys.executable, "-c", "import os; print(os.environ['region'])"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout == "eu\n"


def test_tasks_outside_the_block_are_refused(store: Store) -> None:
    ctx = job(store)
    with pytest.raises(RuntimeError, match=r"inside `with jobsmith\.go"):
        ctx.execute(print)


def test_go_reads_config_and_backend_url(target, tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "jobs.yml").write_text(
        "environment: staging\nparameters:\n  name: from-config\npath: /opt/tools\n"
    )
    monkeypatch.setenv("JOBSMITH_SCHEMA", target.schema)
    monkeypatch.setenv("JOBSMITH_PARAM_REGION", "eu")
    store = target.open(deploy=True)
    with jobsmith.go("configured", config_path=tmp_path / "jobs.yml", backend=target.url) as ctx:
        assert (ctx["name"], ctx["environment_name"], ctx["region"]) == (
            "from-config",
            "staging",
            "eu",
        )
        assert "/opt/tools" in ctx.paths
    with jobsmith.go(
        "configured", config_path=tmp_path / "jobs.yml", environment_name="dev", backend=target.url
    ) as ctx2:
        pass
    assert store.runs.get(ctx.run.id).environment == "staging"
    assert store.runs.get(ctx2.run.id).environment == "dev"
    store.close()
