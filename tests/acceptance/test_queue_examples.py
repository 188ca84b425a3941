"""The examples of docs/queue.md run as written, on SQLite and on PostgreSQL."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.conftest import REPO, StoreTarget

pytestmark = [pytest.mark.timeout(120), pytest.mark.slow]

FOLDER = REPO / "examples" / "queue"


def run(target: StoreTarget, *argv: str) -> str:
    """Run ``python ARGV...`` in examples/queue against the target's store; its stdout."""
    done = subprocess.run(
        [sys.executable, *argv],
        cwd=FOLDER,
        env=target.env(),
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_jobmaster_example_runs_dependencies_in_order(target: StoreTarget) -> None:
    out = run(target, "jobmaster_example.py")
    assert "refused: task nice_tasks.bar: argument 'letter' is 'Z'" in out
    # The fan-out children run in order; baz (as old, parked until bar ends) may run
    # between them when bar's end is recorded while they run.
    fans = [line for line in out.splitlines() if line.startswith("fan ")]
    assert fans == ["fan a=7 b=1", "fan a=7 b=2", "fan a=7 b=3"]
    assert "7 jobs completed" in out and "holds '11A'" in out  # foo(10), then bar, then baz
    [ran] = [line for line in out.splitlines() if line.startswith("ran: ")]
    assert ran.count("completed") == 7 and ran.index("nice_tasks.bar") < ran.index("baz")
    if target.dialect == "postgresql":
        sql = run(target, "insert_job_sql.py")
        assert "posting it again returns job" in sql
        assert "refused: task nice_tasks.foo: argument 'number' is \"two\", expected integer" in sql
        assert re.search(r"insert: job \d+, inserted job", sql)
        assert "insert: job None, task nice_tasks.foo: missing argument 'file_path'" in sql


def test_the_posting_example(target: StoreTarget) -> None:
    target.open().close()
    out = run(target, "posting.py")
    assert "identical job: 1 (created=False)" in out
    assert re.search(r"not unique: job ([2-9]|\d\d+) \(created=True\)", out), out
    assert "posted 3 jobs in one transaction" in out
    assert "refused: task nice_tasks.foo: argument 'number' is 'two'" in out


def test_the_cancel_flow_example_prints_what_docs_queue_md_shows(target: StoreTarget) -> None:
    target.open().close()
    out = run(target, "cancel_flow.py")
    doc = (REPO / "docs" / "queue.md").read_text()
    shown = doc.split("$ python cancel_flow.py\n")[1].split("```")[0]
    assert out == shown


def test_the_flow_job_example(target: StoreTarget) -> None:
    target.open().close()
    out = run(target, "flow_job.py")
    assert "flow says: This is the message from the store" in out
    assert "1 job(s) completed" in out


def test_a_worker_of_a_module_of_flows_runs_them_without_warning(target: StoreTarget) -> None:
    """`jobsmith worker -m myflows`, as docs/flows.md shows: the module has flows, no @task;
    the worker runs its flow jobs and does not tell the user to import a module with -m."""
    target.open().close()
    run(target, "-c", "import myflows; myflows.run_my_flow(1)")
    done = target.jobsmith("worker", "-m", "myflows", "--burst", cwd=FOLDER)
    assert done.returncode == 0, done.stderr
    assert "flow says: This is the message from the store" in done.stdout + done.stderr
    assert "No tasks of your own are registered" not in done.stderr, done.stderr
