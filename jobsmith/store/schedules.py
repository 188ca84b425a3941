"""The scheduler's records in the store: schedules kept there, pauses, fires, live schedulers.

A *fire* is one planned (or manual) run of a schedule entry for a trigger time. A planned
fire is claimed by inserting its row; the unique (schedule, entry, planned time) index
makes that succeed for exactly one scheduler, so no leader is needed. The row then
records what became of the fire (queued, ran with its run id, skipped, missed, paused …).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jobsmith.store.base import Connector, Row, as_datetime, as_required_datetime
from jobsmith.store.sql import Queries, load

ENTRY_COLUMNS = (
    "id",
    "name",
    "description",
    "environment",
    "file",
    "month_day",
    "week_day",
    "hour",
    "minute",
    "second",
    "cron",
    "every",
    "parameters",
    "status",
    "catchup",
    "overlap",
    "persons",
)
"""The columns of a schedule entry kept in the store (the schedule file's, and more)."""


@dataclass(frozen=True)
class FireRecord:
    """One fire as stored."""

    id: int
    schedule: str
    entry_id: int
    entry_name: str
    planned_at: datetime
    kind: str
    state: str
    claimed_by: str
    claimed_at: datetime
    started_at: datetime | None = None
    ended_at: datetime | None = None
    run_id: int | None = None
    job_id: str | None = None
    status: str | None = None
    log_path: str | None = None
    note: str | None = None
    entry_deleted_at: datetime | None = None
    """When the job this fire belonged to was deleted (None while it exists)."""


@dataclass(frozen=True)
class InstanceRecord:
    """A scheduler process as stored."""

    id: str
    schedule: str
    host: str
    pid: int
    started_at: datetime
    heartbeat_at: datetime


def _fire(row: Row) -> FireRecord:
    values = dict(row)
    for name in ("planned_at", "claimed_at", "started_at", "ended_at", "entry_deleted_at"):
        values[name] = as_datetime(values[name])
    values["job_id"] = None if values["job_id"] is None else str(values["job_id"])
    return FireRecord(**values)


class ScheduleRepository:
    """Reads and writes the scheduler's tables. Claims run inside the caller's transaction."""

    def __init__(self, connector: Connector) -> None:
        self.db = connector
        self.q: Queries = load(connector.dialect)

    # -- schedules kept in the store -------------------------------------------------------
    def entries(self, schedule: str) -> list[dict[str, Any]]:
        """The entries of a schedule kept in the store, as column → value."""
        rows = self.db.fetchall(self.q.schedule_entries, {"schedule": schedule})
        return [{name: row[name] for name in ENTRY_COLUMNS} for row in rows]

    def save_entry(self, schedule: str, values: Mapping[str, Any], at: datetime) -> None:
        """Add or replace one entry (``values`` holds every name in ENTRY_COLUMNS)."""
        params = {name: values.get(name) for name in ENTRY_COLUMNS}
        with self.db.transaction():
            self.db.execute(
                self.q.save_schedule_entry, {**params, "schedule": schedule, "updated_at": at}
            )
            self.db.execute(self.q.bump_schedule_version, {"schedule": schedule})

    def delete_entry(self, schedule: str, entry_id: int) -> bool:
        """Remove one entry; False when there was none with that id."""
        with self.db.transaction():
            row = self.db.fetchone(
                self.q.delete_schedule_entry, {"schedule": schedule, "id": entry_id}
            )
            if row is not None:
                self.db.execute(self.q.bump_schedule_version, {"schedule": schedule})
        return row is not None

    def version(self, schedule: str) -> int:
        """Changes so far to a schedule kept in the store (0 when it has none)."""
        row = self.db.fetchone(self.q.schedule_version, {"schedule": schedule})
        return int(row["version"]) if row else 0

    # -- pauses ------------------------------------------------------------------------------
    def pause(self, schedule: str, entry_id: int, by: str, at: datetime) -> None:
        params = {"schedule": schedule, "entry_id": entry_id, "paused_at": at, "paused_by": by}
        self.db.execute(self.q.pause_entry, params)

    def resume(self, schedule: str, entry_id: int) -> bool:
        """Resume a paused entry; False when it was not paused."""
        params = {"schedule": schedule, "entry_id": entry_id}
        return self.db.fetchone(self.q.resume_entry, params) is not None

    def retire_entry(self, schedule: str, entry_id: int, at: datetime) -> None:
        """A job is deleted: its pause ends and its fires stay its own, apart from any job
        created later with the same id (whose history, pause and fires start empty)."""
        params = {"schedule": schedule, "entry_id": entry_id}
        with self.db.transaction():
            self.db.fetchone(self.q.resume_entry, params)
            self.db.execute(self.q.retire_entry_fires, {**params, "deleted_at": at})

    def paused(self, schedule: str) -> dict[int, tuple[datetime, str]]:
        """Paused entries: id → (since, by whom)."""
        rows = self.db.fetchall(self.q.paused_entries, {"schedule": schedule})
        return {r["entry_id"]: (as_required_datetime(r["paused_at"]), r["paused_by"]) for r in rows}

    # -- fires -------------------------------------------------------------------------------
    def lock_entry(self, schedule: str, entry_id: int) -> None:
        """Inside a transaction: one scheduler at a time decides about this entry's fires."""
        self.db.execute(self.q.lock_entry, {"key": f"jobsmith.schedule.{schedule}.{entry_id}"})

    def claim(
        self,
        *,
        schedule: str,
        entry_id: int,
        entry_name: str,
        planned_at: datetime,
        kind: str,
        state: str,
        claimed_by: str,
        claimed_at: datetime,
        note: str | None = None,
    ) -> int | None:
        """Insert a fire. A planned fire (kind ``scheduled``/``catch-up``) that another
        scheduler already claimed returns None; manual and backfill fires always insert."""
        params = {
            "schedule": schedule,
            "entry_id": entry_id,
            "entry_name": entry_name,
            "planned_at": planned_at,
            "kind": kind,
            "state": state,
            "claimed_by": claimed_by,
            "claimed_at": claimed_at,
            "note": note,
        }
        query = self.q.claim_fire if kind in ("scheduled", "catch-up") else self.q.insert_fire
        row = self.db.fetchone(query, params)
        return None if row is None else int(row["id"])

    def update(
        self,
        fire_id: int,
        state: str,
        *,
        started_at: datetime | None = None,
        ended_at: datetime | None = None,
        run_id: int | None = None,
        job_id: str | None = None,
        status: str | None = None,
        log_path: str | None = None,
        note: str | None = None,
    ) -> None:
        """Move a fire on; values left None keep what is stored."""
        self.db.execute(
            self.q.update_fire,
            {
                "id": fire_id,
                "state": state,
                "started_at": started_at,
                "ended_at": ended_at,
                "run_id": run_id,
                "job_id": job_id,
                "status": status,
                "log_path": log_path,
                "note": note,
            },
        )

    def get(self, fire_id: int) -> FireRecord | None:
        row = self.db.fetchone(self.q.fire_by_id, {"id": fire_id})
        return None if row is None else _fire(row)

    def open_fires(self, schedule: str, entry_id: int) -> list[FireRecord]:
        """An entry's planned fires not finished yet (queued, buffered, starting, running)."""
        rows = self.db.fetchall(self.q.open_fires, {"schedule": schedule, "entry_id": entry_id})
        return [_fire(r) for r in rows]

    def buffered_entries(self, schedule: str) -> list[int]:
        rows = self.db.fetchall(self.q.buffered_entries, {"schedule": schedule})
        return [int(r["entry_id"]) for r in rows]

    def take(
        self, fire_id: int, *, from_state: str, from_owner: str, state: str, owner: str
    ) -> FireRecord | None:
        """Move a fire from (state, owner) to (state, owner) if nobody else did first."""
        row = self.db.fetchone(
            self.q.take_fire,
            {
                "id": fire_id,
                "from_state": from_state,
                "from_owner": from_owner,
                "state": state,
                "claimed_by": owner,
            },
        )
        return None if row is None else _fire(row)

    def watermarks(self, schedule: str) -> dict[int, datetime]:
        """The newest planned time claimed per entry."""
        rows = self.db.fetchall(self.q.fire_watermarks, {"schedule": schedule})
        return {int(r["entry_id"]): as_required_datetime(r["planned_at"]) for r in rows}

    def history(self, schedule: str, entry_id: int, limit: int = 50) -> list[FireRecord]:
        """One entry's fires, newest first."""
        params = {"schedule": schedule, "entry_id": entry_id, "limit": limit}
        return [_fire(r) for r in self.db.fetchall(self.q.fire_history, params)]

    def orphaned(self, schedule: str, dead_before: datetime) -> list[FireRecord]:
        """Fires a dead scheduler was starting or running (not those posted to the queue)."""
        params = {"schedule": schedule, "dead_before": dead_before}
        return [_fire(r) for r in self.db.fetchall(self.q.orphaned_fires, params)]

    def fires_of_ended_jobs(self, schedule: str) -> list[tuple[FireRecord, str, str | None]]:
        """Posted fires still queued or running whose queue job ended: (fire, the job's
        status, its error)."""
        rows = self.db.fetchall(self.q.fires_of_ended_jobs, {"schedule": schedule})
        found = []
        for row in rows:
            values = dict(row)
            status, error = values.pop("job_status"), values.pop("job_error")
            found.append((_fire(values), str(status), error))
        return found

    # -- schedulers alive --------------------------------------------------------------------
    def register_instance(
        self, instance_id: str, schedule: str, host: str, pid: int, at: datetime
    ) -> None:
        params = {"id": instance_id, "schedule": schedule, "host": host, "pid": pid}
        self.db.execute(self.q.register_instance, {**params, "started_at": at})

    def heartbeat(self, instance_id: str, at: datetime) -> None:
        self.db.execute(self.q.instance_heartbeat, {"id": instance_id, "heartbeat_at": at})

    def stop_instance(self, instance_id: str, at: datetime) -> None:
        self.db.execute(self.q.stop_instance, {"id": instance_id, "stopped_at": at})

    def live_instances(self, schedule: str, since: datetime) -> list[InstanceRecord]:
        rows = self.db.fetchall(self.q.live_instances, {"schedule": schedule, "since": since})
        return [
            InstanceRecord(
                id=r["id"],
                schedule=r["schedule"],
                host=r["host"],
                pid=r["pid"],
                started_at=as_required_datetime(r["started_at"]),
                heartbeat_at=as_required_datetime(r["heartbeat_at"]),
            )
            for r in rows
        ]
