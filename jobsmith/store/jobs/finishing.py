"""Finishing: ending attempts (recorded in the run log in the same transaction), waking or
failing the jobs parked on them, expiring lost leases, and cancelling."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from jobsmith.errors import NotFoundError
from jobsmith.states import ENDED_JOB_STATES, JobState
from jobsmith.store.jobs.claiming import Claiming
from jobsmith.store.jobs.records import Claimed, Ended, LostAttempt, Outcome, outcome_row

if TYPE_CHECKING:
    from jobsmith.store.runs import RunRepository


class Finishing(Claiming):
    """Ends attempts. The run log's rows are written by the run log
    (:meth:`RunRepository.log_attempts`, or on PostgreSQL its ``log_attempts`` function,
    which ``end_attempts`` calls), inside the queue's finishing transaction."""

    runs: RunRepository

    def end(self, outcomes: Sequence[Outcome], run_log: dict[str, Any] | None) -> Ended:
        """End attempts and record them in the run log (``run_log`` holds environment,
        executed_by, host and pid; None records nothing), atomically; jobs parked on jobs
        that ended are woken (or failed). An attempt whose token no longer names its
        job's current attempt changes nothing in the queue (its run is still logged)."""
        if not outcomes:
            return Ended(set(), [])
        rows = json.dumps([outcome_row(o, run_log is not None) for o in outcomes])
        if "end_attempts" in self.q:  # the dialect ends a batch in one statement
            who = run_log or {}
            values = {
                "rows": rows,
                "log": run_log is not None,
                "environment": who.get("environment"),
                "executed_by": who.get("executed_by"),
                "host": who.get("host"),
                "pid": who.get("pid"),
            }
            # one statement: atomic on its own (autocommit), or joins an outer transaction
            done = self.db.fetchall(self.q.end_attempts, values)
            return Ended(
                {r["id"] for r in done if not r["dependant"]},
                [(r["id"], r["status"]) for r in done if r["dependant"]],
            )
        with self.db.write_turn():
            found = self.db.fetchall(self.q.finish_jobs, {"rows": rows})
            ended = [r["id"] for r in found if r["status"] in ENDED_JOB_STATES]
            dependants = self.release_dependants(ended) if ended else []
            if run_log is not None:
                self.runs.log_attempts(rows, run_log)
        return Ended({r["id"] for r in found}, dependants)

    def finish(self, outcomes: Sequence[Outcome], run_log: dict[str, Any] | None) -> set[int]:
        """End attempts (see :meth:`end`); returns the ids of the jobs actually ended."""
        return self.end(outcomes, run_log).ids

    def finish_and_claim(
        self, outcomes: Sequence[Outcome], run_log: dict[str, Any] | None, **claim: Any
    ) -> tuple[Ended, list[Claimed]]:
        """End attempts (as :meth:`end`) and claim the next jobs (as :meth:`claim`) in one
        transaction: on SQLite, one turn of the write lock instead of two."""
        with self.db.write_turn():
            return self.end(outcomes, run_log), self.claim(**claim)

    def release_dependants(self, ids: Sequence[int]) -> list[tuple[int, str]]:
        """Wake (or fail) jobs parked on jobs that ended, and theirs in turn, and wake
        the jobs parked until one of them ended however (a parent waiting for its
        children): at once, in the transaction that ended them. Returns the (id, new
        status) of each."""
        values = {"ids": list(ids), "now": time.time()}
        rows = self.db.fetchall(self.q.release_dependants, values)
        if self.db.dialect == "sqlite":  # PostgreSQL does this in the statement above
            rows += self.db.fetchall(self.q.release_ended_waits_of, values)
        return [(r["id"], r["status"]) for r in rows]

    def _cancel_children(self, job_id: int) -> None:
        """In the cancel's transaction: the children job ``job_id`` posted (and theirs)
        are cancelled like it: at once when not started, else their workers are asked."""
        values = {"id": job_id, "now": datetime.now(UTC), "error": f"cancelled with job {job_id}"}
        cancelled = [r["id"] for r in self.db.fetchall(self.q.cancel_children_waiting, values)]
        if cancelled:
            self.release_dependants(cancelled)
        for row in self.db.fetchall(self.q.request_cancel_children, {"id": job_id}):
            self.db.execute(self.q.notify_workers, {"payload": f"cancel {row['id']}"})

    def expire(self, max_lost: int) -> list[LostAttempt]:
        """Hand jobs whose lease ran out back to the queue (or fail them after ``max_lost``
        lost attempts); their dependants are released. Returns the lost attempts."""
        with self.db.transaction():
            lost, failed = self.expire_leases(max_lost)
            if failed:
                self.release_dependants(failed)
        return lost

    def log_lost(self, lost: Sequence[LostAttempt], who: dict[str, Any]) -> None:
        """Record attempts lost with their worker in the run log (as failed)."""
        now = time.time()
        outcomes = []
        for attempt in lost:
            if attempt.token is None:
                continue
            type_key, task_key = attempt.name.split(".", 1)
            job = Claimed(attempt.id, type_key, task_key, "", {}, 0, 0, 0, attempt.token)
            started = attempt.started.timestamp() if attempt.started else now
            outcomes.append(Outcome(job, JobState.FAILED, started, now, attempt.error))
        if outcomes:
            rows = json.dumps([outcome_row(o, True) for o in outcomes])
            with self.db.transaction():
                self.runs.log_attempts(rows, {**who, "host": lost[0].host or who["host"]})

    def cancel(self, job_id: int) -> str:
        """Cancel a job: at once when it has not started, else ask its worker. Returns
        ``"cancelled"``, ``"requested"`` (it is running) or ``"ended"`` (it already was)."""
        with self.db.transaction():
            if self.db.fetchone(self.q.cancel_waiting, {"id": job_id, "now": datetime.now(UTC)}):
                self._cancel_children(job_id)
                self.release_dependants([job_id])
                return "cancelled"
            if self.db.fetchone(self.q.request_cancel, {"id": job_id}):
                self.db.execute(self.q.notify_workers, {"payload": f"cancel {job_id}"})
                self._cancel_children(job_id)
                return "requested"
        if self.db.fetchone(self.q.job_by_id, {"id": job_id}) is None:
            raise NotFoundError(f"no job with id {job_id} in the queue")
        return "ended"
