"""Tasks the queue tests post and their workers (in-process or subprocesses) run.

Each task appends one line per event to a file (one O_APPEND write: lines from several
processes never interleave), so a test can count exactly what ran, where and how often.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import Literal

from jobsmith import Dependency, same, task


def mark(path: str, line: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.write(fd, f"{line}\n".encode())
    finally:
        os.close(fd)


def lines(path: str) -> list[str]:
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return f.read().splitlines()


@task(type_key="qt")
def record(path: str, n: int = 0) -> None:
    """Note that job n ran, and in which process."""
    mark(path, f"{n} {os.getpid()}")


@task(type_key="qt")
def sleepy(path: str, n: int = 0, seconds: float = 0.5) -> None:
    mark(path, f"start {n} {os.getpid()}")
    time.sleep(seconds)
    mark(path, f"end {n} {os.getpid()}")


@task(type_key="qt")
def relay(path: str, n: int, post_at: int = -1, seconds: float = 0.003) -> None:
    """A short job of a backlog; job ``post_at`` posts a high-priority job from its code
    (on the connection of the worker's slot that runs it)."""
    from jobsmith.queue import current_job, post

    mark(path, f"start {n} {os.getpid()}")
    time.sleep(seconds)
    job = current_job()
    if n == post_at and job is not None:
        post("qt.sleepy", {"path": path, "n": 1000, "seconds": 0.0}, priority=5, store=job.store)
        mark(path, "posted")


@task(type_key="qt", retries=2, retry_delay=0.05)
def flaky(path: str, fail_times: int) -> None:
    failures = len(lines(path))
    mark(path, "attempt")
    if failures < fail_times:
        raise RuntimeError(f"failure {failures + 1}")


@task(type_key="qt")
def boom(message: str = "boom", password: str = "") -> None:
    raise RuntimeError(message)


@task(type_key="qt", timeout=0.3)
def spin(path: str, seconds: float = 5.0) -> None:
    """Busy Python code that runs past its timeout."""
    mark(path, "start")
    end = time.time() + seconds
    while time.time() < end:
        pass
    mark(path, "end")


@task(type_key="qt")
def burn(path: str, seconds: float) -> None:
    """CPU-bound Python code (the heartbeat must keep beating meanwhile)."""
    end = time.time() + seconds
    total = 0
    while time.time() < end:
        total += sum(range(200))
    mark(path, f"done {os.getpid()}")


@task(type_key="qt", write_all=["color"])
def paint(path: str, color: ["red", "green", "blue"]) -> None:  # noqa: UP037, F821 (JobMaster options, not types)
    mark(path, color)


@task(type_key="qt")
def pick(size: Literal["S", "M", "L"], count: int = 1) -> None:
    """A select-from parameter spelled with Literal."""


@task(type_key="qt")
def make(path: str, item: str) -> None:
    mark(path, f"make {item}")


@task(type_key="qt", dependencies=Dependency(make, 1, item=same, path=same))
def use(path: str, item: str) -> None:
    mark(path, f"use {item}")


@task(type_key="qt")
def make_slowly(path: str, item: str) -> None:
    """A dependency that takes longer than a short job (its end is recorded at once)."""
    mark(path, f"make {item}")
    time.sleep(0.05)


@task(type_key="qt", dependencies=Dependency(make_slowly, 1, item=same, path=same))
def use_slowly(path: str, item: str) -> None:
    mark(path, f"use {item}")


@task(type_key="qt", dependencies=Dependency("qt.boom", 1, message="dependency broke"))
def after_boom(path: str) -> None:
    mark(path, "after boom")


@task(type_key="qt", process_units=6)
def heavy(path: str, n: int) -> None:
    mark(path, f"start {n} {time.time():.4f}")
    time.sleep(0.3)
    mark(path, f"end {n} {time.time():.4f}")


@task(type_key="qt")
def barrier(path: str, n: int, parties: int = 8, wait: float = 60.0) -> None:
    """Start, then wait until ``parties`` barrier jobs have started (they run at once) or
    fail after ``wait`` seconds."""
    mark(path, f"start {n} {os.getpid()}")
    deadline = time.time() + wait
    while sum(line.startswith("start") for line in lines(path)) < parties:
        if time.time() > deadline:
            raise RuntimeError(f"only some of {parties} barrier jobs ran at once")
        time.sleep(0.01)
    mark(path, f"end {n} {os.getpid()}")


@task(type_key="qt")
def slot_sleep(path: str, n: int = 0, seconds: float = 0.2) -> None:
    """Note which worker process and which slot (thread) ran job n, then sleep."""
    mark(path, f"start {n} {os.getpid()} {threading.get_ident()}")
    time.sleep(seconds)


@task(type_key="qt")
def quits(code: int = 3) -> None:
    """A job whose code ends the process the way a script would (``sys.exit``)."""
    sys.exit(code)
