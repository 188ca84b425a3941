"""The statuses jobsmith stores, typed: one place for every spelling.

- :class:`RunStatus`: a run in the run log (robojob's spelling, capitalised).
- :class:`JobState`: a job in the queue.
- :class:`FireState`: one time a schedule entry fired.

Each is a ``StrEnum``: members are the strings stored in the database and compare equal
to them, so rows read back as plain text compare with members directly.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ACTIVE_JOB_STATES", "ENDED_JOB_STATES", "FireState", "JobState", "RunStatus"]


class RunStatus(StrEnum):
    """A job run or task run in the run log."""

    RUNNING = "Running"
    COMPLETED = "Completed"
    FAILED = "Failed"
    SKIPPED = "Skipped"
    REVERTED = "Reverted"
    CANCELLED = "Cancelled"


class JobState(StrEnum):
    """A queued job: waiting to be claimed, running (an attempt holds a lease), parked on
    a dependency, or ended (completed, failed, cancelled)."""

    WAITING = "waiting"
    RUNNING = "running"
    PARKED = "parked"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


ACTIVE_JOB_STATES = (JobState.WAITING, JobState.RUNNING, JobState.PARKED)
ENDED_JOB_STATES = (JobState.COMPLETED, JobState.FAILED, JobState.CANCELLED)


class FireState(StrEnum):
    """One firing of a schedule entry, from claimed to ended."""

    QUEUED = "queued"
    BUFFERED = "buffered"
    STARTING = "starting"
    RUNNING = "running"
    RAN = "ran"
    SKIPPED = "skipped"
    MISSED = "missed"
    PAUSED = "paused"
    INTERRUPTED = "interrupted"
