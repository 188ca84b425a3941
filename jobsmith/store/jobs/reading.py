"""Reading the queue: one job, a task's jobs, counts (``jobsmith show``, burst workers)."""

from __future__ import annotations

import time
from collections.abc import Sequence

from jobsmith.errors import NotFoundError
from jobsmith.process import process_alive
from jobsmith.store.jobs.part import QueuePart
from jobsmith.store.jobs.records import JobRecord, record_of


class Reading(QueuePart):
    """Reads jobs; nothing here writes."""

    def get(self, job_id: int) -> JobRecord:
        row = self.db.fetchone(self.q.job_by_id, {"id": job_id})
        if row is None:
            raise NotFoundError(f"no job with id {job_id} in the queue")
        return record_of(row)

    def of_task(
        self, type_key: str, task_key: str, status: str | None = None, limit: int = 50
    ) -> list[JobRecord]:
        rows = self.db.fetchall(
            self.q.jobs_of_task,
            {"type_key": type_key, "task_key": task_key, "status": status, "limit": limit},
        )
        return [record_of(r) for r in rows]

    def counts(self) -> list[tuple[str, str, str, int]]:
        """(type_key, task_key, status, count) for every task and status present."""
        rows = self.db.fetchall(self.q.count_by_task)
        return [(r["type_key"], r["task_key"], r["status"], int(r["n"])) for r in rows]

    def waiting_count(self, queues: Sequence[str] | None, tasks: Sequence[str] | None) -> int:
        """Jobs of these queues/tasks (None: all) waiting or parked."""
        return sum(self.waiting(queues, tasks, 2**31 - 1))

    def waiting(
        self, queues: Sequence[str] | None, tasks: Sequence[str] | None, system_units: int
    ) -> tuple[int, int]:
        """Jobs of these queues/tasks (None: all) waiting, parked, or held under a lease
        that ran out (they will be handed back): how many fit in ``system_units``
        process units, and how many need more."""
        row = self.db.fetchone(
            self.q.count_waiting,
            {
                "queues": list(queues) if queues else None,
                "tasks": list(tasks) if tasks else None,
                "system_units": system_units,
                "now": time.time(),
            },
        )
        return (int(row["n"] or 0), int(row["too_big"] or 0)) if row else (0, 0)

    def stranded(self, queues: Sequence[str] | None, tasks: Sequence[str] | None) -> int:
        """Parked jobs of these queues/tasks (None: all) that wait, directly or down a
        chain of parked jobs, on an active job of other queues/tasks: a worker serving
        only these cannot bring them on."""
        row = self.db.fetchone(
            self.q.count_stranded,
            {"queues": list(queues) if queues else None, "tasks": list(tasks) if tasks else None},
        )
        return int(row["n"] or 0) if row else 0

    def orphaned(self, queues: Sequence[str] | None, tasks: Sequence[str] | None, host: str) -> int:
        """Jobs of these queues/tasks (None: all) running under a lease not run out yet,
        held by a dead worker: one whose heartbeat stopped, or one on ``host`` (this
        machine) whose process is gone. Their lease runs out and they are handed back."""
        rows = self.db.fetchall(
            self.q.running_holders,
            {
                "queues": list(queues) if queues else None,
                "tasks": list(tasks) if tasks else None,
                "now": time.time(),
            },
        )
        return sum(
            int(r["n"])
            for r in rows
            if r["stale"] or (r["host"] == host and not process_alive(int(r["pid"])))
        )

    def active_count(self) -> int:
        row = self.db.fetchone(self.q.count_active)
        return int(row["n"]) if row else 0

    def attempts(self, job_id: int) -> list[int]:
        """The run-log job run ids of a job's attempts, oldest first."""
        return [r["id"] for r in self.db.fetchall(self.q.attempts_of_job, {"id": job_id})]

    def in_queue(self, limit: int = 1000) -> list[JobRecord]:
        """Jobs waiting, running or parked, in the order workers take them."""
        return [record_of(r) for r in self.db.fetchall(self.q.jobs_in_queue, {"limit": limit})]

    def units_in_use(self, host: str) -> int:
        """Process units taken by the jobs running on ``host``."""
        row = self.db.fetchone(self.q.units_in_use, {"host": host})
        return int(row["n"]) if row else 0
