"""The contract between jobsmith and a database: how to talk to it, not what to say.

A :class:`Connector` runs SQL text from the ``queries/*.sql`` files (see :mod:`.sql`) with
named values. Each thread gets its own connection; a forked child opens fresh ones.
Rows come back as mappings (``row["column"]``). Times go in as aware ``datetime`` and
come back as whatever the database returns; :func:`as_datetime` normalizes them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any, ClassVar, Protocol

Params = Mapping[str, Any] | None
Row = Mapping[str, Any]


class Connector(Protocol):
    """Thin transport over one database; sqlite.py and postgres.py implement it."""

    dialect: ClassVar[str]
    """``"sqlite"`` or ``"postgresql"``: picks the SQL variant of each query."""

    description: str
    """Where the data lives, for messages (a file path or a DSN without its password)."""

    def execute(self, sql: str, params: Params = None) -> None:
        """Run one statement."""

    def fetchone(self, sql: str, params: Params = None) -> Row | None:
        """Run one statement and return its first row, if any."""

    def fetchall(self, sql: str, params: Params = None) -> list[Row]:
        """Run one statement and return every row."""

    def executemany(self, sql: str, rows: Sequence[Mapping[str, Any]]) -> None:
        """Run one statement once per set of values."""

    def transaction(self) -> AbstractContextManager[None]:
        """Group statements atomically; SQLite takes the write lock at the start.
        Nested use joins the outer transaction."""

    def run_script(self, sql: str) -> None:
        """Run several statements (DDL) inside the current transaction."""

    def close(self) -> None:
        """Close every connection this connector opened in this process."""


def as_datetime(value: Any) -> datetime | None:
    """A stored time as an aware UTC datetime (SQLite keeps epoch seconds)."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromtimestamp(float(value), UTC)


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)
