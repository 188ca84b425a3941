"""JobMaster's entry point, on jobsmith's queue::

    from jobsmith import JobMaster

    jobmaster = JobMaster(db_engine="postgresql://user@host/db", schema="jobmaster")
    jobmaster.deploy()                  # tables, the insert_job procedure, task definitions
    jobmaster.insert_job("things1", "foo", 10, {"file_path": "/tmp/x", "number": 2})
    jobmaster.run()                     # run jobs until the queue is empty

``db_engine`` is a store URL (PostgreSQL or SQLite) or an SQLAlchemy engine (its URL is
used; SQLAlchemy itself is not needed otherwise). The schema defaults to ``jobmaster``
as in JobMaster. ``system_process_units`` defaults to ``JOBSMITH_SYSTEM_PROCESS_UNITS``,
then ``JOBMASTER_SYSTEM_PROCESS_UNITS``, then 10,000.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jobsmith.errors import JobsmithError
from jobsmith.queue.builtins import load_builtins
from jobsmith.queue.posting import PostedJob, post
from jobsmith.queue.registry import Registry, Task
from jobsmith.queue.registry import registry as default_registry
from jobsmith.queue.worker import Worker, WorkerStats, system_process_units
from jobsmith.store import Store, connector_for, open_store

DEFAULT_SCHEMA = "jobmaster"


def engine_url(db_engine: Any) -> str:
    """A store URL from a URL or an SQLAlchemy engine (or anything with such a ``url``)."""
    if isinstance(db_engine, str):
        return db_engine
    url = getattr(db_engine, "url", None)
    if url is None:
        raise JobsmithError(
            f"db_engine must be a store URL or an SQLAlchemy engine, got {type(db_engine).__name__}"
        )
    text = (
        url.render_as_string(hide_password=False) if hasattr(url, "render_as_string") else str(url)
    )
    scheme, _, rest = text.partition("://")
    if scheme.startswith("postgresql") or scheme.startswith("postgres"):
        return "postgresql://" + rest  # any driver: jobsmith talks psycopg
    if scheme.startswith("sqlite"):
        return "sqlite://" + rest
    raise JobsmithError(f"db_engine {scheme}:// is not supported: use PostgreSQL or SQLite")


class JobMaster:
    """JobMaster's API over a jobsmith store and a task registry."""

    def __init__(
        self,
        db_engine: Any = None,
        schema: str = DEFAULT_SCHEMA,
        system_process_units: int | None = None,
        *,
        registry: Registry | None = None,
        logger: Any = None,
        cmd_id: str | None = None,
        _validate_dependencies: bool = False,
    ) -> None:
        self.url = engine_url(db_engine) if db_engine is not None else None
        self.schema = schema
        self._units = system_process_units
        self.registry = registry if registry is not None else default_registry
        self.cmd_id = cmd_id
        self._store: Store | None = None
        if _validate_dependencies:
            self.registry.check_dependencies()

    @property
    def store(self) -> Store:
        """The store (opened on first use; PostgreSQL must be deployed)."""
        if self._store is None:
            self._store = open_store(self.url, self.schema)
        return self._store

    @property
    def system_process_units(self) -> int:
        """The host's process units this JobMaster's workers use."""
        return system_process_units(self._units)

    def __getitem__(self, key: str | tuple[str, str]) -> Task:
        name = key if isinstance(key, str) else ".".join(key)
        return self.registry.get(name)

    def deploy(self, reset: bool = False, _reset: bool | None = None) -> None:
        """Create (or with ``reset``, drop and recreate) the store's schema, then publish
        the registered task definitions (run it again after changing tasks)."""
        self.registry.check_dependencies()
        reset = bool(_reset) if _reset is not None else reset
        store = Store(connector_for(self.url or _default_url(), self.schema), "", self.schema)
        try:
            store.deploy(reset=reset)
            store.jobs.publish(self.registry.definitions() + load_builtins().definitions())
        finally:
            store.close()

    def insert_job(
        self,
        type_key: str,
        task_key: str,
        priority: int | None = None,
        arguments: Mapping[str, Any] | None = None,
    ) -> PostedJob:
        """Queue a job, as the SQL procedure ``insert_job`` does (checked, deduplicated)."""
        return post(
            f"{type_key}.{task_key}",
            arguments or {},
            priority=priority,
            store=self.store,
            registry=self.registry,
        )

    def run(self, **options: Any) -> WorkerStats:
        """Run jobs until none this process can run is waiting (a burst worker here); jobs
        needing more process units than the host has are left (``WorkerStats.note``)."""
        options.setdefault("burst", True)
        options.setdefault("system_units", self._units)
        return Worker(self.store, self.registry, **options).run()

    def print_tasks(self) -> None:
        """Log every registered task and its parameters."""
        import logging

        log = logging.getLogger("jobsmith.queue")
        for t in self.registry:
            names = ", ".join(p.name for p in t.arguments.parameters)
            log.info(
                "%s(%s) process_units=%d priority=%d", t.name, names, t.process_units, t.priority
            )

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


def _default_url() -> str:
    from jobsmith.store import resolve_url

    return resolve_url()
