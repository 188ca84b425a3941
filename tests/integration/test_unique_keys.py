"""Keyed unique jobs on both stores: one job per key while it counts, even under a race."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from jobsmith.errors import JobsmithError
from jobsmith.queue import post
from jobsmith.queue.controls import RetryError, retry_job
from jobsmith.store import Store
from tests.conftest import REPO, StoreTarget
from tests.integration import control_tasks as ct


def _end(store: Store, job_id: int, status: str, ago: float = 0.0) -> None:
    """End a job as a worker would (its status and end time), without running it."""
    claimed = store.jobs.claim(worker="w", host="h", limit=10, system_units=100, lease=30)
    assert job_id in {c.id for c in claimed}
    from jobsmith.store.jobs import Outcome

    job = next(c for c in claimed if c.id == job_id)
    now = time.time() - ago
    store.jobs.finish([Outcome(job, status, now, now)], None)


def test_a_second_post_of_a_key_returns_the_active_job(store: Store, tmp_path: Path) -> None:
    path = str(tmp_path / "out")
    first = post("ct.note", {"path": path, "word": "a"}, store=store, unique_key="k1")
    again = post("ct.note", {"path": path, "word": "b"}, store=store, unique_key="k1")
    other = post("ct.note", {"path": path, "word": "a"}, store=store, unique_key="k2")
    assert first.created and (again.id, again.created) == (first.id, False)
    assert other.created and other.id != first.id
    assert store.controls.unique_key(first.id) == "k1"
    assert store.jobs.waiting_count(None, ["ct.note"]) == 2


def test_the_job_holding_a_key_comes_back_as_stored(store: Store, tmp_path: Path) -> None:
    """A post that found its key (or an identical job) held returned the post's own
    arguments and priority (`jobsmith post` showed them as the holding job's)."""
    path = str(tmp_path / "out")
    first = post("ct.note", {"path": path, "word": "a"}, store=store, unique_key="k", priority=1)
    again = post("ct.note", {"path": path, "word": "b"}, store=store, unique_key="k", priority=5)
    assert (again.id, again.created) == (first.id, False)
    assert (again.arguments, again.priority) == (first.arguments, 1)
    twin = post("ct.note", {"path": path, "word": "c"}, store=store, priority=2)
    same = post("ct.note", {"path": path, "word": "c"}, store=store, priority=9)
    assert (same.id, same.created, same.priority) == (twin.id, False, 2)


def test_a_completed_job_holds_its_key_for_unique_for(store: Store, tmp_path: Path) -> None:
    path = str(tmp_path / "out")
    first = post("ct.note", {"path": path}, store=store, unique_key="k", unique_for=3600)
    _end(store, first.id, "completed")
    again = post("ct.note", {"path": path}, store=store, unique_key="k", unique_for=3600)
    assert (again.id, again.created) == (first.id, False)
    # Completed longer ago than its window: the key is free again.
    old = post("ct.note", {"path": path}, store=store, unique_key="old", unique_for=60)
    _end(store, old.id, "completed", ago=120)
    fresh = post("ct.note", {"path": path}, store=store, unique_key="old", unique_for=60)
    assert fresh.created and fresh.id != old.id


@pytest.mark.parametrize("ending", ["failed", "cancelled"])
def test_a_failed_or_cancelled_job_frees_its_key(store: Store, tmp_path: Path, ending: str) -> None:
    path = str(tmp_path / "out")
    first = post("ct.note", {"path": path}, store=store, unique_key="k", unique_for=3600)
    if ending == "cancelled":
        assert store.jobs.cancel(first.id) == "cancelled"
    else:
        _end(store, first.id, "failed")
    second = post("ct.note", {"path": path}, store=store, unique_key="k", unique_for=3600)
    assert second.created and second.id != first.id


def test_the_task_option_formats_its_key_from_the_arguments(store: Store, tmp_path: Path) -> None:
    path = str(tmp_path / "out")
    monday = ct.report.post(path=path, day="mon", store=store)
    again = ct.report.post(path=path + "2", day="mon", store=store)  # other path, same key
    tuesday = ct.report.post(path=path, day="tue", store=store)
    assert (again.id, again.created) == (monday.id, False)
    assert tuesday.created and store.controls.unique_key(tuesday.id) == "report-tue"
    _end(store, monday.id, "completed", ago=1800)  # within the task's hour
    assert not ct.report.post(path=path, day="mon", store=store).created


def test_a_key_template_with_a_missing_argument_is_refused_when_the_task_is_defined() -> None:
    from jobsmith.queue import Registry

    with pytest.raises(
        JobsmithError,
        match=r"task ct\.note: unique_key 'x-\{nope\}' names \{nope\}, which is not one of its "
        r"parameters \(path, word\)",
    ):
        Registry().task(type_key="ct", task_key="note", unique_key="x-{nope}")(ct.note.function)
    with pytest.raises(JobsmithError, match=r"names \{wrod\}.*\(did you mean 'word'\?\)"):
        Registry().task(type_key="ct", task_key="note", unique_key="{wrod}")(ct.note.function)


POSTER = """
import sys, time
from pathlib import Path
from jobsmith.store import open_store
from jobsmith.queue import post
from jobsmith.queue.controls import RetryError, retry_job
import tests.integration.control_tasks
url, schema, go, out = sys.argv[1:5]
store = open_store(url, schema)
while not Path(go).exists():
    time.sleep(0.001)
job = post("ct.note", {"path": "/x", "word": sys.argv[5]}, store=store, unique_key="race")
Path(out).write_text(f"{job.id} {job.created}")
"""


def test_eight_processes_posting_one_key_at_once_make_one_job(
    target: StoreTarget, store: Store, tmp_path: Path
) -> None:
    go = tmp_path / "go"
    posters = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                POSTER,
                target.url,
                target.schema,
                str(go),
                str(tmp_path / f"out{n}"),
                str(n),
            ],
            cwd=REPO,
        )
        for n in range(8)
    ]
    time.sleep(1.5)  # let them import and open the store before the start signal
    go.write_text("go")
    for p in posters:
        assert p.wait(timeout=60) == 0
    results = [(tmp_path / f"out{n}").read_text().split() for n in range(8)]
    assert len({job_id for job_id, _ in results}) == 1
    assert sorted(created for _, created in results) == ["False"] * 7 + ["True"]
    assert store.jobs.waiting_count(None, ["ct.note"]) == 1


