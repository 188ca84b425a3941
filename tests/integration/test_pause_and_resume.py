"""Pausing and resuming a queue or a task, on both stores, without stopping workers."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from jobsmith.errors import JobsmithError
from jobsmith.queue import Worker, post
from jobsmith.queue.pauses import REFRESH, PauseFilter
from jobsmith.queue.worker import WorkerStats
from jobsmith.store import Store
from tests.conftest import REPO, StoreTarget
from tests.integration import control_tasks as ct
from tests.integration.queue_tasks import lines
from tests.integration.worker_processes import wait_for


def drain(store: Store) -> WorkerStats:
    return Worker(store, lease=5, burst=True, tasks=["ct.note", "qt.record"]).run()


def test_a_paused_task_waits_and_others_run(store: Store, tmp_path: Path) -> None:
    out = str(tmp_path / "out")
    assert store.controls.pause("task", "ct.note")
    assert not store.controls.pause("task", "ct.note")  # already
    held = ct.note.post(path=out, word="held", store=store)
    post("qt.record", {"path": out, "n": 1}, store=store)
    stats = drain(store)  # a burst worker stops when only paused jobs wait, and says so
    assert lines(out)[0].startswith("1 ") and len(lines(out)) == 1
    assert store.jobs.get(held.id).status == "waiting"
    assert (stats.note, stats.left) == ("1 job(s) left waiting on paused queues or tasks", 1)
    assert store.controls.resume("task", "ct.note")
    assert not store.controls.resume("task", "ct.note")
    assert drain(store).note == ""
    assert lines(out)[1] == "note held"


def test_a_paused_queue_waits(store: Store, tmp_path: Path) -> None:
    out = str(tmp_path / "out")
    store.controls.pause("queue", "slow")
    held = ct.note.post(path=out, word="slow", store=store, queue="slow")
    ct.note.post(path=out, word="default", store=store)
    assert drain(store).note == "1 job(s) left waiting on paused queues or tasks"
    assert lines(out) == ["note default"]
    assert [p.name for p in store.controls.paused()] == ["slow"]
    store.controls.resume("queue", "slow")
    drain(store)
    assert lines(out) == ["note default", "note slow"]
    assert store.jobs.get(held.id).status == "completed"


def test_pausing_while_a_job_runs_lets_it_finish(store: Store, tmp_path: Path) -> None:
    out = str(tmp_path / "out")
    first = ct.polite.post(path=out, seconds=30, store=store)
    worker = Worker(store, lease=5, tasks=["ct.polite", "ct.note"], cancel_grace=60, poll=0.1)
    thread = threading.Thread(target=worker.run)
    thread.start()
    try:
        wait_for(lambda: lines(out) == ["start"], 30, "the first job to start")
        second = ct.note.post(path=out, word="after", store=store)
        store.controls.pause("task", "ct.note")
        store.controls.pause("task", "ct.polite")
        # Workers read the paused set at most every REFRESH seconds: wait until this one has.
        wait_for(lambda: worker.pauses.served().tasks == [], 30, "the worker to see the pause")
        first.cancel()  # the running job ends (it stops on request)
        wait_for(lambda: store.jobs.get(first.id).status == "cancelled", 30, "it to end")
        worker.stopping.wait(3 * REFRESH)  # a few claims later the paused job still waits
        assert store.jobs.get(second.id).status == "waiting"
        store.controls.resume("task", "ct.note")
        wait_for(lambda: store.jobs.get(second.id).status == "completed", 30, "the resume")
    finally:
        worker.stop(now=True)
        thread.join(20)
    assert lines(out) == ["start", "saw cancel", "note after"]


def test_pause_and_resume_from_the_command_line(target: StoreTarget) -> None:
    store = target.open()

    def cli(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "jobsmith", *argv],
            cwd=REPO,
            env=target.env(),
            capture_output=True,
            text=True,
            timeout=60,
        )

    paused = cli("pause", "queue", "reports").stdout
    assert "queue reports paused" in paused and "workers see it within 1s" in paused
    assert "task ct.note paused" in cli("pause", "task", "ct.note").stdout
    shown = cli("show").stdout
    assert "paused queue reports since" in shown and "paused task ct.note since" in shown
    assert "queue reports resumed" in cli("resume", "queue", "reports").stdout
    assert "was not paused" in cli("resume", "queue", "reports").stdout
    bad = cli("pause", "task", "nodot")
    assert bad.returncode != 0 and "pause task 'nodot': expected TYPE.TASK" in bad.stderr
    bad = cli("resume", "task", "nodot")  # said "pause task 'nodot'"
    assert bad.returncode != 0 and "error: resume task 'nodot': expected TYPE.TASK" in bad.stderr
    assert [p.name for p in store.controls.paused()] == ["ct.note"]
    store.close()


def test_bad_kinds_are_refused(store: Store) -> None:
    with pytest.raises(JobsmithError, match="pause 'worker': expected 'queue' or 'task'"):
        store.controls.pause("worker", "x")
    with pytest.raises(JobsmithError, match="resume 'worker': expected 'queue' or 'task'"):
        store.controls.resume("worker", "x")


def test_a_worker_sees_a_pause_within_a_second_not_at_once(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The documented trade: the paused set is read at most once a second per worker."""
    from jobsmith.queue import pauses

    clock = [100.0]
    monkeypatch.setattr(pauses.time, "monotonic", lambda: clock[0])
    seen = pauses.PauseFilter(store, None, ["ct.note", "qt.record"])
    assert seen.served().tasks == ["ct.note", "qt.record"]
    store.controls.pause("task", "ct.note")
    clock[0] += REFRESH / 2
    assert seen.served().tasks == ["ct.note", "qt.record"]  # not read again yet
    clock[0] += REFRESH / 2
    assert seen.served().tasks == ["qt.record"]
    store.controls.resume("task", "ct.note")
    assert seen.served().tasks == ["qt.record"]
    clock[0] += REFRESH
    assert seen.served().tasks == ["ct.note", "qt.record"]


