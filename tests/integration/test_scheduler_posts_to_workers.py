"""`mode = post`: schedulers post due fires to the queue, `jobsmith worker` processes run them.

Real `jobsmith scheduler` and `jobsmith worker` processes on SQLite and PostgreSQL, or a
scheduler in this process driven by a ManualClock (to place fires exactly) beside real
worker processes. The worker runs each fire through the scheduler's own EntryRunner: the
same log file, run log record, trigger and alarm as when a scheduler runs it.
"""

from __future__ import annotations

import itertools
import os
import shutil
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from jobsmith.clock import ManualClock
from jobsmith.errors import ScheduleError
from jobsmith.schedule.entries import Entry
from jobsmith.schedule.queued import scheduled_run
from jobsmith.schedule.scheduler import Scheduler
from jobsmith.store import FireRecord, Store
from tests.conftest import SmtpServer, StoreTarget
from tests.integration.posting_processes import (
    Processes,
    alive,
    job_pids,
    posting_home,
    wait_for,
)
from tests.integration.schedule_homes import add_job, triggers

T0 = datetime(2024, 5, 1, 8, 0, 0, tzinfo=UTC)
pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def processes(tmp_path: Path, target: StoreTarget) -> Iterator[Processes]:
    started = Processes(target, tmp_path, tmp_path / "home")
    yield started
    started.close()


def fires(store: Store, entry: int = 1) -> list[FireRecord]:
    """The entry's fires, oldest first."""
    return list(reversed(store.schedules.history("scheduler", entry, 1000)))


def fire_at(store: Store, moment: datetime, entry: int = 1) -> FireRecord:
    (found,) = [f for f in fires(store, entry) if f.planned_at == moment]
    return found


def in_process(home: Path, store: Store, clock: ManualClock) -> Scheduler:
    return Scheduler(home, store=store, clock=clock)


FIRST = T0 + timedelta(seconds=10)


def post_first_fire(home: Path, store: Store) -> tuple[Scheduler, ManualClock]:
    """A scheduler in this process that has posted the fire at FIRST (every 10 seconds)."""
    clock = ManualClock(T0)
    scheduler = in_process(home, store, clock)
    scheduler.tick()
    clock.advance(seconds=10)
    scheduler.tick()
    return scheduler, clock


def job_ends(store: Store, fire: FireRecord, status: str) -> None:
    """Wait for the fire's queue job to be recorded as ended (PostgreSQL workers record
    ended jobs in the background, just after the fire)."""
    job_id = int(fire.job_id or 0)
    wait_for(lambda: store.jobs.get(job_id).status == status, 10, f"job {job_id} {status}")


def shown(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d/%H:%M:%S}"


def test_a_scheduler_posts_and_a_worker_runs_the_jobs(
    tmp_path: Path, target: StoreTarget, store: Store, processes: Processes
) -> None:
    home = posting_home(tmp_path / "home", target)
    add_job(home, 1, "* * * * /2", "alpha 'two words'")
    scheduler = processes.scheduler(home)
    worker = processes.worker()
    ran = lambda: [f for f in fires(store) if f.state == "ran"]  # noqa: E731
    wait_for(lambda: len(ran()) >= 2, 60, "two fires run by the worker")
    assert processes.stop(scheduler) == 0
    wait_for(lambda: all(f.state == "ran" for f in fires(store)), 30, "the posted fires to run")
    assert processes.stop(worker) == 0
    assert "Posting job 1 (job1) for" in processes.output("scheduler")

    done = fires(store)
    assert len({f.planned_at for f in done}) == len(done) >= 2
    for fire in done:
        trigger = shown(fire.planned_at)
        assert (fire.kind, fire.status) == ("scheduled", "Completed")
        job = store.jobs.get(int(fire.job_id or 0))
        assert (job.name, job.status, job.arguments["fire"]) == (
            "jobsmith.scheduled_run",
            "completed",
            fire.id,
        )
        run = store.runs.get(fire.run_id or 0)
        assert (run.job_name, run.kind, run.status) == ("job1", "schedule", "Completed")
        log_text = Path(fire.log_path or "").read_text()
        assert f"TRIGGER: {trigger.replace('/', ' ')}" in log_text
        assert f"started {trigger} (JOBSMITH_TRIGGER={trigger}) words: alpha two words" in log_text
        assert f"done {trigger}" in log_text and "TIME SPENT" in log_text
        assert Path(fire.log_path or "").parent == home / "jobs" / "logs"
    assert sorted(triggers(home)) == sorted(shown(f.planned_at) for f in done)


