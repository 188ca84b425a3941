"""Worker subprocesses for the reliability tests: real `jobsmith worker` processes."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tests.conftest import REPO, StoreTarget

TASKS = "tests.integration.queue_tasks"


def start_worker(target: StoreTarget, log: Path, *options: str) -> subprocess.Popen[bytes]:
    """`python -m jobsmith worker -m tests.integration.queue_tasks OPTIONS` on ``target``."""
    argv = [sys.executable, "-m", "jobsmith", "worker", "-m", TASKS, *options]
    with open(log, "ab") as out:
        return subprocess.Popen(argv, cwd=REPO, env=target.env(), stdout=out, stderr=out)


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.time() + timeout
    while not condition():
        if time.time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


def stop_all(processes: list[subprocess.Popen[bytes]]) -> None:
    """Kill whatever is still running (only the processes this test started)."""
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def run_burst_workers(
    target: StoreTarget, logs: Path, count: int, *options: str, timeout: float = 150
) -> None:
    """Start ``count`` burst workers together (logs ``w0.log``… in ``logs``) and wait until
    each has exited 0; whatever still runs when that fails is killed."""
    workers = [start_worker(target, logs / f"w{i}.log", "--burst", *options) for i in range(count)]
    try:
        for worker in workers:
            assert worker.wait(timeout) == 0
    finally:
        stop_all(workers)
