"""``async def`` tasks in the worker, beside sync ones: leases, timeouts and cancel too."""

from __future__ import annotations

import threading
from pathlib import Path

from jobsmith.queue import Worker, post_many
from jobsmith.store import Store
from tests.integration import control_tasks as ct
from tests.integration.worker_processes import wait_for


def drain(store: Store, **options: object) -> Worker:
    worker = Worker(store, lease=5, burst=True, **options)  # type: ignore[arg-type]
    worker.run()
    return worker


def test_async_and_sync_tasks_run_in_one_worker(store: Store, tmp_path: Path) -> None:
    out = str(tmp_path / "out")
    jobs = post_many(
        [("ct.fetch", {"path": out, "word": w}) for w in ("a", "b", "c")]
        + [("ct.note", {"path": out, "word": "sync"})]
        + [("ct.async_job_id", {"path": out})],
        store=store,
    )
    worker = drain(store, concurrency=3)
    assert worker.stats.completed == 5
    seen = ct.lines(out)
    assert sorted(line.split()[1] for line in seen if line.startswith("async")) == ["a", "b", "c"]
    assert "note sync" in seen and f"job {jobs[4].id}" in seen
    assert all(store.jobs.get(j.id).status == "completed" for j in jobs)


def test_an_async_task_past_its_timeout_is_cancelled_and_fails(
    store: Store, tmp_path: Path
) -> None:
    out = str(tmp_path / "out")
    job = ct.slow_async.post(path=out, store=store)
    drain(store)
    stored = store.jobs.get(job.id)
    assert (stored.status, stored.error) == ("failed", "timed out after 0.5s")
    wait_for(lambda: ct.lines(out) == ["start", "cancelled"], 10, "the coroutine's cancel")


def test_an_async_task_sees_its_cancel_request(store: Store, tmp_path: Path) -> None:
    out = str(tmp_path / "out")
    job = ct.async_waits.post(path=out, store=store)
    worker = Worker(store, lease=2, cancel_grace=60)
    thread = threading.Thread(target=worker.run)
    thread.start()
    try:
        wait_for(lambda: ct.lines(out) == ["start"], 30, "the job to start")
        assert job.cancel() == "requested"
        wait_for(lambda: store.jobs.get(job.id).status != "running", 30, "the job to stop")
    finally:
        worker.stop(now=True)
        thread.join(20)
    assert ct.lines(out) == ["start", "saw cancel"]
    assert store.jobs.get(job.id).status == "cancelled"
