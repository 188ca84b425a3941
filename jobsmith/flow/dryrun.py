"""Dry runs of flows: what would run, in which order, with which values; nothing runs.

::

    for step in dry_run(flow, store={"size": 10}):
        print(step)
    # 1. create_volume (CreateVolume) size=10 -> volume
    # 2. attach (AttachVolume) volume=<from create_volume> server=<from create_server>

With ``flow_id`` (and the store that keeps flow state in ``run_log``) a flow that was
interrupted shows which tasks are done (their results read back) and which would run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from jobsmith.engine.record import RunLogTarget, resolve_run_log
from jobsmith.flow.compile import Compiled, TaskRun
from jobsmith.flow.patterns import Flow
from jobsmith.flow.state import DONE, Resume, decode
from jobsmith.flow.task import Task, key, provided_names, split_result


@dataclass(frozen=True)
class Later:
    """A value that a task before it will provide."""

    task: str

    def __repr__(self) -> str:
        return f"<from {self.task}>"


@dataclass(frozen=True)
class PlannedTask:
    """One task of a dry run."""

    position: int
    name: str
    kind: str
    inputs: dict[str, Any]
    """Argument → value: from the store, read back, or :class:`Later`."""
    provides: list[str]
    after: list[str]
    """The tasks it waits for."""
    state: str = "would run"
    """``would run``, or ``done`` for a task completed before an interruption."""
    result: Any = field(default=None)

    def __str__(self) -> str:
        shown = " ".join(f"{name}={value!r}" for name, value in self.inputs.items())
        text = f"{self.position}. {self.name} ({self.kind})" + (f" {shown}" if shown else "")
        if self.provides:
            text += " -> " + ", ".join(self.provides)
        return text + (f" [done: {self.result!r}]" if self.state == DONE else "")


def dry_run(
    flow: Flow | Task,
    store: Mapping[str, Any] | None = None,
    *,
    flow_id: str | None = None,
    run_log: RunLogTarget = False,
) -> list[PlannedTask]:
    """The tasks ``run(flow, store)`` would execute, in order, with their inputs.

    The flow is checked as :func:`~jobsmith.flow.run` checks it (names, cycles, inputs).
    With ``flow_id``, the state kept in ``run_log``'s store says what is done already.
    """
    compiled = Compiled(flow, store)
    done: dict[str, Any] = {}
    if flow_id is not None:
        found = resolve_run_log(run_log if run_log is not False else None)
        assert found is not None
        resume = Resume(found.store, flow_id)
        if resume.status in ("running", "reverting", "completed"):
            done = {r.name: decode(r) for r in resume.done()}
    known: dict[str, tuple[str, Any]] = {}
    for name, value in compiled.values.as_dict().items():
        known[key(name)] = (name, value)
    planned = []
    for position, node in enumerate(compiled.plan.nodes, 1):
        run: TaskRun = node.payload
        inputs: dict[str, Any] = dict(run.task.inject)
        for arg, _stored, found_key, optional in run.args:
            if found_key in known:
                inputs[arg] = known[found_key][1]
            elif not optional:
                inputs[arg] = None
        state, result = ("done", done[node.name]) if node.name in done else ("would run", None)
        if state == DONE:
            for name, value in split_result(run.task, result):
                known[key(name)] = (name, value)
        else:
            for name in provided_names(run.task):
                known[key(name)] = (name, Later(node.name))
        planned.append(
            PlannedTask(
                position,
                node.name,
                node.kind,
                inputs,
                provided_names(run.task),
                list(node.deps),
                state,
                result,
            )
        )
    return planned
