"""The ``@task`` registry: functions that can be queued as jobs (JobMaster's spelling).

::

    from jobsmith import task, Dependency, same

    @task
    def foo(file_path: str, number: [1, 2, 3]): ...

    @task(write_all=["b"], dependencies=Dependency(foo, 6, file_path=same), priority=5)
    def bar(file_path: str, b: [1, 2, 3]): ...

A task is registered under ``type_key`` (default: the name of its module, the last
part of the dotted name) and ``task_key`` (default: the function's name); the job name
is ``"type_key.task_key"``. :class:`Registry` is a plain object: ``@task`` records into
:data:`registry`, and a worker or a test may build and pass its own.
"""

from __future__ import annotations

import functools
import inspect
import re
import string
import sys
import types
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, NoReturn, ParamSpec, TypeVar, overload

from jobsmith.config import closest
from jobsmith.errors import JobsmithError
from jobsmith.queue.arguments import ArgumentError, Arguments, parameters_of
from jobsmith.queue.cancellation import is_cancellation_hint
from jobsmith.queue.posted import PostedJob, poster
from jobsmith.store.controls import Limit, seconds
from jobsmith.store.jobs import canonical_json

if TYPE_CHECKING:
    from datetime import datetime

    from jobsmith.store import Store

P = ParamSpec("P")
R = TypeVar("R")

MIN_HOURS = 2 / 60
PRIORITIES = range(-(2**31), 2**31)
"""Priorities the store holds (a 32-bit INTEGER column, on PostgreSQL as on SQLite)."""
MAX_HOURS = 24 * 30


class UnknownTaskError(JobsmithError, LookupError):
    """No task with that name is registered."""


class SameParameter:
    """``same``: a dependency's argument takes the value of the dependant's argument of
    the same name."""

    _instance: SameParameter | None = None

    def __new__(cls) -> SameParameter:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "same"

    def __reduce__(self) -> str:
        return "same"


same = SameParameter()


class Dependency:
    """Before a job runs, a job of ``task`` with these arguments must have completed
    within the last ``hours`` (JobMaster: between 2 minutes and 30 days; default 30 days).
    Otherwise that job is posted at a higher priority and the dependant is parked until
    it ends. ``same`` copies the dependant's argument of the same name.
    ``on_failure="continue"`` accepts any end: a failed or cancelled job of the task within
    the window meets it too, and the dependant is resumed however that job ends."""

    def __init__(
        self,
        _task_: Task | str,
        _hours_: float | None = None,
        *,
        on_failure: str = "fail",
        **arguments: Any,
    ):
        if not isinstance(_task_, Task | str):
            shown = getattr(_task_, "__qualname__", None) or repr(_task_)
            raise JobsmithError(
                f"Dependency({shown}): expected a task (a function decorated with @task) or "
                f"its name 'TYPE.TASK', got {type(_task_).__name__} {shown}"
            )
        if on_failure not in ("fail", "continue"):
            raise JobsmithError(
                f"Dependency({_task_!r}): on_failure must be 'fail' or 'continue', "
                f"got {on_failure!r}"
            )
        self.on_failure = on_failure
        self.task = _task_
        try:
            hours = MAX_HOURS if not _hours_ else float(_hours_)
        except (TypeError, ValueError):
            raise JobsmithError(
                f"Dependency({self.name}): hours={_hours_!r}: expected a number of hours "
                "(e.g. 24; kept between 2 minutes and 30 days)"
            ) from None
        self.hours = min(max(hours, MIN_HOURS), MAX_HOURS)
        self.arguments = arguments

    @property
    def name(self) -> str:
        return self.task.name if isinstance(self.task, Task) else str(self.task)

    def arguments_for(self, job_arguments: Mapping[str, Any]) -> dict[str, Any]:
        """The dependency job's arguments for one dependant's arguments."""
        values = {}
        for name, value in self.arguments.items():
            if value is same:
                if name not in job_arguments:
                    raise JobsmithError(
                        f"dependency {self.name}: argument '{name}' is `same`, but the "
                        "dependant has no argument of that name"
                    )
                values[name] = job_arguments[name]
            else:
                values[name] = value
        return values

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in self.arguments.items())
        return f"Dependency({self.name}, {self.hours:g}h{', ' if shown else ''}{shown})"


