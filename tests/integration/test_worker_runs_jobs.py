"""What a worker does with the jobs it claims, on both stores (worker in this process)."""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from contextlib import closing
from pathlib import Path

import psycopg
import pytest

from jobsmith.errors import JobsmithError
from jobsmith.queue import Worker, post, post_many
from jobsmith.store import Store
from tests.conftest import StoreTarget
from tests.integration.queue_tasks import lines, mark
from tests.integration.worker_processes import wait_for

pytestmark = pytest.mark.timeout(60)


def drain(store: Store, **options: object) -> Worker:
    """Run a burst worker over the global registry until nothing it can run waits."""
    options.setdefault("lease", 5)
    options.setdefault("burst", True)
    worker = Worker(store, **options)  # type: ignore[arg-type]
    worker.run()
    return worker


def test_jobs_run_highest_priority_first_then_oldest(store: Store, tmp_path: Path) -> None:
    out = str(tmp_path / "out")
    for n, priority in [(1, 0), (2, 5), (3, 0), (4, 9), (5, 5)]:
        post("qt.record", {"path": out, "n": n}, priority=priority, store=store)
    drain(store, max_batch=1)
    assert [line.split()[0] for line in lines(out)] == ["4", "2", "5", "1", "3"]


def test_each_attempt_is_in_the_run_log_with_masked_arguments(store: Store) -> None:
    job = post("qt.boom", {"message": "kaput", "password": "hunter2"}, store=store)
    worker = drain(store)
    assert worker.stats.failed == 1
    stored = store.jobs.get(job.id)
    assert (stored.status, stored.error) == ("failed", "RuntimeError: kaput")
    (run_id,) = store.jobs.attempts(job.id)
    run = store.runs.get(run_id)
    assert (run.kind, run.job_name, run.status, run.error) == (
        "queue",
        "qt.boom",
        "Failed",
        "RuntimeError: kaput",
    )
    (task,) = store.runs.tasks(run_id)
    assert dict(task.parameters) == {"message": "kaput", "password": "***"}


def test_write_all_posts_one_job_per_option(store: Store, tmp_path: Path) -> None:
    out = str(tmp_path / "paint")
    post("qt.paint", {"path": out, "color": "ALL"}, store=store)
    drain(store)
    assert sorted(lines(out)) == ["blue", "green", "red"]
    assert {(s, n) for _, _, s, n in store.jobs.counts()} == {("completed", 4)}


def test_a_missing_dependency_runs_first_and_the_dependant_waits_parked(
    store: Store, tmp_path: Path
) -> None:
    out = str(tmp_path / "deps")
    job = post("qt.use", {"path": out, "item": "bolt"}, store=store)
    worker = drain(store)
    assert lines(out) == ["make bolt", "use bolt"]
    assert worker.stats.parked == 1
    assert store.jobs.get(job.id).status == "completed"
    # Fresh within its window: the dependency is not run again.
    post("qt.use", {"path": out, "item": "bolt"}, store=store)
    drain(store)
    assert lines(out) == ["make bolt", "use bolt", "use bolt"]


def test_a_failed_dependency_fails_its_dependant_naming_it(store: Store, tmp_path: Path) -> None:
    job = post("qt.after_boom", {"path": str(tmp_path / "x")}, store=store)
    drain(store)
    stored = store.jobs.get(job.id)
    assert stored.status == "failed"
    assert stored.error is not None
    assert stored.error.startswith("dependency qt.boom (job ")
    assert stored.error.endswith("failed: RuntimeError: dependency broke")


def test_process_units_limit_what_runs_at_once_on_a_host(store: Store, tmp_path: Path) -> None:
    out = str(tmp_path / "heavy")
    post_many([("qt.heavy", {"path": out, "n": n}) for n in range(3)], store=store)
    drain(store, concurrency=3, system_units=10)  # 6 units each: one at a time
    events = [line.split() for line in lines(out)]
    running = peak = 0
    for kind, _, _ in sorted(events, key=lambda e: (float(e[2]), e[0] == "start")):
        running += 1 if kind == "start" else -1
        peak = max(peak, running)
    assert len(events) == 6 and peak == 1


