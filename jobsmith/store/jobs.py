"""The job queue's records in the store: task definitions, jobs, attempts.

The contract (the same on both databases, SQL in ``queries/queue.sql``):

- :meth:`JobRepository.insert` / :meth:`insert_many` queue jobs; a *unique* job
  identical (task and arguments) to one still waiting, running or parked is not queued
  again: the active one comes back with ``created=False``. Both join an outer
  ``connector.transaction()``, so a caller can post atomically with its own writes.
- :meth:`claim` takes jobs for an attempt: highest priority first, then oldest, only
  those that fit the host's free process units. Each attempt gets a fresh ``token`` and a
  lease; :meth:`renew` (the heartbeat), :meth:`finish`, :meth:`release` and :meth:`park`
  act only while that token still names the job's current attempt.
- :meth:`expire` hands jobs whose lease ran out back to the queue (any live worker calls
  it; no sweeper to schedule).
"""

from __future__ import annotations

import json
import sqlite3
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

from jobsmith.errors import NotFoundError, StoreError
from jobsmith.store.base import Connector, Row, as_datetime
from jobsmith.store.sql import Queries, load

if TYPE_CHECKING:
    import psycopg

    from jobsmith.store.postgres import PostgresConnector

ACTIVE = ("waiting", "running", "parked")


def transient_errors() -> tuple[type[Exception], ...]:
    """Errors after which a worker waits and tries again (the server restarting, a busy
    file). psycopg's count only once it is loaded (a PostgreSQL store was opened)."""
    found: tuple[type[Exception], ...] = (sqlite3.OperationalError, StoreError)
    psycopg = sys.modules.get("psycopg")
    if psycopg is not None:
        found += (psycopg.OperationalError, psycopg.InterfaceError)
    return found


ENDED = ("completed", "failed", "cancelled")


