"""`jobsmith scheduler --stop-after` starts and stops as the plain scheduler does: its log
file with [LOG] console = False, the SIGTERM handling, lines stamped by JOBSMITH_CLOCK
(issue 15)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.acceptance.test_schedule_cli import jobsmith, ok
from tests.conftest import StoreTarget


def quiet_home(tmp_path: Path, target: StoreTarget) -> Path:
    home = tmp_path / "home"
    ok(jobsmith(home, target, "create", "scheduler", "--name", "scheduler", "--description", "Scheduler"))  # fmt: skip
    assert "console = False" in (home / "config.ini").read_text()
    return home


def test_stop_after_writes_the_scheduler_log_stamped_by_the_clock(
    tmp_path: Path, target: StoreTarget
) -> None:
    target.open(deploy=True).close()
    home = quiet_home(tmp_path, target)
    clock = {"JOBSMITH_CLOCK": "2030-01-02T08:00:00"}
    ok(jobsmith(home, target, "scheduler", "--stop-after", "1s", env=clock))
    lines = (home / "logs" / "scheduler.log").read_text().splitlines()
    assert lines[0].startswith("2030-01-02 08:00:") and "|INFO|Scheduler started" in lines[0]
    assert lines[-1].startswith("2030-01-02 08:00:")
    assert lines[-1].endswith("|INFO|Scheduler stopped")


def test_sigterm_stops_a_scheduler_with_stop_after_cleanly(
    tmp_path: Path, sqlite_target: StoreTarget
) -> None:
    home = quiet_home(tmp_path, sqlite_target)
    env = {**sqlite_target.env(), "JOBSMITH_HOME": str(home)}
    process = subprocess.Popen(
        [sys.executable, "-m", "jobsmith", "scheduler", "--stop-after", "1h"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        log = home / "logs" / "scheduler.log"
        deadline = time.monotonic() + 60
        while "started" not in (log.read_text() if log.exists() else ""):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the scheduler did not start"
            time.sleep(0.1)
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, out + err
    text = log.read_text()
    assert "|INFO|Stopping: waiting for 0 running job(s)" in text
    assert text.rstrip().endswith("|INFO|Scheduler stopped")
    assert "Scheduler stopped" in err  # and on the console, as without --stop-after
