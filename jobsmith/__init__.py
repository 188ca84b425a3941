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
    JobsmithError,
    MissingParameterError,
    NotFoundError,
    ParameterError,
    ScheduleError,
    SchemaError,
    StoreError,
    TaskError,
)
from jobsmith.execution import JobExecution, JobExit, go
from jobsmith.runlog import RunLog, Status
from jobsmith.store import Store, open_store
from jobsmith.tasks.base import FunctionExecution, TaskExecution

__version__ = "0.1.0"

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
    # the scheduler (runner), loaded on first use
    "Manager",
    "Scheduler",
    "Job",
    # configuration
    "Config",
    "load_config",
    # errors
    "JobsmithError",
    "ConfigError",
    "StoreError",
    "SchemaError",
    "ParameterError",
    "MissingParameterError",
    "NotFoundError",
    "TaskError",
    "ScheduleError",
]

_LAZY = {
    "Manager": "jobsmith.cli.manager",
    "Scheduler": "jobsmith.schedule.scheduler",
    "Job": "jobsmith.schedule.job",
}


def __getattr__(name: str) -> object:
    """runner's classes, imported when first used (``import jobsmith`` stays light)."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'jobsmith' has no attribute {name!r}")
