"""The job queue in the store: task definitions, jobs, attempts.

The contract (the same on both databases; every statement is a named query in
``queries/queue.sql`` with the same name and values on both):

- :meth:`JobRepository.insert` / :meth:`insert_many` queue jobs; a *unique* job
  identical (task and arguments) to one still waiting, running or parked is not queued
  again: the active one comes back with ``created=False``. Both join an outer
  ``connector.transaction()``, so a caller can post atomically with its own writes.
- :meth:`claim` takes jobs for an attempt: highest priority first, then oldest, only
  those that fit the host's free process units, one unless the worker measured the task
  to be short. Each attempt gets a fresh ``token`` and a lease; :meth:`renew` (the
  heartbeat), :meth:`end`, :meth:`release` and :meth:`park` act only while that token
  still names the job's current attempt.
- :meth:`expire` hands jobs whose lease ran out back to the queue (any live worker calls
  it; no sweeper to schedule).
- Wake-ups (a job posted, a cancel requested) come through ``store.wakeups``.

The parts, one concept each: :mod:`.records` (what is stored), :mod:`.posting`,
:mod:`.claiming`, :mod:`.finishing`, :mod:`.reading`.
"""

from __future__ import annotations

from jobsmith.store.base import Connector
from jobsmith.store.jobs.finishing import Finishing
from jobsmith.store.jobs.posting import Posting
from jobsmith.store.jobs.reading import Reading
from jobsmith.store.jobs.records import (
    ACTIVE,
    ENDED,
    Claimed,
    Ended,
    JobRecord,
    LostAttempt,
    NewJob,
    Outcome,
    Posted,
    canonical_json,
    epoch_datetime,
    transient_errors,
)
from jobsmith.store.runs import RunRepository

__all__ = [
    "ACTIVE",
    "ENDED",
    "Claimed",
    "Ended",
    "JobRecord",
    "JobRepository",
    "LostAttempt",
    "NewJob",
    "Outcome",
    "Posted",
    "canonical_json",
    "epoch_datetime",
    "transient_errors",
]


class JobRepository(Posting, Finishing, Reading):
    """Writes and reads the queue. Every method is one short transaction (or joins one)."""

    def __init__(self, connector: Connector, runs: RunRepository | None = None) -> None:
        super().__init__(connector)
        self.runs = runs if runs is not None else RunRepository(connector)
