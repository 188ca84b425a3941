"""Posting jobs: check the arguments, then queue them, from any process.

::

    jobsmith.post("things1.foo", {"file_path": "/tmp/x", "number": 2}, priority=10)
    foo.post(file_path="/tmp/x", number=2)
    with store.connector.transaction():          # atomically with your own writes
        post("things1.foo", {...}, store=store)

A task is found in the registry (the module that defines it was imported) or, failing
that, in the definitions workers (and ``deploy()``) published to the store, so a process
that does not import the task's code can still post it, checked, with the task's limits
(``limit_key``, ``max_running``, ``rate_limit``) and unique options (``unique``,
``unique_key``, ``unique_for``) as its code gives them. Posting a *unique* job identical to
one still waiting, running or parked returns that job (``created=False``) instead of
queueing a duplicate; ``unique=False`` queues it anyway.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NoReturn, ParamSpec, TypeVar

from jobsmith.queue.arguments import ArgumentError, Arguments, arguments_from_definition
from jobsmith.queue.builtins import find_task, load_builtins
from jobsmith.queue.posted import PostedJob, install_poster, settings_store
from jobsmith.queue.registry import (
    PRIORITIES,
    LimitOptions,
    Registry,
    Task,
    UnknownTaskError,
    job_limit,
)
from jobsmith.queue.registry import registry as default_registry
from jobsmith.store import Store
from jobsmith.store.controls import ControlRepository, seconds
from jobsmith.store.jobs import JobRepository, NewJob

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class _Target:
    """What posting needs to know about a task, from the registry or the store."""

    name: str
    type_key: str
    task_key: str
    arguments: Arguments
    priority: int
    process_units: int
    queue: str
    unique: bool
    unique_key: str | None = None
    unique_for: float | timedelta | None = None
    limits: LimitOptions | None = None
    """The task's limit options (from its code, else from its published definition)."""

    @property
    def limited(self) -> bool:
        return self.limits is not None and self.limits.limited


def _settings_store_if_none(function: Callable[P, R]) -> Callable[P, R]:
    """Without ``store=``, post to the store of the JobMaster built for the task, else to
    the store the settings name (JOBSMITH_STORE, config.ini, jobsmith.yml,
    .jobsmith/jobsmith.db), borrowed from the process's shared stores for this call."""

    @functools.wraps(function)
    def with_store(*args: P.args, **kwargs: P.kwargs) -> R:
        if kwargs.get("store") is not None:
            return function(*args, **kwargs)
        registry = kwargs.get("registry")
        bound = _jobmaster_store(
            registry if isinstance(registry, Registry) else None, args[0] if args else None
        )
        if bound is not None:  # a program that built JobMaster(db_engine=...) posts there
            kwargs["store"] = bound
            return function(*args, **kwargs)
        with settings_store() as store:  # posting without a store is an edge
            kwargs["store"] = store
            return function(*args, **kwargs)

    return with_store


@_settings_store_if_none
def post(
    task: Task | str,
    arguments: Mapping[str, Any] | None = None,
    /,
    *,
    priority: int | None = None,
    store: Store | None = None,
    unique: bool | None = None,
    queue: str | None = None,
    run_after: datetime | None = None,
    registry: Registry | None = None,
    unique_key: str | None = None,
    unique_for: float | timedelta | None = None,
    connection: Any = None,
) -> PostedJob:
    """Queue one job of ``task`` (a :class:`Task` or ``"type_key.task_key"``).

    ``priority`` defaults to the task's (higher runs first); ``store`` to the configured
    store; ``unique`` to the task's (True); ``run_after`` holds the job back until then.
    Raises :class:`~jobsmith.queue.arguments.ArgumentError` (nothing queued) when the
    arguments do not fit. Inside ``store.connector.transaction()`` it joins that
    transaction. ``unique_key`` (default: the task's, a format string over the arguments)
    returns the job holding that key while it is waiting, running or parked, or completed
    within ``unique_for`` (seconds or a timedelta), instead of queueing another.
    ``connection`` (an open ``sqlite3`` or psycopg connection, or an SQLAlchemy
    ``Connection``/``Session``, to the store's database) writes the job in the caller's
    own transaction: it exists once that commits, and not at all if it rolls back.
    """
    assert store is not None  # given, or the settings' (_settings_store_if_none)
    target = _target(task, store, registry or default_registry)
    _check_options(target, unique, queue, run_after, unique_key, unique_for)
    job = _new_job(target, arguments, priority, unique, queue, run_after)
    key = _unique_key(target, job, unique_key)
    window = seconds(target.unique_for if unique_for is None else unique_for)
    if connection is None and key is None and not target.limited:
        # the hot path: one statement on the store's own connection, nothing to join
        result = store.jobs.insert(job)
        return _posted(target, job, result.id, result.status, result.created, store)
    with _writers(store, connection) as (jobs, controls), _joined(controls, target.limited):
        keyed = key is not None
        result = controls.insert_keyed(job, str(key), window) if keyed else jobs.insert(job)
        _set_limits(controls, [(target, job, result.id, result.created)])
        return _posted(target, job, result.id, result.status, result.created, store, jobs)


