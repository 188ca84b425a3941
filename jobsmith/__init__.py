"""jobsmith: run jobs written as Python code, and keep one log of every run.

In-process jobs (robojob's ``go()``)::

    import jobsmith

    with jobsmith.go("hello") as ctx:
        ctx.execute(greet, name="world")
"""

from __future__ import annotations

from jobsmith.config import Config, load_config
from jobsmith.environments import Environments
from jobsmith.errors import (
    ConfigError,
    EmailError,
    InterpreterNotFoundError,
    JobsmithError,
    MissingParameterError,
    NotFoundError,
    ParameterError,
    ProcedureError,
    ProcessError,
    SchemaError,
    ScriptError,
    StoreError,
    TaskError,
    UnknownEnvironmentError,
)
from jobsmith.execution import JobExecution, JobExit, go
from jobsmith.process import ProcessResult, run_process
from jobsmith.runlog import RunLog, Status
from jobsmith.smtp import SmtpSettings, send_email
from jobsmith.store import Store, open_store
from jobsmith.tasks.base import FunctionExecution, TaskExecution
from jobsmith.tasks.email import EmailExecution
from jobsmith.tasks.procedure import ProcedureExecution
from jobsmith.tasks.script import (
    CommandExecution,
    PowerShellExecution,
    RExecution,
    ScriptExecution,
)

__version__ = "0.1.0"

__all__ = [
    # jobs run now (robojob)
    "go",
    "JobExecution",
    "JobExit",
    "TaskExecution",
    "FunctionExecution",
    # task kinds
    "ScriptExecution",
    "RExecution",
    "PowerShellExecution",
    "CommandExecution",
    "ProcedureExecution",
    "EmailExecution",
    # programs, interpreters, email (also outside a job)
    "run_process",
    "ProcessResult",
    "Environments",
    "SmtpSettings",
    "send_email",
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
    "ScriptError",
    "ProcessError",
    "UnknownEnvironmentError",
    "InterpreterNotFoundError",
    "ProcedureError",
    "EmailError",
]
