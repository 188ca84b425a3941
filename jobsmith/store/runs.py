"""The run log's records in the store: job runs, task runs, the parameter values used."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from jobsmith.errors import NotFoundError
from jobsmith.store.base import Connector, Row, as_datetime
from jobsmith.store.sql import Queries, load


@dataclass(frozen=True)
class JobRunRecord:
    """One job run as stored."""

    id: int
    guid: str
    environment: str
    job_name: str
    kind: str
    executed_by: str
    host: str
    pid: int | None
    started_at: datetime
    ended_at: datetime | None
    status: str
    error: str | None

    @property
    def duration(self) -> timedelta | None:
        return self.ended_at - self.started_at if self.ended_at else None


@dataclass(frozen=True)
class TaskRunRecord:
    """One task run as stored, with the parameter values it used."""

    id: int
    guid: str
    job_run_id: int
    kind: str
    name: str
    started_at: datetime
    ended_at: datetime | None
    status: str
    error: str | None
    output: str | None
    parameters: tuple[tuple[str, str | None], ...] = ()

    @property
    def duration(self) -> timedelta | None:
        return self.ended_at - self.started_at if self.ended_at else None


def _unique(parameters: Iterable[tuple[str, str | None]]) -> dict[str, str | None]:
    """Parameter values by name; a name given twice is a caller's bug, not a last-one-wins."""
    found: dict[str, str | None] = {}
    for name, value in parameters:
        if name in found:
            raise ValueError(f"parameter {name!r} given twice for one task run")
        found[name] = value
    return found


def _job(row: Row) -> JobRunRecord:
    started = as_datetime(row["started_at"])
    assert started is not None
    return JobRunRecord(
        id=row["id"],
        guid=str(row["guid"]),
        environment=row["environment"],
        job_name=row["job_name"],
        kind=row["kind"],
        executed_by=row["executed_by"],
        host=row["host"],
        pid=row["pid"],
        started_at=started,
        ended_at=as_datetime(row["ended_at"]),
        status=row["status"],
        error=row["error"],
    )


def _task(row: Row, parameters: tuple[tuple[str, str | None], ...]) -> TaskRunRecord:
    started = as_datetime(row["started_at"])
    assert started is not None
    return TaskRunRecord(
        id=row["id"],
        guid=str(row["guid"]),
        job_run_id=row["job_run_id"],
        kind=row["kind"],
        name=row["name"],
        started_at=started,
        ended_at=as_datetime(row["ended_at"]),
        status=row["status"],
        error=row["error"],
        output=row["output"],
        parameters=parameters,
    )


