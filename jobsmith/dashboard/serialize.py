"""Records as JSON values for the API (times as ISO 8601 in UTC)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from jobsmith.dashboard.schedule import EntryView
from jobsmith.queue.execute import shown_parameters
from jobsmith.store import FireRecord, JobRunRecord, TaskRunRecord
from jobsmith.store.jobs import JobRecord
from jobsmith.store.views import QueueJobRow, WorkerRow


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def seconds(span: timedelta | None) -> float | None:
    return None if span is None else round(span.total_seconds(), 6)


def run(r: JobRunRecord) -> dict[str, Any]:
    return {
        "id": r.id,
        "guid": r.guid,
        "job": r.job_name,
        "kind": r.kind,
        "environment": r.environment,
        "status": r.status,
        "started": iso(r.started_at),
        "ended": iso(r.ended_at),
        "duration": seconds(r.duration),
        "who": r.executed_by,
        "host": r.host,
        "pid": r.pid,
        "error": r.error,
    }


def task_run(t: TaskRunRecord) -> dict[str, Any]:
    return {
        "id": t.id,
        "name": t.name,
        "kind": t.kind,
        "status": t.status,
        "started": iso(t.started_at),
        "ended": iso(t.ended_at),
        "duration": seconds(t.duration),
        "error": t.error,
        "output": t.output,
        "parameters": dict(t.parameters),  # masked when they were recorded
    }


def job(j: QueueJobRow | JobRecord) -> dict[str, Any]:
    return {
        "id": j.id,
        "task": j.name,
        "queue": j.queue,
        "arguments": dict(shown_parameters(j.arguments)),
        "priority": j.priority,
        "process_units": j.process_units,
        "status": j.status,
        "attempts": j.attempts,
        "created": iso(j.created_at),
        "started": iso(j.started_at),
        "ended": iso(j.ended_at),
        "run_after": iso(j.run_after),
        "worker": j.worker,
        "host": j.host,
        "waiting_on": j.waiting_on,
        "cancel_requested": j.cancel_requested,
        "error": j.error,
    }


def worker(w: WorkerRow) -> dict[str, Any]:
    return {
        "worker": w.worker,
        "host": w.host,
        "pid": w.pid,
        "state": w.state,
        "alive": w.alive,
        "concurrency": w.concurrency,
        "queues": w.queues.split(",") if w.queues else None,
        "host_process_units": w.host_units,
        "process_units_in_use": w.units,
        "jobs": w.job_ids,
        "started": iso(w.started_at),
        "last_heartbeat": iso(w.heartbeat_at),
        "lease_until": iso(w.lease_until),
    }


def fire(f: FireRecord) -> dict[str, Any]:
    return {
        "id": f.id,
        "planned": iso(f.planned_at),
        "kind": f.kind,
        "state": f.state,
        "started": iso(f.started_at),
        "ended": iso(f.ended_at),
        "run_id": f.run_id,
        "job_id": f.job_id,
        "status": f.status,
        "by": f.claimed_by,
        "note": f.note,
    }


def entry(v: EntryView) -> dict[str, Any]:
    return {
        "id": v.entry.id,
        "name": v.entry.name,
        "description": v.entry.description,
        "active": v.entry.active,
        "expression": str(v.entry.schedule),
        "words": v.words,
        "next": [iso(t) for t in v.upcoming],
        "paused": v.paused is not None,
        "paused_since": iso(v.paused[0]) if v.paused else None,
        "last_fire": fire(v.last) if v.last else None,
    }
