"""Tables printed to a pipe or a file are whole lines, not cut or wrapped at 80 columns,
and `--plain` prints them tab-separated (issue 15: `jobsmith list jobs | grep 'Test Job'`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.acceptance.test_schedule_cli import jobsmith, ok
from tests.conftest import StoreTarget

DESCRIPTION = "Test Job that loads the nightly sales figures into the warehouse"


def piped(home: Path, target: StoreTarget, *args: str) -> str:
    env = {**target.env(), "JOBSMITH_HOME": str(home)}
    env.pop("COLUMNS", None)
    env.pop("JOBSMITH_PLAIN", None)
    result = subprocess.run([sys.executable, "-m", "jobsmith", *args], env=env, text=True,
                            capture_output=True, timeout=60)  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_list_jobs_through_a_pipe(tmp_path: Path, sqlite_target: StoreTarget) -> None:
    home = tmp_path / "home"
    ok(jobsmith(home, sqlite_target, "create", "scheduler", "--name", "s", "--description", "S"))
    ok(jobsmith(home, sqlite_target, "create", "job", "--no-input", "--name",
                "load_nightly_sales_figures", "--description", DESCRIPTION, "--hour", "8",
                "--minute", "0", "--second", "0", "--active"))  # fmt: skip
    file = str(home / "jobs" / "0" / "job.py")

    table = piped(home, sqlite_target, "list", "jobs")
    found = [line for line in table.splitlines() if "Test Job" in line]  # grep 'Test Job'
    assert len(found) == 1, table
    assert DESCRIPTION in found[0] and "load_nightly_sales_figures" in found[0]
    assert file in found[0] and len(found[0]) > 120

    plain = piped(home, sqlite_target, "--plain", "list", "jobs").splitlines()
    header = plain[0].split("\t")
    assert header[:5] == ["ID", "NAME", "DESCRIPTION", "ENVIRONMENT", "FILE"]
    assert header[-1] == "NEXT" and len(plain) == 2
    row = dict(zip(header, plain[1].split("\t"), strict=True))
    assert row["NAME"] == "load_nightly_sales_figures" and row["DESCRIPTION"] == DESCRIPTION
    assert row["FILE"] == file and row["HOUR"] == "8" and row["STATUS"] == "Y"
    assert "│" not in "\n".join(plain) and "━" not in "\n".join(plain)

    env_plain = subprocess.run(
        [sys.executable, "-m", "jobsmith", "schedule", "next", "0", "-n", "2"],
        env={**os.environ, **sqlite_target.env(), "JOBSMITH_HOME": str(home), "JOBSMITH_PLAIN": "1"},
        text=True, capture_output=True, timeout=60,
    )  # fmt: skip
    lines = env_plain.stdout.splitlines()
    assert lines[0] == "when\tjob\tschedule" and len(lines) == 3, (
        env_plain.stdout + env_plain.stderr
    )
    assert lines[1].split("\t")[1] == "job 0 (load_nightly_sales_figures)"
