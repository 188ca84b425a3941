"""The schedule as the dashboard shows and steers it: the entries of one home (the
folder with ``config.ini`` / ``schedule.tsv``), read and changed through the same
functions as ``jobsmith list jobs`` / ``schedule pause|resume|history`` / ``run job``."""

from __future__ import annotations

import getpass
import os
import socket
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from jobsmith.clock import Clock, SystemClock
from jobsmith.errors import NotFoundError
from jobsmith.store import FireRecord, Store, utcnow

if TYPE_CHECKING:
    from jobsmith.schedule.entries import Entry
    from jobsmith.schedule.execute import RunOutcome
    from jobsmith.schedule.home import Home


@dataclass(frozen=True)
class EntryView:
    """One schedule entry with what the page shows about it."""

    entry: Entry
    words: str
    upcoming: list[datetime]
    paused: tuple[datetime, str] | None
    last: FireRecord | None

    @property
    def id(self) -> int:
        return self.entry.id


class ScheduleBoard:
    """The entries of one home, over the store the home uses."""

    def __init__(self, home: Home, store: Store, clock: Clock | None = None) -> None:
        self.home = home
        self.store = store
        self.clock = clock or SystemClock()

    @property
    def name(self) -> str:
        return self.home.settings.name

    def entries(self) -> list[Entry]:
        from jobsmith.schedule.sources import open_source

        settings = self.home.settings
        store = self.store if settings.source == "store" else None
        source = open_source(settings.source, self.home.schedule_path, store, settings.name)
        return source.read(settings.timezone)

    def entry(self, entry_id: int) -> Entry:
        for entry in self.entries():
            if entry.id == entry_id:
                return entry
        raise NotFoundError(f"there is no schedule entry {entry_id} in {self.name!r}")

    def views(self, upcoming: int = 5) -> list[EntryView]:
        paused = self.store.schedules.paused(self.name)
        return [self._view(e, paused, upcoming) for e in self.entries()]

    def view(self, entry_id: int, upcoming: int = 5) -> EntryView:
        paused = self.store.schedules.paused(self.name)
        return self._view(self.entry(entry_id), paused, upcoming)

    def _view(
        self, entry: Entry, paused: dict[int, tuple[datetime, str]], upcoming: int
    ) -> EntryView:
        history = self.store.schedules.history(self.name, entry.id, 1)
        return EntryView(
            entry=entry,
            words=entry.schedule.describe(),
            upcoming=entry.schedule.upcoming(self.clock.now(), upcoming) if entry.active else [],
            paused=paused.get(entry.id),
            last=history[0] if history else None,
        )

    def history(self, entry_id: int, limit: int = 50) -> list[FireRecord]:
        return self.store.schedules.history(self.name, self.entry(entry_id).id, limit)

    def pause(self, entry_id: int) -> None:
        """As ``jobsmith schedule pause ID``: its fires are recorded as paused."""
        entry = self.entry(entry_id)
        self.store.schedules.pause(self.name, entry.id, _who(), utcnow())

    def resume(self, entry_id: int) -> bool:
        """As ``jobsmith schedule resume ID``; False when it was not paused."""
        return self.store.schedules.resume(self.name, self.entry(entry_id).id)

    def run_now(self, entry_id: int, trigger: str) -> RunOutcome:
        """As ``jobsmith run job ID TRIGGER``: run it now for that trigger time and wait."""
        from jobsmith.schedule.execute import EntryRunner
        from jobsmith.schedule.manual import parse_trigger, run_by_hand

        entry = self.entry(entry_id)
        moment = parse_trigger(trigger, self.home.settings.timezone)
        return run_by_hand(EntryRunner(self.home, self.store, self.clock), entry, moment)


def _who() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()} (dashboard, pid {os.getpid()})"
