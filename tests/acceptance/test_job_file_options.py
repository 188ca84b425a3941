"""`python jobs/0/job.py --help` shows the usage instead of running the job, and a bad
`-t` is one line, not a traceback (issue 15)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.acceptance.test_schedule_cli import jobsmith, ok
from tests.conftest import StoreTarget


def job_py(home: Path, target: StoreTarget, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**target.env()}
    env.pop("JOBSMITH_HOME", None)
    return subprocess.run([sys.executable, "jobs/0/job.py", *args], cwd=home, env=env, text=True,
                          capture_output=True, timeout=60)  # fmt: skip


def test_help_and_a_bad_trigger(tmp_path: Path, sqlite_target: StoreTarget) -> None:
    home = tmp_path / "home"
    ok(jobsmith(home, sqlite_target, "create", "scheduler", "--name", "s", "--description", "S"))
    ok(jobsmith(home, sqlite_target, "create", "job", "--name", "test", "--no-input"))
    with (home / "jobs" / "0" / "script.py").open("a") as script:
        script.write("print('Wake up, Neo...')\n")

    shown = job_py(home, sqlite_target, "--help")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("usage: job.py [-h] [-t TRIGGER] [PARAMETER ...]")
    assert "yyyy-mm-dd/hh24:mi:ss" in shown.stdout
    assert "Wake up" not in shown.stdout
    assert not (home / "jobs" / "0" / "logs").exists()  # nothing ran

    bad = job_py(home, sqlite_target, "-t", "garbage")
    assert bad.returncode != 0
    assert "Wake up" not in bad.stdout
    assert len(bad.stderr.strip().splitlines()) == 1, bad.stderr
    assert bad.stderr.startswith("job.py: error: -t/--trigger: ")
    assert "garbage" in bad.stderr

    missing = job_py(home, sqlite_target, "-t")
    assert missing.returncode == 2
    assert missing.stderr.strip().splitlines() == [
        "job.py: error: argument -t/-r/--trigger: expected one argument (see job.py --help)"
    ]

    ran = job_py(home, sqlite_target, "-t", "2019-01-01/08:00:00")
    assert ran.returncode == 0, ran.stderr
    assert "Wake up, Neo..." in ran.stdout
