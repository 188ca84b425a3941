"""`jobsmith deploy`, `jobsmith runs`, `jobsmith runs show` end to end, as a user types them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, StoreTarget

JOBSMITH = [sys.executable, "-m", "jobsmith.cli"]


def jobsmith(
    target: StoreTarget, *args: str, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*JOBSMITH, *args],
        env={**target.env(), "COLUMNS": "200"},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_help_lists_the_commands(sqlite_target: StoreTarget) -> None:
    done = jobsmith(sqlite_target, "--help")
    assert done.returncode == 0
    for command in ("deploy", "runs"):
        assert command in done.stdout


def test_deploy_is_safe_to_repeat(target: StoreTarget) -> None:
    first = jobsmith(target, "deploy")
    assert first.returncode == 0, first.stderr
    assert "applied migration 0001_runlog" in first.stdout
    again = jobsmith(target, "deploy")
    assert again.returncode == 0 and "already current" in again.stdout


def test_runs_and_runs_show(target: StoreTarget, tmp_path: Path) -> None:
    assert jobsmith(target, "deploy").returncode == 0
    empty = jobsmith(target, "runs")
    assert "No job runs yet." in empty.stdout
    script = REPO / "examples" / "robojob" / "failing_task.py"
    subprocess.run(
        [sys.executable, str(script)],
        env=target.env(),
        cwd=tmp_path,
        capture_output=True,
        timeout=60,
    )
    subprocess.run(
        [sys.executable, str(REPO / "examples" / "hello.py")],
        env=target.env(),
        cwd=tmp_path,
        capture_output=True,
        timeout=60,
        check=True,
    )
    listing = jobsmith(target, "runs")
    assert listing.returncode == 0, listing.stderr
    lines = [line for line in listing.stdout.splitlines() if "│" in line]
    assert "hello" in lines[0] and "Completed" in lines[0]
    assert "hello" in lines[1] and "Failed" in lines[1]
    failed_only = jobsmith(target, "runs", "--status", "Failed")
    assert "Completed" not in failed_only.stdout.split("┃ duration ┃")[-1]

    shown = jobsmith(target, "runs", "show", "latest")
    assert shown.returncode == 0, shown.stderr
    rows = [
        [cell.strip() for cell in line.split("│")[1:-1]]
        for line in shown.stdout.splitlines()
        if line.startswith("│")
    ]
    assert rows[0][:4] == ["1", "greet", "FunctionExecution", "Completed"]
    assert ["1", "greet", "name", "world"] in rows
    assert ["3", "report", "password", "***"] in rows
    assert "hunter2" not in shown.stdout

    failed = jobsmith(target, "runs", "show", "1")
    assert "division by zero" in failed.stdout


def test_unknown_run_and_bad_store_are_one_clear_line(target: StoreTarget) -> None:
    assert jobsmith(target, "deploy").returncode == 0
    missing = jobsmith(target, "runs", "show", "999")
    assert missing.returncode == 1
    assert "no job run with id 999" in missing.stderr and "Traceback" not in missing.stderr
    bad = subprocess.run(
        [*JOBSMITH, "--store", "mysql://nope", "runs"], capture_output=True, text=True, timeout=60
    )
    assert bad.returncode == 1 and "not understood" in bad.stderr and "Traceback" not in bad.stderr


@pytest.mark.postgres
def test_undeployed_postgres_tells_what_to_do(pg_target: StoreTarget) -> None:
    done = jobsmith(pg_target, "runs")
    message = " ".join(done.stderr.split())  # the console wraps long lines at its width
    assert done.returncode == 1 and "run `jobsmith deploy`" in message
