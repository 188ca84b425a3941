"""Flow jobs: a whole flow posted to the queue (jobrunner's job board).

::

    from jobsmith import post_job

    post_job(my_flow_factory, store={"message": "hello"}, factory_args=(3,))

The job holds a reference to the factory (``module:qualified.name``), its arguments and
the flow's initial store; a worker imports the factory, builds the flow and runs it with
:func:`jobsmith.flow.run`. The factory must be importable by the workers (a module, not a
script's ``__main__``), and its arguments and the store must be JSON values.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from jobsmith.errors import JobsmithError
from jobsmith.queue.builtins import builtins

if TYPE_CHECKING:
    from jobsmith.queue.posting import PostedJob
    from jobsmith.store import Store

FLOW_TASK = "jobsmith.flow"


def factory_reference(factory: Callable[..., Any] | str) -> str:
    """``module:qualified.name`` of a flow factory (a string is taken as it is)."""
    if isinstance(factory, str):
        if ":" not in factory:
            raise JobsmithError(f"flow factory {factory!r}: expected 'module:function'")
        return factory
    module = getattr(factory, "__module__", None)
    qualname = getattr(factory, "__qualname__", None)
    if not module or not qualname or "<" in qualname or module == "__main__":
        raise JobsmithError(
            f"flow factory {factory!r} cannot be found by a worker: define it at the top "
            "level of an importable module (not in a script run as __main__)"
        )
    return f"{module}:{qualname}"


def import_factory(reference: str) -> Callable[..., Any]:
    """The factory a ``module:qualified.name`` reference names."""
    module_name, _, qualname = reference.partition(":")
    try:
        found: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            found = getattr(found, part)
    except (ImportError, AttributeError) as exc:
        raise JobsmithError(f"flow factory {reference!r} cannot be imported: {exc}") from exc
    if not callable(found):
        raise JobsmithError(f"flow factory {reference!r} is not callable")
    return found


@builtins.task(type_key="jobsmith", task_key="flow", unique=False)
def run_flow(
    factory: str,
    store: dict[str, Any] | None = None,
    factory_args: list[Any] | None = None,
    factory_kwargs: dict[str, Any] | None = None,
    retries: int = 0,
    workers: int = 1,
) -> Any:
    """Build a flow with its factory and run it (a job posted with post_job); its task
    runs are recorded in the worker's store as a job run of kind ``flow``, and its state
    is kept there under ``job:ID`` so that another worker continues it if this one dies.
    A cancelled (or timed out) flow job reverts its completed tasks, newest first; one
    whose worker stops is given back to the queue and continued by the next worker."""
    from jobsmith.engine.record import describe
    from jobsmith.flow import run
    from jobsmith.flow.state import COMPLETED, cancel_revert
    from jobsmith.queue.execute import current_job
    from jobsmith.queue.interrupt import JobCancelled, JobTimeout
    from jobsmith.runlog import RunLog, Status

    flow = import_factory(factory)(*(factory_args or ()), **(factory_kwargs or {}))
    job = current_job()
    if job is None:
        return run(flow, store=dict(store or {}), workers=workers)
    flow_id = flow_state_id(job.id)
    kept = job.store.flows.get(flow_id)
    if kept is not None and kept.status == COMPLETED:  # read back, nothing runs
        return run(flow, store=dict(store or {}), run_log=job.store, flow_id=flow_id)
    # The flow's job run is this attempt's: a cancel records its reverts in it.
    run_log = RunLog(job.store)
    job_run = run_log.start_job(flow.name, job.environment, "flow")
    try:
        values = run(
            flow,
            store=dict(store or {}),
            run_log=run_log,
            environment=job.environment,
            job_run=job_run,
            flow_id=flow_id,
            workers=workers,
        )
    except (JobCancelled, JobTimeout) as exc:
        reason = "cancelled" if isinstance(exc, JobCancelled) else "timed out"
        reverted = cancel_revert(
            flow,
            dict(store or {}),
            job.store,
            flow_id,
            reason,
            error=exc,
            run_log=run_log,
            job_run=job_run,
        )
        status = Status.CANCELLED if isinstance(exc, JobCancelled) else Status.FAILED
        run_log.end_job(job_run, status, f"{reason}; reverted: {', '.join(reverted) or 'nothing'}")
        raise
    except BaseException as exc:
        run_log.end_job(job_run, Status.FAILED, describe(exc))
        raise
    run_log.end_job(job_run, Status.COMPLETED)
    return values


def _retries_of(arguments: Mapping[str, Any]) -> int:
    """How many times the queue retries a failed flow job (``post_job(retries=N)``)."""
    retries = arguments.get("retries", 0)
    return retries if isinstance(retries, int) and not isinstance(retries, bool) else 0


def _on_cancelled(store: Store, job_id: int, arguments: Mapping[str, Any]) -> None:
    """A cancelled flow job claimed again (its worker died while reverting): go on
    reverting its completed tasks."""
    from jobsmith.flow.state import cancel_revert

    if store.flows.get(flow_state_id(job_id)) is None:
        return
    factory = import_factory(str(arguments["factory"]))
    flow = factory(
        *(arguments.get("factory_args") or ()), **(arguments.get("factory_kwargs") or {})
    )
    cancel_revert(flow, dict(arguments.get("store") or {}), store, flow_state_id(job_id))


run_flow.function.retries_of = _retries_of  # type: ignore[attr-defined]
run_flow.function.on_cancelled = _on_cancelled  # type: ignore[attr-defined]


def flow_state_id(job_id: int) -> str:
    """The ``flow_id`` a flow job's state is kept under."""
    return f"job:{job_id}"


