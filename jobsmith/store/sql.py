"""Named queries from ``queries/*.sql``: every statement jobsmith runs lives in those files.

A query starts with ``-- name: NAME`` (or ``-- name: NAME [sqlite]`` / ``[postgresql]``
for one dialect's own variant, which then wins over the shared text) followed by a
one-line ``--`` purpose. Values are written ``:name``; for PostgreSQL they become
``%(name)s`` (``::type`` casts are left alone and a literal ``%`` is doubled).

:func:`parse` also reads other databases' variants (``[mysql]``, ``[sqlserver]``): the
files of the procedure task kind (``jobsmith/tasks/sql/``) hold the SQL that tasks run on
a user's own connection.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from importlib import resources

from jobsmith.errors import StoreError

_HEADER = re.compile(r"^--\s*name:\s*(\w+)\s*(?:\[(\w+)\])?\s*$")
_PLACEHOLDER = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")
DIALECTS = ("sqlite", "postgresql")


class Queries(dict[str, str]):
    """Query text by name for one dialect; a missing name is a clear error."""

    def __init__(self, dialect: str, texts: dict[str, str]) -> None:
        super().__init__(texts)
        self.dialect = dialect

    def __missing__(self, name: str) -> str:
        raise StoreError(f"no query named {name!r} for {self.dialect} in jobsmith/store/queries")

    def __getattr__(self, name: str) -> str:
        try:
            return self[name]
        except StoreError as exc:
            raise AttributeError(str(exc)) from None


def parse(text: str, source: str = "<sql>") -> dict[tuple[str, str | None], str]:
    """Split one file into ``{(name, dialect or None): sql}``."""
    found: dict[tuple[str, str | None], str] = {}
    key: tuple[str, str | None] | None = None
    lines: list[str] = []

    def close() -> None:
        if key is not None:
            body = "\n".join(ln for ln in lines if not ln.lstrip().startswith("--")).strip()
            if not body:
                raise StoreError(f"{source}: query {key[0]!r} has no SQL")
            found[key] = body.rstrip(";").strip()

    for number, line in enumerate(text.splitlines(), 1):
        match = _HEADER.match(line.strip())
        if match:
            close()
            key = (match.group(1), match.group(2))
            if key in found:
                raise StoreError(f"{source}:{number}: query {key[0]!r} is defined twice")
            lines = []
        elif key is not None:
            lines.append(line)
    close()
    return found


def to_pyformat(sql: str) -> str:
    """``:name`` placeholders to psycopg's ``%(name)s``."""
    return _PLACEHOLDER.sub(r"%(\1)s", sql.replace("%", "%%"))


def replace_placeholders(sql: str, replace: Callable[[str], str]) -> str:
    """``sql`` with each ``:name`` placeholder replaced by ``replace(name)``."""
    return _PLACEHOLDER.sub(lambda match: replace(match.group(1)), sql)


@cache
def load(dialect: str) -> Queries:
    """Every named query for ``dialect``, read once per process."""
    if dialect not in DIALECTS:
        raise StoreError(f"unknown SQL dialect {dialect!r}")
    shared: dict[str, str] = {}
    own: dict[str, str] = {}
    seen: dict[tuple[str, str | None], str] = {}
    folder = resources.files("jobsmith.store") / "queries"
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".sql"):
            continue
        for (name, variant), sql in parse(entry.read_text(encoding="utf-8"), entry.name).items():
            if (name, variant) in seen:
                raise StoreError(
                    f"query {name!r} is in both {seen[name, variant]} and {entry.name}"
                )
            seen[name, variant] = entry.name
            if variant is None:
                shared[name] = sql
            elif variant == dialect:
                own[name] = sql
    texts = {**shared, **own}
    if dialect == "postgresql":
        texts = {name: to_pyformat(sql) for name, sql in texts.items()}
    return Queries(dialect, texts)
