"""Cost of `ctx.execute(empty_function)` with the run log, per task, on SQLite and PostgreSQL.

Each task run writes two short transactions (start with its parameters, end). Run:

    .venv/bin/python bench/execute_overhead.py [--tasks 5000] [--pg postgresql://root@127.0.0.1/test]

Prints a table and one JSON line per store (``--json``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

from jobsmith import JobExecution, open_store
from jobsmith.config import Config


def empty() -> None:
    return None


def with_parameter(name: str) -> None:
    return None


def measure(store, tasks: int, fn, **params) -> dict[str, float]:
    samples: list[float] = []
    with JobExecution("bench", Config(), backend=store, parameters=params) as ctx:
        for _ in range(200):  # warm up: prepared statements, caches
            ctx.execute(fn)
        for _ in range(tasks):
            start = time.perf_counter()
            ctx.execute(fn)
            samples.append(time.perf_counter() - start)
    samples.sort()
    return {
        "mean_us": statistics.fmean(samples) * 1e6,
        "p50_us": samples[len(samples) // 2] * 1e6,
        "p99_us": samples[int(len(samples) * 0.99)] * 1e6,
        "tasks_per_s": len(samples) / sum(samples),
    }


def baseline(tasks: int) -> float:
    start = time.perf_counter()
    for _ in range(tasks):
        empty()
    return (time.perf_counter() - start) / tasks * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=5000)
    parser.add_argument("--pg", default="postgresql://root@127.0.0.1:5432/test")
    parser.add_argument("--json", action="store_true", help="JSON lines instead of a table")
    args = parser.parse_args()

    rows = []
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(f"sqlite:///{Path(folder) / 'bench.db'}")
        rows.append(("sqlite", "empty()", measure(store, args.tasks, empty)))
        rows.append(
            ("sqlite", "fn(name) bound", measure(store, args.tasks, with_parameter, name="x"))
        )
        store.close()
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    store = open_store(args.pg, schema, deploy=True)
    try:
        rows.append(("postgresql", "empty()", measure(store, args.tasks, empty)))
        rows.append(
            ("postgresql", "fn(name) bound", measure(store, args.tasks, with_parameter, name="x"))
        )
    finally:
        store.close()
        with psycopg.connect(args.pg, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')

    plain = baseline(args.tasks)
    if args.json:
        for dialect, task, numbers in rows:
            print(json.dumps({"lib": "jobsmith", "store": dialect, "task": task, **numbers}))
        return
    print(f"ctx.execute overhead, {args.tasks} tasks per row (plain call: {plain:.2f} µs)")
    print(f"{'store':<11} {'task':<16} {'mean µs':>9} {'p50 µs':>9} {'p99 µs':>9} {'tasks/s':>9}")
    for dialect, task, n in rows:
        print(
            f"{dialect:<11} {task:<16} {n['mean_us']:>9.1f} {n['p50_us']:>9.1f} "
            f"{n['p99_us']:>9.1f} {n['tasks_per_s']:>9.0f}"
        )


if __name__ == "__main__":
    main()