@dataclass(frozen=True)
class RetryPolicy:
    """How failed attempts are retried: ``retries`` more attempts, waiting
    ``delay * backoff ** (attempt - 1)`` seconds (at most ``max_delay``) before each."""

    retries: int = 0
    delay: float = 1.0
    backoff: float = 2.0
    max_delay: float = 300.0

    def wait(self, attempt: int) -> float:
        return min(self.delay * self.backoff ** max(attempt - 1, 0), self.max_delay)


class Task(Generic[P, R]):
    """A registered task. Calling it runs the function here and now; :meth:`post`
    queues it as a job. It keeps the function's signature for type checkers."""

    def __init__(
        self,
        function: Callable[P, R],
        *,
        type_key: str,
        task_key: str,
        process_units: int = 1,
        write_all: Iterable[str] = (),
        dependencies: Iterable[Dependency] = (),
        priority: int = 0,
        queue: str = "default",
        retry: RetryPolicy = RetryPolicy(),
        timeout: float | None = None,
        unique: bool = True,
        kind: str = "QueueTask",
        unique_key: str | None = None,
        unique_for: float | timedelta | None = None,
        limit_key: str | None = None,
        max_running: int | None = None,
        rate_limit: str | None = None,
    ) -> None:
        if process_units < 0:
            raise JobsmithError(f"task {type_key}.{task_key}: process_units must be >= 0")
        self.function = function
        self.type_key = type_key
        self.task_key = task_key
        self.name = f"{type_key}.{task_key}"
        self.process_units = process_units
        self.write_all = tuple(write_all)
        self.dependencies = tuple(dependencies)
        self.priority = priority
        self.queue = queue
        self.retry = retry
        self.timeout = timeout
        self.unique = unique
        self.kind = kind
        self.unique_key = unique_key
        self.unique_for = unique_for
        self.limit_key = limit_key
        self.max_running = max_running
        self.rate = None if rate_limit is None else parse_rate(self.name, rate_limit)
        self.help = (function.__doc__ or "").strip() or None
        self.injected = cancellation_parameters(function)
        declared = parameters_of(_without(function, self.injected))
        self.arguments = Arguments(self.name, declared, self.write_all)
        self.is_async = inspect.iscoroutinefunction(function)
        _check_limit(self.name, limit_key, max_running, rate_limit, self.arguments.names)
        _check_options(self, unique_for)
        self.registry: Registry | None = None
        """The registry this task was added to (its ``default_store`` is where it posts)."""
        self._check_same()
        functools.update_wrapper(self, function)

    def _check_same(self) -> None:
        """A dependency's ``same`` must name one of this task's parameters, and its
        arguments must be parameters of the dependency's task (when it is a Task here)."""
        for dep in self.dependencies:
            if isinstance(dep.task, Task):
                names = dep.task.arguments.names
                for name in dep.arguments:
                    if name not in names:
                        known = ", ".join(names) or "no parameters"
                        raise JobsmithError(
                            f"task {self.name}: dependency {dep.name} is given argument "
                            f"'{name}', which {dep.name} does not take (it has: {known})"
                            f"{closest(name, names)}"
                        )
            for name, value in dep.arguments.items():
                if value is same and name not in self.arguments.names:
                    expected = ", ".join(self.arguments.names) or "no parameters"
                    raise JobsmithError(
                        f"task {self.name}: dependency {dep.name} takes '{name}' as `same`, "
                        f"but {self.name} has no parameter '{name}' (it has: {expected})"
                    )

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        return self.function(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<Task {self.name}>"

    @overload
    def post(self, *args: P.args, **kwargs: P.kwargs) -> PostedJob: ...

    @overload
    def post(
        self,
        arguments: Mapping[str, Any] | None = None,
        /,
        *,
        priority: int | None = None,
        store: Store | None = None,
        unique: bool | None = None,
        queue: str | None = None,
        run_after: datetime | None = None,
        unique_key: str | None = None,
        unique_for: float | timedelta | None = None,
        connection: Any = None,
    ) -> PostedJob: ...

    def post(self, *args: Any, **kwargs: Any) -> PostedJob:
        """Queue a job of this task: ``foo.post(file_path="x", number=2)``, type-checked
        against the function's signature. Options (priority, store, unique, queue,
        run_after, unique_key, unique_for, connection) go with a mapping of arguments,
        ``foo.post({"file_path": "x"}, priority=5)``, or typed through
        ``foo.options(priority=5).post(file_path="x")``; ``foo.post(file_path="x",
        priority=5)`` still runs, but type checkers report it."""
        options = {name: kwargs.pop(name) for name in POST_OPTIONS if name in kwargs}
        return self.options(**options).post(*args, **kwargs)

    def options(
        self,
        *,
        priority: int | None = None,
        store: Store | None = None,
        unique: bool | None = None,
        queue: str | None = None,
        run_after: datetime | None = None,
        unique_key: str | None = None,
        unique_for: float | timedelta | None = None,
        connection: Any = None,
    ) -> Posting[P]:
        """Posting options for one post: ``foo.options(priority=5).post(file_path="x")``."""
        chosen = {
            "priority": priority,
            "store": store,
            "unique": unique,
            "queue": queue,
            "run_after": run_after,
            "unique_key": unique_key,
            "unique_for": unique_for,
            "connection": connection,
        }
        return Posting(self, chosen)

    def values(self, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> dict[str, Any]:
        """A job's arguments from a call's positional and keyword arguments (a single
        mapping, or None, positionally is the arguments themselves)."""
        if len(args) == 1 and (args[0] is None or isinstance(args[0], Mapping)):
            return {**(args[0] or {}), **kwargs}
        names = self.arguments.names
        if len(args) > len(names):
            raise ArgumentError(
                f"task {self.name}: {len(args)} positional arguments given, it takes "
                f"{len(names)} ({', '.join(names)})"
            )
        return {**dict(zip(names, args, strict=False)), **kwargs}

    def post_many(
        self,
        arguments: Iterable[Mapping[str, Any]],
        *,
        priority: int | None = None,
        store: Store | None = None,
        unique: bool | None = None,
    ) -> list[PostedJob]:
        """Queue many jobs of this task in one transaction."""
        return poster().post_many(
            [(self, a) for a in arguments], priority=priority, store=store, unique=unique
        )

    @property
    def limited(self) -> bool:
        return self.max_running is not None or self.rate is not None

    def limit_for(self, arguments: Mapping[str, Any]) -> Limit | None:
        """The job's concurrency key and limits (see :func:`job_limit`); None when
        unlimited."""
        return job_limit(self.limit_options(), arguments)

    def limit_options(self) -> LimitOptions:
        """The task's limit options as they are published to the store."""
        count, window = self.rate if self.rate is not None else (None, None)
        key = self.limit_key or self.name
        return LimitOptions(key, key in self.arguments.names, self.max_running, count, window)

    def definition(self) -> dict[str, Any]:
        """What a worker publishes about this task (``queue_task``): with its limit and
        unique options, so every post of the task is limited and deduplicated the same,
        also by processes without its code (and, for limits, SQL ``CALL insert_job``)."""
        limits = self.limit_options()
        return {
            "type_key": self.type_key,
            "task_key": self.task_key,
            "parameters": self.arguments.definitions(),
            "write_all": list(self.write_all),
            "process_units": self.process_units,
            "priority": self.priority,
            "queue": self.queue,
            "help": self.help,
            "limit_key": limits.key if self.limited else None,
            "limit_arg": limits.argument if self.limited else False,
            "max_running": limits.max_running,
            "rate_count": limits.rate_count,
            "rate_window": limits.rate_window,
            "is_unique": self.unique,
            "unique_key": self.unique_key,
            "unique_for": None if self.unique_for is None else seconds(self.unique_for),
        }


@dataclass(frozen=True, slots=True)
class LimitOptions:
    """A task's limit options: ``key`` is the concurrency key itself or, when
    ``argument`` is true, the name of the argument whose value is the key."""

    key: str
    argument: bool
    max_running: int | None = None
    rate_count: int | None = None
    rate_window: float | None = None

    @property
    def limited(self) -> bool:
        return self.max_running is not None or self.rate_count is not None

    @classmethod
    def of_definition(cls, name: str, definition: Mapping[str, Any]) -> LimitOptions:
        """The limit options of a published task definition."""
        return cls(
            str(definition.get("limit_key") or name),
            bool(definition.get("limit_arg")),
            _int_or_none(definition.get("max_running")),
            _int_or_none(definition.get("rate_count")),
            None if definition.get("rate_window") is None else float(definition["rate_window"]),
        )


def job_limit(options: LimitOptions, arguments: Mapping[str, Any]) -> Limit | None:
    """A job's concurrency key and limits: the key as it is, or ``"name=value"`` when the
    key names an argument (a text value as it is, any other as JSON: ``n=3``,
    ``flag=true``, ``x=null``; the store computes the same for SQL posts, so every
    post of a task shares its keys); None when the task is unlimited."""
    if not options.limited:
        return None
    key = options.key
    if options.argument:
        value = arguments.get(key)
        key = f"{key}={value if isinstance(value, str) else canonical_json(value)}"
    return Limit(key, options.max_running, options.rate_count, options.rate_window)


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)


_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*$")
_RATE_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(name: str, text: str) -> tuple[int, float]:
    """``"100/m"`` (also ``/s``, ``/h``, ``/d``, ``"5/10s"``) as (jobs, window seconds)."""
    match = _RATE.match(str(text))
    per = 0 if match is None else int(match.group(2) or 1) * _RATE_UNIT[match.group(3)]
    if match is None or int(match.group(1)) < 1 or per < 1:  # "5/0s" would limit nothing
        raise JobsmithError(
            f"task {name}: rate_limit {text!r}: expected jobs per time, e.g. '100/m', "
            "'10/s', '5/10s' (units s, m, h, d)"
        )
    return int(match.group(1)), float(per)


def _check_limit(
    name: str,
    limit_key: str | None,
    max_running: int | None,
    rate_limit: str | None,
    parameters: Sequence[str],
) -> None:
    if limit_key is not None and (not isinstance(limit_key, str) or not limit_key):
        raise JobsmithError(
            f"task {name}: limit_key={limit_key!r}: expected a parameter's name (its value is "
            "the key) or a fixed key's text"
        )
    if limit_key is not None and limit_key not in parameters:
        # a fixed key is fine ("stripe-api"); one a letter off a parameter is a typo that
        # would make every job of the task share one key
        like = closest(limit_key, parameters, cutoff=0.8)
        if like:
            raise JobsmithError(
                f"task {name}: limit_key {limit_key!r} is not one of its parameters "
                f"({', '.join(parameters)}){like}: as a fixed key it would put every job of "
                "the task under one key"
            )
    if limit_key is not None and max_running is None and rate_limit is None:
        raise JobsmithError(
            f"task {name}: limit_key={limit_key!r} needs max_running=N or rate_limit='N/m'"
        )
    if max_running is not None and (type(max_running) is not int or max_running < 1):
        raise JobsmithError(
            f"task {name}: max_running must be a whole number >= 1, got {max_running!r}"
        )


def _check_options(task: Task[Any, Any], unique_for: object) -> None:
    """The ``@task`` options a worker relies on have the types they need: a mistake is an
    error when the task is defined, not a job that fails (or a worker that stops) later."""

    def refuse(option: str, value: object, expected: str) -> NoReturn:
        raise JobsmithError(f"task {task.name}: {option}={value!r}: expected {expected}")

    def number(value: object) -> bool:
        return isinstance(value, (int, float)) and not isinstance(value, bool)

    if not isinstance(task.priority, int) or isinstance(task.priority, bool):
        refuse("priority", task.priority, "a whole number (higher runs first)")
    if task.priority not in PRIORITIES:
        refuse(
            "priority", task.priority, f"a whole number from {PRIORITIES[0]} to {PRIORITIES[-1]}"
        )
    if not isinstance(task.queue, str) or not task.queue:
        refuse("queue", task.queue, "a queue's name")
    retry = task.retry
    if not isinstance(retry.retries, int) or isinstance(retry.retries, bool) or retry.retries < 0:
        refuse("retries", retry.retries, "a whole number >= 0")
    if not number(retry.delay) or retry.delay < 0:
        refuse("retry_delay", retry.delay, "seconds >= 0")
    if not number(retry.backoff) or retry.backoff <= 0:
        refuse("retry_backoff", retry.backoff, "a factor > 0")
    if task.timeout is not None and (not number(task.timeout) or task.timeout < 0):
        refuse("timeout", task.timeout, "seconds > 0 (None or 0: no limit)")
    if unique_for is not None and not (
        isinstance(unique_for, timedelta) or (number(unique_for) and unique_for >= 0)  # type: ignore[operator]
    ):
        refuse("unique_for", unique_for, "seconds >= 0 or a timedelta")
    if unique_for is not None and task.unique_key is None:  # identical jobs have no window
        refuse("unique_for", unique_for, "a unique_key beside it, e.g. unique_key='report-{day}'")
    if task.unique_key is not None:
        _check_unique_key(task, task.unique_key)


def _check_unique_key(task: Task[Any, Any], key: object) -> None:
    """``unique_key`` is a text whose ``{fields}`` name the task's parameters."""
    if not isinstance(key, str) or not key:
        raise JobsmithError(
            f"task {task.name}: unique_key={key!r}: expected a text such as 'report-{{day}}'"
        )
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(key) if f is not None]
    except ValueError as exc:
        raise JobsmithError(f"task {task.name}: unique_key {key!r}: {exc}") from None
    names = task.arguments.names
    for field in fields:
        root = re.split(r"[.\[]", field, maxsplit=1)[0]
        if root not in names:
            known = ", ".join(names) or "no parameters"
            raise JobsmithError(
                f"task {task.name}: unique_key {key!r} names {{{field}}}, which is not one of "
                f"its parameters ({known}){closest(root, names)}"
            )


