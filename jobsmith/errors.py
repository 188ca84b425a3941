"""Every error jobsmith raises on purpose derives from :class:`JobsmithError`.

A subclass's docstring is its default message, so ``raise StoreError()`` still says
something useful; pass a message to say more.
"""

from __future__ import annotations

from typing import Any


class JobsmithError(Exception):
    """jobsmith failed."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or (self.__class__.__doc__ or "").strip())

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class ConfigError(JobsmithError):
    """The configuration is not valid."""


class StoreError(JobsmithError):
    """The store could not be used."""


class StoreUnavailable(StoreError):
    """The store cannot be reached right now (its server restarting, its file busy).

    The one kind of store error a worker waits out and tries again; every other
    :class:`StoreError` (a schema that is missing or does not match, a bad URL) stops it."""


class SchemaError(StoreError):
    """The store's schema does not match this version of jobsmith."""


class ParameterError(JobsmithError):
    """A parameter could not be bound."""


class MissingParameterError(ParameterError, KeyError):
    """A task asked for a parameter that is not defined.

    It is also a ``KeyError``, as in robojob, so ``except KeyError`` keeps working.
    """

    def __init__(self, name: str, task: str | None = None) -> None:
        self.name = name
        self.task = task
        message = f"The parameter '{name}' is not defined."
        if task:
            message = f"The parameter '{name}' is not defined (asked for by task '{task}')."
        super().__init__(message)


class TaskError(JobsmithError):
    """A task failed."""


class NotFoundError(JobsmithError, LookupError):
    """Nothing with that id was found."""


class GraphError(JobsmithError, RuntimeError):
    """The graph of jobs or tasks is not valid.

    It is also a ``RuntimeError``, as DoJobber's definition errors are.
    """


class CycleError(GraphError):
    """The dependencies form a cycle."""

    def __init__(self, cycle: list[str], nodes: list[Any] | None = None) -> None:
        self.cycle = cycle
        """The names along the cycle, ending with the one it started at."""
        self.nodes: list[Any] = nodes if nodes is not None else list(cycle)
        """The same nodes as the caller knows them (classes, indexes …)."""
        super().__init__("dependency cycle: " + " -> ".join(cycle))


class FlowError(JobsmithError):
    """The flow could not be run."""


class ScriptError(TaskError):
    """A script could not be run (missing, unreadable, or no interpreter for it)."""


class ProcessError(TaskError):
    """A program failed: it could not start, exited with a non-zero code, or timed out."""

    def __init__(
        self,
        message: str | None = None,
        *,
        exit_code: int | None = None,
        stderr_tail: tuple[str, ...] = (),
    ) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.stderr_tail = stderr_tail


class UnknownEnvironmentError(ConfigError, LookupError):
    """No environment (interpreter) has that name."""


class InterpreterNotFoundError(JobsmithError):
    """The program an environment names cannot be found."""


class ProcedureError(TaskError):
    """A stored procedure could not be found or called."""


class EmailError(TaskError):
    """An email could not be sent."""


class ScheduleError(JobsmithError):
    """The schedule is not valid."""
