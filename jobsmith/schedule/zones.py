"""Time zones and wall-clock times: how a schedule's local times become instants.

Schedules are written in wall-clock time ("08:00 every day") in one time zone. Twice a
year (where there is DST) wall-clock time is not a plain count of seconds, so jobsmith
applies one rule to every kind of schedule:

- a wall time inside a spring-forward **gap** (02:30 when clocks jump from 02:00 to
  03:00) fires once, at the first valid instant after it (03:00);
- a wall time inside a fall-back **fold** (01:30 when clocks go from 02:00 back to
  01:00, so 01:30 happens twice) fires once, at its first occurrence.

So every matching wall time fires exactly once, and fire times never go backwards.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, tzinfo
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jobsmith.errors import ScheduleError

__all__ = ["local_zone", "resolve", "wall_time", "zone"]

LOCALTIME = "/etc/localtime"


@cache
def local_zone() -> tzinfo:
    """The machine's time zone with its DST rules: ``TZ``, else ``/etc/localtime``, else UTC."""
    name = os.environ.get("TZ", "").lstrip(":")
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    try:
        with open(LOCALTIME, "rb") as file:
            return ZoneInfo.from_file(file, key="localtime")
    except (OSError, ValueError):
        return UTC


def zone(value: str | tzinfo | None) -> tzinfo:
    """A time zone from an IANA name (``Europe/Berlin``), a tzinfo, or None (local)."""
    if value is None or value == "":
        return local_zone()
    if isinstance(value, tzinfo):
        return value
    if value.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(
            f"unknown time zone {value!r}: expected an IANA name such as Europe/Berlin or UTC"
        ) from None


def wall_time(moment: datetime, tz: tzinfo) -> datetime:
    """The naive wall-clock time of an aware ``moment`` in ``tz``, to the second."""
    # Through UTC: astimezone() to a datetime's own tzinfo returns it unnormalized.
    local = moment.astimezone(UTC).astimezone(tz)
    return local.replace(tzinfo=None, microsecond=0, fold=0)


def resolve(wall: datetime, tz: tzinfo) -> datetime:
    """The instant a naive wall time fires at in ``tz`` (see the module's rule), aware."""
    first = wall.replace(tzinfo=tz, fold=0)
    if wall_time(first, tz) == wall:
        return first  # exists; in a fold fold=0 is the first occurrence
    return _gap_end(wall, tz)


def _gap_end(wall: datetime, tz: tzinfo) -> datetime:
    """The first instant whose wall time is past ``wall`` (which lies in a gap)."""
    a = int(wall.replace(tzinfo=tz, fold=0).timestamp())
    b = int(wall.replace(tzinfo=tz, fold=1).timestamp())
    low, high = min(a, b), max(a, b)
    while low < high:  # transitions fall on whole seconds
        middle = (low + high) // 2
        if _wall_at(middle, tz) > wall:
            high = middle
        else:
            low = middle + 1
    return datetime.fromtimestamp(high, UTC).astimezone(tz)


def _wall_at(timestamp: int, tz: tzinfo) -> datetime:
    return wall_time(datetime.fromtimestamp(timestamp, UTC), tz)
