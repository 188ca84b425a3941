"""Claiming fires in the store: each planned fire once, however many schedulers run.

Every decision about an entry's fire happens in one transaction that holds the entry's
lock: read the entry's unfinished fires, choose the new fire's state by the overlap
policy, insert the fire (the unique index turns a second claim of the same planned time
into nothing), and — when the scheduler posts to the queue — post the job. A scheduler
killed in the middle leaves either nothing (another claims the fire) or a committed row.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from jobsmith.runlog import Status
from jobsmith.schedule.entries import Entry
from jobsmith.schedule.policies import BUSY, Planned, overlap_state
from jobsmith.states import FireState, JobState
from jobsmith.store import FireRecord, Store, utcnow

__all__ = ["Claimed", "FireClaimer", "Poster"]

log = logging.getLogger(__name__)

Poster = Callable[[Entry, int, datetime], str]
"""Posts a fire's job to the queue inside the claim's transaction; returns the job id."""


@dataclass(frozen=True)
class Claimed:
    """A fire this scheduler claimed, and the state it took."""

    fire_id: int
    entry: Entry
    planned_at: datetime
    kind: str
    state: str
    note: str | None = None


class FireClaimer:
    """Claims and moves on the fires of one schedule for one scheduler instance."""

    def __init__(
        self, store: Store, schedule: str, owner: str, overlap: str, poster: Poster | None = None
    ) -> None:
        self.store = store
        self.repo = store.schedules
        self.schedule = schedule
        self.owner = owner
        self.overlap = overlap
        self.poster = poster

    @property
    def start_state(self) -> str:
        return FireState.QUEUED if self.poster else FireState.STARTING

    def claim(self, entry: Entry, planned: Planned, now: datetime) -> Claimed | None:
        """Claim one due fire; None when another scheduler already has it."""
        with self.store.connector.transaction():
            self.repo.lock_entry(self.schedule, entry.id)
            state, note = planned.action, None
            if planned.action == "run":
                policy = entry.overlap or self.overlap
                open_fires = self.repo.open_fires(self.schedule, entry.id)
                catch_up = planned.kind == "catch-up"
                state, note = overlap_state(open_fires, policy, self.start_state, catch_up)
            elif planned.action == "missed" and planned.kind == "scheduled":
                note = f"late by {now - planned.at} when a scheduler looked"
            fire_id = self.repo.claim(
                schedule=self.schedule,
                entry_id=entry.id,
                entry_name=entry.name,
                planned_at=planned.at,
                kind=planned.kind,
                state=state,
                claimed_by=self.owner,
                claimed_at=now,
                note=note,
            )
            if fire_id is None:
                return None
            self._post_if_queued(entry, fire_id, planned.at, state)
        return Claimed(fire_id, entry, planned.at, planned.kind, state, note)

    def record_missed_before(
        self, entry: Entry, first: datetime, until: datetime, now: datetime, why: str
    ) -> None:
        """One row standing for fires not listed one by one (``why``: too old, too many)."""
        note = (
            f"first of the fires missed before {until:%Y-%m-%d %H:%M:%S} UTC "
            f"({why}, not listed one by one)"
        )
        with self.store.connector.transaction():
            self.repo.claim(
                schedule=self.schedule,
                entry_id=entry.id,
                entry_name=entry.name,
                planned_at=first,
                kind="scheduled",
                state=FireState.MISSED,
                claimed_by=self.owner,
                claimed_at=now,
                note=note,
            )

    def promote(self, entry: Entry) -> Claimed | None:
        """Start the entry's waiting (buffered) fire if its previous run has ended."""
        with self.store.connector.transaction():
            self.repo.lock_entry(self.schedule, entry.id)
            open_fires = self.repo.open_fires(self.schedule, entry.id)
            waiting = [f for f in open_fires if f.state == FireState.BUFFERED]
            if not waiting or any(f.state in BUSY for f in open_fires):
                return None
            fire = self._take(waiting[0], FireState.BUFFERED, self.start_state)
            if fire is None:
                return None
            self._post_if_queued(entry, fire.id, fire.planned_at, fire.state)
        return Claimed(fire.id, entry, fire.planned_at, fire.kind, fire.state, "previous run ended")

    def orphans(self, dead_after: int) -> list[FireRecord]:
        """Fires that a dead scheduler was starting or running."""
        return self.repo.orphaned(self.schedule, utcnow() - timedelta(seconds=dead_after))

    def adopt(self, fire: FireRecord) -> FireRecord | None:
        """Take over a fire a dead scheduler claimed but had not started."""
        return self._take(fire, FireState.STARTING, FireState.STARTING)

    def interrupt(self, fire: FireRecord, why: str) -> bool:
        """Mark a fire whose scheduler died during the run; its run log entry fails too."""
        taken = self._take(fire, FireState.RUNNING, FireState.INTERRUPTED)
        if taken is None:
            return False
        self.repo.update(
            fire.id, FireState.INTERRUPTED, ended_at=utcnow(), status=Status.FAILED, note=why
        )
        if fire.run_id is not None:
            self.store.runs.end_job(fire.run_id, ended_at=utcnow(), status="Failed", error=why)
        return True

    def posted_but_ended(self) -> list[tuple[FireRecord, str]]:
        """Posted fires whose queue job ended without finishing them (cancelled, failed
        before the run, lost too often) end *interrupted*; returns each with the reason."""
        ended = []
        for fire, job_status, job_error in self.repo.fires_of_ended_jobs(self.schedule):
            why = f"queue job {fire.job_id} {job_status}" + (f": {job_error}" if job_error else "")
            taken = self.repo.take(
                fire.id,
                from_state=fire.state,
                from_owner=fire.claimed_by,
                state=FireState.INTERRUPTED,
                owner=fire.claimed_by,
            )
            if taken is None:  # a worker moved it on meanwhile
                continue
            status = Status.CANCELLED if job_status == JobState.CANCELLED else Status.FAILED
            self.repo.update(
                fire.id, FireState.INTERRUPTED, ended_at=utcnow(), status=status, note=why
            )
            if (
                fire.run_id is not None
                and self.store.runs.get(fire.run_id).status == Status.RUNNING
            ):
                self.store.runs.end_job(fire.run_id, ended_at=utcnow(), status=status, error=why)
            ended.append((fire, why))
        return ended

    def _take(self, fire: FireRecord, from_state: str, state: str) -> FireRecord | None:
        return self.repo.take(
            fire.id,
            from_state=from_state,
            from_owner=fire.claimed_by,
            state=state,
            owner=self.owner,
        )

    def _post_if_queued(self, entry: Entry, fire_id: int, planned: datetime, state: str) -> None:
        if state == FireState.QUEUED and self.poster is not None:
            job_id = self.poster(entry, fire_id, planned)
            self.repo.update(fire_id, FireState.QUEUED, job_id=job_id)
