"""Posting mode: the scheduler posts each due fire to the queue; any worker runs it.

With ``mode = post`` a scheduler claims a due fire and posts a job of the built-in task
``jobsmith.scheduled_run`` in one transaction (:class:`QueuePoster`, called by
:class:`~jobsmith.schedule.fires.FireClaimer`): the fire exists with its job, or
neither does. Every worker serves the task (``jobsmith worker``). It runs the entry
through the scheduler's own :class:`~jobsmith.schedule.execute.EntryRunner`, so the run
writes the same log file, run-log record, trigger and alarm as a run by the scheduler.

The job carries the home's folder, the fire's id, the trigger and the entry's cells as
the scheduler saw them. The fire goes *queued* → *running* (with its run id) when a
worker starts it → *ran* (or *interrupted*). The queue delivers at least once: a job whose
worker died runs again; it then ends the run left behind as failed and runs the entry
again, unless the fire had already ended (the worker died after recording the run).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from jobsmith.errors import ScheduleError
from jobsmith.outbox import Outbox
from jobsmith.queue.builtins import builtins
from jobsmith.queue.execute import current_job
from jobsmith.queue.interrupt import WorkerStopping
from jobsmith.queue.posting import post
from jobsmith.runlog import Status
from jobsmith.states import FireState
from jobsmith.store import utcnow

if TYPE_CHECKING:
    from jobsmith.schedule.entries import Entry
    from jobsmith.schedule.home import Home
    from jobsmith.store import FireRecord, Store

__all__ = ["SCHEDULED_RUN", "QueuePoster", "scheduled_run", "serve_home", "worker_home"]

log = logging.getLogger(__name__)

SCHEDULED_RUN = "jobsmith.scheduled_run"
"""The built-in task that runs a posted fire."""
UNFINISHED = (FireState.QUEUED, FireState.RUNNING)


@builtins.task(type_key="jobsmith", task_key="scheduled_run")
def scheduled_run(home: str, schedule: str, fire: int, trigger: str, entry: dict[str, str]) -> None:
    """Run one fire of a schedule entry, posted by a scheduler with ``mode = post``."""
    where = worker_home(home, schedule)
    job = current_job()
    if job is not None:
        _run_fire(where, job.store, fire, trigger, entry, job.attempt)
        return
    store = _home_store(where)  # called outside a worker (a test, a script)
    try:
        _run_fire(where, store, fire, trigger, entry, None)
    finally:
        store.close()


def _run_fire(
    home: Home, store: Store, fire: int, trigger: str, cells: dict[str, str], attempt: int | None
) -> None:
    from jobsmith.schedule.entries import entry_from_cells
    from jobsmith.schedule.execute import EntryRunner, trigger_text

    schedule = home.settings.name
    record = store.schedules.get(fire)
    if record is None:
        raise ScheduleError(f"fire {fire} of schedule {schedule!r} is not in the store")
    if record.state not in UNFINISHED:
        log.info("Fire %d of %s already %s: not run again", fire, record.entry_name, record.state)
        return
    if record.state == FireState.RUNNING:
        _end_run_left_behind(store, record, attempt)
    planned = datetime.fromisoformat(trigger)
    entry = entry_from_cells(cells, f"fire {fire} of schedule {schedule!r}", home.settings.timezone)
    try:
        # The alarm is sent off the worker's slot; its thread ends once it is sent.
        runner = EntryRunner(home, store, home.clock(), Outbox("scheduled-run-alarms"))
        outcome = runner.run(entry, planned, fire_id=fire, detach=True)
    except WorkerStopping:
        note = "the worker stopped during the run: queued again"
        store.schedules.update(fire, FireState.QUEUED, note=note)
        raise
    if not outcome.ok:
        raise ScheduleError(
            f"{entry.label} for {trigger_text(planned, home)}: {outcome.error} "
            f"(run {outcome.run_id}, {outcome.log_path})"
        )


_served: dict[str, Home] = {}


def serve_home(home: Home) -> None:
    """Run the fires of ``home``'s schedule that reach this process from this copy of the
    home (``jobsmith worker --home DIR``: the folder may lie elsewhere on this machine than
    on the scheduler's)."""
    if home.ini_path.is_file() or home.schedule_path.is_file():
        _served[home.settings.name] = home


def worker_home(posted: str, schedule: str) -> Home:
    """The home to run a posted fire in: the one this process serves for that schedule
    (:func:`serve_home`), else the folder the scheduler posted from."""
    from jobsmith.schedule.home import Home

    return _served.get(schedule) or Home.load(posted)


def _home_store(home: Home) -> Store:
    from jobsmith.store import open_store

    return open_store(home.store_url, home.schema, config=home.config)


def _end_run_left_behind(store: Store, fire: FireRecord, attempt: int | None) -> None:
    """A previous attempt started the run and never ended it (its worker died)."""
    if fire.run_id is None:
        return
    why = "the worker running it stopped; the queue runs the job again"
    if store.runs.get(fire.run_id).status == Status.RUNNING:
        store.runs.end_job(fire.run_id, ended_at=utcnow(), status=Status.FAILED, error=why)
    log.warning(
        "Fire %d of %s: run %d was left unfinished; running it again (attempt %s)",
        fire.id,
        fire.entry_name,
        fire.run_id,
        attempt,
    )


class QueuePoster:
    """Posts claimed fires as ``jobsmith.scheduled_run`` jobs (a scheduler's ``poster``).

    Called inside the claim's transaction, so the post commits with the fire. A repeated
    post of the same fire returns the job already queued (the queue's unique jobs).
    """

    def __init__(self, home: Home, store: Store, queue: str | None = None) -> None:
        self.home = home
        self.store = store
        self.queue = queue or home.settings.queue

    def __call__(self, entry: Entry, fire_id: int, planned: datetime) -> str:
        arguments = {
            "home": str(self.home.folder),
            "schedule": self.home.settings.name,
            "fire": fire_id,
            "trigger": planned.astimezone(UTC).isoformat(),
            "entry": dict(entry.cells),
        }
        job = post(scheduled_run, arguments, store=self.store, queue=self.queue)
        if not job.created:
            log.info("Fire %d of %s was posted already: job %d", fire_id, entry.label, job.id)
        return str(job.id)
