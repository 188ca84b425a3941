"""What the pages and the API both read: filters from a request, a job's story."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from jobsmith.dashboard import inputs
from jobsmith.runlog import Status
from jobsmith.store import JobRunRecord, Store, TaskRunRecord, utcnow
from jobsmith.store.jobs import JobRecord
from jobsmith.store.views import MAX_PAGE, Page, RunFilter

RUN_STATUSES = (
    Status.RUNNING,
    Status.COMPLETED,
    Status.FAILED,
    Status.SKIPPED,
    Status.REVERTED,
    Status.CANCELLED,
)
JOB_STATUSES = ("waiting", "running", "parked", "completed", "failed", "cancelled")
RUN_PARAMETERS = ("job", "kind", "status", "environment", "since", "until", "before", "limit")
JOB_PARAMETERS = ("task", "status", "before", "limit")
MAX_ID = 2**63 - 1


def run_filter(values: Mapping[str, str]) -> RunFilter:
    return RunFilter(
        job_name=inputs.text(values, "job"),
        kind=inputs.text(values, "kind"),
        status=inputs.one_of(values, "status", RUN_STATUSES),
        environment=inputs.text(values, "environment"),
        since=inputs.moment(values, "since"),
        until=inputs.moment(values, "until", end=True),
    )


def runs_page(store: Store, values: Mapping[str, str], extra: tuple[str, ...] = ()) -> Page:
    inputs.only(values, RUN_PARAMETERS + extra)
    where = run_filter(values)
    before = inputs.whole(values, "before", None, high=MAX_ID)
    limit = inputs.whole(values, "limit", 50, high=MAX_PAGE) or 50
    return store.views.runs(where, before=before, limit=limit)


def jobs_page(store: Store, values: Mapping[str, str], extra: tuple[str, ...] = ()) -> Page:
    inputs.only(values, JOB_PARAMETERS + extra)
    task = inputs.task_name(inputs.text(values, "task"))
    status = inputs.one_of(values, "status", JOB_STATUSES)
    before = inputs.whole(values, "before", None, high=MAX_ID)
    limit = inputs.whole(values, "limit", 50, high=MAX_PAGE) or 50
    return store.views.jobs(task=task, status=status, before=before, limit=limit)


def record_id(text: str, what: str) -> int:
    """An id from the path: a whole number (from 0 for schedule entries, else from 1)."""
    low = 0 if what == "schedule entry" else 1
    if not text.isascii() or not text.isdigit() or not low <= int(text) <= MAX_ID:
        raise inputs.BadInput(f"{what} id {text!r}: expected a whole number from {low}")
    return int(text)


PICTURE_KINDS = ("graph", "flow")
"""The kinds of job run the dashboard draws as a picture (their dependencies are recorded)."""


@dataclass(frozen=True)
class RunStory:
    """A job run with its task runs, for a scheduled run its log file, and for a graph or
    flow run its dependencies as ``(task, task it depends on)`` (none for older runs)."""

    run: JobRunRecord
    tasks: list[TaskRunRecord]
    log_path: str | None
    edges: list[tuple[str, str]] = field(default_factory=list)


def run_story(store: Store, run_id: int) -> RunStory:
    run = store.runs.get(run_id)
    fire = store.views.fire_of_run(run.id)
    edges = store.runs.edges(run.id) if run.kind in PICTURE_KINDS else []
    return RunStory(run, store.runs.tasks(run.id), fire.log_path if fire else None, edges)


def read_log(path: str | None, limit: int = 200_000) -> str | None:
    """The end of a run's log file (at most ``limit`` characters), if it is readable here."""
    if not path:
        return None
    try:
        with open(path, encoding="utf-8", errors="replace") as file:
            text = file.read()
    except OSError as exc:
        return f"(the log file {path} cannot be read here: {exc.strerror})"
    return text[-limit:]


def why_waiting(store: Store, job: JobRecord, now: datetime | None = None) -> str:
    """In words, where a job stands and what it waits for."""
    now = now or utcnow()
    if job.cancel_requested and job.status == "running":
        return "cancel requested: its worker stops it at the next check"
    if job.status == "parked":
        return f"parked until job {job.waiting_on} (a dependency) ends"
    if job.status == "running":
        return f"running on worker {job.worker} at {job.host}"
    if job.status != "waiting":
        return f"{job.status}: it waits for nothing"
    if job.run_after is not None and job.run_after > now:
        return f"held back until {job.run_after.isoformat()} (a retry's delay or run_after)"
    ahead = store.views.ahead_of(job.queue, job.priority, job.id)
    alive = [w for w in store.views.workers(now) if w.alive]
    told = f"ready in queue {job.queue!r}: {ahead} ready job(s) of higher priority or older first"
    if not alive:
        told += "; no worker is running a job right now"
    return told