def test_two_schedulers_post_each_planned_time_once(
    tmp_path: Path, target: StoreTarget, store: Store, processes: Processes
) -> None:
    home = posting_home(tmp_path / "home", target, {"overlap": "allow"})
    add_job(home, 1, "* * * * *")
    schedulers = [processes.scheduler(home, name=f"scheduler{n}") for n in range(2)]
    worker = processes.worker("--concurrency", "2")
    wait_for(lambda: len(fires(store)) >= 6, 60, "six fires")
    for scheduler in schedulers:
        assert processes.stop(scheduler) == 0
    wait_for(lambda: all(f.state == "ran" for f in fires(store)), 30, "the posted fires to run")
    assert processes.stop(worker) == 0

    done = fires(store)
    planned = [f.planned_at for f in done]
    assert len(set(planned)) == len(planned), "a planned time was claimed twice"
    assert all(b - a == timedelta(seconds=1) for a, b in itertools.pairwise(planned))
    jobs = store.jobs.of_task("jobsmith", "scheduled_run", limit=1000)
    assert sorted(j.id for j in jobs) == sorted(int(f.job_id or 0) for f in done)
    assert {j.arguments["fire"]: j.arguments["trigger"] for j in jobs} == {
        f.id: f.planned_at.isoformat() for f in done
    }
    assert Counter(triggers(home)) == Counter(shown(t) for t in planned)  # each ran once
    assert {f.status for f in done} == {"Completed"}


def test_posting_a_fire_again_returns_its_job(
    tmp_path: Path, target: StoreTarget, store: Store
) -> None:
    home = posting_home(tmp_path / "home", target)
    add_job(home, 1, "* * * * /10")
    clock = ManualClock(T0)
    first, second = in_process(home, store, clock), in_process(home, store, clock)
    first.tick()
    second.tick()
    clock.advance(seconds=10)
    first.tick()
    second.tick()  # finds the fire claimed: posts nothing
    (fire,) = fires(store)
    assert fire.state == "queued" and fire.claimed_by == first.id
    (entry,) = [t.entry for t in first.tracks.values()]
    assert first.claimer.poster is not None
    again = first.claimer.poster(entry, fire.id, fire.planned_at)
    assert again == fire.job_id
    assert [j.id for j in store.jobs.of_task("jobsmith", "scheduled_run")] == [int(again)]
    first.close()
    second.close()


def test_a_failed_run_on_a_worker_sends_the_alarm(
    tmp_path: Path,
    target: StoreTarget,
    store: Store,
    processes: Processes,
    smtp_server: SmtpServer,
) -> None:
    mail = {
        "EMAIL": {"ip": "127.0.0.1", "port": str(smtp_server.port), "address": "jobs@example.com"}
    }
    home = posting_home(tmp_path / "home", target, sections=mail)
    add_job(home, 1, "* * * * /10", "--fail", PERSONS="ops@example.com")
    scheduler, _clock = post_first_fire(home, store)
    processes.worker()
    FIRST = T0 + timedelta(seconds=10)
    wait_for(lambda: fire_at(store, FIRST).state == "ran", 30, "the failed run")
    wait_for(lambda: bool(smtp_server.received), 10, "the alarm")
    scheduler.close()

    fire = fire_at(store, FIRST)
    assert fire.status == "Failed"
    (mail_received,) = smtp_server.received
    assert mail_received.recipients == ["ops@example.com"]
    assert mail_received.message["Subject"] == "jobsmith alarm: job 1 (job1) failed"
    text = mail_received.message.get_content()
    assert "Job trigger: 2024-05-01 08:00:10." in text and "Details: exit code 3" in text
    assert f"Please check the {fire.log_path} for more details." in text
    job_ends(store, fire, "failed")
    assert store.runs.get(fire.run_id or 0).status == "Failed"
    assert "failing on purpose" in Path(fire.log_path or "").read_text()


def test_a_worker_killed_mid_job_leaves_it_to_another(
    tmp_path: Path, target: StoreTarget, store: Store, processes: Processes
) -> None:
    home = posting_home(tmp_path / "home", target)
    add_job(home, 1, "* * * * /10", "--sleep 2")
    scheduler, _clock = post_first_fire(home, store)
    first = processes.worker(name="worker1")
    wait_for(lambda: fire_at(store, FIRST).state == "running", 30, "the first worker's run")
    wait_for(lambda: bool(job_pids(home)), 10, "the job's process")
    first.kill()  # the machine died: the worker and the job it ran
    first.wait(10)
    os.killpg(job_pids(home)[0], signal.SIGKILL)
    left = fire_at(store, FIRST)
    processes.worker(name="worker2")
    wait_for(lambda: fire_at(store, FIRST).state == "ran", 40, "the run again elsewhere")
    scheduler.close()

    fire = fire_at(store, FIRST)
    assert (fire.status, len(fires(store))) == ("Completed", 1)
    assert fire.run_id != left.run_id and fire.job_id == left.job_id
    stale = store.runs.get(left.run_id or 0)
    assert stale.status == "Failed" and "worker running it stopped" in (stale.error or "")
    job_ends(store, fire, "completed")
    assert store.jobs.get(int(fire.job_id or 0)).attempts == 2
    assert triggers(home) == [shown(FIRST)]  # the killed run never got that far


