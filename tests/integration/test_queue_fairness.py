"""The queue on real work, on both stores: every slot of every worker busy, a backlog
shared evenly, and strict priority also for jobs posted after a batch was claimed.

Nothing here measures time: the tests read the order of events (tasks append lines to a
file) and which worker ran which job (the job's ``worker`` column)."""

from __future__ import annotations

import os
import random
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from jobsmith.queue import Worker, post, post_many
from jobsmith.store import Store
from tests.conftest import StoreTarget
from tests.integration.queue_tasks import lines
from tests.integration.worker_processes import start_worker, stop_all, wait_for

pytestmark = pytest.mark.timeout(180)


def test_two_workers_of_four_slots_fill_all_eight_and_share_the_backlog(
    target: StoreTarget, tmp_path: Path
) -> None:
    store = target.open()
    gate = str(tmp_path / "gate")
    out = str(tmp_path / "out")
    # Eight barrier jobs first: they can only complete when all eight run at once, i.e.
    # when each worker runs four at once and neither holds one it cannot start.
    post_many([("qt.barrier", {"path": gate, "n": n}) for n in range(8)], priority=10, store=store)
    rng = random.Random(7)
    mixed = post_many(
        [
            ("qt.sleepy", {"path": out, "n": n, "seconds": rng.choice([0.1, 0.1, 0.2, 0.3])})
            for n in range(48)
        ],
        store=store,
    )
    workers = [start_worker(target, tmp_path / f"w{i}.log", "--burst", "-c", "4") for i in range(2)]
    try:
        for worker in workers:
            assert worker.wait(150) == 0
    finally:
        stop_all(workers)
    events = lines(gate)
    assert [e.split()[0] for e in events[:8]] == ["start"] * 8  # all eight overlapped
    assert len({e.split()[2] for e in events}) == 2  # four in each worker process
    assert Counter(e.split()[2] for e in events if e.startswith("start")).most_common(1)[0][1] == 4
    ran = Counter(store.jobs.get(job.id).worker for job in mixed)
    assert None not in ran and len(ran) == 2
    assert min(ran.values()) >= 16, ran  # an even share (24 each expected) of 48 jobs
    assert [(s, n) for _, t, s, n in store.jobs.counts() if t == "sleepy"] == [("completed", 48)]
    store.close()


@pytest.mark.parametrize("concurrency", [1, 2])
def test_a_higher_priority_job_posted_later_starts_before_waiting_lower_ones(
    store: Store, tmp_path: Path, concurrency: int
) -> None:
    out = str(tmp_path / "out")
    # Short jobs: the worker measures them and claims them in batches of a few.
    post_many(
        [("qt.sleepy", {"path": out, "n": n, "seconds": 0.003}) for n in range(600)],
        store=store,
    )
    worker = Worker(store, concurrency=concurrency, lease=10)
    thread = threading.Thread(target=worker.run)
    thread.start()
    try:
        checked = []
        for high in range(5):
            wait_for(lambda h=high: _starts(out) >= 20 * (h + 1), 60, "low jobs to run")
            post(
                "qt.sleepy",
                {"path": out, "n": 1000 + high, "seconds": 0.008},
                priority=5,
                store=store,
            )
            started = _starts(out)  # low jobs started so far (and maybe the high one)
            wait_for(lambda h=high: f"start {1000 + h}" in _start_lines(out), 30, "the high job")
            position = _start_lines(out).index(f"start {1000 + high}")
            # Only jobs a slot had already begun when the high job was posted start first
            # (and at most one begun before the wake-up reached the worker).
            checked.append(position - started)
            assert position <= started + concurrency + 1, checked
    finally:
        worker.stop()
        thread.join(60)
    assert not thread.is_alive()
    assert worker.stats.completed >= 105


def _start_lines(path: str) -> list[str]:
    return [" ".join(e.split()[:2]) for e in lines(path) if e.startswith("start")]


def _starts(path: str) -> int:
    return len(_start_lines(path))


def test_a_burst_worker_stops_when_only_jobs_too_big_for_the_host_wait(store: Store) -> None:
    post("qt.heavy", {"path": "/dev/null", "n": 1}, store=store)  # 6 process units
    worker = Worker(store, burst=True, system_units=4, lease=5)
    stats = worker.run()
    assert (stats.completed, stats.left) == (0, 1)
    assert "1 job(s) left waiting: they need more process units than this host's 4" in str(stats)


def test_the_summary_counts_dependants_failed_by_their_dependency(
    store: Store, tmp_path: Path
) -> None:
    post("qt.after_boom", {"path": str(tmp_path / "out")}, store=store)
    stats = Worker(store, burst=True, lease=5).run()
    assert (stats.completed, stats.failed, stats.parked) == (0, 2, 1)


def test_a_burst_worker_first_hands_back_jobs_whose_lease_expired(
    store: Store, tmp_path: Path
) -> None:
    out = str(tmp_path / "out")
    job = post("qt.record", {"path": out, "n": 1}, store=store)
    # A worker that claimed the job and died: nothing renews its short lease.
    (dead,) = store.jobs.claim(worker="dead", host="gone", limit=1, system_units=10, lease=0.2)
    wait_for(lambda: store.jobs.top_waiting(10, None, None) is None, 5, "the claim")
    time.sleep(0.3)  # let the lease run out (not a timing assertion)
    stats = Worker(store, burst=True, lease=5).run()
    assert lines(out) == [f"1 {os.getpid()}"]
    assert stats.completed == 1
    stored = store.jobs.get(job.id)
    assert (stored.status, stored.attempts, stored.lost) == ("completed", 2, 1)
    assert dead.id == job.id
