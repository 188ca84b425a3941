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
"""

from __future__ import annotations

from jobsmith.store import Store
from jobsmith.store.controls import RetryError


def cancel(job_id: int, *, store: Store | None = None) -> str:
    """Cancel a job: ``"cancelled"`` (it had not started), ``"requested"`` (it runs: its
    worker was asked to stop it) or ``"ended"`` (it had already ended)."""
    return _store(store).jobs.cancel(job_id)


def retry_job(store: Store, job_id: int) -> str:
    """Run a failed or cancelled job again as a new attempt; returns its status
    (``"waiting"``). :class:`RetryError` names the status of a job that cannot be
    retried."""
    return store.controls.retry(job_id)


def retry(job_id: int, *, store: Store | None = None) -> str:
    """:func:`retry_job` on the configured store (or ``store``)."""
    return retry_job(_store(store), job_id)


def _store(store: Store | None) -> Store:
    if store is not None:
        return store
    from jobsmith.config import load_config
    from jobsmith.execution import shared_store

    return shared_store(load_config())


__all__ = ["RetryError", "cancel", "retry", "retry_job"]
