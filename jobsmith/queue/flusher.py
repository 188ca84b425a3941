"""Recording ended attempts in the background, while the slots run the next batch.

Ending a batch (the queue rows, the dependants, the run log) is one statement but still a
round trip and a commit; a slot hands the batch to the flusher and goes on claiming and
running. The flusher ends every batch waiting for it in one statement (slots running jobs
one at a time hand over one job each: one round trip per job would keep them waiting on
the flusher). At most ``depth`` batches wait, so a slot that outpaces the database waits
instead of holding many finished-but-unrecorded jobs (which would run again if the
worker died: the at-least-once rule).

The flusher never dies on what ending a batch raises. Errors the connector retries (the
connection lost, a serialization failure) are retried until they pass. Any other error (a
constraint, a trigger, a function dropped from the schema) is logged on one line naming
the jobs, and the batch's jobs are then ended one by one, so one bad job does not lose the
others' outcomes; a job whose end still cannot be recorded is left under its lease (this
worker stops renewing it) and runs again once the lease runs out: at least once, counted
as a lost attempt. When nothing at all could be recorded for ``GIVE_UP_AFTER`` batches in
a row, or the flusher itself fails, it stops the worker with a clear error instead of
letting the slots wait on it (they see the worker stopping; ``run()`` raises).
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from jobsmith.errors import JobsmithError
from jobsmith.store import Store
from jobsmith.store.jobs import Ended, Outcome, transient_errors

log = logging.getLogger("jobsmith.worker")


GIVE_UP_AFTER = 3
"""Batches in a row of which nothing could be recorded before the flusher stops the worker
(the database refuses every end: a worker that goes on would only run jobs again)."""


class Flusher:
    """One thread that ends attempts (``store.jobs.finish``) in the order they came.

    ``worker`` names the worker whose leases are left to run out when an end cannot be
    recorded; ``on_left`` hears of those jobs, ``on_fail`` of the error that stopped the
    flusher (the worker stops on it)."""

    def __init__(
        self,
        store: Store,
        who: dict[str, Any],
        on_flushed: Callable[[Sequence[Outcome], Ended], None],
        depth: int = 2,
        on_start: Callable[[], None] | None = None,
        *,
        worker: str = "",
        on_left: Callable[[Sequence[Outcome]], None] | None = None,
        on_fail: Callable[[BaseException], None] | None = None,
    ) -> None:
        self.store = store
        self.on_start = on_start
        self.who = who
        self.on_flushed = on_flushed
        self.worker = worker
        self.on_left = on_left
        self.on_fail = on_fail
        self.transient = transient_errors()
        self.error: BaseException | None = None
        """What stopped the flusher (None while it serves)."""
        self._refused = 0  # batches in a row of which nothing could be recorded
        self._batches: queue.Queue[list[Outcome] | None] = queue.Queue(maxsize=depth)
        self._thread = threading.Thread(target=self._run, name="jobsmith-flusher", daemon=True)
        self._idle = threading.Event()
        self._idle.set()

    def start(self) -> None:
        self._thread.start()

    def put(self, outcomes: list[Outcome]) -> None:
        """Queue a batch (blocks while ``depth`` batches already wait). Once the flusher
        has stopped on an error, the batch is not recorded: its jobs run again after their
        lease (the worker is stopping)."""
        if not outcomes:
            return
        if self.error is not None:
            self._leave(outcomes, self.error)
            return
        self._idle.clear()
        self._batches.put(list(outcomes))

    def idle(self) -> bool:
        """True when every batch handed over is recorded."""
        return self._idle.is_set() and self._batches.empty()

    def close(self, timeout: float = 60.0) -> None:
        """Record what is left, then stop."""
        deadline = time.monotonic() + timeout
        with contextlib.suppress(queue.Full):  # a thread stuck recording: joined below
            self._batches.put(None, timeout=timeout)
        self._thread.join(max(0.0, deadline - time.monotonic()))
        if self._thread.is_alive():
            log.error("Still recording finished jobs after %gs; they may run again", timeout)

    def _run(self) -> None:
        try:
            self._serve()
        except BaseException as exc:  # never die silently: stop the worker, keep draining
            self.error = exc
            log.exception("The flusher stopped on an error; stopping the worker")
            if self.on_fail is not None:
                self.on_fail(exc)
            self._drain(exc)

    def _serve(self) -> None:
        if self.on_start is not None:
            self.on_start()
        closing = False
        while not closing:
            batch = self._batches.get()
            if batch is None:
                return
            while True:  # what else waits goes in the same statement
                try:
                    more = self._batches.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    closing = True
                    break
                batch.extend(more)
            self._record(batch)
            if self._batches.empty():
                self._idle.set()

    def _drain(self, error: BaseException) -> None:
        """After a failure: take what the slots hand over (so none waits on a full queue)
        until closed; those jobs run again after their lease."""
        self._idle.set()
        while (batch := self._batches.get()) is not None:
            self._leave(batch, error)

    def _leave(self, batch: Sequence[Outcome], error: BaseException) -> None:
        log.error(
            "Not recording the end of job(s) %s: the flusher stopped (%s); they run again "
            "after their lease",
            ", ".join(str(o.job.id) for o in batch),
            error,
        )
        if self.on_left is not None:
            self.on_left(batch)

    def _record(self, batch: list[Outcome]) -> None:
        recorded, ended, left = record_what_can_be(
            self.store, batch, self.who, self.transient, self.worker
        )
        if recorded:
            self._refused = 0
            self.on_flushed(recorded, ended)
        if left:
            if self.on_left is not None:
                self.on_left(left)
            if not recorded:
                self._refused += 1
                if self._refused >= GIVE_UP_AFTER:
                    raise refused_every_end(self._refused, left)


def refused_every_end(batches: int, left: Sequence[Outcome]) -> JobsmithError:
    """The error that stops a worker whose ends the database refuses, batch after batch."""
    return JobsmithError(
        f"the database refused to record the end of every job in {batches} batches in a "
        f"row (last: job(s) {', '.join(str(o.job.id) for o in left)}); see the errors above"
    )


def record_until_done(
    store: Store,
    batch: Sequence[Outcome],
    who: dict[str, Any],
    transient: tuple[type[Exception], ...],
) -> Ended:
    """End a batch of attempts, waiting and trying again while the database is away (the
    batch is kept: a restart of the server loses nothing)."""
    delay = 0.1
    while True:
        try:
            return store.jobs.end(batch, who)
        except transient as exc:
            log.warning("Could not record %d finished job(s) yet: %s", len(batch), exc)
            time.sleep(delay)
            delay = min(delay * 2, 5.0)


def record_what_can_be(
    store: Store,
    batch: Sequence[Outcome],
    who: dict[str, Any],
    transient: tuple[type[Exception], ...],
    worker: str,
) -> tuple[list[Outcome], Ended, list[Outcome]]:
    """End a batch (as :func:`record_until_done`); when the database refuses it (an error
    that is not transient), end its jobs one by one. Returns the outcomes recorded, what
    ending them did, and the outcomes that could not be recorded: those jobs are left under
    their lease (``worker`` stops renewing it), so they run again after it."""
    try:
        return list(batch), record_until_done(store, batch, who, transient), []
    except Exception as exc:
        if len(batch) == 1:
            return [], Ended(set(), []), _left_to_lease(store, batch, worker, transient, exc)
        log.error(
            "Could not record the end of jobs %s: %s; recording them one by one",
            ", ".join(str(o.job.id) for o in batch),
            _one_line(exc),
        )
    recorded: list[Outcome] = []
    ids: set[int] = set()
    dependants: list[tuple[int, str]] = []
    left: list[Outcome] = []
    for outcome in batch:
        try:
            ended = record_until_done(store, [outcome], who, transient)
        except Exception as exc:
            left += _left_to_lease(store, [outcome], worker, transient, exc)
            continue
        recorded.append(outcome)
        ids |= ended.ids
        dependants += ended.dependants
    return recorded, Ended(ids, dependants), left


def _left_to_lease(
    store: Store,
    outcomes: Sequence[Outcome],
    worker: str,
    transient: tuple[type[Exception], ...],
    error: Exception,
) -> list[Outcome]:
    """Log that these ends cannot be recorded and let their leases run out."""
    for o in outcomes:
        log.error(
            "Could not record the end of job %d (%s, %s): %s; it runs again after its lease",
            o.job.id,
            o.job.name,
            o.status,
            _one_line(error),
        )
        if worker:
            delay = 0.1
            while True:
                try:
                    store.jobs.stop_renewing(o.job, worker)
                    break
                except transient as exc:
                    log.warning("Could not give up the lease of job %d yet: %s", o.job.id, exc)
                    time.sleep(delay)
                    delay = min(delay * 2, 5.0)
    return list(outcomes)


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
