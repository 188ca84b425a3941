"""Posting jobs on both stores: checked, deduplicated, atomic with the caller's writes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from jobsmith.queue import ArgumentError, JobMaster, post, post_many
from jobsmith.queue.registry import UnknownTaskError
from jobsmith.store import Store
from tests.conftest import StoreTarget
from tests.integration import queue_tasks as qt


def test_a_posted_job_waits_with_its_checked_arguments(store: Store) -> None:
    job = qt.record.post(path="/tmp/x", store=store, priority=4)
    assert job.created and job.status == "waiting" and job.priority == 4
    stored = store.jobs.get(job.id)
    assert (stored.name, stored.status, stored.priority) == ("qt.record", "waiting", 4)
    assert stored.arguments == {"path": "/tmp/x", "n": 0}  # the default is filled in


def test_an_identical_active_job_is_returned_instead_of_a_duplicate(store: Store) -> None:
    first = post("qt.record", {"path": "/tmp/x", "n": 1}, store=store)
    again = post("qt.record", {"n": 1, "path": "/tmp/x"}, store=store)  # same, other order
    other = post("qt.record", {"path": "/tmp/x", "n": 2}, store=store)
    forced = post("qt.record", {"path": "/tmp/x", "n": 1}, store=store, unique=False)
    assert (again.id, again.created) == (first.id, False)
    assert other.id != first.id and other.created
    assert forced.id not in (first.id, other.id) and forced.created
    assert store.jobs.waiting_count(None, ["qt.record"]) == 3


def test_an_ended_job_does_not_block_an_identical_new_one(store: Store) -> None:
    first = post("qt.record", {"path": "/tmp/x"}, store=store)
    assert store.jobs.cancel(first.id) == "cancelled"
    second = post("qt.record", {"path": "/tmp/x"}, store=store)
    assert second.created and second.id != first.id


def test_bad_arguments_queue_nothing(store: Store) -> None:
    with pytest.raises(ArgumentError, match=r"task qt\.record: missing argument 'path'"):
        post("qt.record", {"n": 1}, store=store)
    with pytest.raises(ArgumentError, match="argument 'color' is 'pink'"):
        post("qt.paint", {"path": "/tmp/x", "color": "pink"}, store=store)
    with pytest.raises(UnknownTaskError, match=r"no task named 'qt\.nothing'"):
        post("qt.nothing", {}, store=store)
    assert store.jobs.counts() == []


def test_post_many_is_one_transaction_with_results_in_order(store: Store) -> None:
    jobs = post_many(
        [("qt.record", {"path": "/p", "n": n}) for n in (1, 2, 1, 3)], store=store, priority=2
    )
    assert [j.created for j in jobs] == [True, True, False, True]
    assert jobs[2].id == jobs[0].id
    assert len({j.id for j in jobs}) == 3
    with pytest.raises(ArgumentError):
        post_many([("qt.record", {"path": "/q"}), ("qt.record", {"n": 1})], store=store)
    assert store.jobs.waiting_count(None, None) == 3  # the failed batch left nothing behind


def test_posting_joins_the_callers_transaction(store: Store) -> None:
    class Abort(Exception):
        pass

    with pytest.raises(Abort), store.connector.transaction():
        post("qt.record", {"path": "/tmp/rolled-back"}, store=store)
        raise Abort
    assert store.jobs.counts() == []
    with store.connector.transaction():
        job = post("qt.record", {"path": "/tmp/kept"}, store=store)
    assert store.jobs.get(job.id).status == "waiting"


def test_a_task_this_process_never_imported_is_checked_against_its_published_definition(
    store: Store,
) -> None:
    from jobsmith.queue import Registry

    store.jobs.publish([qt.paint.definition()])
    empty = Registry()
    job = post("qt.paint", {"path": "/p", "color": "red"}, store=store, registry=empty)
    assert job.created
    with pytest.raises(ArgumentError, match=r"expected|Input should be"):
        post("qt.paint", {"path": "/p", "color": "pink"}, store=store, registry=empty)


def test_run_after_holds_a_job_back(store: Store) -> None:
    later = datetime.now(UTC) + timedelta(hours=1)
    job = post("qt.record", {"path": "/p"}, store=store, run_after=later)
    assert store.jobs.claim(worker="w", host="h", limit=5, system_units=10, lease=5) == []
    assert store.jobs.get(job.id).run_after is not None


def test_jobmaster_insert_job_posts_like_the_procedure(target: StoreTarget) -> None:
    master = JobMaster(db_engine=target.url, schema=target.schema)
    master.deploy()
    job = master.insert_job("qt", "record", 10, {"path": "/tmp/x"})
    assert (job.priority, job.created) == (10, True)
    assert master.insert_job("qt", "record", 10, {"path": "/tmp/x"}).id == job.id
    master.close()


@pytest.mark.postgres
def test_the_sql_procedure_checks_deduplicates_and_notifies(pg_target: StoreTarget) -> None:
    store = pg_target.open()
    store.jobs.publish([qt.record.definition(), qt.paint.definition()])
    schema = pg_target.schema
    with psycopg.connect(pg_target.url, autocommit=True) as conn:
        conn.execute(f'LISTEN "jobsmith.{schema}"')
        call = f"CALL {schema}.insert_job('qt', 'record', 10, %s::json)"
        first = conn.execute(call, ('{"path": "/tmp/sum.txt", "n": 2}',)).fetchone()[0]
        again = conn.execute(call, ('{"n": 2, "path": "/tmp/sum.txt"}',)).fetchone()[0]
        assert first == again
        # The post woke the schema's workers (a duplicate may wake them too: harmless).
        assert list(conn.notifies(timeout=1, stop_after=1))
        for bad, message in [
            ('{"n": 2}', "missing argument 'path'"),
            ('{"path": 3}', "argument 'path' is 3, expected string"),
            ('{"path": "x", "size": 1}', "unknown argument 'size'"),
        ]:
            with pytest.raises(psycopg.errors.InvalidParameterValue, match=message):
                conn.execute(call, (bad,))
        all_colors = f"CALL {schema}.insert_job('qt', 'paint', 1, %s::json)"
        conn.execute(all_colors, ('{"path": "/p", "color": "ALL"}',))
        with pytest.raises(psycopg.errors.InvalidParameterValue, match="expected one of"):
            conn.execute(all_colors, ('{"path": "/p", "color": "pink"}',))
        with pytest.raises(psycopg.errors.InvalidParameterValue, match=r"unknown task qt\.nope"):
            conn.execute(f"CALL {schema}.insert_job('qt', 'nope', 1, '{{}}'::json)")
    job = store.jobs.get(first)
    assert (job.priority, job.arguments) == (10, {"path": "/tmp/sum.txt", "n": 2})
    assert store.jobs.waiting_count(None, None) == 2
    store.close()
