"""Draining no-op jobs spread over concurrency keys (max_running=2) against the same jobs
without a limit: the issue asks that limits keep at least half the speed.

    python bench/limits.py                                  # SQLite in a temp folder
    python bench/limits.py --store postgresql://root@127.0.0.1/test

Posts ``--jobs`` jobs over ``--keys`` keys, then runs one burst worker with
``--concurrency`` slots until the queue is empty; prints jobs per second for each (up to
the moment the last job's end is recorded), for
``--rounds`` alternated pairs, and the median ratio.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from jobsmith.queue import Registry, Worker, post_many
from jobsmith.store import Store, open_store

registry = Registry()


@registry.task(type_key="bench", limit_key="key", max_running=2)
def limited(key: int, n: int) -> None:
    """A no-op whose jobs of one key run two at a time, on every worker together."""


@registry.task(type_key="bench")
def free(key: int, n: int) -> None:
    """The same no-op, unlimited."""


def fresh_store(url: str | None) -> Store:
    if url:
        return open_store(url, f"bench_limits_{uuid.uuid4().hex[:8]}", deploy=True)
    folder = Path(tempfile.mkdtemp(prefix="jobsmith-bench-limits-"))
    return open_store(f"sqlite:///{folder / 'bench.db'}", deploy=True)


def drain(url: str | None, task: str, jobs: int, keys: int, concurrency: int) -> float:
    store = fresh_store(url)
    try:
        post_many(
            [(task, {"key": n % keys, "n": n}) for n in range(jobs)],
            store=store,
            registry=registry,
        )
        recorded = [0.0]  # when the last ended job was recorded (not when run() returned:
        # a burst worker's shutdown, a few tenths of a second, would weigh on both sides)
        worker = Worker(
            store,
            registry,
            concurrency=concurrency,
            burst=True,
            lease=30,
            on_progress=lambda _: recorded.__setitem__(0, time.perf_counter()),
        )
        began = time.perf_counter()
        stats = worker.run()
        took = recorded[0] - began
        assert stats.completed == jobs, stats
        return jobs / took
    finally:
        if url:
            from jobsmith.store import migrate

            store.connector.execute(f"DROP SCHEMA {migrate.quote(str(store.schema))} CASCADE")
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--store", help="a PostgreSQL URL (default: a SQLite temp file)")
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--keys", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="unlimited and limited drains, alternated this many times (the median ratio "
        "is less at the mercy of a busy machine than one pair)",
    )
    args = parser.parse_args()
    kind = "postgresql" if args.store else "sqlite"
    print(f"{'store':<12} {'unlimited':>12} {'max_running=2':>15} {'ratio':>7}")
    ratios = []
    for _ in range(max(1, args.rounds)):
        unlimited = drain(args.store, "bench.free", args.jobs, args.keys, args.concurrency)
        limited = drain(args.store, "bench.limited", args.jobs, args.keys, args.concurrency)
        ratios.append(limited / unlimited)
        print(f"{kind:<12} {unlimited:>10.0f}/s {limited:>13.0f}/s {limited / unlimited:>7.2f}")
    ratios.sort()
    print(f"{kind:<12} median ratio {ratios[len(ratios) // 2]:.2f} of {len(ratios)} round(s)")


if __name__ == "__main__":
    main()
