"""Task kinds: one module each. :class:`TaskExecution` is the base every kind derives from.

- :mod:`.script`: scripts with an interpreter, R, PowerShell, commands
- :mod:`.procedure`: stored procedures over a DB-API connection
- :mod:`.email`: email, with ``$name`` templates

The kinds are imported on first use, so importing the base costs nothing more.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from jobsmith._lazy import lazy_attributes
from jobsmith.tasks.base import FunctionExecution, TaskExecution

if TYPE_CHECKING:
    from jobsmith.tasks.email import EmailExecution
    from jobsmith.tasks.procedure import ProcedureExecution
    from jobsmith.tasks.script import (
        CommandExecution,
        PowerShellExecution,
        RExecution,
        ScriptExecution,
    )

__getattr__ = lazy_attributes(
    __name__,
    {
        "CommandExecution": "jobsmith.tasks.script",
        "PowerShellExecution": "jobsmith.tasks.script",
        "RExecution": "jobsmith.tasks.script",
        "ScriptExecution": "jobsmith.tasks.script",
        "ProcedureExecution": "jobsmith.tasks.procedure",
        "EmailExecution": "jobsmith.tasks.email",
    },
)


__all__ = [
    "CommandExecution",
    "EmailExecution",
    "FunctionExecution",
    "PowerShellExecution",
    "ProcedureExecution",
    "RExecution",
    "ScriptExecution",
    "TaskExecution",
]