def cancellation_parameters(function: Callable[..., Any]) -> tuple[str, ...]:
    """The function's parameters the worker fills with the job's :class:`Cancellation`
    (annotated so); they are not job arguments."""
    return tuple(
        p.name
        for p in inspect.signature(function).parameters.values()
        if is_cancellation_hint(p.annotation)
    )


def _without(function: Callable[..., Any], names: tuple[str, ...]) -> Callable[..., Any]:
    """A copy of ``function`` whose signature lacks ``names`` (their hints are never read)."""
    if not names or not isinstance(function, types.FunctionType):
        return function
    signature = inspect.signature(function)
    copy = types.FunctionType(
        function.__code__,
        function.__globals__,
        function.__name__,
        function.__defaults__,
        function.__closure__,
    )
    copy.__qualname__ = function.__qualname__
    kept = [p for p in signature.parameters.values() if p.name not in names]
    copy.__signature__ = signature.replace(parameters=kept)  # type: ignore[attr-defined]
    return copy


POST_OPTIONS = (
    "priority",
    "store",
    "unique",
    "queue",
    "run_after",
    "unique_key",
    "unique_for",
    "connection",
)


class Posting(Generic[P]):
    """A task with posting options chosen: :meth:`post` takes the task's own arguments,
    type-checked against its function's signature."""

    def __init__(self, task: Task[P, Any], options: Mapping[str, Any]) -> None:
        self.task = task
        self.chosen = dict(options)

    def post(self, *args: P.args, **kwargs: P.kwargs) -> PostedJob:
        """Queue one job of the task with these options."""
        return poster().post(self.task, self.task.values(args, kwargs), **self.chosen)


