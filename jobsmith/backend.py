"""robojob's custom backends: objects told about every job and task beside the run log.

::

    class Audit:
        def before_task_execution(self, job_execution, task_execution): ...
        def after_task_execution(self, job_execution, task_execution): ...
        # optional, as in robojob: before_job_execution(job_execution),
        # after_job_execution(job_execution), close()

    with jobsmith.go("hello", backend=Audit()) as ctx:
        ctx.execute(greet)

``before_task_execution`` gets the task bound to its parameters, just before it runs;
``after_task_execution`` gets it with its ``status`` and ``error_message`` once it ended
(also when it failed). A hook written with one parameter (``before_task_execution(self,
task_execution)``, as the seed's prose reads) gets the task only. The run log is written
as always: a backend is told in addition, not instead.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from jobsmith.store import Store

if TYPE_CHECKING:
    from jobsmith.execution import JobExecution
    from jobsmith.tasks.base import TaskExecution

__all__ = ["Backend", "BackendHooks", "as_backend"]

TASK_HOOKS = ("before_task_execution", "after_task_execution")
JOB_HOOKS = ("before_job_execution", "after_job_execution")


@runtime_checkable
class Backend(Protocol):
    """What a custom backend has: the two task hooks (the job hooks are optional)."""

    def before_task_execution(self, job_execution: Any, task_execution: Any) -> Any: ...

    def after_task_execution(self, job_execution: Any, task_execution: Any) -> Any: ...


def _wants_job(hook: Callable[..., Any]) -> bool:
    """True when a task hook takes (job_execution, task_execution), robojob's order."""
    try:
        parameters = inspect.signature(hook).parameters.values()
    except (TypeError, ValueError):
        return True
    positional = [
        p
        for p in parameters
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)
    ]
    return len(positional) != 1 or positional[0].kind is inspect.Parameter.VAR_POSITIONAL


class BackendHooks:
    """Calls a custom backend's hooks; a hook that raises fails what it was called for."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend
        self._with_job = {name: _wants_job(getattr(backend, name)) for name in TASK_HOOKS}

    def _task(self, name: str, job: JobExecution, task: TaskExecution) -> None:
        hook = getattr(self.backend, name)
        if self._with_job[name]:
            hook(job, task)
        else:
            hook(task)

    def _job(self, name: str, job: JobExecution) -> None:
        hook = getattr(self.backend, name, None)
        if callable(hook):
            hook(job)

    def before_job(self, job: JobExecution) -> None:
        self._job("before_job_execution", job)

    def after_job(self, job: JobExecution) -> None:
        self._job("after_job_execution", job)
        close = getattr(self.backend, "close", None)
        if callable(close):
            close()

    def before_task(self, job: JobExecution, task: TaskExecution) -> None:
        self._task("before_task_execution", job, task)

    def after_task(self, job: JobExecution, task: TaskExecution) -> None:
        self._task("after_task_execution", job, task)


def as_backend(backend: object) -> tuple[Store | str | None, BackendHooks | None]:
    """Split ``go(backend=...)`` into where the run log goes and the hooks to call."""
    if backend is None or isinstance(backend, Store | str):
        return backend, None
    if all(callable(getattr(backend, name, None)) for name in TASK_HOOKS):
        return None, BackendHooks(backend)
    missing = [name for name in TASK_HOOKS if not callable(getattr(backend, name, None))]
    raise TypeError(
        f"backend: expected a store URL (str), a jobsmith Store, or an object with "
        f"before_task_execution() and after_task_execution() methods; got "
        f"{type(backend).__name__} {backend!r:.60} (it has no {' or '.join(missing)})"
    )
