"""Task kinds: one module each. :class:`TaskExecution` is the base every kind derives from.

- :mod:`.script`: scripts with an interpreter, R, PowerShell, commands
- :mod:`.procedure`: stored procedures over a DB-API connection
- :mod:`.email`: email, with ``$name`` templates

The kinds are imported on first use, so importing the base costs nothing more.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

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

_KINDS = {
    "CommandExecution": "script",
    "PowerShellExecution": "script",
    "RExecution": "script",
    "ScriptExecution": "script",
    "ProcedureExecution": "procedure",
    "EmailExecution": "email",
}


def __getattr__(name: str) -> Any:
    module = _KINDS.get(name)
    if module is None:
        raise AttributeError(f"module 'jobsmith.tasks' has no attribute {name!r}")
    return getattr(importlib.import_module(f"jobsmith.tasks.{module}"), name)


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
