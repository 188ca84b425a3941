"""Flows that resume: a flow run's state kept in the store as it goes.

With a ``flow_id`` (``run(flow, store, flow_id="nightly-42")``; a flow job uses
``job:ID``) every task's state is written as it changes: ``pending`` → ``running`` →
``done`` (with its result, as JSON) or ``failed``; ``reverting`` → ``reverted`` when it is
undone. A task's end and its row in the run log are written in one transaction.

Run the same flow again under the same ``flow_id`` after the process died and it
continues: completed tasks are not executed again (their results are read back into the
flow's values); the task that was running is executed again — tasks run *at least once*,
and ``self.attempt`` tells a task which execution this is, so it can be idempotent. A
revert that was interrupted continues with the tasks not yet reverted, newest first, and
the flow then fails as it would have. A flow continues with the store it started with; one
that completed returns its values without running anything; one that failed (fully
reverted) starts afresh.

A retry controller's count is kept too: the number of the try in progress is written
with the state of the task that starts it, and a resumed flow continues that try (with
the failures before it counted), so ``Times(3)`` runs the flow at most three times in
all, however many crashes come between. (A crash during the revert that comes before a
retry is not told apart from one during a final revert: the revert is continued and the
flow fails.)

Results of tasks in such flows must be JSON values (a task returning something else
fails with a clear error).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from jobsmith.engine import Listener, NodeReport, Outcome, Report
from jobsmith.errors import FlowError
from jobsmith.flow.compile import Compiled, TaskRun
from jobsmith.flow.task import Failure, Task, split_result
from jobsmith.runlog import Status
from jobsmith.store.base import utcnow

if TYPE_CHECKING:
    from jobsmith.engine.dag import Plan
    from jobsmith.engine.record import RunLogRecorder
    from jobsmith.flow.patterns import Flow
    from jobsmith.runlog import JobRun, RunLog
    from jobsmith.store import Store
    from jobsmith.store.flows import FlowRunRecord, FlowTaskRecord

log = logging.getLogger("jobsmith.flow")

PENDING, RUNNING, DONE, FAILED = "pending", "running", "done", "failed"
REVERTING, REVERTED = "reverting", "reverted"
COMPLETED, CANCELLED = "completed", "cancelled"


def encode(task: str, result: Any) -> str:
    try:
        return json.dumps(result)
    except (TypeError, ValueError) as exc:
        raise FlowError(
            f"task {task!r} returned {type(result).__name__} {result!r:.80}, which a flow that "
            f"keeps its state cannot store: return JSON values (numbers, text, lists, dicts) "
            f"({exc})"
        ) from None


def initial_store(flow: str, values: Mapping[str, Any] | None) -> str:
    try:
        return json.dumps(dict(values or {}))
    except (TypeError, ValueError) as exc:
        raise FlowError(
            f"flow {flow!r}: a flow that keeps its state needs a store of JSON values ({exc})"
        ) from None


class Resume:
    """What the store says about a flow run before it starts."""

    def __init__(self, store: Store, flow_id: str) -> None:
        self.store, self.flow_id = store, flow_id
        self.record: FlowRunRecord | None = store.flows.get(flow_id)
        self.tasks: dict[str, FlowTaskRecord] = (
            {t.name: t for t in store.flows.tasks(flow_id)} if self.record is not None else {}
        )

    @property
    def status(self) -> str | None:
        return self.record.status if self.record is not None else None

    def done(self) -> list[FlowTaskRecord]:
        """Tasks whose result stands (done, or being reverted), in completion order."""
        return sorted(
            (t for t in self.tasks.values() if t.state in (DONE, REVERTING)),
            key=lambda t: t.seq,
        )

    def read_back(self, compiled: Compiled) -> None:
        """Put completed tasks' results back: into the values, and into the tasks so the
        engine does not execute them again; interrupted tasks count their executions."""
        self._check_names(compiled)
        self._initial(compiled)
        for name, record in self.tasks.items():
            run = compiled.runs[name]
            run.executions = record.attempt
        tries = self.record.tries if self.record is not None else {}
        for key, scope in compiled.scope_keys.items():
            scope.first_try = max(1, int(tries.get(key, 1)))
        for record in self.done():
            run = compiled.runs[record.name]
            run.resumed, run.encoded = (decode(record),), record.result

    def values_after(self, compiled: Compiled) -> None:
        """Set the values every completed task provided (nothing runs)."""
        self._check_names(compiled)
        self._initial(compiled)
        for record in self.done():
            run = compiled.runs[record.name]
            for name, value in split_result(run.task, decode(record)):
                compiled.values.set(name, value)

    def _initial(self, compiled: Compiled) -> None:
        """The store the flow run started with (it continues with the same values)."""
        if self.record is not None:
            for name, value in json.loads(self.record.store).items():
                compiled.values.set(name, value)

    def _check_names(self, compiled: Compiled) -> None:
        unknown = sorted(set(self.tasks) - set(compiled.runs))
        if unknown:
            raise FlowError(
                f"flow state {self.flow_id!r} has tasks {unknown} that flow "
                f"{compiled.name!r} does not: the flow changed since it was interrupted"
            )


def decode(record: FlowTaskRecord) -> Any:
    """A stored result."""
    return json.loads(record.result) if record.result is not None else None


class FlowState(Listener):
    """Writes a flow run's state as the engine runs it; wraps the run log's recorder so a
    task's end and its state are written in one transaction.

    With one worker, a task's end is committed together with the start of the next task
    (or the revert, or the end of the run): nothing runs between the two, so a crash
    cannot tell the difference, and a flow costs one transaction per task. With more
    workers each end is committed at once (other tasks are running meanwhile).
    """

    def __init__(
        self,
        store: Store,
        flow_id: str,
        compiled: Compiled,
        recorder: RunLogRecorder | None,
        resume: Resume,
        workers: int = 1,
    ) -> None:
        self.store, self.flow_id, self.compiled = store, flow_id, compiled
        self.recorder = recorder
        if recorder is not None:  # its rows are written in this listener's transactions
            recorder.flush_rows, recorder.flush_seconds = 2**62, float("inf")
        self.seqs = {t.name: t.seq for t in resume.done()}
        self.seq = max((t.seq for t in resume.tasks.values()), default=0)
        self.reverting = False
        self.defer = workers == 1
        self.pending: list[Callable[[], None]] = []
        self.skip = {r.name for r in resume.done()}
        self.tries = dict(resume.record.tries) if resume.record is not None else {}
        compiled.on_scope_try = self._scope_try
        for run in compiled.runs.values():
            run.encode = self._encoder(run)
            run.watch_reverts(self._reverting)

    def _encoder(self, run: TaskRun) -> Any:
        name = run.task.name
        return lambda result: encode(name, result)

    def _write(self, *writes: Callable[[], None]) -> None:
        """Commit what is pending and ``writes`` in one transaction."""
        pending, self.pending = self.pending, []
        with self.store.connector.transaction():
            if self.recorder is not None:
                self.recorder.flush()
            for write in (*pending, *writes):
                write()

    def _scope_try(self, key: str, attempt: int) -> None:
        """A retry controller's try starts: kept with the state of its first task."""
        if self.tries.get(key, 1) == attempt:
            return
        self.tries[key] = attempt
        flows, flow_id, tries = self.store.flows, self.flow_id, dict(self.tries)
        self.pending.append(lambda: flows.set_tries(flow_id, tries))
        if not self.defer:
            self._write()

    # -- events ----------------------------------------------------------------------------
    def run_started(self, plan: Plan) -> None:
        if self.recorder is not None:
            self.recorder.run_started(plan)

    def try_started(self, report: NodeReport) -> None:
        name = report.node.name
        if name in self.skip:
            return
        run: TaskRun = report.node.payload
        flows, flow_id, attempt = self.store.flows, self.flow_id, run.executions + 1
        writes = [lambda: flows.set_task(flow_id, name, RUNNING, attempt=attempt)]
        if self.reverting:  # a retry controller runs the flow again
            self.reverting = False
            writes.insert(0, lambda: flows.set_status(flow_id, "running"))
        self._write(*writes)
        if self.recorder is not None:
            self.recorder.try_started(report)

    def phase_done(self, node: Any, phase: str, error: BaseException | None) -> None:
        if self.recorder is not None and node.name not in self.skip:
            self.recorder.phase_done(node, phase, error)

    def try_done(self, report: NodeReport) -> None:
        name = report.node.name
        if name in self.skip:
            self.skip.discard(name)  # a retry may run it again
            return
        run: TaskRun = report.node.payload
        flows, flow_id, attempt = self.store.flows, self.flow_id, run.executions
        if self.recorder is not None:
            self.recorder.try_done(report)
        if report.outcome.succeeded:
            self.seq += 1
            seq = self.seqs[name] = self.seq
            result = run.encoded
            self.pending.append(
                lambda: flows.set_task(flow_id, name, DONE, seq=seq, attempt=attempt, result=result)
            )
            if not self.defer:
                self._write()
            return
        writes = [lambda: flows.set_task(flow_id, name, FAILED, attempt=attempt)]
        if not self.reverting:
            self.reverting = True
            error = f"{name}: {report.error}"
            writes.append(lambda: flows.set_status(flow_id, REVERTING, error=error))
        self._write(*writes)

    def _reverting(self, run: TaskRun) -> None:
        name = run.task.name
        if run.failure is not None:  # the failed task's own revert: it stays failed
            self._write()
            return
        flows, flow_id, seq = self.store.flows, self.flow_id, self.seqs.get(name, 0)
        attempt, result = run.executions, run.encoded
        self._write(
            lambda: flows.set_task(
                flow_id, name, REVERTING, seq=seq, attempt=attempt, result=result
            )
        )

    def node_reverted(self, report: NodeReport, error: BaseException | None) -> None:
        """Written with the next revert's start (or the run's end): nothing is undone in
        between, so a crash cannot tell the difference."""
        name = report.node.name
        run: TaskRun = report.node.payload
        recorder, flows, flow_id = self.recorder, self.store.flows, self.flow_id
        reverted = report.outcome is not Outcome.FAILED or error is not None
        state, attempt = (REVERTED if error is None else FAILED), run.executions

        def write() -> None:
            if recorder is not None:
                recorder.node_reverted(report, error)
            if reverted:
                flows.set_task(flow_id, name, state, attempt=attempt)

        self.pending.append(write)
        run.encoded = None

    def run_finished(self, report: Report) -> None:
        flows, flow_id = self.store.flows, self.flow_id
        writes = []
        if report.error is None and report.succeeded:
            writes.append(lambda: flows.set_status(flow_id, COMPLETED))
        elif report.revert_error is not None or _reverted_all(report):
            error = str(report.error if report.error is not None else report.revert_error)
            writes.append(lambda: flows.set_status(flow_id, FAILED, error=error))
        # else an interrupt escaped: the state stays as it is, to be resumed
        with self.store.connector.transaction():
            self._write(*writes)
            if self.recorder is not None:
                self.recorder.run_finished(report)