@pytest.mark.parametrize(
    ("policy", "outcomes", "third"),
    [
        ("skip", ["ran", "skipped", "skipped"], "is running"),
        ("buffer-one", ["ran", "ran", "skipped"], "is already waiting"),
    ],
)
def test_overlap_counts_queued_and_running_fires(
    tmp_path: Path,
    target: StoreTarget,
    store: Store,
    processes: Processes,
    policy: str,
    outcomes: list[str],
    third: str,
) -> None:
    home = posting_home(tmp_path / "home", target, {"overlap": policy})
    add_job(home, 1, "* * * * *", "--sleep 1")
    clock = ManualClock(T0)
    scheduler = in_process(home, store, clock)
    scheduler.tick()
    for _ in range(2):  # 08:00:01 is queued (no worker yet): 08:00:02 overlaps it
        clock.advance(seconds=1)
        scheduler.tick()
    first = fires(store)[0]
    assert "is queued" in (fires(store)[1].note or "")
    processes.worker()
    wait_for(lambda: fire_at(store, first.planned_at).state == "running", 30, "the worker's run")
    clock.advance(seconds=1)
    scheduler.tick()  # 08:00:03 overlaps a running fire
    wait_for(lambda: fire_at(store, first.planned_at).state == "ran", 30, "the first run")

    def settled() -> bool:
        scheduler.tick()  # starts (posts) a waiting fire once the run before it ended
        return all(f.state in ("ran", "skipped") for f in fires(store))

    wait_for(settled, 30, "the fires to settle")
    scheduler.close()
    assert [f.state for f in fires(store)] == outcomes
    assert third in (fires(store)[2].note or "")


def test_catch_up_fires_run_one_after_another_on_workers(
    tmp_path: Path, target: StoreTarget, store: Store, processes: Processes
) -> None:
    home = posting_home(tmp_path / "home", target, {"catchup": "all 1h 3"})
    add_job(home, 1, "* * * /1 0")  # each minute
    clock = ManualClock(T0 - timedelta(seconds=1))
    first = in_process(home, store, clock)
    first.tick()
    clock.advance(seconds=1)
    first.tick()  # 08:00:00 posted
    first.close()
    clock.set(T0 + timedelta(minutes=59, seconds=30))  # back after an hour of downtime
    second = in_process(home, store, clock)
    second.tick()
    assert [f.state for f in fires(store) if f.kind == "catch-up"] == ["buffered"] * 3
    processes.worker()

    def settled() -> bool:
        second.tick()
        return all(f.state in ("ran", "missed") for f in fires(store))

    wait_for(settled, 60, "the catch-up runs")
    second.close()
    caught = [f for f in fires(store) if f.kind == "catch-up"]
    assert [f"{f.planned_at:%H:%M}" for f in caught] == ["08:57", "08:58", "08:59"]
    assert {f.status for f in caught} == {"Completed"}
    ends = [(f.started_at, f.ended_at) for f in [fires(store)[0], *caught]]
    assert all(b[0] >= a[1] for a, b in itertools.pairwise(ends)), "runs overlapped"
    assert triggers(home)[-3:] == [shown(f.planned_at) for f in caught]


def test_cancelled_jobs_end_their_fires(
    tmp_path: Path, target: StoreTarget, store: Store, processes: Processes
) -> None:
    home = posting_home(tmp_path / "home", target, {"overlap": "allow"})
    add_job(home, 1, "* * * * /10", "--sleep 60")
    scheduler, clock = post_first_fire(home, store)
    waiting = fires(store)[0]
    assert store.jobs.cancel(int(waiting.job_id or 0)) == "cancelled"
    scheduler._next_beat = 0  # the next tick beats (and settles fires whose job ended)
    scheduler.tick()
    waiting = fire_at(store, waiting.planned_at)
    assert (waiting.state, waiting.status) == ("interrupted", "Cancelled")
    assert f"queue job {waiting.job_id} cancelled" in (waiting.note or "")

    clock.advance(seconds=10)
    scheduler.tick()
    running_at = T0 + timedelta(seconds=20)
    processes.worker()
    wait_for(lambda: fire_at(store, running_at).state == "running", 30, "the worker's run")
    wait_for(lambda: bool(job_pids(home)), 10, "the job's process")
    assert store.jobs.cancel(int(fire_at(store, running_at).job_id or 0)) == "requested"
    wait_for(lambda: fire_at(store, running_at).state == "interrupted", 30, "the run stopped")
    scheduler.close()
    fire = fire_at(store, running_at)
    assert fire.status == "Failed" and "stopped (JobCancelled)" in (fire.note or "")
    job_ends(store, fire, "cancelled")
    assert store.runs.get(fire.run_id or 0).status == "Failed"
    assert not alive(job_pids(home)[0])
    assert "JOB STOPPED: stopped (JobCancelled)" in Path(fire.log_path or "").read_text()