@contextmanager
def _writers(store: Store, connection: Any) -> Iterator[tuple[JobRepository, ControlRepository]]:
    """The store's repositories, or the same over the caller's connection."""
    if connection is None:
        yield store.jobs, store.controls
        return
    from jobsmith.store.borrowed import borrow

    with borrow(connection, store.dialect, store.schema) as borrowed:
        yield borrowed.jobs, borrowed.controls


@_settings_store_if_none
def post_many(
    jobs: Iterable[tuple[Task | str, Mapping[str, Any] | None]],
    *,
    priority: int | None = None,
    store: Store | None = None,
    unique: bool | None = None,
    registry: Registry | None = None,
) -> list[PostedJob]:
    """Queue many ``(task, arguments)`` jobs in one transaction (all or none): on
    PostgreSQL one statement per run of jobs of the same task. Results come back in the
    same order."""
    assert store is not None  # given, or the settings' (_settings_store_if_none)
    targets: dict[str, _Target] = {}
    pairs: list[tuple[_Target, NewJob]] = []
    for task, arguments in jobs:
        key = task.name if isinstance(task, Task) else task
        if key not in targets:
            targets[key] = _target(task, store, registry or default_registry)
        target = targets[key]
        _check_options(target, unique, None, None, None, None)
        pairs.append((target, _new_job(target, arguments, priority, unique, None, None)))
    with _joined(store.controls, any(t.limited for t in targets.values())):
        results = store.jobs.insert_many([job for _, job in pairs])
        made = [(t, j, r.id, r.created) for (t, j), r in zip(pairs, results, strict=True)]
        _set_limits(store.controls, made)
    return [
        _posted(target, job, r.id, r.status, r.created, store)
        for (target, job), r in zip(pairs, results, strict=True)
    ]


@_settings_store_if_none
def check_arguments(
    task: Task | str,
    arguments: Mapping[str, Any] | None,
    *,
    store: Store | None = None,
    registry: Registry | None = None,
) -> dict[str, Any]:
    """The arguments as they would be queued (defaults filled in), or ArgumentError."""
    assert store is not None  # given, or the settings' (_settings_store_if_none)
    target = _target(task, store, registry or default_registry)
    return target.arguments.check(arguments)


def _new_job(
    target: _Target,
    arguments: Mapping[str, Any] | None,
    priority: int | None,
    unique: bool | None,
    queue: str | None,
    run_after: datetime | None,
) -> NewJob:
    return NewJob(
        target.type_key,
        target.task_key,
        target.arguments.check(arguments),
        target.priority if priority is None else _priority(target, priority),
        target.process_units,
        queue or target.queue,
        target.unique if unique is None else unique,
        run_after,
    )


def _check_options(
    target: _Target,
    unique: object,
    queue: object,
    run_after: object,
    unique_key: object,
    unique_for: object,
) -> None:
    """A post's options have the types the store needs: one line naming the option (they
    were stored as given: a naive or text ``run_after``, ``queue=5``, ``unique="no"``)."""

    def refuse(option: str, value: object, expected: str) -> NoReturn:
        raise ArgumentError(f"task {target.name}: {option}={value!r}: expected {expected}")

    if unique is not None and not isinstance(unique, bool):
        refuse("unique", unique, "True or False")
    if queue is not None and not isinstance(queue, str):  # "" is the task's queue
        refuse("queue", queue, "a queue's name")
    if run_after is not None and (
        not isinstance(run_after, datetime) or run_after.utcoffset() is None
    ):
        refuse(
            "run_after",
            run_after,
            "an aware datetime, e.g. datetime.now(UTC) + timedelta(minutes=5)",
        )
    if unique_key is not None and (not isinstance(unique_key, str) or not unique_key):
        refuse("unique_key", unique_key, "a text such as 'nightly-report'")
    if unique_for is not None and (
        isinstance(unique_for, bool)
        or not isinstance(unique_for, int | float | timedelta)
        or (not isinstance(unique_for, timedelta) and unique_for < 0)
    ):
        refuse("unique_for", unique_for, "seconds >= 0 or a timedelta")
    if unique_for is not None and unique_key is None and target.unique_key is None:
        refuse("unique_for", unique_for, "a unique_key beside it, e.g. unique_key='nightly-report'")


