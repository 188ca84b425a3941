"""Waking idle slots, on both stores: a notification wakes one waiting slot, which passes
the wake-up on only when it found work. One job posted to an idle worker of four slots
costs one or two claims, not four; work posted to it while it idles still reaches every
slot at once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from jobsmith.queue import Worker, post, post_many
from jobsmith.store import Store
from tests.integration.queue_tasks import lines
from tests.integration.worker_processes import wait_for

pytestmark = pytest.mark.timeout(120)


@contextmanager
def idle_worker(store: Store, concurrency: int) -> Iterator[tuple[Worker, list[int]]]:
    """A worker of ``concurrency`` slots running in a thread, idle (every slot waiting, and
    no timeout due for a minute); yields it and the sizes of the claims it makes."""
    worker = Worker(store, concurrency=concurrency, lease=30, poll=60)
    claims: list[int] = []
    original = store.jobs.claim

    def claim(**options: Any) -> Any:
        jobs = original(**options)
        claims.append(len(jobs))
        return jobs

    store.jobs.claim = claim  # type: ignore[method-assign]
    thread = threading.Thread(target=worker.run)
    thread.start()
    try:
        wait_for(lambda: len(claims) >= concurrency, 30, "every slot's first claim")
        wait_for(lambda: worker.waker.waiting() == concurrency, 30, "every slot to wait")
        yield worker, claims
    finally:
        worker.stop()
        thread.join(60)
        del store.jobs.claim
    assert not thread.is_alive()


def test_a_job_posted_to_an_idle_worker_wakes_one_slot_not_all(
    store: Store, tmp_path: Path
) -> None:
    out = str(tmp_path / "out")
    with idle_worker(store, concurrency=4) as (worker, claims):
        before = len(claims)
        for n in range(3):
            post("qt.sleepy", {"path": out, "n": n, "seconds": 0.0}, store=store)
            wait_for(lambda n=n: worker.stats.completed == n + 1, 30, f"job {n} to run")
            wait_for(lambda: worker.waker.waiting() == 4, 30, "every slot to wait again")
            made = claims[before:]
    # Each post: the woken slot's claim (its job), the claim of the one slot it passed the
    # wake-up on to (nothing left), and the first slot's next claim once its job ran. On
    # SQLite that slot records the end itself, and the other slots hear each write as a
    # change (its data version): a claim or two more. Waking every slot made 5 claims a
    # post here (9 or more on SQLite).
    per_post = 5 if worker.flusher is None else 3
    assert sorted(made, reverse=True)[:3] == [1, 1, 1], made
    assert len(made) <= 3 * per_post, str(made)


def test_jobs_posted_to_an_idle_worker_reach_every_slot_at_once(
    store: Store, tmp_path: Path
) -> None:
    gate = str(tmp_path / "gate")
    with idle_worker(store, concurrency=4) as (worker, _):
        # Four barrier jobs in one post (one notification): each completes only when all
        # four run at once, so the wake-up must have gone on from slot to slot.
        post_many(
            [("qt.barrier", {"path": gate, "n": n, "parties": 4, "wait": 20}) for n in range(4)],
            store=store,
        )
        wait_for(lambda: worker.stats.completed + worker.stats.failed == 4, 60, "the barrier")
    assert worker.stats.completed == 4, lines(gate)
    assert [e.split()[0] for e in lines(gate)[:4]] == ["start"] * 4
