"""Claiming: taking jobs for attempts with a lease, renewing it, and handing jobs back
(given back by a stopping worker, parked on a dependency, or lost with a dead worker)."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence

from jobsmith.states import JobState
from jobsmith.store.base import as_datetime
from jobsmith.store.jobs.part import QueuePart
from jobsmith.store.jobs.records import Claimed, LostAttempt, arguments_of, claimed_of


class Claiming(QueuePart):
    """Claims and leases. Every statement on an attempt is conditional on its token."""

    def claim(
        self,
        *,
        worker: str,
        host: str,
        limit: int,
        system_units: int,
        lease: float,
        queues: Sequence[str] | None = None,
        tasks: Sequence[str] | None = None,
        durations: Mapping[str, float] | None = None,
        budget: float | None = None,
    ) -> list[Claimed]:
        """Take jobs for attempts, highest priority first, then oldest, within the host's
        free process units: the first always; with a ``budget`` (seconds), the following
        ones only while each is of a task measured in ``durations`` (task name -> seconds
        per job) and their work stays within the budget; without one, up to ``limit``."""
        values = {
            "worker": worker,
            "host": host,
            "limit": limit,
            "system_units": system_units,
            "lease": lease,
            "queues": list(queues) if queues else None,
            "tasks": list(tasks) if tasks else None,
            "durations": json.dumps(dict(durations or {})),
            "budget": budget,
            "now": time.time(),
        }
        rows = self.db.write(self.q.claim_jobs, values)
        return sorted((claimed_of(r) for r in rows), key=lambda c: (-c.priority, c.id))

    def top_waiting(
        self, system_units: int, queues: Sequence[str] | None, tasks: Sequence[str] | None
    ) -> int | None:
        """The highest priority of the jobs ready to start that fit ``system_units`` (of
        these queues/tasks, None: all); None when there are none."""
        row = self.db.fetchone(
            self.q.top_waiting,
            {
                "system_units": system_units,
                "queues": list(queues) if queues else None,
                "tasks": list(tasks) if tasks else None,
                "now": time.time(),
            },
        )
        return None if row is None or row["priority"] is None else int(row["priority"])

    def renew(self, worker: str, lease: float) -> list[tuple[int, str, bool]]:
        """The heartbeat: extend every lease ``worker`` holds. Returns (id, token,
        cancel_requested) of the attempts it still holds."""
        values = {"worker": worker, "lease": lease, "lease_until": time.time() + lease}
        rows = self.db.fetchall(self.q.renew_leases, values)
        return [(r["id"], str(r["token"]), bool(r["cancel_requested"])) for r in rows]

    def release(self, jobs: Sequence[Claimed]) -> None:
        """Give claimed attempts back untouched (they do not count as attempts)."""
        if not jobs:
            return
        with self.db.transaction():
            self.db.execute(
                self.q.release_jobs,
                {"ids": [j.id for j in jobs], "tokens": [j.token for j in jobs]},
            )

    def stop_renewing(self, job: Claimed, worker: str) -> bool:
        """Let the lease of an attempt whose end could not be recorded run out: ``worker``'s
        heartbeat no longer renews it, so the job runs again after its lease (counted as a
        lost attempt: failed after ``max_lost``). False when ``worker`` no longer holds it."""
        values = {"id": job.id, "token": job.token, "worker": worker}
        return bool(self.db.write(self.q.stop_renewing, values))

    def park(self, job: Claimed, dependency: int) -> bool:
        """Park ``job`` until job ``dependency`` ends; False when that one already ended."""
        with self.db.transaction():
            row = self.db.fetchone(
                self.q.park_job,
                {"id": job.id, "token": job.token, "dependency": dependency},
            )
        return row is not None

    def expire_leases(self, max_lost: int) -> tuple[list[LostAttempt], list[int]]:
        """Hand jobs whose lease ran out back to the queue (or fail them after
        ``max_lost`` lost attempts). Returns the lost attempts and the ids failed; the
        caller releases their dependants in the same transaction."""
        rows = self.db.fetchall(self.q.expire_leases, {"max_lost": max_lost, "now": time.time()})
        lost = [
            LostAttempt(
                r["id"],
                f"{r['type_key']}.{r['task_key']}",
                None if r["token"] is None else str(r["token"]),
                r["status"],
                as_datetime(r["started_at"]),
                r["error"],
                r["host"],
                arguments_of(r["arguments"]),
            )
            for r in rows
        ]
        return lost, [a.id for a in lost if a.status == JobState.FAILED]
