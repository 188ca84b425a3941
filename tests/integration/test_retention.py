"""Retention on both stores: old finished jobs and run-log rows are pruned in batches;
active jobs, recent ones and jobs a dependency still counts are kept."""

from __future__ import annotations

import os
import time
from datetime import timedelta

import pytest

from jobsmith.errors import JobsmithError
from jobsmith.queue import Dependency, Registry, Worker, post
from jobsmith.queue.controls import MAX_AGE_DAYS, parse_age, prune
from jobsmith.store import Store
from jobsmith.store.controls import Pruned
from jobsmith.store.jobs import Outcome
from tests.conftest import StoreTarget

DAY = 86400.0
WHO = {"environment": "test", "executed_by": "me", "host": "h", "pid": os.getpid()}


def registry() -> Registry:
    found = Registry()

    @found.task(type_key="r")
    def source(n: int = 0) -> None: ...

    @found.task(type_key="r", dependencies=[Dependency("r.source", 10 * 24)])
    def report(n: int = 0) -> None: ...

    @found.task(type_key="r")
    def other(n: int = 0) -> None: ...

    return found


def ended(store: Store, name: str, n: int, status: str, days_ago: float, reg: Registry) -> int:
    """A job of ``name`` that ended ``days_ago`` days ago (logged in the run log too)."""
    job = post(name, {"n": n}, store=store, registry=reg)
    claimed = store.jobs.claim(worker="w", host="h", limit=50, system_units=1000, lease=30)
    mine = next(c for c in claimed if c.id == job.id)
    store.jobs.release([c for c in claimed if c.id != job.id])
    at = time.time() - days_ago * DAY
    store.jobs.finish([Outcome(mine, status, at - 1, at)], WHO)
    return job.id


def exists(store: Store, job_id: int) -> bool:
    try:
        store.jobs.get(job_id)
    except JobsmithError:
        return False
    return True


def test_old_finished_jobs_and_runs_go_in_batches_the_rest_stays(store: Store) -> None:
    reg = registry()
    old = [
        ended(store, "r.other", n, s, 5, reg)
        for n, s in enumerate(["completed"] * 5 + ["failed", "cancelled"])
    ]
    recent = ended(store, "r.other", 100, "completed", 0.01, reg)
    fresh_dependency = ended(store, "r.source", 1, "completed", 5, reg)  # within 10 days
    stale_dependency = ended(store, "r.source", 2, "completed", 12, reg)
    waiting = post("r.other", {"n": 200}, store=store, registry=reg).id

    found = prune(store, "1d", registry=reg, batch=3)

    assert found.jobs == 8  # the seven old ones and the stale dependency
    assert found.runs == 9  # every job run that ended more than a day ago
    assert not any(exists(store, j) for j in [*old, stale_dependency])
    assert all(exists(store, j) for j in (recent, fresh_dependency, waiting))
    assert prune(store, "1d", registry=reg).jobs == 0  # nothing more to do


def test_a_dependency_that_accepts_any_end_keeps_failed_jobs_too(store: Store) -> None:
    """A failed or cancelled job meets a Dependency(on_failure="continue") within its
    window, but retention kept only completed ones: pruned, it was run again for the next
    dependant."""
    reg = registry()

    @reg.task(type_key="r", dependencies=[Dependency("r.other", 10 * 24, on_failure="continue")])
    def summary(n: int = 0) -> None: ...

    failed = ended(store, "r.other", 1, "failed", 5, reg)  # within 10 days: still counts
    cancelled = ended(store, "r.other", 2, "cancelled", 5, reg)
    stale = ended(store, "r.other", 3, "failed", 12, reg)
    failed_source = ended(store, "r.source", 4, "failed", 5, reg)  # its dependant needs success
    assert prune(store, "1d", registry=reg).jobs == 2
    assert exists(store, failed) and exists(store, cancelled)
    assert not exists(store, stale) and not exists(store, failed_source)


def test_without_the_dependency_known_the_old_dependency_job_goes(store: Store) -> None:
    reg = registry()
    job = ended(store, "r.source", 1, "completed", 5, reg)
    assert prune(store, "1d", registry=Registry()).jobs == 1
    assert not exists(store, job)