def post_job(
    factory: Callable[..., Any] | str,
    store: Mapping[str, Any] | None = None,
    factory_args: Sequence[Any] = (),
    factory_kwargs: Mapping[str, Any] | None = None,
    *,
    priority: int | None = None,
    unique: bool | None = None,
    backend: Store | None = None,
    retries: int = 0,
    workers: int = 1,
) -> PostedJob:
    """Post a flow job (jobrunner's ``post_job``): ``store`` is the flow's initial store,
    ``backend`` the jobsmith store to queue it in (default: the configured one).

    ``retries``: how many more times the queue runs the flow when it fails (each time
    after the flow was fully reverted); ``workers``: threads that run ready tasks at once.
    """
    from jobsmith.queue.posting import post

    for name, value, least in (("retries", retries, 0), ("workers", workers, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise JobsmithError(
                f"post_job: {name} must be a whole number >= {least}, not {value!r}"
            )
    _check_factory_call(factory, store, factory_args, factory_kwargs)
    arguments: dict[str, Any] = {
        "factory": factory_reference(factory),
        "store": dict(store or {}),
        "factory_args": list(factory_args),
        "factory_kwargs": dict(factory_kwargs or {}),
    }
    if retries:
        arguments["retries"] = retries
    if workers != 1:
        arguments["workers"] = workers
    return post(FLOW_TASK, arguments, priority=priority, unique=unique, store=backend)


def _check_factory_call(
    factory: Callable[..., Any] | str,
    store: object,
    factory_args: object,
    factory_kwargs: object,
) -> None:
    """``post_job``'s store and factory arguments have the shapes a worker needs, and fit
    the factory's signature: a mistake is an error when posting, not a failed job later."""
    for name, value, shape in (
        ("store", store, "a dict of the flow's initial values"),
        ("factory_kwargs", factory_kwargs, "a dict of keyword arguments"),
    ):
        if value is not None and not isinstance(value, Mapping):
            raise JobsmithError(f"post_job: {name} must be {shape}, not {value!r}")
    if isinstance(factory_args, (str, bytes)) or not isinstance(factory_args, Sequence):
        raise JobsmithError(
            f"post_job: factory_args must be a list or tuple of arguments, not {factory_args!r}"
        )
    if isinstance(factory, str) or not callable(factory):
        return  # a reference "module:name" is imported by the worker
    try:
        signature = inspect.signature(factory)
    except (TypeError, ValueError):
        return  # a builtin or extension without a signature: the worker will tell
    try:
        signature.bind(
            *factory_args, **(factory_kwargs if isinstance(factory_kwargs, Mapping) else {})
        )
    except TypeError as exc:
        name = getattr(factory, "__qualname__", repr(factory))
        shown = ", ".join(str(p.replace(annotation=p.empty)) for p in signature.parameters.values())
        raise JobsmithError(
            f"post_job: the factory arguments do not fit {name}({shown}): {exc}"
        ) from None
