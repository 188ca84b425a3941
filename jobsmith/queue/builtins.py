"""Built-in tasks: every worker serves them, whatever modules it imported.

Other parts of jobsmith add theirs with ``builtins.task(...)`` in a module listed in
:data:`BUILTIN_MODULES` (workers import those modules before they start)::

    from jobsmith.queue.builtins import builtins

    @builtins.task(type_key="jobsmith", task_key="flow")
    def run_flow(factory: str, ...): ...
"""

from __future__ import annotations

import importlib

from jobsmith.queue.registry import Registry, Task

BUILTIN_MODULES: tuple[str, ...] = ("jobsmith.queue.flows", "jobsmith.schedule.queued")
"""Modules that register built-in tasks; a worker imports them all."""

builtins = Registry()
"""The registry of built-in tasks."""


def load_builtins() -> Registry:
    """Import :data:`BUILTIN_MODULES` and return the built-in registry."""
    for module in BUILTIN_MODULES:
        importlib.import_module(module)
    return builtins


def find_task(registry: Registry, name: str) -> Task | None:
    """A task by name from ``registry``, else from the built-ins."""
    return registry.find(name) or builtins.find(name)
