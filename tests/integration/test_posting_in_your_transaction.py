"""post(..., connection=conn): the job is written in the caller's own transaction, on a
sqlite3 or psycopg connection or an SQLAlchemy Connection/Session over one."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy
from sqlalchemy.orm import Session

from jobsmith.errors import StoreError
from jobsmith.queue import Worker, post
from jobsmith.store import Store
from tests.conftest import PG_URL, StoreTarget
from tests.integration import control_tasks as ct
from tests.integration.worker_processes import wait_for


def _sqlite_path(target: StoreTarget) -> str:
    return target.url[len("sqlite:///") :]


@contextmanager
def raw_connection(target: StoreTarget) -> Iterator[Any]:
    """The application's own DB-API connection to the store's database (not autocommit)."""
    if target.dialect == "sqlite":
        conn: Any = sqlite3.connect(_sqlite_path(target))
    else:
        conn = psycopg.connect(PG_URL)
    try:
        yield conn
    finally:
        conn.close()


def engine_for(target: StoreTarget) -> sqlalchemy.Engine:
    if target.dialect == "sqlite":
        return sqlalchemy.create_engine(f"sqlite:///{_sqlite_path(target)}")
    return sqlalchemy.create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://"))


def _count(store: Store) -> int:
    return store.jobs.waiting_count(None, ["ct.note"])


def test_a_rolled_back_post_leaves_no_job_and_a_committed_one_is_there(
    target: StoreTarget, store: Store, tmp_path: Path
) -> None:
    with raw_connection(target) as conn:
        job = ct.note.post(path="/x", word="gone", store=store, connection=conn)
        assert job.created
        conn.rollback()
        assert _count(store) == 0
        with pytest.raises(Exception, match="no job with id"):
            store.jobs.get(job.id)
        kept = ct.note.post(path="/x", word="kept", store=store, connection=conn)
        assert _count(store) == 0  # not committed yet: others do not see it
        conn.commit()
    assert _count(store) == 1 and store.jobs.get(kept.id).arguments["word"] == "kept"


def test_the_callers_search_path_is_left_as_it_was(pg_target: StoreTarget, pg_store: Store) -> None:
    with psycopg.connect(PG_URL) as conn:
        before = conn.execute("SELECT current_setting('search_path')").fetchone()
        post("ct.note", {"path": "/x"}, store=pg_store, connection=conn)
        assert conn.execute("SELECT current_setting('search_path')").fetchone() == before
        conn.commit()
    assert _count(pg_store) == 1


def test_an_autocommit_connection_commits_the_post_at_once(
    pg_target: StoreTarget, pg_store: Store
) -> None:
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        post("ct.note", {"path": "/x"}, store=pg_store, connection=conn, unique_key="k")
    assert _count(pg_store) == 1


@pytest.mark.parametrize("kind", ["connection", "session"])
def test_sqlalchemy_connections_and_sessions(target: StoreTarget, store: Store, kind: str) -> None:
    engine = engine_for(target)
    try:
        use: Callable[[], Any] = engine.connect if kind == "connection" else lambda: Session(engine)
        with use() as conn:
            post("ct.note", {"path": "/x", "word": "gone"}, store=store, connection=conn)
            conn.rollback()
            assert _count(store) == 0
            keyed = post("ct.note", {"path": "/x"}, store=store, connection=conn, unique_key="once")
            again = post("ct.note", {"path": "/y"}, store=store, connection=conn, unique_key="once")
            assert again.id == keyed.id and not again.created
            conn.commit()
        assert _count(store) == 1
    finally:
        engine.dispose()


def test_a_connection_to_another_kind_of_database_is_refused(
    sqlite_target: StoreTarget, sqlite_store: Store
) -> None:
    with pytest.raises(StoreError, match="connection=int: expected an open sqlite3 or psycopg"):
        post("ct.note", {"path": "/x"}, store=sqlite_store, connection=42)
    need = pytest.importorskip("tests.conftest").need_postgres
    need()
    with psycopg.connect(PG_URL) as conn, pytest.raises(StoreError, match="store is sqlite"):
        post("ct.note", {"path": "/x"}, store=sqlite_store, connection=conn)


def test_an_idle_worker_wakes_when_the_transaction_commits(
    target: StoreTarget, store: Store, tmp_path: Path
) -> None:
    out = str(tmp_path / "out")
    worker = Worker(store, poll=60, lease=5)  # without a wake-up it would sleep a minute
    thread = threading.Thread(target=worker.run)
    thread.start()
    try:
        ct.note.post(path=out, word="first", store=store)  # the worker is up and idle after it
        wait_for(lambda: ct.lines(out) == ["note first"], 30, "the worker to start")
        wait_for(lambda: store.jobs.active_count() == 0, 30, "the first job to be recorded")
        with raw_connection(target) as conn:
            ct.note.post(path=out, word="woken", store=store, connection=conn)
            conn.commit()
        wait_for(
            lambda: ct.lines(out) == ["note first", "note woken"], 30, "the worker to run the job"
        )
    finally:
        worker.stop(now=True)
        thread.join(20)


def test_a_connection_to_a_database_without_the_store_is_refused(
    target: StoreTarget, store: Store, tmp_path: Path
) -> None:
    """It was the driver's "no such table: queue_job" on SQLite, and on PostgreSQL
    "current transaction is aborted" (the error setting the search path back hid the first)."""
    if target.dialect == "sqlite":
        other: Any = sqlite3.connect(tmp_path / "app.db")
        where = ""
    else:
        other = psycopg.connect(PG_URL.rsplit("/", 1)[0] + "/postgres")
        where = f" in schema {target.schema!r}"
    try:
        with pytest.raises(StoreError) as caught:
            post("ct.note", {"path": "/x"}, store=store, connection=other)
        assert str(caught.value) == (
            f"connection={type(other).__module__}.{type(other).__name__}: its database has no "
            f"jobsmith store{where}: post on a connection to the store's own database"
        )
        other.rollback()
    finally:
        other.close()
    assert store.jobs.counts() == []
