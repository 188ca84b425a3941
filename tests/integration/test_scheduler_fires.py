"""The scheduler with an injected clock: fires run once, catch-up, overlap, pauses, reload."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from jobsmith.clock import ManualClock
from jobsmith.schedule.scheduler import Scheduler
from jobsmith.store import Store
from tests.conftest import StoreTarget
from tests.integration.schedule_homes import add_job, make_home, triggers

T0 = datetime(2024, 5, 1, 8, 0, 0, tzinfo=UTC)


def scheduler(home: Path, clock: ManualClock, store: Store) -> Scheduler:
    return Scheduler(home, store=store, clock=clock)


def step(s: Scheduler, clock: ManualClock, seconds: int = 1, wait: bool = True) -> None:
    """Move the clock on and tick; by default let the runs started end first (real time)."""
    clock.advance(seconds=seconds)
    s.tick()
    if wait:
        assert s.wait(30)


def states(store: Store, entry: int = 1) -> list[tuple[str, str, str]]:
    return [
        (f"{f.planned_at:%H:%M:%S}", f.kind, f.state)
        for f in reversed(store.schedules.history("scheduler", entry, 500))
    ]


def test_due_fires_run_once_with_their_trigger(
    tmp_path: Path, target: StoreTarget, store: Store
) -> None:
    home = make_home(tmp_path / "home", target)
    add_job(home, 1, "* * * * /10")
    clock = ManualClock(T0)
    s = scheduler(home, clock, store)
    s.tick()
    for _ in range(25):
        step(s, clock)
    assert s.wait(30)
    assert sorted(triggers(home)) == ["2024-05-01/08:00:10", "2024-05-01/08:00:20"]
    fires = store.schedules.history("scheduler", 1)
    assert [(f.state, f.status) for f in fires] == [("ran", "Completed")] * 2
    run = store.runs.get(fires[0].run_id)
    assert (run.job_name, run.kind, run.status) == ("job1", "schedule", "Completed")
    log_text = Path(fires[0].log_path).read_text()
    assert "TRIGGER: 2024-05-01 08:00:20" in log_text and "done 2024-05-01/08:00:20" in log_text
    s.close()


def test_two_schedulers_share_the_fires(tmp_path: Path, target: StoreTarget, store: Store) -> None:
    home = make_home(tmp_path / "home", target)
    add_job(home, 1, "* * * * /2")
    clock = ManualClock(T0)
    a, b = scheduler(home, clock, store), scheduler(home, clock, store)
    for _ in range(20):
        clock.advance(seconds=1)
        a.tick()
        b.tick()
        assert a.wait(30) and b.wait(30)
    assert a.wait(30) and b.wait(30)
    expected = [f"2024-05-01/08:00:{s:02d}" for s in range(2, 21, 2)]
    assert sorted(triggers(home)) == expected
    owners = {f.claimed_by for f in store.schedules.history("scheduler", 1)}
    assert len(store.schedules.history("scheduler", 1)) == 10 and owners <= {a.id, b.id}
    a.close()
    b.close()


@pytest.mark.parametrize(
    ("policy", "ran", "missed"),
    [
        ("none", [], 59),
        ("latest", ["08:59:00"], 58),
        ("all 1h 3", ["08:57:00", "08:58:00", "08:59:00"], 56),
        ("all 3m 10", ["08:57:00", "08:58:00", "08:59:00"], 1),  # one row sums up the older ones
    ],
)
def test_catch_up_after_downtime(
    tmp_path: Path, target: StoreTarget, store: Store, policy: str, ran: list[str], missed: int
) -> None:
    home = make_home(tmp_path / "home", target, {"catchup": policy})
    add_job(home, 1, "* * * /1 0")  # each minute
    clock = ManualClock(T0 - timedelta(seconds=1))
    first = scheduler(home, clock, store)
    first.tick()
    step(first, clock)  # 08:00:00 runs
    assert first.wait(30)
    first.close()
    clock.set(T0 + timedelta(minutes=59, seconds=30))  # back after an hour of downtime
    second = scheduler(home, clock, store)
    second.tick()
    for _ in range(5):  # catch-up runs go one after another
        assert second.wait(30)
        second.tick()
    history = states(store)
    caught = [t for t, kind, state in history if kind == "catch-up" and state == "ran"]
    assert caught == ran
    assert len([t for t, kind, state in history if state == "missed"]) == missed
    assert history[0] == ("08:00:00", "scheduled", "ran")
    second.close()


def test_fires_older_than_the_window_are_summed_up(
    tmp_path: Path, target: StoreTarget, store: Store
) -> None:
    home = make_home(tmp_path / "home", target, {"catchup": "none 10m"})
    add_job(home, 1, "* * * * 0")
    clock = ManualClock(T0 - timedelta(seconds=1))
    first = scheduler(home, clock, store)
    first.tick()
    step(first, clock)
    first.wait(30)
    first.close()
    clock.set(T0 + timedelta(days=2))
    second = scheduler(home, clock, store)
    second.tick()
    rows = store.schedules.history("scheduler", 1, 100)
    summary = [f for f in rows if f.note and "not listed one by one" in f.note]
    assert len(summary) == 1 and summary[0].planned_at == T0 + timedelta(minutes=1)
    # the summary, and 07:51 … 07:59 one by one; 08:00 is on time
    assert len([f for f in rows if f.state == "missed"]) == 1 + 9
    assert rows[0].planned_at == T0 + timedelta(days=2) and rows[0].state in (
        "starting",
        "running",
        "ran",
    )
    assert second.wait(30)
    second.close()


def test_more_late_fires_than_are_listed_are_summed_up(
    tmp_path: Path, target: StoreTarget, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("jobsmith.schedule.scheduler.MAX_LISTED", 50)  # instead of 1000
    home = make_home(tmp_path / "home", target, {"catchup": "none 1h"})
    add_job(home, 1, "* * * * *")  # every second
    clock = ManualClock(T0)
    first = scheduler(home, clock, store)
    first.tick()
    step(first, clock)
    first.close()
    clock.set(T0 + timedelta(minutes=10))
    second = scheduler(home, clock, store)
    second.tick()
    assert second.wait(30)
    rows = store.schedules.history("scheduler", 1, 1000)
    summary = [f for f in rows if f.note and "more than 50 at once" in f.note]
    assert len(summary) == 1 and summary[0].planned_at == T0 + timedelta(seconds=2)
    listed = [f for f in rows if f.planned_at > T0 + timedelta(seconds=1) and f not in summary]
    assert len(listed) == 50 and max(f.planned_at for f in listed) == T0 + timedelta(minutes=10)
    second.close()


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        ("skip", {"ran": 1, "skipped": 4, "buffered": 0}),
        ("buffer-one", {"ran": 1, "skipped": 3, "buffered": 1}),
        ("allow", {"ran": 5, "skipped": 0, "buffered": 0}),
    ],
)
def test_overlap_policies(
    tmp_path: Path, target: StoreTarget, store: Store, policy: str, expected: dict[str, int]
) -> None:
    home = make_home(tmp_path / "home", target, {"overlap": policy})
    add_job(home, 1, "* * * * *", parameters="--sleep 2")
    clock = ManualClock(T0)
    s = scheduler(home, clock, store)
    s.tick()
    for _ in range(5):  # five fires within a second of real time: the first still runs
        step(s, clock, wait=False)
    found = {
        state: sum(1 for _, _, st in states(store) if st == state)
        for state in ("skipped", "buffered")
    }
    running = [st for _, _, st in states(store) if st in ("starting", "running")]
    assert len(running) == (5 if policy == "allow" else 1)
    assert found == {"skipped": expected["skipped"], "buffered": expected["buffered"]}
    assert s.wait(30)
    if policy == "buffer-one":  # the waiting fire starts once the first run ended
        s.tick()
        assert s.wait(30)
        assert [t for t, _, st in states(store) if st == "ran"] == ["08:00:01", "08:00:02"]
    else:
        assert len([1 for _, _, st in states(store) if st == "ran"]) == expected["ran"]
    s.close()


def test_paused_entries_record_their_fires(
    tmp_path: Path, target: StoreTarget, store: Store
) -> None:
    home = make_home(tmp_path / "home", target)
    add_job(home, 1, "* * * * *")
    clock = ManualClock(T0)
    s = scheduler(home, clock, store)
    s.tick()
    store.schedules.pause("scheduler", 1, "tester", T0)
    step(s, clock)
    step(s, clock)
    store.schedules.resume("scheduler", 1)
    step(s, clock)
    assert s.wait(30)
    assert [(t, st) for t, _, st in states(store)] == [
        ("08:00:01", "paused"),
        ("08:00:02", "paused"),
        ("08:00:03", "ran"),
    ]
    assert triggers(home) == ["2024-05-01/08:00:03"]
    s.close()


def test_schedule_edits_are_followed_and_broken_ones_reported(
    tmp_path: Path, target: StoreTarget, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    home = make_home(tmp_path / "home", target)
    add_job(home, 1, "* * * * /5")
    clock = ManualClock(T0)
    s = scheduler(home, clock, store)
    caplog.set_level(logging.INFO, "jobsmith")
    s.tick()
    add_job(home, 2, "* * * * /2")  # added while running
    step(s, clock, 2)
    assert "Schedule updated from" in caplog.text and "added 2" in caplog.text
    good = (home / "schedule.tsv").read_text()
    (home / "schedule.tsv").write_text(
        good + "3\tbad\tBad\tbash\tjobs/record.sh\t*\t*\t*\t61\t0\t\tY\n"
    )
    step(s, clock, 3)  # 08:00:05: job 1 still runs from the last good schedule
    assert "column MINUTE (column 9): '61': 61 is out of range" in caplog.text
    assert "the last good schedule keeps running" in caplog.text
    assert s.wait(30)
    assert sorted(triggers(home)) == [
        "2024-05-01/08:00:02",
        "2024-05-01/08:00:04",
        "2024-05-01/08:00:05",
    ]
    s.close()


def test_a_clock_jump_is_logged_and_nothing_fires_twice(
    tmp_path: Path, target: StoreTarget, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    home = make_home(tmp_path / "home", target, {"catchup": "none"})
    add_job(home, 1, "* * * * /10")
    clock = ManualClock(T0)
    s = scheduler(home, clock, store)
    caplog.set_level(logging.INFO, "jobsmith")
    s.tick()
    step(s, clock, 10)  # 08:00:10 runs
    clock.set(T0)  # set back by ten seconds
    s.tick()
    step(s, clock, 10)
    assert "the clock jumped back by 0:00:10" in caplog.text
    clock.set(T0 + timedelta(minutes=5))
    s.tick()
    assert "the clock jumped forward by 0:04:50" in caplog.text
    assert s.wait(30)
    assert triggers(home) == ["2024-05-01/08:00:10", "2024-05-01/08:05:00"]  # 08:05:00 is on time
    missed = [t for t, _, st in states(store) if st == "missed"]
    assert missed[0] == "08:00:20" and missed[-1] == "08:04:50" and len(missed) == 28
    s.close()


def test_fires_of_a_dead_scheduler_are_adopted_or_interrupted(
    tmp_path: Path, target: StoreTarget, store: Store
) -> None:
    home = make_home(tmp_path / "home", target, {"dead_after": "1"})
    add_job(home, 1, "0 0 0 0 0".replace("0 0 0 0 0", "1 * 0 0 0"))
    long_ago = datetime(2020, 1, 1, tzinfo=UTC)
    store.schedules.register_instance("dead", "scheduler", "elsewhere", 1, long_ago)
    run = store.runs.start_job(guid="00000000-0000-4000-8000-000000000001", environment="e", job_name="job1",
                               executed_by="x", host="elsewhere", started_at=long_ago, kind="schedule")  # fmt: skip
    for planned, state in ((T0, "starting"), (T0 + timedelta(seconds=1), "running")):
        with store.connector.transaction():
            fire = store.schedules.claim(schedule="scheduler", entry_id=1, entry_name="job1", planned_at=planned,
                                         kind="scheduled", state=state, claimed_by="dead", claimed_at=long_ago)  # fmt: skip
        if state == "running":
            store.schedules.update(fire, "running", run_id=run)
    s = scheduler(home, ManualClock(T0 + timedelta(seconds=5)), store)
    s.tick()
    assert s.wait(30)
    assert [(t, st) for t, _, st in states(store)] == [
        ("08:00:00", "ran"),
        ("08:00:01", "interrupted"),
    ]
    assert triggers(home) == ["2024-05-01/08:00:00"]
    assert store.runs.get(run).status == "Failed"
    s.close()


def test_a_schedule_kept_in_the_store_is_followed(
    tmp_path: Path, target: StoreTarget, store: Store
) -> None:
    from jobsmith.schedule.sources import StoreSource

    home = make_home(tmp_path / "home", target, {"source": "store"})
    source = StoreSource(store, "scheduler")
    cells = {"ID": "5", "NAME": "stored", "DESCRIPTION": "", "ENVIRONMENT": "bash", "FILE": "jobs/record.sh",
             "MONTH_DAY": "*", "WEEK_DAY": "*", "HOUR": "*", "MINUTE": "*", "SECOND": "/2", "STATUS": "Y"}  # fmt: skip
    source.add(cells)
    clock = ManualClock(T0)
    s = scheduler(home, clock, store)
    s.tick()
    step(s, clock, 2)
    source.update(5, {"SECOND": "/3"})  # edited from the CLI while it runs
    step(s, clock, 1)  # 08:00:03
    step(s, clock, 1)  # 08:00:04: no longer
    source.update(5, {"STATUS": "N"})
    step(s, clock, 2)  # 08:00:06: inactive
    assert triggers(home) == ["2024-05-01/08:00:02", "2024-05-01/08:00:03"]
    s.close()


def test_dst_gap_and_fold_fire_once(tmp_path: Path, target: StoreTarget, store: Store) -> None:
    home = make_home(tmp_path / "home", target, {"timezone": "Europe/Berlin", "catchup": "none"})
    add_job(home, 1, "* * 2 30 0")  # 02:30 every day
    spring = datetime(2024, 3, 31, 0, 55, tzinfo=UTC)  # 01:55 CET; clocks jump 02:00 -> 03:00
    clock = ManualClock(spring)
    s = scheduler(home, clock, store)
    s.tick()
    for _ in range(20):
        step(s, clock, 30)  # through 03:05 CEST
    assert triggers(home) == ["2024-03-31/03:00:00"]  # the first valid instant after 02:30
    autumn = datetime(2024, 10, 26, 23, 55, tzinfo=UTC)  # 01:55 CEST; 03:00 CEST -> 02:00 CET
    clock.set(autumn)
    s.tick()
    for _ in range(30 * 6):
        clock.advance(seconds=30)
        s.tick()
    assert s.wait(30)
    assert triggers(home) == ["2024-03-31/03:00:00", "2024-10-27/02:30:00"]  # once, not twice
    fires = [f for f in store.schedules.history("scheduler", 1) if f.state == "ran"]
    assert [f.planned_at.isoformat() for f in reversed(fires)] == [
        "2024-03-31T01:00:00+00:00", "2024-10-27T00:30:00+00:00",
    ]  # fmt: skip
    s.close()
