"""migrations/README.md names the live definition of every PostgreSQL function that a
later migration replaced, and queue.sql's claim_jobs comment names the same file: a new
migration that replaces one again fails here until the notes say so."""

from __future__ import annotations

import re
from pathlib import Path

import jobsmith.store

STORE = Path(jobsmith.store.__file__).parent
MIGRATIONS = STORE / "migrations"
_DEFINED = re.compile(
    r"^CREATE\s+(?:OR\s+REPLACE\s+)?(?:FUNCTION|PROCEDURE)\s+\"?(\w+)\"?", re.I | re.M
)


def definitions() -> dict[str, list[Path]]:
    """Function or procedure name → the PostgreSQL migrations that define it, in order."""
    found: dict[str, list[Path]] = {}
    for path in sorted((MIGRATIONS / "postgresql").glob("[0-9][0-9][0-9][0-9]_*.sql")):
        for name in _DEFINED.findall(path.read_text()):
            found.setdefault(name, []).append(path)
    return found


def noted() -> dict[str, tuple[str, str]]:
    """The README's table: name → (numbers it is defined in, live file)."""
    text = (MIGRATIONS / "README.md").read_text()
    table = text.split("<!-- live-definitions")[1].split("<!-- /live-definitions -->")[0]
    rows = re.findall(r"^\| `(\w+)` \| ([\d, ]+) \| `(postgresql/[\w.]+)`", table, re.M)
    return {name: (numbers, live) for name, numbers, live in rows}


def test_the_readme_names_the_live_definition_of_every_replaced_function() -> None:
    expected = {
        name: (", ".join(p.name[:4] for p in paths), f"postgresql/{paths[-1].name}")
        for name, paths in definitions().items()
        if len(paths) > 1
    }
    assert "claim_jobs" in expected
    assert noted() == expected


def test_queue_sql_names_the_live_claim_jobs() -> None:
    live = definitions()["claim_jobs"][-1].name
    queue_sql = (STORE / "queries" / "queue.sql").read_text()
    comment = queue_sql.split("-- name: claim_jobs [postgresql]")[1].split("SELECT")[0]
    assert f"migrations/postgresql/{live}" in " ".join(comment.replace("--", "").split())