def _priority(target: _Target, priority: Any) -> int:
    if isinstance(priority, bool) or not isinstance(priority, int):
        raise ArgumentError(
            f"task {target.name}: priority is {priority!r}, expected an integer (higher runs first)"
        )
    if priority not in PRIORITIES:
        raise ArgumentError(
            f"task {target.name}: priority is {priority}, expected an integer from "
            f"{PRIORITIES[0]} to {PRIORITIES[-1]}"
        )
    return priority


def _joined(controls: ControlRepository, needed: bool) -> AbstractContextManager[None]:
    """One transaction for the post and its limit (only when there is a limit to set)."""
    return controls.db.transaction() if needed else nullcontext()


def _set_limits(
    controls: ControlRepository, posted: Iterable[tuple[_Target, NewJob, int, bool]]
) -> None:
    """Give new jobs of limited tasks their concurrency key and limit."""
    limits = []
    for target, job, job_id, created in posted:
        options = target.limits
        limit = job_limit(options, job.arguments) if options is not None and created else None
        if limit is not None:
            limits.append((job_id, limit))
    if limits:
        controls.set_limits(limits)


def _unique_key(target: _Target, job: NewJob, given: str | None) -> str | None:
    """The job's unique key: the one given, else the task's formatted with the arguments."""
    if given is not None:
        return str(given)
    if target.unique_key is None:
        return None
    try:
        return target.unique_key.format(**job.arguments)
    except (KeyError, IndexError, ValueError) as exc:
        raise ArgumentError(
            f"task {target.name}: unique_key {target.unique_key!r} cannot be filled from the "
            f"arguments {sorted(job.arguments)}: {exc!r}"
        ) from None


def _posted(
    target: _Target,
    job: NewJob,
    job_id: int,
    status: str,
    created: bool,
    store: Store,
    jobs: JobRepository | None = None,
) -> PostedJob:
    """The posted job; one that was there already (``created=False``: its unique key, or
    an identical job) as it is stored, with its own arguments and priority, not the post's."""
    arguments, priority = job.arguments, job.priority
    if not created:
        found = (jobs or store.jobs).get(job_id)
        arguments, priority = found.arguments, found.priority
    return PostedJob(job_id, target.name, arguments, priority, status, created, store)


def _target(task: Task | str, store: Store, registry: Registry) -> _Target:
    if isinstance(task, Task):
        found: Task | None = task
    else:
        found = find_task(registry, task) or find_task(load_builtins(), task)
    if found is not None:
        return _Target(
            found.name,
            found.type_key,
            found.task_key,
            found.arguments,
            found.priority,
            found.process_units,
            found.queue,
            found.unique,
            found.unique_key,
            found.unique_for,
            found.limit_options(),
        )
    return _published_target(str(task), store, registry)


def _published_target(name: str, store: Store, registry: Registry) -> _Target:
    type_key, dot, task_key = name.partition(".")
    definition = store.jobs.definition(type_key, task_key) if dot else None
    if definition is None:
        try:
            registry.get(name)  # raises the registry's clear error
        except UnknownTaskError as exc:
            raise UnknownTaskError(f"{exc}; nor has a worker published it to the store") from None
        raise AssertionError("unreachable")
    return _Target(
        name,
        type_key,
        task_key,
        arguments_from_definition(name, definition),
        int(definition["priority"]),
        int(definition["process_units"]),
        str(definition["queue"]),
        True if definition.get("is_unique") is None else bool(definition["is_unique"]),
        definition.get("unique_key"),
        definition.get("unique_for"),
        LimitOptions.of_definition(name, definition),
    )


def _jobmaster_store(registry: Registry | None, task: object) -> Store | None:
    """The store of the JobMaster built for these tasks (see ``Registry.default_store``),
    if one was built."""
    task_registry = task.registry if isinstance(task, Task) else None
    for candidate in (registry, task_registry, default_registry):
        if candidate is not None and candidate.default_store is not None:
            return candidate.default_store()
    return None


class _Poster:
    """``Task.post`` and ``Task.post_many`` reach posting through this (see
    :mod:`jobsmith.queue.posted`)."""

    post = staticmethod(post)
    post_many = staticmethod(post_many)


install_poster(_Poster())
