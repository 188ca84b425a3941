"""Flows that undo themselves, TaskFlow's way: tasks with ``execute`` and ``revert``.

::

    from jobsmith.flow import LinearFlow, Task, Times, run

    class CreateVolume(Task):
        default_provides = "volume"

        def execute(self, size):
            return cloud.create_volume(size)

        def revert(self, result, **kwargs):
            if isinstance(result, str):       # a Failure when this task itself failed
                cloud.delete_volume(result)

    flow = LinearFlow("server", retry=Times(3)).add(CreateVolume(), AttachVolume())
    results = run(flow, store={"size": 10})

The seed spellings map as: ``taskflow.task.Task`` → :class:`Task`,
``taskflow.patterns.linear_flow.Flow`` → :class:`LinearFlow`, ``graph_flow.Flow`` →
:class:`GraphFlow`, ``unordered_flow.Flow`` → :class:`UnorderedFlow`,
``taskflow.retry.Times`` → :class:`Times`, ``taskflow.engines.run`` → :func:`run`.
"""

from __future__ import annotations

from jobsmith.flow.dryrun import PlannedTask, dry_run
from jobsmith.flow.patterns import Flow, GraphFlow, LinearFlow, UnorderedFlow
from jobsmith.flow.retry import (
    RETRY,
    REVERT,
    REVERT_ALL,
    AlwaysRevert,
    AlwaysRevertAll,
    ForEach,
    Retry,
    Times,
)
from jobsmith.flow.runner import run
from jobsmith.flow.task import Failure, FunctorTask, Task

__all__ = [
    "RETRY",
    "REVERT",
    "REVERT_ALL",
    "AlwaysRevert",
    "AlwaysRevertAll",
    "Failure",
    "Flow",
    "PlannedTask",
    "ForEach",
    "FunctorTask",
    "GraphFlow",
    "LinearFlow",
    "Retry",
    "Task",
    "Times",
    "UnorderedFlow",
    "dry_run",
    "run",
]
