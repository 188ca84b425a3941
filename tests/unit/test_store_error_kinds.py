"""Which store errors a worker waits out (transient) and which stop it, with real SQLite
errors, and the one-line message for what a schema lacks (SQLite's and PostgreSQL's words)."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from jobsmith.errors import SchemaError, StoreError
from jobsmith.store.base import refused_for_good
from jobsmith.store.sqlite import is_busy, is_transient


def _error(path: Path, sql: str) -> sqlite3.Error:
    with closing(sqlite3.connect(path, timeout=0)) as conn, pytest.raises(sqlite3.Error) as caught:
        conn.execute(sql)
    return caught.value


def test_a_locked_file_is_transient_and_a_missing_table_or_bad_sql_is_not(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    with closing(sqlite3.connect(path, isolation_level=None)) as holder:
        holder.execute("BEGIN IMMEDIATE")
        locked = _error(path, "BEGIN IMMEDIATE")
        holder.execute("ROLLBACK")
    assert str(locked) == "database is locked"
    assert is_busy(locked) and is_transient(locked)
    for sql in ("SELECT * FROM queue_job", "SELECT nothing FROM sqlite_master", "SELEC 1"):
        error = _error(path, sql)
        assert isinstance(error, sqlite3.OperationalError)
        assert not is_transient(error) and not is_busy(error), sql
    with pytest.raises(sqlite3.OperationalError) as cannot:
        sqlite3.connect(tmp_path / "gone" / "s.db")
    assert not is_transient(cannot.value)  # the folder is gone: no retry brings it back


def test_an_error_without_a_result_code_is_read_from_its_words() -> None:
    assert is_busy(sqlite3.OperationalError("database is locked"))
    assert not is_transient(sqlite3.OperationalError("no such table: queue_job"))


@pytest.mark.parametrize(
    ("said", "kind", "name"),
    [
        ("no such table: queue_job", "table", "queue_job"),
        ('relation "t_1.queue_job" does not exist\nLINE 1: ...', "table", "queue_job"),
        ("no such column: priority", "column", "priority"),
        ('column "priority" of relation "queue_job" does not exist', "column", "priority"),
        ("function claim_jobs(text, integer) does not exist", "function", "claim_jobs"),
    ],
)
def test_what_the_schema_lacks_is_named_in_one_line(said: str, kind: str, name: str) -> None:
    error = refused_for_good("/srv/jobs.db", said)
    assert isinstance(error, SchemaError)
    assert str(error).startswith(f"the store at /srv/jobs.db has no {kind} {name}: was it deployed")
    assert "\n" not in str(error)


def test_any_other_refusal_is_a_store_error_with_the_database_s_first_line() -> None:
    error = refused_for_good("/srv/jobs.db", 'near "SELEC": syntax error')
    assert type(error) is StoreError
    assert str(error) == 'the store at /srv/jobs.db refused a statement: near "SELEC": syntax error'
