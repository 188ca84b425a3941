"""Posting: task definitions, queuing jobs (deduplicated), and the dependency lookups."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from jobsmith.states import JobState
from jobsmith.store.jobs.part import QueuePart
from jobsmith.store.jobs.records import (
    NewJob,
    Posted,
    canonical_json,
    definition_of,
    epoch_datetime,
)


class Posting(QueuePart):
    """Writes task definitions and jobs; both join an outer ``connector.transaction()``."""

    def publish(self, definitions: Iterable[dict[str, Any]]) -> None:
        """Write task definitions (``type_key``, ``task_key``, ``parameters`` …)."""
        now = datetime.now(UTC)
        rows = [
            {
                **_UNLIMITED,
                **d,
                "parameters": canonical_json(d["parameters"]),
                "write_all": canonical_json(d["write_all"]),
                "updated_at": now,
            }
            for d in definitions
        ]
        if rows:
            with self.db.transaction():
                self.db.executemany(self.q.upsert_task, rows)

    def definition(self, type_key: str, task_key: str) -> dict[str, Any] | None:
        """A published task definition, or None."""
        row = self.db.fetchone(self.q.task_definition, {"type_key": type_key, "task_key": task_key})
        return None if row is None else definition_of(row)

    def definitions(self) -> list[dict[str, Any]]:
        return [definition_of(r) for r in self.db.fetchall(self.q.task_definitions)]

    def insert(self, job: NewJob) -> Posted:
        """Queue one job (or find the active unique job it duplicates). A job that is not
        unique is a bare insert: nothing to deduplicate, so no ON CONFLICT path."""
        values = _values(job)
        if not job.unique:
            return self._insert_plain(values)
        rows = self.db.write(self.q.insert_job, values)  # SQLite: a polled write turn
        if rows:
            return Posted(int(rows[0]["id"]), rows[0]["status"], True)
        return self._duplicate(values)

    def insert_many(self, jobs: Sequence[NewJob]) -> list[Posted]:
        """Queue many jobs in one transaction; one result per job, in order. Consecutive
        jobs that differ only in their arguments go in one statement."""
        if not jobs:
            return []
        posted: list[Posted] = []
        with self.db.transaction():
            for group in _groups(jobs):
                posted.extend(self._insert_group(group))
        return posted

    def _insert_group(self, jobs: Sequence[NewJob]) -> list[Posted]:
        head = _values(jobs[0])
        head["arguments"] = json.dumps([canonical_json(job.arguments) for job in jobs])
        # ids grow in insertion order, which is the jobs' order
        ids = sorted(int(r["id"]) for r in self.db.fetchall(self.q.insert_jobs, head))
        if len(ids) == len(jobs):
            return [Posted(job_id, JobState.WAITING, True) for job_id in ids]
        made, seen = set(ids), set()
        found = []
        for job in jobs:  # some were duplicates: find each job's active twin
            result = self._duplicate(_values(job))
            created = result.id in made and result.id not in seen
            seen.add(result.id)
            found.append(Posted(result.id, result.status, created))
        return found

    def _duplicate(self, values: dict[str, Any]) -> Posted:
        row = self.db.fetchone(self.q.active_duplicate, values)
        if row is not None:
            return Posted(int(row["id"]), row["status"], False)
        # The active twin ended meanwhile, or (PostgreSQL) the arguments only share a hash
        # with an active job's: queue this one without the dedupe key.
        return self._insert_plain(values)

    def _insert_plain(self, values: dict[str, Any]) -> Posted:
        [row] = self.db.write(self.q.insert_job_plain, values)  # SQLite: a polled write turn
        return Posted(int(row["id"]), row["status"], True)

    def completed_since(
        self, type_key: str, task_key: str, arguments: dict[str, Any], since: float
    ) -> bool:
        """Whether a job of the task completed since ``since`` with arguments that include
        ``arguments`` (each of these keys, with an equal value)."""
        row = self.db.fetchone(
            self.q.completed_since,
            {
                "type_key": type_key,
                "task_key": task_key,
                "arguments": canonical_json(arguments),
                "since": epoch_datetime(since),
            },
        )
        return row is not None

    def active_including(
        self, type_key: str, task_key: str, arguments: dict[str, Any]
    ) -> int | None:
        """The oldest active job of the task whose arguments include ``arguments``."""
        row = self.db.fetchone(
            self.q.active_including,
            {"type_key": type_key, "task_key": task_key, "arguments": canonical_json(arguments)},
        )
        return int(row["id"]) if row else None


_UNLIMITED: dict[str, Any] = {
    "limit_key": None,
    "limit_arg": False,
    "max_running": None,
    "rate_count": None,
    "rate_window": None,
    "is_unique": True,
    "unique_key": None,
    "unique_for": None,
}
"""The limit and unique options of a definition that does not give them."""


def _values(job: NewJob) -> dict[str, Any]:
    return {
        "type_key": job.type_key,
        "task_key": job.task_key,
        "queue": job.queue,
        "arguments": canonical_json(job.arguments),
        "priority": job.priority,
        "process_units": job.process_units,
        "is_unique": job.unique,
        "run_after": job.run_after,
        "created_at": datetime.now(UTC),
    }


def _groups(jobs: Sequence[NewJob]) -> Iterator[list[NewJob]]:
    """Runs of consecutive jobs that differ only in their arguments."""
    group: list[NewJob] = []
    for job in jobs:
        if group and _head(job) != _head(group[0]):
            yield group
            group = []
        group.append(job)
    if group:
        yield group


def _head(job: NewJob) -> tuple[Any, ...]:
    return (
        job.type_key,
        job.task_key,
        job.queue,
        job.priority,
        job.process_units,
        job.unique,
        job.run_after,
    )
