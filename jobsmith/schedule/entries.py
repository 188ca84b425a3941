"""Schedule entries: one job of the schedule, as a row of ``schedule.tsv`` or of the store.

The seed's columns (ID, NAME, DESCRIPTION, ENVIRONMENT, FILE, MONTH_DAY, WEEK_DAY, HOUR,
MINUTE, SECOND, PARAMETERS, STATUS) and, optionally, CRON or EVERY instead of the five
time fields, CATCHUP, OVERLAP and PERSONS. :func:`entry_from_cells` validates a row and
names the place, the column and what is allowed when a cell is wrong.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import tzinfo

from jobsmith.errors import ScheduleError
from jobsmith.schedule.expressions import Schedule, format_duration, parse_duration
from jobsmith.schedule.fields import FIELDS, FieldError

__all__ = [
    "COLUMNS",
    "OPTIONAL_COLUMNS",
    "OVERLAP_POLICIES",
    "CatchUp",
    "Entry",
    "entry_from_cells",
]

COLUMNS = (
    "ID",
    "NAME",
    "DESCRIPTION",
    "ENVIRONMENT",
    "FILE",
    "MONTH_DAY",
    "WEEK_DAY",
    "HOUR",
    "MINUTE",
    "SECOND",
    "PARAMETERS",
    "STATUS",
)
"""The seed's columns, in order."""
OPTIONAL_COLUMNS = ("CRON", "EVERY", "CATCHUP", "OVERLAP", "PERSONS")
"""Columns jobsmith adds; a schedule file may carry any of them after STATUS."""
TIME_COLUMNS = tuple(spec.column for spec in FIELDS.values())
OVERLAP_POLICIES = ("skip", "buffer-one", "allow")
CATCHUP_POLICIES = ("none", "latest", "all")
DEFAULT_ENVIRONMENT = "python"
_EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+$")


@dataclass(frozen=True)
class CatchUp:
    """What to do with fires missed while no scheduler ran.

    ``none`` records them as missed; ``latest`` runs the newest one within ``window``;
    ``all`` runs those within ``window``, at most ``limit`` (the newest), oldest first.
    Written ``POLICY [WINDOW [LIMIT]]``, e.g. ``all 6h 10`` or ``latest 1d``.
    """

    policy: str = "none"
    window: int = 86400
    limit: int = 10

    @classmethod
    def parse(cls, text: str, default: CatchUp | None = None) -> CatchUp:
        base = default or cls()
        words = text.split()
        if not words or words[0].lower() not in CATCHUP_POLICIES or len(words) > 3:
            raise ScheduleError(
                f"'{text}': expected none, latest or all, optionally followed by a window "
                "and a count (e.g. 'all 6h 10', 'latest 1d')"
            )
        window = parse_duration(words[1]) if len(words) > 1 else base.window
        if len(words) > 2 and not words[2].isdigit():
            raise ScheduleError(f"'{text}': the count {words[2]!r} must be a whole number")
        limit = int(words[2]) if len(words) > 2 else base.limit
        return cls(words[0].lower(), window, limit)

    def __str__(self) -> str:
        if self.policy == "none":
            return "none"
        if self.policy == "latest":
            return f"latest {format_duration(self.window)}"
        return f"all {format_duration(self.window)} {self.limit}"


@dataclass(frozen=True)
class Entry:
    """One job of the schedule."""

    id: int
    name: str
    description: str
    environment: str
    file: str
    schedule: Schedule
    parameters: str = ""
    active: bool = False
    catchup: CatchUp | None = None
    """None: the scheduler's default."""
    overlap: str | None = None
    """None: the scheduler's default."""
    persons: tuple[str, ...] = ()
    cells: Mapping[str, str] = field(default_factory=dict, compare=False, hash=False)
    """The row's cells as written, by column (for listing and writing back)."""
    where: str = field(default="", compare=False)
    """Where the entry was read, for messages (``schedule.tsv:3``)."""

    @property
    def arguments(self) -> list[str]:
        """PARAMETERS as command-line arguments (shell-style quoting, never a shell)."""
        return shlex.split(self.parameters)

    @property
    def label(self) -> str:
        return f"job {self.id} ({self.name})"


