"""Tasks the dashboard tests post; workers import this module (``-m``)."""

from __future__ import annotations

from typing import Literal

from jobsmith import task
from tests.integration.queue_tasks import mark


@task(type_key="dash")
def greet(path: str, times: int = 1, colour: Literal["red", "blue"] = "red") -> None:
    """Note a greeting in a file."""
    mark(path, f"greet {times} {colour}")


@task(type_key="dash")
def fail_unless(path: str, marker: str) -> None:
    """Fail unless the marker file exists (a test creates it before running it again)."""
    import os

    mark(path, "attempt")
    if not os.path.exists(marker):
        raise RuntimeError(f"no marker file {marker}")