def _reverted_all(report: Report) -> bool:
    """The run failed and every completed task was reverted (not an escaped interrupt)."""
    return report.error is not None and not any(r.outcome.succeeded for r in report.nodes.values())


def continue_revert(
    compiled: Compiled, resume: Resume, recorder: RunLogRecorder | None = None
) -> FlowError:
    """Finish a revert that a crash interrupted: revert the tasks not yet reverted, newest
    first; returns the error the flow fails with. With ``recorder``, the reverts are a job
    run of their own in the run log (each task ``Reverted``, the run ``Failed``)."""
    assert resume.record is not None
    store, flow_id = resume.store, resume.flow_id
    cause = resume.record.error or "a task failed"
    failed_task, _, message = cause.partition(": ")
    run_log, job_run, owned = None, None, False
    if recorder is not None:
        owned = recorder.job_run is None
        run_log = recorder.run_log
        job_run = recorder.job_run or run_log.start_job(
            recorder.job_name, recorder.environment, recorder.kind
        )
    failure = Failure(FlowError(message or cause), failed_task)
    note = "reverted after a restart (the revert had been interrupted)"
    reverted = _revert_done(compiled, resume, failure, run_log, job_run, note)
    error = FlowError(
        f"flow {compiled.name!r} failed in {failed_task!r} ({message or cause}); its revert "
        f"was interrupted and has been continued: reverted {', '.join(reverted) or 'nothing'}"
    )
    with store.connector.transaction():
        store.flows.set_status(flow_id, FAILED, error=cause)
        if owned and run_log is not None and job_run is not None:
            run_log.end_job(job_run, Status.FAILED, str(error))
    return error


