"""next_after across DST transitions, checked against a brute-force oracle (hypothesis).

The oracle walks real time second by second and fires:
- at the first instant whose wall time matches (a fold's repeat does not fire again);
- at the first instant after a gap when a matching wall time lies inside the gap.
That is the documented rule, computed without the cron library or the gap search.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobsmith.schedule import Schedule
from jobsmith.schedule.expressions import FieldSchedule

# Zones with one-hour DST (both hemispheres), half-hour DST, a change at midnight,
# a skipped calendar day, and none at all.
ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "America/Santiago",
    "Pacific/Apia",
    "Asia/Kolkata",
]
WINDOW = timedelta(hours=5)


@cache
def transitions(name: str) -> tuple[datetime, ...]:
    """Instants where the zone's UTC offset changes, 2011-2026 (hourly scan, then bisection)."""
    tz = ZoneInfo(name)
    found = []
    moment = datetime(2011, 1, 1, tzinfo=UTC)
    offset = moment.astimezone(tz).utcoffset()
    while moment.year < 2027:
        following = moment + timedelta(hours=1)
        if following.astimezone(tz).utcoffset() != offset:
            low, high = int(moment.timestamp()), int(following.timestamp())
            while low < high:
                middle = (low + high) // 2
                if datetime.fromtimestamp(middle, UTC).astimezone(tz).utcoffset() != offset:
                    high = middle
                else:
                    low = middle + 1
            found.append(datetime.fromtimestamp(high, UTC))
            offset = following.astimezone(tz).utcoffset()
        moment = following
    return tuple(found) or (datetime(2024, 3, 31, 1, tzinfo=UTC),)


def wall(moment: datetime, tz: ZoneInfo) -> datetime:
    return moment.astimezone(tz).replace(tzinfo=None)


def oracle(schedule: FieldSchedule, tz: ZoneInfo, start: datetime, end: datetime) -> list[datetime]:
    """Fires in (start, end), walking every real second in integer arithmetic; wall times
    are remembered from three hours before ``start`` so a fold's first pass is known."""
    v = schedule.values  # the day fields are * in these cases

    def match(w: int) -> bool:
        return w % 60 in v["second"] and w // 60 % 60 in v["minute"] and w // 3600 % 24 in v["hour"]

    def offset(ts: int) -> int:
        delta = datetime.fromtimestamp(ts, UTC).astimezone(tz).utcoffset()
        assert delta is not None
        return int(delta.total_seconds())

    first, last = int(start.timestamp()) - 3 * 3600, int(end.timestamp())
    changes = [int(t.timestamp()) for t in transitions(tz.key) if first < t.timestamp() < last]
    bounds = [*changes, last + 1]
    current, segment = offset(first), 0
    seen, previous, fired = set(), first + current, []
    for ts in range(first, last):
        if ts >= bounds[segment]:
            current, segment = offset(ts), segment + 1
        w = ts + current
        fire = w not in seen and match(w)
        if w - previous > 1:  # jumped over a gap: did it hold a matching wall time?
            fire = fire or any(match(g) for g in range(previous + 1, w))
        seen.add(w)
        previous = max(previous, w)
        if fire and ts > start.timestamp():
            fired.append(datetime.fromtimestamp(ts, UTC))
    return fired


def field_text(values: list[int], style: str) -> str:
    if style == "star":
        return "*"
    if style == "cycle":
        return f"/{values[0]}"
    return ",".join(str(v) for v in sorted(set(values)))


hours = st.tuples(
    st.lists(st.integers(0, 23), min_size=1, max_size=3), st.sampled_from(["list", "star", "cycle"])
)
minutes = st.tuples(
    st.lists(st.integers(0, 59), min_size=1, max_size=3), st.sampled_from(["list", "star", "cycle"])
)
seconds = st.tuples(
    st.lists(st.sampled_from([0, 15, 30, 59]), min_size=1, max_size=2),
    st.sampled_from(["list", "cycle"]),
)