def entry_from_cells(cells: Mapping[str, str], where: str, tz: str | tzinfo | None) -> Entry:
    """Validate one row (column → text) into an :class:`Entry`; errors start with ``where``."""
    text = {name: (cells.get(name) or "").strip() for name in (*COLUMNS, *OPTIONAL_COLUMNS)}

    def fail(column: str, problem: str) -> ScheduleError:
        number = _column_number(column)
        return ScheduleError(f"{where}: column {column}{number}: {problem}")

    entry_id = _entry_id(text["ID"], fail)
    name = text["NAME"]
    if not name or any(c in name for c in "/\\\0"):
        raise fail("NAME", f"{name!r}: expected a name without / or \\ (it names log files)")
    if not text["FILE"]:
        raise fail("FILE", "empty; expected the path of the file to run")
    return Entry(
        id=entry_id,
        name=name,
        description=text["DESCRIPTION"],
        environment=text["ENVIRONMENT"] or DEFAULT_ENVIRONMENT,
        file=text["FILE"],
        schedule=_schedule(text, tz, fail),
        parameters=_parameters(text["PARAMETERS"], fail),
        active=_status(text["STATUS"], fail),
        catchup=_catchup(text["CATCHUP"], fail),
        overlap=_overlap(text["OVERLAP"], fail),
        persons=parse_persons(text["PERSONS"], lambda p: fail("PERSONS", p)),
        cells={k: v for k, v in text.items() if v or k in COLUMNS},
        where=where,
    )


def _column_number(column: str) -> str:
    if column in COLUMNS:
        return f" (column {COLUMNS.index(column) + 1})"
    return ""


def _entry_id(value: str, fail: object) -> int:
    assert callable(fail)
    if not value.isdigit():
        raise fail("ID", f"{value!r}: expected a whole number (0, 1, 2 …)")
    return int(value)


def _schedule(text: Mapping[str, str], tz: str | tzinfo | None, fail: object) -> Schedule:
    assert callable(fail)
    cron, every = text["CRON"], text["EVERY"]
    times = [text[column] for column in TIME_COLUMNS]
    if cron and every:
        raise fail("EVERY", "give CRON or EVERY, not both")
    if cron or every:
        if any(t not in ("", "*") for t in times):
            column = "CRON" if cron else "EVERY"
            raise fail(column, "leave MONTH_DAY … SECOND empty or * when CRON or EVERY is given")
        try:
            if cron:
                return Schedule.cron(cron, tz=tz)
            return Schedule.every(seconds=parse_duration(every), tz=tz)
        except ScheduleError as exc:
            raise fail("CRON" if cron else "EVERY", str(exc)) from None
    try:
        return Schedule.fields(*times, tz=tz)
    except FieldError as exc:
        raise fail(exc.column, str(exc).split(": ", 1)[1]) from None


def _parameters(value: str, fail: object) -> str:
    assert callable(fail)
    try:
        shlex.split(value)
    except ValueError as exc:
        raise fail("PARAMETERS", f"{value!r}: {exc} (quote arguments as in a shell)") from None
    return value


def _status(value: str, fail: object) -> bool:
    assert callable(fail)
    if value.upper() not in ("Y", "N"):
        raise fail("STATUS", f"{value!r}: expected Y (active) or N (inactive)")
    return value.upper() == "Y"


def _catchup(value: str, fail: object) -> CatchUp | None:
    assert callable(fail)
    if not value:
        return None
    try:
        return CatchUp.parse(value)
    except ScheduleError as exc:
        raise fail("CATCHUP", str(exc)) from None


def _overlap(value: str, fail: object) -> str | None:
    assert callable(fail)
    if not value:
        return None
    if value.lower() not in OVERLAP_POLICIES:
        raise fail("OVERLAP", f"{value!r}: expected skip, buffer-one or allow")
    return value.lower()


def parse_persons(value: str, fail: object) -> tuple[str, ...]:
    """E-mail addresses separated by commas, semicolons or spaces."""
    assert callable(fail)
    found = tuple(p for p in re.split(r"[\s,;]+", value.strip()) if p)
    for person in found:
        if not _EMAIL.match(person):
            raise fail(f"{person!r} is not an e-mail address")
    return found
