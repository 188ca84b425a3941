"""Clocks: where jobsmith reads "now", so tests and rehearsals can choose the time.

Everything that schedules (the scheduler loop, default triggers, per-run log names)
takes a :class:`Clock` instead of calling ``datetime.now()``:

- :class:`SystemClock` — the real time (the default);
- :class:`ManualClock` — stands still until you move it; its ``sleep`` moves it instead
  of waiting, so a test can run a day of schedule in a moment::

      clock = ManualClock(datetime(2024, 3, 31, 1, 59, tzinfo=UTC))
      clock.advance(seconds=90)

- :class:`OffsetClock` — starts at a chosen time and runs on from there at real speed
  (or ``rate`` times faster); processes started with ``JOBSMITH_CLOCK=<ISO time>`` use
  one, so a whole walkthrough (scheduler, ``jobsmith run job``) can pretend it is
  2018-12-31 23:59:59. See :func:`clock_from_env`.

Times are aware datetimes in UTC.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Protocol

from jobsmith.errors import ConfigError

__all__ = ["Clock", "ManualClock", "OffsetClock", "SystemClock", "clock_from_env"]

CLOCK_VARIABLE = "JOBSMITH_CLOCK"


class Clock(Protocol):
    """A source of the current time and a way to wait."""

    def now(self) -> datetime:
        """The current time, aware, in UTC."""

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of this clock's time (a manual clock just moves on)."""

    def monotonic(self) -> float:
        """Seconds that only ever grow, at this clock's pace; ``now()`` moving more or less
        than this is a clock jump (the system clock set, a manual clock's ``set``)."""


class SystemClock:
    """The real time."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

    def monotonic(self) -> float:
        return time.monotonic()

    def __repr__(self) -> str:
        return "SystemClock()"


class ManualClock:
    """A clock that moves only when told to; ``sleep`` moves it at once."""

    def __init__(self, start: datetime) -> None:
        self._now = _aware(start)
        self._elapsed = 0.0
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, moment: datetime) -> None:
        """Jump to ``moment`` (backwards too): a clock set by hand, not time passing."""
        with self._lock:
            self._now = _aware(moment)

    def advance(self, delta: timedelta | None = None, *, seconds: float = 0) -> datetime:
        """Move on by ``delta`` and/or ``seconds``; returns the new time."""
        step = (delta or timedelta()) + timedelta(seconds=seconds)
        with self._lock:
            self._now += step
            self._elapsed += step.total_seconds()
            return self._now

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.advance(seconds=seconds)

    def monotonic(self) -> float:
        with self._lock:
            return self._elapsed

    def __repr__(self) -> str:
        return f"ManualClock({self.now().isoformat()})"


class OffsetClock:
    """Starts at ``start`` and runs on at ``rate`` times real speed."""

    def __init__(self, start: datetime, rate: float = 1.0) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.start = _aware(start)
        self.rate = rate
        self._origin = time.monotonic()

    def now(self) -> datetime:
        elapsed = (time.monotonic() - self._origin) * self.rate
        return self.start + timedelta(seconds=elapsed)

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds / self.rate)

    def monotonic(self) -> float:
        return (time.monotonic() - self._origin) * self.rate

    def __repr__(self) -> str:
        return f"OffsetClock(start={self.start.isoformat()}, rate={self.rate})"


def clock_from_env(environ: Mapping[str, str]) -> Clock:
    """The clock ``JOBSMITH_CLOCK`` in ``environ`` asks for, else the system clock.

    ``JOBSMITH_CLOCK=2018-12-31T23:59:59`` starts an :class:`OffsetClock` there (a time
    without an offset is UTC); ``…@60`` runs it 60 times faster than real time. The
    edges pass their environment (:func:`jobsmith.settings.resolve_settings` keeps the
    variable's value: ``settings.clock()``); nothing here reads ``os.environ``.
    """
    text = environ.get(CLOCK_VARIABLE, "").strip()
    if not text:
        return SystemClock()
    moment, _, rate = text.partition("@")
    try:
        start = datetime.fromisoformat(moment.strip())
        speed = float(rate) if rate else 1.0
        return OffsetClock(start, speed)
    except ValueError as exc:
        raise ConfigError(
            f"{CLOCK_VARIABLE}={text!r}: expected an ISO time such as 2018-12-31T23:59:59, "
            f"optionally followed by @RATE (e.g. @60): {exc}"
        ) from None


def _aware(moment: datetime) -> datetime:
    """Naive times are taken as UTC; aware ones are converted to UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
