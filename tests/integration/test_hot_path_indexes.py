"""The run log's and the queue's indexes on the hot path (migration 0020): no index of
job_run holds a column a run's end changes, so on PostgreSQL that end is a HOT update
(no new index entries), and the dashboard's dropped indexes stay dropped."""

from __future__ import annotations

import re
import sqlite3
import time

import psycopg
import pytest

from jobsmith.runlog import RunLog, Status
from tests.conftest import StoreTarget

# What a run's end (end_job_run) writes.
ENDED = {"status", "ended_at", "error"}
DROPPED = {
    "job_run_status_id",
    "job_run_kind_id",
    "job_run_environment_id",
    "job_run_name",
    "queue_job_task_status_id",
    "queue_job_status_id",
}


def _indexes(target: StoreTarget, table: str) -> dict[str, set[str]]:
    """Index name -> the columns it holds or tests in its WHERE clause."""
    found: dict[str, set[str]] = {}
    if target.dialect == "sqlite":
        with sqlite3.connect(target.url.removeprefix("sqlite:///")) as conn:
            rows = conn.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ?",
                (table,),
            ).fetchall()
            for name, sql in rows:
                cols = {r[2] for r in conn.execute(f'PRAGMA index_info("{name}")')}
                predicate = (sql or "").partition(" WHERE ")[2]
                found[name] = cols | set(re.findall(r"[a-z_]+", predicate))
        return found
    with psycopg.connect(target.url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT c.relname, array(SELECT a.attname FROM pg_attribute a"
            "  WHERE a.attrelid = t.oid AND a.attnum = ANY(i.indkey)),"
            " coalesce(pg_get_expr(i.indpred, t.oid), '')"
            " FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
            " JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace"
            " WHERE n.nspname = %s AND t.relname = %s",
            (target.schema, table),
        ).fetchall()
    for name, cols, predicate in rows:
        found[name] = set(cols) | set(re.findall(r"[a-z_]+", predicate))
    return found


def test_no_job_run_index_holds_what_a_run_end_changes(target: StoreTarget) -> None:
    target.open().close()
    indexes = _indexes(target, "job_run")
    assert "job_run_name_id" in indexes  # the dashboard's job filter
    assert {name: cols & ENDED for name, cols in indexes.items() if cols & ENDED} == {}
    assert not DROPPED & (indexes.keys() | _indexes(target, "queue_job").keys())


@pytest.mark.postgres
def test_a_run_end_is_a_hot_update(pg_target: StoreTarget) -> None:
    store = pg_target.open()
    log = RunLog(store)
    for i in range(20):
        job = log.start_job(f"job{i % 3}", "prod")
        log.end_job(job, Status.FAILED if i % 5 == 0 else Status.COMPLETED, None)
    store.close()  # its server processes report their table statistics as they exit
    with psycopg.connect(pg_target.url, autocommit=True) as conn:
        fillfactor = conn.execute(
            "SELECT c.reloptions FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = %s AND c.relname = 'job_run'",
            (pg_target.schema,),
        ).fetchone()
        assert fillfactor is not None and fillfactor[0] == ["fillfactor=90"]
        deadline = time.monotonic() + 30
        while True:
            row = conn.execute(
                "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables"
                " WHERE schemaname = %s AND relname = 'job_run'",
                (pg_target.schema,),
            ).fetchone()
            assert row is not None
            if row[0] >= 20 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
    assert row == (20, 20)  # 20 ends, every one HOT
