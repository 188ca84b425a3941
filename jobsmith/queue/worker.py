"""The worker: claims jobs, runs them, renews their leases, records every attempt.

A worker runs ``concurrency`` *slots* (threads). Each slot claims for itself, runs what
it claimed, and ends the attempts in one transaction that also writes them to the run
log. A slot claims one job at a time until the worker has measured the job's task; only
tasks measured to be short (under 20 ms a job) are claimed in batches, of about 20 ms of
work (at most ``max_batch`` jobs), so a worker never sits on jobs an idle slot elsewhere
could run. Before each further job of a batch the slot checks, when the queue changed
since its claim, that no job of higher priority is waiting; if one is, it hands the rest
of the batch back (priority holds across the whole queue, also for jobs posted later).

One *monitor* thread renews the leases of every job the worker holds in one statement
(a heartbeat that keeps beating while a job's own code is busy), interrupts jobs past
their timeout or whose cancel was requested, and hands back jobs of dead workers whose
lease expired (any live worker does this; there is no sweeper to schedule).

Delivery is at least once: a job runs again only when the attempt that ran it could not
be recorded (its worker died, or lost the database, before ending the attempt and the
lease expired). Finishing is conditional on the attempt's token, so a worker presumed
dead that wakes up cannot overwrite the attempt that replaced it.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from jobsmith.errors import JobsmithError, StoreError
from jobsmith.queue.builtins import find_task, load_builtins
from jobsmith.queue.controls import parse_age
from jobsmith.queue.execute import JobExecutor, Parked, Released
from jobsmith.queue.flusher import GIVE_UP_AFTER, Flusher, record_what_can_be, refused_every_end
from jobsmith.queue.interrupt import Interrupts, JobCancelled, JobTimeout, WorkerStopping
from jobsmith.queue.pauses import PauseFilter, Served
from jobsmith.queue.registry import Registry
from jobsmith.queue.registry import registry as default_registry
from jobsmith.queue.wakeup import Waker
from jobsmith.runlog import who_and_where
from jobsmith.settings import DEFAULT_SYSTEM_UNITS
from jobsmith.states import JobState
from jobsmith.store import Store, utcnow
from jobsmith.store.controls import RateBlocked
from jobsmith.store.jobs import Claimed, Ended, Outcome, transient_errors

log = logging.getLogger("jobsmith.worker")

BATCH_SECONDS = 0.02
SLOW_JOB = 0.02
IDLE_SWEEP = 0.5  # an idle burst worker looks for expired leases this often
WARM_UP = 5.0  # at most this long the slots wait for the worker's other threads to start
AWAITED_KEPT = 1000  # jobs parked on, remembered to record their end before a claim
RECHECK_EVERY = 0.001  # a batch of short jobs looks for higher-priority ones this often
PRUNE_EVERY = 300.0  # retention: seconds between a worker's rounds of pruning
PRUNE_BATCH = 200
PRUNE_BATCHES = 5
RATE_WAIT = 60.0  # a burst worker waits for a rate-limited key that opens within this


@dataclass
class WorkerStats:
    """What a worker did."""

    completed: int = 0
    failed: int = 0
    retried: int = 0
    cancelled: int = 0
    parked: int = 0
    released: int = 0
    left: int = 0
    """Jobs left waiting when a burst worker stopped (see ``note``)."""
    unrecorded: int = 0
    """Jobs that ran but whose end the database refused to record: they run again after
    their lease."""
    note: str = ""
    started_at: float = field(default_factory=time.time)

    @property
    def processed(self) -> int:
        return self.completed + self.failed + self.cancelled + self.retried

    def __str__(self) -> str:
        text = (
            f"{self.completed} completed, {self.failed} failed, {self.retried} to retry, "
            f"{self.cancelled} cancelled, {self.parked} parked, {self.released} given back"
        )
        if self.unrecorded:
            text += f", {self.unrecorded} not recorded (they run again after their lease)"
        return f"{text}; {self.note}" if self.note else text

    def count(self, outcomes: Sequence[Outcome], ended: Ended | None = None) -> None:
        """Count ended attempts, and the dependants that failed because one of them did."""
        for o in outcomes:
            if o.status == JobState.WAITING:
                self.retried += 1
            else:
                setattr(self, o.status, getattr(self, o.status) + 1)
        if ended is not None:
            self.failed += ended.dependants_failed


class Worker:
    """Runs queued jobs of the tasks in ``registry`` until stopped (or, with ``burst``,
    until nothing it could run is waiting; with ``max_jobs``, once that many jobs have run
    to an outcome: a job parked on a dependency does not count). See the module docstring.

    ``system_units`` is the host's process units (default 10,000); a worker reads no
    environment: ``jobsmith worker`` and ``JobMaster(...)`` pass the settings' value
    (``JOBSMITH_SYSTEM_PROCESS_UNITS``). ``serves`` says what a worker with no tasks of
    its own is for (``jobsmith worker --home H`` of a scheduler in ``mode = post``: its
    posted runs); without it such a worker warns that it runs only built-in tasks."""

    rate_wait: float = RATE_WAIT
    """A burst worker waits for jobs held back by a rate limit only when their key may
    start another job within this many seconds; the others are left (``stats.note``)."""

    def __init__(
        self,
        store: Store,
        registry: Registry | None = None,
        *,
        concurrency: int = 1,
        system_units: int | None = None,
        lease: float = 30.0,
        queues: Sequence[str] | None = None,
        tasks: Sequence[str] | None = None,
        burst: bool = False,
        max_batch: int = 200,
        max_jobs: int | None = None,
        max_lost: int = 3,
        grace: float = 30.0,
        cancel_grace: float = 3.0,
        retention: float | None = None,
        poll: float = 1.0,
        environment: str = "default",
        on_progress: Callable[[Sequence[Outcome]], None] | None = None,
        serves: str | None = None,
    ) -> None:
        if concurrency < 1:
            raise JobsmithError("concurrency must be at least 1")
        if lease < 1:
            raise JobsmithError("the lease must be at least 1 second")
        if max_jobs is not None and max_jobs < 1:
            raise JobsmithError(f"max_jobs is {max_jobs!r}: expected at least 1 (or None)")
        self.store = store
        self.registry = registry if registry is not None else default_registry
        self.concurrency = concurrency
        self.system_units = DEFAULT_SYSTEM_UNITS if system_units is None else int(system_units)
        self.lease = float(lease)
        self.queues = list(queues) if queues else None
        self.tasks = self._served(tasks, serves)
        self.pauses = PauseFilter(store, self.queues, self.tasks)
        self.burst = burst
        self.max_batch = max_batch
        self.max_jobs = max_jobs
        self.max_lost = max_lost
        self.grace = grace
        self.cancel_grace = cancel_grace
        self.retention = None if retention is None else parse_age(retention, "retention")
        self.poll = poll
        self.on_progress = on_progress
        user, self.host = who_and_where()
        self.name = f"{self.host}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.who: dict[str, Any] = {
            "environment": environment,
            "executed_by": user,
            "host": self.host,
        }
        self.stats = WorkerStats()
        self.transient = transient_errors()
        self.interrupts = Interrupts()
        self.executor = JobExecutor(store, self.registry, self.interrupts, environment)
        self.waker = Waker(store, on_cancel=self._cancel_heard)
        # PostgreSQL: ended batches are recorded in the background while the slot goes on.
        # SQLite has one writer at a time: a slot ends its batch and claims the next in one
        # transaction instead.
        self.flusher = (
            Flusher(
                store,
                self.who,
                self._flushed,
                on_start=self._connect_first,
                worker=self.name,
                on_left=self._unrecorded,
                on_fail=self._fail,
            )
            if store.connector.concurrent_writes
            else None
        )
        self.stopping = threading.Event()
        self.drained = threading.Event()
        self._stop_deadline: float | None = None
        self._renew_now = threading.Event()
        # Start-up: every thread opens its connection, and the monitor hands back expired
        # leases, before any slot claims, so no slot waits on that work mid-run.
        self._go = threading.Event()
        self._warmed = threading.Semaphore(0)
        self._busy = 0
        self._lock = threading.Lock()
        self._idle_swept = -IDLE_SWEEP
        self._orphans_said = False  # a burst worker said it waits for a dead worker's jobs
        self._took: dict[str, float] = {}  # seconds per job, by task (moving average)
        self._awaited: set[int] = set()  # jobs this worker's jobs were parked on
        self._ran = 0  # jobs run to an outcome (for max_jobs)
        self._crash: BaseException | None = None
        self._refused = 0  # batches in a row of which no end could be recorded (no flusher)
        self._monitor_errors: set[tuple[str, str]] = set()  # logged once each
        # One slot waits on its own connection where the store allows it (PostgreSQL), so a
        # wake-up and the claim after it go to the same, just-woken server process.
        self._direct = store.wakeups.same_connection and concurrency == 1

    def _served(self, tasks: Sequence[str] | None, serves: str | None) -> list[str]:
        builtin = load_builtins()
        names = list(tasks) if tasks else [t.name for t in self.registry]
        for name in names:
            if find_task(self.registry, name) is None:
                self.registry.get(name)  # raises the registry's clear error
        if not names and serves:  # e.g. `jobsmith worker --home H`: the scheduler's runs
            log.info("No tasks of your own: this worker serves %s", serves)
        elif not names:
            log.warning(
                "No tasks of your own are registered: this worker runs only built-in tasks "
                "(flow jobs). Import yours with `jobsmith worker -m MODULE` or `imports:`."
            )
        return names if tasks else names + [t.name for t in builtin if t.name not in names]

    # -- life -----------------------------------------------------------------------------
    def run(self) -> WorkerStats:
        """Work until stopped; returns what was done."""
        self.who["pid"] = os.getpid()
        self.store.jobs.publish(self.registry.definitions() + load_builtins().definitions())
        log.info(
            "Worker %s: %d task(s), concurrency %d, lease %gs, %d process units",
            self.name,
            len(self.tasks),
            self.concurrency,
            self.lease,
            self.system_units,
        )
        self._register()
        restore = self._install_signals()
        self.waker.start()
        if self.flusher is not None:
            self.flusher.start()
        monitor = threading.Thread(
            target=self._guarded_monitor, name="jobsmith-monitor", daemon=True
        )
        monitor.start()
        slots = [
            threading.Thread(
                target=self._guarded_slot, args=(n,), name=f"jobsmith-slot-{n}", daemon=True
            )
            for n in range(self.concurrency)
        ]
        for slot in slots:
            slot.start()
        self._warm_up(self.concurrency + 1 + (self.flusher is not None))
        try:
            for slot in slots:
                while slot.is_alive():
                    slot.join(0.2)
        finally:
            self.stopping.set()
            if self.flusher is not None:
                self.flusher.close()
            self.waker.stop()
            monitor.join(5)
            self.executor.close()
            restore()
            self._unregister()
        log.info("Worker %s stopped: %s", self.name, self.stats)
        if self._crash is not None:
            said = str(self._crash) if isinstance(self._crash, JobsmithError) else repr(self._crash)
            raise JobsmithError(f"worker {self.name} stopped on an error: {said}") from self._crash
        return self.stats

    def _warm_up(self, threads: int) -> None:
        """Let the slots claim together once the slots, the monitor and the flusher have
        opened their connections and the monitor has done its first round (or after
        ``WARM_UP`` seconds whatever happened)."""
        deadline = time.monotonic() + WARM_UP
        for _ in range(threads):
            if not self._warmed.acquire(timeout=max(0.0, deadline - time.monotonic())):
                break
        self._go.set()

    def _connect_first(self) -> None:
        """Open this thread's connection now (start-up); a database that is away is not
        an error here: the thread's first statement deals with it."""
        try:
            self.store.connector.open_here()
        except Exception as exc:  # the thread's first statement reports it
            log.debug("Connection not opened at start-up: %s", exc)
        finally:
            self._warmed.release()

    def stop(self, now: bool = False) -> None:
        """Stop claiming; running jobs finish (or, ``now`` or after the grace period, are
        interrupted and given back to the queue)."""
        if not self.stopping.is_set():
            log.info(
                "Worker %s stopping: finishing running jobs (grace %gs)", self.name, self.grace
            )
        self.stopping.set()
        self._stop_deadline = time.time() if now else time.time() + self.grace
        self._go.set()
        self.waker.wake_all()

    def _install_signals(self) -> Callable[[], None]:
        if threading.current_thread() is not threading.main_thread():
            return lambda: None

        def handle(signum: int, frame: FrameType | None) -> None:
            self.stop(now=self.stopping.is_set())

        old = {s: signal.signal(s, handle) for s in (signal.SIGTERM, signal.SIGINT)}

        def restore() -> None:
            for s, h in old.items():
                signal.signal(s, h)

        return restore

    # -- a slot ---------------------------------------------------------------------------
    def _guarded_slot(self, number: int) -> None:
        """A slot; an error the slot cannot handle stops the whole worker (loudly)."""
        try:
            self._slot(number)
        except StoreError as exc:  # not transient (those are waited out): e.g. no such table
            log.error("Slot %d: %s; stopping the worker", number, exc)
            self._fail(exc)
        except BaseException as exc:
            log.exception("Slot %d stopped on an error; stopping the worker", number)
            self._fail(exc)

    def _fail(self, exc: BaseException) -> None:
        """A thread cannot go on: stop the worker now; ``run()`` raises the first error."""
        with self._lock:
            if self._crash is None:
                self._crash = exc
        self.stop(now=True)

    def _slot(self, number: int) -> None:
        event = self.waker.event()
        pending: list[Outcome] = []
        backoff = 0.1
        self._connect_first()
        self._go.wait(WARM_UP)
        while not (self.stopping.is_set() or self.drained.is_set()):
            try:
                mark = self.waker.mark()  # before the claim: what is posted after it counts
                jobs = self._next_batch(pending)
                backoff = 0.1
            except self.transient as exc:
                log.warning(
                    "Slot %d: database unavailable (%s); retrying in %.1fs", number, exc, backoff
                )
                self.stopping.wait(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            if jobs:
                self.waker.pass_on()  # more may be waiting: the next idle slot looks
                self._run_batch(jobs, pending, mark)
            elif self._idle_done():
                self.drained.set()
                self.waker.wake_all()
            else:
                self._idle_wait(event, 0.05 if self.burst else self.poll)
        self._flush(pending)

    def _idle_wait(self, event: threading.Event, timeout: float) -> None:
        if not self._direct:
            self.waker.wait(event, timeout)
            return
        deadline = time.monotonic() + timeout
        while not (self.stopping.is_set() or self.drained.is_set()):
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.store.wakeups.wait_here(min(remaining, 0.25)):
                return

    def _next_batch(self, pending: list[Outcome]) -> list[Claimed]:
        """Hand over the ended attempts and claim the next batch."""
        if self._direct:
            self.store.wakeups.drop_here()
        served = self.pauses.served()
        if served.empty:  # everything this worker serves is paused
            self._flush(pending)
            return []
        if pending and self.flusher is None:
            try:
                ended, jobs = self.store.jobs.finish_and_claim(
                    pending, self.who, **self._claim_options()
                )
            except self.transient:
                raise
            except Exception:  # the ends refused: recorded one by one, then the claim
                self._record_now(pending)
                pending.clear()
                return self.store.jobs.claim(**self._claim_options())
            self._flushed(pending, ended)
            pending.clear()
            return jobs
        if pending and self._awaited.intersection(o.job.id for o in pending):
            # A job ended that one of ours waits on: record it before claiming, so the
            # claim sees the dependant waiting again (at its priority, ahead of a batch).
            self._awaited.difference_update(o.job.id for o in pending)
            self._record_now(pending)
            pending.clear()
        self._flush(pending)
        return self.store.jobs.claim(**self._claim_options())

    def _claim_options(self) -> dict[str, Any]:
        """One job, or more of the tasks measured to be short (see the module docstring)."""
        short = {name: took for name, took in self._took.items() if took < SLOW_JOB}
        limit = 1
        if short:
            fastest = max(min(short.values()), 1e-6)
            limit = min(max(1, self.max_batch), int(BATCH_SECONDS / fastest) + 1)
        if self.max_jobs is not None:
            limit = max(1, min(limit, self.max_jobs - self._ran))
        return {
            "worker": self.name,
            "host": self.host,
            "limit": limit,
            "system_units": self.system_units,
            "lease": self.lease,
            "queues": self.pauses.served().queues,
            "tasks": self.pauses.served().tasks,
            "durations": short,
            "budget": BATCH_SECONDS,
        }

    def _run_batch(self, jobs: list[Claimed], pending: list[Outcome], mark: int) -> None:
        with self._lock:
            self._busy += 1
        try:
            checked = 0.0
            for index, job in enumerate(jobs):
                if self.stopping.is_set():
                    self._release(jobs[index:])
                    return
                if index and time.perf_counter() - checked >= RECHECK_EVERY:
                    checked = time.perf_counter()  # at most every RECHECK_EVERY, changed or not
                    if self.waker.changed(mark):
                        mark = self.waker.mark()
                        if self._outranked(job):
                            self._release(jobs[index:])
                            return
                try:
                    self._run_one(job, pending)
                except self.transient as exc:  # the job's lease expires and it runs again
                    log.warning("Job %s (%s): database unavailable: %s", job.id, job.name, exc)
                    self._release([job])
        finally:
            with self._lock:
                self._busy -= 1

    def _outranked(self, job: Claimed) -> bool:
        """Whether a job of higher priority than ``job`` waits (and fits this host); when
        the database cannot say, the batch goes on."""
        try:
            top = self.store.jobs.top_waiting(self.system_units, self.queues, self.tasks)
        except self.transient as exc:
            log.warning("Could not look for jobs of higher priority: %s", exc)
            return False
        return top is not None and top > job.priority

    def _run_one(self, job: Claimed, pending: list[Outcome]) -> None:
        began = time.perf_counter()
        result = self.executor.run(job)
        took = time.perf_counter() - began
        if isinstance(result, Released):
            self._release([job])
        elif isinstance(result, Parked):
            self.stats.parked += 1
            if self.flusher is not None:
                if len(self._awaited) >= AWAITED_KEPT:  # ended elsewhere: only a hint
                    self._awaited.clear()
                self._awaited.add(result.on)
        else:
            if result.task_kind != "FanOut":
                last = self._took.get(job.name)
                self._took[job.name] = took if last is None else 0.7 * last + 0.3 * took
            pending.append(result)
            awaited = job.id in self._awaited  # the next claim records it first (not here,
            # in the background): its dependant, waiting again, is then claimed next
            if not awaited and (took > SLOW_JOB or len(pending) >= self.max_batch):
                self._flush(pending)
            if self.max_jobs is not None:
                with self._lock:
                    self._ran += 1
                    enough = self._ran >= self.max_jobs
                if enough:  # stop claiming; what this slot still holds goes back
                    self.stop()

    def _idle_done(self) -> bool:
        """A burst worker is done when nothing it can run is waiting, once the jobs of
        dead workers (lease expired) are back in the queue."""
        if not self.burst:
            return False
        with self._lock:
            if self._busy or (self.flusher is not None and not self.flusher.idle()):
                return False
        now = time.monotonic()
        if now - self._idle_swept >= IDLE_SWEEP:  # idle: hand back dead workers' jobs now
            self._idle_swept = now
            self._sweep()
        served = self.pauses.served()
        runnable = too_big = stranded = 0
        later: list[RateBlocked] = []
        if not served.empty:  # else only paused jobs could be left
            runnable, too_big = self.store.jobs.waiting(
                served.queues, served.tasks, self.system_units
            )
            stranded = self.store.jobs.stranded(served.queues, served.tasks) if runnable else 0
            runnable -= stranded
            later = self._rate_blocked_later(served.queues, served.tasks) if runnable else []
        paced = sum(b.waiting for b in later)
        if runnable > paced:
            return False
        orphaned = self.store.jobs.orphaned(served.queues, served.tasks, self.host)
        if orphaned:  # a dead worker's: handed back (above) once their lease runs out
            if not self._orphans_said:
                self._orphans_said = True
                log.info(
                    "Worker %s: waiting for %d job(s) of dead worker(s) (their process is gone "
                    "or their heartbeat stopped); they run here once their lease runs out",
                    self.name,
                    orphaned,
                )
            return False
        if not self.stats.note:
            paused = self._paused_left(served, runnable + stranded + too_big)
            self._note_left(too_big, later, stranded, paused)
        return True

    def _paused_left(self, served: Served, seen: int) -> int:
        """Jobs this worker would serve but for a pause (0 when nothing it serves is paused)."""
        whole = self.pauses
        if served.queues == whole.queues and served.tasks == whole.tasks:
            return 0
        return max(self.store.jobs.waiting_count(whole.queues, whole.tasks) - seen, 0)

    def _note_left(
        self, too_big: int, later: list[RateBlocked], stranded: int, paused: int
    ) -> None:
        """Say in the summary (``stats.note``) which jobs a burst worker left, and why."""
        paced = sum(b.waiting for b in later)
        if not (too_big or paced or stranded or paused):
            return
        self.stats.left = too_big + paced + stranded + paused
        notes = []
        if paused:
            notes.append(f"{paused} job(s) left waiting on paused queues or tasks")
        if stranded:
            notes.append(
                f"{stranded} job(s) left parked: they wait on jobs of tasks or queues "
                "this worker does not serve"
            )
        if too_big:
            notes.append(
                f"{too_big} job(s) left waiting: they need more process units than this "
                f"host's {self.system_units}"
            )
        if paced:
            first = min(later, key=lambda b: b.opens)
            notes.append(
                f"{paced} job(s) left waiting on rate limits of {len(later)} key(s): "
                f"the first to start again is {first.limit_key!r}, in "
                f"{max(first.opens - time.time(), 0):.0f}s (a burst worker waits only "
                f"for keys that open within {self.rate_wait:g}s)"
            )
        self.stats.note = "; ".join(notes)
        log.warning("Worker %s: %s", self.name, self.stats.note)

    def _rate_blocked_later(self, queues: list[str] | None, tasks: list[str]) -> list[RateBlocked]:
        """Rate-limited keys with jobs waiting that may start again only after
        :attr:`rate_wait` seconds (a burst worker does not wait for those)."""
        due = time.time() + self.rate_wait
        return [b for b in self.store.controls.rate_blocked(queues, tasks) if b.opens > due]

    def _flush(self, pending: list[Outcome]) -> None:
        """Record ended attempts: in the background (PostgreSQL) or now (SQLite)."""
        if not pending:
            return
        if self.flusher is not None:
            self.flusher.put(pending)
        else:
            self._record_now(pending)
        pending.clear()

    def _record_now(self, pending: list[Outcome]) -> None:
        recorded, ended, left = record_what_can_be(
            self.store, pending, self.who, self.transient, self.name
        )
        if recorded:
            self._refused = 0
            self._flushed(recorded, ended)
        self._unrecorded(left)
        if left and not recorded:
            self._refused += 1
            if self._refused >= GIVE_UP_AFTER:  # the slot stops the worker on it
                raise refused_every_end(self._refused, left)

    def _unrecorded(self, outcomes: Sequence[Outcome]) -> None:
        with self._lock:
            self.stats.unrecorded += len(outcomes)

    def _flushed(self, outcomes: Sequence[Outcome], ended: Ended | None = None) -> None:
        with self._lock:
            self.stats.count(outcomes, ended)
        if self.on_progress is not None:
            try:
                self.on_progress(outcomes)
            except Exception:  # a caller's callback never stops a slot (or the flusher)
                log.exception("Worker %s: on_progress failed", self.name)

    def _release(self, jobs: Sequence[Claimed]) -> None:
        try:
            self.store.jobs.release(jobs)
            self.stats.released += len(jobs)
        except self.transient as exc:  # their leases expire and they run elsewhere
            log.warning("Could not give back %d job(s): %s", len(jobs), exc)

    # -- the monitor ----------------------------------------------------------------------
    def _guarded_monitor(self) -> None:
        """The monitor; an error it cannot handle stops the whole worker (loudly): without
        heartbeats the worker's leases would run out while its jobs still run."""
        try:
            self._monitor()
        except BaseException as exc:
            log.exception("The monitor stopped on an error; stopping the worker")
            self._fail(exc)

    def _monitor(self) -> None:
        beat = min(max(self.lease / 4, 0.2), 10.0)
        sweep = min(max(self.lease / 2, 0.5), 15.0)
        next_beat = next_sweep = 0.0
        next_prune = time.time() if self.retention is not None else 0.0
        first_round = True
        while not self._monitor_done():
            now = time.time()
            for job_id in self.interrupts.overdue(now):
                self.interrupts.interrupt(job_id, JobTimeout)
            for job_id in self.interrupts.cancel_overdue(now):
                log.info("Job %s: still running after its cancel grace; interrupting it", job_id)
                self.interrupts.interrupt(job_id, JobCancelled)
            if self._stop_deadline is not None and now >= self._stop_deadline:
                for job_id in self.interrupts.running():
                    self.interrupts.interrupt(job_id, WorkerStopping)
            if now >= next_beat or self._renew_now.is_set():
                self._renew_now.clear()
                self._guarded("heartbeat", self._heartbeat)
                next_beat = now + beat
            if now >= next_sweep:
                self._guarded("lease sweep", self._sweep)
                next_sweep = now + sweep
            if first_round:  # connected, leases renewed, expired ones handed back
                first_round = False
                self._warmed.release()
            if self.retention is not None and now >= next_prune:
                self._guarded("retention pruning", lambda: self._prune(self.retention or 0))
                next_prune = now + PRUNE_EVERY
            self._renew_now.wait(0.05)

    def _guarded(self, what: str, step: Callable[[], None]) -> None:
        """One step of the monitor's round: an error is logged (once per step and kind of
        error) and the monitor goes on, so the heartbeat never stops while jobs run."""
        try:
            step()
        except Exception as exc:
            seen = (what, type(exc).__name__)
            if seen not in self._monitor_errors:
                self._monitor_errors.add(seen)
                log.exception("Worker %s: %s failed (the worker goes on): %s", self.name, what, exc)

    def _monitor_done(self) -> bool:
        return (self.stopping.is_set() or self.drained.is_set()) and not self.interrupts.running()

    def _register(self) -> None:
        """Say in the store who this worker is (the dashboard's workers page)."""
        self.store.workers.register(
            self.name,
            host=self.host,
            pid=os.getpid(),
            concurrency=self.concurrency,
            process_units=self.system_units,
            queues=self.queues,
            lease=self.lease,
            at=utcnow(),
        )

    def _unregister(self) -> None:
        try:
            self.store.workers.stop(self.name, utcnow())
        except self.transient as exc:
            log.warning("Could not record that worker %s stopped: %s", self.name, exc)

    def _heartbeat(self) -> None:
        try:
            self.store.workers.beat(self.name, utcnow())
            held = self.store.jobs.renew(self.name, self.lease)
        except self.transient as exc:
            log.warning("Heartbeat failed: %s", exc)
            return
        deadline = time.time() + self.cancel_grace
        for job_id, _token, cancel in held:
            if cancel and self.interrupts.ask_to_cancel(job_id, deadline):
                log.info(
                    "Job %s: cancel requested; interrupting it in %gs unless it stops",
                    job_id,
                    self.cancel_grace,
                )

    def _sweep(self) -> None:
        try:
            self.store.controls.release_ended_waits()
        except self.transient as exc:
            log.warning("Could not wake jobs parked until others ended: %s", exc)
        try:
            lost = self.store.jobs.expire(self.max_lost)
            if lost:
                for attempt in lost:
                    log.warning(
                        "Job %s (%s): %s; now %s",
                        attempt.id,
                        attempt.name,
                        attempt.error,
                        attempt.status,
                    )
                self.store.jobs.log_lost(lost, self.who)
        except self.transient as exc:
            log.warning("Could not check for expired leases: %s", exc)
        except Exception as exc:  # e.g. the run log refuses them: the monitor goes on
            log.error("Could not hand back expired leases (or log them): %s", exc)

    def _prune(self, older_than: float) -> None:
        """Retention: a few small batches of old finished jobs and run-log rows."""
        from jobsmith.queue.controls import prune

        try:
            prune(
                self.store,
                older_than,
                registry=self.registry,
                batch=PRUNE_BATCH,
                max_batches=PRUNE_BATCHES,
            )
        except self.transient as exc:
            log.warning("Could not prune old jobs: %s", exc)

    def _cancel_heard(self, job_id: int) -> None:
        self._renew_now.set()


def run_worker(store: Store, registry: Registry | None = None, **options: Any) -> WorkerStats:
    """Build a :class:`Worker` and run it (``burst=True`` to stop when the queue is empty)."""
    return Worker(store, registry, **options).run()


__all__ = ["Worker", "WorkerStats", "run_worker"]
