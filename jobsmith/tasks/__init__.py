"""Task kinds: one module each. :class:`TaskExecution` is the base every kind derives from.

- :mod:`.script`: scripts with an interpreter, R, PowerShell, commands
- :mod:`.procedure`: stored procedures over a DB-API connection
- :mod:`.email`: email, with ``$name`` templates
"""

from jobsmith.tasks.base import FunctionExecution, TaskExecution
from jobsmith.tasks.email import EmailExecution
from jobsmith.tasks.procedure import ProcedureExecution
from jobsmith.tasks.script import (
    CommandExecution,
    PowerShellExecution,
    RExecution,
    ScriptExecution,
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
