"""Stopping a job's code from another thread: timeouts, cancel requests, worker shutdown.

The worker raises one of these exceptions inside the thread that runs the job (CPython's
``PyThreadState_SetAsyncExc``). They derive from ``BaseException`` so a job's own
``except Exception`` does not swallow them. Python code is interrupted at once; code
blocked in C (a long ``time.sleep``, a socket read) when it returns to Python.
"""

from __future__ import annotations

import ctypes
import threading
from dataclasses import dataclass, field

from jobsmith.queue.cancellation import Cancellation


class JobInterrupt(BaseException):  # a control-flow signal, like KeyboardInterrupt
    """The job was interrupted."""


class JobTimeout(JobInterrupt):
    """The job ran longer than its task's timeout."""


class JobCancelled(JobInterrupt):
    """The job was cancelled."""


class JobParked(JobInterrupt):
    """The job parked itself until job ``on`` ends (its children: see
    ``JobContext.wait_for_children``); the worker moves on."""

    def __init__(self, on: int) -> None:
        super().__init__(f"parked until job {on} ends")
        self.on = on


class WorkerStopping(JobInterrupt):
    """The worker is shutting down; the job is given back to the queue."""


class WorkerDies(BaseException):
    """Raised inside a job to end its worker on the spot, as SIGKILL would (the test
    harness's ``kill_worker``): the job is neither failed nor recorded, and stays under its
    lease until that runs out."""


@dataclass
class Running:
    """The job one thread is running, and since when."""

    job_id: int
    thread_id: int
    deadline: float | None
    interrupted: type[JobInterrupt] | None = None
    cancellation: Cancellation = field(default_factory=Cancellation)
    cancel_deadline: float | None = None


class Interrupts:
    """Which thread runs which job, so a job can be interrupted safely: never after its
    code returned (the guard is closed under the same lock)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: dict[int, Running] = {}

    def begin(
        self, job_id: int, deadline: float | None, cancellation: Cancellation | None = None
    ) -> None:
        with self._lock:
            self._running[job_id] = Running(
                job_id,
                threading.get_ident(),
                deadline,
                None,
                cancellation if cancellation is not None else Cancellation(),
            )

    def ask_to_cancel(self, job_id: int, deadline: float) -> bool:
        """Set the job's cancellation (its code may stop by itself); it is interrupted
        once ``deadline`` passed (see :meth:`cancel_overdue`). False when it is not
        running here or was asked already."""
        with self._lock:
            running = self._running.get(job_id)
            if running is None or running.cancel_deadline is not None:
                return False
            running.cancel_deadline = deadline
            running.cancellation.set()
        return True

    def cancel_overdue(self, now: float) -> list[int]:
        """Jobs asked to cancel whose grace period ended, not interrupted yet."""
        with self._lock:
            return [
                r.job_id
                for r in self._running.values()
                if r.cancel_deadline is not None
                and r.cancel_deadline <= now
                and r.interrupted is None
            ]

    def end(self, job_id: int) -> type[JobInterrupt] | None:
        """Close the guard; returns the interrupt sent, if any (and clears it if it is
        still pending, so it cannot fire in the worker's own code)."""
        with self._lock:
            running = self._running.pop(job_id, None)
        if running is not None and running.interrupted is not None:
            _set_async_exc(running.thread_id, None)
            return running.interrupted
        return None

    def interrupt(self, job_id: int, signal: type[JobInterrupt]) -> bool:
        """Raise ``signal`` in the thread running ``job_id``; False when it is not running."""
        with self._lock:
            running = self._running.get(job_id)
            if running is None or running.interrupted is not None:
                return False
            running.interrupted = signal
            _set_async_exc(running.thread_id, signal)
        return True

    def overdue(self, now: float) -> list[int]:
        """Jobs past their deadline that were not interrupted yet."""
        with self._lock:
            return [
                r.job_id
                for r in self._running.values()
                if r.deadline is not None and r.deadline <= now and r.interrupted is None
            ]

    def running(self) -> list[int]:
        with self._lock:
            return list(self._running)


def _set_async_exc(thread_id: int, signal: type[BaseException] | None) -> None:
    exc = ctypes.py_object(signal) if signal is not None else None
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id), exc)