def test_run_after_and_priority_pass_through_a_keyed_post(store: Store) -> None:
    later = datetime.now(UTC) + timedelta(hours=1)
    job = post("ct.note", {"path": "/p"}, store=store, unique_key="k", priority=7, run_after=later)
    record = store.jobs.get(job.id)
    assert record.priority == 7 and record.run_after is not None
    assert abs((record.run_after - later).total_seconds()) < 1


def test_a_retry_refuses_while_a_newer_job_holds_the_key(store: Store, tmp_path: Path) -> None:
    # the repro: u-mon failed, u-mon posted again (a new waiting job), `jobsmith retry` of
    # the first made two waiting jobs with one key
    path = str(tmp_path / "out")
    first = post("ct.note", {"path": path}, store=store, unique_key="u-mon")
    _end(store, first.id, "failed")
    newer = post("ct.note", {"path": path}, store=store, unique_key="u-mon")
    assert newer.created
    with pytest.raises(RetryError) as caught:
        retry_job(store, first.id)
    assert str(caught.value) == (
        f"job {first.id} cannot be retried: its unique key 'u-mon' is held by job "
        f"{newer.id} (waiting)"
    )
    assert store.jobs.get(first.id).status == "failed"  # the refused retry changed nothing
    assert store.jobs.waiting_count(None, ["ct.note"]) == 1
    # once the newer job has failed too, the retry takes the key back: a post returns it
    _end(store, newer.id, "failed")
    assert retry_job(store, first.id) == "waiting"
    again = post("ct.note", {"path": path}, store=store, unique_key="u-mon")
    assert (again.id, again.created) == (first.id, False)
    with pytest.raises(
        RetryError, match=rf"^job {newer.id} cannot be retried: .* by job {first.id} \(waiting\)$"
    ):
        retry_job(store, newer.id)
    assert store.jobs.waiting_count(None, ["ct.note"]) == 1


def test_a_retry_refuses_while_a_completed_holder_counts(store: Store, tmp_path: Path) -> None:
    path = str(tmp_path / "out")
    first = post("ct.note", {"path": path}, store=store, unique_key="k", unique_for=3600)
    _end(store, first.id, "cancelled")
    done = post("ct.note", {"path": path}, store=store, unique_key="k", unique_for=3600)
    _end(store, done.id, "completed")
    with pytest.raises(RetryError, match=rf"held by job {done.id} \(completed\)$"):
        retry_job(store, first.id)
    assert store.jobs.waiting_count(None, ["ct.note"]) == 0


def _retry_against_posts(store: Store, path: str, key: str) -> list[str]:
    """Fail a keyed job, then retry it while three threads post its key at once."""
    first = post("ct.note", {"path": path}, store=store, unique_key=key)
    _end(store, first.id, "failed")
    start = threading.Barrier(4)
    retried: list[str] = []

    def retry_it() -> None:
        start.wait()
        try:
            retried.append(retry_job(store, first.id))
        except RetryError as exc:
            retried.append(str(exc))

    def post_it() -> None:
        start.wait()
        post("ct.note", {"path": path}, store=store, unique_key=key)

    threads = [
        threading.Thread(target=retry_it),
        *(threading.Thread(target=post_it) for _ in "abc"),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return retried


def test_a_retry_racing_posts_of_its_key_leaves_one_active_job(
    store: Store, tmp_path: Path
) -> None:
    for round_ in range(6):
        key = f"race-{round_}"
        retried = _retry_against_posts(store, str(tmp_path / "out"), key)
        active = [j for j in store.jobs.in_queue(1000) if store.controls.unique_key(j.id) == key]
        assert len(active) == 1, (retried, active)  # the retry's job or the posts' one
        assert store.controls.holder(key) == active[0].id
        _end(store, active[0].id, "completed")
