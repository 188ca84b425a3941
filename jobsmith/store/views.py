"""Read-only views for the dashboard: lists filtered and paged in SQL, and the numbers
behind its metrics. Every statement is a named query in ``queries/dashboard.sql``.

Lists are newest first with keyset paging: pass the last id of one page as ``before``
to get the next; :class:`Page` says whether there is one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from jobsmith.store.base import Connector, Row, as_datetime, utcnow
from jobsmith.store.jobs.records import record_of
from jobsmith.store.runs import JobRunRecord, _job
from jobsmith.store.schedules import FireRecord, _fire
from jobsmith.store.sql import Queries, load

MAX_PAGE = 500
DURATION_BUCKETS = (0.01, 0.1, 1.0, 10.0, 60.0, 600.0, 3600.0)
"""Upper bounds (seconds) of the attempt-duration histogram, as the query sums them."""
_BUCKET_COLUMNS = ("le_0_01", "le_0_1", "le_1", "le_10", "le_60", "le_600", "le_3600")


@dataclass(frozen=True)
class RunFilter:
    """Which job runs to list; None matches everything."""

    job_name: str | None = None
    kind: str | None = None
    status: str | None = None
    environment: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class Page:
    """One page of a list and the ``before`` value of the next page (None: last page)."""

    items: list[Any]
    next_before: int | None


@dataclass(frozen=True)
class WorkerRow:
    """A worker: what it registered (slots, the host's units, its lease, last heartbeat)
    and the jobs it holds. ``state`` is ``live`` while its heartbeat is within its lease,
    ``stopped`` after a clean stop, else ``gone`` (it died, or lost the store)."""

    worker: str
    host: str | None
    state: str
    jobs: int
    units: int
    job_ids: list[int] = field(default_factory=list)
    concurrency: int | None = None
    host_units: int | None = None
    queues: str | None = None
    pid: int | None = None
    started_at: datetime | None = None
    heartbeat_at: datetime | None = None
    lease_until: datetime | None = None

    @property
    def alive(self) -> bool:
        return self.state == "live"


@dataclass(frozen=True)
class DurationHistogram:
    """Cumulative counts of attempt durations under each bound of :data:`DURATION_BUCKETS`."""

    count: int
    total: float
    cumulative: tuple[int, ...]


def _page(items: list[Any], limit: int) -> Page:
    more = len(items) > limit
    items = items[:limit]
    return Page(items, items[-1].id if more and items else None)


class ViewRepository:
    """The dashboard's reads (one statement each, no writes)."""

    def __init__(self, connector: Connector) -> None:
        self.db = connector
        self.q: Queries = load(connector.dialect)

    # -- the run log -------------------------------------------------------------------------
    def runs(self, where: RunFilter, *, before: int | None = None, limit: int = 50) -> Page:
        """A page of job runs, newest first."""
        limit = max(1, min(limit, MAX_PAGE))
        values = {**where.__dict__, "before": before, "limit": limit + 1}
        rows = self.db.fetchall(self.q.dashboard_runs, values)
        return _page([_job(r) for r in rows], limit)

    def run_choices(self) -> dict[str, list[str]]:
        """Values seen lately in each filterable column (for the filter lists)."""
        found: dict[str, set[str]] = {"job_name": set(), "kind": set(), "status": set()}
        found["environment"] = set()
        for row in self.db.fetchall(self.q.dashboard_run_choices):
            for column, values in found.items():
                values.add(str(row[column]))
        return {column: sorted(values) for column, values in found.items()}

    def fire_of_run(self, run_id: int) -> FireRecord | None:
        """The schedule fire that started a job run (with its log file), if one did."""
        row = self.db.fetchone(self.q.dashboard_fire_of_run, {"run_id": run_id})
        return None if row is None else _fire(row)

    # -- the queue ---------------------------------------------------------------------------
    def jobs(
        self,
        *,
        task: tuple[str, str] | None = None,
        status: str | None = None,
        before: int | None = None,
        limit: int = 50,
    ) -> Page:
        """A page of queue jobs (:class:`~jobsmith.store.jobs.JobRecord`), newest first."""
        limit = max(1, min(limit, MAX_PAGE))
        values = {
            "type_key": task[0] if task else None,
            "task_key": task[1] if task else None,
            "status": status,
            "before": before,
            "limit": limit + 1,
        }
        rows = self.db.fetchall(self.q.dashboard_jobs, values)
        return _page([record_of(r) for r in rows], limit)

    def attempts(self, job_id: int) -> list[JobRunRecord]:
        """The run-log records of a job's attempts, oldest first."""
        return [_job(r) for r in self.db.fetchall(self.q.dashboard_attempts, {"id": job_id})]

    def dependants(self, job_id: int) -> list[tuple[int, str, str]]:
        """(id, task name, status) of jobs parked until this one ends."""
        rows = self.db.fetchall(self.q.dashboard_dependants, {"id": job_id})
        return [(r["id"], f"{r['type_key']}.{r['task_key']}", r["status"]) for r in rows]

    def ahead_of(self, queue: str, priority: int, job_id: int) -> int:
        """Ready jobs of the queue that workers claim before this waiting one."""
        values = {"queue": queue, "priority": priority, "id": job_id, "now": utcnow()}
        row = self.db.fetchone(self.q.dashboard_ahead, values)
        return int(row["n"]) if row else 0

    def workers(self, now: datetime | None = None, seen_within: float = 3600) -> list[WorkerRow]:
        """Workers seen in the last ``seen_within`` seconds and workers holding jobs,
        live ones first."""
        now = now or utcnow()
        held: dict[str, list[int]] = {}
        for row in self.db.fetchall(self.q.dashboard_worker_jobs):
            held.setdefault(str(row["worker"]), []).append(int(row["id"]))
        holding = {str(r["worker"]): r for r in self.db.fetchall(self.q.dashboard_workers)}
        since = now - timedelta(seconds=seen_within)
        found: list[WorkerRow] = []
        for row in self.db.fetchall(self.q.dashboard_registered_workers, {"since": since}):
            name = str(row["name"])
            beat = as_datetime(row["heartbeat_at"])
            jobs = holding.pop(name, None)
            lease_until = beat + timedelta(seconds=float(row["lease"])) if beat else None
            state = "stopped" if row["stopped_at"] is not None else "live"
            if state == "live" and (lease_until is None or lease_until < now):
                state = "gone"
            found.append(
                WorkerRow(
                    worker=name,
                    host=row["host"],
                    state=state,
                    jobs=int(jobs["jobs"]) if jobs else 0,
                    units=int(jobs["units"] or 0) if jobs else 0,
                    job_ids=held.get(name, []),
                    concurrency=int(row["concurrency"]),
                    host_units=int(row["process_units"]),
                    queues=row["queues"],
                    pid=int(row["pid"]),
                    started_at=as_datetime(row["started_at"]),
                    heartbeat_at=beat,
                    lease_until=lease_until,
                )
            )
        for name, row in holding.items():  # holding jobs, never registered (older workers)
            lease = as_datetime(row["lease_until"])
            found.append(
                WorkerRow(
                    worker=name,
                    host=row["host"],
                    state="live" if lease is not None and lease > now else "gone",
                    jobs=int(row["jobs"]),
                    units=int(row["units"] or 0),
                    job_ids=held.get(name, []),
                    started_at=as_datetime(row["since"]),
                    lease_until=lease,
                )
            )
        order = {"live": 0, "gone": 1, "stopped": 2}
        return sorted(found, key=lambda w: (order[w.state], w.worker))

    # -- numbers for the metrics -------------------------------------------------------------
    def queue_depth(self) -> list[tuple[str, int, datetime | None]]:
        """(queue, waiting jobs, when the oldest of them was posted)."""
        rows = self.db.fetchall(self.q.dashboard_queue_depth)
        return [(r["queue"], int(r["n"]), as_datetime(r["oldest"])) for r in rows]

    def run_counts(self) -> list[tuple[str, str, int]]:
        """(kind, status, job runs)."""
        rows = self.db.fetchall(self.q.dashboard_run_counts)
        return [(r["kind"], r["status"], int(r["n"])) for r in rows]

    def attempt_durations(self) -> DurationHistogram:
        """How long the attempts of queue jobs took (those that ended)."""
        row = self.db.fetchone(self.q.dashboard_attempt_durations)
        if row is None or not row["n"]:
            return DurationHistogram(0, 0.0, (0,) * len(DURATION_BUCKETS))
        cumulative = tuple(int(row[c] or 0) for c in _BUCKET_COLUMNS)
        return DurationHistogram(int(row["n"]), float(row["total"] or 0), cumulative)

    def schedule_lag(self) -> list[tuple[str, int, str, float]]:
        """(schedule, entry id, entry name, seconds from planned time to start) of each
        entry's newest started fire."""
        rows: Iterable[Row] = self.db.fetchall(self.q.dashboard_schedule_lag)
        return [(r["schedule"], int(r["entry_id"]), r["entry_name"], float(r["lag"])) for r in rows]
