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
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from jobsmith.queue import Worker, post, post_many
from jobsmith.store import Store
from jobsmith.store.jobs import Claimed, Ended
from tests.conftest import StoreTarget
from tests.integration.queue_tasks import lines, mark
from tests.integration.worker_processes import run_burst_workers, start_worker, wait_for

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
    run_burst_workers(target, tmp_path, 2, "-c", "4")
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


@pytest.mark.parametrize("concurrency", [1, 2])
def test_a_job_posted_by_a_job_of_a_claimed_batch_starts_before_the_rest_of_it(
    store: Store, tmp_path: Path, concurrency: int
) -> None:
    """The slot that posted the high-priority job (from a job of its batch, on its own
    connection) sees it at its next recheck like any other post: on SQLite its own commit
    does not change its connection's data_version, so the slot counts its own writes too."""
    out = str(tmp_path / "out")
    post_many(
        [("qt.relay", {"path": out, "n": n, "post_at": 150}) for n in range(400)], store=store
    )
    worker = Worker(store, concurrency=concurrency, lease=10)
    thread = threading.Thread(target=worker.run)
    thread.start()
    try:
        wait_for(lambda: "start 1000" in " ".join(lines(out)), 60, "the high job")
    finally:
        worker.stop()
        thread.join(60)
    events = [" ".join(e.split()[:2]) for e in lines(out)]
    posted, high = events.index("posted"), events.index("start 1000")
    # Only what a slot had begun when the post committed (one per slot) starts first.
    lows = [e for e in events[posted:high] if e.startswith("start")]
    assert len(lows) <= concurrency, events[posted - 3 : high + 2]


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


def test_a_burst_worker_waits_for_the_jobs_of_a_worker_killed_before_their_lease_ran_out(
    target: StoreTarget, tmp_path: Path
) -> None:
    """Started right after another worker was SIGKILLed, a burst worker saw nothing waiting
    and stopped at once, leaving the dead worker's jobs running until another came."""
    store = target.open()
    out = str(tmp_path / "out")
    jobs = post_many(
        [("qt.sleepy", {"path": out, "n": n, "seconds": 1.0}) for n in range(2)], store=store
    )
    dead = start_worker(target, tmp_path / "dead.log", "-c", "2", "--lease", "2")
    try:
        wait_for(lambda: len(_start_lines(out)) == 2, 60, "the doomed worker to start both")
    finally:
        dead.kill()
        dead.wait(10)
    assert [store.jobs.get(job.id).status for job in jobs] == ["running", "running"]
    stats = Worker(store, burst=True, concurrency=2, lease=5).run()
    assert stats.completed == 2, stats
    for job in jobs:
        stored = store.jobs.get(job.id)
        assert (stored.status, stored.attempts, stored.lost) == ("completed", 2, 1)
    store.close()


# The lines the spies below write for the worker (``claimed high``, ``posted by the
# worker``) are written inside the claim's or the post's transaction, before it commits:
# written after it, a line could land late, after lines of what the commit caused in other
# slots (on SQLite, another slot claimed and ran a job the posting slot had just posted
# before that slot's own line; about 1 run in 50 on a busy machine). Before the commit, a
# line comes first of all that the commit caused, and the bounds below count from it.


def _spy_batches(worker: Worker, out: str) -> list[int]:
    """The size of every batch ``worker`` claims (to show the backlog went in batches); a
    line ``claimed high`` in ``out``, before the claim commits, when a claim took a job of
    priority above 0."""
    sizes: list[int] = []
    store, jobs = worker.store, worker.store.jobs
    claim, finish_and_claim = jobs.claim, jobs.finish_and_claim
    local = threading.local()

    def seen(found: list[Claimed]) -> list[Claimed]:
        if found is getattr(local, "found", None):  # finish_and_claim's claim, seen inside
            return found
        local.found = found
        sizes.append(len(found))
        if any(job.priority > 0 for job in found):
            mark(out, "claimed high")
        return found

    def spied_claim(**options: Any) -> list[Claimed]:
        with store.connector.write_turn():  # the line before the commit (see above)
            return seen(claim(**options))

    def spied_finish_and_claim(*args: Any, **options: Any) -> tuple[Ended, list[Claimed]]:
        with store.connector.write_turn():
            ended, found = finish_and_claim(*args, **options)
            return ended, seen(found)

    jobs.claim = spied_claim  # type: ignore[method-assign]
    jobs.finish_and_claim = spied_finish_and_claim  # type: ignore[method-assign]
    return sizes


