"""Tasks the queue-control tests post (type key ``ct``). Each notes what it did in a file
(one O_APPEND write per line), so a test can see exactly what ran."""

from __future__ import annotations

import asyncio
import os
import time
from datetime import timedelta

from jobsmith import task
from jobsmith.queue import current_job
from tests.integration.queue_tasks import lines, mark

__all__ = ["lines", "mark"]


@task(type_key="ct", unique_key="report-{day}", unique_for=timedelta(hours=1))
def report(path: str, day: str) -> None:
    """One report per day and hour."""
    mark(path, f"report {day}")


@task(type_key="ct")
def note(path: str, word: str = "") -> None:
    mark(path, f"note {word}")


@task(type_key="ct", retries=0)
def fail_once(path: str) -> None:
    """Fails the first time it runs, succeeds after."""
    mark(path, "attempt")
    if len(lines(path)) == 1:
        raise RuntimeError("first attempt fails")


@task(type_key="ct")
def polite(path: str, seconds: float = 30.0) -> None:
    """Stops as soon as it sees its cancel request."""
    mark(path, "start")
    end = time.monotonic() + seconds
    job = current_job()
    while time.monotonic() < end:
        if job is not None and job.cancelled:
            mark(path, "saw cancel")
            return
        time.sleep(0.02)
    mark(path, "end")


@task(type_key="ct")
def stubborn(path: str, seconds: float = 30.0) -> None:
    """Ignores cancel requests (it is interrupted after the grace period)."""
    mark(path, "start")
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        time.sleep(0.02)
    mark(path, "end")


@task(type_key="ct")
async def fetch(path: str, word: str) -> str:
    """An async task."""
    await asyncio.sleep(0.01)
    mark(path, f"async {word} {os.getpid()}")
    return word


@task(type_key="ct", timeout=0.5)
async def slow_async(path: str) -> None:
    """Awaits past its timeout."""
    mark(path, "start")
    try:
        await asyncio.sleep(30)
    except asyncio.CancelledError:
        mark(path, "cancelled")
        raise
    mark(path, "end")


@task(type_key="ct")
async def async_job_id(path: str) -> None:
    """Notes the job it runs in (current_job() works in async code)."""
    job = current_job()
    mark(path, f"job {job.id if job else None}")


@task(type_key="ct")
async def async_waits(path: str) -> None:
    """Awaits until its cancel request, checking the flag."""
    mark(path, "start")
    job = current_job()
    while job is not None and not job.cancelled:
        await asyncio.sleep(0.02)
    mark(path, "saw cancel")


@task(type_key="ct", limit_key="tenant", max_running=2)
def tenant_job(path: str, tenant: str, n: int = 0, seconds: float = 0.3) -> None:
    """Notes how many jobs of its key run as it starts (itself included)."""
    job = current_job()
    held = 0
    if job is not None:
        held = sum(s.limit_key == f"tenant={tenant}" for s in job.store.controls.slots())
    mark(path, f"start {tenant} {n} {held}")
    time.sleep(seconds)
    mark(path, f"end {tenant} {n}")


@task(type_key="ct", limit_key="tenant", max_running=1)
def solo(path: str, tenant: str, n: int = 0, seconds: float = 0.0) -> None:
    """One at a time per tenant."""
    mark(path, f"start {n} {os.getpid()}")
    time.sleep(seconds)
    mark(path, f"end {n} {os.getpid()}")


@task(type_key="ct", limit_key="tenant", rate_limit="2/h")
def paced(path: str, tenant: str, n: int = 0) -> None:
    """At most two starts an hour per tenant."""
    mark(path, f"paced {tenant} {n}")


@task(type_key="ct", limit_key="tenant", rate_limit="2/2s")
def brisk(path: str, tenant: str, n: int = 0) -> None:
    """At most two starts in two seconds per tenant."""
    mark(path, f"brisk {tenant} {n}")
