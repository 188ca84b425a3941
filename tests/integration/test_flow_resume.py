"""Flows that survive crashes: a worker (or an in-process run) SIGKILLed in the middle of
a 5-task flow, during an execute or during a revert; the flow continues where it stopped.
Every side effect happens once, except the interrupted step's, at most twice."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from jobsmith import post_job
from jobsmith.errors import FlowError
from jobsmith.flow import dry_run, run
from jobsmith.queue.flows import flow_state_id
from jobsmith.store import Store, open_store
from tests.conftest import REPO, StoreTarget
from tests.integration.flow_crash import crash_flow, retry_flow
from tests.integration.queue_flows import my_flow_factory
from tests.integration.queue_tasks import lines
from tests.integration.worker_processes import start_worker, stop_all, wait_for

pytestmark = pytest.mark.timeout(120)

EXECUTED_ONCE = [f"execute task_{n} attempt 1" for n in (1, 2, 4, 5)]


def _hung(out: str, mode: str) -> bool:
    wanted = "execute task_3" if mode == "execute" else "revert task_3"
    return any(line.startswith(wanted) for line in lines(out))


def _check_side_effects(out: str, mode: str) -> None:
    events = lines(out)
    counts = Counter(events)
    if mode == "execute":
        assert events == [
            "execute task_1 attempt 1",
            "execute task_2 attempt 1",
            "execute task_3 attempt 1",
            "execute task_3 attempt 2",
            "execute task_4 attempt 1",
            "execute task_5 attempt 1",
        ]
    else:
        assert [e for e in events if e.startswith("execute")] == [
            f"execute task_{n} attempt 1" for n in range(1, 6)
        ]
        reverts = [e for e in events if e.startswith("revert")]
        assert reverts == [
            "revert task_5 result failure",
            "revert task_4 result 40",
            "revert task_3 result 30",
            "revert task_3 result 30",
            "revert task_2 result 20",
            "revert task_1 result 10",
        ]
    assert all(n <= 2 for n in counts.values())


@pytest.mark.parametrize("mode", ["execute", "revert"])
def test_a_flow_job_whose_worker_is_killed_continues_on_another(
    target: StoreTarget, tmp_path: Path, mode: str
) -> None:
    store = target.open()
    out = str(tmp_path / "effects")
    job = post_job(crash_flow, store={"path": out}, factory_args=(mode,), backend=store)
    doomed = start_worker(target, tmp_path / "doomed.log", "--lease", "2")
    survivor = None
    try:
        wait_for(lambda: _hung(out, mode), 60, f"task_3 to hang in its {mode}")
        state = store.flows.get(flow_state_id(job.id))
        assert state is not None and state.name == "crash_flow"
        if mode == "execute":
            assert (state.status, state.current) == ("running", "task_3")
            shown = subprocess.run(
                [sys.executable, "-m", "jobsmith", "show"],
                cwd=REPO,
                env={**target.env(), "COLUMNS": "200"},
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert "Running flows" in shown.stdout, shown.stderr
            row = [ln for ln in shown.stdout.splitlines() if "crash_flow" in ln]
            assert [c.strip() for c in row[0].split("│")[1:5]] == [
                str(job.id),
                "crash_flow",
                "running",
                "task_3",
            ]
        else:
            assert state.status == "reverting"
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(10)
        survivor = start_worker(target, tmp_path / "survivor.log", "--lease", "2")
        wait_for(
            lambda: store.jobs.get(job.id).status in ("completed", "failed"), 60, "the job to end"
        )
        survivor.send_signal(signal.SIGTERM)
        assert survivor.wait(30) == 0
    finally:
        stop_all([doomed] + ([survivor] if survivor else []))
    _check_side_effects(out, mode)
    stored = store.jobs.get(job.id)
    flow_state = store.flows.get(flow_state_id(job.id))
    assert flow_state is not None
    tasks = {t.name: (t.state, t.attempt) for t in store.flows.tasks(flow_state_id(job.id))}
    if mode == "execute":
        assert (stored.status, flow_state.status) == ("completed", "completed")
        assert tasks["task_3"] == ("done", 2)
        assert {tasks[f"task_{n}"] for n in (1, 2, 4, 5)} == {("done", 1)}
    else:
        assert (stored.status, flow_state.status) == ("failed", "failed")
        assert "task_5 fails" in (stored.error or "")
        assert [tasks[f"task_{n}"][0] for n in range(1, 6)] == ["reverted"] * 4 + ["failed"]
    store.close()


@pytest.mark.parametrize("mode", ["execute", "revert"])
def test_an_in_process_run_killed_and_run_again_continues(
    target: StoreTarget, tmp_path: Path, mode: str
) -> None:
    store = target.open()
    out = str(tmp_path / "effects")
    argv = [sys.executable, "-m", "tests.integration.flow_crash"]
    argv += [target.url, target.schema, out, mode]
    with open(tmp_path / "run.log", "ab") as log:
        process = subprocess.Popen(argv, cwd=REPO, stdout=log, stderr=log)
    try:
        wait_for(lambda: _hung(out, mode), 60, f"task_3 to hang in its {mode}")
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    finally:
        stop_all([process])
    if mode == "execute":
        planned = dry_run(crash_flow(mode), {"path": out}, flow_id="in-process", run_log=store)
        assert [(p.name, p.state, p.result) for p in planned] == [
            ("task_1", "done", 10),
            ("task_2", "done", 20),
            ("task_3", "would run", None),
            ("task_4", "would run", None),
            ("task_5", "would run", None),
        ]
        values = run(crash_flow(mode), {"path": out}, run_log=store, flow_id="in-process")
        assert values["task_1_result"] == 10 and values["task_5_result"] == 50
    else:
        with pytest.raises(Exception, match="task_5 fails"):
            run(crash_flow(mode), {"path": out}, run_log=store, flow_id="in-process")
        continued = store.runs.recent(1)[0]
        assert (continued.job_name, continued.status) == ("crash_flow", "Failed")
        assert [(t.name, t.status) for t in store.runs.tasks(continued.id)] == [
            (f"task_{n}", "Reverted") for n in (3, 2, 1)
        ]
    _check_side_effects(out, mode)
    store.close()


def test_a_retry_controllers_count_goes_on_after_a_crash(
    target: StoreTarget, tmp_path: Path
) -> None:
    store = target.open()
    out = str(tmp_path / "effects")
    argv = [sys.executable, "-m", "tests.integration.flow_crash"]
    argv += [target.url, target.schema, out, "retry"]
    with open(tmp_path / "run.log", "ab") as log:
        process = subprocess.Popen(argv, cwd=REPO, stdout=log, stderr=log)
    try:
        wait_for(lambda: "flaky try 2" in lines(out), 60, "the second try to hang")
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    finally:
        stop_all([process])
    state = store.flows.get("in-process")
    assert state is not None and state.status == "running"
    assert state.tries == {"0 retry_flow (Times)": 2}
    with pytest.raises(RuntimeError, match="flaky fails in try 3"):
        run(retry_flow(), {"path": out}, run_log=store, flow_id="in-process")
    # Times(3): three tries in all; the resumed run continued try 2 (not a fresh try 1)
    assert [e for e in lines(out) if e.startswith("flaky")] == [
        "flaky try 1",
        "flaky try 2",
        "flaky try 2",
        "flaky try 3",
    ]
    assert lines(out).count("execute task_1 attempt 1") == 1
    state = store.flows.get("in-process")
    assert state is not None and state.status == "failed"
    store.close()


def _task_statuses(store: Store, job_name: str) -> list[tuple[str, str]]:
    found = [r for r in store.runs.recent(20) if r.job_name == job_name]
    return [(t.name, t.status) for t in store.runs.tasks(found[0].id)]


@pytest.mark.parametrize("workers", [1, 2])
def test_a_flow_keeping_state_records_the_same_run_log_as_one_that_does_not(
    store: Store, tmp_path: Path, workers: int
) -> None:
    for flow_id, out in ((None, "plain"), ("kept", "kept")):
        path = str(tmp_path / out)
        flow = my_flow_factory(3)
        flow.name = out
        values = run(
            flow, {"path": path, "message": "hi"}, run_log=store, flow_id=flow_id, workers=workers
        )
        assert values["path"] == path
    assert lines(str(tmp_path / "kept")) == lines(str(tmp_path / "plain"))
    assert (
        _task_statuses(store, "kept")
        == _task_statuses(store, "plain")
        == [
            ("task_1", "Reverted"),
            ("task_2", "Failed"),
            ("task_1", "Completed"),
            ("task_2", "Completed"),
            ("task_3", "Completed"),
        ]
    )
    tasks = {t.name: (t.state, t.attempt) for t in store.flows.tasks("kept")}
    assert tasks == {"task_1": ("done", 2), "task_2": ("done", 2), "task_3": ("done", 1)}
    state = store.flows.get("kept")
    assert state is not None and (state.status, state.current) == ("completed", None)
    flow = my_flow_factory(3)
    flow.name = "kept"
    again = run(flow, {"path": "elsewhere", "message": "x"}, run_log=store, flow_id="kept")
    assert again["path"] == str(tmp_path / "kept")  # completed: read back, nothing runs


def test_flow_state_needs_json_results(store: Store) -> None:
    from jobsmith.flow import FunctorTask, LinearFlow

    flow = LinearFlow("objects").add(FunctorTask(lambda: object(), name="make", provides="x"))
    with pytest.raises(FlowError, match=r"task 'make' returned object .* return JSON values"):
        run(flow, {}, run_log=store, flow_id="objects")
    with pytest.raises(FlowError, match="run_log=False keeps nothing"):
        run(flow, {}, run_log=False, flow_id="objects")


def test_cancelling_a_running_flow_job_reverts_its_completed_tasks(
    target: StoreTarget, tmp_path: Path
) -> None:
    store = target.open()
    out = str(tmp_path / "effects")
    job = post_job(crash_flow, store={"path": out}, factory_args=("execute",), backend=store)
    worker = start_worker(target, tmp_path / "worker.log", "--lease", "5")
    try:
        wait_for(lambda: _hung(out, "execute"), 60, "task_3 to hang")
        assert store.jobs.cancel(job.id) == "requested"
        wait_for(lambda: store.jobs.get(job.id).status == "cancelled", 60, "the cancel")
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(30) == 0
    finally:
        stop_all([worker])
    # The running task is reverted first, as a failed one is (its result: the failure).
    assert lines(out) == [
        "execute task_1 attempt 1",
        "execute task_2 attempt 1",
        "execute task_3 attempt 1",
        "revert task_3 result failure",
        "revert task_2 result 20",
        "revert task_1 result 10",
    ]
    state = store.flows.get(flow_state_id(job.id))
    assert state is not None and state.status == "cancelled"
    assert state.error == "task_3: the job was cancelled while it ran"
    tasks = {t.name: t.state for t in store.flows.tasks(flow_state_id(job.id))}
    assert [tasks[f"task_{n}"] for n in range(1, 6)] == ["reverted"] * 3 + ["pending"] * 2
    (flow_run,) = [r for r in store.runs.recent(10) if r.kind == "flow"]
    assert (flow_run.job_name, flow_run.status) == ("crash_flow", "Cancelled")
    assert flow_run.error == "cancelled; reverted: task_3, task_2, task_1"
    assert [(t.name, t.status) for t in store.runs.tasks(flow_run.id)] == [
        ("task_1", "Completed"),
        ("task_2", "Completed"),
        ("task_3", "Cancelled"),
        ("task_3", "Reverted"),
        ("task_2", "Reverted"),
        ("task_1", "Reverted"),
    ]
    store.close()


def test_a_cancelled_flow_job_whose_worker_dies_while_reverting_is_reverted_by_another(
    target: StoreTarget, tmp_path: Path
) -> None:
    store = target.open()
    out = str(tmp_path / "effects")
    job = post_job(crash_flow, store={"path": out}, factory_args=("cancel",), backend=store)
    doomed = start_worker(target, tmp_path / "doomed.log", "--lease", "2")
    survivor = None
    try:
        wait_for(lambda: _hung(out, "execute"), 60, "task_3 to hang")
        assert store.jobs.cancel(job.id) == "requested"
        wait_for(lambda: "revert task_2 result 20" in lines(out), 60, "task_2's revert")
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(10)
        survivor = start_worker(target, tmp_path / "survivor.log", "--lease", "2")
        wait_for(lambda: store.jobs.get(job.id).status == "cancelled", 60, "the cancel")
        survivor.send_signal(signal.SIGTERM)
        assert survivor.wait(30) == 0
    finally:
        stop_all([doomed] + ([survivor] if survivor else []))
    assert lines(out) == [
        "execute task_1 attempt 1",
        "execute task_2 attempt 1",
        "execute task_3 attempt 1",
        "revert task_3 result failure",
        "revert task_2 result 20",
        "revert task_2 result 20",
        "revert task_1 result 10",
    ]
    tasks = {t.name: t.state for t in store.flows.tasks(flow_state_id(job.id))}
    assert [tasks[f"task_{n}"] for n in range(1, 4)] == ["reverted"] * 3
    state = store.flows.get(flow_state_id(job.id))
    assert state is not None and state.status == "cancelled"
    store.close()


def test_a_flow_job_given_back_by_a_stopping_worker_is_continued_by_the_next(
    target: StoreTarget, tmp_path: Path
) -> None:
    store = target.open()
    out = str(tmp_path / "effects")
    job = post_job(crash_flow, store={"path": out}, factory_args=("execute",), backend=store)
    stopping = start_worker(target, tmp_path / "stopping.log", "--grace", "0.2")
    try:
        wait_for(lambda: _hung(out, "execute"), 60, "task_3 to hang")
        stopping.send_signal(signal.SIGTERM)
        assert stopping.wait(30) == 0
        assert store.jobs.get(job.id).status == "waiting"  # given back, not failed
        nxt = start_worker(target, tmp_path / "next.log", "--burst")
        assert nxt.wait(60) == 0
    finally:
        stop_all([stopping])
    _check_side_effects(out, "execute")
    assert store.jobs.get(job.id).status == "completed"
    store.close()


FLOW_WITH_THE_DEFAULT_STORE = """
from jobsmith.flow import LinearFlow, Task, run


