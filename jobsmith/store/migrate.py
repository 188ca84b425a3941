"""Versioned schema: numbered migrations per dialect in ``migrations/<dialect>/NNNN_name.sql``.

Every migration runs in the same transaction as the row that records it, under a lock
(SQLite's write lock, a PostgreSQL advisory lock), so concurrent deploys apply each
migration once. A store holding a version this code does not know is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from jobsmith.errors import SchemaError
from jobsmith.store.base import Connector, utcnow
from jobsmith.store.sql import load

_FILE = re.compile(r"^(\d{4})_(\w+)\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


@cache
def known_migrations(dialect: str) -> tuple[Migration, ...]:
    """The migrations shipped for ``dialect``, in order."""
    folder = resources.files("jobsmith.store") / "migrations" / dialect
    found = []
    for entry in folder.iterdir():
        match = _FILE.match(entry.name)
        if match:
            found.append(
                Migration(int(match.group(1)), match.group(2), entry.read_text(encoding="utf-8"))
            )
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise SchemaError(f"two {dialect} migrations share a number: {versions}")
    return tuple(found)


def quote(identifier: str) -> str:
    """Quote an SQL identifier (SQLite and PostgreSQL agree on double quotes)."""
    return '"' + identifier.replace('"', '""') + '"'


def applied_versions(connector: Connector) -> dict[int, str]:
    """Applied migrations by version; empty when the store was never deployed."""
    q = load(connector.dialect)
    row = connector.fetchone(q.migration_table_exists)
    if not row or not row["n"]:
        return {}
    return {r["version"]: r["name"] for r in connector.fetchall(q.applied_migrations)}


def pending(connector: Connector) -> list[Migration]:
    """Migrations not applied yet; raises if the store is newer than this code."""
    return _pending(connector.dialect, applied_versions(connector), connector.description)


def _pending(dialect: str, applied: dict[int, str], where: str) -> list[Migration]:
    known = known_migrations(dialect)
    unknown = sorted(set(applied) - {m.version for m in known})
    if unknown:
        newest = known[-1].version if known else 0
        raise SchemaError(
            f"the store at {where} has schema version {max(unknown)} ({applied[max(unknown)]}), "
            f"newer than this jobsmith knows (up to {newest}): upgrade jobsmith"
        )
    return [m for m in known if m.version not in applied]


def deploy(connector: Connector, schema: str | None = None, reset: bool = False) -> list[Migration]:
    """Bring the store to the newest schema; with ``reset``, drop everything first.
    Returns the migrations applied (empty when it was already current)."""
    q = load(connector.dialect)
    with connector.transaction():
        if connector.dialect == "postgresql":
            assert schema is not None
            connector.execute(q.deploy_lock, {"key": f"jobsmith.deploy.{schema}"})
            if reset:
                connector.execute(q.drop_schema.format(schema=quote(schema)))
            connector.execute(q.create_schema.format(schema=quote(schema)))
        elif reset:
            for row in reversed(connector.fetchall(q.user_tables)):
                connector.execute(q.drop_table.format(table=quote(row["name"])))
        connector.execute(q.create_migration_table)
        todo = _pending(connector.dialect, applied_versions(connector), connector.description)
        for migration in todo:
            connector.run_script(migration.sql)
            connector.execute(
                q.record_migration,
                {"version": migration.version, "name": migration.name, "applied_at": utcnow()},
            )
    return todo


def check(connector: Connector) -> None:
    """Raise a clear error unless the store is deployed and current."""
    todo = pending(connector)
    if todo:
        raise SchemaError(
            f"the store at {connector.description} needs migrations "
            f"{', '.join(f'{m.version:04d}_{m.name}' for m in todo)}: run `jobsmith deploy`"
        )
