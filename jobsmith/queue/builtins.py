"""Built-in tasks: every worker serves them, whatever modules it imported.

The queue's own are in :data:`BUILTIN_MODULES`. Other parts of jobsmith (and other
packages) register theirs without the queue knowing them: ``builtins.task(...)`` in a
module named by an entry point of the group ``jobsmith.builtins`` in their package's
metadata (the scheduler registers its task for scheduled runs so; see pyproject.toml).
Workers import all of them before they start::

    from jobsmith.queue.builtins import builtins

    @builtins.task(type_key="jobsmith", task_key="flow")
    def run_flow(factory: str, ...): ...
"""

from __future__ import annotations

import importlib
from functools import cache
from importlib.metadata import entry_points

from jobsmith.queue.registry import Registry, Task

BUILTIN_MODULES: tuple[str, ...] = ("jobsmith.queue.flows",)
"""The queue's modules that register built-in tasks; a worker imports them all."""
ENTRY_POINT_GROUP = "jobsmith.builtins"
"""Entry points naming the modules of other parts that register built-in tasks."""

builtins = Registry()
"""The registry of built-in tasks."""


def load_builtins() -> Registry:
    """Import :data:`BUILTIN_MODULES` and the modules of the ``jobsmith.builtins`` entry
    points, and return the built-in registry."""
    for module in (*BUILTIN_MODULES, *_registered_modules()):
        importlib.import_module(module)
    return builtins


@cache
def _registered_modules() -> tuple[str, ...]:
    """The modules the installed packages register (read once per process)."""
    return tuple(point.value for point in entry_points(group=ENTRY_POINT_GROUP))


def find_task(registry: Registry, name: str) -> Task | None:
    """A task by name from ``registry``, else from the built-ins."""
    return registry.find(name) or builtins.find(name)