def _mark_posts(worker: Worker, out: str) -> None:
    """A line ``posted by the worker`` in ``out`` when a slot of the worker posts jobs (a
    dependency, fan-out children), before the post commits (see above)."""
    store, jobs = worker.store, worker.store.jobs
    insert, insert_many = jobs.insert, jobs.insert_many

    def posted(found: Any) -> Any:
        if threading.current_thread().name.startswith("jobsmith-slot"):
            mark(out, "posted by the worker")
        return found

    def marked_insert(*args: Any, **options: Any) -> Any:
        with store.connector.write_turn():
            return posted(insert(*args, **options))

    def marked_insert_many(*args: Any, **options: Any) -> Any:
        with store.connector.write_turn():
            return posted(insert_many(*args, **options))

    jobs.insert = marked_insert  # type: ignore[method-assign]
    jobs.insert_many = marked_insert_many  # type: ignore[method-assign]


def _low_starts_between(events: list[str], first: str, last: str) -> int:
    """How many backlog jobs (``start N`` lines) started after line ``first`` and before
    line ``last`` (none when ``last`` came first)."""
    a, b = events.index(first), events.index(last)
    return sum(1 for e in events[a + 1 : b] if e.startswith("start "))


def _backlog_then(store: Store, out: str, concurrency: int) -> tuple[Worker, threading.Thread]:
    """A worker draining a backlog of 600 short low-priority jobs, claimed in batches."""
    post_many(
        [("qt.sleepy", {"path": out, "n": n, "seconds": 0.003}) for n in range(600)],
        store=store,
    )
    worker = Worker(store, concurrency=concurrency, lease=10)
    thread = threading.Thread(target=worker.run)
    thread.start()
    wait_for(lambda: _starts(out) >= 60, 60, "the backlog to be draining")
    return worker, thread


@contextmanager
def _draining_batches(store: Store, out: str, concurrency: int) -> Iterator[list[int]]:
    """Inside: a worker drains the backlog in batches (the sizes of its claims, spied),
    its posts marked in ``out``; on leaving, the worker is stopped."""
    worker, thread = None, None
    try:
        worker, thread = _backlog_then(store, out, concurrency)
        sizes = _spy_batches(worker, out)
        _mark_posts(worker, out)
        wait_for(lambda: len(sizes) >= 5 and max(sizes) > 1, 30, "a batch of the backlog")
        yield sizes
    finally:
        if worker is not None and thread is not None:
            worker.stop()
            thread.join(60)


@pytest.mark.parametrize("concurrency", [1, 2])
def test_a_dependency_posted_at_priority_plus_one_runs_before_a_claimed_backlog(
    store: Store, tmp_path: Path, concurrency: int
) -> None:
    out = str(tmp_path / "out")
    with _draining_batches(store, out, concurrency) as sizes:
        use = post("qt.use", {"path": out, "item": "x"}, priority=5, store=store)
        mark(out, "posted")  # committed
        wait_for(lambda: "use x" in lines(out), 30, "the dependant to run")
    events = lines(out)
    (make,) = [j for j in store.jobs.of_task("qt", "make")]
    assert (make.priority, store.jobs.get(use.id).priority) == (6, 5)
    steps = ("claimed high", "posted by the worker", "make x", "use x")
    order = [events.index(e) for e in steps]
    assert order == sorted(order), events
    # Before the dependant is claimed: at most the job a slot was between (one per slot)
    # and one more before the wake-up reached the worker. Once its dependency is posted,
    # at most one per slot (one it was starting as the post committed) ... (the worker's
    # lines come before their commits: see the note above _spy_batches)
    assert _low_starts_between(events, "posted", "claimed high") <= concurrency + 1, events
    assert _low_starts_between(events, "posted by the worker", "make x") <= concurrency, events
    # ... and the dependant, released when its dependency ends, waits behind no batch of
    # the slot that ran the dependency (other slots may run the backlog meanwhile: while
    # the dependency runs, nothing of higher priority waits).
    if concurrency == 1:
        assert _low_starts_between(events, "make x", "use x") <= 1, events
    assert max(sizes) > 1  # the backlog went in batches


