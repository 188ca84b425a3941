"""Shared fixtures: real SQLite files, a real PostgreSQL schema per test.

PostgreSQL: ``JOBSMITH_TEST_PG`` (default ``postgresql://root@127.0.0.1:5432/test``). A
developer without it gets the PostgreSQL tests skipped; in CI (``JOBSMITH_CI=1``) a skip
of any kind fails the run.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from functools import cache
from pathlib import Path
from typing import Any

import psycopg
import pytest
from aiosmtpd.controller import Controller

from jobsmith.store import Store, open_store

PG_URL = os.environ.get("JOBSMITH_TEST_PG", "postgresql://root@127.0.0.1:5432/test")
IN_CI = os.environ.get("JOBSMITH_CI") == "1"
REPO = Path(__file__).resolve().parent.parent


@cache
def pg_available() -> bool:
    try:
        with psycopg.connect(PG_URL, connect_timeout=3):
            return True
    except psycopg.Error:
        return False


def need_postgres() -> None:
    if not pg_available():
        message = f"PostgreSQL is not reachable at {PG_URL}"
        if IN_CI:
            pytest.fail(message + " (CI requires it)")
        pytest.skip(message)


@dataclass(frozen=True)
class StoreTarget:
    """Where a test's store lives: a URL and, for PostgreSQL, a schema of its own."""

    url: str
    schema: str
    dialect: str

    def env(self) -> dict[str, str]:
        """Environment for a subprocess (an example, the CLI) to use this store."""
        return {**os.environ, "JOBSMITH_STORE": self.url, "JOBSMITH_SCHEMA": self.schema}

    def open(self, deploy: bool | None = True) -> Store:
        return open_store(self.url, self.schema, deploy=deploy)

    def refuse(self, table: str, event: str, message: str, when: str = "TRUE") -> None:
        """A real database failure for a test: a trigger in this store makes every
        ``event`` (INSERT, DELETE …) on ``table`` for which ``when`` holds raise
        ``message``."""
        name = f"refuse_{event.lower()}_{table}"
        if self.dialect == "sqlite":
            with sqlite3.connect(self.url.removeprefix("sqlite:///")) as conn:
                conn.execute(
                    f"CREATE TRIGGER {name} BEFORE {event} ON {table} WHEN {when} "
                    f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
                )
            return
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(
                f'CREATE FUNCTION "{self.schema}".{name}() RETURNS trigger LANGUAGE plpgsql '
                f"AS $$ BEGIN RAISE EXCEPTION '{message}' USING ERRCODE = 'check_violation'; "
                "END $$"
            )
            conn.execute(
                f'CREATE TRIGGER {name} BEFORE {event} ON "{self.schema}".{table} FOR EACH ROW '
                f'WHEN ({when}) EXECUTE FUNCTION "{self.schema}".{name}()'
            )

    def jobsmith(
        self, *args: str, cwd: Path | None = None, timeout: float = 90
    ) -> subprocess.CompletedProcess[str]:
        """``jobsmith ARGS...`` in a subprocess on this store (in the repository, or
        ``cwd``), its output captured; wide enough that rich does not fold lines."""
        return subprocess.run(
            [sys.executable, "-m", "jobsmith", *args],
            cwd=cwd or REPO,
            env={**self.env(), "COLUMNS": "200"},
            capture_output=True,
            text=True,
            timeout=timeout,
        )


def _drop_schema(schema: str) -> None:
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def sqlite_target(tmp_path: Path) -> StoreTarget:
    return StoreTarget(f"sqlite:///{tmp_path / 'jobsmith.db'}", "jobsmith", "sqlite")


@pytest.fixture
def pg_target() -> Iterator[StoreTarget]:
    need_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    yield StoreTarget(PG_URL, schema, "postgresql")
    _drop_schema(schema)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def target(request: pytest.FixtureRequest) -> StoreTarget:
    """The same test on a SQLite file and on a PostgreSQL schema."""
    name = "sqlite_target" if request.param == "sqlite" else "pg_target"
    found: StoreTarget = request.getfixturevalue(name)
    return found


def deployed(target: StoreTarget) -> Iterator[Store]:
    opened = target.open(deploy=True)
    yield opened
    opened.close()


@pytest.fixture
def store(target: StoreTarget) -> Iterator[Store]:
    """A deployed store on each database."""
    yield from deployed(target)


@pytest.fixture
def sqlite_store(sqlite_target: StoreTarget) -> Iterator[Store]:
    """A deployed store in a SQLite file (for tests about something else than the store)."""
    yield from deployed(sqlite_target)


@pytest.fixture
def pg_store(pg_target: StoreTarget) -> Iterator[Store]:
    """A deployed store in a fresh PostgreSQL schema (``pg_target.schema``)."""
    yield from deployed(pg_target)


@pytest.fixture
def python() -> str:
    """The interpreter of this test run, for subprocesses."""
    return sys.executable


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (right now)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class ReceivedMail:
    """One message as the test SMTP server got it."""

    sender: str
    recipients: list[str]
    message: EmailMessage


@dataclass
class SmtpServer:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps what it receives."""

    port: int = field(default_factory=free_port)
    received: list[ReceivedMail] = field(default_factory=list)

    @property
    def address(self) -> str:
        """``host:port``, the form of the ``smtp_server`` parameter."""
        return f"127.0.0.1:{self.port}"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = BytesParser(policy=policy.default).parsebytes(envelope.content)
        self.received.append(ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def start(self, **smtp_options: Any) -> Controller:
        """Listen; ``smtp_options`` go to aiosmtpd's SMTP (tls_context, authenticator …)."""
        controller = Controller(self, hostname="127.0.0.1", port=self.port, **smtp_options)
        controller.start()
        return controller


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A plain SMTP server for this test (no TLS, no login)."""
    server = SmtpServer()
    controller = server.start()
    yield server
    controller.stop()


@pytest.fixture(autouse=True)
def _registry_posts_to_the_configured_store() -> Iterator[None]:
    """A JobMaster built with db_engine binds the default registry's posts to its store;
    each test starts unbound."""
    from jobsmith.queue.registry import registry

    yield
    registry.default_store = None


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if IN_CI and skipped:
        reporter.write_line(
            f"CI: {len(skipped)} test(s) were skipped; nothing may be skipped in CI."
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
