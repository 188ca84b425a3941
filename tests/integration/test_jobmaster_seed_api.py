"""JobMaster as its README (seeds/jobmaster.md) and its 0.1.1 package use it:
``jobs = jobmaster.run()``, the ``insert`` SQL procedure, ``queue_pop``,
``jobs_in_queue``, ``available_process_units``, ``write_tasks``, ``jobmaster()``,
``write_all="x, y"``, and ``foo.post()`` going to the JobMaster's store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from jobsmith import JobMaster
from jobsmith.queue.registry import Registry
from jobsmith.store import Store
from tests.conftest import StoreTarget
from tests.integration.queue_tasks import boom, lines, paint, record

measured: dict[str, Any] = {}
units = Registry()


@units.task(type_key="jmseed", process_units=30)
def measure(path: str) -> None:
    """Records what the JobMaster running it sees while it runs."""
    master: JobMaster = measured["master"]
    measured["available"] = master.available_process_units()
    measured["in_queue"] = [(j.name, j.status) for j in master.jobs_in_queue()]


@pytest.fixture
def master(target: StoreTarget, store: Store) -> Iterator[JobMaster]:
    jm = JobMaster(db_engine=target.url, schema=target.schema, system_process_units=100)
    jm.write_tasks()
    yield jm
    jm.close()


def test_run_returns_the_jobs_it_ran_and_keeps_the_statistics(
    master: JobMaster, tmp_path: Path
) -> None:
    out = str(tmp_path / "out")
    low = master.insert_job("qt", "record", 1, {"path": out, "n": 1})
    high = master.insert_job("qt", "record", 9, {"path": out, "n": 2})
    failing = master.insert_job("qt", "boom", 5, {"message": "no disk"})
    jobs = master.run()
    assert [(j.job_id, j.name, j.status) for j in jobs] == [
        (high.id, "qt.record", "completed"),
        (failing.id, "qt.boom", "failed"),
        (low.id, "qt.record", "completed"),
    ]
    assert jobs[0].arguments == {"path": out, "n": 2} and jobs[0].priority == 9
    assert "no disk" in (jobs[1].error or "")
    assert (jobs.stats.completed, jobs.stats.failed) == (2, 1)
    assert (jobs.completed, jobs.failed, jobs.processed) == (2, 1, 3)  # read through
    assert [line.split()[0] for line in lines(out)] == ["2", "1"]
    again = master()  # JobMaster's __call__: run() again, nothing left
    assert list(again) == [] and again.stats.processed == 0


def test_queue_pop_runs_the_next_job_only(master: JobMaster, store: Store, tmp_path: Path) -> None:
    out = str(tmp_path / "out")
    posted = [master.insert_job("qt", "record", p, {"path": out, "n": p}) for p in (3, 7, 5)]
    popped = master.queue_pop()
    assert popped is not None
    assert (popped.id, popped.status, popped.arguments["n"]) == (posted[1].id, "completed", 7)
    assert [line.split()[0] for line in lines(out)] == ["7"]
    waiting = master.jobs_in_queue()
    assert [(j.id, j.status, j.attempts) for j in waiting] == [
        (posted[2].id, "waiting", 0),
        (posted[0].id, "waiting", 0),
    ]
    assert master.queue_pop().arguments["n"] == 5  # type: ignore[union-attr]
    assert master.queue_pop().arguments["n"] == 3  # type: ignore[union-attr]
    assert master.queue_pop() is None
    assert master.jobs_in_queue() == []


def test_available_process_units_counts_the_jobs_running_here(
    target: StoreTarget, store: Store, tmp_path: Path
) -> None:
    master = JobMaster(
        db_engine=target.url, schema=target.schema, system_process_units=100, registry=units
    )
    measured["master"] = master
    try:
        master.write_tasks()
        assert master.available_process_units() == 100
        job = master.insert_job("jmseed", "measure", None, {"path": str(tmp_path)})
        assert [(j.id, j.status) for j in master.jobs_in_queue()] == [(job.id, "waiting")]
        assert [j.status for j in master.run()] == ["completed"]
        assert measured["available"] == 70
        assert measured["in_queue"] == [("jmseed.measure", "running")]
        assert master.available_process_units() == 100
    finally:
        master.close()
        measured.clear()


def test_write_tasks_publishes_the_definitions(master: JobMaster, store: Store) -> None:
    definition = store.jobs.definition("qt", "record")
    assert definition is not None and [p["name"] for p in definition["parameters"]] == [
        "path",
        "n",
    ]
    assert store.jobs.definition("qt", "paint")["write_all"] == ["color"]  # type: ignore[index]


def test_write_all_as_one_string_is_split_on_commas(master: JobMaster, tmp_path: Path) -> None:
    registry = Registry()

    @registry.task(type_key="jmseed", write_all="color, size")
    def draw(color: ["red", "blue"], size: [1, 2]) -> None:  # noqa: UP037, F821
        pass

    assert draw.write_all == ("color", "size")
    assert registry.get("jmseed.draw").definition()["write_all"] == ["color", "size"]
    # and a write_all task fans out "ALL" as JobMaster does
    out = str(tmp_path / "out")
    master.insert_job("qt", "paint", None, {"path": out, "color": "ALL"})
    jobs = master.run()
    assert sorted(lines(out)) == ["blue", "green", "red"]
    assert len(jobs) == 4 and {j.status for j in jobs} == {"completed"}
    assert paint.write_all == ("color",)


def test_post_goes_to_the_store_of_the_jobmaster_the_program_built(
    target: StoreTarget, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    default = tmp_path / "configured.db"
    monkeypatch.setenv("JOBSMITH_STORE", f"sqlite:///{default}")  # the configured default
    monkeypatch.setenv("JOBSMITH_SCHEMA", "elsewhere")
    master = JobMaster(db_engine=target.url, schema=target.schema)
    try:
        master.write_tasks()
        by_task = record.post(path=str(tmp_path / "out"), n=3)
        from jobsmith.queue.posting import post

        by_name = post("qt.boom", {"message": "x"})
        assert store.jobs.get(by_task.id).name == "qt.record"
        assert store.jobs.get(by_name.id).name == "qt.boom"
        assert not default.exists()
    finally:
        master.close()
    assert boom.registry is not None and boom.registry.default_store is None  # unbound


def call_insert(target: StoreTarget, *args: Any) -> tuple[int | None, str]:
    with psycopg.connect(target.url, autocommit=True) as conn:
        row = conn.execute(
            f'CALL "{target.schema}".insert(%s, %s, %s::json{", %s" * (len(args) - 3)})',
            args,
        ).fetchone()
    assert row is not None
    return row[0], row[1]


@pytest.mark.postgres
def test_the_insert_procedure_answers_with_the_job_id_and_a_message(
    pg_target: StoreTarget, pg_store: Store, tmp_path: Path
) -> None:
    master = JobMaster(db_engine=pg_target.url, schema=pg_target.schema)
    try:
        master.write_tasks()
        args = f'{{"path": "{tmp_path / "out"}", "n": 4}}'
        job_id, message = call_insert(pg_target, "qt", "record", args, 10)
        assert message == "inserted job" and job_id is not None
        queued = pg_store.jobs.get(job_id)
        assert (queued.name, queued.priority, queued.arguments["n"]) == ("qt.record", 10, 4)
        assert call_insert(pg_target, "qt", "record", args, 10) == (
            job_id,
            "Job with same specification already in queue. Returning job_id for that job.",
        )
        assert call_insert(pg_target, "qt", "nosuch", "{}") == (None, "Invalid task: qt.nosuch")
        missing_id, missing = call_insert(pg_target, "qt", "record", '{"n": 1}')
        assert missing_id is None and "missing argument 'path'" in missing
        bad_id, bad = call_insert(pg_target, "qt", "record", '{"path": "p", "n": "x"}')
        assert bad_id is None and "argument 'n'" in bad
        other = f'{{"path": "{tmp_path / "other"}", "n": 5}}'
        default_id, _ = call_insert(pg_target, "qt", "record", other)
        assert pg_store.jobs.get(default_id).priority == 0  # the task's own priority
        assert [j.job_id for j in master.run()] == [job_id, default_id]
    finally:
        master.close()
