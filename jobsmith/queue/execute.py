"""Running one claimed job: what happens between the claim and the outcome.

1. The arguments are checked and converted (a job posted through SQL is checked here).
2. A job with ``"ALL"`` in a write_all parameter posts one job per option and completes.
3. Dependencies: each must have a completed job with matching arguments within its
   window; otherwise that job is posted (or found, if already active) at a higher
   priority and this job is *parked* on it: it waits, using no worker, until the
   dependency ends. Then it is claimed again (and checks again) if the dependency
   completed, or fails naming the dependency if it failed or was cancelled.
4. The function runs under a guard that timeouts, cancel requests and a stopping
   worker can interrupt. A failed attempt is retried (status waiting, ``run_after`` set)
   while the task's retry policy allows.
"""

from __future__ import annotations

import contextvars
import logging
import time
import traceback
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from jobsmith.errors import JobsmithError
from jobsmith.params import MASK, display_value, is_secret_name
from jobsmith.queue.arguments import ArgumentError
from jobsmith.queue.asyncrun import EventLoopThread
from jobsmith.queue.builtins import find_task
from jobsmith.queue.cancellation import Cancellation
from jobsmith.queue.interrupt import (
    Interrupts,
    JobCancelled,
    JobParked,
    JobTimeout,
    WorkerDies,
    WorkerStopping,
)
from jobsmith.queue.registry import Dependency, Registry, Task
from jobsmith.states import JobState
from jobsmith.store import Store
from jobsmith.store.controls import JobOutcome
from jobsmith.store.jobs import (
    ACTIVE,
    Claimed,
    NewJob,
    Outcome,
    epoch_datetime,
    transient_errors,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from jobsmith.queue.posting import PostedJob

log = logging.getLogger("jobsmith.queue")

MAX_ERROR = 4000
CHILD_KEY_FOR = 30 * 86400.0  # a child's key names it to its parent for this long


@dataclass(frozen=True)
class JobContext:
    """The job whose code is running (see :func:`current_job`). ``cancelled`` turns True
    once someone asked to cancel the job: stop cleanly, or be interrupted after the
    worker's ``cancel_grace``."""

    store: Store
    id: int
    name: str
    attempt: int
    token: str
    environment: str
    cancellation: Cancellation = field(default_factory=Cancellation, compare=False)
    children: list[int] = field(default_factory=list, compare=False, repr=False)

    @property
    def cancelled(self) -> bool:
        return self.cancellation.is_set()

    def post(
        self,
        task: Task[Any, Any] | str,
        arguments: Mapping[str, Any] | None = None,
        /,
        **options: Any,
    ) -> PostedJob:
        """Post a child job of this one (``wait_for_children`` waits for them). When the
        job runs again after waiting, the same calls return the same children."""
        from jobsmith.queue.posting import PostedJob, post

        key = f"child:{self.id}:{len(self.children)}"
        existing = self.store.controls.holder(key)
        if existing is not None:
            record = self.store.jobs.get(existing)
            self.children.append(existing)
            found = (record.arguments, record.priority, record.status)
            return PostedJob(existing, record.name, *found, False, self.store)
        posted = post(
            task, arguments, store=self.store, unique_key=key, unique_for=CHILD_KEY_FOR, **options
        )
        self.children.append(posted.id)
        return posted

    def wait_for_children(self) -> list[JobOutcome]:
        """The children's outcomes once every one has ended (however). Until then the job
        is parked (it stops here, using no worker) and runs again from the start when the
        next one ends; its ``post`` calls then find the children it posted."""
        while True:
            outcomes = self.store.controls.outcomes(self.children)
            active = [o for o in outcomes if o.status in ACTIVE]
            if not active:
                return outcomes
            if self.store.controls.park_until_ended(self.id, self.token, active[0].id):
                raise JobParked(active[0].id)


_current: contextvars.ContextVar[JobContext | None] = contextvars.ContextVar(
    "jobsmith_current_job", default=None
)


def current_job() -> JobContext | None:
    """The queued job this code runs in (None outside a worker)."""
    return _current.get()


@dataclass(frozen=True)
class Parked:
    """The job waits for dependency job ``on``."""

    on: int


@dataclass(frozen=True)
class Released:
    """The worker is stopping: the job goes back to the queue untouched."""


Result = Outcome | Parked | Released


class JobExecutor:
    """Runs claimed jobs of the tasks in a registry against one store."""

    def __init__(
        self, store: Store, registry: Registry, interrupts: Interrupts, environment: str = "default"
    ) -> None:
        self.store = store
        self.registry = registry
        self.interrupts = interrupts
        self.environment = environment
        self.transient = transient_errors()
        self.event_loop = EventLoopThread()

    def run(self, job: Claimed) -> Result:
        """Run one claimed job; whatever goes wrong becomes its failure, never the slot's."""
        started = time.time()
        try:
            return self._run(job, started)
        except self.transient:
            raise
        except WorkerStopping:
            return Released()
        except WorkerDies:
            raise
        except BaseException as exc:  # SystemExit from a job's code, a stray interrupt…
            log.exception("Job %s (%s) could not be run", job.id, job.name)
            return self._failed(job, started, _describe(exc))

    def _run(self, job: Claimed, started: float) -> Result:
        task = find_task(self.registry, job.name)
        if task is None:
            return self._failed(job, started, f"no task named {job.name} in this worker")
        if job.cancel_requested:
            on_cancelled = getattr(task.function, "on_cancelled", None)
            if on_cancelled is not None:  # e.g. a flow job whose revert was interrupted
                on_cancelled(self.store, job.id, job.arguments)
            when = "it" if job.attempts <= 1 else f"its attempt {job.attempts}"
            return Outcome(
                job, JobState.CANCELLED, started, time.time(), f"cancelled before {when} started"
            )
        try:
            kwargs = task.arguments.load(job.arguments)
        except ArgumentError as exc:
            return self._failed(job, started, str(exc))
        if task.write_all:
            combos = task.arguments.fan_out(job.arguments)
            if combos:
                return self._fan_out(task, job, combos, started)
        if task.dependencies:
            waiting = self._dependencies(task, job, started)
            if waiting is not None:
                return waiting
        return self._call(task, job, kwargs, started)

    # -- the function ---------------------------------------------------------------------
    def _call(self, task: Task, job: Claimed, kwargs: Mapping[str, Any], started: float) -> Result:
        deadline = started + task.timeout if task.timeout else None
        context = JobContext(
            self.store, job.id, job.name, job.attempts, job.token, self.environment
        )
        reset = _current.set(context)
        self.interrupts.begin(job.id, deadline, context.cancellation)
        error: str | None = None
        try:
            try:
                self._invoke(task, kwargs, context)
            finally:
                self.interrupts.end(job.id)
                _current.reset(reset)
            status = JobState.COMPLETED
            if context.cancelled:  # it saw the request and stopped by itself
                status = JobState.CANCELLED
                error = "cancelled while running (it stopped on request)"
        except WorkerStopping:
            return Released()
        except JobParked as parked:
            log.info("Job %s (%s) waits for job %s", job.id, job.name, parked.on)
            return Parked(parked.on)
        except JobCancelled:
            status, error = JobState.CANCELLED, "cancelled while running"
        except JobTimeout:
            status, error = JobState.FAILED, f"timed out after {task.timeout:g}s"
        except (Exception, SystemExit, KeyboardInterrupt) as exc:  # sys.exit() fails the job
            status, error = JobState.FAILED, _describe(exc)
            log.error("Job %s (%s) failed: %s", job.id, job.name, error)
            log.debug("%s", traceback.format_exc())
        outcome = Outcome(job, status, started, time.time(), error, task_kind=task.kind)
        outcome.parameters = shown_parameters(job.arguments)
        if status == JobState.FAILED and job.attempts <= _retries(task, job.arguments):
            outcome.status = JobState.WAITING
            outcome.run_after = outcome.ended + task.retry.wait(job.attempts)
        return outcome

    def _invoke(self, task: Task, kwargs: Mapping[str, Any], context: JobContext) -> Any:
        """Call the task's function: injected parameters added, an ``async def`` task
        awaited on the worker's event loop."""
        if task.injected:
            kwargs = {**kwargs, **dict.fromkeys(task.injected, context.cancellation)}
        if task.is_async:
            return self.event_loop.run(task.function, kwargs)
        return task.function(**kwargs)

    def close(self) -> None:
        """Stop the event loop of async tasks (if one was started)."""
        self.event_loop.close()

    # -- write_all --------------------------------------------------------------------------
    def _fan_out(
        self, task: Task, job: Claimed, combos: list[dict[str, Any]], started: float
    ) -> Outcome:
        jobs = [
            NewJob(
                task.type_key,
                task.task_key,
                task.arguments.check(c),
                job.priority,
                task.process_units,
                job.queue,
                task.unique,
            )
            for c in combos
        ]
        posted = self.store.jobs.insert_many(jobs)
        log.info("Job %s (%s) fanned out to jobs %s", job.id, job.name, [p.id for p in posted])
        outcome = Outcome(job, JobState.COMPLETED, started, time.time(), task_kind="FanOut")
        outcome.parameters = shown_parameters(job.arguments)
        return outcome

    # -- dependencies -----------------------------------------------------------------------
    def _dependencies(self, task: Task, job: Claimed, started: float) -> Parked | Outcome | None:
        for attempt in range(3):  # a dependency may end between the check and the park
            try:
                missing = self._missing_dependency(task, job)
            except (ArgumentError, JobsmithError) as exc:
                return self._failed(job, started, str(exc))
            if missing is None:
                return None
            on, any_end = missing
            if self._park(job, on, any_end):
                log.info("Job %s (%s) waits for dependency job %s", job.id, job.name, on)
                return Parked(on)
            log.debug("dependency job %s ended meanwhile (try %d)", on, attempt + 1)
        return None

    def _park(self, job: Claimed, on: int, any_end: bool) -> bool:
        """Park until job ``on`` ends: completed (else the job fails), or ``any_end``."""
        if any_end:
            return self.store.controls.park_until_ended(job.id, job.token, on)
        return self.store.jobs.park(job, on)

    def _missing_dependency(self, task: Task, job: Claimed) -> tuple[int, bool] | None:
        """The id of the first dependency job still to run (posted if need be), or None.

        A dependency is met by a job of its task that completed within its window with
        arguments that include the dependency's (``same`` ones copied from this job). If
        none did, this job waits for an active one that will, or for a new one. A
        dependency with ``on_failure="continue"`` is met by a job that ended in any way;
        the second value says so."""
        now = time.time()
        for dep in task.dependencies:
            target = self._dependency_task(dep)
            wanted = dep.arguments_for(job.arguments)
            since = now - dep.hours * 3600
            any_end = dep.on_failure == "continue"
            if self._dependency_met(target, wanted, since, any_end):
                continue
            active = self.store.jobs.active_including(target.type_key, target.task_key, wanted)
            if active is not None:
                return active, any_end
            # It may have ended between the two looks (active when the first looked, ended
            # when the second did): look again before posting another.
            if self._dependency_met(target, wanted, since, any_end):
                continue
            try:
                arguments = target.arguments.check(wanted)
            except ArgumentError as exc:
                raise JobsmithError(f"dependency {dep!r} cannot be posted: {exc}") from None
            posted = self.store.jobs.insert(
                NewJob(
                    target.type_key,
                    target.task_key,
                    arguments,
                    job.priority + 1,
                    target.process_units,
                    target.queue,
                    True,
                )
            )
            return posted.id, any_end
        return None

    def _dependency_met(
        self, target: Task, wanted: dict[str, Any], since: float, any_end: bool
    ) -> bool:
        """A job of ``target`` with ``wanted`` completed since ``since`` (or, ``any_end``,
        ended in any way)."""
        keys = (target.type_key, target.task_key, wanted)
        if self.store.jobs.completed_since(*keys, since):
            return True
        return any_end and self.store.controls.ended_including(*keys, epoch_datetime(since))

    def _dependency_task(self, dep: Dependency) -> Task:
        if isinstance(dep.task, Task):
            return dep.task
        return find_task(self.registry, dep.task) or self.registry.get(dep.task)

    @staticmethod
    def _failed(job: Claimed, started: float, error: str) -> Outcome:
        log.error("Job %s (%s) failed: %s", job.id, job.name, error)
        outcome = Outcome(job, JobState.FAILED, started, time.time(), error)
        outcome.parameters = shown_parameters(job.arguments)
        return outcome


def _retries(task: Task, arguments: Mapping[str, Any]) -> int:
    """How many retries a failed job gets: the task's policy, or what its function's
    ``retries_of(arguments)`` says for this job (a flow job posted with ``retries=N``)."""
    per_job = getattr(task.function, "retries_of", None)
    return task.retry.retries if per_job is None else max(per_job(arguments), 0)


def shown_parameters(arguments: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The job's arguments as the run log shows them (secrets masked)."""
    return [(name, _shown(name, value)) for name, value in arguments.items()]


def _shown(name: str, value: Any) -> str:
    if type(value) in _PLAIN:  # nothing inside a number to mask: skip the text scan
        secret = _SECRET.get(name)
        if secret is None:
            secret = _SECRET[name] = is_secret_name(name)
        return MASK if secret else repr(value)
    return display_value(name, value)


_PLAIN = (int, float, bool)
_SECRET: dict[str, bool] = {}  # parameter names are few: remember which look secret


def _describe(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return text if len(text) <= MAX_ERROR else text[: MAX_ERROR - 1] + "…"
