"""A jobrunner-style flow factory for the flow-job tests (importable by workers)."""

from __future__ import annotations

from jobsmith.flow import LinearFlow, Task, Times
from tests.integration.queue_tasks import lines, mark


class Write(Task):
    def execute(self, path: str, message: str) -> None:
        mark(path, f"{self.name}: {message}")


class FailOnce(Task):
    def execute(self, path: str) -> None:
        if not any(line.startswith("failed once") for line in lines(path)):
            mark(path, "failed once")
            raise RuntimeError("first try fails")

    def revert(self, path: str, **kwargs: object) -> None:
        mark(path, "reverted")


def my_flow_factory(attempts: int) -> LinearFlow:
    flow = LinearFlow("flow_1", retry=Times(attempts))
    flow.add(Write("task_1"), FailOnce("task_2"), Write("task_3"))
    return flow
