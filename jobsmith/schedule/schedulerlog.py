"""The scheduler's own log, ``logs/<name>.log`` (runner's ``[LOG] console = False``).

Lines are stamped by the scheduler's clock (``JOBSMITH_CLOCK`` included), in the
schedule's time zone, like the per-run logs. runner's ``[LOG]`` options close the file and
open a new one: ``limit_by_day`` when the clock's day changes, ``limit_by_size`` when the
file has reached ``max_size`` bytes. The closed file is renamed after the time its first
line was written: ``logs/<name>_<YYYYMMDDHHMMSS>.log``; none is ever deleted.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, tzinfo
from pathlib import Path

from jobsmith.clock import Clock
from jobsmith.schedule.logfile import LINE_FORMAT, timestamp

__all__ = ["SchedulerLog"]


class SchedulerLog(logging.Handler):
    """A log file that rolls over by the clock's day and/or by size."""

    def __init__(
        self,
        path: Path,
        clock: Clock,
        tz: tzinfo,
        *,
        by_day: bool = True,
        max_size: int | None = None,
    ) -> None:
        super().__init__()
        self.path = path
        self.clock = clock
        self.tz = tz
        self.by_day = by_day
        self.max_size = max_size
        self.opened_at: datetime | None = None
        path.parent.mkdir(parents=True, exist_ok=True)
        self.setFormatter(_ClockFormatter(LINE_FORMAT, clock, tz))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            now = self.clock.now().astimezone(self.tz)
            if self.opened_at is None:
                self.opened_at = self._first_time(now)
            line = self.format(record) + "\n"
            if self._full(now, len(line.encode("utf-8"))):
                self._roll()
                self.opened_at = now
            with self.path.open("a", encoding="utf-8") as file:
                file.write(line)
        except Exception:  # logging must never stop the scheduler
            self.handleError(record)

    def _first_time(self, now: datetime) -> datetime:
        """When the file now there was begun (its modification time's day for an old one)."""
        if self.path.exists() and self.path.stat().st_size:
            return datetime.fromtimestamp(self.path.stat().st_mtime, self.tz)
        return now

    def _full(self, now: datetime, adding: int) -> bool:
        if not self.path.exists() or not self.path.stat().st_size:
            return False
        if self.by_day and self.opened_at is not None and _day(self.opened_at) != _day(now):
            return True
        size = self.path.stat().st_size
        return self.max_size is not None and size + adding > self.max_size

    def _roll(self) -> None:
        began = (self.opened_at or self.clock.now()).astimezone(self.tz)
        stem = f"{self.path.stem}_{began.strftime('%Y%m%d%H%M%S')}"
        for number in range(1, 10_000):
            target = self.path.with_name(f"{stem}{'' if number == 1 else f'_{number}'}.log")
            if not target.exists():
                self.path.rename(target)
                return


def _day(moment: datetime) -> date:
    return moment.date()


class _ClockFormatter(logging.Formatter):
    def __init__(self, fmt: str, clock: Clock, tz: tzinfo) -> None:
        super().__init__(fmt)
        self.clock = clock
        self.tz = tz

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return timestamp(self.clock.now(), self.tz)
