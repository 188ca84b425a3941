"""The queue under stress, with real worker processes: every job runs exactly once with
two workers, a job whose worker is killed completes elsewhere, and workers ride out a
PostgreSQL restart (at least once: a job runs twice only if its attempt could not be
recorded, so it shows more than one attempt)."""

from __future__ import annotations

import signal
import subprocess
from collections import Counter
from pathlib import Path

import psycopg
import pytest

from jobsmith.queue import post, post_many
from jobsmith.store import Store
from tests.conftest import PG_URL, StoreTarget
from tests.integration.queue_tasks import lines
from tests.integration.worker_processes import run_burst_workers, start_worker, stop_all, wait_for

pytestmark = [pytest.mark.timeout(240), pytest.mark.slow]

JOBS = 2000


def test_two_workers_run_each_of_2000_jobs_exactly_once(
    target: StoreTarget, store: Store, tmp_path: Path
) -> None:
    """The store comes from the fixture, so it is closed even when an assertion fails (a
    connection left open would warn in a later test)."""
    out = str(tmp_path / "out")
    post_many([("qt.record", {"path": out, "n": n}) for n in range(JOBS)], store=store)
    run_burst_workers(target, tmp_path, 2, timeout=180)
    ran = Counter(int(line.split()[0]) for line in lines(out))
    assert sorted(ran) == list(range(JOBS))
    assert set(ran.values()) == {1}
    assert [(s, n) for _, _, s, n in store.jobs.counts()] == [("completed", JOBS)]


def test_a_job_whose_worker_is_killed_completes_on_another(
    target: StoreTarget, tmp_path: Path
) -> None:
    store = target.open()
    out = str(tmp_path / "out")
    job = post("qt.sleepy", {"path": out, "n": 1, "seconds": 1.0}, store=store)
    others = post_many(
        [("qt.record", {"path": str(tmp_path / "rec"), "n": n}) for n in range(50)], store=store
    )
    doomed = start_worker(target, tmp_path / "doomed.log", "--lease", "2")
    survivor = None
    try:
        wait_for(lambda: bool(lines(out)), 30, "the sleepy job to start")
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(10)
        survivor = start_worker(target, tmp_path / "survivor.log", "--lease", "2")
        wait_for(lambda: store.jobs.get(job.id).status == "completed", 60, "the job to complete")
        survivor.send_signal(signal.SIGTERM)
        assert survivor.wait(20) == 0
    finally:
        stop_all([doomed] + ([survivor] if survivor else []))
    events = [line.split() for line in lines(out)]
    assert [e[0] for e in events] == ["start", "start", "end"]
    assert events[0][2] == str(doomed.pid) and events[2][2] != str(doomed.pid)
    stored = store.jobs.get(job.id)
    assert (stored.status, stored.attempts, stored.lost) == ("completed", 2, 1)
    statuses = [store.runs.get(r).status for r in store.jobs.attempts(job.id)]
    assert statuses == ["Failed", "Completed"]  # the lost attempt is in the run log too
    assert all(store.jobs.get(o.id).status == "completed" for o in others)
    store.close()


@pytest.mark.postgres
def test_workers_ride_out_a_postgresql_restart(pg_target: StoreTarget, tmp_path: Path) -> None:
    """Restarts the local cluster (others' tests may fail during those seconds)."""
    store = pg_target.open()
    out = str(tmp_path / "out")
    total = 3000  # about 5 s of work for two workers: the restart lands in the middle
    post_many(
        [("qt.sleepy", {"path": out, "n": n, "seconds": 0.003}) for n in range(total)],
        store=store,
    )
    store.close()
    workers = [
        start_worker(pg_target, tmp_path / f"w{i}.log", "--burst", "--lease", "10")
        for i in range(2)
    ]
    try:
        wait_for(lambda: len(lines(out)) > 400, 60, "the workers to get going")
        restart = subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", _cluster_version(), "main", "restart"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert restart.returncode == 0, restart.stderr
        done_at_restart = sum(1 for line in lines(out) if line.startswith("end"))
        for worker in workers:
            assert worker.wait(180) == 0
    finally:
        stop_all(workers)
    assert done_at_restart < total  # the restart happened under load
    ran = Counter(int(line.split()[1]) for line in lines(out) if line.startswith("start"))
    assert sorted(ran) == list(range(total))  # no job lost
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        rows = conn.execute(
            f"SELECT arguments ->> 'n', status, attempts FROM \"{pg_target.schema}\".queue_job"
        ).fetchall()
    assert {status for _, status, _ in rows} == {"completed"}
    attempts = {int(n): a for n, _, a in rows}
    twice = [n for n, count in ran.items() if count > 1]
    # At least once: a job ran twice only when its first attempt could not be recorded.
    assert all(attempts[n] >= ran[n] for n in twice)
    assert len(twice) <= 200


def _cluster_version() -> str:
    return sorted(p.name for p in Path("/etc/postgresql").iterdir())[0]
