"""The run log: one record per job run and per task run, whatever started it.

``go()`` jobs, goal graphs, flows, queued jobs and scheduled runs all write here through
:class:`RunLog`, so the CLI and the dashboard read one history. Parameter values are
masked (see :func:`jobsmith.params.display_value`) before they reach the store.
"""

from __future__ import annotations

import getpass
import os
import socket
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from jobsmith.params import display_value
from jobsmith.states import RunStatus
from jobsmith.store import JobRunRecord, Store, TaskRunRecord, utcnow

__all__ = ["JobRun", "JobRunRecord", "RunLog", "Status", "TaskRun", "TaskRunRecord"]


Status = RunStatus
"""The statuses the run log uses (robojob's spelling): :class:`jobsmith.states.RunStatus`."""


@cache
def who_and_where() -> tuple[str, str]:
    """The user and host recorded with every run."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid()) if hasattr(os, "getuid") else "unknown"
    return user, socket.gethostname()


@dataclass
class JobRun:
    """A job run in progress."""

    id: int
    guid: str
    job_name: str
    environment: str
    started_at: datetime
    status: str = Status.RUNNING
    ended_at: datetime | None = None
    error: str | None = None

    @property
    def duration(self) -> timedelta | None:
        """How long it ran (None until it ended)."""
        return self.ended_at - self.started_at if self.ended_at else None


@dataclass
class TaskRun:
    """A task run in progress."""

    id: int
    guid: str
    job_run: JobRun
    kind: str
    name: str
    started_at: datetime
    parameters: Mapping[str, str | None] = field(default_factory=dict)
    status: str = Status.RUNNING
    ended_at: datetime | None = None
    error: str | None = None
    output: str | None = None

    @property
    def duration(self) -> timedelta | None:
        """How long it ran (None until it ended)."""
        return self.ended_at - self.started_at if self.ended_at else None


class RunLog:
    """Records runs in a store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def start_job(
        self, job_name: str, environment: str, kind: str = "job", guid: str | None = None
    ) -> JobRun:
        user, host = who_and_where()
        guid = guid or str(uuid.uuid4())
        started = utcnow()
        run_id = self.store.runs.start_job(
            guid=guid,
            environment=environment,
            job_name=job_name,
            kind=kind,
            executed_by=user,
            host=host,
            pid=os.getpid(),
            started_at=started,
        )
        return JobRun(run_id, guid, job_name, environment, started)

    def record_edges(self, job_run: JobRun, edges: Iterable[tuple[str, str]]) -> None:
        """Record which task of a graph or flow run depends on which: ``(task, task it
        depends on)`` pairs of task run names (the dashboard draws them as arrows)."""
        self.store.runs.record_edges(job_run.id, edges)

    def end_job(self, run: JobRun, status: str, error: str | None = None) -> None:
        run.status, run.error, run.ended_at = status, error, utcnow()
        self.store.runs.end_job(run.id, ended_at=run.ended_at, status=status, error=error)

    def start_task(
        self,
        job_run: JobRun,
        kind: str,
        name: str,
        parameters: Mapping[str, Any] | None = None,
        guid: str | None = None,
    ) -> TaskRun:
        shown = {k: display_value(k, v) for k, v in (parameters or {}).items()}
        guid = guid or str(uuid.uuid4())
        started = utcnow()
        task_id = self.store.runs.start_task(
            guid=guid,
            job_run_id=job_run.id,
            kind=kind,
            name=name,
            started_at=started,
            parameters=shown.items(),
        )
        return TaskRun(task_id, guid, job_run, kind, name, started, shown)

    def end_task(
        self, run: TaskRun, status: str, error: str | None = None, output: str | None = None
    ) -> None:
        run.status, run.error, run.ended_at = status, error, utcnow()
        self.store.runs.end_task(
            run.id, ended_at=run.ended_at, status=status, error=error, output=output
        )

    def new_task(
        self,
        job_run: JobRun,
        kind: str,
        name: str,
        parameters: Mapping[str, Any] | None = None,
    ) -> TaskRun:
        """A task run that starts now, kept in memory (id 0) until :meth:`record_tasks`.

        For engines that run many small tasks: two statements per task would cost more
        than the tasks, so they collect ended task runs and write them in batches.
        """
        shown = {k: display_value(k, v) for k, v in (parameters or {}).items()}
        return TaskRun(0, str(uuid.uuid4()), job_run, kind, name, utcnow(), shown)

    def record_tasks(self, tasks: Sequence[TaskRun]) -> None:
        """Write task runs made by :meth:`new_task` (ended or not) in one transaction."""
        self.store.runs.insert_ended_tasks(
            [
                {
                    "guid": t.guid,
                    "job_run_id": t.job_run.id,
                    "kind": t.kind,
                    "name": t.name,
                    "started_at": t.started_at,
                    "ended_at": t.ended_at,
                    "status": t.status,
                    "error": t.error,
                    "output": t.output,
                }
                for t in tasks
            ],
            [(t.guid, name, value) for t in tasks for name, value in t.parameters.items()],
        )

    def update_task(self, run: TaskRun, status: str, error: str | None = None) -> None:
        """Change the status of a task run already written by :meth:`record_tasks`."""
        run.status, run.error, run.ended_at = status, error, utcnow()
        self.store.runs.end_task_by_guid(
            run.guid, ended_at=run.ended_at, status=status, error=error
        )
