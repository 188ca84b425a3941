"""Flows: jobsmith.flow against TaskFlow 6.5, same tasks, same machine, one run.

    make bench            # or: .peers-venv/bin/python bench/flow_vs_taskflow.py

A linear flow of 1,000 no-op tasks through ``taskflow.engines.run`` (the serial engine,
in-memory storage) and through ``jobsmith.flow.run``; jobsmith without a run log, with
one (a SQLite file, or --postgres URL), and with the run log and the flow's state kept as
it goes (``flow_id``: the flow resumes after a crash). Also a flow whose last task
fails, so every task is reverted.

Then the parallel engine: 200 independent tasks of 20 ms each (an unordered flow),
``workers=1`` against ``workers=8``.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from common import ratio, scratch_store, seconds, table, timed

import jobsmith.flow as js


def tasks(base: type, count: int, fail_last: bool) -> list:
    class NoOp(base):
        def execute(self):
            pass

        def revert(self, *args, **kwargs):
            pass

    class Fail(base):
        def execute(self):
            raise RuntimeError("last task fails")

    made = [NoOp(f"task{i}") for i in range(count - 1)]
    return [*made, (Fail if fail_last else NoOp)(f"task{count - 1}")]


def taskflow_run(count: int, fail_last: bool) -> None:
    from taskflow import engines
    from taskflow.patterns import linear_flow
    from taskflow.task import Task

    flow = linear_flow.Flow("bench").add(*tasks(Task, count, fail_last))
    try:
        engines.run(flow, store={})
    except RuntimeError:
        assert fail_last


def jobsmith_run(count: int, fail_last: bool, **options) -> None:
    flow = js.LinearFlow("bench").add(*tasks(js.Task, count, fail_last))
    try:
        js.run(flow, store={}, **options)
    except RuntimeError:
        assert fail_last


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--postgres", metavar="URL", help="record the run log in PostgreSQL")
    parser.add_argument("--parallel-tasks", type=int, default=200)
    parser.add_argument("--sleep", type=float, default=0.02, help="seconds per parallel task")
    args = parser.parse_args()
    logging.disable(logging.CRITICAL)
    store = scratch_store(args.postgres)
    rows = []
    for fail_last, label in ((False, "runs to the end"), (True, "last fails: all reverted")):
        peer = timed(lambda fail=fail_last: taskflow_run(args.tasks, fail))
        ours = timed(lambda fail=fail_last: jobsmith_run(args.tasks, fail, run_log=False), 5)
        logged = timed(lambda fail=fail_last: jobsmith_run(args.tasks, fail, run_log=store), 5)
        kept = timed(lambda fail=fail_last: jobsmith_run(
            args.tasks, fail, run_log=store, flow_id=uuid.uuid4().hex), 3)  # fmt: skip
        rows.append([f"linear, {args.tasks:,} no-op tasks, {label}", seconds(peer), seconds(ours),
                     ratio(peer, ours), seconds(logged), ratio(peer, logged), seconds(kept),
                     ratio(peer, kept), f"{kept / ours:.1f}x", f"{kept / logged:.1f}x"])  # fmt: skip
    where = "PostgreSQL" if args.postgres else "SQLite"
    print(
        table(
            "Flows: TaskFlow 6.5 vs jobsmith (time includes building and running the flow)",
            [
                "scenario",
                "TaskFlow",
                "jobsmith",
                "ratio",
                f"+ run log ({where})",
                "ratio",
                "+ run log + flow state",
                "ratio",
                "state / none",
                "state / run log",
            ],
            rows,
        )
    )
    store.close()
    parallel(args.parallel_tasks, args.sleep)


def sleepers(count: int, sleep: float) -> js.UnorderedFlow:
    class Sleep(js.Task):
        def execute(self) -> None:
            time.sleep(sleep)

    return js.UnorderedFlow("sleepers").add(*(Sleep(f"sleep{i}") for i in range(count)))


def parallel(count: int, sleep: float) -> None:
    one = timed(lambda: js.run(sleepers(count, sleep), {}, run_log=False, workers=1))
    eight = timed(lambda: js.run(sleepers(count, sleep), {}, run_log=False, workers=8))
    print(
        table(
            f"Parallel engine: {count} independent tasks of {sleep * 1000:.0f} ms",
            ["workers=1", "workers=8", "speed-up"],
            [[seconds(one), seconds(eight), f"{one / eight:.1f}x"]],
        )
    )


if __name__ == "__main__":
    main()
