"""examples/task_kinds.py runs from its folder and leaves its tasks in the run log."""

from __future__ import annotations

import subprocess
import sys

from jobsmith.store import open_store
from tests.conftest import REPO, StoreTarget


def test_task_kinds_example(sqlite_target: StoreTarget) -> None:
    result = subprocess.run(
        [sys.executable, "task_kinds.py"],
        cwd=REPO / "examples",
        env={**sqlite_target.env(), "PYTHONUNBUFFERED": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "[INFO] greet.R | Hello, world!" in result.stderr
    assert "the command printed: arguments: ['world', 'plain']" in result.stdout
    assert "failed as expected, exit code 1: no data today" in result.stdout
    with open_store(sqlite_target.url) as store:
        [run] = store.runs.recent(1)
        tasks = store.runs.tasks(run.id)
    assert run.status == "Completed"
    assert [(t.kind, t.status) for t in tasks] == [
        ("RExecution", "Completed"),
        ("CommandExecution", "Completed"),
        ("CommandExecution", "Failed"),
    ]
    assert tasks[0].output == "Hello, world!"
