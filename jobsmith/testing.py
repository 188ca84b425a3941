"""A harness for testing your tasks: the real worker (and scheduler) code, in-process, on a
temporary store, with a clock you move by hand.

::

    from jobsmith.testing import harness

    def test_my_retry():
        with harness() as h:                     # a temporary SQLite store, a ManualClock
            job = h.post("billing.charge", {"order": 7})
            h.run_until_idle()                   # runs what is due now, one job at a time
            assert h.job(job.id).status == "waiting"      # failed once, retry in 60 s
            h.advance(minutes=1)
            h.run_until_idle()
            assert [r.status for r in h.attempts(job.id)] == ["Failed", "Completed"]

What follows the clock: retries with backoff, ``run_after``, timeouts and cancel graces
(checked whenever the clock moves, also from inside a running job), leases (a job of a
worker killed with :meth:`Harness.kill_worker` runs again once ``advance`` passes its
lease), unique keys' windows, retention, and schedules added with
:meth:`Harness.scheduler`. Jobs run in the calling thread, one at a time, in the queue's
order, so a test asserts on what ran and in which order, never on how long it took.

While a harness is open, jobsmith's own modules read the time from its clock (their
``time.time()``): open one harness at a time per process.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time as real_time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

from jobsmith.clock import ManualClock
from jobsmith.errors import JobsmithError
from jobsmith.queue.interrupt import JobCancelled, JobTimeout, WorkerDies
from jobsmith.queue.posting import PostedJob, post
from jobsmith.queue.registry import Registry, Task
from jobsmith.queue.registry import registry as default_registry
from jobsmith.queue.worker import Worker
from jobsmith.schedule.fires import Poster
from jobsmith.schedule.scheduler import Scheduler
from jobsmith.store import JobRunRecord, Store, open_store
from jobsmith.store.jobs import JobRecord, Outcome

__all__ = ["Harness", "WorkerKilled", "harness"]

MAX_ATTEMPTS = 100_000


class WorkerKilled(WorkerDies):  # like SIGKILL: nothing of the worker's runs after it
    """Raised by :meth:`Harness.kill_worker` inside a job: its worker dies on the spot."""


class _ClockTime(ModuleType):
    """The ``time`` module as jobsmith's modules see it under a harness: ``time()`` is the
    harness clock's; everything else is the real module's."""

    def __init__(self, clock: ManualClock) -> None:
        super().__init__("time")
        self._clock = clock

    def time(self) -> float:
        return self._clock.now().timestamp()

    def __getattr__(self, name: str) -> Any:
        return getattr(real_time, name)


class Harness:
    """See the module docstring. Build it with :func:`harness`."""

    def __init__(
        self,
        store: Store,
        clock: ManualClock,
        registry: Registry,
        *,
        lease: float = 30.0,
        cancel_grace: float = 3.0,
        environment: str = "test",
    ) -> None:
        self.store = store
        self.clock = clock
        self.registry = registry
        self.lease = lease
        self.cancel_grace = cancel_grace
        self.environment = environment
        self.schedulers: list[Scheduler] = []
        self.killed: list[str] = []
        self.worker = self._new_worker()

    # -- posting and running --------------------------------------------------------------
    def post(
        self, task: Task[Any, Any] | str, arguments: Mapping[str, Any] | None = None, **options: Any
    ) -> PostedJob:
        """Post a job to the harness's store (options as for :func:`jobsmith.post`)."""
        return post(task, arguments, store=self.store, registry=self.registry, **options)

    def run_until_idle(self, max_attempts: int = MAX_ATTEMPTS) -> int:
        """Tick the schedulers, hand back jobs whose lease ran out, and run every job that
        is due at the clock's time, one at a time, until none is; returns how many
        attempts ran. Jobs whose ``run_after`` is later wait for :meth:`advance`."""
        ran = 0
        pending: list[Outcome] = []
        while ran < max_attempts:
            self._tick_schedulers()
            self.worker._sweep()
            mark = self.worker.waker.mark()
            jobs = self.worker._next_batch(pending)
            if not jobs:
                break
            ran += len(jobs)
            try:
                self.worker._run_batch(jobs, pending, mark)
            except WorkerKilled:
                pending = []
                self.killed.append(self.worker.name)
                self.worker = self._new_worker()
        self.worker._flush(pending)
        return ran

    def advance(self, delta: timedelta | None = None, **parts: float) -> datetime:
        """Move the clock on (``advance(minutes=5)``, or a timedelta); then, as the worker's
        monitor would, renew the leases of a running job, and interrupt one past its
        timeout or its cancel grace. Returns the new time."""
        expected = "expected a timedelta and/or days=, hours=, minutes=, seconds= numbers"
        if delta is not None and not isinstance(delta, timedelta):  # advance("5m"), advance(5)
            raise JobsmithError(f"advance: {delta!r}: {expected}")
        try:
            step = (delta or timedelta()) + timedelta(**parts)
        except TypeError as exc:  # advance(minuts=5), advance(minutes="5")
            raise JobsmithError(f"advance: {exc}; {expected}") from None
        if step < timedelta():
            raise JobsmithError(f"advance: the clock only moves on, not back by {-step}")
        moved = self.clock.advance(step)
        self._monitor_step()
        return moved

    def kill_worker(self) -> None:
        """Kill the worker like SIGKILL: inside a job, the job stops here and its attempt
        is never recorded (it runs again once its lease runs out); outside, the worker is
        replaced. Either way the next :meth:`run_until_idle` uses a new worker."""
        if self.worker.interrupts.running():
            raise WorkerKilled(self.worker.name)
        self.killed.append(self.worker.name)
        self.worker = self._new_worker()

    def cancel(self, job_id: int) -> str:
        """Cancel a job (see :func:`jobsmith.cancel`); a running one sees the request at the
        next :meth:`advance`."""
        result = self.store.jobs.cancel(job_id)
        self._monitor_step()
        return result

    # -- schedules ------------------------------------------------------------------------
    def scheduler(self, home: str | os.PathLike[str], poster: Poster | None = None) -> Scheduler:
        """Follow the schedule of a home on the harness's clock and store; its due fires are
        handled at each :meth:`run_until_idle` (``mode = post`` posts them here). A folder
        that is not a scheduler's home is an error (a test would otherwise see no fires)."""
        folder = Path(home)
        if not (folder / "config.ini").is_file() and not (folder / "schedule.tsv").is_file():
            state = "has no config.ini or schedule.tsv" if folder.is_dir() else "does not exist"
            raise JobsmithError(
                f"h.scheduler: {str(folder)!r} is not a scheduler's home: it {state}"
            )
        found = Scheduler(home, store=self.store, clock=self.clock, poster=poster)
        self.schedulers.append(found)
        return found

    # -- what happened --------------------------------------------------------------------
    def job(self, job_id: int) -> JobRecord:
        return self.store.jobs.get(job_id)

    def jobs(self, task: str, status: str | None = None) -> list[JobRecord]:
        """The jobs of a task (``"type.task"``), oldest first."""
        type_key, _, task_key = task.partition(".")
        return sorted(self.store.jobs.of_task(type_key, task_key, status, 10_000), key=_id)

    def attempts(self, job_id: int) -> list[JobRunRecord]:
        """The run log's records of a job's attempts, oldest first."""
        return [self.store.runs.get(run) for run in self.store.jobs.attempts(job_id)]

    def runs(self, job_name: str | None = None) -> list[JobRunRecord]:
        """The run log, oldest first (of one job name, e.g. ``"type.task"``)."""
        return list(reversed(self.store.runs.recent(limit=MAX_ATTEMPTS, job_name=job_name)))

    # -- inside ---------------------------------------------------------------------------
    def _new_worker(self) -> Worker:
        worker = Worker(
            self.store,
            self.registry,
            lease=self.lease,
            cancel_grace=self.cancel_grace,
            max_batch=1,
            burst=True,
            environment=self.environment,
        )
        worker.who["pid"] = os.getpid()
        return worker

    def _monitor_step(self) -> None:
        worker = self.worker
        now = self.clock.now().timestamp()
        if worker.interrupts.running():
            worker._heartbeat()
        for job_id in worker.interrupts.overdue(now):
            worker.interrupts.interrupt(job_id, JobTimeout)
        for job_id in worker.interrupts.cancel_overdue(now):
            worker.interrupts.interrupt(job_id, JobCancelled)

    def _tick_schedulers(self) -> None:
        for scheduler in self.schedulers:
            scheduler.tick()
            scheduler.wait(60)

    def close(self) -> None:
        for scheduler in self.schedulers:
            scheduler.close()
        self.worker.executor.close()


