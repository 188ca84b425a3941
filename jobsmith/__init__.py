"""jobsmith: run jobs written as Python code, and keep one log of every run.

In-process jobs (robojob's ``go()``)::

    import jobsmith

    with jobsmith.go("hello") as ctx:
        ctx.execute(greet, name="world")
"""

from __future__ import annotations

from jobsmith.config import Config, load_config
from jobsmith.errors import (
    ConfigError,
    CycleError,
    FlowError,
    GraphError,
    JobsmithError,
    MissingParameterError,
    NotFoundError,
    ParameterError,
    SchemaError,
    StoreError,
    TaskError,
)
from jobsmith.execution import JobExecution, JobExit, go
from jobsmith.runlog import RunLog, Status
from jobsmith.store import Store, open_store
from jobsmith.tasks.base import FunctionExecution, TaskExecution

__version__ = "0.1.0"

# The queue (JobMaster, jobrunner's job board) loads on first use: it brings pydantic.
_QUEUE_NAMES = {
    "task": "jobsmith.queue.registry",
    "Dependency": "jobsmith.queue.registry",
    "same": "jobsmith.queue.registry",
    "Registry": "jobsmith.queue.registry",
    "post": "jobsmith.queue.posting",
    "post_many": "jobsmith.queue.posting",
    "JobMaster": "jobsmith.queue.jobmaster",
    "Worker": "jobsmith.queue.worker",
    "post_job": "jobsmith.queue.flows",
    "register_job": "jobsmith.queue.plugins",
    "parse_arguments": "jobsmith.queue.plugins",
}


def __getattr__(name: str) -> object:
    module = _QUEUE_NAMES.get(name)
    if module is None:
        raise AttributeError(f"module 'jobsmith' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


__all__ = [
    # jobs run now (robojob)
    "go",
    "JobExecution",
    "JobExit",
    "TaskExecution",
    "FunctionExecution",
    # store and run log
    "Store",
    "open_store",
    "RunLog",
    "Status",
    # configuration
    "Config",
    "load_config",
    # the queue (JobMaster, jobrunner)
    "task",
    "Dependency",
    "same",
    "Registry",
    "post",
    "post_many",
    "JobMaster",
    "Worker",
    "post_job",
    "register_job",
    "parse_arguments",
    # errors
    "JobsmithError",
    "ConfigError",
    "StoreError",
    "SchemaError",
    "ParameterError",
    "MissingParameterError",
    "NotFoundError",
    "TaskError",
    "GraphError",
    "CycleError",
    "FlowError",
]
