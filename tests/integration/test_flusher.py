"""The worker's flusher (ended attempts recorded in the background) on both stores: what
waits for it is ended in one statement, in the order it came; what the database refuses
to record does not stop the others, nor hang the worker."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from jobsmith.errors import JobsmithError
from jobsmith.queue import post_many
from jobsmith.queue.flusher import GIVE_UP_AFTER, Flusher
from jobsmith.queue.worker import Worker, WorkerStats
from jobsmith.states import JobState
from jobsmith.store import Store
from jobsmith.store.jobs import Ended, Outcome
from tests.conftest import StoreTarget
from tests.integration import queue_tasks  # noqa: F401 (registers the qt.* tasks)
from tests.integration.worker_processes import wait_for


def test_the_flusher_ends_every_batch_waiting_for_it_in_one_statement(store: Store) -> None:
    post_many([("qt.record", {"path": "/dev/null", "n": n}) for n in range(3)], store=store)
    claimed = store.jobs.claim(worker="w", host="h", limit=3, system_units=10, lease=30)
    assert len(claimed) == 3
    now = time.time()
    first, second, third = ([Outcome(job, JobState.COMPLETED, now, now)] for job in claimed)
    statements: list[list[int]] = []
    held = threading.Event()
    end = store.jobs.end

    def spied_end(outcomes: Sequence[Outcome], run_log: dict[str, Any] | None) -> Ended:
        statements.append([o.job.id for o in outcomes])
        if len(statements) == 1:
            held.wait(30)  # the database is slow: two more batches come meanwhile
        return end(outcomes, run_log)

    store.jobs.end = spied_end  # type: ignore[method-assign]
    flushed: list[int] = []
    who = {"environment": "test", "executed_by": "tester", "host": "h", "pid": 1}
    flusher = Flusher(store, who, lambda outcomes, ended: flushed.extend(ended.ids))
    flusher.start()
    flusher.put(first)
    wait_for(lambda: len(statements) == 1, 10, "the first statement")
    flusher.put(second)
    flusher.put(third)
    held.set()
    flusher.close()
    ids = [job.id for job in claimed]
    assert statements == [ids[:1], ids[1:]]
    assert sorted(flushed) == ids
    assert {store.jobs.get(i).status for i in ids} == {"completed"}


REFUSED = "the test refuses this run-log row"


def _refuse_run_log_rows(target: StoreTarget, job_id: int | None) -> None:
    """A real failure: a trigger in the test's own schema makes the database refuse the
    run-log row of job ``job_id`` (of every job when None), so ending it raises."""
    when = "TRUE" if job_id is None else f"NEW.queue_job_id = {job_id}"
    target.refuse("job_run", "INSERT", REFUSED, when)


def _run_in_thread(worker: Worker, bound: float) -> WorkerStats | BaseException:
    """Run the worker; fail the test if it has not returned within ``bound`` seconds."""
    done: list[WorkerStats | BaseException] = []

    def run() -> None:
        try:
            done.append(worker.run())
        except BaseException as exc:
            done.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(bound)
    assert done, f"the worker did not return within {bound}s"
    return done[0]


def test_a_job_whose_end_the_database_refuses_leaves_the_others_recorded(
    target: StoreTarget, store: Store, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = str(tmp_path / "ran")
    posted = post_many([("qt.record", {"path": path, "n": n}) for n in range(40)], store=store)
    ids = [p.id for p in posted]
    bad = ids[20]
    _refuse_run_log_rows(target, bad)
    worker = Worker(store, concurrency=2, burst=True, lease=2, max_lost=3)
    with caplog.at_level(logging.ERROR, logger="jobsmith.worker"):
        stats = _run_in_thread(worker, 60)
    assert isinstance(stats, WorkerStats), stats
    assert stats.completed == len(ids) - 1
    assert stats.unrecorded >= 1
    assert [store.jobs.get(i).status for i in ids if i != bad] == ["completed"] * 39
    # the refused end was not recorded: the job is left under its lease, no longer renewed
    left = store.jobs.get(bad)
    assert left.status == "running"
    assert left.worker == f"{worker.name} (its end could not be recorded)"
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert any(f"job {bad} " in e and REFUSED in e for e in errors), errors
    assert any("recording them one by one" in e for e in errors), errors  # in a batch
    # once its lease ran out, it is handed back to run again (at least once)
    wait_for(lambda: bool(store.jobs.expire(3)), 10, "the refused job's lease to run out")
    assert store.jobs.get(bad).status == "waiting"


def test_a_database_that_refuses_every_end_stops_the_worker_instead_of_hanging(
    target: StoreTarget, store: Store, tmp_path: Path
) -> None:
    path = str(tmp_path / "ran")
    post_many([("qt.record", {"path": path, "n": n}) for n in range(20)], store=store)
    _refuse_run_log_rows(target, None)
    worker = Worker(store, concurrency=1, max_batch=1, lease=30)  # not burst: runs on
    assert (worker.flusher is not None) == (target.dialect == "postgresql")
    error = _run_in_thread(worker, 60)
    assert isinstance(error, JobsmithError), error
    assert "refused to record the end of every job" in str(error)
    assert worker.stats.unrecorded >= GIVE_UP_AFTER
    assert worker.stats.completed == 0


def test_an_error_where_ends_are_recorded_stops_the_worker_instead_of_hanging(
    store: Store, tmp_path: Path
) -> None:
    """The code that counts a recorded batch fails (a bug of jobsmith's own, which nothing
    real can cause: the user's on_progress callback is guarded, so the test replaces the
    worker's counting step, the one stand-in in this file): the worker stops and run()
    raises the error, naming it, instead of hanging on a dead recording thread."""
    path = str(tmp_path / "ran")
    post_many([("qt.record", {"path": path, "n": n}) for n in range(10)], store=store)
    worker = Worker(store, concurrency=2, lease=30)  # not burst: it would run on

    def broken(outcomes: Sequence[Outcome], ended: object = None) -> None:
        raise ValueError("counting the batch broke")

    worker._flushed = broken  # type: ignore[method-assign]  # the slots' own recording (SQLite)
    if worker.flusher is not None:  # the recording thread (PostgreSQL)
        worker.flusher.on_flushed = broken
    error = _run_in_thread(worker, 60)
    assert isinstance(error, JobsmithError), error
    assert "counting the batch broke" in str(error)
    assert isinstance(error.__cause__, ValueError)