def _id(record: JobRecord) -> int:
    return record.id


@contextmanager
def harness(
    registry: Registry | None = None,
    *,
    start: datetime | None = None,
    store: Store | None = None,
    lease: float = 30.0,
    cancel_grace: float = 3.0,
) -> Iterator[Harness]:
    """A :class:`Harness` on a temporary SQLite store (or ``store``) with a
    :class:`~jobsmith.clock.ManualClock` at ``start`` (default: now), serving the tasks of
    ``registry`` (default: every ``@task``)."""
    clock = ManualClock(start or datetime.now(UTC))
    with _temporary_store(store) as opened, _clock_time(clock):
        opened.controls.now = clock.now
        h = Harness(
            opened,
            clock,
            registry if registry is not None else default_registry,
            lease=lease,
            cancel_grace=cancel_grace,
        )
        try:
            yield h
        finally:
            h.close()


@contextmanager
def _temporary_store(store: Store | None) -> Iterator[Store]:
    if store is not None:
        yield store
        return
    with tempfile.TemporaryDirectory(prefix="jobsmith-harness-") as folder:
        opened = open_store(f"sqlite:///{Path(folder) / 'jobsmith.db'}", deploy=True)
        try:
            yield opened
        finally:
            opened.close()


@contextmanager
def _clock_time(clock: ManualClock) -> Iterator[None]:
    """jobsmith's modules read ``time.time()`` from ``clock`` until the block ends."""
    shim = _ClockTime(clock)
    patched = [
        module
        for name, module in list(sys.modules.items())
        if (name == "jobsmith" or name.startswith("jobsmith."))
        and getattr(module, "time", None) is real_time
    ]
    for module in patched:
        module.time = shim  # type: ignore[attr-defined]
    try:
        yield
    finally:
        for module in patched:
            module.time = real_time  # type: ignore[attr-defined]
