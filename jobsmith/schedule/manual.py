"""Runs asked for by hand: ``run job ID [TRIGGER]``, ``run jobs FILE``, backfills.

A trigger is written as runner writes it (``2019-01-01/08:00:00``, ``2019-01-01``) or in
ISO form (``2019-01-01T08:00:00``, with an offset if wanted); a time without an offset is
a wall time in the schedule's zone. Each run is recorded as a fire of the entry (kind
``manual`` or ``backfill``) beside the planned ones, so ``schedule history`` shows it.
"""

from __future__ import annotations

import getpass
import os
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from pathlib import Path

from jobsmith.errors import ScheduleError
from jobsmith.schedule.entries import Entry
from jobsmith.schedule.execute import EntryRunner, RunOutcome
from jobsmith.schedule.zones import resolve
from jobsmith.states import FireState

__all__ = ["RunRequest", "backfill_times", "parse_trigger", "read_run_file", "run_by_hand"]

_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2}))?$")
TRIGGER_FORMS = "YYYY-MM-DD/HH:MM:SS, YYYY-MM-DD, YYYYMMDDHHMMSS or ISO 8601"


def parse_trigger(text: str, tz: tzinfo) -> datetime:
    """A trigger time from the command line or a run file."""
    value = text.strip()
    compact = _COMPACT.match(value)
    try:
        if compact:
            year, month, day, hour, minute, second = (int(g or 0) for g in compact.groups())
            moment = datetime(year, month, day, hour, minute, second)
        else:
            moment = datetime.fromisoformat(value.replace("/", "T", 1))
    except ValueError:
        raise ScheduleError(
            f"trigger {text!r} is not understood: expected {TRIGGER_FORMS}"
        ) from None
    if moment.tzinfo is not None:
        return moment
    return resolve(moment, tz)


@dataclass(frozen=True)
class RunRequest:
    """One line of a run file: a job id and a trigger."""

    entry_id: int
    trigger: datetime
    where: str


def read_run_file(path: Path, tz: tzinfo) -> list[RunRequest]:
    """``ID TRIGGER`` per line (runner's ``run jobs`` file); blank lines and ``#`` comments
    are skipped. Every line is checked before anything runs."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ScheduleError(f"{path}: cannot read the run file: {exc.strerror}") from None
    requests = []
    for number, line in enumerate(lines, 1):
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        where = f"{path}:{number}"
        if not words[0].isdigit() or len(words) > 3:
            raise ScheduleError(
                f"{where}: expected a job id and a trigger, e.g. '0 2019-01-01/08:00:00'"
            )
        trigger_text = "/".join(words[1:]) if len(words) > 1 else None
        if trigger_text is None:
            raise ScheduleError(f"{where}: job {words[0]} has no trigger ({TRIGGER_FORMS})")
        try:
            trigger = parse_trigger(trigger_text, tz)
        except ScheduleError as exc:
            raise ScheduleError(f"{where}: {exc}") from None
        requests.append(RunRequest(int(words[0]), trigger, where))
    return requests


def backfill_times(
    entry: Entry, start: datetime, end: datetime, limit: int = 10_000
) -> list[datetime]:
    """The entry's planned times from ``start`` to ``end``, both included."""
    found = []
    for moment in entry.schedule.times_after(start - timedelta(microseconds=1)):
        if moment > end:
            break
        found.append(moment)
        if len(found) > limit:
            raise ScheduleError(
                f"{entry.label} fires more than {limit} times in that period; choose a shorter one"
            )
    return found


def run_by_hand(
    runner: EntryRunner,
    entry: Entry,
    trigger: datetime,
    *,
    kind: str = "manual",
    echo: Callable[[str], None] | None = None,
) -> RunOutcome:
    """Run ``entry`` for ``trigger`` now, recorded as a ``manual`` or ``backfill`` fire."""
    repo = runner.store.schedules
    with runner.store.connector.transaction():
        fire_id = repo.claim(
            schedule=runner.home.settings.name,
            entry_id=entry.id,
            entry_name=entry.name,
            planned_at=trigger,
            kind=kind,
            state=FireState.STARTING,
            claimed_by=_who(),
            claimed_at=runner.clock.now(),
        )
    assert fire_id is not None
    return runner.run(entry, trigger, fire_id=fire_id, echo=echo)


def _who() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}:{os.getpid()}"
