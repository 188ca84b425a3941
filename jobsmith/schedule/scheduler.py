"""The scheduler: follows the schedule, claims every due fire once, runs or posts it.

::

    import jobsmith

    scheduler = jobsmith.Scheduler()   # the home is the folder of this script (runner's rule)
    scheduler.start()                  # until Ctrl+C / SIGTERM

Each *tick* (runner's "active phase") reloads the schedule if it changed, beats the
heartbeat, adopts or interrupts fires of schedulers that died, starts waiting
(buffer-one) fires whose previous run ended, and handles every entry whose next fire is
due: the fires between the entry's cursor and now are decided by the catch-up policy and
claimed in the store (see :mod:`jobsmith.schedule.fires`). Then it sleeps until the next
fire (at most ``POLL`` seconds, so schedule edits are seen). Any number of schedulers may
run against one store; each fire is claimed by exactly one.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_for
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from jobsmith.clock import Clock
from jobsmith.outbox import Outbox
from jobsmith.runlog import Status
from jobsmith.schedule.alarms import AlarmDigest, raise_alarm
from jobsmith.schedule.entries import Entry
from jobsmith.schedule.execute import EntryRunner
from jobsmith.schedule.fires import Claimed, FireClaimer, Poster
from jobsmith.schedule.home import Home, default_home
from jobsmith.schedule.logfile import timestamp
from jobsmith.schedule.policies import plan_fires
from jobsmith.schedule.schedulerlog import SchedulerLog
from jobsmith.schedule.sources import Changes, ScheduleWatcher, open_source
from jobsmith.states import FireState
from jobsmith.store import Store, open_store, utcnow

__all__ = ["Scheduler"]

log = logging.getLogger(__name__)

POLL = 1.0
"""Longest sleep between ticks, in seconds."""
JUMP_TOLERANCE = 2.0
"""Seconds the clock may drift from the elapsed time before it counts as a jump."""
MAX_LISTED = 1000
"""Late fires of one entry recorded one by one per tick; older ones are summed up."""


@dataclass
class _Track:
    """An active entry and how far its fires have been handled."""

    entry: Entry
    cursor: datetime
    next_fire: datetime | None


class Scheduler:
    """Runs a home's schedule. ``store``, ``clock`` and ``poster`` may be injected."""

    def __init__(
        self,
        home: Home | str | os.PathLike[str] | None = None,
        *,
        store: Store | None = None,
        clock: Clock | None = None,
        poster: Poster | None = None,
        config: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None = None,
        **settings: Any,
    ) -> None:
        """``config``: more config.ini files read after the home's (runner's
        ``Scheduler(config='C:/configs/myconfig.ini')``); ``settings``: [SCHEDULER] and
        [LOG] options (``name=``, ``desc=``, ``timezone=``, ``console=`` …), which win over
        every file."""
        configs = [config] if isinstance(config, (str, os.PathLike)) else list(config or ())
        if isinstance(home, Home):
            if configs or settings:
                raise TypeError("Scheduler(Home, config=/settings): give them to Home.load()")
            self.home = home
        else:
            self.home = Home.load(home or default_home(), configs=configs, overrides=settings)
        self.settings = self.home.settings
        self.name = self.settings.name
        self.clock = clock or self.home.clock()
        self._own_store = store is None
        self.store = store or open_store(
            self.home.store_url, self.home.schema, config=self.home.config
        )
        self.id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        if self.settings.mode == "post" and poster is None:
            from jobsmith.schedule.queued import QueuePoster  # the queue loads only to post

            poster = QueuePoster(self.home, self.store)
        self.claimer = FireClaimer(self.store, self.name, self.id, self.settings.overlap, poster)
        source = open_source(self.settings.source, self.home.schedule_path, self.store, self.name)
        self.watcher = ScheduleWatcher(source, self.settings.timezone)
        self.outbox = Outbox(f"{self.name}-alarms")
        """Alarms are sent from here, never from a tick or a run thread."""
        self.runner = EntryRunner(self.home, self.store, self.clock, self.outbox)
        self.alarms = AlarmDigest(
            self.home, send=functools.partial(raise_alarm, outbox=self.outbox)
        )
        self.tracks: dict[int, _Track] = {}
        # A bounded pool of run threads; each holds a store connection only while it records
        # a run's start or end (see _run), so a scheduler holds one connection, not one a run.
        self._pool = ThreadPoolExecutor(
            self.settings.max_runs, thread_name_prefix=f"{self.name}-run"
        )
        self.runs: dict[int, Future[None]] = {}
        self._processes: dict[int, subprocess.Popen[bytes]] = {}
        self._loaded = False
        self._previous_tick: datetime | None = None
        self._stop = threading.Event()
        self._force = False
        self._last: tuple[datetime, float] | None = None
        self._next_beat = 0.0
        self._registered = False

    # -- life ------------------------------------------------------------------------------
    def start(self, until: datetime | None = None) -> None:
        """Run until Ctrl+C or SIGTERM (a second one stops running jobs too), or until the
        clock reaches ``until``; runner's name. With ``[LOG] console = False`` the
        scheduler's messages also go to ``logs/<name>.log``."""
        if threading.current_thread() is threading.main_thread():
            for number in (signal.SIGINT, signal.SIGTERM):
                signal.signal(number, self._on_signal)
        handler = None if self.settings.console else self._log_file()
        try:
            self.run(until)
        finally:
            if handler is not None:
                logging.getLogger("jobsmith").removeHandler(handler)
                handler.close()

    def run(self, until: datetime | None = None) -> None:
        """Tick until stopped (or until the clock reaches ``until``), then wait for runs."""
        self.open()
        failures = 0
        try:
            while not self._stop.is_set():
                began = time.monotonic()
                try:
                    wake = self.tick()
                    failures = 0
                except Exception as exc:  # the store went away …: a daemon carries on
                    failures += 1
                    wake = None
                    log.error("Tick failed (%s); trying again", exc, exc_info=failures == 1)
                    self.clock.sleep(min(2**failures, 30))
                if self.settings.showdelay:
                    log.info("DELAY: %.5f", time.monotonic() - began)
                now = self.clock.now()
                if until is not None and now >= until:
                    break
                pause = POLL if wake is None else (wake - now).total_seconds()
                self.clock.sleep(min(max(pause, 0.0), POLL))
        finally:
            self.close()

    def stop(self, force: bool = False) -> None:
        """Stop ticking; with ``force`` also stop the jobs still running."""
        self._force = self._force or force
        self._stop.set()

    def _on_signal(self, number: int, frame: object) -> None:
        if self._stop.is_set():
            log.warning("Stopping now: running jobs are terminated")
            self.stop(force=True)
        else:
            log.info("Stopping: waiting for %d running job(s); repeat to stop them", len(self.runs))
            self.stop()

    def open(self) -> None:
        """Register this scheduler and read the schedule (``run`` does it)."""
        if self._registered:
            return
        host, pid = socket.gethostname(), os.getpid()
        self.store.schedules.register_instance(self.id, self.name, host, pid, utcnow())
        self._registered = True
        log.info(
            "%s started (%s, %s): %s",
            self.settings.description,
            self.id,
            self.clock,
            self.watcher.source.description,
        )

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the runs this scheduler started; False if some still run after ``timeout``."""
        _, pending = wait_for(list(self.runs.values()), timeout)
        return not pending

    def close(self) -> None:
        """Wait for this scheduler's runs (or stop them when forced) and sign off."""
        while self.runs:
            if self._force:
                for fire_id in list(self.runs):
                    self._terminate(fire_id)
            self.wait(0.5)
        self._pool.shutdown(wait=True)
        self.alarms.flush(force=True)
        self._deliver_alarms()
        if self._registered:
            self.store.schedules.stop_instance(self.id, utcnow())
            self._registered = False
        if self._own_store:
            self.store.close()
        log.info("%s stopped", self.settings.description)

    def _deliver_alarms(self) -> None:
        """Give the outbox the time to send (or give up on) each alarm still waiting."""
        timeout = (self.home.mail.timeout if self.home.mail else 30.0) + 1
        if not self.outbox.wait(timeout * max(self.outbox.pending, 1)):
            log.error("%d alarm(s) not sent: the mail server did not answer", self.outbox.pending)

    # -- one active phase --------------------------------------------------------------------
    def tick(self) -> datetime | None:
        """Do everything due now; returns when the next fire is due (None: nothing planned)."""
        self.open()
        now = self.clock.now()
        if self.settings.showtime:
            log.info("")
        self._check_jump(now)
        changes = self.watcher.refresh()
        if changes is not None:
            self._follow(changes, now)
        self._previous_tick = now
        self._beat()
        for entry_id in self.store.schedules.buffered_entries(self.name):
            if entry_id in self.tracks:
                self._promote(self.tracks[entry_id].entry)
        paused = set(self.store.schedules.paused(self.name))
        for track in list(self.tracks.values()):
            if track.next_fire is not None and track.next_fire <= now:
                self._handle_due(track, now, track.entry.id in paused)
        self.alarms.flush()
        upcoming = [t.next_fire for t in self.tracks.values() if t.next_fire is not None]
        return min(upcoming, default=None)

    def _check_jump(self, now: datetime) -> None:
        tick = self.clock.monotonic()
        if self._last is not None:
            last_now, last_tick = self._last
            drift = (now - last_now).total_seconds() - (tick - last_tick)
            if abs(drift) > JUMP_TOLERANCE:
                way = "forward" if drift > 0 else "back"
                what = (
                    "late fires follow the catch-up policy"
                    if drift > 0
                    else "fires already handled are not repeated"
                )
                log.warning(
                    "TIME IS BROKEN: the clock jumped %s by %s; %s",
                    way,
                    timedelta(seconds=round(abs(drift))),
                    what,
                )
        self._last = (now, tick)

    def _follow(self, changes: Changes, now: datetime) -> None:
        """Keep cursors of unchanged entries; new or changed entries start from the previous
        tick, and on the first load from the newest fire in the store (catch-up after
        downtime)."""
        first_load, self._loaded = not self._loaded, True
        since = self._previous_tick or now
        marks = self.store.schedules.watermarks(self.name) if first_load else {}
        tracks = {}
        for entry in self.watcher.entries.values():
            old = self.tracks.get(entry.id)
            if not entry.active:
                continue
            if old is not None and old.entry.schedule == entry.schedule:
                tracks[entry.id] = _Track(entry, old.cursor, old.next_fire)
                continue
            cursor = marks.get(entry.id, now) if first_load else min(since, now)
            tracks[entry.id] = _Track(entry, cursor, entry.schedule.next_after(cursor))
        self.tracks = tracks

    def _beat(self) -> None:
        """Heartbeat, and take care of the fires of schedulers that died."""
        if time.monotonic() < self._next_beat:
            return
        self._next_beat = time.monotonic() + self.settings.heartbeat
        self.store.schedules.heartbeat(self.id, utcnow())
        self._settle_posted()
        for fire in self.claimer.orphans(self.settings.dead_after):
            track = self.tracks.get(fire.entry_id)
            if fire.state == FireState.STARTING and track is not None:
                adopted = self.claimer.adopt(fire)
                if adopted is not None:
                    log.warning(
                        "Adopting fire %d of %s from %s, which stopped",
                        fire.id,
                        track.entry.label,
                        fire.claimed_by,
                    )
                    self._dispatch(
                        Claimed(
                            fire.id, track.entry, fire.planned_at, fire.kind, FireState.STARTING
                        )
                    )
            elif fire.state == FireState.RUNNING or track is None:
                why = f"scheduler {fire.claimed_by} stopped during the run"
                if self.claimer.interrupt(fire, why) and track is not None:
                    log.error("Fire %d of %s interrupted: %s", fire.id, track.entry.label, why)
                    raise_alarm(
                        self.home,
                        track.entry,
                        "interrupted",
                        self._shown(fire.planned_at),
                        None,
                        why,
                        self.outbox,
                    )

    def _settle_posted(self) -> None:
        """Fires whose queue job ended without running them to the end (cancelled, lost)."""
        for fire, why in self.claimer.posted_but_ended():
            log.error("Fire %d of %s interrupted: %s", fire.id, fire.entry_name, why)
            track = self.tracks.get(fire.entry_id)
            if track is not None:
                shown = self._shown(fire.planned_at)
                path = Path(fire.log_path) if fire.log_path else None
                raise_alarm(self.home, track.entry, "interrupted", shown, path, why, self.outbox)

    def _promote(self, entry: Entry) -> None:
        claimed = self.claimer.promote(entry)
        if claimed is not None:
            self._report(claimed)

    def _handle_due(self, track: _Track, now: datetime, paused: bool) -> None:
        entry = track.entry
        catchup = entry.catchup or self.settings.catchup
        horizon = now - timedelta(seconds=max(catchup.window, self.settings.grace))
        start = track.cursor
        if track.next_fire is not None and track.next_fire < horizon:
            self._sum_up(entry, track.next_fire, horizon, now, "older than the catch-up window")
            start = horizon
        due: deque[datetime] = deque(maxlen=MAX_LISTED)
        dropped: datetime | None = None
        for moment in entry.schedule.times_after(start):
            if moment > now:
                break
            if len(due) == MAX_LISTED and dropped is None:
                dropped = due[0]
            due.append(moment)
        if dropped is not None:
            self._sum_up(entry, dropped, due[0], now, f"more than {MAX_LISTED} at once")
        for planned in plan_fires(list(due), now, self.settings.grace, catchup, paused):
            claimed = self.claimer.claim(entry, planned, now)
            if claimed is not None:
                self._report(claimed)
        track.cursor = max(track.cursor, now)
        track.next_fire = entry.schedule.next_after(track.cursor)

    def _sum_up(
        self, entry: Entry, first: datetime, until: datetime, now: datetime, why: str
    ) -> None:
        self.claimer.record_missed_before(entry, first, until, now, why)
        log.warning(
            "%s: fires from %s to before %s were missed (%s)",
            entry.label,
            self._shown(first),
            self._shown(until),
            why,
        )
        self.alarms.add(entry, "missed", f"{self._shown(first)} … {self._shown(until)}")

    # -- outcomes ------------------------------------------------------------------------------
    def _report(self, claimed: Claimed) -> None:
        entry, when = claimed.entry, self._shown(claimed.planned_at)
        note = f" ({claimed.note})" if claimed.note else ""
        if claimed.state in (FireState.STARTING, FireState.QUEUED):
            verb = "posting" if claimed.state == FireState.QUEUED else "running"
            log.info(
                "%s %s for %s%s",
                verb.capitalize(),
                entry.label,
                when,
                " (catch-up)" if claimed.kind == "catch-up" else "",
            )
            if claimed.state == FireState.STARTING:
                self._dispatch(claimed)
        elif claimed.state in (FireState.MISSED, FireState.SKIPPED):
            log.warning("%s %s for %s%s", entry.label, claimed.state, when, note)
            self.alarms.add(entry, claimed.state, when)
        else:
            log.info("%s %s for %s%s", entry.label, claimed.state, when, note)

    def _dispatch(self, claimed: Claimed) -> None:
        """Run a claimed fire in the pool (the job itself is a process of its own)."""
        self.runs[claimed.fire_id] = self._pool.submit(self._run, claimed)

    def _run(self, claimed: Claimed) -> None:
        def started(process: subprocess.Popen[bytes]) -> None:
            self._processes[claimed.fire_id] = process
            # The run is recorded as started: no connection is held while the job runs.
            self.store.connector.release()

        try:
            self.runner.run(
                claimed.entry,
                claimed.planned_at,
                fire_id=claimed.fire_id,
                detach=True,
                on_start=started,
            )
        except Exception as exc:  # the scheduler goes on; the fire says what happened
            log.exception(
                "%s for %s could not run", claimed.entry.label, self._shown(claimed.planned_at)
            )
            try:
                self.store.schedules.update(
                    claimed.fire_id,
                    FireState.RAN,
                    ended_at=utcnow(),
                    status=Status.FAILED,
                    note=str(exc),
                )
            except Exception:  # still no store: the fire stays running until adopted
                log.exception("Fire %d not recorded as failed", claimed.fire_id)
        finally:
            self.runs.pop(claimed.fire_id, None)
            self._processes.pop(claimed.fire_id, None)
            self.store.connector.release()  # an idle pool thread holds no connection

    def _terminate(self, fire_id: int) -> None:
        process = self._processes.get(fire_id)
        if process is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGTERM)

    def _log_file(self) -> SchedulerLog:
        """runner's scheduler log, ``logs/<name>.log``, rolled over as [LOG] says."""
        settings = self.settings
        handler = SchedulerLog(
            self.home.logs_folder / f"{self.name}.log",
            self.clock,
            settings.timezone,
            by_day=settings.limit_by_day,
            max_size=settings.max_size if settings.limit_by_size else None,
        )
        _log_to(handler)
        return handler

    def _shown(self, moment: datetime) -> str:
        return timestamp(moment, self.settings.timezone)


def _log_to(handler: logging.Handler) -> None:
    logging.getLogger("jobsmith").addHandler(handler)
    logging.getLogger("jobsmith").setLevel(
        min(logging.getLogger("jobsmith").level or logging.INFO, logging.INFO)
    )
