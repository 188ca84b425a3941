"""Time expressions: the seed's frequency table, month ends, leap days, cron, intervals, errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from jobsmith.errors import ScheduleError
from jobsmith.schedule import Schedule
from jobsmith.schedule.expressions import format_duration, parse_duration

START = datetime(2024, 2, 27, 12, 0, 0, tzinfo=UTC)  # a Tuesday, two days before a leap day


def at(*moments: str) -> list[datetime]:
    return [datetime.fromisoformat(m).replace(tzinfo=UTC) for m in moments]


# runner's README, "the most popular combinations", with the next fires from START.
SEED_TABLE = [
    (("1", "*", "8", "0", "0"), "Each first day of month at 8 am.",
     at("2024-03-01 08:00", "2024-04-01 08:00", "2024-05-01 08:00")),
    (("*", "1", "8", "0", "0"), "Each first day of week at 8 am.",
     at("2024-03-04 08:00", "2024-03-11 08:00", "2024-03-18 08:00")),
    (("*", "*", "8", "0", "0"), "Each day at 8 am.",
     at("2024-02-28 08:00", "2024-02-29 08:00", "2024-03-01 08:00")),
    (("*", "*", "/1", "0", "0"), "Each hour.",
     at("2024-02-27 13:00", "2024-02-27 14:00", "2024-02-27 15:00")),
    (("*", "*", "*", "/5", "0"), "Each five minutes.",
     at("2024-02-27 12:05", "2024-02-27 12:10", "2024-02-27 12:15")),
    (("*", "1-5", "8", "0", "0"), "Each day during weekdays at 8 am.",
     at("2024-02-28 08:00", "2024-02-29 08:00", "2024-03-01 08:00", "2024-03-04 08:00")),
    (("1,11,21", "*", "8", "0", "0"), "Each 1, 11 and 21 day of month at 8 am.",
     at("2024-03-01 08:00", "2024-03-11 08:00", "2024-03-21 08:00")),
]  # fmt: skip


@pytest.mark.parametrize(
    ("fields", "meaning", "expected"), SEED_TABLE, ids=[r[1] for r in SEED_TABLE]
)
def test_seed_frequency_table(
    fields: tuple[str, ...], meaning: str, expected: list[datetime]
) -> None:
    schedule = Schedule.fields(*fields, tz="UTC")
    assert schedule.upcoming(START, len(expected)) == expected
    assert schedule.next_after(START) == expected[0]


def test_the_issue_example_spelling() -> None:
    s = Schedule.fields(month_day="*", week_day="*", hour="8", minute="0", second="0", tz="UTC")
    assert s.next_after(START) == at("2024-02-28 08:00")[0]
    assert s.describe() == "At 08:00 every day"


def test_next_after_is_strictly_after_even_on_a_fire_time() -> None:
    s = Schedule.fields(hour="8", tz="UTC")
    fire = at("2024-02-28 08:00")[0]
    assert s.next_after(fire) == fire + timedelta(days=1)
    assert s.next_after(fire - timedelta(microseconds=1)) == fire
    assert s.next_after(fire + timedelta(microseconds=1)) == fire + timedelta(days=1)


def test_month_ends_skip_short_months() -> None:
    s = Schedule.fields(month_day="31", hour="0", tz="UTC")
    assert s.upcoming(at("2024-01-31 12:00")[0], 4) == at(
        "2024-03-31 00:00", "2024-05-31 00:00", "2024-07-31 00:00", "2024-08-31 00:00"
    )


def test_leap_day_fires_only_in_leap_years() -> None:
    fields = Schedule.fields(month_day="29", hour="6", tz="UTC")
    assert fields.upcoming(at("2023-01-30 00:00")[0], 3) == at(
        "2023-03-29 06:00", "2023-04-29 06:00", "2023-05-29 06:00"
    )
    assert fields.next_after(at("2024-01-30 00:00")[0]) == at("2024-02-29 06:00")[0]
    cron = Schedule.cron("0 6 29 2 *", tz="UTC")
    assert cron.upcoming(START, 3) == at("2024-02-29 06:00", "2028-02-29 06:00", "2032-02-29 06:00")


def test_year_end_rolls_over() -> None:
    s = Schedule.fields(hour="23", minute="59", second="59", tz="UTC")
    assert s.upcoming(at("2024-12-31 12:00")[0], 2) == at(
        "2024-12-31 23:59:59", "2025-01-01 23:59:59"
    )


def test_month_day_and_week_day_must_both_match() -> None:
    # runner ANDs the day fields: the 1st of a month that is a Monday.
    s = Schedule.fields(month_day="1", week_day="1", hour="8", tz="UTC")
    assert s.upcoming(START, 3) == at("2024-04-01 08:00", "2024-07-01 08:00", "2025-09-01 08:00")
    assert all(t.weekday() == 0 and t.day == 1 for t in s.upcoming(START, 20))
    assert s.describe() == "At 08:00 on the first day of every month, when that day is a Monday"


def test_cron_ors_restricted_day_fields() -> None:
    s = Schedule.cron("0 8 1 * 1", tz="UTC")  # the 1st, or any Monday
    assert s.upcoming(START, 3) == at("2024-03-01 08:00", "2024-03-04 08:00", "2024-03-11 08:00")


def test_cycles_count_from_zero_like_runner() -> None:
    even_days = Schedule.fields(month_day="/2", hour="0", tz="UTC")
    assert [t.day for t in even_days.upcoming(at("2024-03-01 01:00")[0], 3)] == [2, 4, 6]
    weekend = Schedule.fields(week_day="6-7", hour="0", tz="UTC")
    assert {t.weekday() for t in weekend.upcoming(START, 6)} == {5, 6}
    sunday = Schedule.fields(week_day="7", hour="0", tz="UTC")
    assert sunday.next_after(START) == at("2024-03-03 00:00")[0]


def test_lists_may_hold_ranges() -> None:
    s = Schedule.fields(hour="1-2,22", minute="0", tz="UTC")
    assert [t.hour for t in s.upcoming(START, 4)] == [22, 1, 2, 22]


def test_fields_left_out_follow_the_finest_given() -> None:
    assert Schedule.fields(hour="8").spec == "fields * * 8 0 0"
    assert Schedule.fields(month_day="1").spec == "fields 1 * 0 0 0"
    assert Schedule.fields(week_day="1-5", minute="30").spec == "fields * 1-5 * 30 0"
    assert Schedule.fields().spec == "fields * * * * *"
    every_second = Schedule.fields(tz="UTC")
    assert every_second.upcoming(START, 2) == [
        START + timedelta(seconds=1),
        START + timedelta(seconds=2),
    ]


def test_cron_with_seconds_and_aliases() -> None:
    assert Schedule.cron("*/20 * * * * *", tz="UTC").upcoming(START, 2) == [
        START + timedelta(seconds=20),
        START + timedelta(seconds=40),
    ]
    assert Schedule.cron("@daily", tz="UTC").next_after(START) == at("2024-02-28 00:00")[0]
    assert Schedule.cron("0 8 L * *", tz="UTC").next_after(START) == at("2024-02-29 08:00")[0]
    assert Schedule.cron("0 8 * * 1-5").describe() == "At 08:00 on Monday through Friday"


def test_intervals_count_real_seconds_from_their_start() -> None:
    s = Schedule.every(minutes=5, tz="UTC")
    assert s.upcoming(at("2024-02-27 12:02:30")[0], 2) == at("2024-02-27 12:05", "2024-02-27 12:10")
    anchored = Schedule.every(hours=1, start=at("2024-01-01 00:20")[0], tz="UTC")
    assert anchored.next_after(START) == at("2024-02-27 12:20")[0]
    before = Schedule.every(seconds=90, start=START)
    assert before.next_after(START - timedelta(days=3)) == START
    assert s.describe() == "Every 5m" and s.spec == "every 5m"


def test_naive_times_are_wall_times_in_the_schedule_zone() -> None:
    s = Schedule.fields(hour="8", tz="Europe/Berlin")
    found = s.next_after(datetime(2024, 7, 1, 7, 59))
    assert found is not None and found.isoformat() == "2024-07-01T08:00:00+02:00"


def test_schedules_compare_by_expression_and_zone() -> None:
    assert Schedule.fields(hour="8", tz="UTC") == Schedule.fields("*", "*", "8", "0", "0", tz="UTC")
    assert Schedule.fields(hour="8", tz="UTC") != Schedule.fields(hour="8", tz="Europe/Berlin")
    assert Schedule.cron("0 8 * * *", tz="UTC") != Schedule.fields(hour="8", tz="UTC")


@pytest.mark.parametrize(
    ("fields", "column", "words"),
    [
        ({"minute": "61"}, "MINUTE", "61 is out of range; expected *, a number 0-59"),
        ({"week_day": "0"}, "WEEK_DAY", "1 = Monday … 7 = Sunday"),
        ({"hour": "*/2"}, "HOUR", "runner writes a cycle as /2"),
        ({"second": "/0"}, "SECOND", "a cycle must be 1 or more"),
        ({"month_day": "5-1"}, "MONTH_DAY", "the range 5-1 runs backwards"),
        ({"hour": "8am"}, "HOUR", "'8am' is not understood"),
        ({"minute": ""}, "MINUTE", "empty; expected"),
    ],
)
def test_bad_fields_name_the_column_and_what_is_allowed(
    fields: dict[str, str], column: str, words: str
) -> None:
    with pytest.raises(ScheduleError) as caught:
        Schedule.fields(**fields)
    assert str(caught.value).startswith(f"{column}: ")
    assert words in str(caught.value)
    assert getattr(caught.value, "column", None) == column


@pytest.mark.parametrize(
    ("expression", "words"),
    [
        ("0 8 * *", "has 4 fields; expected 5"),
        ("61 8 * * *", "Bad minute"),
        ("0 8 * * 9", "Bad day-of-week"),
        ("0 0 8 * * * *", "has 7 fields"),
    ],
)
def test_bad_cron_expressions_say_which_field(expression: str, words: str) -> None:
    with pytest.raises(ScheduleError, match=words):
        Schedule.cron(expression)


def test_bad_intervals_and_zones() -> None:
    with pytest.raises(ScheduleError, match="whole number of seconds"):
        Schedule.every()
    with pytest.raises(ScheduleError, match="unknown time zone 'Mars/Olympus'"):
        Schedule.fields(hour="8", tz="Mars/Olympus")


def test_durations() -> None:
    assert parse_duration("90") == 90
    assert parse_duration("1h30m") == 5400
    assert parse_duration("2d") == 172800
    assert format_duration(5400) == "1h30m"
    with pytest.raises(ScheduleError, match="'soon' is not understood"):
        parse_duration("soon")