def test_a_worker_with_retention_prunes(store: Store) -> None:
    reg = registry()
    old = ended(store, "r.other", 1, "completed", 40, reg)
    Worker(store, reg, lease=5, burst=True, retention=parse_age("30d")).run()
    assert not exists(store, old)


def test_jobsmith_prune_from_the_command_line(target: StoreTarget) -> None:
    store = target.open()
    reg = registry()
    ended(store, "r.other", 1, "failed", 3, reg)
    done = target.jobsmith("prune", "--older-than", "2d")
    assert done.returncode == 0, done.stderr
    assert "pruned 1 finished job(s) and 1 run-log job run(s)" in done.stdout
    bad = target.jobsmith("prune", "--older-than", "soon")
    assert bad.returncode != 0
    assert "--older-than 'soon': expected a number and a unit (s, m, h, d, w)" in bad.stderr
    store.close()


def test_ages() -> None:
    assert parse_age("30d") == 30 * DAY and parse_age("1.5h") == 5400 and parse_age(60) == 60
    with pytest.raises(JobsmithError, match="expected a number and a unit"):
        parse_age("30 days")


@pytest.mark.parametrize(
    "age", ["9999999d", "365001d", 1e15, float("inf"), float("nan"), -1, timedelta(days=-1)]
)
def test_an_age_a_datetime_cannot_subtract_is_refused_by_name(age: object) -> None:
    with pytest.raises(JobsmithError) as caught:
        parse_age(age, "--retention")  # type: ignore[arg-type]
    assert str(caught.value) == f"--retention {age!r}: expected an age from 0s to 365000d"
    assert parse_age("365000d") == 365_000 * DAY and parse_age(timedelta(0)) == 0
    with pytest.raises(JobsmithError, match=r"^--older-than True: expected a number and a unit"):
        parse_age(True)  # type: ignore[arg-type]


def test_the_oldest_age_prunes_and_a_worker_refuses_an_older_retention(store: Store) -> None:
    reg = registry()
    old = ended(store, "r.other", 1, "failed", 40, reg)
    assert prune(store, f"{MAX_AGE_DAYS}d", registry=reg) == Pruned(0, 0)  # was an OverflowError
    assert exists(store, old)
    # the monitor thread died of an OverflowError on its first prune; refused at once now
    with pytest.raises(
        JobsmithError, match=r"^retention 1000000000000000.0: expected an age from 0s to "
    ):
        Worker(store, reg, lease=5, burst=True, retention=1e15)


def test_a_too_old_age_on_the_command_line_is_one_line(target: StoreTarget) -> None:
    for argv in (
        ["prune", "--older-than", "9999999d"],
        ["worker", "--burst", "--retention", "9999999d"],
    ):
        done = target.jobsmith(*argv)
        assert done.returncode != 0
        assert done.stderr == f"error: {argv[-2]} '9999999d': expected an age from 0s to 365000d\n"


def test_a_pruned_job_run_takes_its_task_runs_and_parameters_with_it(store: Store) -> None:
    """Nothing of a pruned run is left behind: on PostgreSQL no foreign key cascades to the
    task runs and parameters (migration 0021), the prune deletes them itself."""
    reg = registry()
    for n, days_ago in ((7, 5), (8, 0.01)):  # the second is recent: kept whole
        post("r.other", {"n": n}, store=store, registry=reg)
        (job,) = store.jobs.claim(worker="w", host="h", limit=1, system_units=1000, lease=30)
        at = time.time() - days_ago * DAY
        store.jobs.finish([Outcome(job, "completed", at - 1, at, parameters=[("n", str(n))])], WHO)
    runs = {run.id: store.runs.tasks(run.id) for run in store.runs.recent(10)}
    assert sorted(t.parameters for tasks in runs.values() for t in tasks) == [
        (("n", "7"),),
        (("n", "8"),),
    ]

    assert prune(store, "1d", registry=reg).runs == 1

    (kept,) = [run.id for run in store.runs.recent(10)]
    (gone,) = set(runs) - {kept}
    assert store.runs.tasks(gone) == []
    assert [t.parameters for t in store.runs.tasks(kept)] == [(("n", "8"),)]
    # the rows themselves, whatever reads them: only the kept run's task has parameters
    rows = store.connector.fetchall("SELECT task_run_id FROM task_run_parameter", {})
    assert [r["task_run_id"] for r in rows] == [t.id for t in runs[kept]]
