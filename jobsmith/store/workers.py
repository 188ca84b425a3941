"""Workers' own records in the store: who runs, where, how many slots, last heartbeat."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from jobsmith.store.base import Connector
from jobsmith.store.sql import Queries, load


class WorkerRepository:
    """Registers workers and their heartbeats (one short statement each)."""

    def __init__(self, connector: Connector) -> None:
        self.db = connector
        self.q: Queries = load(connector.dialect)

    def register(
        self,
        name: str,
        *,
        host: str,
        pid: int,
        concurrency: int,
        process_units: int,
        queues: Sequence[str] | None,
        lease: float,
        at: datetime,
    ) -> None:
        self.db.execute(
            self.q.register_worker,
            {
                "name": name,
                "host": host,
                "pid": pid,
                "concurrency": concurrency,
                "process_units": process_units,
                "queues": ",".join(queues) if queues else None,
                "lease": lease,
                "at": at,
            },
        )

    def beat(self, name: str, at: datetime) -> None:
        self.db.execute(self.q.beat_worker, {"name": name, "at": at})

    def stop(self, name: str, at: datetime) -> None:
        self.db.execute(self.q.stop_worker, {"name": name, "at": at})
