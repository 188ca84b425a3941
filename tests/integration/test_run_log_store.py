"""The run log contract, the same on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from jobsmith.errors import NotFoundError
from jobsmith.runlog import RunLog, Status
from jobsmith.store import Store, utcnow


def test_job_and_task_runs_round_trip(store: Store) -> None:
    log = RunLog(store)
    job = log.start_job("nightly", "prod", kind="job")
    assert isinstance(job.id, int) and job.id >= 1
    task = log.start_task(job, "FunctionExecution", "load", {"file": "a.csv", "password": "x"})
    log.end_task(task, Status.FAILED, "boom", output="line 1\nline 2")
    log.end_job(job, Status.FAILED, "boom")

    stored = store.runs.get(job.id)
    assert (stored.job_name, stored.environment, stored.status, stored.error) == (
        "nightly",
        "prod",
        "Failed",
        "boom",
    )
    assert stored.guid == job.guid and store.runs.get(job.guid).id == job.id
    assert stored.ended_at is not None and stored.duration is not None
    assert stored.duration >= timedelta(0)
    assert stored.executed_by and stored.host and stored.pid

    [t] = store.runs.tasks(job.id)
    assert (t.kind, t.name, t.status, t.error, t.output) == (
        "FunctionExecution",
        "load",
        "Failed",
        "boom",
        "line 1\nline 2",
    )
    assert dict(t.parameters) == {"file": "a.csv", "password": "***"}


def test_ids_increase_and_recent_is_newest_first(store: Store) -> None:
    log = RunLog(store)
    runs = [log.start_job(f"job{i}", "e") for i in range(3)]
    assert [r.id for r in runs] == sorted(r.id for r in runs)
    log.end_job(runs[1], Status.FAILED, "x")
    assert [r.job_name for r in store.runs.recent()] == ["job2", "job1", "job0"]
    assert [r.job_name for r in store.runs.recent(status="Failed")] == ["job1"]
    assert [r.job_name for r in store.runs.recent(job_name="job0")] == ["job0"]
    assert len(store.runs.recent(limit=2)) == 2


def test_times_are_aware_utc(store: Store) -> None:
    before = utcnow()
    job = RunLog(store).start_job("t", "e")
    stored = store.runs.get(job.id)
    assert stored.started_at.tzinfo is not None
    assert abs((stored.started_at - before).total_seconds()) < 5


def test_unknown_run_is_a_clear_error(store: Store) -> None:
    with pytest.raises(NotFoundError, match="no job run with id 424242"):
        store.runs.get(424242)
    with pytest.raises(NotFoundError):
        store.runs.get(str(uuid.uuid4()))


def test_a_task_run_and_its_parameters_are_written_together(store: Store) -> None:
    job = RunLog(store).start_job("atomic", "e")
    with pytest.raises(Exception):  # noqa: B017 - the duplicate name violates the primary key
        store.runs.start_task(
            guid=str(uuid.uuid4()),
            job_run_id=job.id,
            kind="k",
            name="n",
            started_at=utcnow(),
            parameters=[("a", "1"), ("a", "2")],
        )
    assert store.runs.tasks(job.id) == [], "a half-written task run was left behind"
