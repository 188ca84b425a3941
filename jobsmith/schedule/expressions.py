"""Time expressions: when a schedule entry fires.

Three kinds, one interface::

    Schedule.fields(month_day="*", week_day="1-5", hour="8", minute="0", second="0")
    Schedule.cron("0 8 * * 1-5")            # 5 fields, or 6 with seconds first; @daily …
    Schedule.every(minutes=5)                # a fixed interval of real time

    s.next_after(dt)       # the first fire strictly after dt (None if there is none)
    s.upcoming(dt, 3)      # the next three

Fields and cron expressions are wall-clock times in the schedule's time zone (``tz``:
an IANA name or tzinfo; default the machine's zone), with the DST rule of
:mod:`jobsmith.schedule.zones`. An interval counts real seconds from ``start`` (default
1970-01-01 00:00 UTC), so every scheduler agrees on its fire times. The cron library
(cronsim) walks the calendar; runner's fields are translated to a cron expression.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta, tzinfo
from itertools import islice

from cronsim import CronSim, CronSimError

from jobsmith.errors import ScheduleError
from jobsmith.schedule.fields import FIELDS, parse_field
from jobsmith.schedule.zones import resolve, wall_time, zone

__all__ = ["Schedule", "parse_duration"]

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
CRON_ALIASES = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
CRON_FIELDS = ("second", "minute", "hour", "day-of-month", "month", "day-of-week")
_DURATION = re.compile(r"(\d+)\s*([wdhms])", re.IGNORECASE)
_ORDINAL = re.compile(r"\b(\d+)(?:st|nd|rd|th)\b")
_UNIT_SECONDS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}


class Schedule:
    """When something fires. Build one with :meth:`fields`, :meth:`cron` or :meth:`every`."""

    kind: str = ""
    spec: str = ""
    """Canonical text of the expression (two schedules with the same spec and zone are equal)."""

    def __init__(self, tz: str | tzinfo | None) -> None:
        self.tz = zone(tz)

    # -- constructors ---------------------------------------------------------------------
    @classmethod
    def fields(
        cls,
        month_day: str | int | None = None,
        week_day: str | int | None = None,
        hour: str | int | None = None,
        minute: str | int | None = None,
        second: str | int | None = None,
        *,
        tz: str | tzinfo | None = None,
    ) -> Schedule:
        """runner's five fields (see :mod:`jobsmith.schedule.fields`). A field left out is
        ``*`` when it is coarser than the finest one given and its lowest value when it is
        finer, so ``fields(hour=8)`` is 08:00:00 every day; ``fields()`` is every second."""
        given = {"month_day": month_day, "week_day": week_day, "hour": hour}
        given |= {"minute": minute, "second": second}
        return FieldSchedule(_fill_fields(given), tz)

    @classmethod
    def cron(cls, expression: str, *, tz: str | tzinfo | None = None) -> Schedule:
        """A standard cron expression: 5 fields (minute hour day month weekday), 6 with
        seconds first, or an alias such as ``@daily``. Day of month and day of week both
        restricted means either one, as in cron."""
        return CronSchedule(expression, tz)

    @classmethod
    def every(
        cls,
        *,
        weeks: int = 0,
        days: int = 0,
        hours: int = 0,
        minutes: int = 0,
        seconds: int = 0,
        start: datetime | None = None,
        tz: str | tzinfo | None = None,
    ) -> Schedule:
        """A fixed interval of real time, in whole seconds, counted from ``start``."""
        total = (((weeks * 7 + days) * 24 + hours) * 60 + minutes) * 60 + seconds
        return IntervalSchedule(total, start, tz)

    # -- times ----------------------------------------------------------------------------
    def times_after(self, moment: datetime) -> Iterator[datetime]:
        """Every fire strictly after ``moment``, in order (aware, in the schedule's zone).
        A naive ``moment`` is a wall time in the schedule's zone."""
        raise NotImplementedError

    def next_after(self, moment: datetime) -> datetime | None:
        """The first fire strictly after ``moment``, or None when it never fires again."""
        return next(self.times_after(moment), None)

    def upcoming(self, moment: datetime, n: int) -> list[datetime]:
        """The next ``n`` fires strictly after ``moment``."""
        return list(islice(self.times_after(moment), n))

    def describe(self) -> str:
        """The expression in words, e.g. "At 08:00 on Monday through Friday"."""
        raise NotImplementedError

    def _instant(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            return resolve(moment.replace(microsecond=0), self.tz) + timedelta(
                microseconds=moment.microsecond
            )
        return moment

    # -- identity -------------------------------------------------------------------------
    @property
    def zone_name(self) -> str:
        return str(getattr(self.tz, "key", None) or self.tz)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Schedule):
            return NotImplemented
        return (self.spec, self.zone_name) == (other.spec, other.zone_name)

    def __hash__(self) -> int:
        return hash((self.spec, self.zone_name))

    def __str__(self) -> str:
        return self.spec

    def __repr__(self) -> str:
        return f"<Schedule {self.spec} ({self.zone_name})>"


class _WallClockSchedule(Schedule):
    """Fields and cron: wall times from the cron library, mapped to instants by the DST rule."""

    expression: str = ""

    def walls_after(self, wall: datetime) -> Iterator[datetime]:
        """Matching naive wall times strictly after ``wall``."""
        return iter(CronSim(self.expression, wall))

    def times_after(self, moment: datetime) -> Iterator[datetime]:
        after = self._instant(moment)
        for wall in self.walls_after(wall_time(after, self.tz)):
            instant = resolve(wall, self.tz)
            if instant > after:  # skips a fold's repeat and gap times already fired
                yield instant
                after = instant

    def describe(self) -> str:
        return explain(self.expression)


class FieldSchedule(_WallClockSchedule):
    """runner's five fields; every field must match."""

    kind = "fields"

    def __init__(self, values: dict[str, tuple[str, frozenset[int]]], tz: str | tzinfo | None):
        super().__init__(tz)
        self.texts = {name: text for name, (text, _) in values.items()}
        self.values = {name: allowed for name, (_, allowed) in values.items()}
        self.spec = "fields " + " ".join(self.texts[name] for name in FIELDS)
        days, weekdays = self.values["month_day"], self.values["week_day"]
        both = days != FIELDS["month_day"].every and weekdays != FIELDS["week_day"].every
        # cron ORs two restricted day fields; runner ANDs them: let cron walk the week
        # days and check the month day here.
        self.day_filter = days if both else None
        cron_days = "*" if both else _cron_list(days, "month_day")
        cron_weekdays = _cron_list(frozenset(d % 7 for d in weekdays), "week_day")
        parts = [_cron_list(self.values[name], name) for name in ("second", "minute", "hour")]
        self.expression = " ".join([*parts, cron_days, "*", cron_weekdays])

    def walls_after(self, wall: datetime) -> Iterator[datetime]:
        if self.day_filter is None:
            yield from super().walls_after(wall)
            return
        while True:
            for found in CronSim(self.expression, wall):
                if found.day in self.day_filter:
                    yield found
                    wall = found
                else:  # not a wanted month day: start again at the end of that day
                    wall = datetime.combine(found.date(), time(23, 59, 59))
                    break
            else:
                return

    def describe(self) -> str:
        if self.day_filter is None:
            return super().describe()
        only_days = self.expression.split()
        only_days[3], only_days[5] = _cron_list(self.day_filter, "month_day"), "*"
        days = explain(" ".join(only_days))
        names = [WEEKDAY_NAMES[d - 1] for d in sorted(self.values["week_day"])]
        return f"{days}, when that day is a {' or '.join(names)}"


class CronSchedule(_WallClockSchedule):
    """A standard cron expression."""

    kind = "cron"

    def __init__(self, expression: str, tz: str | tzinfo | None) -> None:
        super().__init__(tz)
        text = " ".join(str(expression).split())
        self.expression = CRON_ALIASES.get(text.lower(), text)
        self.spec = f"cron {text}"
        count = len(self.expression.split())
        if count not in (5, 6):
            raise ScheduleError(
                f"cron expression {text!r} has {count} fields; expected 5 (minute hour "
                "day-of-month month day-of-week), 6 with seconds first, or @daily/@hourly/…"
            )
        try:
            CronSim(self.expression, datetime(2000, 1, 1))
        except CronSimError as exc:
            names = CRON_FIELDS[6 - count :]
            raise ScheduleError(
                f"cron expression {text!r}: {exc} (the fields are {' '.join(names)})"
            ) from None


class IntervalSchedule(Schedule):
    """Every ``seconds`` seconds of real time from ``start``."""

    kind = "every"

    def __init__(self, seconds: int, start: datetime | None, tz: str | tzinfo | None) -> None:
        super().__init__(tz)
        if not isinstance(seconds, int) or seconds < 1:
            raise ScheduleError(f"an interval must be a whole number of seconds ≥ 1, not {seconds}")
        self.seconds = seconds
        self.start = (start or datetime(1970, 1, 1, tzinfo=UTC)).replace(microsecond=0)
        if self.start.tzinfo is None:
            self.start = resolve(self.start, self.tz)
        anchor = "" if start is None else f" from {self.start.isoformat()}"
        self.spec = f"every {format_duration(seconds)}{anchor}"

    def times_after(self, moment: datetime) -> Iterator[datetime]:
        after = self._instant(moment)
        elapsed = (after - self.start).total_seconds()
        count = max(int(elapsed // self.seconds) + 1, 0)
        while True:
            yield (self.start + timedelta(seconds=count * self.seconds)).astimezone(self.tz)
            count += 1

    def describe(self) -> str:
        return f"Every {format_duration(self.seconds)}"


def explain(expression: str) -> str:
    """The cron library's words for an expression, with English ordinals (21st, not 21th)."""
    text = CronSim(expression, datetime(2000, 1, 1)).explain()
    return _ORDINAL.sub(lambda m: m.group(1) + _suffix(int(m.group(1))), text)


def _suffix(number: int) -> str:
    if number % 100 in (11, 12, 13):
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")


def _fill_fields(given: dict[str, str | int | None]) -> dict[str, tuple[str, frozenset[int]]]:
    """APScheduler's rule for fields left out: ``*`` above the finest given, lowest below."""
    order = list(FIELDS)
    named = [i for i, name in enumerate(order) if given[name] is not None]
    finest = max(named, default=len(order))
    filled = {}
    for index, name in enumerate(order):
        text = given[name]
        if text is None:
            text = "*" if index < finest or name == "week_day" else str(FIELDS[name].low)
        filled[name] = (str(text).strip(), parse_field(name, text))
    return filled


def _cron_list(values: frozenset[int], name: str) -> str:
    """A set of values as a compact cron list (``*``, ``1-5``, ``0,15,30``)."""
    spec = FIELDS[name]
    if (name != "week_day" and values == spec.every) or (name == "week_day" and len(values) == 7):
        return "*"
    ordered, parts = sorted(values), []
    start = previous = ordered[0]
    for value in [*ordered[1:], None]:
        if value is not None and value == previous + 1:
            previous = value
            continue
        parts.append(str(start) if start == previous else f"{start}-{previous}")
        if value is not None:
            start = previous = value
    return ",".join(parts)


def parse_duration(text: str | int) -> int:
    """Seconds in ``"90"``, ``"90s"``, ``"15m"``, ``"6h"``, ``"1d"``, ``"1h30m"``, ``"2w"``."""
    value = str(text).strip()
    if value.isdigit():
        return int(value)
    parts = _DURATION.findall(value)
    if not parts or _DURATION.sub("", value).strip():
        raise ScheduleError(
            f"duration {value!r} is not understood: expected seconds or e.g. 90s, 15m, 6h, 1d, 1h30m"
        )
    return sum(int(number) * _UNIT_SECONDS[unit.lower()] for number, unit in parts)


def format_duration(seconds: int) -> str:
    """``5400`` → ``"1h30m"``."""
    if seconds == 0:
        return "0s"
    text = ""
    for unit in "dhms":
        count, seconds = divmod(seconds, _UNIT_SECONDS[unit])
        if count:
            text += f"{count}{unit}"
    return text