def test_max_jobs_stops_the_worker_after_that_many_outcomes(store: Store, tmp_path: Path) -> None:
    out = str(tmp_path / "some")
    post_many([("qt.record", {"path": out, "n": n}) for n in range(30)], store=store)
    worker = drain(store, max_jobs=12)  # short jobs: claimed in batches after the first
    assert len(lines(out)) == 12
    assert (worker.stats.completed, worker.stats.released) == (12, 0)
    assert {(s, n) for _, _, s, n in store.jobs.counts()} == {("completed", 12), ("waiting", 18)}


def test_max_jobs_does_not_count_a_job_parked_on_its_dependency(
    store: Store, tmp_path: Path
) -> None:
    out = str(tmp_path / "deps")
    job = post("qt.use", {"path": out, "item": "nut"}, store=store)
    worker = drain(store, max_jobs=1)
    assert lines(out) == ["make nut"]  # the dependency ran; its dependant waits again
    assert (worker.stats.parked, worker.stats.completed) == (1, 1)
    assert store.jobs.get(job.id).status == "waiting"


def test_max_jobs_below_one_is_refused(store: Store) -> None:
    with pytest.raises(JobsmithError, match="max_jobs is 0: expected at least 1"):
        Worker(store, max_jobs=0)


def test_cancelling_a_waiting_job_means_it_never_runs(store: Store, tmp_path: Path) -> None:
    out = str(tmp_path / "c")
    job = post("qt.record", {"path": out}, store=store)
    assert store.jobs.cancel(job.id) == "cancelled"
    assert store.jobs.cancel(job.id) == "ended"  # already over: nothing to do
    drain(store)
    assert lines(out) == []


def test_cancelling_a_running_job_interrupts_it(store: Store, tmp_path: Path) -> None:
    out = str(tmp_path / "burn")
    job = post("qt.burn", {"path": out, "seconds": 20}, store=store)
    worker = Worker(store, lease=1.2)
    thread = threading.Thread(target=worker.run)
    thread.start()
    try:
        deadline = time.time() + 10
        while store.jobs.get(job.id).status != "running" and time.time() < deadline:
            time.sleep(0.05)
        assert store.jobs.cancel(job.id) == "requested"
        while store.jobs.get(job.id).status == "running" and time.time() < deadline:
            time.sleep(0.05)
    finally:
        worker.stop()
        thread.join(10)
    stored = store.jobs.get(job.id)
    assert (stored.status, stored.error) == ("cancelled", "cancelled while running")
    assert lines(out) == []


def test_an_idle_worker_wakes_soon_after_a_post(store: Store, tmp_path: Path) -> None:
    out = str(tmp_path / "wake")
    worker = Worker(store, poll=30)  # without a wake-up it would sleep 30 s
    thread = threading.Thread(target=worker.run)
    thread.start()
    try:
        time.sleep(0.5)
        posted = time.time()
        post("qt.record", {"path": out, "n": 7}, store=store)
        while not lines(out) and time.time() - posted < 10:
            time.sleep(0.005)
        waited = time.time() - posted
    finally:
        worker.stop()
        thread.join(10)
    assert lines(out) and waited < 0.5


def test_a_job_that_calls_sys_exit_fails_and_the_worker_runs_on(
    store: Store, tmp_path: Path
) -> None:
    out = str(tmp_path / "out")
    bad = post("qt.quits", {"code": 3}, priority=5, store=store)
    post("qt.record", {"path": out, "n": 1}, store=store)
    worker = drain(store)  # a slot that stopped on it would raise "stopped on an error"
    assert lines(out)[0].startswith("1 ")
    stored = store.jobs.get(bad.id)
    assert (stored.status, stored.error) == ("failed", "SystemExit: 3")
    (run_id,) = store.jobs.attempts(bad.id)
    assert store.runs.get(run_id).error == "SystemExit: 3"
    assert (worker.stats.completed, worker.stats.failed) == (1, 1)


def test_an_on_progress_callback_that_raises_does_not_stop_the_worker(
    store: Store, tmp_path: Path
) -> None:
    out = str(tmp_path / "out")
    post_many([("qt.record", {"path": out, "n": n}) for n in range(3)], store=store)

    def progress(outcomes: object) -> None:
        raise ValueError("a broken progress bar")

    worker = drain(store, on_progress=progress, max_batch=1)
    assert worker.stats.completed == 3
    assert len(lines(out)) == 3


