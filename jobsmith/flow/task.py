"""Tasks: ``execute`` (and optional ``revert``), inputs by name, outputs under ``provides``.

A task asks for its inputs by the names of ``execute``'s parameters (``rebind`` maps a
parameter to another stored name, ``inject`` gives it a fixed value). Names match as
jobsmith parameters do, ignoring case and punctuation. Whatever ``execute`` returns is
stored under ``provides``: one name for the whole result, a tuple/list of names to
unpack a sequence, a set of names to pick keys of a mapping.
"""

from __future__ import annotations

import inspect
import traceback
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from jobsmith.errors import FlowError
from jobsmith.params import normalize


class Failure:
    """A task's failure, as ``revert`` receives it (the parts of TaskFlow's ``Failure``
    that people use)."""

    __slots__ = ("exception", "task")

    def __init__(self, exception: BaseException, task: str) -> None:
        self.exception = exception
        self.task = task

    @property
    def exception_str(self) -> str:
        return str(self.exception)

    @property
    def traceback_str(self) -> str:
        return "".join(traceback.format_exception(self.exception))

    def check(self, *exc_types: type[BaseException]) -> type[BaseException] | None:
        """The first of ``exc_types`` the exception is an instance of, else None."""
        for exc_type in exc_types:
            if isinstance(self.exception, exc_type):
                return exc_type
        return None

    def reraise(self) -> None:
        raise self.exception

    def __repr__(self) -> str:
        return f"Failure({self.task}: {type(self.exception).__name__}: {self.exception})"


class Task:
    """One unit of work in a flow. Subclass it and write ``execute``; ``revert`` is optional.

    ``name`` defaults to the class's dotted path; it must be unique in a flow.
    ``revert(**inputs, result=..., flow_failures=...)`` gets the same inputs, what
    ``execute`` returned (or a :class:`Failure` if it was this task that failed) and the
    flow's failures by task name; it receives only what its signature accepts.
    """

    default_provides: str | Sequence[str] | None = None
    attempt: int = 1
    """Which execution of this task is running: 1 for the first, more when a retry runs it
    again or a flow resumed after a crash runs the task that was interrupted again (tasks
    run at least once; use it to make ``execute`` idempotent)."""

    def __init__(
        self,
        name: str | None = None,
        provides: str | Iterable[str] | None = None,
        requires: Iterable[str] | None = None,
        rebind: Mapping[str, str] | Sequence[str] | None = None,
        inject: Mapping[str, Any] | None = None,
    ) -> None:
        cls = type(self)
        self.name = name or f"{cls.__module__}.{cls.__qualname__}"
        self.provides = _provides(provides if provides is not None else self.default_provides)
        self.inject = dict(inject or {})
        names, optional, _ = _signature(self._execute_function())
        extra = [r for r in (requires or ()) if r not in names]
        self.rebind = _rebind(self.name, [*names, *extra], rebind)
        self.optional = frozenset(optional)
        undo = self._revert_function()
        self.reverts = undo is not None
        """Whether there is a revert to call at all."""
        self.revert_names: tuple[str, ...] | None = None
        """The keyword names ``revert`` accepts; None when it takes any (``**kwargs``)."""
        if undo is not None:
            names, _, takes_any = _signature(undo)
            self.revert_names = None if takes_any else tuple(names)

    def execute(self, *args: Any, **kwargs: Any) -> Any:
        """Do the work; raise to fail (completed tasks are then reverted)."""
        raise NotImplementedError(f"{type(self).__name__} must implement execute()")

    def revert(self, *args: Any, **kwargs: Any) -> Any:
        """Undo what ``execute`` did (by default nothing)."""

    @property
    def requires(self) -> dict[str, str]:
        """Each input argument with the stored name it is read from."""
        return dict(self.rebind)

    def _execute_function(self) -> Any:
        """The callable whose signature names the inputs."""
        return self.execute

    def _revert_function(self) -> Any:
        """The callable that reverts, or None when there is nothing to undo."""
        return None if type(self).revert is Task.revert else self.revert

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


class FunctorTask(Task):
    """A task made of plain functions: ``FunctorTask(fetch, revert=unfetch, provides="x")``."""

    def __init__(
        self,
        execute: Any,
        name: str | None = None,
        revert: Any = None,
        **options: Any,
    ) -> None:
        self._execute, self._revert = execute, revert
        super().__init__(name or getattr(execute, "__name__", None), **options)

    def _execute_function(self) -> Any:
        return self._execute

    def _revert_function(self) -> Any:
        return self._revert

    def execute(self, *args: Any, **kwargs: Any) -> Any:
        return self._execute(*args, **kwargs)

    def revert(self, *args: Any, **kwargs: Any) -> Any:
        return self._revert(*args, **kwargs) if self._revert is not None else None


def _signature(fn: Any) -> tuple[list[str], list[str], bool]:
    """Argument names, those with defaults, and whether ``**kwargs`` takes any name."""
    names, optional, takes_any = [], [], False
    for param in inspect.signature(fn).parameters.values():
        if param.kind is inspect.Parameter.VAR_KEYWORD:
            takes_any = True
        elif param.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, param.KEYWORD_ONLY):
            names.append(param.name)
            if param.default is not inspect.Parameter.empty:
                optional.append(param.name)
    return names, optional, takes_any


def _provides(provides: str | Iterable[str] | None) -> str | tuple[str, ...] | frozenset[str]:
    if provides is None:
        return ()
    if isinstance(provides, str):
        return provides
    if isinstance(provides, set | frozenset):
        return frozenset(provides)
    return tuple(provides)


def _rebind(
    task: str, names: list[str], rebind: Mapping[str, str] | Sequence[str] | None
) -> dict[str, str]:
    mapping = {name: name for name in names}
    if rebind is None:
        return mapping
    if isinstance(rebind, Mapping):
        for arg, stored in rebind.items():
            if arg not in mapping:
                raise FlowError(f"task {task!r}: rebind names {arg!r}, which execute() lacks")
            mapping[arg] = stored
        return mapping
    if len(rebind) > len(names):
        raise FlowError(f"task {task!r}: rebind has more names than execute() has arguments")
    for arg, stored in zip(names, rebind, strict=False):
        mapping[arg] = stored
    return mapping


def provided_names(task: Task) -> list[str]:
    """The names a task's result is stored under."""
    if isinstance(task.provides, str):
        return [task.provides]
    return sorted(task.provides) if isinstance(task.provides, frozenset) else list(task.provides)


def split_result(task: Task, result: Any) -> list[tuple[str, Any]]:
    """The (name, value) pairs to store from what ``execute`` returned."""
    provides = task.provides
    if isinstance(provides, str):
        return [(provides, result)]
    if not provides:
        return []
    try:
        if isinstance(provides, frozenset):
            return [(name, result[name]) for name in sorted(provides)]
        values = list(result)
    except (TypeError, KeyError) as exc:
        raise FlowError(
            f"task {task.name!r} provides {provided_names(task)} but returned "
            f"{type(result).__name__} {result!r:.80}: {exc}"
        ) from exc
    if len(values) < len(provides):
        raise FlowError(
            f"task {task.name!r} provides {len(provides)} values but returned {len(values)}"
        )
    return list(zip(provides, values, strict=False))


def key(name: str) -> str:
    """The key a stored name is found under (jobsmith's fuzzy parameter names)."""
    return normalize(name)
