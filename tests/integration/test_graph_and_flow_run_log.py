"""Graph and flow runs are recorded in the run log, on SQLite and on PostgreSQL."""

from __future__ import annotations

import io

import pytest

from jobsmith.flow import LinearFlow, Task, Times, run
from jobsmith.graph import DoJobber, DummyJob, Job
from jobsmith.runlog import RunLog
from jobsmith.store import Store


class Ready(Job):
    def Check(self, *args, **kwargs):
        pass


class NeedsWork(Job):
    DEPS = (Ready,)
    TRIES = 2

    def Check(self, *args, **kwargs):
        if self.global_storage.get("runs", 0) < 2:
            raise RuntimeError("not yet")

    def Run(self, *args, **kwargs):
        self.global_storage["runs"] = self.global_storage.get("runs", 0) + 1


class Goal(DummyJob):
    DEPS = (NeedsWork,)


def test_a_graph_run_is_a_job_run_with_a_task_run_per_job(store: Store) -> None:
    dojob = DoJobber(run_log=store, job_name="nightly", environment="test", stream=io.StringIO())
    dojob.configure(Goal, default_retry_delay=0)
    dojob.checknrun()
    assert dojob.success()
    job = store.runs.recent(1)[0]
    assert (job.job_name, job.kind, job.environment, job.status, job.error) == (
        "nightly",
        "graph",
        "test",
        "Completed",
        None,
    )
    tasks = store.runs.tasks(job.id)
    assert [(t.name, t.kind, t.status) for t in tasks] == [
        ("Ready", "Job", "Completed"),
        ("NeedsWork", "Job", "Completed"),
        ("Goal", "DummyJob", "Completed"),
    ]
    assert tasks[1].output == (
        'try 1: check fail "not yet", run pass, recheck fail "not yet"\n'
        'try 2: check fail "not yet", run pass, recheck pass'
    )
    assert all(t.ended_at is not None and t.ended_at >= t.started_at for t in tasks)


class Reserve(Task):
    default_provides = "reservation"

    def execute(self, guest, password):
        return f"table for {guest}"

    def revert(self, result, **kwargs):
        pass


class Charge(Task):
    def execute(self, reservation, attempt):
        if attempt < 2:
            raise RuntimeError("card declined")


def test_a_flow_run_records_each_execution_and_what_was_reverted(store: Store) -> None:
    flow = LinearFlow("dinner", retry=Times(2, provides="attempt")).add(
        Reserve("reserve"), Charge("charge")
    )
    results = run(flow, {"guest": "Ada", "password": "hunter2"}, run_log=RunLog(store))
    assert results["reservation"] == "table for Ada"
    job = store.runs.recent(1)[0]
    assert (job.job_name, job.kind, job.status) == ("dinner", "flow", "Completed")
    tasks = store.runs.tasks(job.id)
    assert [(t.name, t.kind, t.status, t.error) for t in tasks] == [
        ("reserve", "Reserve", "Reverted", None),
        ("charge", "Charge", "Failed", "card declined"),
        ("reserve", "Reserve", "Completed", None),
        ("charge", "Charge", "Completed", None),
    ]
    assert dict(tasks[0].parameters) == {"guest": "Ada", "password": "***"}


def test_a_failed_flow_is_a_failed_job_run_and_reverts_rows_written_earlier(store: Store) -> None:
    class Slow(Task):
        def execute(self):
            return "done"

    class Boom(Task):
        def execute(self):
            raise ValueError("boom")

    # Rows are written in batches of 1,000: with 1,500 tasks the first batch is stored
    # before the failure, so reverting must update stored rows as well as buffered ones.
    tasks = [Slow(f"slow{i}") for i in range(1500)]
    with pytest.raises(ValueError, match="boom"):
        run(LinearFlow("long").add(*tasks, Boom("boom")), run_log=store)
    job = store.runs.recent(1)[0]
    assert (job.status, job.error) == ("Failed", "boom")
    statuses = [t.status for t in store.runs.tasks(job.id)]
    assert statuses == ["Reverted"] * 1500 + ["Failed"]


def test_the_caller_can_own_the_job_run(store: Store) -> None:
    log = RunLog(store)
    job_run = log.start_job("queued job 7", "test", kind="queue")
    run(
        LinearFlow("inner").add(Reserve("reserve")),
        {"guest": "Bo", "password": "x"},
        run_log=log,
        job_run=job_run,
    )
    assert store.runs.get(job_run.id).status == "Running"  # ending it is the caller's job
    assert [t.name for t in store.runs.tasks(job_run.id)] == ["reserve"]
    log.end_job(job_run, "Completed")
