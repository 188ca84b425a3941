"""A job's Cancellation: set from another thread (the worker's waker), read or waited on
by the job's own code."""

from __future__ import annotations

import threading
import time

from jobsmith.queue.cancellation import Cancellation


def test_a_cancellation_starts_unset_and_a_wait_times_out() -> None:
    cancel = Cancellation()
    assert not cancel and not cancel.is_set()
    began = time.monotonic()
    assert cancel.wait(0.05) is False
    assert time.monotonic() - began >= 0.04


def test_set_before_the_first_wait_is_seen_at_once() -> None:
    cancel = Cancellation()
    cancel.set()
    assert cancel and cancel.is_set()
    assert cancel.wait(10) is True


def test_set_from_another_thread_wakes_a_waiting_job() -> None:
    cancel = Cancellation()
    woken: list[bool] = []
    waiter = threading.Thread(target=lambda: woken.append(cancel.wait(30)))
    waiter.start()
    time.sleep(0.05)  # the job waits before the cancel arrives
    cancel.set()
    waiter.join(5)
    assert woken == [True]
    assert repr(cancel) == "<Cancellation set>"
