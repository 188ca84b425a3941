"""Flows: jobsmith.flow against TaskFlow 6.5, same tasks, same machine, one run.

    make bench            # or: .peers-venv/bin/python bench/flow_vs_taskflow.py

A linear flow of 1,000 no-op tasks through ``taskflow.engines.run`` (the serial engine,
in-memory storage) and through ``jobsmith.flow.run``; jobsmith without a run log and with
one (a SQLite file, or --postgres URL). Also a flow whose last task fails, so every
task is reverted.
"""

from __future__ import annotations

import argparse
import logging
import sys
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
    args = parser.parse_args()
    logging.disable(logging.CRITICAL)
    store = scratch_store(args.postgres)
    rows = []
    for fail_last, label in ((False, "runs to the end"), (True, "last fails: all reverted")):
        peer = timed(lambda fail=fail_last: taskflow_run(args.tasks, fail))
        ours = timed(lambda fail=fail_last: jobsmith_run(args.tasks, fail, run_log=False), 5)
        logged = timed(lambda fail=fail_last: jobsmith_run(args.tasks, fail, run_log=store), 5)
        rows.append([f"linear, {args.tasks:,} no-op tasks, {label}", seconds(peer), seconds(ours),
                     ratio(peer, ours), seconds(logged), ratio(peer, logged)])  # fmt: skip
    where = "PostgreSQL" if args.postgres else "SQLite"
    print(
        table(
            "Flows: TaskFlow 6.5 vs jobsmith (time includes building and running the flow)",
            ["scenario", "TaskFlow", "jobsmith", "ratio", f"jobsmith + run log ({where})", "ratio"],
            rows,
        )
    )
    store.close()


if __name__ == "__main__":
    main()
