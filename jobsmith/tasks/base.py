"""A task execution: one unit of work inside a job, with the parameters it was bound to.

Subclass :class:`TaskExecution` for a custom kind: override :meth:`bind_parameters` to
pick values out of the job's parameters into ``self.parameters``, and :meth:`execute` to
do the work. The job logs the values in ``self.parameters`` (masked) and the outcome.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from jobsmith.params import bind_callable, bind_names

if TYPE_CHECKING:
    from jobsmith.config import Config
    from jobsmith.environments import Environments


class JobContext(Protocol):
    """What a task kind may ask of the job it runs in (``JobExecution`` is one). Task kinds
    sit below the job context, so they name this protocol, never ``JobExecution``."""

    @property
    def config(self) -> Config: ...

    @property
    def environments(self) -> Environments: ...

    def subprocess_environment(self) -> dict[str, str]:
        """The environment a subprocess of this job gets."""
        ...


class TaskExecution:
    """Base class of every task kind."""

    def __init__(self, name: str | None = None) -> None:
        self.name = name or type(self).__name__
        self.guid = str(uuid.uuid4())
        self.parameters: dict[str, Any] = {}
        self.status: str | None = None
        self.error_message: str | None = None
        self.started_on: datetime | None = None
        self.completed_on: datetime | None = None
        self.output: str | None = None
        """Captured output to keep in the run log (script tasks set it)."""
        self.result: Any = None
        self.job: JobContext | None = None

    @property
    def task_type_name(self) -> str:
        """The kind recorded in the run log: the class name."""
        return type(self).__name__

    def bind_parameters(self, context_parameters: Mapping[str, Any]) -> None:
        """Copy the values this task needs from the job's parameters into ``self.parameters``.
        Reading a missing name raises ``MissingParameterError`` (a ``KeyError``)."""

    def bind_names(self, context_parameters: Mapping[str, Any], *names: str) -> None:
        """Helper for subclasses: bind each of ``names`` (all required) by fuzzy name."""
        self.parameters.update(bind_names(names, context_parameters, self.name))

    def execute(self) -> Any:
        """Do the work; raise to fail. The return value becomes ``ctx.execute``'s result."""
        raise NotImplementedError(f"{type(self).__name__} must implement execute()")

    def __repr__(self) -> str:
        if self.name and self.name != type(self).__name__:
            return f"<{type(self).__name__}: {self.guid} ({self.name})>"
        return f"<{type(self).__name__}: {self.guid}>"


class FunctionExecution(TaskExecution):
    """Call a Python function with the parameters its signature asks for."""

    def __init__(self, function: Callable[..., Any], name: str | None = None) -> None:
        super().__init__(name or getattr(function, "__name__", None) or repr(function))
        self.function = function

    def bind_parameters(self, context_parameters: Mapping[str, Any]) -> None:
        self.parameters = bind_callable(self.function, context_parameters, self.name)

    def execute(self) -> Any:
        return self.function(**self.parameters)
