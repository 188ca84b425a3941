"""jobsmith.testing.harness: the real worker and scheduler code on a clock moved by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from jobsmith.errors import JobsmithError
from jobsmith.queue import Cancellation, Registry
from jobsmith.testing import Harness, harness

START = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


def tasks(events: list[str]) -> tuple[Registry, dict[str, Harness]]:
    """Tasks of type ``h`` that note what they do in ``events``; ``box["h"]`` is the
    harness (tasks that move its clock or kill its worker reach it there)."""
    registry = Registry()
    box: dict[str, Harness] = {}

    @registry.task(type_key="h", retries=3, retry_delay=60, retry_backoff=2)
    def flaky(fail_times: int) -> None:
        events.append(f"attempt at {box['h'].clock.now():%H:%M:%S}")
        if sum(e.startswith("attempt") for e in events) <= fail_times:
            raise RuntimeError("not yet")

    @registry.task(type_key="h", timeout=300)
    def slow(minutes: float) -> None:
        events.append("start")
        box["h"].advance(minutes=minutes)  # the job "takes" this long on the clock
        events.append("end")

    @registry.task(type_key="h")
    def note(word: str) -> None:
        events.append(word)

    @registry.task(type_key="h")
    def doomed(word: str) -> None:
        events.append(f"start {word}")
        if sum(e.startswith("start") for e in events) == 1:
            box["h"].kill_worker()  # the first attempt's worker dies mid-job
        events.append(f"end {word}")

    @registry.task(type_key="h")
    def patient(cancel: Cancellation, stop: bool) -> None:
        box["h"].cancel(box["job"])  # type: ignore[arg-type]
        box["h"].advance(seconds=1)
        if stop and cancel:
            events.append("stopped")
            return
        box["h"].advance(minutes=1)  # past the grace: interrupted here
        events.append("never")

    return registry, box


def test_retries_wait_for_the_clock_with_backoff() -> None:
    events: list[str] = []
    registry, box = tasks(events)
    with harness(registry, start=START) as h:
        box["h"] = h
        job = h.post("h.flaky", {"fail_times": 2})
        assert h.run_until_idle() == 1
        assert h.job(job.id).status == "waiting"  # retry in 60 s
        assert h.run_until_idle() == 0  # not due yet
        h.advance(seconds=59)
        assert h.run_until_idle() == 0
        h.advance(seconds=1)
        assert h.run_until_idle() == 1  # second failure: retry in 120 s
        h.advance(minutes=2)
        assert h.run_until_idle() == 1
        assert events == ["attempt at 12:00:00", "attempt at 12:01:00", "attempt at 12:03:00"]
        assert [r.status for r in h.attempts(job.id)] == ["Failed", "Failed", "Completed"]
        assert h.job(job.id).status == "completed"


def test_run_after_follows_the_clock() -> None:
    events: list[str] = []
    registry, _box = tasks(events)
    with harness(registry, start=START) as h:
        h.post("h.note", {"word": "later"}, run_after=START + timedelta(hours=1))
        h.post("h.note", {"word": "now"})
        h.run_until_idle()
        assert events == ["now"]
        h.advance(hours=1)
        h.run_until_idle()
        assert events == ["now", "later"]


def test_a_job_past_its_timeout_on_the_clock_fails() -> None:
    events: list[str] = []
    registry, box = tasks(events)
    with harness(registry, start=START) as h:
        box["h"] = h
        quick = h.post("h.slow", {"minutes": 4})
        slow = h.post("h.slow", {"minutes": 6})
        h.run_until_idle()
        assert h.job(quick.id).status == "completed"
        stored = h.job(slow.id)
        assert (stored.status, stored.error) == ("failed", "timed out after 300s")
        assert events == ["start", "end", "start"]


def test_a_killed_workers_job_runs_again_after_its_lease() -> None:
    events: list[str] = []
    registry, box = tasks(events)
    with harness(registry, start=START, lease=30) as h:
        box["h"] = h
        job = h.post("h.doomed", {"word": "x"})
        h.run_until_idle()
        assert events == ["start x"] and h.job(job.id).status == "running"
        assert len(h.killed) == 1
        h.advance(seconds=29)
        h.run_until_idle()
        assert h.job(job.id).status == "running"  # the lease still holds
        h.advance(seconds=2)
        h.run_until_idle()
        assert events == ["start x", "start x", "end x"]
        stored = h.job(job.id)
        assert (stored.status, stored.attempts, stored.lost) == ("completed", 2, 1)
        assert [r.status for r in h.attempts(job.id)] == ["Failed", "Completed"]


def test_a_job_cancelled_after_its_worker_died_is_not_run_again() -> None:
    """The request is stored: the next worker to claim the job cancels it, and says it was
    before that attempt started (it said "cancelled before it started", after attempt 1)."""
    events: list[str] = []
    registry, box = tasks(events)
    with harness(registry, start=START, lease=30) as h:
        box["h"] = h
        job = h.post("h.doomed", {"word": "x"})
        h.run_until_idle()  # its worker dies mid-job
        assert h.cancel(job.id) == "requested"
        h.advance(seconds=31)
        h.run_until_idle()
        assert events == ["start x"]
        stored = h.job(job.id)
        assert (stored.status, stored.attempts, stored.lost) == ("cancelled", 2, 1)
        assert stored.error == "cancelled before its attempt 2 started"


@pytest.mark.parametrize("stop", [True, False])
def test_cancel_is_seen_then_enforced_after_the_grace(stop: bool) -> None:
    events: list[str] = []
    registry, box = tasks(events)
    with harness(registry, start=START, cancel_grace=30) as h:
        box["h"] = h
        job = h.post("h.patient", {"stop": stop})
        box["job"] = job.id  # type: ignore[assignment]
        h.run_until_idle()
        stored = h.job(job.id)
        assert stored.status == "cancelled"
        assert events == (["stopped"] if stop else [])
        assert stored.error == (
            "cancelled while running (it stopped on request)" if stop else "cancelled while running"
        )


def test_schedule_fires_follow_the_clock(tmp_path: Path) -> None:
    from tests.conftest import StoreTarget
    from tests.integration.schedule_homes import add_job, make_home

    events: list[str] = []
    registry, _box = tasks(events)
    unused = StoreTarget("sqlite:///unused.db", "jobsmith", "sqlite")  # the harness's store is used
    home = make_home(tmp_path / "home", unused, {"mode": "post", "overlap": "allow"})
    add_job(home, 1, times="* * * * 0")
    with harness(registry, start=START) as h:

        def poster(entry, fire_id, planned):  # type: ignore[no-untyped-def]
            return str(h.post("h.note", {"word": f"{planned:%H:%M}"}, unique=False).id)

        h.scheduler(home, poster=poster)
        h.run_until_idle()
        for _ in range(3):
            h.advance(minutes=1)
            h.run_until_idle()
        assert events == ["12:01", "12:02", "12:03"]  # each fire when the clock reached it


@pytest.mark.parametrize(
    ("delta", "parts", "message"),
    [
        (None, {"seconds": -5}, "advance: the clock only moves on, not back by 0:00:05"),
        (timedelta(days=-1), {}, "advance: the clock only moves on, not back by 1 day"),
        (None, {"minuts": 5}, "advance: 'minuts' is an invalid keyword argument"),
        (None, {"minutes": "5"}, "advance: unsupported type for timedelta minutes component"),
        ("5m", {}, "advance: '5m': expected a timedelta and/or days=, hours=, minutes="),
        (300, {}, "advance: 300: expected a timedelta and/or days=, hours=, minutes="),
    ],
)
def test_moving_the_clock_back_or_by_a_mistyped_amount_is_a_clear_error(
    delta: object, parts: dict[str, object], message: str
) -> None:
    events: list[str] = []
    registry, box = tasks(events)
    with harness(registry=registry, start=START) as h:
        box["h"] = h
        job = h.post("h.note", {"word": "later"}, run_after=START + timedelta(seconds=30))
        with pytest.raises(JobsmithError) as caught:
            h.advance(delta, **parts)  # type: ignore[arg-type]
        assert str(caught.value).startswith(message) and "\n" not in str(caught.value)
        assert h.clock.now() == START  # nothing moved
        h.advance(seconds=30)
        assert h.run_until_idle() == 1 and events == ["later"]
        assert h.job(job.id).status == "completed"


def test_a_scheduler_home_that_is_not_one_is_refused(tmp_path: Path) -> None:
    """A mistyped home once gave a scheduler that logged "Schedule not loaded" and fired
    nothing, so a test of a schedule passed or failed for the wrong reason."""
    (tmp_path / "empty").mkdir()
    with harness(start=START) as h:
        with pytest.raises(JobsmithError) as missing:
            h.scheduler(tmp_path / "hom")
        assert str(missing.value) == (
            f"h.scheduler: {str(tmp_path / 'hom')!r} is not a scheduler's home: it does not exist"
        )
        with pytest.raises(JobsmithError, match=r"it has no config\.ini or schedule\.tsv$"):
            h.scheduler(tmp_path / "empty")
        assert h.schedulers == []