def test_the_dependant_of_a_slow_dependency_runs_next_too(store: Store, tmp_path: Path) -> None:
    """A dependency longer than a short job had its end recorded in the background while
    the slot claimed again: a backlog job started before the dependant."""
    out = str(tmp_path / "out")
    with _draining_batches(store, out, 1):
        post("qt.use_slowly", {"path": out, "item": "x"}, priority=5, store=store)
        wait_for(lambda: "use x" in lines(out), 30, "the dependant to run")
    events = lines(out)
    assert events.index("make x") < events.index("use x"), events
    assert _low_starts_between(events, "make x", "use x") == 0, events


@pytest.mark.parametrize("concurrency", [1, 2])
def test_all_fan_out_children_run_before_a_claimed_backlog(
    store: Store, tmp_path: Path, concurrency: int
) -> None:
    out = str(tmp_path / "out")
    colors = {"red", "green", "blue"}
    with _draining_batches(store, out, concurrency) as sizes:
        parent = post("qt.paint", {"path": out, "color": "ALL"}, priority=5, store=store)
        mark(out, "posted")  # committed
        wait_for(lambda: colors <= set(lines(out)), 30, "the three children to run")
    events = lines(out)
    children = [j for j in store.jobs.of_task("qt", "paint") if j.id != parent.id]
    assert sorted(j.priority for j in children) == [5, 5, 5]
    last = events[max(events.index(c) for c in colors)]
    steps = ("claimed high", "posted by the worker", last)
    order = [events.index(e) for e in steps]
    assert order == sorted(order), events
    # Before the parent is claimed: at most the job a slot was between (one per slot) and
    # one more before the wake-up; once the children are posted, at most one per slot
    # (one it was starting as the post committed) before the last child starts.
    assert _low_starts_between(events, "posted", "claimed high") <= concurrency + 1, events
    assert _low_starts_between(events, "posted by the worker", last) <= concurrency, events
    assert max(sizes) > 1  # the backlog went in batches


def test_two_worker_processes_share_a_backlog_of_slow_jobs_evenly(
    target: StoreTarget, tmp_path: Path
) -> None:
    store = target.open()
    gate, out = str(tmp_path / "gate"), str(tmp_path / "out")
    # Four barrier jobs first (two slots in each process): the backlog starts only once
    # both processes run, so neither gets a head start.
    post_many(
        [("qt.barrier", {"path": gate, "n": n, "parties": 4}) for n in range(4)],
        priority=10,
        store=store,
    )
    post_many(
        [("qt.slot_sleep", {"path": out, "n": n, "seconds": 0.2}) for n in range(24)],
        store=store,
    )
    run_burst_workers(target, tmp_path, 2, "-c", "2")
    starts = [e.split()[1:] for e in lines(out)]
    assert sorted(int(n) for n, _, _ in starts) == list(range(24))  # each ran once
    by_process = Counter(pid for _, pid, _ in starts)
    by_slot = Counter((pid, thread) for _, pid, thread in starts)
    assert len(by_process) == 2 and len(by_slot) == 4, by_slot
    # 24 jobs of the same length over four slots that began together: six each, give or
    # take the one a slot finished a little sooner.
    assert sorted(by_process.values())[0] >= 10, by_process
    assert min(by_slot.values()) >= 4, by_slot
    # First in, first out: each slot's jobs are in posted order.
    for slot in by_slot:
        mine = [int(n) for n, pid, thread in starts if (pid, thread) == slot]
        assert mine == sorted(mine), (slot, mine)
    store.close()
