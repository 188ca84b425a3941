"""The versioned schema: deploy is repeatable, concurrent deploys apply once, newer is refused."""

from __future__ import annotations

import threading

import pytest

from jobsmith.errors import SchemaError, StoreError
from jobsmith.store import Store, connector_for, open_store, utcnow
from jobsmith.store.migrate import known_migrations
from jobsmith.store.sql import load, parse, to_pyformat
from tests.conftest import StoreTarget


def bare(target: StoreTarget) -> Store:
    return Store(connector_for(target.url, target.schema), target.url, target.schema)


def test_deploy_twice_applies_once(target: StoreTarget) -> None:
    store = bare(target)
    first = store.deploy()
    assert [m.version for m in first] == [m.version for m in known_migrations(store.dialect)]
    assert store.deploy() == []
    assert store.schema_version() == known_migrations(store.dialect)[-1].version
    store.close()


def test_both_dialects_ship_the_same_migrations() -> None:
    sqlite = [(m.version, m.name) for m in known_migrations("sqlite")]
    postgresql = [(m.version, m.name) for m in known_migrations("postgresql")]
    assert sqlite == postgresql


def test_reset_drops_the_data(target: StoreTarget) -> None:
    store = target.open()
    store.runs.start_job(
        guid="0e1f8b5e-0000-4000-8000-000000000001",
        environment="e",
        job_name="j",
        executed_by="u",
        host="h",
        started_at=utcnow(),
    )
    assert len(store.runs.recent()) == 1
    store.deploy(reset=True)
    assert store.runs.recent() == []
    store.close()


def test_a_newer_schema_is_refused(target: StoreTarget) -> None:
    store = target.open()
    q = load(store.dialect)
    store.connector.execute(
        q.record_migration, {"version": 9999, "name": "from_the_future", "applied_at": utcnow()}
    )
    with pytest.raises(SchemaError, match="newer than this jobsmith"):
        open_store(target.url, target.schema)
    with pytest.raises(SchemaError, match="9999"):
        store.deploy()
    store.close()


@pytest.mark.postgres
def test_postgres_needs_deploy_first(pg_target: StoreTarget) -> None:
    with pytest.raises(SchemaError, match="run `jobsmith deploy`"):
        open_store(pg_target.url, pg_target.schema)


def test_sqlite_file_deploys_itself(sqlite_target: StoreTarget) -> None:
    store = open_store(sqlite_target.url)
    assert store.schema_version() >= 1
    store.close()


def test_concurrent_deploys_apply_each_migration_once(target: StoreTarget) -> None:
    errors: list[BaseException] = []

    def deploy() -> None:
        store = bare(target)
        try:
            store.deploy()
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            store.close()

    threads = [threading.Thread(target=deploy) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    store = bare(target)
    assert store.schema_version() == known_migrations(store.dialect)[-1].version
    store.close()


def test_bad_store_urls_are_explained() -> None:
    with pytest.raises(StoreError, match="not understood"):
        connector_for("mysql://x")
    with pytest.raises(StoreError, match="give a file"):
        connector_for("sqlite:///:memory:")
    with pytest.raises(StoreError, match="schema name"):
        connector_for("postgresql://x/y", "bad name; drop")


def test_named_queries_parse_and_convert() -> None:
    parsed = parse("-- name: a\n-- purpose\nSELECT :x::int, '%';\n-- name: a [sqlite]\nSELECT 1;")
    assert parsed[("a", None)] == "SELECT :x::int, '%'"
    assert parsed[("a", "sqlite")] == "SELECT 1"
    assert to_pyformat(parsed[("a", None)]) == "SELECT %(x)s::int, '%%'"
    with pytest.raises(StoreError, match="defined twice"):
        parse("-- name: a\nSELECT 1;\n-- name: a\nSELECT 2;")
    with pytest.raises(StoreError, match="no query named"):
        load("sqlite")["no_such_query"]


def test_many_threads_opening_a_new_sqlite_file_at_once(tmp_path) -> None:
    """Switching a new file to WAL needs it to itself and SQLite says "locked" at once
    instead of waiting; workers starting together on a new store must not fail on it."""
    errors: list[BaseException] = []
    for round_ in range(50):
        url = f"sqlite:///{tmp_path / f'new{round_}.db'}"

        def open_and_deploy(url: str = url) -> None:
            try:
                store = Store(connector_for(url), url, "jobsmith")
                store.deploy()
                store.close()
            except BaseException as exc:  # collected and asserted below
                errors.append(exc)

        threads = [threading.Thread(target=open_and_deploy) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []
