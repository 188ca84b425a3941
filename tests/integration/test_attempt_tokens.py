"""Leases and attempt tokens: only the current attempt can end or renew a job, and a job
whose worker stopped renewing is handed to another (both stores, the repository's API)."""

from __future__ import annotations

import time

from jobsmith.queue import post
from jobsmith.store import Store
from jobsmith.store.jobs import Outcome
from tests.integration import queue_tasks  # noqa: F401  (registers the qt.* tasks)

WHO = {"environment": "test", "executed_by": "tester", "host": "here", "pid": 1}


def claim_one(store: Store, worker: str, lease: float = 30) -> list:
    return store.jobs.claim(worker=worker, host="here", limit=5, system_units=100, lease=lease)


def test_a_claimed_job_is_held_by_one_attempt(store: Store) -> None:
    job = post("qt.record", {"path": "/p"}, store=store)
    (first,) = claim_one(store, "w1")
    assert claim_one(store, "w2") == []  # nobody else gets it
    assert (first.id, first.attempts) == (job.id, 1)
    assert store.jobs.get(job.id).worker == "w1"


def test_only_the_current_token_ends_an_attempt(store: Store) -> None:
    post("qt.record", {"path": "/p"}, store=store)
    (claimed,) = claim_one(store, "w1")
    real_token = claimed.token
    claimed.token = "0" * 32  # an attempt that is not the current one
    now = time.time()
    assert store.jobs.finish([Outcome(claimed, "failed", now, now, "stale")], WHO) == set()
    assert store.jobs.get(claimed.id).status == "running"
    claimed.token = real_token
    assert store.jobs.finish([Outcome(claimed, "completed", now, now)], WHO) == {claimed.id}
    assert store.jobs.get(claimed.id).status == "completed"


def test_the_heartbeat_renews_only_the_workers_own_leases(store: Store) -> None:
    post("qt.record", {"path": "/p", "n": 1}, store=store)
    post("qt.record", {"path": "/p", "n": 2}, store=store)
    one = store.jobs.claim(worker="w1", host="here", limit=1, system_units=100, lease=1)
    two = store.jobs.claim(worker="w2", host="here", limit=1, system_units=100, lease=1)
    before = store.jobs.get(one[0].id).lease_until
    renewed = store.jobs.renew("w1", 60)
    assert [(job_id, token) for job_id, token, _ in renewed] == [(one[0].id, one[0].token)]
    assert store.jobs.get(one[0].id).lease_until > before
    assert store.jobs.get(two[0].id).lease_until < store.jobs.get(one[0].id).lease_until


def test_an_expired_lease_hands_the_job_to_another_worker(store: Store) -> None:
    job = post("qt.record", {"path": "/p"}, store=store)
    (dead,) = store.jobs.claim(worker="w1", host="here", limit=1, system_units=100, lease=0.2)
    assert store.jobs.expire(max_lost=3) == []  # not yet
    time.sleep(0.3)
    (lost,) = store.jobs.expire(max_lost=3)
    assert (lost.id, lost.status, lost.token) == (job.id, "waiting", dead.token)
    assert "stopped renewing its lease (attempt 1)" in lost.error
    store.jobs.log_lost([lost], WHO)
    (alive,) = claim_one(store, "w2")
    assert (alive.id, alive.attempts) == (job.id, 2) and alive.token != dead.token
    # The first worker wakes up: its result is refused, the new attempt's stands.
    now = time.time()
    assert store.jobs.finish([Outcome(dead, "failed", now, now, "late")], WHO) == set()
    assert store.jobs.finish([Outcome(alive, "completed", now, now)], WHO) == {job.id}
    stored = store.jobs.get(job.id)
    assert (stored.status, stored.lost, stored.attempts) == ("completed", 1, 2)
    runs = [store.runs.get(r) for r in store.jobs.attempts(job.id)]
    # Each attempt is in the run log once: the lost one as failed (the late worker's own
    # record of it is not added twice), then the one that counted.
    assert [(r.guid.replace("-", ""), r.status) for r in runs] == [
        (dead.token.replace("-", ""), "Failed"),
        (alive.token.replace("-", ""), "Completed"),
    ]


def test_a_job_lost_too_often_fails(store: Store) -> None:
    job = post("qt.record", {"path": "/p"}, store=store)
    for _ in range(2):
        store.jobs.claim(worker="w", host="here", limit=1, system_units=100, lease=0.05)
        time.sleep(0.1)
        store.jobs.expire(max_lost=2)
    stored = store.jobs.get(job.id)
    assert (stored.status, stored.lost) == ("failed", 2)


def test_giving_a_claimed_job_back_does_not_count_an_attempt(store: Store) -> None:
    job = post("qt.record", {"path": "/p"}, store=store)
    claimed = claim_one(store, "w1")
    store.jobs.release(claimed)
    stored = store.jobs.get(job.id)
    assert (stored.status, stored.attempts, stored.worker) == ("waiting", 0, None)


def test_claims_stay_within_the_hosts_process_units(store: Store) -> None:
    for n in range(4):
        post("qt.heavy", {"path": "/p", "n": n}, store=store)  # 6 units each
    first = store.jobs.claim(worker="a", host="h1", limit=10, system_units=13, lease=30)
    second = store.jobs.claim(worker="b", host="h1", limit=10, system_units=13, lease=30)
    other_host = store.jobs.claim(worker="c", host="h2", limit=10, system_units=13, lease=30)
    assert (len(first), len(second), len(other_host)) == (2, 0, 2)
