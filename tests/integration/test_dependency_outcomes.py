"""Dependencies that accept any end, and jobs that post children and wait for them, on
both stores."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from jobsmith.errors import JobsmithError
from jobsmith.queue import Dependency, Registry, Worker, current_job, same
from jobsmith.store import Store
from tests.integration.queue_tasks import lines, mark


def registry_for(out: str) -> Registry:
    registry = Registry()

    @registry.task(type_key="d")
    def source(n: int) -> None:
        mark(out, f"source {n}")
        raise RuntimeError(f"source {n} broke")

    @registry.task(
        type_key="d", dependencies=[Dependency(source, 1, on_failure="continue", n=same)]
    )
    def tolerant(n: int) -> None:
        mark(out, f"tolerant {n}")

    @registry.task(type_key="d", dependencies=[Dependency(source, 1, n=same)])
    def strict(n: int) -> None:
        mark(out, f"strict {n}")

    @registry.task(type_key="d")
    def child(i: int) -> int:
        mark(out, f"child {i}")
        if i == 1:
            raise ValueError("child 1 fails")
        return i

    @registry.task(type_key="d")
    def grandparent() -> None:  # posts a parent, which posts children: three generations
        ctx = current_job()
        assert ctx is not None
        ctx.post(parent, {"count": 2})
        ctx.wait_for_children()

    @registry.task(type_key="d")
    def parent(count: int) -> None:
        ctx = current_job()
        assert ctx is not None
        mark(out, "parent runs")
        for i in range(count):
            ctx.post(child, {"i": i})
        outcomes = ctx.wait_for_children()
        mark(out, "parent got " + " ".join(f"{o.name}:{o.status}" for o in outcomes))

    return registry


def drain(store: Store, registry: Registry) -> None:
    Worker(store, registry, lease=1, burst=True).run()


def test_a_tolerant_dependency_lets_the_dependant_run_after_a_failure(
    store: Store, tmp_path: Path
) -> None:
    out = str(tmp_path / "out")
    registry = registry_for(out)
    tolerant = registry.get("d.tolerant").post(n=1, store=store)
    strict = registry.get("d.strict").post(n=2, store=store)
    drain(store, registry)
    assert store.jobs.get(tolerant.id).status == "completed"
    failed = store.jobs.get(strict.id)
    assert failed.status == "failed" and "source 2 broke" in (failed.error or "")
    assert lines(out).index("source 1") < lines(out).index("tolerant 1")
    assert "strict 2" not in lines(out)


def test_an_ended_dependency_within_its_window_meets_a_tolerant_one(
    store: Store, tmp_path: Path
) -> None:
    out = str(tmp_path / "out")
    registry = registry_for(out)
    registry.get("d.source").post(n=3, store=store)
    drain(store, registry)  # source 3 failed just now
    registry.get("d.tolerant").post(n=3, store=store)
    drain(store, registry)
    assert lines(out) == ["source 3", "tolerant 3"]  # not posted again


def test_a_parent_waits_for_its_children_and_gets_their_outcomes(
    store: Store, tmp_path: Path
) -> None:
    out = str(tmp_path / "out")
    registry = registry_for(out)
    parent = registry.get("d.parent").post(count=3, store=store)
    drain(store, registry)
    seen = lines(out)
    assert sorted(line for line in seen if line.startswith("child")) == [
        "child 0",
        "child 1",
        "child 2",
    ]  # each child posted and run once, however often the parent ran
    assert seen[-1] == "parent got d.child:completed d.child:failed d.child:completed"
    assert seen.count("parent runs") >= 2
    stored = store.jobs.get(parent.id)
    assert (stored.status, stored.attempts) == ("completed", 1)  # waiting is no attempt
    assert len(store.jobs.of_task("d", "child")) == 3


def test_on_failure_takes_fail_or_continue() -> None:
    with pytest.raises(
        JobsmithError, match="on_failure must be 'fail' or 'continue', got 'ignore'"
    ):
        Dependency("d.source", on_failure="ignore")


def test_a_parent_wakes_when_its_child_ends_without_waiting_for_a_sweep(
    store: Store, tmp_path: Path
) -> None:
    """The transaction that ends a child puts the parent parked on it back to waiting:
    with the workers' sweep switched off, the parent still gets its children's outcomes."""
    import threading

    from tests.integration.worker_processes import wait_for

    out = str(tmp_path / "out")
    registry = registry_for(out)
    parent = registry.get("d.parent").post(count=2, store=store)
    worker = Worker(store, registry, lease=60, poll=0.05, concurrency=2)
    swept: list[float] = []
    worker._sweep = lambda: swept.append(1.0)  # type: ignore[method-assign]
    thread = threading.Thread(target=worker.run)
    thread.start()
    try:
        wait_for(lambda: store.jobs.get(parent.id).status == "completed", 30, "the parent")
    finally:
        worker.stop(now=True)
        thread.join(20)
    assert lines(out)[-1] == "parent got d.child:completed d.child:failed"
    assert store.controls.release_ended_waits() == []  # nothing was left for a sweep


def test_cancelling_the_child_a_job_waits_on_wakes_it(store: Store, tmp_path: Path) -> None:
    out = str(tmp_path / "out")
    registry = registry_for(out)
    parent = registry.get("d.parent").post(count=1, store=store)
    [claimed] = store.jobs.claim(worker="w", host="h", limit=1, system_units=10, lease=30)
    [child] = registry.get("d.child").post_many([{"i": 5}], store=store)
    assert store.controls.park_until_ended(claimed.id, claimed.token, child.id)
    assert store.jobs.get(parent.id).status == "parked"
    assert store.jobs.cancel(child.id) == "cancelled"
    assert store.jobs.get(parent.id).status == "waiting"


def test_a_dependency_that_ends_between_the_two_looks_is_met_not_posted_again(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The dependant looks for a completed job, then for an active one: a dependency that
    completes between those looks is seen by a second look, not posted again (here it
    could not be: its task needs an argument the Dependency does not give)."""
    out = str(tmp_path / "out")
    registry = Registry()

    @registry.task(type_key="r")
    def base(path: str, number: int) -> None:
        mark(out, f"base {number}")

    @registry.task(type_key="r", dependencies=[Dependency(base, 1, path=same)])
    def needy(path: str) -> None:
        mark(out, "needy")

    base.post(path="/p", number=1, store=store)
    drain(store, registry)
    looks: list[bool] = []
    completed_since = store.jobs.completed_since

    def first_look_sees_it_active(*args: object) -> bool:
        looks.append(completed_since(*args))  # type: ignore[arg-type]
        return looks[-1] and len(looks) > 1

    monkeypatch.setattr(store.jobs, "completed_since", first_look_sees_it_active)
    job = needy.post(path="/p", store=store)
    drain(store, registry)
    ran = store.jobs.get(job.id)
    assert (ran.status, ran.error) == ("completed", None)
    assert lines(out) == ["base 1", "needy"] and looks[:2] == [True, True]


