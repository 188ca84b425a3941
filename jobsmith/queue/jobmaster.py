"""JobMaster's entry point, on jobsmith's queue::

    from jobsmith import JobMaster

    jobmaster = JobMaster(db_engine="postgresql://user@host/db", schema="jobmaster")
    jobmaster.deploy()                  # tables, the insert_job procedure, task definitions
    jobmaster.insert_job("things1", "foo", 10, {"file_path": "/tmp/x", "number": 2})
    jobs = jobmaster.run()              # run jobs until the queue is empty: the jobs it ran
    print(jobs.stats)                   # and what the worker did

A program that builds ``JobMaster(db_engine=...)`` posts there: ``foo.post(...)`` and
``post("things1.foo", ...)`` of its registry's tasks go to that JobMaster's store.
JobMaster 0.1.1's other methods work where they make sense on jobsmith's queue:
``queue_pop()`` (take the next job and run it), ``jobs_in_queue()``,
``available_process_units()``, ``write_tasks()`` and ``jobmaster()`` (``run()``).

``db_engine`` is a store URL (PostgreSQL or SQLite) or an SQLAlchemy engine (its URL is
used; SQLAlchemy itself is not needed otherwise). The schema defaults to ``jobmaster``
as in JobMaster. ``system_process_units`` defaults to ``JOBSMITH_SYSTEM_PROCESS_UNITS``,
then ``JOBMASTER_SYSTEM_PROCESS_UNITS``, then 10,000.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from jobsmith.errors import JobsmithError
from jobsmith.queue.builtins import load_builtins
from jobsmith.queue.posting import PostedJob, post
from jobsmith.queue.registry import Registry, Task
from jobsmith.queue.registry import registry as default_registry
from jobsmith.queue.worker import Worker, WorkerStats
from jobsmith.runlog import who_and_where
from jobsmith.settings import checked_process_units, resolve_settings
from jobsmith.store import Store, connector_for, open_store
from jobsmith.store.jobs import JobRecord, Outcome

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


@dataclass(frozen=True)
class RanJob:
    """A job a :meth:`JobMaster.run` ran: how its attempt ended.

    ``status`` is ``completed``, ``failed``, ``cancelled``, or ``waiting`` (failed, to be
    retried by the task's retry policy)."""

    id: int
    type_key: str
    task_key: str
    arguments: dict[str, Any]
    priority: int
    status: str
    error: str | None = None

    @property
    def job_id(self) -> int:
        """JobMaster's name for the id."""
        return self.id

    @property
    def name(self) -> str:
        return f"{self.type_key}.{self.task_key}"

    @classmethod
    def of(cls, outcome: Outcome) -> RanJob:
        job = outcome.job
        return cls(
            job.id,
            job.type_key,
            job.task_key,
            dict(job.arguments),
            job.priority,
            outcome.status,
            outcome.error,
        )


class RanJobs(list[RanJob]):
    """What :meth:`JobMaster.run` returns: the jobs it ran, in the order they ended, as
    JobMaster's ``run()`` does; ``stats`` is the worker's account (its fields are also
    read through: ``jobs.completed``, ``jobs.failed`` …)."""

    def __init__(self, jobs: Sequence[RanJob], stats: WorkerStats) -> None:
        super().__init__(jobs)
        self.stats = stats

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name == "stats":
            raise AttributeError(name)
        return getattr(self.stats, name)


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
        settings = resolve_settings(  # JobMaster(...) is an edge
            store=engine_url(db_engine) if db_engine is not None else None, schema=schema
        )
        self.url: str = settings.store_url
        self.schema = settings.schema
        self._settings = settings
        self._units = (  # a bad number is refused here, not by run()
            checked_process_units(system_process_units, "system_process_units")
            if system_process_units is not None
            else None
        )
        self.registry = registry if registry is not None else default_registry
        self.cmd_id = cmd_id
        self._store: Store | None = None
        if _validate_dependencies:
            self.registry.check_dependencies()
        if db_engine is not None:  # this program's tasks post here, not to the default
            self.registry.default_store = self._posting_store

    @property
    def store(self) -> Store:
        """The store (opened on first use; PostgreSQL must be deployed)."""
        if self._store is None:
            self._store = open_store(self.url, self.schema)
        return self._store

    def _posting_store(self) -> Store:
        return self.store

    @property
    def system_process_units(self) -> int:
        """The host's process units this JobMaster's workers use: the argument, else
        ``JOBSMITH_SYSTEM_PROCESS_UNITS`` / ``JOBMASTER_SYSTEM_PROCESS_UNITS`` (read by
        the settings when it was built), else 10,000."""
        return self._units if self._units is not None else self._settings.system_process_units

    def __getitem__(self, key: str | tuple[str, str]) -> Task:
        name = key if isinstance(key, str) else ".".join(key)
        return self.registry.get(name)

    def deploy(self, reset: bool = False, _reset: bool | None = None) -> None:
        """Create (or with ``reset``, drop and recreate) the store's schema, then publish
        the registered task definitions (run it again after changing tasks)."""
        self.registry.check_dependencies()
        reset = bool(_reset) if _reset is not None else reset
        store = Store(connector_for(self.url, self.schema), "", self.schema)
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

    def run(self, **options: Any) -> RanJobs:
        """Run jobs until none this process can run is waiting (a burst worker; jobs needing
        more process units than the host has are left, ``.stats.note`` says so); returns
        the jobs it ran, with the worker's statistics as ``.stats``. ``options`` go to
        :class:`~jobsmith.queue.worker.Worker` (``concurrency=4`` …)."""
        options.setdefault("burst", True)
        options.setdefault("system_units", self.system_process_units)
        ran: list[RanJob] = []
        also = options.pop("on_progress", None)

        def collect(outcomes: Sequence[Outcome]) -> None:
            ran.extend(RanJob.of(o) for o in outcomes)
            if also is not None:
                also(outcomes)

        stats = Worker(self.store, self.registry, on_progress=collect, **options).run()
        return RanJobs(ran, stats)

    def __call__(self, **options: Any) -> RanJobs:
        """Same as :meth:`run` (JobMaster's spelling ``jobmaster()``)."""
        return self.run(**options)

    def queue_pop(self) -> RanJob | None:
        """Take the next job this host can run (highest priority first, within the free
        process units) and run it; returns it, or None when none is waiting.

        JobMaster's ``queue_pop`` marks the job running and leaves the run to the caller;
        here a job is always run by a worker, which takes it, runs it and records it."""
        ran = self.run(max_jobs=1, max_batch=1)
        return ran[0] if ran else None

    def jobs_in_queue(self, limit: int = 1000) -> list[JobRecord]:
        """Jobs waiting, running or parked, in the order workers take them."""
        return self.store.jobs.in_queue(limit)

    def available_process_units(self) -> int:
        """This host's process units not taken by the jobs running on it."""
        return self.system_process_units - self.store.jobs.units_in_use(who_and_where()[1])

    def write_tasks(self) -> None:
        """Publish the registered task definitions to the store (``deploy()`` does it too),
        so SQL and other programs can post them."""
        self.registry.check_dependencies()
        self.store.jobs.publish(self.registry.definitions() + load_builtins().definitions())

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
        """Close the store; the registry's tasks post to the configured store again."""
        if getattr(self.registry.default_store, "__self__", None) is self:
            self.registry.default_store = None
        if self._store is not None:
            self._store.close()
            self._store = None
