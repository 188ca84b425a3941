"""Cancel and retry on both stores: waiting, parked, retrying and running jobs; requests
that outlive a killed worker; retries that keep the job's history."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import jobsmith
from jobsmith.queue import RetryError, Worker, post
from jobsmith.store import Store
from tests.conftest import REPO, StoreTarget
from tests.integration import control_tasks as ct
from tests.integration.worker_processes import stop_all, wait_for


@contextmanager
def running_worker(store: Store, **options: object) -> Iterator[Worker]:
    """A worker in a thread of this process, stopped when the block ends."""
    options.setdefault("lease", 5)
    worker = Worker(store, **options)  # type: ignore[arg-type]
    thread = threading.Thread(target=worker.run)
    thread.start()
    try:
        yield worker
    finally:
        worker.stop(now=True)
        thread.join(20)


def drain(store: Store) -> None:
    Worker(store, lease=5, burst=True).run()


def test_a_waiting_job_is_cancelled_at_once_and_never_runs(store: Store, tmp_path: Path) -> None:
    out = str(tmp_path / "out")
    job = ct.note.post(path=out, store=store)
    assert job.cancel() == "cancelled"
    assert job.cancel() == "ended"
    drain(store)
    assert ct.lines(out) == []
    assert store.jobs.get(job.id).status == "cancelled"


def test_a_job_in_its_retry_delay_is_cancelled(store: Store, tmp_path: Path) -> None:
    out = str(tmp_path / "out")
    job = post("qt.flaky", {"path": out, "fail_times": 5}, store=store)
    claimed = store.jobs.claim(worker="w", host="h", limit=1, system_units=10, lease=30)
    from jobsmith.store.jobs import Outcome

    later = time.time() + 3600
    store.jobs.finish([Outcome(claimed[0], "waiting", time.time(), time.time(), "x", later)], None)
    assert store.jobs.get(job.id).status == "waiting"  # retrying, an hour from now
    assert jobsmith.cancel(job.id, store=store) == "cancelled"
    assert store.jobs.get(job.id).status == "cancelled"


def test_a_parked_job_is_cancelled(store: Store, tmp_path: Path) -> None:
    dependency = ct.note.post(path=str(tmp_path / "d"), store=store)
    dependant = ct.note.post(path=str(tmp_path / "p"), word="p", store=store)
    claimed = store.jobs.claim(worker="w", host="h", limit=2, system_units=10, lease=30)
    mine = next(c for c in claimed if c.id == dependant.id)
    assert store.jobs.park(mine, dependency.id)
    assert store.jobs.get(dependant.id).status == "parked"
    assert dependant.cancel() == "cancelled"
    assert store.jobs.get(dependant.id).status == "cancelled"


def test_a_running_job_that_checks_stops_by_itself(store: Store, tmp_path: Path) -> None:
    out = str(tmp_path / "out")
    job = ct.polite.post(path=out, store=store)
    with running_worker(store, cancel_grace=60):
        wait_for(lambda: ct.lines(out) == ["start"], 30, "the job to start")
        assert job.cancel() == "requested"
        wait_for(lambda: store.jobs.get(job.id).status != "running", 30, "the job to stop")
    stored = store.jobs.get(job.id)
    assert stored.status == "cancelled" and "stopped on request" in (stored.error or "")
    assert ct.lines(out) == ["start", "saw cancel"]


def test_a_running_job_that_ignores_the_request_is_interrupted_after_the_grace(
    store: Store, tmp_path: Path
) -> None:
    out = str(tmp_path / "out")
    job = ct.stubborn.post(path=out, store=store)
    with running_worker(store, cancel_grace=0.5):
        wait_for(lambda: ct.lines(out) == ["start"], 30, "the job to start")
        assert job.cancel() == "requested"
        wait_for(lambda: store.jobs.get(job.id).status != "running", 30, "the job to stop")
    stored = store.jobs.get(job.id)
    assert (stored.status, stored.error) == ("cancelled", "cancelled while running")
    assert ct.lines(out) == ["start"]  # it never reached its end


def test_a_cancellation_parameter_is_given_to_the_task(store: Store, tmp_path: Path) -> None:
    from jobsmith.queue import Cancellation, Registry

    registry = Registry()

    @registry.task(type_key="ct", task_key="waits")
    def waits(path: str, cancel: Cancellation) -> None:
        ct.mark(path, "start")
        ct.mark(path, f"cancelled {cancel.wait(30)}")

    assert registry.get("ct.waits").arguments.names == ("path",)  # not a job argument
    out = str(tmp_path / "out")
    job = registry.get("ct.waits").post(path=out, store=store)
    with running_worker(store, registry=registry, tasks=["ct.waits"], cancel_grace=60):
        wait_for(lambda: ct.lines(out) == ["start"], 30, "the job to start")
        job.cancel()
        wait_for(lambda: store.jobs.get(job.id).status != "running", 30, "the job to stop")
    assert ct.lines(out) == ["start", "cancelled True"]
    assert store.jobs.get(job.id).status == "cancelled"


def test_a_cancel_request_outlives_a_killed_worker(target: StoreTarget, tmp_path: Path) -> None:
    store = target.open()
    out = str(tmp_path / "out")
    job = ct.stubborn.post(path=out, store=store)
    argv = [sys.executable, "-m", "jobsmith", "worker", "-m", "tests.integration.control_tasks"]
    log = open(tmp_path / "worker.log", "ab")  # noqa: SIM115 (closed below)
    doomed = subprocess.Popen(
        [*argv, "--lease", "2", "--cancel-grace", "600"],
        cwd=REPO,
        env=target.env(),
        stdout=log,
        stderr=log,
    )
    survivor = None
    try:
        wait_for(lambda: ct.lines(out) == ["start"], 60, "the job to start")
        assert job.cancel() == "requested"
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(10)
        assert store.jobs.get(job.id).status == "running"  # until its lease runs out
        survivor = subprocess.Popen(
            [*argv, "--lease", "2"], cwd=REPO, env=target.env(), stdout=log, stderr=log
        )
        wait_for(lambda: store.jobs.get(job.id).status == "cancelled", 60, "the cancel")
    finally:
        stop_all([doomed] + ([survivor] if survivor else []))
        log.close()
    assert ct.lines(out) == ["start"]  # the new worker did not run it again
    store.close()


def test_retry_runs_a_failed_job_again_keeping_its_history(store: Store, tmp_path: Path) -> None:
    out = str(tmp_path / "out")
    job = ct.fail_once.post(path=out, store=store)
    drain(store)
    assert store.jobs.get(job.id).status == "failed"
    assert job.retry() == "waiting"
    drain(store)
    stored = store.jobs.get(job.id)
    assert (stored.status, stored.attempts, stored.error) == ("completed", 2, None)
    runs = [store.runs.get(r).status for r in store.jobs.attempts(job.id)]
    assert runs == ["Failed", "Completed"]
    assert ct.lines(out) == ["attempt", "attempt"]


def test_retry_runs_a_cancelled_job_and_refuses_others(store: Store, tmp_path: Path) -> None:
    out = str(tmp_path / "out")
    job = ct.note.post(path=out, store=store)
    with pytest.raises(RetryError, match=f"job {job.id} is waiting: only a failed or cancelled"):
        job.retry()
    job.cancel()
    assert jobsmith.retry(job.id, store=store) == "waiting"
    drain(store)
    assert store.jobs.get(job.id).status == "completed"
    assert ct.lines(out) == ["note "]
    with pytest.raises(jobsmith.NotFoundError, match="no job with id 999999"):
        jobsmith.retry(999999, store=store)


def test_cancel_and_retry_from_the_command_line(target: StoreTarget, tmp_path: Path) -> None:
    store = target.open()
    job = ct.note.post(path=str(tmp_path / "out"), store=store, run_after=_later())

    def cli(*argv: str) -> str:
        done = target.jobsmith(*argv)
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert f"job {job.id} cancelled" in cli("cancel", str(job.id))
    assert f"job {job.id} waiting again" in cli("retry", str(job.id))
    assert "waiting" in cli("show", str(job.id))
    store.close()


def _later() -> datetime:
    return datetime.now(UTC) + timedelta(hours=1)
