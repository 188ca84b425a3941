"""``run(flow, store)``: run a flow to the end or revert it, and record it in the run log."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from jobsmith.engine import Engine, Listener, Outcome, Report
from jobsmith.engine.console import LogListener
from jobsmith.engine.record import RunLogTarget, describe, recorder_for
from jobsmith.errors import FlowError
from jobsmith.flow.compile import Compiled
from jobsmith.flow.patterns import Flow
from jobsmith.flow.task import Task
from jobsmith.runlog import JobRun

log = logging.getLogger("jobsmith.flow")


def run(
    flow: Flow | Task,
    store: Mapping[str, Any] | None = None,
    *,
    run_log: RunLogTarget = None,
    job_name: str | None = None,
    environment: str | None = None,
    job_run: JobRun | None = None,
    listeners: Iterable[Listener] = (),
) -> dict[str, Any]:
    """Run ``flow`` with the initial values in ``store``; return every value by name: the
    store's and what the tasks provided (TaskFlow's ``engines.run``).

    Before anything runs, the flow is checked: unique task names, no cycles, every input
    available (:class:`~jobsmith.errors.FlowError` or
    :class:`~jobsmith.errors.CycleError` otherwise). When a task fails, the completed
    tasks are reverted newest first (retry controllers may run a flow again first) and
    the task's exception is raised, with a note naming the flow and the task. If a
    revert fails, reverting stops there and :class:`FlowError` is raised from it.

    The run is recorded as a job run of kind ``flow`` named ``job_name`` (the flow's name
    by default) with a task run per execution, in ``run_log``: a
    :class:`~jobsmith.runlog.RunLog`, a :class:`~jobsmith.store.Store`, ``False`` for
    nowhere, or by default the store of ``jobsmith.yml`` / ``JOBSMITH_STORE`` /
    ``.jobsmith/jobsmith.db``. Pass ``job_run`` to record the tasks under a job run you
    started (and will end) yourself, e.g. a queued job's.
    """
    compiled = Compiled(flow, store)
    chosen: list[Listener] = [*listeners, LogListener(log)]
    recorder = recorder_for(
        run_log,
        job_name or flow.name,
        kind="flow",
        environment=environment,
        per="try",
        job_run=job_run,
        inputs=compiled.inputs_of,
    )
    if recorder is not None:
        chosen.append(recorder)
    report = Engine(chosen).run_or_revert(compiled.plan)
    _raise_failure(flow.name, report)
    return compiled.values.as_dict()


def _raise_failure(flow: str, report: Report) -> None:
    if report.error is None:
        return
    failed = next((r.name for r in report.nodes.values() if r.outcome is Outcome.FAILED), "a task")
    if report.revert_error is not None:
        reverting = next(
            (
                r.name
                for r in report.nodes.values()
                if any(error is report.revert_error for _, error in r.history)
            ),
            "a task",
        )
        raise FlowError(
            f"flow {flow!r}: task {failed!r} failed ({describe(report.error)}), and then "
            f"reverting {reverting!r} failed ({describe(report.revert_error)}); the tasks "
            "before it were not reverted"
        ) from report.revert_error
    reverted = [r.name for r in report.nodes.values() if r.outcome is Outcome.REVERTED]
    report.error.add_note(
        f"jobsmith: flow {flow!r} failed in task {failed!r}; reverted: "
        + (", ".join(reversed(reverted)) or "nothing")
    )
    raise report.error
