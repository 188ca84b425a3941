"""The run log as a listener: a job run per graph or flow run, task runs for its nodes.

Rows are written in batches (every ``flush_rows`` rows or ``flush_seconds``, and when
the run ends), so recording costs a few microseconds per node instead of two database
round trips; the job run itself is written as soon as the run starts, so ``jobsmith runs``
shows it as Running, and with it which node depends on which (for the dashboard's
picture). Two shapes:

* ``per="node"`` (goal graphs): one task run per node with its final status, its tries
  and what each phase of each try did (in ``output``), e.g.
  ``try 1: check fail, run pass, recheck fail "No space on couch."``.
* ``per="try"`` (flows): one task run per execution with the values it was given; a
  task that completed and was then reverted is changed to ``Reverted``.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Literal

from jobsmith.engine.dag import Plan
from jobsmith.engine.events import Listener
from jobsmith.engine.model import NodeReport, Outcome, Report
from jobsmith.errors import StoreError
from jobsmith.runlog import JobRun, RunLog, Status, TaskRun
from jobsmith.store import Store, utcnow

log = logging.getLogger(__name__)

RunLogTarget = RunLog | Store | bool | None
"""Where a run is recorded: a run log, a store, ``False`` for nowhere, or ``None``/``True``
for the default store (``jobsmith.yml``, ``JOBSMITH_STORE`` or ``.jobsmith/jobsmith.db``)."""

_STATUS = {
    Outcome.PASSED: Status.COMPLETED,
    Outcome.FIXED: Status.COMPLETED,
    Outcome.FAILED: Status.FAILED,
    Outcome.REVERTED: Status.REVERTED,
    Outcome.BLOCKED: Status.SKIPPED,
    Outcome.PENDING: Status.SKIPPED,
}


def describe(error: BaseException) -> str:
    """An error as the run log shows it: its message, or its type when it has none."""
    return str(error) or type(error).__name__


def resolve_run_log(target: RunLogTarget) -> RunLog | None:
    """The run log a :data:`RunLogTarget` names; the settings' store when none is given
    (one of the process's shared stores, closed at exit; :func:`recorder_for` borrows it
    for a run and gives it back)."""
    if target is False:
        return None
    if isinstance(target, RunLog):
        return target
    if isinstance(target, Store):
        return RunLog(target)
    store, _ = _default_store()
    return RunLog(store) if store is not None else None


def _default_store() -> tuple[Store | None, str]:
    """The store the settings name (a graph or flow run is an edge) and the environment.
    When none is configured and the default file cannot be created (a read-only folder),
    the run goes on without a run log, as DoJobber's and TaskFlow's do, with a warning."""
    from jobsmith.settings import resolve_settings
    from jobsmith.store.shared import shared_stores

    settings = resolve_settings()
    try:
        return shared_stores.acquire(settings.store_url, settings.schema), settings.environment
    except (OSError, StoreError, sqlite3.Error) as exc:
        if not settings.store_is_default:
            raise
        log.warning(
            "run log off: the default store %s cannot be created (%s); set JOBSMITH_STORE, "
            "backend: in jobsmith.yml, or pass run_log=",
            settings.store_url,
            exc,
        )
        return None, settings.environment


def recorder_for(
    target: RunLogTarget,
    job_name: str,
    *,
    kind: str,
    environment: str | None = None,
    **options: Any,
) -> RunLogRecorder | None:
    """A recorder for ``target``, or None when ``target`` is False (or the default store
    cannot be created). The settings' store it borrows, it gives back when the run ends."""
    if target is False:
        return None
    if isinstance(target, RunLog | Store):
        run_log = resolve_run_log(target)
        assert run_log is not None
        if environment is None:
            from jobsmith.settings import resolve_settings

            environment = resolve_settings().environment
        return RunLogRecorder(run_log, job_name, kind=kind, environment=environment, **options)
    store, configured = _default_store()
    if store is None:
        return None
    return RunLogRecorder(
        RunLog(store),
        job_name,
        kind=kind,
        environment=environment or configured,
        borrowed_store=store,
        **options,
    )