class RunRepository:
    """Writes and reads the run log. Each write is one short transaction."""

    def __init__(self, connector: Connector) -> None:
        self.db = connector
        self.q: Queries = load(connector.dialect)

    def start_job(
        self,
        *,
        guid: str,
        environment: str,
        job_name: str,
        executed_by: str,
        host: str,
        started_at: datetime,
        kind: str = "job",
        pid: int | None = None,
        status: str = "Running",
    ) -> int:
        """Record a job run's start; returns its integer id (``job_execution_id``)."""
        row = self.db.fetchone(
            self.q.insert_job_run,
            {
                "guid": guid,
                "environment": environment,
                "job_name": job_name,
                "kind": kind,
                "executed_by": executed_by,
                "host": host,
                "pid": pid,
                "started_at": started_at,
                "status": status,
            },
        )
        assert row is not None
        return int(row["id"])

    def end_job(
        self, job_run_id: int, *, ended_at: datetime, status: str, error: str | None
    ) -> None:
        self.db.execute(
            self.q.end_job_run,
            {"id": job_run_id, "ended_at": ended_at, "status": status, "error": error},
        )

    def start_task(
        self,
        *,
        guid: str,
        job_run_id: int,
        kind: str,
        name: str,
        started_at: datetime,
        parameters: Iterable[tuple[str, str | None]] = (),
        status: str = "Running",
    ) -> int:
        """Record a task run's start and the (already masked) parameter values it uses.
        Both are written or neither."""
        values = {
            "guid": guid,
            "job_run_id": job_run_id,
            "kind": kind,
            "name": name,
            "started_at": started_at,
            "status": status,
            "parameters": json.dumps(_unique(parameters)),
        }
        if "start_task_run" in self.q:  # the dialect can do it in one statement
            row = self.db.fetchone(self.q.start_task_run, values)
            assert row is not None
            return int(row["id"])
        with self.db.transaction():
            row = self.db.fetchone(self.q.insert_task_run, values)
            assert row is not None
            task_run_id = int(row["id"])
            self.db.execute(
                self.q.insert_task_run_parameters,
                {"task_run_id": task_run_id, "parameters": values["parameters"]},
            )
        return task_run_id

    def end_task(
        self,
        task_run_id: int,
        *,
        ended_at: datetime,
        status: str,
        error: str | None = None,
        output: str | None = None,
    ) -> None:
        self.db.execute(
            self.q.end_task_run,
            {
                "id": task_run_id,
                "ended_at": ended_at,
                "status": status,
                "error": error,
                "output": output,
            },
        )

    def insert_ended_tasks(
        self,
        rows: Sequence[Mapping[str, Any]],
        parameters: Sequence[tuple[str, str, str | None]] = (),
    ) -> None:
        """Record task runs that have already ended, in one transaction.

        Each row has the columns of ``insert_ended_task_run``; ``parameters`` are
        ``(task guid, name, masked value)``.
        """
        if not rows:
            return
        with self.db.transaction():
            self.db.executemany(self.q.insert_ended_task_run, rows)
            if parameters:
                self.db.executemany(
                    self.q.insert_task_run_parameter_by_guid,
                    [{"guid": g, "name": n, "value": v} for g, n, v in parameters],
                )

    def record_edges(self, job_run_id: int, edges: Iterable[tuple[str, str]]) -> None:
        """Record the dependencies of a graph or flow run: ``(task, task it depends on)``
        pairs of task run names, in one transaction (a pair given twice is kept once)."""
        rows = [{"job_run_id": job_run_id, "from_task": a, "to_task": b} for a, b in edges]
        if rows:
            with self.db.transaction():
                self.db.executemany(self.q.insert_run_edge, rows)

    def edges(self, job_run_id: int) -> list[tuple[str, str]]:
        """The dependencies recorded for a job run as ``(task, task it depends on)``; none
        for a run recorded before they were (or one that is not a graph or flow run)."""
        rows = self.db.fetchall(self.q.run_edges_of_job, {"job_run_id": job_run_id})
        return [(r["from_task"], r["to_task"]) for r in rows]

    def log_attempts(self, rows: str, who: dict[str, Any]) -> None:
        """Record ended queue attempts: per attempt a job run (kind ``queue``, guid = the
        attempt's token, written once), its task run and parameter values. ``rows`` is
        the JSON array the queue ends them with (id, token, status, error, ended, name,
        started, kind, params); ``who`` holds environment, executed_by, host and pid.
        Joins the caller's transaction (the queue's finishing one)."""
        self.db.execute(self.q.log_attempts, {**who, "rows": rows})

    def insert_ended_jobs(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Record job runs that have already ended, in one transaction (each row has the
        columns of ``insert_ended_job_run``)."""
        if rows:
            with self.db.transaction():
                self.db.executemany(self.q.insert_ended_job_run, rows)

    def end_task_by_guid(
        self, guid: str, *, ended_at: datetime, status: str, error: str | None = None
    ) -> None:
        """Change how a task run recorded earlier ended, found by its guid."""
        self.db.execute(
            self.q.end_task_run_by_guid,
            {"guid": guid, "ended_at": ended_at, "status": status, "error": error},
        )

    def recent(
        self, limit: int = 20, job_name: str | None = None, status: str | None = None
    ) -> list[JobRunRecord]:
        """The newest job runs first."""
        rows = self.db.fetchall(
            self.q.recent_job_runs, {"limit": limit, "job_name": job_name, "status": status}
        )
        return [_job(r) for r in rows]

    def get(self, job_run: int | str) -> JobRunRecord:
        """One job run by integer id or guid."""
        if isinstance(job_run, int) or str(job_run).isdigit():
            row = self.db.fetchone(self.q.job_run_by_id, {"id": int(job_run)})
        else:
            row = self.db.fetchone(self.q.job_run_by_guid, {"guid": str(job_run)})
        if row is None:
            raise NotFoundError(f"no job run with id {job_run} in the run log")
        return _job(row)

    def tasks(self, job_run_id: int) -> list[TaskRunRecord]:
        """The task runs of one job run, in the order they started, with their parameters."""
        params: dict[int, list[tuple[str, Any]]] = {}
        for row in self.db.fetchall(self.q.parameters_of_job, {"job_run_id": job_run_id}):
            params.setdefault(row["task_run_id"], []).append((row["name"], row["value"]))
        return [
            _task(r, tuple(params.get(r["id"], ())))
            for r in self.db.fetchall(self.q.task_runs_of_job, {"job_run_id": job_run_id})
        ]