def _refuse_deleting_jobs(target: StoreTarget) -> None:
    """A real failure for retention: the database refuses to delete any queue job (a
    trigger in the test's own schema), so pruning raises in the worker's monitor."""
    target.refuse("queue_job", "DELETE", "the test refuses to delete jobs")


def test_the_monitor_goes_on_heart_beating_when_pruning_fails(
    target: StoreTarget, store: Store, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    out = str(tmp_path / "out")
    post("qt.record", {"path": out, "n": 9}, store=store)
    drain(store)  # a finished job for retention to prune
    _refuse_deleting_jobs(target)  # the finished job cannot be pruned: the monitor's step raises
    job = post("qt.sleepy", {"path": out, "seconds": 2.5}, store=store)
    with caplog.at_level(logging.ERROR, logger="jobsmith.worker"):
        worker = drain(store, retention=0.0, lease=1, concurrency=2)
    assert any("retention pruning failed" in r.getMessage() for r in caplog.records)
    # Its lease stayed renewed: the idle slot's sweep never saw it expire and ran it again.
    pid = os.getpid()
    assert lines(out) == [f"9 {pid}", f"start 0 {pid}", f"end 0 {pid}"]
    assert len(store.jobs.attempts(job.id)) == 1
    assert worker.stats.completed == 1


def test_a_job_whose_arguments_no_longer_fit_its_task_fails_alone(
    store: Store, tmp_path: Path
) -> None:
    from jobsmith.queue import Registry

    out = str(tmp_path / "out")
    before, after = Registry(), Registry()

    @before.task(type_key="v")
    def greet(name: str) -> None: ...

    @after.task(type_key="v", task_key="greet")
    def greet_renamed(who: str) -> None:  # the parameter was renamed after the post
        mark(out, who)

    @after.task(type_key="v")
    def other(n: int) -> None:
        mark(out, f"other {n}")

    job = before.get("v.greet").post(name="bob", store=store)
    after.get("v.other").post(n=1, store=store)
    worker = Worker(store, after, lease=5, burst=True)
    worker.run()
    assert lines(out) == ["other 1"]
    stored = store.jobs.get(job.id)
    assert stored.status == "failed"
    assert stored.error == (
        "task v.greet: missing argument 'who'; unknown argument 'name' (expected: who)"
    )


def _drop_the_job_table(target: StoreTarget) -> None:
    """Someone drops the store's ``queue_job`` table under a running worker (a store reset
    by hand, a schema restored from an old dump)."""
    if target.dialect == "sqlite":
        with closing(sqlite3.connect(target.url.removeprefix("sqlite:///"))) as conn:
            conn.execute("DROP TABLE queue_job")
            conn.commit()
        return
    with psycopg.connect(target.url, autocommit=True) as conn:
        conn.execute(f'DROP TABLE "{target.schema}".queue_job CASCADE')


def test_a_worker_whose_job_table_is_dropped_stops_saying_so(
    target: StoreTarget, store: Store, tmp_path: Path
) -> None:
    """A missing table is not a database that is away for a while: the worker stops at
    once with a one-line error that names it (it used to retry forever with warnings)."""
    out = str(tmp_path / "out")
    post("qt.record", {"path": out, "n": 1}, store=store)
    worker = Worker(store, lease=5)  # not burst: it idles once the job ran
    errors: list[JobsmithError] = []

    def run() -> None:
        try:
            worker.run()
        except JobsmithError as exc:
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    try:
        wait_for(lambda: worker.stats.completed == 1, 10, "the job to run")
        _drop_the_job_table(target)
        thread.join(5)
        assert not thread.is_alive(), "the worker went on after its job table was dropped"
    finally:
        worker.stop(now=True)
        thread.join(10)
    (error,) = errors
    said = str(error)
    assert "\n" not in said
    assert said.endswith(
        f"the store at {store.connector.description} has no table queue_job: "
        "was it deployed? (`jobsmith deploy`)"
    ), said