class Double(Task):
    default_provides = "doubled"

    def execute(self, x):
        return 2 * x


flow = LinearFlow("double").add(Double("double"))
print(run(flow, {"x": 21}, flow_id="d-1"))  # no run_log: the configured (or default) store
print(run(flow, {"x": 21}, flow_id="d-1"))  # done: read back
"""


def _run_the_flow_script(tmp_path: Path, env: dict[str, str]) -> None:
    script = tmp_path / "double.py"
    script.write_text(FLOW_WITH_THE_DEFAULT_STORE)
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["{'x': 21, 'doubled': 42}"] * 2


def _assert_the_flow_ran_once(store: Store) -> None:
    assert [t.state for t in store.flows.tasks("d-1")] == ["done"]
    assert [r.job_name for r in store.runs.recent(10) if r.kind == "flow"] == ["double"]
    store.close()


def test_a_flow_with_state_runs_on_the_configured_store(
    target: StoreTarget, tmp_path: Path
) -> None:
    """`run(flow, store, flow_id=...)` without run_log opened the default store twice: on
    SQLite the state's transaction and the run log's writes waited on each other until
    "database is locked" (30 s)."""
    target.open().close()  # deployed
    _run_the_flow_script(tmp_path, target.env())
    _assert_the_flow_ran_once(target.open())


def test_a_flow_with_state_runs_on_the_unconfigured_default_store(
    sqlite_target: StoreTarget, tmp_path: Path
) -> None:
    """Nothing configured: the default store, .jobsmith/jobsmith.db in the working folder
    (always SQLite), opened once for the flow's state and its run log."""
    env = {k: v for k, v in sqlite_target.env().items() if k != "JOBSMITH_STORE"}
    _run_the_flow_script(tmp_path, env)
    _assert_the_flow_ran_once(open_store(f"sqlite:///{tmp_path}/.jobsmith/jobsmith.db"))
