"""SIGTERM: a worker finishes (or gives back) its running job and exits cleanly."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from jobsmith.queue import post
from tests.conftest import StoreTarget
from tests.integration.queue_tasks import lines
from tests.integration.worker_processes import start_worker, stop_all, wait_for

pytestmark = [pytest.mark.timeout(90), pytest.mark.slow]


def test_sigterm_lets_the_running_job_finish_then_exits(
    target: StoreTarget, tmp_path: Path
) -> None:
    store = target.open()
    out = str(tmp_path / "out")
    job = post("qt.sleepy", {"path": out, "seconds": 1.5}, store=store)
    worker = start_worker(target, tmp_path / "worker.log", "--lease", "5")
    try:
        wait_for(lambda: len(lines(out)) == 1, 30, "the job to start")
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(20) == 0
    finally:
        stop_all([worker])
    assert [line.split()[0] for line in lines(out)] == ["start", "end"]
    assert store.jobs.get(job.id).status == "completed"
    store.close()


def test_sigterm_past_the_grace_period_gives_the_job_back(
    target: StoreTarget, tmp_path: Path
) -> None:
    store = target.open()
    out = str(tmp_path / "out")
    job = post("qt.burn", {"path": out, "seconds": 30}, store=store)
    worker = start_worker(target, tmp_path / "worker.log", "--lease", "5", "--grace", "0.5")
    try:
        wait_for(lambda: store.jobs.get(job.id).status == "running", 30, "the job to start")
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(20) == 0
    finally:
        stop_all([worker])
    stored = store.jobs.get(job.id)
    assert (stored.status, stored.attempts, stored.worker) == ("waiting", 0, None)
    assert lines(out) == []
    store.close()
