"""Steering jobs that are queued or ended: run a failed job again.

(Minimal version for the dashboard; the queue-controls work extends this module.)
"""

from __future__ import annotations

from jobsmith.errors import JobsmithError
from jobsmith.store import Store


class ControlError(JobsmithError):
    """A job cannot be steered that way in its current state."""


def retry_job(store: Store, job_id: int) -> int:
    """Run a failed (or cancelled) job again: it waits in the queue as if new and a
    worker claims it; its earlier attempts stay in the run log. Returns the job id.
    Raises :class:`~jobsmith.errors.NotFoundError` for an unknown id and
    :class:`ControlError` when the job has not ended that way or an identical job is active."""
    try:
        twin = store.jobs.retry(job_id)
    except ValueError as exc:
        raise ControlError(
            f"job {job_id} is {exc}: only a failed or cancelled job can run again"
        ) from None
    if twin is not None:
        raise ControlError(
            f"job {job_id} cannot run again while the identical job {twin} is active"
        )
    return job_id
