"""Every example of seeds/robojob.md (but SQL Server's), with `import robojob` changed to
`import jobsmith`, run as a script on SQLite and on PostgreSQL; output and run log checked."""

from __future__ import annotations

import functools
import http.server
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from jobsmith.store import JobRunRecord, Store
from tests.conftest import REPO, StoreTarget

EXAMPLES = REPO / "examples" / "robojob"


@pytest.fixture
def run(target: StoreTarget, store: Store, tmp_path: Path):
    """Run an example from a scratch copy of examples/robojob; returns the finished process."""
    shutil.copytree(EXAMPLES, tmp_path / "robojob")

    def run_example(name: str, **env: str) -> subprocess.CompletedProcess[str]:
        script = tmp_path / "robojob" / name
        return subprocess.run(
            [sys.executable, script.name],
            cwd=script.parent,
            env={**target.env(), **env},
            capture_output=True,
            text=True,
            timeout=60,
        )

    return run_example


def newest(store: Store) -> JobRunRecord:
    return store.runs.recent(1)[0]


def test_hello_world(run, store: Store) -> None:
    done = run("hello.py")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Hello, world!\n"
    lines = done.stderr.splitlines()
    assert re.fullmatch(r"\[INFO\] Job starting: <JobExecution: [0-9a-f-]{36}>", lines[0])
    assert re.fullmatch(
        r"\[INFO\] Task starting: <FunctionExecution: [0-9a-f-]{36} \(greet\)>", lines[1]
    )
    assert lines[2] == "[INFO] Task completed with status Completed"
    assert re.fullmatch(r"\[INFO\] Running time: \d:\d\d:\d\d(\.\d+)?", lines[3])
    assert lines[4] == "[INFO] Job completed with status Completed"
    assert lines[5].startswith("[INFO] Running time: ")
    job = newest(store)
    assert (job.job_name, job.status, job.error) == ("hello", "Completed", None)
    [task] = store.runs.tasks(job.id)
    assert (task.name, task.kind, task.status, task.parameters) == (
        "greet",
        "FunctionExecution",
        "Completed",
        (("name", "world"),),
    )


def test_missing_parameter_fails_the_job_and_is_reraised(run, store: Store) -> None:
    done = run("missing_parameter.py")
    assert done.returncode == 1
    assert "[ERROR] Job failed: The parameter 'name' is not defined" in done.stderr
    assert "[INFO] Job completed with status Failed" in done.stderr
    assert "MissingParameterError" in done.stderr  # the traceback of the re-raised error
    assert "Task starting" not in done.stderr, "binding fails before the task starts"
    job = newest(store)
    assert job.status == "Failed" and "'name' is not defined" in (job.error or "")
    assert store.runs.tasks(job.id) == []


def test_failing_task_fails_task_and_job(run, store: Store) -> None:
    done = run("failing_task.py")
    assert done.returncode == 1
    log = [line for line in done.stderr.splitlines() if line.startswith("[")]
    assert log[2:5] == [
        "[ERROR] Task failed: division by zero",
        "[INFO] Task completed with status Failed",
        log[4],
    ] and log[4].startswith("[INFO] Running time:")
    assert log[5:7] == [
        "[ERROR] Job failed: division by zero",
        "[INFO] Job completed with status Failed",
    ]
    assert done.stderr.rstrip().endswith("ZeroDivisionError: division by zero")
    job = newest(store)
    assert (job.status, job.error) == ("Failed", "division by zero")
    [task] = store.runs.tasks(job.id)
    assert (task.status, task.error) == ("Failed", "division by zero")


def test_error_handler_runs_only_on_failure(run, store: Store) -> None:
    done = run("error_handler.py")
    assert done.returncode == 1
    assert done.stdout == "Job failed\n"
    job = newest(store)
    assert [(t.name, t.status) for t in store.runs.tasks(job.id)] == [
        ("fail", "Failed"),
        ("handle_error", "Completed"),
    ]
    ok = run("hello.py")
    assert ok.returncode == 0 and "Job failed" not in ok.stdout


def test_parameters_from_the_job(run) -> None:
    done = run("job_parameters.py")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Hello, world!\nHello, world!\n"
    assert "[DEBUG] Setting parameter name = 'world'" in done.stderr


def test_parameters_from_the_config_file(run) -> None:
    done = run("config_file/hello.py")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Hello, world!\n"


def test_builtin_parameters_are_bound_and_read_only(run, store: Store) -> None:
    done = run("builtin_parameters.py")
    assert done.returncode == 0, done.stderr
    job = newest(store)
    assert done.stdout == f"Hello from job {job.guid}, world!\n"
    assert "built in and cannot be overwritten" in done.stderr


def test_fuzzy_names(run) -> None:
    done = run("fuzzy_names.py")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "test\ntest\ntest\n"


def test_context_passed_to_a_task(run) -> None:
    done = run("context_as_parameter.py")
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(r"\d{4}-\d\d-\d\d\n", done.stdout)
    assert "[DEBUG] Setting parameter today = datetime.date(" in done.stderr


@pytest.fixture
def web_server(tmp_path: Path) -> Iterator[str]:
    folder = tmp_path / "web"
    folder.mkdir()
    (folder / "comic.png").write_bytes(b"\x89PNG not really")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.RequestHandlerClass.log_message = lambda *a: None  # type: ignore[method-assign]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/comic.png"
    server.shutdown()
    server.server_close()


def test_custom_task_execution(run, store: Store, web_server: str, tmp_path: Path) -> None:
    done = run("custom_task.py", XKCD_URL=web_server)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "robojob" / "exploits_of_a_mom.png").read_bytes() == b"\x89PNG not really"
    assert re.search(r"Task starting: <WebTask: [0-9a-f-]{36} \(XKCD\)>", done.stderr)
    [task] = store.runs.tasks(newest(store).id)
    assert (task.kind, task.name) == ("WebTask", "XKCD")
    assert dict(task.parameters) == {"url": web_server, "filename": "exploits_of_a_mom.png"}


def test_leaving_early(run, store: Store) -> None:
    done = run("leaving_early.py")
    assert done.returncode == 0, done.stderr
    assert "[INFO] Job completed with status Skipped" in done.stderr
    assert newest(store).status == "Skipped"


def test_large_job_tasks_see_the_job_name(run) -> None:
    done = run("large_job.py")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Job 1 doing task A\nJob 1 doing task B\n"


def test_custom_backend_and_exit_from_a_task(run, store: Store) -> None:
    done = run("custom_backend.py")
    assert done.returncode == 0, done.stderr
    guid = newest(store).guid
    assert done.stdout == (
        "job hello starting\n"
        "task greet starting with {'name': 'world'}\n"
        "Hello, world!\n"
        "task greet ended: Completed\n"
        f"task check_inbox starting with {{'ctx': <JobExecution: {guid}>}}\n"
        "task check_inbox ended: Skipped\n"
        "job hello ended: Skipped\n"
    )
    assert done.stderr == ""
    job = newest(store)
    assert job.status == "Skipped"
    assert [(t.name, t.status) for t in store.runs.tasks(job.id)] == [
        ("greet", "Completed"),
        ("check_inbox", "Skipped"),
    ]
