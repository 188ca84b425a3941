"""``run(flow, store)``: run a flow to the end or revert it, and record it in the run log."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from jobsmith.engine import Engine, Listener, Outcome, Report
from jobsmith.engine.console import LogListener
from jobsmith.engine.record import RunLogTarget, describe, recorder_for, resolve_run_log
from jobsmith.errors import FlowError
from jobsmith.flow.compile import Compiled
from jobsmith.flow.patterns import Flow
from jobsmith.flow.state import (
    COMPLETED,
    REVERTING,
    FlowState,
    Resume,
    continue_revert,
    initial_store,
)
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
    flow_id: str | None = None,
    workers: int = 1,
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

    ``flow_id`` keeps the flow's state in the run log's store as it goes, so that running
    it again under the same id after a crash continues where it stopped (see
    :mod:`jobsmith.flow.state`). ``workers`` > 1 runs tasks whose inputs are ready at the
    same time, in that many threads.
    """
    if flow_id is not None and (run_log is None or run_log is True):
        # The default store, opened once and closed here: the flow's state and its run log
        # must share it (on SQLite two connections wait on each other's write lock).
        found = resolve_run_log(run_log)
        if found is not None:
            try:
                return run(
                    flow,
                    store,
                    run_log=found,
                    job_name=job_name,
                    environment=environment,
                    job_run=job_run,
                    listeners=listeners,
                    flow_id=flow_id,
                    workers=workers,
                )
            finally:
                found.store.close()
    compiled = Compiled(flow, store)
    chosen: list[Listener] = [*listeners, LogListener(log)]
    resume: Resume | None = None
    if flow_id is not None:
        resume = _resume(compiled, flow_id, run_log, store)
        if resume.status == COMPLETED:
            resume.values_after(compiled)
            return compiled.values.as_dict()
    recorder = recorder_for(
        run_log,
        job_name or flow.name,
        kind="flow",
        environment=environment,
        per="try",
        job_run=job_run,
        inputs=compiled.inputs_of,
    )
    if resume is not None and resume.status == REVERTING:
        raise continue_revert(compiled, resume, recorder)
    if resume is not None:
        chosen.append(FlowState(resume.store, resume.flow_id, compiled, recorder, resume, workers))
    elif recorder is not None:
        chosen.append(recorder)
    report = Engine(chosen, workers=workers).run_or_revert(compiled.plan)
    _raise_failure(flow.name, report)
    return compiled.values.as_dict()


def _resume(
    compiled: Compiled, flow_id: str, run_log: RunLogTarget, store: Mapping[str, Any] | None
) -> Resume:
    """The flow's state under ``flow_id``: read back to continue, or started afresh."""
    found = resolve_run_log(run_log)
    if found is None:
        raise FlowError(
            f"flow {compiled.name!r}: flow_id={flow_id!r} keeps the flow's state in the run "
            "log's store, but run_log=False keeps nothing"
        )
    resume = Resume(found.store, flow_id)
    if resume.status in ("running", REVERTING) and resume.record is not None:
        if resume.record.name != compiled.name:
            raise FlowError(
                f"flow_id {flow_id!r} holds the state of flow {resume.record.name!r}, "
                f"not of {compiled.name!r}"
            )
        if resume.status == "running":
            resume.read_back(compiled)
            log.info(
                "Flow %s (%s) continues after a restart: %d task(s) done",
                compiled.name,
                flow_id,
                len(resume.done()),
            )
        return resume
    if resume.status == COMPLETED:
        return resume
    flows = found.store.flows
    with found.store.connector.transaction():
        flows.start(flow_id, compiled.name, initial_store(compiled.name, store))
        flows.add_pending(flow_id, list(compiled.runs))
    return Resume(found.store, flow_id)


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