def _revert_done(
    compiled: Compiled,
    resume: Resume,
    failure: Failure,
    run_log: RunLog | None,
    job_run: JobRun | None,
    note: str,
) -> list[str]:
    """Revert the tasks whose result stands (done, or being reverted), newest first; the
    task ``failure`` names gets it as its result (a failed task's revert). Each revert is
    a ``Reverted`` task run under ``job_run``. Returns the names reverted."""
    store, flow_id = resume.store, resume.flow_id
    resume.values_after(compiled)
    reverted = []
    for record in reversed(resume.done()):
        run = compiled.runs[record.name]
        run.failures[failure.task] = failure
        if record.name == failure.task:
            run.failure = failure
        try:
            run.inputs = run.bind()
        except Exception:
            run.inputs = {}
        store.flows.set_task(
            flow_id,
            record.name,
            REVERTING,
            seq=record.seq,
            attempt=record.attempt,
            result=record.result,
        )
        if run.task.reverts:
            run.revert(decode(record), failure.exception)
        with store.connector.transaction():
            store.flows.set_task(flow_id, record.name, REVERTED, attempt=record.attempt)
            if run_log is not None and job_run is not None:
                row = run_log.new_task(job_run, type(run.task).__name__, record.name, run.inputs)
                row.ended_at, row.status, row.output = utcnow(), Status.REVERTED, note
                run_log.record_tasks([row])
        reverted.append(record.name)
    return reverted


