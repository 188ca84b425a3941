"""Controls over posted jobs: cancel, retry (and the other queue controls' entry points).

::

    job = report.post(day="mon")
    job.cancel()                  # or jobsmith.cancel(job.id), `jobsmith cancel ID`
    job.retry()                   # a failed or cancelled job runs again: `jobsmith retry ID`

A cancel is stored with the job, so it holds across restarts of workers and of the
database: a waiting, parked or retrying job is cancelled at once; a running one is asked
to stop (``jobsmith.current_job().cancelled``) and interrupted after its worker's
``cancel_grace``. A retry puts the job back to waiting as a new attempt; its earlier
attempts stay in the run log.

Retention: :func:`prune` (``jobsmith prune --older-than 30d``, and every worker started
with ``retention=``) deletes finished jobs and run-log rows older than an age, in small
batches, keeping completed jobs that a registered task's dependency still counts as fresh.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta

from jobsmith.errors import JobsmithError
from jobsmith.queue.posted import given_or_configured
from jobsmith.queue.registry import Registry
from jobsmith.queue.registry import registry as default_registry
from jobsmith.store import Store
from jobsmith.store.controls import Pruned, RetryError

log = logging.getLogger("jobsmith.retention")

_AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def cancel(job_id: int, *, store: Store | None = None) -> str:
    """Cancel a job: ``"cancelled"`` (it had not started), ``"requested"`` (it runs: its
    worker was asked to stop it) or ``"ended"`` (it had already ended)."""
    with given_or_configured(store) as target:
        return target.jobs.cancel(job_id)


def retry_job(store: Store, job_id: int) -> str:
    """Run a failed or cancelled job again as a new attempt; returns its status
    (``"waiting"``). :class:`RetryError` names the status of a job that cannot be
    retried."""
    return store.controls.retry(job_id)


def retry(job_id: int, *, store: Store | None = None) -> str:
    """:func:`retry_job` on the configured store (or ``store``)."""
    with given_or_configured(store) as target:
        return retry_job(target, job_id)


MAX_AGE_DAYS = 365_000
"""The oldest age an age may name (about 1,000 years): older cutoffs are before what a
datetime can hold once a clock subtracts them."""


def parse_age(text: str | float | timedelta, what: str = "--older-than") -> float:
    """An age in seconds from ``30d``, ``12h``, ``90m``, ``45s``, ``2w``, a number of
    seconds, or a timedelta, from 0 to :data:`MAX_AGE_DAYS`; a one-line error naming
    ``what`` otherwise (every age, of ``prune`` and of a worker's retention, is read here)."""
    if isinstance(text, timedelta):
        seconds = text.total_seconds()
    elif isinstance(text, int | float) and not isinstance(text, bool):
        seconds = float(text)
    elif isinstance(text, str) and (match := _AGE.match(text)) is not None:
        seconds = float(match.group(1)) * _UNIT[match.group(2)]
    else:
        raise JobsmithError(
            f"{what} {text!r}: expected a number and a unit (s, m, h, d, w), e.g. 30d or 12h"
        )
    if not 0 <= seconds <= MAX_AGE_DAYS * 86400:  # NaN fails too
        raise JobsmithError(f"{what} {text!r}: expected an age from 0s to {MAX_AGE_DAYS}d")
    return seconds


def dependency_windows(
    registry: Registry | None = None, *, any_end: bool = False
) -> dict[str, float]:
    """Seconds within which each task's completed jobs still satisfy some dependency of
    a registered task (the longest window per task); ``any_end``: the jobs ended in any
    way that satisfy a dependency with ``on_failure="continue"``."""
    windows: dict[str, float] = {}
    for task in registry if registry is not None else default_registry:
        for dependency in task.dependencies:
            if any_end and dependency.on_failure != "continue":
                continue
            seconds = dependency.hours * 3600
            windows[dependency.name] = max(windows.get(dependency.name, 0.0), seconds)
    return windows


def prune(
    store: Store,
    older_than: str | float | timedelta,
    *,
    registry: Registry | None = None,
    batch: int = 500,
    max_batches: int | None = None,
) -> Pruned:
    """Delete finished jobs and run-log rows older than ``older_than`` (``"30d"``, seconds
    or a timedelta) in batches, keeping completed jobs a registered dependency still
    counts; logs and returns the counts."""
    age = parse_age(older_than)
    found = store.controls.prune(
        age,
        keep=dependency_windows(registry),
        keep_any=dependency_windows(registry, any_end=True),
        batch=batch,
        max_batches=max_batches,
    )
    if found.jobs or found.runs:
        log.info(
            "Pruned %d finished job(s) and %d run-log job run(s) older than %s",
            found.jobs,
            found.runs,
            timedelta(seconds=age),
        )
    return found


__all__ = [
    "MAX_AGE_DAYS",
    "Pruned",
    "RetryError",
    "cancel",
    "dependency_windows",
    "parse_age",
    "prune",
    "retry",
    "retry_job",
]
