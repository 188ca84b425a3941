"""A 5-task flow for the crash tests: every execute and revert appends a line to a file,
and one step hangs the first time (so a test can kill the process right there).

``mode="execute"``: task_3 hangs on its first execution. ``mode="revert"``: task_5 fails,
and task_3's revert hangs the first time it runs. ``mode="cancel"``: task_3 hangs on its
first execution and task_2's revert the first time it runs (the job is cancelled).
``mode="retry"``: :func:`retry_flow`, whose second try hangs. Run as a script
(``python -m tests.integration.flow_crash URL SCHEMA PATH MODE``) it runs the flow
in-process under ``flow_id="in-process"``.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from jobsmith.flow.patterns import linear_flow
from jobsmith.flow.retry import Times
from jobsmith.flow.task import Task
from tests.integration.queue_tasks import lines, mark

HANG = 60.0


def hang() -> None:
    """Wait (in short sleeps, so a cancel can interrupt it) until the test kills us."""
    deadline = time.monotonic() + HANG
    while time.monotonic() < deadline:
        time.sleep(0.05)


class Step(Task):
    def __init__(self, name: str, hang: str, fail: bool = False) -> None:
        super().__init__(name, provides=f"{name}_result")
        self.hang, self.fail = hang, fail

    def execute(self, path: str) -> int:
        mark(path, f"execute {self.name} attempt {self.attempt}")
        if self.hang == "execute" and self.attempt == 1:
            hang()
        if self.fail:
            raise RuntimeError(f"{self.name} fails")
        return int(self.name[-1]) * 10

    def revert(self, path: str, result: Any, **kwargs: Any) -> None:
        first = not any(line.startswith(f"revert {self.name}") for line in lines(path))
        mark(path, f"revert {self.name} result {result if isinstance(result, int) else 'failure'}")
        if self.hang == "revert" and first:
            hang()


def crash_flow(mode: str) -> linear_flow.Flow:
    flow = linear_flow.Flow("crash_flow")
    for n in range(1, 6):
        flow.add(
            Step(
                f"task_{n}",
                hang={3: "execute" if mode == "cancel" else mode, 2: "revert"}.get(n, "")
                if mode == "cancel"
                else (mode if n == 3 else ""),
                fail=mode == "revert" and n == 5,
            )
        )
    return flow


class FailFirst(Task):
    """Fails the first time it runs (anywhere): the file remembers."""

    def execute(self, path: str) -> None:
        if "fail_first failed" not in lines(path):
            mark(path, "fail_first failed")
            raise RuntimeError("fails the first time")
        mark(path, "fail_first ok")


def flaky_flow() -> linear_flow.Flow:
    """task_1, then a task that fails the first time (no retry controller: the queue
    retries the whole job)."""
    return linear_flow.Flow("flaky_flow").add(Step("task_1", hang=""), FailFirst("fail_first"))


class Flaky(Task):
    """Always fails; its second try (of the flow's retry controller) hangs the first time."""

    def execute(self, path: str, try_no: int) -> None:
        first = f"flaky try {try_no}" not in lines(path)
        mark(path, f"flaky try {try_no}")
        if try_no == 2 and first:
            hang()
        raise RuntimeError(f"flaky fails in try {try_no}")


def retry_flow() -> linear_flow.Flow:
    """task_1, then a task that always fails, under ``Times(3)`` (the try number is stored
    as ``try_no``): the flow runs three times in all, then fails."""
    flow = linear_flow.Flow("retry_flow", retry=Times(3, provides="try_no"))
    return flow.add(Step("task_1", hang=""), Flaky("flaky"))


def flow_of(mode: str) -> linear_flow.Flow:
    return retry_flow() if mode == "retry" else crash_flow(mode)


if __name__ == "__main__":
    from jobsmith.flow import run
    from jobsmith.store import open_store

    url, schema, path, mode = sys.argv[1:5]
    with open_store(url, schema) as store:
        try:
            print(run(flow_of(mode), {"path": path}, run_log=store, flow_id="in-process"))
        except Exception as exc:
            print(f"failed: {exc}")
            sys.exit(3)
