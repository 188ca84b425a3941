"""runner's five time fields: MONTH_DAY, WEEK_DAY, HOUR, MINUTE, SECOND.

Each field is one of::

    *          every value
    8          one value
    /5         a cycle: every value divisible by 5 (minute /5 = 0, 5, 10 … 55)
    1-5        a range, both ends included
    1,11,21    a list; items may be ranges too (1-5,7)

WEEK_DAY counts 1 = Monday … 7 = Sunday. A time fires when every field matches (the
month day *and* the week day), as in runner. A cycle counts from 0 as runner does, so
MONTH_DAY /2 means the even days; cron's ``*/n`` is refused here to avoid that mix-up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from jobsmith.errors import ScheduleError

__all__ = ["FIELDS", "FieldError", "FieldSpec", "parse_field"]


class FieldError(ScheduleError):
    """A time field is not valid; ``column`` names it (e.g. ``MINUTE``)."""

    def __init__(self, column: str, message: str) -> None:
        self.column = column
        super().__init__(f"{column}: {message}")


@dataclass(frozen=True)
class FieldSpec:
    """One of the five fields: its column name and the values it allows."""

    column: str
    low: int
    high: int
    hint: str = ""

    @property
    def allowed(self) -> str:
        extra = f" ({self.hint})" if self.hint else ""
        return (
            f"*, a number {self.low}-{self.high}{extra}, /N (values divisible by N), "
            "a range A-B or a list A,B,C"
        )

    @property
    def every(self) -> frozenset[int]:
        return frozenset(range(self.low, self.high + 1))


FIELDS: dict[str, FieldSpec] = {
    "month_day": FieldSpec("MONTH_DAY", 1, 31),
    "week_day": FieldSpec("WEEK_DAY", 1, 7, "1 = Monday … 7 = Sunday"),
    "hour": FieldSpec("HOUR", 0, 23),
    "minute": FieldSpec("MINUTE", 0, 59),
    "second": FieldSpec("SECOND", 0, 59),
}
"""The fields in the order the schedule file lists them, by their keyword names."""

_NUMBER = re.compile(r"^\d+$")
_RANGE = re.compile(r"^(\d+)\s*-\s*(\d+)$")
_CYCLE = re.compile(r"^/(\d+)$")


def parse_field(name: str, text: str | int) -> frozenset[int]:
    """The values ``text`` allows in field ``name`` (``"minute"`` …); raises
    :class:`FieldError` naming the column and what is allowed."""
    spec = FIELDS[name]
    value = str(text).strip()

    def fail(problem: str) -> FieldError:
        return FieldError(spec.column, f"{problem}; expected {spec.allowed}")

    if value == "":
        raise fail("empty")
    if value == "*":
        return spec.every
    if value.startswith("*/"):
        raise fail(f"'{value}' is cron's spelling; runner writes a cycle as /{value[2:]}")
    cycle = _CYCLE.match(value)
    if cycle:
        step = int(cycle.group(1))
        if step < 1:
            raise fail(f"'{value}': a cycle must be 1 or more")
        return frozenset(v for v in spec.every if v % step == 0)
    found: set[int] = set()
    for item in value.split(","):
        found |= _item(spec, item.strip(), value, fail)
    return frozenset(found)


def _item(spec: FieldSpec, item: str, whole: str, fail: object) -> set[int]:
    assert callable(fail)
    if _NUMBER.match(item):
        return {_in_range(spec, int(item), whole, fail)}
    span = _RANGE.match(item)
    if span:
        low = _in_range(spec, int(span.group(1)), whole, fail)
        high = _in_range(spec, int(span.group(2)), whole, fail)
        if low > high:
            raise fail(f"'{whole}': the range {item} runs backwards")
        return set(range(low, high + 1))
    raise fail(f"'{whole}' is not understood")


def _in_range(spec: FieldSpec, number: int, whole: str, fail: object) -> int:
    assert callable(fail)
    if not spec.low <= number <= spec.high:
        raise fail(f"'{whole}': {number} is out of range")
    return number