def test_a_stopping_worker_gives_the_run_back(
    tmp_path: Path, target: StoreTarget, store: Store, processes: Processes
) -> None:
    home = posting_home(tmp_path / "home", target)
    add_job(home, 1, "* * * * /10", "--sleep 2")
    scheduler, _clock = post_first_fire(home, store)
    first = processes.worker("--grace", "0.2", name="worker1")
    wait_for(lambda: bool(job_pids(home)), 30, "the first worker's run")
    assert processes.stop(first) == 0  # finishing takes longer than the grace: given back
    stopped = fire_at(store, FIRST)
    assert stopped.state == "queued" and "queued again" in (stopped.note or "")
    assert store.runs.get(stopped.run_id or 0).status == "Failed"
    processes.worker(name="worker2")
    wait_for(lambda: fire_at(store, FIRST).state == "ran", 30, "the run again")
    scheduler.close()
    fire = fire_at(store, FIRST)
    assert fire.status == "Completed" and fire.run_id != stopped.run_id
    assert triggers(home) == [shown(FIRST)]


def test_a_worker_runs_posted_jobs_from_its_own_copy_of_the_home(
    tmp_path: Path, target: StoreTarget, store: Store, processes: Processes
) -> None:
    home = posting_home(tmp_path / "home", target)
    add_job(home, 1, "* * * * /10")
    copy = tmp_path / "elsewhere" / "home"  # the same home where another machine has it
    shutil.copytree(home, copy)
    processes.home = copy
    scheduler, _clock = post_first_fire(home, store)
    # no JOBSMITH_STORE: --home names the store too ([STORE] in its config.ini)
    processes.worker("--home", str(copy), store_env=False)
    wait_for(lambda: fire_at(store, FIRST).state == "ran", 30, "the run in the copy")
    scheduler.close()
    fire = fire_at(store, FIRST)
    assert Path(fire.log_path or "").is_relative_to(copy / "jobs" / "logs")
    assert triggers(copy) == [shown(FIRST)] and triggers(home) == []
    said = " ".join(processes.output("worker").split())  # log lines wrap
    assert "No tasks of your own: this worker serves the posted runs of scheduler" in said
    assert "runs only built-in tasks" not in said

    history = subprocess.run(
        [sys.executable, "-m", "jobsmith", "schedule", "history", "1", "--home", str(home)],
        env=target.env(), capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    header = next(line for line in history.stdout.splitlines() if "planned" in line)
    columns = [word for word in header.split() if word.isalpha()]
    assert columns == ["planned", "kind", "outcome", "status", "run", "job", "by", "note"]
    assert f" {fire.job_id} " in history.stdout and " ran " in history.stdout


def test_the_task_runs_a_fire_outside_a_worker_too(
    tmp_path: Path, target: StoreTarget, store: Store
) -> None:
    home = posting_home(tmp_path / "home", target)
    add_job(home, 1, "* * * * /10", "--fail")
    scheduler, _clock = post_first_fire(home, store)
    scheduler.close()
    (fire,) = fires(store)
    job = store.jobs.get(int(fire.job_id or 0))
    with pytest.raises(ScheduleError, match=r"job 1 \(job1\) for 2024-05-01/08:00:10: exit code 3"):
        scheduled_run(**job.arguments)  # opens the home's store itself
    fire = fire_at(store, fire.planned_at)
    assert (fire.state, fire.status) == ("ran", "Failed")
    scheduled_run(**job.arguments)  # an ended fire is not run again
    assert triggers(home) == [shown(fire.planned_at)]


def test_a_poster_of_your_own(tmp_path: Path, target: StoreTarget, store: Store) -> None:
    home = posting_home(tmp_path / "home", target)
    add_job(home, 1, "* * * * /10")
    posted: list[tuple[int, int, datetime]] = []

    def elsewhere(entry: Entry, fire_id: int, planned: datetime) -> str:
        posted.append((entry.id, fire_id, planned))
        return f"ext-{fire_id}"  # not a queue job: the schedulers leave its fire alone

    clock = ManualClock(T0)
    scheduler = Scheduler(home, store=store, clock=clock, poster=elsewhere)
    scheduler.tick()
    clock.advance(seconds=10)
    scheduler.tick()
    scheduler._next_beat = 0  # the next tick beats: settles fires whose queue job ended
    scheduler.tick()
    (fire,) = fires(store)
    assert posted == [(1, fire.id, FIRST)]
    assert (fire.state, fire.job_id) == ("queued", f"ext-{fire.id}")
    assert store.jobs.of_task("jobsmith", "scheduled_run") == []
    scheduler.close()