def epoch_datetime(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


@dataclass(frozen=True, slots=True)
class NewJob:
    """A job to queue, its arguments already checked against its task."""

    type_key: str
    task_key: str
    arguments: dict[str, Any]
    priority: int = 0
    process_units: int = 1
    queue: str = "default"
    unique: bool = True
    run_after: datetime | None = None


@dataclass(frozen=True, slots=True)
class Posted:
    """What posting one job gave: its id and whether it is new or an active duplicate."""

    id: int
    status: str
    created: bool


@dataclass(slots=True)
class Claimed:
    """One attempt a worker holds."""

    id: int
    type_key: str
    task_key: str
    queue: str
    arguments: dict[str, Any]
    priority: int
    process_units: int
    attempts: int
    token: str
    cancel_requested: bool = False

    @property
    def name(self) -> str:
        return f"{self.type_key}.{self.task_key}"


@dataclass(slots=True)
class Outcome:
    """How an attempt ended: ``status`` is completed, failed, cancelled, or waiting (retry
    at ``run_after``). ``parameters`` are the masked values for the run log."""

    job: Claimed
    status: str
    started: float
    ended: float
    error: str | None = None
    run_after: float | None = None
    task_kind: str = "QueueTask"
    parameters: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class LostAttempt:
    """An attempt whose worker stopped renewing its lease."""

    id: int
    name: str
    token: str | None
    status: str
    started: datetime | None
    error: str
    host: str | None
    arguments: dict[str, Any]


@dataclass(frozen=True)
class JobRecord:
    """One job as stored (for ``jobsmith show``)."""

    id: int
    type_key: str
    task_key: str
    queue: str
    arguments: dict[str, Any]
    priority: int
    process_units: int
    status: str
    attempts: int
    lost: int
    created_at: datetime | None
    started_at: datetime | None
    ended_at: datetime | None
    lease_until: datetime | None
    run_after: datetime | None
    worker: str | None
    host: str | None
    waiting_on: int | None
    cancel_requested: bool
    error: str | None

    @property
    def name(self) -> str:
        return f"{self.type_key}.{self.task_key}"


def canonical_json(value: Any) -> str:
    """The one text of a JSON value that equal values share (sorted keys, no spaces)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _arguments(value: Any) -> dict[str, Any]:
    loaded = json.loads(value) if isinstance(value, str | bytes) else value
    return loaded if type(loaded) is dict else dict(loaded or {})


def _record(row: Row) -> JobRecord:
    return JobRecord(
        id=row["id"],
        type_key=row["type_key"],
        task_key=row["task_key"],
        queue=row["queue"],
        arguments=_arguments(row["arguments"]),
        priority=row["priority"],
        process_units=row["process_units"],
        status=row["status"],
        attempts=row["attempts"],
        lost=row["lost"],
        created_at=as_datetime(row["created_at"]),
        started_at=as_datetime(row["started_at"]),
        ended_at=as_datetime(row["ended_at"]),
        lease_until=as_datetime(row["lease_until"]),
        run_after=as_datetime(row["run_after"]),
        worker=row["worker"],
        host=row["host"],
        waiting_on=row["waiting_on"],
        cancel_requested=bool(row["cancel_requested"]),
        error=row["error"],
    )


def _definition(row: Row) -> dict[str, Any]:
    found = dict(row)
    for key in ("parameters", "write_all"):
        if isinstance(found[key], str):
            found[key] = json.loads(found[key])
    return found


def _claimed(row: Row) -> Claimed:
    return Claimed(
        row["id"],
        row["type_key"],
        row["task_key"],
        row["queue"],
        _arguments(row["arguments"]),
        row["priority"],
        row["process_units"],
        row["attempts"],
        str(row["token"]),
        bool(row["cancel_requested"]),
    )


class JobRepository:
    """Writes and reads the queue. Every method is one short transaction (or joins one)."""

    def __init__(self, connector: Connector) -> None:
        self.db = connector
        self.q: Queries = load(connector.dialect)
        self.postgres = connector.dialect == "postgresql"
        self._listen = threading.local()

    # -- task definitions -----------------------------------------------------------------
    def publish(self, definitions: Iterable[dict[str, Any]]) -> None:
        """Write task definitions (``type_key``, ``task_key``, ``parameters`` …)."""
        now = datetime.now(UTC)
        rows = [
            {
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
        if row is None:
            return None
        return _definition(row)

    def definitions(self) -> list[dict[str, Any]]:
        return [_definition(r) for r in self.db.fetchall(self.q.task_definitions)]

    # -- posting --------------------------------------------------------------------------
    def insert(self, job: NewJob) -> Posted:
        """Queue one job (or find the active unique job it duplicates)."""
        values = self._values(job)
        row = self.db.fetchone(self.q.insert_job, values)
        if row is not None:
            return Posted(int(row["id"]), row["status"], True)
        return self._duplicate(values)

    def insert_many(self, jobs: Sequence[NewJob]) -> list[Posted]:
        """Queue many jobs in one transaction; one result per job, in order."""
        if not jobs:
            return []
        with self.db.transaction():
            if not self.postgres:
                return [self.insert(job) for job in jobs]
            posted: list[Posted] = []
            for group in _groups(jobs):
                posted.extend(self._insert_group(group))
            return posted

    def _insert_group(self, jobs: Sequence[NewJob]) -> list[Posted]:
        """Jobs that differ only in their arguments, in one statement."""
        head = self._values(jobs[0])
        head["arguments"] = json.dumps([job.arguments for job in jobs])
        ids = [int(r["id"]) for r in self.db.fetchall(self.q.insert_jobs, head)]
        if len(ids) == len(jobs):  # nothing skipped: the ids come back in the jobs' order
            return [Posted(job_id, "waiting", True) for job_id in ids]
        made, seen = set(ids), set()
        found = []
        for job in jobs:  # some were duplicates: find each job's active twin
            result = self._duplicate(self._values(job))
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
        row = self.db.fetchone(self.q.insert_job, {**values, "is_unique": False})
        assert row is not None
        return Posted(int(row["id"]), row["status"], True)

    @staticmethod
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

    # -- claiming and leases --------------------------------------------------------------
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
    ) -> list[Claimed]:
        """Take up to ``limit`` jobs for attempts (see the module docstring)."""
        if self.postgres:
            rows = self.db.fetchall(
                self.q.claim_jobs,
                {
                    "worker": worker,
                    "host": host,
                    "limit": limit,
                    "system_units": system_units,
                    "lease": lease,
                    "queues": list(queues) if queues else None,
                    "tasks": list(tasks) if tasks else None,
                },
            )
            return [_claimed(r) for r in rows]
        with self._write_turn():
            row = self.db.fetchone(self.q.units_in_use, {"host": host})
            free = system_units - int(row["n"] if row else 0)
            if free <= 0:
                return []
            return self._claim_sqlite(worker, host, limit, free, lease, queues, tasks)

    def _claim_sqlite(
        self,
        worker: str,
        host: str,
        limit: int,
        free: int,
        lease: float,
        queues: Sequence[str] | None,
        tasks: Sequence[str] | None,
    ) -> list[Claimed]:
        now = time.time()
        candidates = self.db.fetchall(
            self.q.claim_candidates,
            {
                "now": now,
                "free_units": free,
                "limit": limit,
                "queues": json.dumps(list(queues)) if queues else None,
                "tasks": json.dumps(list(tasks)) if tasks else None,
            },
        )
        chosen: list[int] = []
        order: dict[int, int] = {}
        for candidate in candidates:
            if candidate["process_units"] > free:
                break
            free -= candidate["process_units"]
            order[candidate["id"]] = len(chosen)
            chosen.append(candidate["id"])
        if not chosen:
            return []
        rows = self.db.fetchall(
            self.q.claim_jobs,
            {
                "ids": json.dumps(chosen),
                "now": now,
                "lease_until": now + lease,
                "worker": worker,
                "host": host,
            },
        )
        return sorted((_claimed(r) for r in rows), key=lambda c: order[c.id])

    def finish_and_claim(
        self, outcomes: Sequence[Outcome], run_log: dict[str, Any] | None, **claim: Any
    ) -> list[Claimed]:
        """End attempts (as :meth:`finish`) and claim the next jobs (as :meth:`claim`) in
        one transaction: on SQLite, one turn of the write lock instead of two."""
        with self._write_turn():
            self.finish(outcomes, run_log)
            return self.claim(**claim)

    @contextmanager
    def _write_turn(self) -> Iterator[None]:
        """A transaction; on SQLite its write lock is taken by polling every 100 µs.

        SQLite's own busy handler sleeps 1, 2, 5, 10 … ms between tries, so a worker that
        commits and begins again at once keeps the lock from the others for good; polling
        lets a waiting worker take its turn while the other runs its batch."""
        if self.postgres:
            with self.db.transaction():
                yield
            return
        with ExitStack() as stack:
            row = self.db.fetchone(self.q.busy_timeout)
            wait_ms = int(row["timeout"]) if row else 30_000
            self.db.execute(self.q.set_busy_timeout.format(ms=0))
            try:
                deadline = time.monotonic() + wait_ms / 1000
                while True:
                    try:
                        stack.enter_context(self.db.transaction())
                        break
                    except sqlite3.OperationalError as exc:
                        if "locked" not in str(exc) or time.monotonic() > deadline:
                            raise
                        time.sleep(0.0001)
            finally:
                self.db.execute(self.q.set_busy_timeout.format(ms=wait_ms))
            yield

    def renew(self, worker: str, lease: float) -> list[tuple[int, str, bool]]:
        """The heartbeat: extend every lease ``worker`` holds. Returns (id, token,
        cancel_requested) of the attempts it still holds."""
        values = {"worker": worker, "lease": lease, "lease_until": time.time() + lease}
        rows = self.db.fetchall(self.q.renew_leases, values)
        return [(r["id"], str(r["token"]), bool(r["cancel_requested"])) for r in rows]

    def expire(self, max_lost: int) -> list[LostAttempt]:
        """Hand jobs whose lease ran out back to the queue (or fail them after ``max_lost``
        lost attempts); their dependants are released. Returns the lost attempts."""
        now = time.time()
        with self.db.transaction():
            if self.postgres:
                rows = self.db.fetchall(self.q.expire_leases, {"max_lost": max_lost})
                tokens = {r["id"]: (r["token"], r["host"], r["started_at"]) for r in rows}
            else:
                before = self.db.fetchall(self.q.lost_attempts, {"now": now})
                tokens = {r["id"]: (r["token"], r["host"], r["started_at"]) for r in before}
                rows = self.db.fetchall(self.q.expire_leases, {"max_lost": max_lost, "now": now})
            failed = [r["id"] for r in rows if r["status"] == "failed"]
            if failed:
                self.release_dependants(failed)
        return [
            LostAttempt(
                r["id"],
                f"{r['type_key']}.{r['task_key']}",
                tokens[r["id"]][0],
                r["status"],
                as_datetime(tokens[r["id"]][2]),
                r["error"],
                tokens[r["id"]][1],
                _arguments(r["arguments"]),
            )
            for r in rows
        ]

    # -- ending attempts --------------------------------------------------------------------
    def finish(self, outcomes: Sequence[Outcome], run_log: dict[str, Any] | None) -> set[int]:
        """End attempts and record them in the run log (``run_log`` holds environment,
        executed_by, host and pid; None records nothing), atomically. An attempt whose
        token no longer names its job's current attempt changes nothing in the queue (its
        run is still logged). Returns the ids of the jobs actually ended."""
        if not outcomes:
            return set()
        rows = json.dumps([_row(o, run_log is not None) for o in outcomes])
        if self.postgres:
            query = self.q.finish_jobs if run_log is None else self.q.finish_and_log_jobs
            found = self.db.fetchall(query, {**(run_log or {}), "rows": rows})
            return {r["id"] for r in found}
        with self._write_turn():
            found = self.db.fetchall(self.q.finish_jobs, {"rows": rows})
            ended = [r["id"] for r in found if r["status"] in ENDED]
            if ended:
                self.release_dependants(ended)
            if run_log is not None:
                self._log_sqlite(rows, run_log)
        return {r["id"] for r in found}

    def release_dependants(self, ids: Sequence[int]) -> None:
        """Wake (or fail) jobs parked on jobs that ended, and theirs in turn."""
        if self.postgres:
            self.db.execute(self.q.release_dependants, {"ids": list(ids)})
            return
        todo = list(ids)
        while todo:
            rows = self.db.fetchall(
                self.q.release_dependants, {"ids": json.dumps(todo), "now": time.time()}
            )
            todo = [r["id"] for r in rows if r["status"] == "failed"]

    def _log_sqlite(self, rows: str, who: dict[str, Any]) -> None:
        values = {**who, "rows": rows}
        self.db.execute(self.q.log_attempt_jobs, values)
        self.db.execute(self.q.log_attempt_tasks, values)
        self.db.execute(self.q.log_attempt_parameters, values)

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
            outcomes.append(Outcome(job, "failed", started, now, attempt.error))
        if not outcomes:
            return
        who = {**who, "host": lost[0].host or who["host"]}
        rows = json.dumps([_row(o, True) for o in outcomes])
        if self.postgres:  # their tokens were cleared: only the run-log part has an effect
            self.db.fetchall(self.q.finish_and_log_jobs, {**who, "rows": rows})
        else:
            with self.db.transaction():
                self._log_sqlite(rows, who)

    def release(self, jobs: Sequence[Claimed]) -> None:
        """Give claimed attempts back untouched (they do not count as attempts)."""
        if not jobs:
            return
        with self.db.transaction():
            if self.postgres:
                self.db.execute(
                    self.q.release_jobs,
                    {"ids": [j.id for j in jobs], "tokens": [j.token for j in jobs]},
                )
            else:
                self.db.executemany(
                    self.q.release_job, [{"id": j.id, "token": j.token} for j in jobs]
                )

    def park(self, job: Claimed, dependency: int) -> bool:
        """Park ``job`` until job ``dependency`` ends; False when that one already ended."""
        with self.db.transaction():
            row = self.db.fetchone(
                self.q.park_job,
                {"id": job.id, "token": job.token, "dependency": dependency},
            )
        return row is not None

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

    # -- cancelling and reading -------------------------------------------------------------
    def cancel(self, job_id: int) -> str:
        """Cancel a job: at once when it has not started, else ask its worker. Returns
        ``"cancelled"``, ``"requested"`` (it is running) or ``"ended"`` (it already was)."""
        with self.db.transaction():
            if self.db.fetchone(self.q.cancel_waiting, {"id": job_id, "now": datetime.now(UTC)}):
                self.release_dependants([job_id])
                return "cancelled"
            if self.db.fetchone(self.q.request_cancel, {"id": job_id}):
                if self.postgres:
                    self.db.execute(self.q.notify_workers, {"payload": f"cancel {job_id}"})
                return "requested"
        self.get(job_id)  # raises NotFoundError for an unknown id
        return "ended"

    def retry(self, job_id: int) -> int | None:
        """Put a failed or cancelled job back in the queue (waiting, as if new). Returns
        the id of an active identical job that stops it (nothing changed), else None;
        raises ValueError naming the status when the job has not failed or been cancelled."""
        with self.db.transaction():
            twin = self.db.fetchone(self.q.active_twin_of_job, {"id": job_id})
            if twin is not None:
                return int(twin["id"])
            if self.db.fetchone(self.q.retry_ended_job, {"id": job_id}) is None:
                status = self.get(job_id).status  # raises NotFoundError for an unknown id
                raise ValueError(status)
        return None

    def get(self, job_id: int) -> JobRecord:
        row = self.db.fetchone(self.q.job_by_id, {"id": job_id})
        if row is None:
            raise NotFoundError(f"no job with id {job_id} in the queue")
        return _record(row)

    def of_task(
        self, type_key: str, task_key: str, status: str | None = None, limit: int = 50
    ) -> list[JobRecord]:
        rows = self.db.fetchall(
            self.q.jobs_of_task,
            {"type_key": type_key, "task_key": task_key, "status": status, "limit": limit},
        )
        return [_record(r) for r in rows]

    def counts(self) -> list[tuple[str, str, str, int]]:
        """(type_key, task_key, status, count) for every task and status present."""
        rows = self.db.fetchall(self.q.count_by_task)
        return [(r["type_key"], r["task_key"], r["status"], int(r["n"])) for r in rows]

    def waiting_count(self, queues: Sequence[str] | None, tasks: Sequence[str] | None) -> int:
        """Jobs of these queues/tasks (None: all) waiting or parked."""
        if self.postgres:
            values: dict[str, Any] = {"queues": queues, "tasks": tasks}
        else:
            values = {
                "queues": json.dumps(list(queues)) if queues else None,
                "tasks": json.dumps(list(tasks)) if tasks else None,
            }
        row = self.db.fetchone(self.q.count_waiting, values)
        return int(row["n"]) if row else 0

    def active_count(self) -> int:
        row = self.db.fetchone(self.q.count_active)
        return int(row["n"]) if row else 0

    def attempts(self, job_id: int) -> list[int]:
        """The run-log job run ids of a job's attempts, oldest first."""
        return [r["id"] for r in self.db.fetchall(self.q.attempts_of_job, {"id": job_id})]

    def listener(self) -> psycopg.Connection[Any]:
        """A new PostgreSQL connection LISTENing on this schema's channel (its
        ``notifies()`` yields the wake-ups); the caller closes it."""
        from jobsmith.store.migrate import quote

        channel = self.channel()
        conn = self._postgres_connector().connect()
        conn.execute(self.q.listen.format(channel=quote(str(channel))))
        return conn

    def wait_for_notice(self, timeout: float) -> bool:
        """PostgreSQL: wait on this thread's own connection (LISTENing on it first) for a
        notification, at most ``timeout`` seconds; True when one came. The claim that
        follows then runs on the server process that has just woken: an idle worker's
        quickest path to a new job."""
        conn = self._listening_connection()
        for _ in conn.notifies(timeout=timeout, stop_after=1):
            return True
        return False

    def drop_notices(self) -> bool:
        """Forget the notifications this thread's connection received meanwhile (they
        pile up while a worker is busy); True when there were any."""
        conn = getattr(self._listen, "conn", None)
        if conn is None or conn is not self._postgres_connector().connection:
            return False
        return any(True for _ in conn.notifies(timeout=0))

    def _listening_connection(self) -> psycopg.Connection[Any]:
        conn = self._postgres_connector().connection
        if getattr(self._listen, "conn", None) is not conn:  # new, or reconnected
            from jobsmith.store.migrate import quote

            conn.execute(self.q.listen.format(channel=quote(str(self.channel()))))
            self._listen.conn = conn
        return conn

    def _postgres_connector(self) -> PostgresConnector:
        """The store's transport, which is PostgreSQL's wherever LISTEN is used."""
        return cast("PostgresConnector", self.db)

    def data_version(self) -> int:
        """SQLite: a number that changes when another connection commits."""
        row = self.db.fetchone(self.q.data_version)
        return int(row["data_version"]) if row else 0

    def channel(self) -> str | None:
        """The LISTEN channel of this schema (PostgreSQL), else None."""
        if not self.postgres:
            return None
        row = self.db.fetchone(self.q.queue_channel)
        return str(row["channel"]) if row else None


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


def _row(o: Outcome, logged: bool) -> dict[str, Any]:
    """One ended attempt as a JSON object (finish_jobs and the run-log queries read it)."""
    row: dict[str, Any] = {
        "id": o.job.id,
        "token": o.job.token,
        "status": o.status,
        "error": o.error,
        "run_after": o.run_after,
        "ended": o.ended,
    }
    if logged:
        row["name"] = o.job.name
        row["started"] = o.started
        row["run_status"] = _RUN_STATUS[o.status]
        row["kind"] = o.task_kind
        row["params"] = dict(o.parameters)
    return row


# The run log's statuses (robojob's spelling) for the queue's; a retry is a failed attempt.
_RUN_STATUS = {
    "completed": "Completed",
    "failed": "Failed",
    "waiting": "Failed",
    "cancelled": "Cancelled",
}
