"""The queue controls' records in the store: keyed unique jobs, retries by hand, retention.

The contract (the same on both databases, SQL in ``queries/controls.sql``):

- :meth:`ControlRepository.insert_keyed` queues a job under a *unique key*: a second post
  of the key while its job is waiting, running or parked, or completed less than
  ``unique_for`` seconds ago, returns that job (``created=False``). The key is a row of
  ``queue_unique_key`` taken by one upsert; posts of one key take turns (SQLite's write
  lock, an advisory lock on PostgreSQL), so concurrent posters make one job.
- :meth:`retry` puts a failed or cancelled job back to waiting as a new attempt; its
  earlier attempts stay in the run log. A keyed job takes its key back in the same
  transaction (and turn), refused while another job holds the key and still counts.
- :meth:`prune` deletes ended jobs and run-log rows older than a time, in small batches.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from jobsmith.errors import JobsmithError, NotFoundError
from jobsmith.store.base import Connector, as_datetime, utcnow
from jobsmith.store.jobs import NewJob, Posted, canonical_json
from jobsmith.store.jobs.posting import _values as job_values
from jobsmith.store.sql import Queries, load

RETRYABLE = ("failed", "cancelled")


class RetryError(JobsmithError):
    """Only a failed or cancelled job can be retried."""


@dataclass(frozen=True, slots=True)
class Pruned:
    """What one call of :meth:`ControlRepository.prune` deleted."""

    jobs: int = 0
    runs: int = 0

    def __add__(self, other: Pruned) -> Pruned:
        return Pruned(self.jobs + other.jobs, self.runs + other.runs)


PAUSE_KINDS = ("queue", "task")


@dataclass(frozen=True, slots=True)
class JobOutcome:
    """How a job stands or ended: its id, task name, status and error."""

    id: int
    name: str
    status: str
    error: str | None


@dataclass(frozen=True, slots=True)
class Limit:
    """A job's concurrency key: at most ``max_running`` of its jobs run at once, and at
    most ``rate_count`` start within ``rate_window`` seconds (None: no such limit)."""

    key: str
    max_running: int | None = None
    rate_count: int | None = None
    rate_window: float | None = None


@dataclass(frozen=True, slots=True)
class Slot:
    """A running job holding one slot of a concurrency key."""

    limit_key: str
    max_running: int
    job_id: int
    name: str
    worker: str | None
    host: str | None
    since: datetime | None
    lease_until: datetime | None


@dataclass(frozen=True, slots=True)
class RateBlocked:
    """A rate-limited key with no room now: ``waiting`` of its jobs wait, and one more
    may start at ``opens`` (epoch seconds)."""

    limit_key: str
    waiting: int
    opens: float


@dataclass(frozen=True, slots=True)
class Paused:
    """A paused queue or task (``kind`` is ``"queue"`` or ``"task"``)."""

    kind: str
    name: str
    since: datetime | None


class ControlRepository:
    """Keyed posting, retries by hand and retention. Every method is one transaction (or
    joins the caller's)."""

    def __init__(self, connector: Connector) -> None:
        self.db = connector
        self.q: Queries = load(connector.dialect)
        self.postgres = connector.dialect == "postgresql"
        self.now: Callable[[], datetime] = utcnow  # a test harness puts its clock here

    # -- keyed unique jobs ----------------------------------------------------------------
    def insert_keyed(self, job: NewJob, unique_key: str, unique_for: float = 0.0) -> Posted:
        """Queue ``job`` under ``unique_key`` unless the key's job still counts (then that
        job comes back with ``created=False``)."""
        key = {"unique_key": unique_key}
        with self.db.transaction():
            if self.postgres:
                self.db.execute(self.q.lock_unique_key, key)
            taken = self.db.fetchone(
                self.q.take_unique_key,
                {**key, "unique_for": float(unique_for), "now": self.now()},
            )
            if taken is None:
                holder = self.db.fetchone(self.q.unique_key_holder, key)
                if holder is not None:
                    return Posted(int(holder["id"]), holder["status"], False)
                raise JobsmithError(f"unique key {unique_key!r}: its job vanished while posting")
            values = {**job_values(job), **key}
            row = self.db.fetchone(self.q.insert_keyed_job, values)
            assert row is not None
            self.db.execute(self.q.hold_unique_key, {**key, "job_id": row["id"]})
        return Posted(int(row["id"]), row["status"], True)

    # -- retries by hand -------------------------------------------------------------------
    def retry(self, job_id: int) -> str:
        """Put a failed or cancelled job back to waiting (a new attempt; its history
        stays). Returns its status now (``waiting``); :class:`RetryError` for a job in
        another state, or one whose unique key (or identical unique job) another job
        holds and still counts; NotFoundError for an unknown id. The key is taken back in
        the retry's transaction, so a retry and a post of one key make one waiting job."""
        with self.db.transaction():
            twin = self.db.fetchone(self.q.active_twin_of_job, {"id": job_id})
            if twin is not None:
                raise RetryError(
                    f"job {job_id} cannot be retried while the identical job {twin['id']} "
                    "is active (waiting, running or parked)"
                )
            keyed = self.db.fetchone(self.q.job_unique_key, {"id": job_id})
            key = None if keyed is None else keyed["unique_key"]
            if key is not None and self.postgres:
                self.db.execute(self.q.lock_unique_key, {"unique_key": key})
            row = self.db.fetchone(self.q.retry_job, {"id": job_id})
            if row is not None and key is not None:
                self._retake_key(job_id, str(key))  # refused: the retry is rolled back
        if row is not None:
            return str(row["status"])
        status = self._status(job_id)
        raise RetryError(f"job {job_id} is {status}: only a failed or cancelled job can be retried")

    def _retake_key(self, job_id: int, key: str) -> None:
        values = {"unique_key": key, "id": job_id, "now": self.now()}
        if self.db.fetchone(self.q.retake_unique_key, values) is None:
            holder = self.db.fetchone(self.q.unique_key_holder, {"unique_key": key})
            held = "" if holder is None else f" by job {holder['id']} ({holder['status']})"
            raise RetryError(
                f"job {job_id} cannot be retried: its unique key {key!r} is held{held}"
            )

    def _status(self, job_id: int) -> str:
        row = self.db.fetchone(self.q.job_status, {"id": job_id})
        if row is None:
            raise NotFoundError(f"no job with id {job_id} in the queue")
        return str(row["status"])

    # -- retention ------------------------------------------------------------------------
    def prune(
        self,
        older_than: float,
        *,
        keep: Mapping[str, float] | None = None,
        keep_any: Mapping[str, float] | None = None,
        batch: int = 500,
        max_batches: int | None = None,
    ) -> Pruned:
        """Delete jobs that ended more than ``older_than`` seconds ago and run-log job
        runs likewise, ``batch`` rows per transaction (at most ``max_batches`` of each;
        None: until none is left). ``keep`` maps task names to seconds: a completed job
        of such a task that ended within them is kept (a dependency still counts it);
        ``keep_any`` likewise keeps a job of such a task that ended in any way (a
        dependency with ``on_failure="continue"`` counts it)."""
        if batch < 1:
            raise JobsmithError(f"prune: batch must be at least 1, got {batch}")
        now = self.now()
        values = {
            "now": now,
            "cutoff": now - timedelta(seconds=older_than),
            "batch": batch,
            "keep": json.dumps(dict(keep or {})),
            "keep_any": json.dumps(dict(keep_any or {})),
        }
        jobs = self._in_batches(self.q.prune_jobs, values, max_batches, self._forget_keys)
        runs = self._in_batches(self.q.prune_runs, values, max_batches, None)
        return Pruned(jobs, runs)

    def _in_batches(
        self,
        query: str,
        values: Mapping[str, Any],
        max_batches: int | None,
        after: Callable[[list[int]], None] | None,
    ) -> int:
        total = rounds = 0
        while max_batches is None or rounds < max_batches:
            with self.db.transaction():
                ids = [int(r["id"]) for r in self.db.fetchall(query, values)]
                if ids and after is not None:
                    after(ids)
            total += len(ids)
            rounds += 1
            if len(ids) < int(values["batch"]):
                break
        return total

    def _forget_keys(self, ids: list[int]) -> None:
        found: Any = ids if self.postgres else json.dumps(ids)
        self.db.execute(self.q.prune_unique_keys, {"ids": found})

    # -- pause and resume ---------------------------------------------------------------
    def pause(self, kind: str, name: str) -> bool:
        """Pause a queue or a task; False when it already was."""
        with self.db.transaction():
            row = self.db.fetchone(self.q.pause, {**_pausable(kind, name), "now": self.now()})
        return row is not None

    def resume(self, kind: str, name: str) -> bool:
        """Resume a queue or a task; False when it was not paused."""
        with self.db.transaction():
            row = self.db.fetchone(self.q.resume, _pausable(kind, name, "resume"))
        return row is not None

    def paused(self) -> list[Paused]:
        return [
            Paused(r["kind"], r["name"], as_datetime(r["paused_at"]))
            for r in self.db.fetchall(self.q.paused)
        ]

    def queue_names(self) -> list[str]:
        """The queues of published tasks and of waiting jobs."""
        return sorted({str(r["queue"]) for r in self.db.fetchall(self.q.queue_names)})

    # -- concurrency limits ---------------------------------------------------------------
    def set_limits(self, limits: Sequence[tuple[int, Limit]]) -> None:
        """Give just-posted jobs (id, limit) their key, limit and rate; joins the post's
        transaction."""
        self.db.executemany(
            self.q.set_limit,
            [
                {
                    "id": job_id,
                    "limit_key": limit.key,
                    "max_running": limit.max_running,
                    "rate_count": limit.rate_count,
                    "rate_window": limit.rate_window,
                }
                for job_id, limit in limits
            ],
        )

    def slots(self) -> list[Slot]:
        """Who holds each concurrency key's slots, and since when."""
        return [
            Slot(
                r["limit_key"],
                int(r["max_running"]),
                int(r["id"]),
                f"{r['type_key']}.{r['task_key']}",
                r["worker"],
                r["host"],
                as_datetime(r["started_at"]),
                as_datetime(r["lease_until"]),
            )
            for r in self.db.fetchall(self.q.limit_slots)
        ]

    def waiting_by_key(self) -> dict[str, int]:
        """How many jobs wait on each concurrency key."""
        return {r["limit_key"]: int(r["n"]) for r in self.db.fetchall(self.q.limit_waiting)}

    def rate_blocked(
        self, queues: Sequence[str] | None = None, tasks: Sequence[str] | None = None
    ) -> list[RateBlocked]:
        """Rate-limited keys whose window has no room now, with their waiting jobs (of
        these queues/tasks; None: all) and when the next may start."""
        values: dict[str, Any] = {
            "queues": list(queues) if queues else None,
            "tasks": list(tasks) if tasks else None,
            "now": time.time(),
        }
        return [
            RateBlocked(str(r["limit_key"]), int(r["n"]), float(r["opens"]))
            for r in self.db.fetchall(self.q.rate_blocked, values)
        ]

    # -- waiting for any end ---------------------------------------------------------------
    def park_until_ended(self, job_id: int, token: str, on: int) -> bool:
        """Park a running attempt until job ``on`` ends, however it ends; False when that
        job already ended (then nothing changed)."""
        with self.db.transaction():
            row = self.db.fetchone(
                self.q.park_until_ended, {"id": job_id, "token": token, "on": on}
            )
        return row is not None

    def release_ended_waits(self) -> list[int]:
        """Put jobs parked until another ended back to waiting once it has."""
        with self.db.transaction():
            return [int(r["id"]) for r in self.db.fetchall(self.q.release_ended_waits)]

    def ended_including(
        self, type_key: str, task_key: str, arguments: Mapping[str, Any], since: datetime
    ) -> bool:
        """Whether a job of the task ended, however, since ``since`` with arguments that
        include ``arguments``."""
        row = self.db.fetchone(
            self.q.ended_including,
            {
                "type_key": type_key,
                "task_key": task_key,
                "arguments": canonical_json(dict(arguments)),
                "since": since,
            },
        )
        return row is not None

    def outcomes(self, ids: Sequence[int]) -> list[JobOutcome]:
        """The status and error of jobs, by id."""
        found: Any = list(ids) if self.postgres else json.dumps(list(ids))
        return [
            JobOutcome(int(r["id"]), f"{r['type_key']}.{r['task_key']}", r["status"], r["error"])
            for r in self.db.fetchall(self.q.job_outcomes, {"ids": found})
        ]

    def holder(self, unique_key: str) -> int | None:
        """The job holding a unique key, whatever its status (None: nobody)."""
        row = self.db.fetchone(self.q.unique_key_holder, {"unique_key": unique_key})
        return None if row is None else int(row["id"])

    def unique_key(self, job_id: int) -> str | None:
        """The unique key a job was posted under."""
        row = self.db.fetchone(self.q.job_unique_key, {"id": job_id})
        if row is None:
            raise NotFoundError(f"no job with id {job_id} in the queue")
        return None if row["unique_key"] is None else str(row["unique_key"])


def _pausable(kind: str, name: str, verb: str = "pause") -> dict[str, str]:
    if kind not in PAUSE_KINDS:
        raise JobsmithError(f"{verb} {kind!r}: expected 'queue' or 'task'")
    if not name or (kind == "task" and "." not in name):
        expected = "TYPE.TASK" if kind == "task" else "a queue name"
        raise JobsmithError(f"{verb} {kind} {name!r}: expected {expected}")
    return {"kind": kind, "name": name}


def seconds(value: float | timedelta | None) -> float:
    """A duration in seconds (a timedelta or a number); None is 0."""
    if value is None:
        return 0.0
    found = value.total_seconds() if isinstance(value, timedelta) else float(value)
    if found < 0:
        raise JobsmithError(f"a duration must not be negative, got {value!r}")
    return found


__all__ = [
    "ControlRepository",
    "JobOutcome",
    "Limit",
    "Paused",
    "Pruned",
    "RateBlocked",
    "RetryError",
    "Slot",
    "seconds",
]
