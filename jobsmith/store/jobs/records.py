"""The queue's records: what is posted, claimed, ended and read back (no SQL here).

Statuses are :class:`jobsmith.states.JobState` members (stored as their text).
"""

from __future__ import annotations

import json
import sqlite3
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from jobsmith.errors import StoreUnavailable
from jobsmith.states import ACTIVE_JOB_STATES, ENDED_JOB_STATES, JobState
from jobsmith.store.base import Row, as_datetime

ACTIVE = ACTIVE_JOB_STATES
ENDED = ENDED_JOB_STATES


def transient_errors() -> tuple[type[Exception], ...]:
    """Errors after which a worker waits and tries again (the server restarting, a busy
    file). psycopg's count only once it is loaded (a PostgreSQL store was opened).

    The connectors raise only these for what trying again may mend: the SQLite connector
    lets through only the ``OperationalError`` s :func:`jobsmith.store.sqlite.is_transient`
    names (a locked or busy file, a disk I/O error …); a missing table or column, a syntax
    error become a :class:`~jobsmith.errors.SchemaError` or ``StoreError``, on which a
    worker stops. On PostgreSQL a missing table is a ``ProgrammingError`` (likewise)."""
    found: tuple[type[Exception], ...] = (sqlite3.OperationalError, StoreUnavailable)
    psycopg = sys.modules.get("psycopg")
    if psycopg is not None:
        found += (psycopg.OperationalError, psycopg.InterfaceError)
    return found


def epoch_datetime(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


@dataclass(frozen=True, slots=True)
class NewJob:
    """A job to queue, its arguments already checked against its task."""

    type_key: str
    task_key: str
    arguments: dict[str, Any]
    priority: int = 0
    process_units: int = 1
    queue: str = "default"
    unique: bool = True
    run_after: datetime | None = None


@dataclass(frozen=True, slots=True)
class Posted:
    """What posting one job gave: its id and whether it is new or an active duplicate."""

    id: int
    status: str
    created: bool


@dataclass(slots=True)
class Claimed:
    """One attempt a worker holds."""

    id: int
    type_key: str
    task_key: str
    queue: str
    arguments: dict[str, Any]
    priority: int
    process_units: int
    attempts: int
    token: str
    cancel_requested: bool = False

    @property
    def name(self) -> str:
        return f"{self.type_key}.{self.task_key}"


@dataclass(slots=True)
class Outcome:
    """How an attempt ended: ``status`` is completed, failed, cancelled, or waiting (retry
    at ``run_after``). ``parameters`` are the masked values for the run log."""

    job: Claimed
    status: str
    started: float
    ended: float
    error: str | None = None
    run_after: float | None = None
    task_kind: str = "QueueTask"
    parameters: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Ended:
    """What ending attempts did: the jobs ended, and the (id, status) of the jobs parked
    on them that were woken (waiting) or failed (their dependency did not complete)."""

    ids: set[int]
    dependants: list[tuple[int, str]]

    @property
    def dependants_failed(self) -> int:
        return sum(1 for _, status in self.dependants if status == JobState.FAILED)


@dataclass(frozen=True, slots=True)
class LostAttempt:
    """An attempt whose worker stopped renewing its lease."""

    id: int
    name: str
    token: str | None
    status: str
    started: datetime | None
    error: str
    host: str | None
    arguments: dict[str, Any]


@dataclass(frozen=True)
class JobRecord:
    """One job as stored (for ``jobsmith show``)."""

    id: int
    type_key: str
    task_key: str
    queue: str
    arguments: dict[str, Any]
    priority: int
    process_units: int
    status: str
    attempts: int
    lost: int
    created_at: datetime | None
    started_at: datetime | None
    ended_at: datetime | None
    lease_until: datetime | None
    run_after: datetime | None
    worker: str | None
    host: str | None
    waiting_on: int | None
    cancel_requested: bool
    error: str | None
    limit_key: str | None = None
    """The job's concurrency key (None: not limited)."""
    max_running: int | None = None
    parent_id: int | None = None
    """The job that posted this one from its code (``ctx.post``), if any."""

    @property
    def name(self) -> str:
        return f"{self.type_key}.{self.task_key}"


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_json(value: Any) -> str:
    """The one text of a JSON value that equal values share (sorted keys, no spaces). One
    encoder made once: ``json.dumps`` with options builds a new one on every call."""
    return _CANONICAL.encode(value)


def arguments_of(value: Any) -> dict[str, Any]:
    loaded = json.loads(value) if isinstance(value, str | bytes) else value
    return loaded if type(loaded) is dict else dict(loaded or {})


def record_of(row: Row) -> JobRecord:
    return JobRecord(
        id=row["id"],
        type_key=row["type_key"],
        task_key=row["task_key"],
        queue=row["queue"],
        arguments=arguments_of(row["arguments"]),
        priority=row["priority"],
        process_units=row["process_units"],
        status=row["status"],
        attempts=row["attempts"],
        lost=row["lost"],
        created_at=as_datetime(row["created_at"]),
        started_at=as_datetime(row["started_at"]),
        ended_at=as_datetime(row["ended_at"]),
        lease_until=as_datetime(row["lease_until"]),
        run_after=as_datetime(row["run_after"]),
        worker=row["worker"],
        host=row["host"],
        waiting_on=row["waiting_on"],
        cancel_requested=bool(row["cancel_requested"]),
        error=row["error"],
        limit_key=_column(row, "limit_key"),
        max_running=_column(row, "max_running"),
        parent_id=_column(row, "parent_id"),
    )


def _column(row: Row, name: str) -> Any:
    """A column that not every query selects (None when absent)."""
    return row[name] if name in row.keys() else None  # noqa: SIM118 (sqlite3.Row)


def definition_of(row: Row) -> dict[str, Any]:
    found = dict(row)
    for key in ("parameters", "write_all"):
        if isinstance(found[key], str):
            found[key] = json.loads(found[key])
    return found


def claimed_of(row: Row) -> Claimed:
    return Claimed(
        row["id"],
        row["type_key"],
        row["task_key"],
        row["queue"],
        arguments_of(row["arguments"]),
        row["priority"],
        row["process_units"],
        row["attempts"],
        str(row["token"]),
        bool(row["cancel_requested"]),
    )


def outcome_row(o: Outcome, logged: bool) -> dict[str, Any]:
    """One ended attempt as a JSON object (finish_jobs reads it; with ``logged``, also the
    run log's log_attempts)."""
    row: dict[str, Any] = {
        "id": o.job.id,
        "token": o.job.token,
        "status": o.status,
        "error": o.error,
        "run_after": o.run_after,
        "ended": o.ended,
    }
    if logged:
        row["name"] = o.job.name
        row["started"] = o.started
        row["kind"] = o.task_kind
        row["params"] = dict(o.parameters)
    return row
