"""jobsmith: run jobs written as Python code, and keep one log of every run.

In-process jobs (robojob's ``go()``)::

    import jobsmith

    with jobsmith.go("hello") as ctx:
        ctx.execute(greet, name="world")
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from jobsmith._lazy import lazy_attributes
from jobsmith.config import Config, load_config
from jobsmith.errors import (
    ConfigError,
    CycleError,
    EmailError,
    FlowError,
    GraphError,
    InterpreterNotFoundError,
    JobsmithError,
    MissingParameterError,
    NotFoundError,
    ParameterError,
    ProcedureError,
    ProcessError,
    ScheduleError,
    SchemaError,
    ScriptError,
    StoreError,
    StoreUnavailable,
    TaskError,
    UnknownEnvironmentError,
)
from jobsmith.execution import JobExecution, JobExit, go
from jobsmith.runlog import RunLog, Status
from jobsmith.store import Store, open_store
from jobsmith.tasks.base import FunctionExecution, TaskExecution

if TYPE_CHECKING:
    from jobsmith.environments import Environments
    from jobsmith.manager import Manager
    from jobsmith.process import ProcessResult, run_process
    from jobsmith.queue.cancellation import Cancellation
    from jobsmith.queue.controls import cancel, retry
    from jobsmith.queue.execute import current_job
    from jobsmith.queue.flows import post_job
    from jobsmith.queue.jobmaster import JobMaster
    from jobsmith.queue.plugins import parse_arguments, register_job
    from jobsmith.queue.posting import post, post_many
    from jobsmith.queue.registry import Dependency, Registry, same, task
    from jobsmith.queue.worker import Worker
    from jobsmith.schedule.job import Job
    from jobsmith.schedule.scheduler import Scheduler
    from jobsmith.smtp import SmtpSettings, send_email
    from jobsmith.tasks.email import EmailExecution
    from jobsmith.tasks.procedure import ProcedureExecution
    from jobsmith.tasks.script import (
        CommandExecution,
        PowerShellExecution,
        RExecution,
        ScriptExecution,
    )

# Imported on first use (PEP 562), so `import jobsmith` stays quick: smtplib, ssl,
# subprocess, the task kinds and the scheduler load only where they are used.
_LAZY = {
    "Environments": "jobsmith.environments",
    "ProcessResult": "jobsmith.process",
    "run_process": "jobsmith.process",
    "SmtpSettings": "jobsmith.smtp",
    "send_email": "jobsmith.smtp",
    "EmailExecution": "jobsmith.tasks.email",
    "ProcedureExecution": "jobsmith.tasks.procedure",
    "CommandExecution": "jobsmith.tasks.script",
    "PowerShellExecution": "jobsmith.tasks.script",
    "RExecution": "jobsmith.tasks.script",
    "ScriptExecution": "jobsmith.tasks.script",
    "Manager": "jobsmith.manager",
    "Scheduler": "jobsmith.schedule.scheduler",
    "Job": "jobsmith.schedule.job",
    # the queue (JobMaster, jobrunner's job board): it brings pydantic
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
    "cancel": "jobsmith.queue.controls",
    "retry": "jobsmith.queue.controls",
    "current_job": "jobsmith.queue.execute",
    "Cancellation": "jobsmith.queue.cancellation",
}


__getattr__ = lazy_attributes(__name__, _LAZY)


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
    # the scheduler (runner), loaded on first use
    "Manager",
    "Scheduler",
    "Job",
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
    "cancel",
    "retry",
    "current_job",
    "Cancellation",
    # errors
    "JobsmithError",
    "ConfigError",
    "StoreError",
    "StoreUnavailable",
    "SchemaError",
    "ParameterError",
    "MissingParameterError",
    "NotFoundError",
    "TaskError",
    "GraphError",
    "CycleError",
    "FlowError",
    "ScriptError",
    "ProcessError",
    "UnknownEnvironmentError",
    "InterpreterNotFoundError",
    "ProcedureError",
    "EmailError",
    "ScheduleError",
]
