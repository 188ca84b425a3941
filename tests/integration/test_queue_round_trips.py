"""Round trips of the queue's hot paths: a post is one statement, and on PostgreSQL an ended
batch (the queue rows, the dependants, the run log) is one statement too (migration 0013);
what it does is the same on both stores."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from jobsmith.queue import post
from jobsmith.store import Store
from jobsmith.store.jobs import Outcome
from tests.integration import queue_tasks  # noqa: F401  (registers the qt.* tasks)

WHO = {"environment": "test", "executed_by": "tester", "host": "here", "pid": 1}


@contextmanager
def counted(store: Store) -> Iterator[list[str]]:
    """The statements the store's connector sends while inside (BEGIN and COMMIT count:
    a transaction opened by the connector is two more round trips). A call made inside
    another one (``write`` runs ``fetchall``) counts once."""
    sent: list[str] = []
    depth = [0]
    connector: Any = store.connector
    names = ("execute", "fetchone", "fetchall", "executemany", "write")
    saved = {name: getattr(connector, name) for name in names}
    saved_transaction = connector.transaction

    def wrap(name: str) -> Any:
        def call(sql: str, *args: Any) -> Any:
            if not depth[0]:
                sent.append(" ".join(sql.split()))
            depth[0] += 1
            try:
                return saved[name](sql, *args)
            finally:
                depth[0] -= 1

        return call

    @contextmanager
    def transaction() -> Iterator[None]:
        if depth[0]:  # SQLite's write turn of a single statement: no round trip
            with saved_transaction():
                yield
            return
        sent.append("BEGIN")
        with saved_transaction():
            yield
        sent.append("COMMIT")

    for name in names:
        setattr(connector, name, wrap(name))
    connector.transaction = transaction
    try:
        yield sent
    finally:
        for name in (*names, "transaction"):
            delattr(connector, name)  # back to the class's methods


def claim(store: Store, limit: int = 10) -> list[Any]:
    return store.jobs.claim(worker="w1", host="here", limit=limit, system_units=100, lease=30)


def test_a_post_is_one_statement(store: Store) -> None:
    post("qt.record", {"path": "/warm-up"}, store=store)
    with counted(store) as sent:
        post("qt.record", {"path": "/p"}, store=store)
    assert len(sent) == 1, sent


def test_a_post_that_is_not_unique_is_a_bare_insert(store: Store) -> None:
    """Nothing to deduplicate: one INSERT with no ON CONFLICT arbiter, queued beside an
    identical waiting unique job."""
    first = post("qt.record", {"path": "/same"}, store=store)
    with counted(store) as sent:
        second = post("qt.record", {"path": "/same"}, store=store, unique=False)
    assert len(sent) == 1, sent
    assert sent[0].startswith("INSERT INTO queue_job") and "ON CONFLICT" not in sent[0], sent
    assert second.created and second.id > first.id
    with counted(store) as sent:
        again = post("qt.record", {"path": "/same"}, store=store)
    assert (again.id, again.created) == (first.id, False)
    assert "ON CONFLICT" in sent[0], sent  # a unique post keeps its atomic dedupe


def test_an_ended_batch_wakes_its_dependants_and_is_logged(store: Store) -> None:
    first = post("qt.record", {"path": "/a"}, store=store)
    post("qt.record", {"path": "/b"}, store=store)
    dependant = post("qt.record", {"path": "/c"}, store=store)
    jobs = {job.id: job for job in claim(store)}
    assert store.jobs.park(jobs.pop(dependant.id), first.id)
    now = time.time()
    outcomes = [Outcome(job, "completed", now, now) for job in jobs.values()]
    with counted(store) as sent:
        ended = store.jobs.end(outcomes, WHO)
    assert ended.ids == set(jobs)
    assert ended.dependants == [(dependant.id, "waiting")]
    assert store.jobs.get(dependant.id).status == "waiting"
    for job_id in jobs:
        (run_id,) = store.jobs.attempts(job_id)
        assert store.runs.get(run_id).status == "Completed"
    if store.dialect == "postgresql":
        assert len(sent) == 1, sent  # was BEGIN, three functions, COMMIT


@pytest.mark.postgres
def test_an_ended_batch_without_run_log_on_postgresql_is_one_statement(pg_store: Store) -> None:
    job = post("qt.record", {"path": "/a"}, store=pg_store)
    (claimed,) = claim(pg_store)
    now = time.time()
    with counted(pg_store) as sent:
        ended = pg_store.jobs.end([Outcome(claimed, "failed", now, now, "boom")], None)
    assert (ended.ids, ended.dependants, len(sent)) == ({job.id}, [], 1)
    assert pg_store.jobs.get(job.id).status == "failed"
