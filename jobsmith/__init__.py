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
