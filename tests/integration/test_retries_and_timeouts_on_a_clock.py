"""Retries with backoff and timeouts, on the test harness's clock (these were real-time
tests in test_worker_runs_jobs.py: no sleeping, no timing, the order of what ran)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from jobsmith.queue import Registry
from jobsmith.testing import Harness, harness
from tests.integration.queue_tasks import lines, mark

START = datetime(2030, 6, 1, 8, 0, tzinfo=UTC)


def test_a_failed_attempt_is_retried_with_backoff_until_it_succeeds(tmp_path: Path) -> None:
    out = str(tmp_path / "flaky")
    with harness(start=START) as h:
        job = h.post("qt.flaky", {"path": out, "fail_times": 2})  # retries=2, delay 0.05 s, x2
        assert h.run_until_idle() == 1 and h.job(job.id).status == "waiting"
        h.advance(seconds=0.049)
        assert h.run_until_idle() == 0  # the first retry waits 0.05 s of the clock
        h.advance(seconds=0.001)
        assert h.run_until_idle() == 1
        h.advance(seconds=0.099)
        assert h.run_until_idle() == 0  # the second waits twice as long
        h.advance(seconds=0.001)
        assert h.run_until_idle() == 1
        assert lines(out) == ["attempt", "attempt", "attempt"]
        assert (h.worker.stats.retried, h.worker.stats.completed) == (2, 1)
        stored = h.job(job.id)
        assert (stored.status, stored.attempts) == ("completed", 3)
        assert [r.status for r in h.attempts(job.id)] == ["Failed", "Failed", "Completed"]


def test_retries_run_out(tmp_path: Path) -> None:
    with harness(start=START) as h:
        job = h.post("qt.flaky", {"path": str(tmp_path / "f"), "fail_times": 9})
        for _ in range(5):
            h.run_until_idle()
            h.advance(seconds=1)
        stored = h.job(job.id)
        assert (stored.status, stored.attempts, stored.error) == (
            "failed",
            3,
            "RuntimeError: failure 3",
        )


def test_a_job_past_its_timeout_is_interrupted_and_failed(tmp_path: Path) -> None:
    out = str(tmp_path / "spin")
    registry = Registry()
    box: dict[str, Harness] = {}

    @registry.task(type_key="qt", timeout=0.3)
    def spin(path: str, seconds: float = 5.0) -> None:
        mark(path, "start")
        box["h"].advance(seconds=seconds)  # runs that long on the clock
        mark(path, "end")

    with harness(registry, start=START) as h:
        box["h"] = h
        job = h.post("qt.spin", {"path": out, "seconds": 10})
        h.run_until_idle()
        assert lines(out) == ["start"]  # interrupted before its end
        assert h.job(job.id).error == "timed out after 0.3s"