def test_a_burst_worker_stops_when_a_parent_waits_on_children_it_does_not_serve(
    store: Store, tmp_path: Path
) -> None:
    out = str(tmp_path / "out")
    registry = registry_for(out)
    parent = registry.get("d.parent").post(count=2, store=store)
    worker = Worker(store, registry, lease=1, burst=True, tasks=["d.parent"])
    ran = threading.Thread(target=worker.run, daemon=True)
    ran.start()
    ran.join(20)
    assert not ran.is_alive(), "the burst worker did not stop"
    assert lines(out) == ["parent runs"]
    assert store.jobs.get(parent.id).status == "parked"
    assert worker.stats.left == 1
    assert "1 job(s) left parked: they wait on jobs of tasks or queues" in worker.stats.note
    # A worker that serves the children too brings the parent on.
    Worker(store, registry, lease=1, burst=True).run()
    assert store.jobs.get(parent.id).status == "completed"


def test_cancelling_a_parked_parent_cancels_the_children_it_posted(
    store: Store, tmp_path: Path
) -> None:
    out = str(tmp_path / "out")
    registry = registry_for(out)
    parent = registry.get("d.parent").post(count=2, store=store)
    Worker(store, registry, lease=1, burst=True, tasks=["d.parent"]).run()  # parks it
    assert store.jobs.get(parent.id).status == "parked"
    children = [j for j in store.jobs.in_queue() if j.name == "d.child"]
    assert len(children) == 2
    assert {store.jobs.get(c.id).parent_id for c in children} == {parent.id}
    assert store.jobs.get(parent.id).parent_id is None
    assert store.jobs.cancel(parent.id) == "cancelled"
    for child in children:
        stored = store.jobs.get(child.id)
        assert (stored.status, stored.error) == ("cancelled", f"cancelled with job {parent.id}")
    Worker(store, registry, lease=1, burst=True).run()
    assert lines(out) == ["parent runs"]  # no child ran, the parent did not run again


def test_cancelling_a_parent_asks_the_workers_of_its_running_children(
    store: Store, tmp_path: Path
) -> None:
    registry = registry_for(str(tmp_path / "out"))
    parent = registry.get("d.parent").post(count=2, store=store)
    Worker(store, registry, lease=1, burst=True, tasks=["d.parent"]).run()  # parks it
    (running,) = store.jobs.claim(
        worker="elsewhere", host="h", limit=1, system_units=10, lease=30, tasks=["d.child"]
    )
    assert store.jobs.cancel(parent.id) == "cancelled"
    assert store.jobs.get(running.id).status == "running"
    assert store.jobs.get(running.id).cancel_requested
    others = [j for j in store.jobs.in_queue() if j.name == "d.child" and j.id != running.id]
    assert others == []  # the child not started was cancelled at once


def test_cancelling_a_job_cancels_its_childrens_children(store: Store, tmp_path: Path) -> None:
    out = str(tmp_path / "out")
    registry = registry_for(out)
    top = registry.get("d.grandparent").post(store=store)
    # the grandparent posts a parent, the parent posts two children; both park
    Worker(store, registry, lease=1, burst=True, tasks=["d.grandparent", "d.parent"]).run()
    family = {j.id: j for j in store.jobs.in_queue()}
    (middle,) = [j for j in family.values() if j.name == "d.parent"]
    children = [j for j in family.values() if j.name == "d.child"]
    assert store.jobs.get(middle.id).parent_id == top.id
    assert {store.jobs.get(c.id).parent_id for c in children} == {middle.id}
    assert store.jobs.cancel(top.id) == "cancelled"
    assert {store.jobs.get(j).status for j in [middle.id, *(c.id for c in children)]} == {
        "cancelled"
    }
    Worker(store, registry, lease=1, burst=True).run()
    assert not any(line.startswith("child") for line in lines(out))
