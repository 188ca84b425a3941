"""Records as JSON values for the API (times as ISO 8601 in UTC)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from jobsmith.dashboard.schedule import EntryView
from jobsmith.queue.execute import shown_parameters
from jobsmith.store import FireRecord, JobRunRecord, TaskRunRecord
from jobsmith.store.jobs import JobRecord
from jobsmith.store.views import WorkerRow


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def seconds(span: timedelta | None) -> float | None:
    return None if span is None else round(span.total_seconds(), 6)


def _value(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, timedelta):
        return seconds(value)
    return value


def _fields(record: Any, names: Mapping[str, str]) -> dict[str, Any]:
    """``record``'s attributes under their JSON names (times in ISO 8601, spans in
    seconds)."""
    return {key: _value(getattr(record, attribute)) for key, attribute in names.items()}


def _names(spec: str) -> dict[str, str]:
    """``"id job=job_name"`` → ``{"id": "id", "job": "job_name"}`` (JSON name → attribute)."""
    pairs = (word.partition("=") for word in spec.split())
    return {key: attribute or key for key, _, attribute in pairs}


_RUN = _names(
    "id guid job=job_name kind environment status started=started_at ended=ended_at"
    " duration who=executed_by host pid error"
)
_TASK_RUN = _names("id name kind status started=started_at ended=ended_at duration error output")
_JOB = _names(
    "id task=name queue priority process_units status attempts created=created_at"
    " started=started_at ended=ended_at run_after worker host waiting_on parent=parent_id"
    " cancel_requested error"
)
_WORKER = _names(
    "worker host pid state alive concurrency host_process_units=host_units"
    " process_units_in_use=units jobs=job_ids started=started_at last_heartbeat=heartbeat_at"
    " lease_until"
)
_FIRE = _names(
    "id planned=planned_at kind state started=started_at ended=ended_at run_id job_id status"
    " by=claimed_by note"
)


def run(r: JobRunRecord) -> dict[str, Any]:
    return _fields(r, _RUN)


def task_run(t: TaskRunRecord) -> dict[str, Any]:
    # parameters were masked when they were recorded
    return {**_fields(t, _TASK_RUN), "parameters": dict(t.parameters)}


def edge(task: str, depends_on: str) -> dict[str, str]:
    """One dependency of a graph or flow run: ``task`` runs after ``depends_on``."""
    return {"task": task, "depends_on": depends_on}


def job(j: JobRecord) -> dict[str, Any]:
    return {**_fields(j, _JOB), "arguments": dict(shown_parameters(j.arguments))}


def worker(w: WorkerRow) -> dict[str, Any]:
    return {**_fields(w, _WORKER), "queues": w.queues.split(",") if w.queues else None}


def fire(f: FireRecord) -> dict[str, Any]:
    return _fields(f, _FIRE)


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
