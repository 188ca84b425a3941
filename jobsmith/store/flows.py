"""Flow state in the store: where each task of a flow run stands, so a flow interrupted
by a crash continues where it stopped (see :mod:`jobsmith.flow.state`)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from jobsmith.store.base import Connector, Row, as_required_datetime, utcnow
from jobsmith.store.sql import Queries, load


@dataclass(frozen=True)
class FlowRunRecord:
    """One flow run's state: running, reverting, completed or failed."""

    flow_id: str
    name: str
    status: str
    store: str
    """The initial store, as JSON text."""
    error: str | None
    current: str | None
    """The task executing now (``jobsmith show``), from the tasks' states."""
    updated_at: datetime
    tries: dict[str, int] = field(default_factory=dict)
    """The try in progress of each retry controller, by its key in the flow."""


@dataclass(frozen=True)
class FlowTaskRecord:
    """One task of a flow run: its state, completion order, executions and result."""

    name: str
    state: str
    seq: int
    attempt: int
    result: str | None
    """What execute returned, as JSON text."""


def _run(row: Row) -> FlowRunRecord:
    return FlowRunRecord(
        flow_id=row["flow_id"],
        name=row["name"],
        status=row["status"],
        store=row["store"],
        error=row["error"],
        current=row["current"],
        updated_at=as_required_datetime(row["updated_at"]),
        tries=json.loads(row["tries"] or "{}"),
    )


class FlowRepository:
    """Reads and writes flow state; callers group writes with ``connector.transaction()``."""

    def __init__(self, connector: Connector) -> None:
        self.db = connector
        self.q: Queries = load(connector.dialect)

    def get(self, flow_id: str) -> FlowRunRecord | None:
        row = self.db.fetchone(self.q.flow_run_by_id, {"flow_id": flow_id})
        return _run(row) if row is not None else None

    def many(self, flow_ids: list[str]) -> dict[str, FlowRunRecord]:
        """The flow runs among ``flow_ids`` that keep state, by id."""
        if not flow_ids:
            return {}
        rows = self.db.fetchall(self.q.flow_runs_by_ids, {"ids": json.dumps(flow_ids)})
        return {r["flow_id"]: _run(r) for r in rows}

    def tasks(self, flow_id: str) -> list[FlowTaskRecord]:
        """The tasks of a flow run, in the order they completed (pending ones first)."""
        return [
            FlowTaskRecord(r["name"], r["state"], r["seq"], r["attempt"], r["result"])
            for r in self.db.fetchall(self.q.flow_tasks_of, {"flow_id": flow_id})
        ]

    def start(self, flow_id: str, name: str, store: str) -> None:
        """Start a flow run afresh (forgetting an earlier one under the same id)."""
        with self.db.transaction():
            self.db.execute(self.q.delete_flow_run, {"flow_id": flow_id})
            self.db.execute(
                self.q.insert_flow_run,
                {
                    "flow_id": flow_id,
                    "name": name,
                    "status": "running",
                    "store": store,
                    "updated_at": utcnow(),
                },
            )

    def set_status(self, flow_id: str, status: str, error: str | None = None) -> None:
        self.db.execute(
            self.q.set_flow_run,
            {"flow_id": flow_id, "status": status, "error": error, "updated_at": utcnow()},
        )

    def set_tries(self, flow_id: str, tries: Mapping[str, int]) -> None:
        """Record the try in progress of each retry controller (joins the caller's
        transaction)."""
        values = {"flow_id": flow_id, "tries": json.dumps(dict(tries)), "updated_at": utcnow()}
        self.db.execute(self.q.set_flow_tries, values)

    def set_task(
        self,
        flow_id: str,
        name: str,
        state: str,
        *,
        seq: int = 0,
        attempt: int = 0,
        result: str | None = None,
    ) -> None:
        self.db.execute(
            self.q.upsert_flow_task,
            {
                "flow_id": flow_id,
                "name": name,
                "state": state,
                "seq": seq,
                "attempt": attempt,
                "result": result,
                "updated_at": utcnow(),
            },
        )

    def add_pending(self, flow_id: str, names: list[str]) -> None:
        """Record the tasks of a flow run that starts, all pending."""
        now = utcnow()
        self.db.executemany(
            self.q.upsert_flow_task,
            [
                {
                    "flow_id": flow_id,
                    "name": name,
                    "state": "pending",
                    "seq": 0,
                    "attempt": 0,
                    "result": None,
                    "updated_at": now,
                }
                for name in names
            ],
        )

    def forget(self, flow_id: str) -> None:
        self.db.execute(self.q.delete_flow_run, {"flow_id": flow_id})