@st.composite
def cases(draw: st.DrawFn) -> tuple[FieldSchedule, ZoneInfo, datetime]:
    name = draw(st.sampled_from(ZONES))
    change = draw(st.sampled_from(transitions(name)))
    start = change + timedelta(seconds=draw(st.integers(-3 * 3600, 3600)))
    (h, hs), (m, ms), (s, ss) = draw(hours), draw(minutes), draw(seconds)
    cycle_ok = {"cycle": lambda vals: [max(1, vals[0] % 30 or 1)]}
    h = cycle_ok.get(hs, lambda vals: vals)(h)
    m = cycle_ok.get(ms, lambda vals: vals)(m)
    s = [max(1, s[0] % 30 or 1)] if ss == "cycle" else s
    schedule = Schedule.fields(
        "*", "*", field_text(h, hs), field_text(m, ms), field_text(s, ss), tz=name
    )
    assert isinstance(schedule, FieldSchedule)
    return schedule, ZoneInfo(name), start


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_next_after_matches_the_oracle_around_transitions(
    case: tuple[FieldSchedule, ZoneInfo, datetime],
) -> None:
    schedule, tz, start = case
    end = start + WINDOW
    expected = oracle(schedule, tz, start, end)
    got = []
    for moment in schedule.times_after(start):
        if moment >= end:
            break
        got.append(moment.astimezone(UTC))
    assert got == expected


@settings(max_examples=40, deadline=None)
@given(cases())
def test_fires_never_go_backwards_and_each_wall_time_fires_once(
    case: tuple[FieldSchedule, ZoneInfo, datetime],
) -> None:
    schedule, tz, start = case
    fires = schedule.upcoming(start, 50)
    assert all(a < b for a, b in itertools.pairwise(fires))
    assert fires[0] > start
    walls = [wall(f, tz) for f in fires]
    assert len(set(walls)) == len(walls)
    # next_after from any fire gives the following fire
    for a, b in itertools.pairwise(fires):
        assert schedule.next_after(a) == b


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(ZONES), st.integers(1, 7200), st.integers(0, 10**6))
def test_intervals_ignore_wall_clock_changes(name: str, step: int, offset: int) -> None:
    start = transitions(name)[offset % len(transitions(name))] - timedelta(hours=1)
    fires = [f.astimezone(UTC) for f in Schedule.every(seconds=step, tz=name).upcoming(start, 20)]
    assert all((b - a).total_seconds() == step for a, b in itertools.pairwise(fires))


@settings(max_examples=40, deadline=None)
@given(
    st.sets(st.integers(1, 31), min_size=1, max_size=3),
    st.sets(st.integers(1, 7), min_size=1, max_size=6),
    st.datetimes(datetime(2000, 1, 1), datetime(2030, 1, 1)),
)
def test_month_day_and_week_day_together_skip_nothing(
    days: set[int], weekdays: set[int], start: datetime
) -> None:
    schedule = Schedule.fields(
        ",".join(map(str, sorted(days))),
        ",".join(map(str, sorted(weekdays))),
        "12",
        "0",
        "0",
        tz="UTC",
    )
    fires = schedule.upcoming(start.replace(tzinfo=UTC), 3)
    day = start.date()
    expected = []
    while len(expected) < 3:
        candidate = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
        if (
            candidate > start.replace(tzinfo=UTC)
            and day.day in days
            and day.isoweekday() in weekdays
        ):
            expected.append(candidate)
        day += timedelta(days=1)
    assert fires == expected


def test_documented_examples() -> None:
    berlin = "Europe/Berlin"
    daily = Schedule.fields(hour="2", minute="30", tz=berlin)
    spring = daily.upcoming(datetime(2024, 3, 30, 12, tzinfo=UTC), 2)
    assert [f.isoformat() for f in spring] == [
        "2024-03-31T03:00:00+02:00",
        "2024-04-01T02:30:00+02:00",
    ]
    autumn = daily.upcoming(datetime(2024, 10, 26, 12, tzinfo=UTC), 2)
    assert [f.isoformat() for f in autumn] == [
        "2024-10-27T02:30:00+02:00",
        "2024-10-28T02:30:00+01:00",
    ]
    quarter = Schedule.cron("*/15 * * * *", tz=berlin).upcoming(
        datetime(2024, 3, 31, 0, 50, tzinfo=UTC), 3
    )
    assert [f.isoformat() for f in quarter] == [
        "2024-03-31T03:00:00+02:00", "2024-03-31T03:15:00+02:00", "2024-03-31T03:30:00+02:00"
    ]  # fmt: skip
