"""Where a schedule lives (``schedule.tsv`` or the store) and how a running scheduler
follows it: :class:`ScheduleWatcher` reloads on every change, logs what changed, and when
an edit is broken reports it and keeps the last good schedule running.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import tzinfo
from pathlib import Path
from typing import Protocol

from jobsmith.errors import ScheduleError
from jobsmith.schedule.entries import COLUMNS, OPTIONAL_COLUMNS, Entry, entry_from_cells
from jobsmith.schedule.tsv import ScheduleFile
from jobsmith.store import Store, utcnow

__all__ = ["FileSource", "ScheduleSource", "ScheduleWatcher", "StoreSource", "open_source"]

log = logging.getLogger(__name__)


class ScheduleSource(Protocol):
    """A schedule that can be read, watched and edited."""

    description: str

    def signature(self) -> object:
        """A value that changes whenever the schedule may have changed."""

    def read(self, tz: tzinfo) -> list[Entry]:
        """Every entry; raises ScheduleError naming the place of a bad one."""

    def add(self, cells: Mapping[str, str]) -> None:
        """Add one entry (column → text, the schedule file's column names)."""

    def remove(self, entry_id: int) -> bool:
        """Delete one entry; False when there is none."""

    def update(self, entry_id: int, changes: Mapping[str, str]) -> bool:
        """Change some cells of one entry; False when there is none."""


class FileSource:
    """``schedule.tsv``."""

    def __init__(self, path: Path) -> None:
        self.file = ScheduleFile(path)
        self.description = str(path)

    def signature(self) -> object:
        return self.file.signature()

    def read(self, tz: tzinfo) -> list[Entry]:
        return self.file.read(tz)

    def add(self, cells: Mapping[str, str]) -> None:
        self.file.add(cells)

    def remove(self, entry_id: int) -> bool:
        return self.file.remove(entry_id)

    def update(self, entry_id: int, changes: Mapping[str, str]) -> bool:
        return self.file.update(entry_id, changes)


class StoreSource:
    """A schedule kept in the store (for PostgreSQL deployments), named after its scheduler."""

    def __init__(self, store: Store, name: str) -> None:
        self.store = store
        self.name = name
        self.description = f"schedule {name!r} in {store.connector.description}"

    def signature(self) -> object:
        return self.store.schedules.version(self.name)

    def read(self, tz: tzinfo) -> list[Entry]:
        entries = []
        for row in self.store.schedules.entries(self.name):
            cells = {column: _text(row.get(column.lower())) for column in _ALL_COLUMNS}
            entries.append(entry_from_cells(cells, f"{self.description}, job {row['id']}", tz))
        return entries

    def add(self, cells: Mapping[str, str]) -> None:
        values: dict[str, object] = {c.lower(): cells.get(c) or None for c in _ALL_COLUMNS}
        for column in COLUMNS:  # the seed's columns are never NULL
            values[column.lower()] = values[column.lower()] or ("*" if column in _TIMES else "")
        values["id"] = int(cells["ID"])
        self.store.schedules.save_entry(self.name, values, utcnow())

    def remove(self, entry_id: int) -> bool:
        return self.store.schedules.delete_entry(self.name, entry_id)

    def update(self, entry_id: int, changes: Mapping[str, str]) -> bool:
        with self.store.connector.transaction():
            rows = {r["id"]: r for r in self.store.schedules.entries(self.name)}
            if entry_id not in rows:
                return False
            cells = {column: _text(rows[entry_id].get(column.lower())) for column in _ALL_COLUMNS}
            self.add({**cells, **changes})
        return True

    def replace(self, rows: list[Mapping[str, str]]) -> None:
        """Make the stored schedule exactly ``rows`` (one transaction)."""
        keep = {int(row["ID"]) for row in rows}
        with self.store.connector.transaction():
            for old in self.store.schedules.entries(self.name):
                if old["id"] not in keep:
                    self.remove(old["id"])
            for row in rows:
                self.add(row)


_ALL_COLUMNS = (*COLUMNS, *OPTIONAL_COLUMNS)
_TIMES = ("MONTH_DAY", "WEEK_DAY", "HOUR", "MINUTE", "SECOND")


def _text(value: object) -> str:
    return "" if value is None else str(value)


def open_source(source: str, schedule_path: Path, store: Store | None, name: str) -> ScheduleSource:
    """The schedule a home names: its ``schedule.tsv``, or the store's copy."""
    if source == "store":
        if store is None:
            raise ScheduleError("the schedule is kept in the store, but no store is open")
        return StoreSource(store, name)
    return FileSource(schedule_path)


@dataclass
class Changes:
    """What a reload changed, by entry id."""

    added: list[int] = field(default_factory=list)
    changed: list[int] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.removed)

    def __str__(self) -> str:
        parts = []
        for word, ids in (
            ("added", self.added),
            ("changed", self.changed),
            ("removed", self.removed),
        ):
            if ids:
                parts.append(f"{word} {', '.join(map(str, ids))}")
        return "; ".join(parts) or "no job changed"


_UNREAD = object()


class ScheduleWatcher:
    """Follows a schedule source; :attr:`entries` is always the last good schedule."""

    def __init__(self, source: ScheduleSource, tz: tzinfo) -> None:
        self.source = source
        self.tz = tz
        self.entries: dict[int, Entry] = {}
        self.error: str | None = None
        self._signature: object = _UNREAD
        self._bad_signature: object = _UNREAD

    def refresh(self) -> Changes | None:
        """Reload if the schedule changed; returns what changed (None: nothing new read)."""
        signature = self.source.signature()
        if signature == self._signature or signature == self._bad_signature:
            return None
        try:
            entries = {entry.id: entry for entry in self.source.read(self.tz)}
        except ScheduleError as exc:
            self._bad_signature, self.error = signature, str(exc)
            kept = "the last good schedule keeps running" if self._signature is not _UNREAD else ""
            log.error("Schedule not loaded: %s%s", exc, f"; {kept}" if kept else "")
            return None
        if self.source.signature() != signature:
            return None  # changed while being read (an editor still writing): next time
        first = self._signature is _UNREAD
        changes = _compare(self.entries, entries)
        self.entries, self._signature, self.error = entries, signature, None
        active = sum(1 for e in entries.values() if e.active)
        if first:
            log.info(
                "Schedule loaded from %s: %d jobs, %d active",
                self.source.description,
                len(entries),
                active,
            )
        else:
            log.info("Schedule updated from %s: %s", self.source.description, changes)
        return changes


def _compare(old: Mapping[int, Entry], new: Mapping[int, Entry]) -> Changes:
    return Changes(
        added=sorted(set(new) - set(old)),
        changed=sorted(i for i in set(new) & set(old) if new[i] != old[i]),
        removed=sorted(set(old) - set(new)),
    )
