"""One store, two databases: SQLite (embedded default) and PostgreSQL (many machines).

:func:`open_store` picks the implementation from a URL::

    sqlite:///relative/path.db     sqlite:////absolute/path.db
    postgresql://user@host:5432/db  (or postgres://, postgresql+psycopg://, a libpq "key=value" DSN)

A :class:`Store` holds one :class:`~jobsmith.store.base.Connector` and a repository per
concept (``store.runs`` for the run log); every repository speaks through the named
queries in ``queries/*.sql`` and works the same on both databases.
"""

from __future__ import annotations

import re
from pathlib import Path

from jobsmith.config import DEFAULT_SCHEMA, Config
from jobsmith.errors import StoreError
from jobsmith.store import migrate
from jobsmith.store.base import Connector, as_datetime, public_url, utcnow
from jobsmith.store.controls import ControlRepository
from jobsmith.store.flows import FlowRepository
from jobsmith.store.jobs import JobRepository
from jobsmith.store.runs import JobRunRecord, RunRepository, TaskRunRecord
from jobsmith.store.schedules import FireRecord, ScheduleRepository
from jobsmith.store.sqlite import SQLiteConnector
from jobsmith.store.views import ViewRepository
from jobsmith.store.wakeup import Wakeups, wakeups_for
from jobsmith.store.workers import WorkerRepository

__all__ = [
    "DEFAULT_SQLITE_PATH",
    "Connector",
    "FireRecord",
    "JobRunRecord",
    "Store",
    "TaskRunRecord",
    "as_datetime",
    "open_store",
    "resolve_url",
    "utcnow",
]

DEFAULT_SQLITE_PATH = Path(".jobsmith") / "jobsmith.db"


class Store:
    """The store: a connector plus one repository per concept."""

    def __init__(self, connector: Connector, url: str, schema: str | None = None) -> None:
        self.connector = connector
        self.url = url
        self.schema = schema
        self.dialect = connector.dialect
        self.runs = RunRepository(connector)
        self.jobs = JobRepository(connector, self.runs)
        self.wakeups: Wakeups = wakeups_for(connector)
        self.schedules = ScheduleRepository(connector)
        self.flows = FlowRepository(connector)
        self.views = ViewRepository(connector)
        self.workers = WorkerRepository(connector)
        self.controls = ControlRepository(connector)

    def __repr__(self) -> str:
        return f"<Store {self.dialect}: {self.connector.description}>"

    def deploy(self, reset: bool = False) -> list[migrate.Migration]:
        """Create or upgrade the schema (safe to repeat); ``reset`` drops everything first."""
        return migrate.deploy(self.connector, self.schema, reset=reset)

    def check(self) -> None:
        """Raise a clear error unless the schema is deployed and current."""
        migrate.check(self.connector)

    def schema_version(self) -> int:
        """The newest applied migration (0 when never deployed)."""
        return max(migrate.applied_versions(self.connector), default=0)

    def close(self) -> None:
        self.connector.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def resolve_url(url: str | None = None, config: Config | None = None) -> str:
    """The store URL: the argument, else the config's, else the default SQLite file
    ``.jobsmith/jobsmith.db`` under the working directory. (The environment and the home's
    config.ini are read by :func:`jobsmith.settings.resolve_settings`, at the edges.)"""
    chosen = url or (config.store_url if config else None)
    return chosen or f"sqlite:///{DEFAULT_SQLITE_PATH}"


def connector_for(url: str, schema: str | None = None) -> Connector:
    """The connector a URL names."""
    if url.startswith("sqlite://"):
        path = url[len("sqlite:///") :] if url.startswith("sqlite:///") else ""
        if not path or path == ":memory:" or url.startswith("sqlite://:"):
            raise StoreError(
                f"store URL {public_url(url)!r}: give a file, e.g. sqlite:///jobs.db "
                "(in-memory SQLite cannot be shared between threads and processes)"
            )
        return SQLiteConnector(path)
    if url.startswith(("postgresql://", "postgres://", "postgresql+")) or (
        "=" in url and "://" not in url
    ):
        try:
            from jobsmith.store.postgres import PostgresConnector  # psycopg loads only when used
        except ImportError as exc:
            raise StoreError(
                f"store URL {_masked(url)!r} needs psycopg, which is not installed: "
                "pip install 'jobsmith[postgres]'"
            ) from exc

        if url.startswith("postgresql+"):
            url = "postgresql://" + url.split("://", 1)[1]
        return PostgresConnector(url, schema or DEFAULT_SCHEMA)
    raise StoreError(
        f"store URL {public_url(url)!r} is not understood: expected sqlite:///path/file.db "
        "or postgresql://user@host/db"
    )


def _masked(url: str) -> str:
    """The URL without its password, for error messages."""
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", url)


def open_store(
    url: str | None = None,
    schema: str | None = None,
    *,
    config: Config | None = None,
    deploy: bool | None = None,
) -> Store:
    """Open the store a URL names; without one, the store the settings name
    (:func:`jobsmith.settings.resolve_settings`: ``JOBSMITH_STORE``, the home's
    config.ini, ``jobsmith.yml``, else ``.jobsmith/jobsmith.db``). Whoever opens a store
    closes it (``with open_store() as store:``).

    ``deploy=None`` (the default) deploys a SQLite file automatically and requires a
    PostgreSQL schema to be deployed already (``jobsmith deploy``); ``True`` deploys
    either; ``False`` only checks.
    """
    if url is None and config is None:
        from jobsmith.settings import resolve_settings  # the caller is an edge

        settings = resolve_settings(schema=schema)
        chosen, schema = settings.store_url, settings.schema
    else:
        chosen = resolve_url(url, config)
        schema = schema or (config.schema if config else None)
    connector = connector_for(chosen, schema)
    store = Store(connector, chosen, schema or DEFAULT_SCHEMA)
    try:
        if deploy or (
            deploy is None and connector.dialect == "sqlite" and migrate.pending(connector)
        ):
            store.deploy()
        else:
            store.check()
    except BaseException:
        store.close()
        raise
    return store