def test_a_worker_of_many_slots_runs_no_paused_job_from_its_first_claim(
    store: Store, tmp_path: Path
) -> None:
    """Paused before the worker starts: none of its slots may claim the paused task's jobs
    while the first of them is still reading the paused set (it once did: the other slots
    claimed with the unpaused set the filter starts from)."""
    out = str(tmp_path / "out")
    store.controls.pause("task", "ct.note")
    held = [ct.note.post(path=out, word=f"held{n}", store=store) for n in range(8)]
    for n in range(8):
        post("qt.sleepy", {"path": out, "n": n, "seconds": 0.2}, store=store)
    Worker(store, lease=5, burst=True, concurrency=8, tasks=["ct.note", "qt.sleepy"]).run()
    assert not [line for line in lines(out) if line.startswith("note")]
    assert {store.jobs.get(job.id).status for job in held} == {"waiting"}


class _SlowPauses:
    """The store's controls, with a read of the paused set that waits until ``go`` is set
    (so a second slot asks while the first one's read is under way)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.reading = threading.Event()
        self.go = threading.Event()

    @property
    def controls(self) -> _SlowPauses:
        return self

    def paused(self) -> list[Any]:
        self.reading.set()
        self.go.wait(30)
        return self.store.controls.paused()

    def queue_names(self) -> list[str]:
        return self.store.controls.queue_names()


def test_slots_wait_for_the_read_of_the_paused_set_under_way(store: Store) -> None:
    store.controls.pause("task", "ct.note")
    slow = _SlowPauses(store)
    pauses = PauseFilter(slow, None, ["ct.note", "qt.record"])  # type: ignore[arg-type]
    seen: dict[str, list[str]] = {}
    first = threading.Thread(target=lambda: seen.update(first=pauses.served().tasks))
    second = threading.Thread(target=lambda: seen.update(second=pauses.served().tasks))
    first.start()
    assert slow.reading.wait(30)
    second.start()
    second.join(0.5)  # before the fix it returned at once, with the unpaused set
    slow.go.set()
    first.join(30)
    second.join(30)
    assert seen == {"first": ["qt.record"], "second": ["qt.record"]}


def test_pausing_a_name_the_store_does_not_know_warns_with_the_closest(
    target: StoreTarget, tmp_path: Path
) -> None:
    """A typo (`pause task ct.nte`) paused nothing that exists and said only "paused"."""
    store = target.open()
    ct.note.post(path=str(tmp_path / "out"), store=store)  # ct.note and the default queue

    def cli(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "jobsmith", *argv],
            cwd=REPO,
            env={**target.env(), "COLUMNS": "80"},
            capture_output=True,
            text=True,
            timeout=60,
        )

    typo = cli("pause", "task", "ct.nte")
    assert typo.returncode == 0 and "task ct.nte paused" in typo.stdout
    assert typo.stderr.strip() == (
        "warning: no task 'ct.nte' has jobs or published tasks in this store "
        "(did you mean 'ct.note'?); paused anyway"
    )
    queue = cli("pause", "queue", "defualt")
    assert "(did you mean 'default'?); paused anyway" in queue.stderr
    known = cli("pause", "task", "ct.note")
    assert known.returncode == 0 and known.stderr == ""
    assert sorted(p.name for p in store.controls.paused()) == ["ct.note", "ct.nte", "defualt"]
    store.close()


def test_posting_to_a_paused_task_or_queue_says_so(target: StoreTarget, tmp_path: Path) -> None:
    """The post said only "posted job N", and the job then waited for no visible reason."""
    store = target.open()

    def cli(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "jobsmith", *argv],
            cwd=REPO,
            env={**target.env(), "COLUMNS": "200"},
            capture_output=True,
            text=True,
            timeout=60,
        )

    note = ("post", "-m", "tests.integration.control_tasks", "ct.note", f"path={tmp_path}/o")
    store.controls.pause("task", "ct.note")
    held = cli(*note, "word=a")
    assert held.returncode == 0, held.stderr
    assert held.stdout.splitlines()[-1] == (
        "task ct.note is paused: workers take the job after `jobsmith resume task ct.note`"
    )
    store.controls.resume("task", "ct.note")
    store.controls.pause("queue", "default")
    assert "queue default is paused" in cli(*note, "word=b").stdout
    store.controls.resume("queue", "default")
    free = cli(*note, "word=c")
    assert "posted job 3 ct.note" in free.stdout and "is paused" not in free.stdout
    store.close()


MODULES = ("-m", "tests.integration.control_tasks", "-m", "tests.integration.queue_tasks")


def test_a_burst_worker_left_with_paused_jobs_counts_only_what_it_serves(
    target: StoreTarget, tmp_path: Path
) -> None:
    """`jobsmith worker -t ct.note --burst` with one paused job of it showed `jobs 0/2` (the
    job of a task it does not serve counted) and a summary silent about the job left."""
    store = target.open()
    out = str(tmp_path / "out")
    ct.note.post(path=out, word="held", store=store)
    post("qt.record", {"path": out, "n": 1}, store=store)  # not served by this worker
    store.controls.pause("task", "ct.note")
    ran = subprocess.run(
        [sys.executable, "-m", "jobsmith", "worker", "-t", "ct.note", "--burst", *MODULES],
        cwd=REPO,
        env={**target.env(), "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ran.returncode == 0, ran.stderr
    assert " 0/1 " in ran.stdout, ran.stdout
    assert ran.stdout.splitlines()[-1] == (
        "0 completed, 0 failed, 0 to retry, 0 cancelled, 0 parked; "
        "1 job(s) left waiting on paused queues or tasks"
    )
    store.close()
