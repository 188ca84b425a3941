"""Cost of a whole small job, ``with go(...) as ctx: ctx.execute(empty)``, when ``backend``
is a store URL (or nothing: the settings' store) against an open :class:`Store`.

Run:

    .venv/bin/python bench/go_per_job.py [--jobs 500] [--pg postgresql://root@127.0.0.1/test]

Prints a table (ms per job) and, with ``--json``, one JSON line per row.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg

import jobsmith
from jobsmith import open_store


def empty() -> None:
    return None


def per_job(jobs: int, backend: Any) -> dict[str, float]:
    samples: list[float] = []
    for index in range(jobs + 20):  # the first 20 warm up
        start = time.perf_counter()
        with jobsmith.go("bench", backend=backend) as ctx:
            ctx.execute(empty)
        if index >= 20:
            samples.append(time.perf_counter() - start)
    samples.sort()
    return {
        "mean_ms": statistics.fmean(samples) * 1e3,
        "p50_ms": samples[len(samples) // 2] * 1e3,
        "p99_ms": samples[int(len(samples) * 0.99)] * 1e3,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=500)
    parser.add_argument("--pg", default="postgresql://root@127.0.0.1:5432/test")
    parser.add_argument("--json", action="store_true", help="JSON lines instead of a table")
    args = parser.parse_args()

    rows: list[tuple[str, str, dict[str, float]]] = []
    with tempfile.TemporaryDirectory() as folder:
        os.chdir(folder)  # go() reads no jobsmith.yml of the caller's
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        with open_store(url) as store:
            rows.append(("sqlite", "open Store", per_job(args.jobs, store)))
        rows.append(("sqlite", "backend=URL", per_job(args.jobs, url)))
        os.environ["JOBSMITH_STORE"] = url
        rows.append(("sqlite", "no backend (settings)", per_job(args.jobs, None)))
        del os.environ["JOBSMITH_STORE"]
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        with open_store(args.pg, schema, deploy=True) as store:
            try:
                rows.append(("postgresql", "open Store", per_job(args.jobs, store)))
                os.environ["JOBSMITH_SCHEMA"] = schema
                rows.append(("postgresql", "backend=URL", per_job(args.jobs, args.pg)))
            finally:
                os.environ.pop("JOBSMITH_SCHEMA", None)
                with psycopg.connect(args.pg, autocommit=True) as conn:
                    conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        os.chdir("/")
    if args.json:
        for dialect, backend, numbers in rows:
            print(json.dumps({"store": dialect, "backend": backend, "jobs": args.jobs, **numbers}))
        return
    print(f"go() + one empty task, {args.jobs} jobs per row")
    print(f"{'store':<11} {'backend':<22} {'mean ms':>8} {'p50 ms':>8} {'p99 ms':>8}")
    for dialect, backend, n in rows:
        print(
            f"{dialect:<11} {backend:<22} {n['mean_ms']:>8.2f} {n['p50_ms']:>8.2f} "
            f"{n['p99_ms']:>8.2f}"
        )


if __name__ == "__main__":
    main()
