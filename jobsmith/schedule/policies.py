"""The scheduler's decisions, as pure functions: what becomes of due fires (catch-up) and
of a fire whose previous run is still going (overlap).

Catch-up — a fire is *late* when the scheduler handles it more than ``grace`` seconds
after its planned time (no scheduler ran then, or the clock jumped):

- ``none``: every late fire is recorded as missed;
- ``latest``: the newest late fire within the window runs (as a catch-up), the others are
  missed; when an on-time fire runs anyway, none is caught up;
- ``all``: the late fires within the window run, at most ``limit`` of them (the newest),
  oldest first; the others are missed.

Overlap — when the entry's previous planned run is queued or running:

- ``skip``: this fire is recorded as skipped;
- ``buffer-one``: this fire waits and starts when the previous run ends; a further
  fire while one is waiting is skipped;
- ``allow``: it starts anyway.

Catch-up fires run one after another: unless the policy is ``allow`` they wait for the
run before them, whatever the policy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from jobsmith.schedule.entries import CatchUp
from jobsmith.states import FireState
from jobsmith.store import FireRecord

__all__ = ["BUSY", "Planned", "overlap_state", "plan_fires"]

BUSY = (FireState.QUEUED, FireState.STARTING, FireState.RUNNING)


@dataclass(frozen=True)
class Planned:
    """What to do with one due fire: ``kind`` scheduled/catch-up, ``action`` run/missed/paused."""

    at: datetime
    kind: str
    action: str


def plan_fires(
    due: Sequence[datetime], now: datetime, grace: int, catchup: CatchUp, paused: bool
) -> list[Planned]:
    """Decide every due fire (oldest first) of one entry."""
    if paused:
        return [Planned(t, "scheduled", "paused") for t in due]
    late = [t for t in due if (now - t).total_seconds() > grace]
    on_time = [t for t in due if (now - t).total_seconds() <= grace]
    within = [t for t in late if (now - t).total_seconds() <= catchup.window]
    caught: set[datetime] = set()
    if catchup.policy == "latest" and within and not on_time:
        caught = {within[-1]}
    elif catchup.policy == "all" and catchup.limit > 0:
        caught = set(within[-catchup.limit :])
    plan = [
        Planned(t, "catch-up", "run") if t in caught else Planned(t, "scheduled", "missed")
        for t in late
    ]
    return plan + [Planned(t, "scheduled", "run") for t in on_time]


def overlap_state(
    open_fires: Sequence[FireRecord], policy: str, start_state: str, catch_up: bool = False
) -> tuple[str, str | None]:
    """The state a new fire takes given the entry's unfinished fires, and why."""
    busy = [f for f in open_fires if f.state in BUSY]
    waiting = [f for f in open_fires if f.state == FireState.BUFFERED]
    if policy == "allow" or not (busy or waiting):
        return start_state, None
    previous = busy[0] if busy else waiting[-1]
    reason = f"fire {previous.id} (planned {previous.planned_at:%Y-%m-%d %H:%M:%S} UTC) is {previous.state}"
    if catch_up:
        return FireState.BUFFERED, f"catch-up, waiting: {reason}"
    if policy == "skip":
        return FireState.SKIPPED, f"overlap: {reason}"
    if waiting:
        return FireState.SKIPPED, f"overlap: fire {waiting[0].id} is already waiting"
    return FireState.BUFFERED, f"waiting: {reason}"