def cancel_revert(
    flow: Flow | Task,
    values: Mapping[str, Any] | None,
    store: Store,
    flow_id: str,
    reason: str = "cancelled",
    *,
    error: BaseException | None = None,
    run_log: RunLog | None = None,
    job_run: JobRun | None = None,
) -> list[str]:
    """Revert a flow run that was cancelled (or stopped for ``reason``) while it ran:
    first the task that was running, as TaskFlow reverts a failed task (its revert gets a
    :class:`Failure` of ``error`` as its result), then the completed tasks, newest first.
    Each ends ``reverted``; the flow run ends ``cancelled`` (``failed`` for another
    reason). With ``run_log`` and ``job_run`` the interrupted execution is a task run
    ``Cancelled`` (else ``Failed``) and each revert a task run ``Reverted``. Called again
    after the reverting process died, it goes on with the tasks not yet reverted. Returns
    the names reverted."""
    resume = Resume(store, flow_id)
    if resume.record is None or resume.status not in ("running", REVERTING):
        return []
    running = sorted(name for name, t in resume.tasks.items() if t.state == RUNNING)
    cause = resume.record.error or f"{reason}: the job was {reason}"
    if resume.status == "running":
        cause = f"{running[0] if running else reason}: the job was {reason} while it ran"
    failed_task = cause.partition(": ")[0]
    failure = Failure(error or FlowError(f"the job was {reason}"), failed_task)
    compiled = Compiled(flow, values)
    top = max((t.seq for t in resume.tasks.values()), default=0)
    with store.connector.transaction():
        store.flows.set_status(flow_id, REVERTING, error=cause)
        for n, name in enumerate(running, 1):  # interrupted: reverted first, as failed
            attempt = resume.tasks[name].attempt
            store.flows.set_task(flow_id, name, REVERTING, seq=top + n, attempt=attempt)
            if run_log is not None and job_run is not None:
                kind = type(compiled.runs[name].task).__name__
                row = run_log.new_task(job_run, kind, name)
                row.ended_at = utcnow()
                row.status = Status.CANCELLED if reason == "cancelled" else Status.FAILED
                row.error = f"{reason} while it ran (attempt {attempt})"
                run_log.record_tasks([row])
    note = f"reverted after the job was {reason}"
    reverted = _revert_done(compiled, Resume(store, flow_id), failure, run_log, job_run, note)
    status = CANCELLED if reason == "cancelled" else FAILED
    with store.connector.transaction():
        store.flows.set_status(flow_id, status, error=cause)
    log.info("flow %s (%s) %s: reverted %s", flow.name, flow_id, reason, ", ".join(reverted))
    return reverted
