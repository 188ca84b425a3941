"""``schedule.tsv``: the schedule as a tab-separated file, exactly as runner writes it.

The first line names the columns (``ID NAME DESCRIPTION … STATUS``, then any of CRON,
EVERY, CATCHUP, OVERLAP, PERSONS); each further line is one job; blank lines and lines
starting with ``#`` are skipped. A file without the header line is read with the seed's
twelve columns. Changes made here (a job added, deleted, paused by status) rewrite the
file atomically, keeping every other line as it was.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from datetime import tzinfo
from pathlib import Path

from jobsmith.errors import ScheduleError
from jobsmith.schedule.entries import COLUMNS, OPTIONAL_COLUMNS, Entry, entry_from_cells

__all__ = ["ScheduleFile"]

HEADER = "\t".join(COLUMNS)


class ScheduleFile:
    """One ``schedule.tsv``."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"<ScheduleFile {self.path}>"

    def signature(self) -> tuple[int, int, int] | None:
        """Changes whenever the file does (None when it is missing)."""
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return None
        return (stat.st_mtime_ns, stat.st_size, stat.st_ino)

    def create(self) -> bool:
        """Write an empty schedule (the header line) unless the file exists."""
        if self.path.exists():
            return False
        self._write([HEADER])
        return True

    # -- reading -----------------------------------------------------------------------------
    def read(self, tz: str | tzinfo | None = None) -> list[Entry]:
        """Every entry; a bad line raises :class:`ScheduleError` naming file, line and column."""
        entries: dict[int, Entry] = {}
        columns: tuple[str, ...] | None = None
        for number, line in enumerate(self._lines(), 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            cells = [cell.strip() for cell in line.split("\t")]
            if columns is None:
                columns = self._columns(cells, number)
                if columns is not None:
                    continue
                columns = COLUMNS
            entry = self._entry(cells, columns, number, tz)
            if entry.id in entries:
                raise ScheduleError(
                    f"{self.path}:{number}: column ID: job {entry.id} is already defined at "
                    f"{entries[entry.id].where}; IDs must be unique"
                )
            entries[entry.id] = entry
        return list(entries.values())

    def _lines(self) -> list[str]:
        try:
            return self.path.read_text(encoding="utf-8-sig").splitlines()
        except FileNotFoundError:
            raise ScheduleError(
                f"{self.path}: schedule file not found (create it with `jobsmith create scheduler`)"
            ) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ScheduleError(f"{self.path}: cannot read the schedule: {exc}") from None

    def _columns(self, cells: list[str], number: int) -> tuple[str, ...] | None:
        """The header's columns, or None when the first line is already a job."""
        if cells[0].upper() != "ID":
            return None
        names = tuple(c.upper() for c in cells)
        missing = [c for c in COLUMNS if c not in names]
        unknown = [c for c in names if c not in COLUMNS and c not in OPTIONAL_COLUMNS]
        if missing or unknown:
            problem = (
                f"missing {', '.join(missing)}" if missing else f"unknown {', '.join(unknown)}"
            )
            raise ScheduleError(
                f"{self.path}:{number}: header line: {problem}; expected the columns "
                f"{' '.join(COLUMNS)} separated by tabs, optionally followed by "
                f"{', '.join(OPTIONAL_COLUMNS)}"
            )
        return names

    def _entry(
        self, cells: list[str], columns: tuple[str, ...], number: int, tz: str | tzinfo | None
    ) -> Entry:
        where = f"{self.path}:{number}"
        if len(cells) > len(columns) or len(cells) < len(COLUMNS):
            hint = " (columns must be separated by tabs, not spaces)" if len(cells) < 3 else ""
            raise ScheduleError(
                f"{where}: {len(cells)} columns, expected {len(COLUMNS)} "
                f"({' '.join(COLUMNS)}){hint}"
            )
        return entry_from_cells(dict(zip(columns, cells, strict=False)), where, tz)

    # -- writing -----------------------------------------------------------------------------
    def add(self, cells: Mapping[str, str]) -> None:
        """Append one job (column → text), adding optional columns to the header if needed."""
        lines = self._lines() if self.path.exists() else [HEADER]
        header_at = next((i for i, ln in enumerate(lines) if _is_header(ln)), None)
        if header_at is None:
            lines.insert(0, HEADER)
            header_at = 0
        columns = [c.strip().upper() for c in lines[header_at].split("\t")]
        for name in OPTIONAL_COLUMNS:
            if cells.get(name) and name not in columns:
                columns.append(name)
        lines[header_at] = "\t".join(columns)
        lines.append("\t".join(_clean(cells.get(name, "")) for name in columns))
        self._write(lines)

    def remove(self, entry_id: int) -> bool:
        """Delete the job's line; False when there is none."""
        lines = self._lines()
        kept = [ln for ln in lines if _line_id(ln) != entry_id]
        if len(kept) == len(lines):
            return False
        self._write(kept)
        return True

    def update(self, entry_id: int, changes: Mapping[str, str]) -> bool:
        """Change some cells of the job's line (e.g. STATUS); False when there is none."""
        lines = self._lines()
        header = next((ln for ln in lines if _is_header(ln)), HEADER)
        columns = [c.strip().upper() for c in header.split("\t")]
        for index, line in enumerate(lines):
            if _line_id(line) == entry_id:
                cells = line.split("\t") + [""] * (len(columns) - len(line.split("\t")))
                for name, value in changes.items():
                    cells[columns.index(name)] = _clean(value)
                lines[index] = "\t".join(cells)
                self._write(lines)
                return True
        return False

    def _write(self, lines: list[str]) -> None:
        """Replace the file in one step, so a scheduler never reads half of it; the last
        line ends with a newline, as runner requires."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".schedule-", dir=self.path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as file:
                file.write("\n".join(lines) + "\n")
            # mkstemp makes the file 0600: keep the schedule's mode, or the umask's for a new one
            os.chmod(
                temporary, self.path.stat().st_mode & 0o777 if self.path.exists() else _new_mode()
            )
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def _new_mode() -> int:
    """The mode ``open()`` gives a new file under this process's umask (0644 under 022)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _is_header(line: str) -> bool:
    return line.split("\t", 1)[0].strip().upper() == "ID"


def _line_id(line: str) -> int | None:
    first = line.split("\t", 1)[0].strip()
    return int(first) if first.isdigit() else None


def _clean(value: str) -> str:
    """A cell cannot hold a tab or a line break."""
    return str(value).replace("\r", "").replace("\n", " ").replace("\t", " ")
