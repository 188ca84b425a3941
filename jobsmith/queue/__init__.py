"""The persistent job queue: registered tasks posted as jobs, run by workers anywhere.

::

    from jobsmith import task, Dependency, same

    @task(write_all=["number"])
    def foo(file_path: str, number: [1, 2, 3]): ...

    foo.post(file_path="/tmp/x", number=2, priority=10)   # or jobsmith.post("mod.foo", {...})
    # then: jobsmith worker -m mod   (or JobMaster(db_engine=URL).run())

See docs/queue.md.
"""

from __future__ import annotations

from jobsmith.queue.arguments import ALL, ArgumentError
from jobsmith.queue.cancellation import Cancellation
from jobsmith.queue.controls import RetryError, cancel, retry, retry_job
from jobsmith.queue.execute import JobContext, current_job
from jobsmith.queue.flows import post_job
from jobsmith.queue.interrupt import JobCancelled, JobInterrupt, JobTimeout, WorkerStopping
from jobsmith.queue.jobmaster import JobMaster
from jobsmith.queue.plugins import parse_arguments, register_job
from jobsmith.queue.posting import PostedJob, check_arguments, post, post_many
from jobsmith.queue.registry import (
    Dependency,
    Registry,
    RetryPolicy,
    SameParameter,
    Task,
    UnknownTaskError,
    registry,
    same,
    task,
)
from jobsmith.queue.worker import Worker, WorkerStats, run_worker
from jobsmith.settings import system_process_units

__all__ = [
    "ALL",
    "ArgumentError",
    "Cancellation",
    "RetryError",
    "cancel",
    "retry",
    "retry_job",
    "Dependency",
    "JobCancelled",
    "JobContext",
    "JobMaster",
    "JobInterrupt",
    "JobTimeout",
    "PostedJob",
    "Registry",
    "RetryPolicy",
    "SameParameter",
    "Task",
    "UnknownTaskError",
    "Worker",
    "WorkerStats",
    "WorkerStopping",
    "check_arguments",
    "current_job",
    "post",
    "post_job",
    "post_many",
    "parse_arguments",
    "register_job",
    "registry",
    "run_worker",
    "same",
    "system_process_units",
    "task",
]
