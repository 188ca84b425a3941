"""Per-key concurrency limits on both stores: shared by every worker, a slot held under
the job's lease (a SIGKILLed worker's slot frees when its lease is handed back), full keys
never block other keys."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from jobsmith.errors import JobsmithError
from jobsmith.queue import Registry, Task, Worker, post_many
from jobsmith.store import Store
from jobsmith.store.controls import Limit
from jobsmith.store.jobs import Claimed
from tests.conftest import REPO, StoreTarget
from tests.integration import control_tasks as ct
from tests.integration.worker_processes import stop_all, wait_for

WORKER = [sys.executable, "-m", "jobsmith", "worker", "-m", "tests.integration.control_tasks"]


def test_a_key_never_runs_more_than_its_limit_and_other_keys_go_on(
    store: Store, tmp_path: Path
) -> None:
    out = str(tmp_path / "out")
    post_many(
        [(ct.tenant_job, {"path": out, "tenant": "a", "n": n}) for n in range(6)]
        + [(ct.tenant_job, {"path": out, "tenant": "b", "n": n}) for n in range(2)],
        store=store,
    )
    Worker(store, lease=5, burst=True, concurrency=6, tasks=["ct.tenant_job"]).run()
    events = [line.split() for line in ct.lines(out)]
    starts = [e for e in events if e[0] == "start"]
    assert len(starts) == 8
    assert all(int(e[3]) <= 2 for e in starts), starts  # never more than 2 of a key at once
    a_starts = [i for i, e in enumerate(starts) if e[1] == "a"]
    b_starts = [i for i, e in enumerate(starts) if e[1] == "b"]
    assert max(b_starts) < max(a_starts)  # b did not wait behind a's queue
    running = 0
    most = 0
    for e in events:
        if e[1] == "a":
            running += 1 if e[0] == "start" else -1
            most = max(most, running)
    assert most == 2


def test_the_key_is_the_argument_value_or_the_task() -> None:
    assert ct.tenant_job.limit_for({"tenant": "acme"}) == Limit("tenant=acme", 2)
    registry = Registry()

    @registry.task(type_key="l", max_running=3)
    def whole(x: int) -> None: ...

    assert whole.limit_for({"x": 1}) == Limit("l.whole", 3)

    @registry.task(type_key="l", limit_key="x", rate_limit="100/m")
    def paced(x: int) -> None: ...

    assert paced.limit_for({"x": 7}) == Limit("x=7", None, 100, 60.0)
    with pytest.raises(JobsmithError, match=r"rate_limit 'fast': expected jobs per time"):
        registry.task(type_key="l", task_key="bad3", rate_limit="fast")(lambda x: None)
    assert ct.note.limit_for({"path": "/p"}) is None
    with pytest.raises(JobsmithError, match="limit_key='x' needs max_running=N or rate_limit"):
        registry.task(type_key="l", task_key="bad", limit_key="x")(lambda x: None)
    with pytest.raises(JobsmithError, match="max_running must be a whole number >= 1, got 0"):
        registry.task(type_key="l", task_key="bad2", max_running=0)(lambda x: None)


def test_a_killed_workers_slot_is_free_again_after_its_lease(
    target: StoreTarget, tmp_path: Path
) -> None:
    store = target.open()
    out = str(tmp_path / "out")
    first = ct.solo.post(path=out, tenant="k", n=1, seconds=8, store=store)
    log = open(tmp_path / "workers.log", "ab")  # noqa: SIM115 (closed below)
    doomed = subprocess.Popen(
        [*WORKER, "--lease", "2"], cwd=REPO, env=target.env(), stdout=log, stderr=log
    )
    survivor = None
    try:
        wait_for(lambda: len(ct.lines(out)) == 1, 60, "the first job to start")
        second = ct.solo.post(path=out, tenant="k", n=2, seconds=0, store=store)
        other = ct.solo.post(path=out, tenant="other", n=3, seconds=0, store=store)
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(10)
        [slot] = store.controls.slots()  # the dead worker's job still holds the slot
        assert (slot.limit_key, slot.job_id) == ("tenant=k", first.id)
        survivor = subprocess.Popen(
            [*WORKER, "--lease", "2", "-c", "2"],
            cwd=REPO,
            env=target.env(),
            stdout=log,
            stderr=log,
        )
        wait_for(lambda: store.jobs.get(second.id).status == "completed", 60, "the second")
        assert store.jobs.get(other.id).status == "completed"
        events = [line.split()[:2] for line in ct.lines(out)]
        # the first ran again (its lease expired) before or after the second, never beside it
        assert events[0] == ["start", "1"]
        assert store.jobs.get(first.id).lost == 1
    finally:
        stop_all([doomed] + ([survivor] if survivor else []))
        log.close()
        store.close()


def test_show_limits(target: StoreTarget, tmp_path: Path) -> None:
    store = target.open()
    job = ct.solo.post(path=str(tmp_path / "o"), tenant="shown", store=store)
    claimed = store.jobs.claim(worker="w1", host="h", limit=1, system_units=10, lease=30)
    assert [c.id for c in claimed] == [job.id]
    ct.solo.post(path=str(tmp_path / "o"), tenant="shown", n=2, store=store)
    done = target.jobsmith("show", "limits")
    assert done.returncode == 0, done.stderr
    assert "tenant=shown" in done.stdout and "1/1" in done.stdout and "w1" in done.stdout
    typo = target.jobsmith("show", "limit")
    assert typo.returncode == 1 and typo.stderr.strip() == (
        "error: 'limit': expected a job id, TYPE.TASK or limits (did you mean 'limits'?)"
    )
    one = target.jobsmith("show", str(job.id))  # the job's own page names its key
    assert "limit key 'tenant=shown', at most 1 running (`jobsmith show limits`)" in one.stdout
    store.close()


def test_a_rate_limit_caps_the_starts_per_window(store: Store, tmp_path: Path) -> None:
    import threading

    out = str(tmp_path / "out")
    jobs = post_many(
        [(ct.paced, {"path": out, "tenant": "a", "n": n}) for n in range(4)]
        + [(ct.paced, {"path": out, "tenant": "b", "n": 9})],
        store=store,
    )
    worker = Worker(store, lease=5, poll=0.05, tasks=["ct.paced"])
    thread = threading.Thread(target=worker.run)
    thread.start()
    try:
        wait_for(lambda: len(ct.lines(out)) == 3, 30, "two of a and the one of b")
        worker.stopping.wait(1.0)  # many claims later, a's other two still wait
    finally:
        worker.stop(now=True)
        thread.join(20)
    assert sorted(ct.lines(out)) == ["paced a 0", "paced a 1", "paced b 9"]
    assert [store.jobs.get(j.id).status for j in jobs[2:4]] == ["waiting", "waiting"]


def _limits_of(store: Store, ids: list[int]) -> list[str | None]:
    return [store.jobs.get(i).limit_key for i in ids]


def test_a_task_posted_by_name_without_its_code_is_limited_the_same(store: Store) -> None:
    """The limit options travel with the task's published definition: a process that
    only knows the task's name posts limited jobs, with the keys the task's own code
    gives."""
    store.jobs.publish([ct.tenant_job.definition(), ct.paced.definition()])
    bare = Registry()  # a poster without the tasks' code (like the dashboard's form)
    from jobsmith.queue import post

    by_name = post("ct.tenant_job", {"path": "/p", "tenant": "acme"}, store=store, registry=bare)
    paced = post("ct.paced", {"path": "/p", "tenant": "x", "n": 3}, store=store, registry=bare)
    many = post_many(
        [("ct.tenant_job", {"path": "/q", "tenant": "zed", "n": n}) for n in range(2)],
        store=store,
        registry=bare,
    )
    with_code = ct.tenant_job.post(path="/r", tenant="acme", store=store)
    assert _limits_of(store, [by_name.id, paced.id, with_code.id]) == [
        "tenant=acme",
        "tenant=x",
        "tenant=acme",
    ]
    assert _limits_of(store, [j.id for j in many]) == ["tenant=zed", "tenant=zed"]
    assert store.controls.waiting_by_key() == {"tenant=acme": 2, "tenant=x": 1, "tenant=zed": 2}
    claimed = store.jobs.claim(worker="w", host="h", limit=10, system_units=10, lease=30)
    by_key = sorted(store.jobs.get(c.id).limit_key or "" for c in claimed)
    # max_running=2 per tenant, rate 2/h per tenant: every waiting job fits
    assert by_key == ["tenant=acme", "tenant=acme", "tenant=x", "tenant=zed", "tenant=zed"]


def test_the_unique_options_travel_with_the_definition_too(store: Store) -> None:
    store.jobs.publish([ct.report.definition()])
    from jobsmith.queue import post

    first = post("ct.report", {"path": "/p", "day": "mon"}, store=store, registry=Registry())
    again = post("ct.report", {"path": "/q", "day": "mon"}, store=store, registry=Registry())
    assert first.created and not again.created and again.id == first.id
    assert store.controls.unique_key(first.id) == "report-mon"


def test_a_key_from_a_number_or_boolean_argument_is_its_json_text() -> None:
    registry = Registry()

    @registry.task(type_key="l", limit_key="n", max_running=1)
    def numbered(n: int | None = None, flag: bool = False) -> None: ...

    @registry.task(type_key="l", limit_key="flag", max_running=1)
    def flagged(flag: bool = False) -> None: ...

    assert numbered.limit_for({"n": 7}) == Limit("n=7", 1)
    assert numbered.limit_for({"n": None}) == Limit("n=null", 1)
    assert flagged.limit_for({"flag": True}) == Limit("flag=true", 1)


@pytest.mark.postgres
def test_sql_insert_job_is_limited_by_the_published_definition(pg_store: Store) -> None:
    """CALL insert_job (JobMaster's SQL posting) gets the task's limit from the store, the
    same key as post() gives; a task without limits stays unlimited."""
    pg_store.jobs.publish([ct.tenant_job.definition(), ct.note.definition()])
    rows = []
    for arguments in ('{"path": "/p", "tenant": "acme"}', '{"path": "/p", "tenant": "b c"}'):
        row = pg_store.connector.fetchone(
            "CALL insert_job('ct', 'tenant_job', NULL, %(a)s::json)", {"a": arguments}
        )
        assert row is not None
        rows.append(int(row["job_id"]))
    plain = pg_store.connector.fetchone(
        "CALL insert_job('ct', 'note', NULL, '{\"path\": \"/p\"}'::json)"
    )
    assert plain is not None
    assert _limits_of(pg_store, [*rows, int(plain["job_id"])]) == [
        "tenant=acme",
        "tenant=b c",
        None,
    ]
    assert pg_store.jobs.get(rows[0]).max_running == 2
    # JobMaster's own procedure goes through insert_job: limited the same
    done = pg_store.connector.fetchone(
        'CALL "insert"(\'ct\', \'tenant_job\', \'{"path": "/x", "tenant": "acme"}\'::json)'
    )
    assert done is not None and _limits_of(pg_store, [int(done["new_job_id"])]) == ["tenant=acme"]


@pytest.mark.postgres
def test_sql_insert_job_follows_a_published_unique_false(pg_store: Store) -> None:
    registry = Registry()

    @registry.task(type_key="u", unique=False)
    def again(n: int) -> None: ...

    pg_store.jobs.publish([again.definition()])
    ids = set()
    for _ in range(2):
        row = pg_store.connector.fetchone("CALL insert_job('u', 'again', NULL, '{\"n\": 1}'::json)")
        assert row is not None
        ids.add(int(row["job_id"]))
    assert len(ids) == 2  # identical arguments, queued twice as the task says


def test_a_burst_worker_leaves_jobs_whose_rate_window_opens_later(
    store: Store, tmp_path: Path
) -> None:
    """'2/h': the third and fourth job of a key could start only in an hour; the burst
    worker stops once the rest is done, and says how many it left and why."""
    out = str(tmp_path / "out")
    post_many(
        [(ct.paced, {"path": out, "tenant": "a", "n": n}) for n in range(4)]
        + [(ct.paced, {"path": out, "tenant": "b", "n": 9})],
        store=store,
    )
    stats = Worker(store, lease=5, burst=True, tasks=["ct.paced"]).run()
    assert sorted(ct.lines(out)) == ["paced a 0", "paced a 1", "paced b 9"]
    assert (stats.completed, stats.left) == (3, 2)
    assert "2 job(s) left waiting on rate limits of 1 key(s)" in stats.note
    assert "'tenant=a'" in stats.note


def test_a_burst_worker_waits_for_a_rate_window_that_opens_soon(
    store: Store, tmp_path: Path
) -> None:
    """'2/2s': the third job of the key starts once the window moved on; the burst worker
    waits for it rather than stopping."""
    out = str(tmp_path / "out")
    post_many([(ct.brisk, {"path": out, "tenant": "a", "n": n}) for n in range(3)], store=store)
    stats = Worker(store, lease=5, burst=True, tasks=["ct.brisk"]).run()
    assert ct.lines(out) == ["brisk a 0", "brisk a 1", "brisk a 2"]
    assert (stats.completed, stats.left, stats.note) == (3, 0, "")


def keyed_tasks(max_running: int) -> tuple[Task[..., None], Task[..., None]]:
    """A task limited on its ``key`` argument (``max_running`` each) and an unlimited one."""
    registry = Registry()

    @registry.task(type_key="k", limit_key="key", max_running=max_running)
    def lim(key: str, n: int) -> None: ...

    @registry.task(type_key="k")
    def free(n: int) -> None: ...

    return lim, free


def claim_ids(store: Store, limit: int) -> list[int]:
    """One claim's jobs, as one slot of one worker on host h takes them."""
    taken = store.jobs.claim(worker="w", host="h", limit=limit, system_units=100, lease=30)
    return [c.id for c in taken]


def test_a_claim_takes_each_keys_next_jobs_up_to_its_room_in_priority_order(
    store: Store,
) -> None:
    """Claims look at each key's next jobs only (never at a full key's backlog), merged
    with unlimited jobs in priority order; a key gets only as many as it has room for."""
    lim, free = keyed_tasks(max_running=2)
    a = lim.post_many([{"key": "a", "n": n} for n in range(5)], store=store)
    b = lim.post_many([{"key": "b", "n": n} for n in range(2)], store=store, priority=5)
    f = free.post_many([{"n": n} for n in range(2)], store=store, priority=1)
    urgent = lim.post({"key": "a", "n": 99}, store=store, priority=9)

    def claim(limit: int = 10) -> list[Claimed]:
        return store.jobs.claim(worker="w", host="h", limit=limit, system_units=100, lease=30)

    first = claim()
    assert [c.id for c in first] == [urgent.id, b[0].id, b[1].id, f[0].id, f[1].id, a[0].id]
    assert claim() == []  # a and b are full; a's four others wait
    assert store.controls.waiting_by_key() == {"key=a": 4}
    store.jobs.release([first[0]])  # a's first slot frees: its job (priority 9) waits again
    assert [c.id for c in claim()] == [urgent.id]
    store.jobs.release([first[-1]])
    assert [c.id for c in claim()] == [a[0].id]  # then a's oldest, never a third of a
    assert claim() == []


def test_keys_take_turns_a_key_posted_later_does_not_wait_behind_a_backlog(
    store: Store,
) -> None:
    """Among jobs of one priority, a key with fewer jobs running (counting the ones this
    claim takes) goes first; between equal turns, the older job."""
    lim, free = keyed_tasks(max_running=2)
    a = lim.post_many([{"key": "a", "n": n} for n in range(6)], store=store)
    b = lim.post_many([{"key": "b", "n": n} for n in range(2)], store=store)
    # one job at a time, as slots take slow jobs: a, then b (nothing of b runs), then a's
    # second (older than b's second, same turn), then b's second; then both keys are full
    taken = [claim_ids(store, 1) for _ in range(4)]
    assert taken == [[a[0].id], [b[0].id], [a[1].id], [b[1].id]]
    assert claim_ids(store, 1) == []
    unlimited = free.post({"n": 0}, store=store)
    assert claim_ids(store, 1) == [unlimited.id]


@pytest.mark.parametrize("limit", [1, 5])
def test_keys_take_turns_beyond_the_claims_walk(store: Store, limit: int) -> None:
    """A backlog longer than the claim's walk of the next waiting limited jobs (limit + 20):
    the key posted after it is found by asking each key."""
    lim, _ = keyed_tasks(max_running=3)
    a = lim.post_many([{"key": "a", "n": n} for n in range(60)], store=store)
    b = lim.post_many([{"key": "b", "n": n} for n in range(3)], store=store)
    taken = [job for _ in range(8) for job in claim_ids(store, limit)]
    # a's first three and b's three (turns 1, 2, 3 of each), never more than three of a
    assert sorted(taken) == sorted([*(j.id for j in a[:3]), *(j.id for j in b)])
    if limit == 1:  # one at a time: turn by turn, the older first within a turn
        assert taken == [a[0].id, b[0].id, a[1].id, b[1].id, a[2].id, b[2].id]


def test_keys_take_turns_on_a_worker(store: Store, tmp_path: Path) -> None:
    """Two slots, tenant a's six jobs posted before tenant b's two: b starts while a's
    backlog still waits (it ran last)."""
    out = str(tmp_path / "out")
    post_many(
        [(ct.tenant_job, {"path": out, "tenant": "a", "n": n, "seconds": 0.1}) for n in range(6)]
        + [(ct.tenant_job, {"path": out, "tenant": "b", "n": n, "seconds": 0.1}) for n in range(2)],
        store=store,
    )
    Worker(store, lease=5, burst=True, concurrency=2, tasks=["ct.tenant_job"]).run()
    starts = [line.split()[1] for line in ct.lines(out) if line.startswith("start")]
    assert len(starts) == 8
    assert starts.index("b") <= 2 and max(i for i, k in enumerate(starts) if k == "b") <= 4, starts


def test_an_idle_worker_wakes_when_a_limited_job_ends_elsewhere(
    store: Store, tmp_path: Path
) -> None:
    """A worker that found its key full sleeps until its poll; the end of the job holding
    the slot (recorded by another worker) wakes it, long before that."""
    import threading
    import time

    from jobsmith.store.jobs import Outcome

    out = str(tmp_path / "out")
    holder = ct.solo.post(path=out, tenant="k", n=1, store=store)
    [claimed] = store.jobs.claim(worker="elsewhere", host="h2", limit=1, system_units=10, lease=60)
    assert claimed.id == holder.id
    waiting = ct.solo.post(path=out, tenant="k", n=2, store=store)
    worker = Worker(store, lease=30, poll=120, tasks=["ct.solo"])
    thread = threading.Thread(target=worker.run)
    thread.start()
    try:
        wait_for(lambda: worker.stats.started_at and len(worker.waker._events) == 1, 30, "idle")
        worker.stopping.wait(0.5)  # its first claims found the key full; it sleeps now
        assert store.jobs.get(waiting.id).status == "waiting"
        now = time.time()
        store.jobs.end([Outcome(claimed, "completed", now, now)], None)
        wait_for(lambda: store.jobs.get(waiting.id).status == "completed", 30, "the second")
    finally:
        worker.stop(now=True)
        thread.join(20)
    assert ct.lines(out)[0].split()[:2] == ["start", "2"]