class RunLogRecorder(Listener):
    """Records one run in the run log; see the module docstring.

    ``job_run`` records the tasks under a job run the caller started (and will end)
    instead of a new one. ``inputs(node)`` gives the values a try used (masked before
    they are stored).
    """

    def __init__(
        self,
        run_log: RunLog,
        job_name: str,
        *,
        kind: str,
        environment: str,
        per: Literal["node", "try"] = "node",
        job_run: JobRun | None = None,
        inputs: Callable[[Any], Mapping[str, Any] | None] | None = None,
        flush_rows: int = 1000,
        flush_seconds: float = 0.5,
        borrowed_store: Store | None = None,
    ) -> None:
        self.borrowed_store = borrowed_store
        """A shared store borrowed for this run: given back when the run ends."""
        self.run_log, self.job_name, self.kind, self.environment = (
            run_log,
            job_name,
            kind,
            environment,
        )
        self.per_try = per == "try"
        self.job_run = job_run
        self._owns_job_run = job_run is None
        self.inputs = inputs
        self.flush_rows, self.flush_seconds = flush_rows, flush_seconds
        self._buffer: list[TaskRun] = []
        self._written: set[str] = set()
        self._last_flush = time.monotonic()
        self._started: dict[str, datetime] = {}
        self._rows: dict[str, TaskRun] = {}
        self._lines: dict[str, list[str]] = {}
        self._seen: dict[str, int] = {}
        self._recorded: set[str] = set()
        self._report: Report | None = None

    # -- events -----------------------------------------------------------------------------
    def run_started(self, plan: Plan) -> None:
        if self.job_run is None:
            self.job_run = self.run_log.start_job(self.job_name, self.environment, self.kind)
        self.run_log.record_edges(
            self.job_run, [(node.name, dep) for node in plan.nodes for dep in node.deps]
        )

    def try_started(self, report: NodeReport) -> None:
        if self.per_try or not report.tries:
            self._started[report.node.name] = utcnow()

    def try_done(self, report: NodeReport) -> None:
        name = report.node.name
        if self.per_try:
            self._rows[name] = self._add(report, self._started.pop(name))
            return
        self._lines.setdefault(name, []).append(self._try_line(report))
        if report.outcome.succeeded or report.tries >= report.node.tries:
            self._add(report, self._started.pop(name))

    def node_reverted(self, report: NodeReport, error: BaseException | None) -> None:
        row = self._rows.get(report.node.name)
        if row is None:
            return
        if error is not None:
            status, message = Status.FAILED, f"revert failed: {describe(error)}"
        elif row.status == Status.FAILED:
            return  # a failed task's own revert: it stays Failed
        else:
            status, message = Status.REVERTED, None
        if row.guid in self._written:
            self.run_log.update_task(row, status, message)
        else:
            row.status, row.error = status, message

    def run_finished(self, report: Report) -> None:
        self._report = report
        if not self.per_try:
            for node_report in report.nodes.values():
                if node_report.node.name not in self._recorded:
                    self._add(node_report, self._started.pop(node_report.node.name, None))
        try:
            self.flush()
            if self._owns_job_run and self.job_run is not None:
                ok = report.succeeded and report.error is None
                self.run_log.end_job(
                    self.job_run, Status.COMPLETED if ok else Status.FAILED, _summary(report)
                )
        finally:
            if self.borrowed_store is not None:
                from jobsmith.store.shared import shared_stores

                shared_stores.release(self.borrowed_store)
                self.borrowed_store = None

    # -- rows -------------------------------------------------------------------------------
    def _add(self, report: NodeReport, started: datetime | None) -> TaskRun:
        assert self.job_run is not None
        node = report.node
        values = self.inputs(node) if self.inputs is not None else None
        row = self.run_log.new_task(self.job_run, node.kind, node.name, values)
        row.started_at = started or row.started_at
        row.ended_at = utcnow()
        row.status = _STATUS[report.outcome]
        row.error = self._error(report)
        if not self.per_try:
            row.output = "\n".join(self._lines.get(node.name, ())) or None
            self._recorded.add(node.name)
        self._buffer.append(row)
        if len(self._buffer) >= self.flush_rows or (
            time.monotonic() - self._last_flush >= self.flush_seconds
        ):
            self.flush()
        return row

    def _error(self, report: NodeReport) -> str | None:
        if report.error is not None and report.outcome is Outcome.FAILED:
            return describe(report.error)
        if report.outcome is Outcome.BLOCKED and self._report is not None:
            return _blocked_by(report, self._report)
        if report.outcome is Outcome.PENDING:
            return "not reached"
        return None

    def _try_line(self, report: NodeReport) -> str:
        name = report.node.name
        start = self._seen.get(name, 0)
        self._seen[name] = len(report.history)
        phases = ", ".join(
            f"{phase} pass" if error is None else f'{phase} fail "{describe(error)}"'
            for phase, error in report.history[start:]
        )
        return f"try {report.tries}: {phases}"

    def flush(self) -> None:
        """Write the buffered task runs now."""
        if self._buffer:
            self.run_log.record_tasks(self._buffer)
            self._written.update(row.guid for row in self._buffer)
            self._buffer = []
        self._last_flush = time.monotonic()


def _blocked_by(report: NodeReport, run: Report) -> str:
    missing = [d for d in report.node.deps if not run.nodes[d].outcome.succeeded]
    return "blocked by " + ", ".join(missing)


def _summary(report: Report) -> str | None:
    if report.error is not None:
        return describe(report.error)
    failed = [name for name, r in report.nodes.items() if r.outcome is Outcome.FAILED]
    if not failed:
        return None
    shown = ", ".join(failed[:10]) + (" …" if len(failed) > 10 else "")
    return f"{len(failed)} of {len(report.nodes)} failed: {shown}"