def default_type_key(function: Callable[..., Any]) -> str:
    """JobMaster's default type key: the last part of the function's module name (for a
    script run as ``__main__``, the script's file name)."""
    module = getattr(function, "__module__", None) or "__main__"
    if module == "__main__":
        main_file = getattr(sys.modules.get("__main__"), "__file__", None)
        return Path(main_file).stem if main_file else "main"
    return module.rsplit(".", 1)[-1]


class Registry:
    """Tasks by name (``"type_key.task_key"``)."""

    def __init__(self) -> None:
        self.tasks: dict[str, Task] = {}
        self.default_store: Callable[[], Store] | None = None
        """Where posting a task of this registry goes when no store is given: set by a
        ``JobMaster(db_engine=...)`` to its own store; None means the configured store."""

    def __contains__(self, name: object) -> bool:
        return name in self.tasks

    def __len__(self) -> int:
        return len(self.tasks)

    def __iter__(self) -> Any:
        return iter(self.tasks.values())

    def get(self, name: str | Task) -> Task:
        """A task by name (or the task itself); a clear error when unknown."""
        if isinstance(name, Task):
            return name
        found = self.tasks.get(name)
        if found is None:
            known = ", ".join(sorted(self.tasks)) or "none"
            raise UnknownTaskError(
                f"no task named {name!r} is registered (known: {known}); import the module "
                "that defines it (`jobsmith worker -m MODULE`, or `imports:` in jobsmith.yml)"
            )
        return found

    def find(self, name: str) -> Task | None:
        return self.tasks.get(name)

    def add(self, task: Task[P, R]) -> Task[P, R]:
        """Register ``task``; re-registering the same function (a reload) replaces it."""
        old = self.tasks.get(task.name)
        if old is not None and _origin(old.function) != _origin(task.function):
            raise JobsmithError(
                f"two tasks are named {task.name!r}: {_origin(old.function)} and "
                f"{_origin(task.function)}; give one a type_key or task_key of its own"
            )
        self.tasks[task.name] = task
        task.registry = self
        return task

    @overload
    def task(self, _func: Callable[P, R], /) -> Task[P, R]: ...

    @overload
    def task(
        self,
        _func: None = None,
        /,
        *,
        type_key: str | None = None,
        task_key: str | None = None,
        process_units: int = 1,
        process_limit: int | None = None,
        write_all: str | Iterable[str] | None = None,
        dependencies: Dependency | Iterable[Dependency] | None = None,
        priority: int = 0,
        queue: str = "default",
        retries: int = 0,
        retry_delay: float = 1.0,
        retry_backoff: float = 2.0,
        timeout: float | None = None,
        unique: bool = True,
        unique_key: str | None = None,
        unique_for: float | timedelta | None = None,
        limit_key: str | None = None,
        max_running: int | None = None,
        rate_limit: str | None = None,
    ) -> Callable[[Callable[P, R]], Task[P, R]]: ...

    def task(
        self,
        _func: Callable[..., Any] | None = None,
        /,
        *,
        type_key: str | None = None,
        task_key: str | None = None,
        process_units: int = 1,
        process_limit: int | None = None,
        write_all: str | Iterable[str] | None = None,
        dependencies: Dependency | Iterable[Dependency] | None = None,
        priority: int = 0,
        queue: str = "default",
        retries: int = 0,
        retry_delay: float = 1.0,
        retry_backoff: float = 2.0,
        timeout: float | None = None,
        unique: bool = True,
        unique_key: str | None = None,
        unique_for: float | timedelta | None = None,
        limit_key: str | None = None,
        max_running: int | None = None,
        rate_limit: str | None = None,
    ) -> Task[Any, Any] | Callable[[Callable[..., Any]], Task[Any, Any]]:
        """Register a function as a task; use as ``@task`` or ``@task(...)``.

        ``process_units`` (``process_limit`` is read as the same) is what one job takes
        from the host's ``system_process_units``; ``write_all`` names select-from
        parameters that ``"ALL"`` fans out; ``dependencies`` are :class:`Dependency`
        objects; ``priority`` is the default priority (higher runs first);
        ``retries``/``retry_delay``/``retry_backoff`` retry failed attempts;
        ``timeout`` (seconds) fails an attempt that runs longer; ``unique=False`` lets
        identical jobs queue side by side; ``unique_key`` (a text, or a format string
        over the arguments such as ``"report-{day}"``) makes a post return the job that
        holds the key while it is active or completed within ``unique_for``;
        ``max_running`` caps the jobs of one concurrency key running at once, on every
        worker together (``limit_key`` names the argument whose value is the key, e.g.
        ``"tenant"``; without it the key is the task), ``rate_limit="100/m"`` caps how
        many start per time, per key.
        """
        deps = [dependencies] if isinstance(dependencies, Dependency) else list(dependencies or ())
        names = _names(write_all)

        def register(function: Callable[..., Any]) -> Task[Any, Any]:
            return self.add(
                Task(
                    function,
                    type_key=type_key or default_type_key(function),
                    task_key=task_key or function.__name__,
                    process_units=process_units if process_limit is None else process_limit,
                    write_all=names,
                    dependencies=deps,
                    priority=priority,
                    queue=queue,
                    retry=RetryPolicy(retries, retry_delay, retry_backoff),
                    timeout=timeout,
                    unique=unique,
                    unique_key=unique_key,
                    unique_for=unique_for,
                    limit_key=limit_key,
                    max_running=max_running,
                    rate_limit=rate_limit,
                )
            )

        if _func is not None and not callable(_func):  # @task("u") meant type_key="u"
            raise JobsmithError(
                f"task({_func!r}): expected the function, or options by name "
                f"(e.g. @task(type_key={_func!r}))"
            )
        return register if _func is None else register(_func)

    def definitions(self) -> list[dict[str, Any]]:
        return [t.definition() for t in self.tasks.values()]

    def check_dependencies(self) -> None:
        """Raise a clear error when a dependency names a task that is not registered."""
        for t in self.tasks.values():
            for dep in t.dependencies:
                name = dep.name
                if name not in self.tasks:
                    raise UnknownTaskError(f"task {t.name}: dependency {name!r} is not registered")
                target = self.tasks[name]
                unknown = set(dep.arguments) - set(target.arguments.names)
                if unknown:
                    raise JobsmithError(
                        f"task {t.name}: dependency {name} has no parameter(s) {sorted(unknown)}"
                    )


def _origin(function: Callable[..., Any]) -> str:
    return f"{getattr(function, '__module__', '?')}:{getattr(function, '__qualname__', '?')}"


def _names(write_all: str | Iterable[str] | None) -> list[str]:
    """``write_all`` as JobMaster takes it: a list, or one string split on commas."""
    if isinstance(write_all, str):
        return [name.strip() for name in write_all.split(",") if name.strip()]
    return list(write_all or ())


registry = Registry()
"""The registry ``@task`` records into."""


@overload
def task(_func: Callable[P, R], /) -> Task[P, R]: ...


@overload
def task(_func: None = None, /, **options: Any) -> Callable[[Callable[P, R]], Task[P, R]]: ...


def task(_func: Callable[..., Any] | None = None, /, **options: Any) -> Any:
    """Register a function as a task in :data:`registry` (see :meth:`Registry.task`); the
    task keeps the function's signature for type checkers (``foo.post(...)``, ``foo(...)``)."""
    return registry.task(_func, **options)
