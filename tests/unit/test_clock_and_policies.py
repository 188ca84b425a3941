"""The injectable clocks, and the scheduler's catch-up and overlap decisions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from jobsmith.clock import ManualClock, OffsetClock, SystemClock, clock_from_env
from jobsmith.errors import ConfigError
from jobsmith.schedule import Schedule
from jobsmith.schedule.alarms import AlarmDigest
from jobsmith.schedule.entries import CatchUp, Entry
from jobsmith.schedule.home import Home
from jobsmith.schedule.policies import overlap_state, plan_fires
from jobsmith.store import FireRecord

T0 = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)


def test_manual_clock_moves_only_when_told() -> None:
    clock = ManualClock(datetime(2024, 5, 1, 8, 0))  # naive: UTC
    assert clock.now() == T0
    clock.sleep(90)
    assert clock.now() == T0 + timedelta(seconds=90) and clock.monotonic() == 90
    clock.set(T0)  # set back by hand: not time passing
    assert clock.now() == T0 and clock.monotonic() == 90


def test_clock_from_the_environment() -> None:
    assert isinstance(clock_from_env({}), SystemClock)
    offset = clock_from_env({"JOBSMITH_CLOCK": "2018-12-31T23:59:59@60"})
    assert isinstance(offset, OffsetClock) and offset.rate == 60
    assert offset.start == datetime(2018, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert abs((offset.now() - offset.start).total_seconds()) < 60
    with pytest.raises(ConfigError, match="JOBSMITH_CLOCK='tomorrow': expected an ISO time"):
        clock_from_env({"JOBSMITH_CLOCK": "tomorrow"})


def times(*minutes: int) -> list[datetime]:
    return [T0 + timedelta(minutes=m) for m in minutes]


def test_latest_is_not_caught_up_when_an_on_time_fire_runs() -> None:
    now = T0 + timedelta(minutes=10)
    plan = plan_fires(times(7, 8, 9, 10), now, grace=30, catchup=CatchUp("latest"), paused=False)
    assert [(p.at.minute, p.kind, p.action) for p in plan] == [
        (7, "scheduled", "missed"), (8, "scheduled", "missed"), (9, "scheduled", "missed"), (10, "scheduled", "run"),
    ]  # fmt: skip
    late_only = plan_fires(times(7, 8, 9), now, grace=30, catchup=CatchUp("latest"), paused=False)
    assert [(p.at.minute, p.action) for p in late_only] == [
        (7, "missed"),
        (8, "missed"),
        (9, "run"),
    ]


def test_all_keeps_the_newest_within_the_window() -> None:
    now = T0 + timedelta(minutes=10)
    plan = plan_fires(
        times(1, 5, 6, 7, 8), now, grace=30, catchup=CatchUp("all", 300, 3), paused=False
    )
    assert [(p.at.minute, p.kind) for p in plan if p.action == "run"] == [
        (6, "catch-up"),
        (7, "catch-up"),
        (8, "catch-up"),
    ]
    assert [p.at.minute for p in plan if p.action == "missed"] == [1, 5]


def test_paused_entries_record_every_fire_as_paused() -> None:
    plan = plan_fires(
        times(1, 2), T0 + timedelta(minutes=3), grace=30, catchup=CatchUp("all"), paused=True
    )
    assert {p.action for p in plan} == {"paused"}


def fire(state: str, minute: int = 0) -> FireRecord:
    return FireRecord(1, "s", 1, "job", T0 + timedelta(minutes=minute), "scheduled", state, "a", T0)


@pytest.mark.parametrize(
    ("policy", "open_states", "catch_up", "expected"),
    [
        ("skip", [], False, "starting"),
        ("skip", ["running"], False, "skipped"),
        ("buffer-one", ["running"], False, "buffered"),
        ("buffer-one", ["running", "buffered"], False, "skipped"),
        ("allow", ["running", "buffered"], False, "starting"),
        ("skip", ["running"], True, "buffered"),  # catch-up runs wait their turn
        ("skip", ["queued"], False, "skipped"),
    ],
)
def test_overlap(policy: str, open_states: list[str], catch_up: bool, expected: str) -> None:
    state, why = overlap_state(
        [fire(s, i) for i, s in enumerate(open_states)], policy, "starting", catch_up
    )
    assert state == expected
    assert (why is None) == (expected == "starting")


def test_missed_fires_make_one_alarm_per_job_and_interval(tmp_path: Path) -> None:
    (tmp_path / "config.ini").write_text("[SCHEDULER]\nalarm = failed, missed\n")
    home = Home.load(tmp_path)
    sent: list[tuple[str, str, str | None]] = []
    now = [0.0]

    def send(
        home: Home, entry: Entry, event: str, trigger: str, log_path: object, detail: str | None
    ) -> bool:
        sent.append((event, trigger, detail))
        return True

    digest = AlarmDigest(home, interval=600, send=send, clock=lambda: now[0])
    entry = Entry(3, "report", "", "python", "r.py", Schedule.fields(hour="8"))
    for minute in range(7):
        digest.add(entry, "missed", f"08:0{minute}")
    digest.add(entry, "skipped", "09:00")  # not an alarm event here
    digest.flush()
    assert sent == [
        ("missed", "08:00 … 08:06", "7 fires missed: 08:00, 08:01, 08:02, 08:03, 08:04 …")
    ]
    digest.add(entry, "missed", "08:10")
    now[0] = 60
    digest.flush()  # within the interval: held back
    assert len(sent) == 1
    digest.add(entry, "missed", "08:11")
    now[0] = 601
    digest.flush()
    assert sent[-1] == ("missed", "08:10 … 08:11", "2 fires missed: 08:10, 08:11")
