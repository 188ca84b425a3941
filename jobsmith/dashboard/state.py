"""What every endpoint reaches through ``request.app.state.dashboard``."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from jobsmith.dashboard.schedule import ScheduleBoard
from jobsmith.dashboard.security import Guard
from jobsmith.errors import NotFoundError
from jobsmith.queue.registry import Registry
from jobsmith.store import Store


@dataclass
class Dashboard:
    """The store it reads, the token guard, the schedule home (if any), the task registry."""

    store: Store
    guard: Guard
    board: ScheduleBoard | None = None
    registry: Registry | None = None

    def schedule(self) -> ScheduleBoard:
        if self.board is None:
            raise NotFoundError(
                "this dashboard shows no schedule: start it with --home DIR (a scheduler's folder)"
            )
        return self.board


def dashboard_of(request: Request) -> Dashboard:
    found: Dashboard = request.app.state.dashboard
    return found
