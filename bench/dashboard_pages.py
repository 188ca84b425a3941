"""How fast the dashboard's runs and queue pages and API answer with a big store.

Fills a scratch store (a SQLite file, and a PostgreSQL schema) with 100,000 job runs and
100,000 queue jobs through the store's bulk API, starts a real ``jobsmith dashboard``
server on it, and times each page over HTTP (median and worst of several requests after
one warm-up). Not a test: rerun it when the queries or indexes change.

    .venv/bin/python bench/dashboard_pages.py [--runs 100000] [--jobs 100000]
        [--postgres postgresql://root@127.0.0.1:5432/test] [--schema bench_dashboard]
        [--no-postgres]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from jobsmith.store import Store, open_store
from jobsmith.store.jobs import NewJob

REPO = Path(__file__).resolve().parent.parent
SCHEMA = "bench_dashboard"
JOBS = ("nightly_load", "report", "sync_users", "backup", "cleanup", "invoice", "mailer")
KINDS = ("job", "graph", "flow", "queue", "schedule")
TASKS = [
    ("etl", "load"),
    ("etl", "extract"),
    ("mail", "send"),
    ("reports", "daily"),
    ("ops", "backup"),
]
BATCH = 5_000


def fill_runs(store: Store, count: int) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    rows: list[dict[str, Any]] = []
    for i in range(count):
        began = start + timedelta(seconds=30 * i)
        failed = i % 17 == 0
        rows.append(
            {
                "guid": str(uuid.uuid4()),
                "environment": "prod" if i % 3 else "test",
                "job_name": JOBS[i % len(JOBS)],
                "kind": KINDS[i % len(KINDS)],
                "executed_by": "bench",
                "host": f"host{i % 4}",
                "pid": 1000 + i % 500,
                "started_at": began,
                "ended_at": began + timedelta(seconds=1 + i % 90),
                "status": "Failed" if failed else "Completed",
                "error": "disk full" if failed else None,
            }
        )
        if len(rows) == BATCH:
            store.runs.insert_ended_jobs(rows)
            rows = []
    store.runs.insert_ended_jobs(rows)


def fill_jobs(store: Store, count: int) -> None:
    batch: list[NewJob] = []
    for i in range(count):
        type_key, task_key = TASKS[i % len(TASKS)]
        batch.append(NewJob(type_key, task_key, {"n": i}, priority=i % 3, unique=False))
        if len(batch) == BATCH:
            store.jobs.insert_many(sorted(batch, key=lambda j: (j.type_key, j.task_key)))
            batch = []
    if batch:
        store.jobs.insert_many(batch)


def pages(runs: int, jobs: int) -> list[tuple[str, str]]:
    return [
        ("runs page", "/runs"),
        ("runs page, status=Failed", "/runs?status=Failed"),
        ("runs page, a status no run has", "/runs?status=Running"),
        ("runs page, job + kind", "/runs?job=report&kind=flow"),
        ("runs page, a date", "/runs?since=2026-01-20&until=2026-01-20"),
        ("runs page, deep (before=)", f"/runs?before={runs // 2}"),
        ("runs refresh fragment", "/runs?fragment=1"),
        ("/api/runs", "/api/runs"),
        ("/api/runs?environment=test", "/api/runs?environment=test"),
        ("queue page (counts)", "/queue"),
        ("queue jobs page", "/queue/jobs"),
        ("queue jobs of a task+status", "/queue/jobs?task=mail.send&status=waiting"),
        ("queue jobs, a status no job has", "/queue/jobs?status=failed"),
        ("queue jobs of a task, a status none has", "/queue/jobs?task=mail.send&status=running"),
        ("queue jobs, deep (before=)", f"/queue/jobs?before={jobs // 2}"),
        ("/api/jobs", "/api/jobs"),
        ("/api/jobs?task=etl.load", "/api/jobs?task=etl.load"),
        ("/api/queue (counts)", "/api/queue"),
        ("one job", f"/api/jobs/{jobs // 3}"),
        ("/metrics", "/metrics"),
    ]


def time_pages(
    url: str, env: dict[str, str], runs: int, jobs: int, repeat: int
) -> list[tuple[str, float, float]]:
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "jobsmith", "dashboard", "--port", str(port)],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(base, server)
        found = []
        for label, path in pages(runs, jobs):
            _get(base + path)  # warm-up
            times = []
            for _ in range(repeat):
                began = time.perf_counter()
                _get(base + path)
                times.append((time.perf_counter() - began) * 1000)
            found.append((label, statistics.median(times), max(times)))
        return found
    finally:
        server.terminate()
        server.wait(timeout=20)


def _get(url: str) -> None:
    with urllib.request.urlopen(url, timeout=60) as answer:
        answer.read()
        assert answer.status == 200, url


def _wait(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("the dashboard stopped")
        try:
            _get(base + "/api/workers")
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the dashboard did not start")


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def bench(
    name: str, url: str, schema: str, runs: int, jobs: int, repeat: int
) -> list[tuple[str, float, float]]:
    store = open_store(url, schema, deploy=True)
    began = time.perf_counter()
    fill_runs(store, runs)
    fill_jobs(store, jobs)
    print(
        f"{name}: filled {runs:,} job runs and {jobs:,} queue jobs in {time.perf_counter() - began:.1f} s",
        file=sys.stderr,
    )
    store.close()
    env = {**os.environ, "JOBSMITH_STORE": url, "JOBSMITH_SCHEMA": schema}
    return time_pages(url, env, runs, jobs, repeat)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--postgres", default="postgresql://root@127.0.0.1:5432/test")
    parser.add_argument("--schema", default=SCHEMA, help="the PostgreSQL schema to fill")
    parser.add_argument("--no-postgres", action="store_true")
    options = parser.parse_args()

    results: dict[str, list[tuple[str, float, float]]] = {}
    folder = Path(tempfile.mkdtemp(prefix="jobsmith-bench-dashboard-"))
    try:
        url = f"sqlite:///{folder / 'bench.db'}"
        results["sqlite"] = bench(
            "sqlite", url, "jobsmith", options.runs, options.jobs, options.repeat
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if not options.no_postgres:
        store = open_store(options.postgres, options.schema, deploy=True)
        store.deploy(reset=True)
        store.close()
        try:
            results["postgresql"] = bench(
                "postgresql",
                options.postgres,
                options.schema,
                options.runs,
                options.jobs,
                options.repeat,
            )
        finally:
            import psycopg

            with psycopg.connect(options.postgres, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{options.schema}" CASCADE')

    stores = list(results)
    print(
        f"\n{options.runs:,} job runs, {options.jobs:,} queue jobs; ms per request over HTTP (median / worst of {options.repeat})\n"
    )
    print("| page | " + " | ".join(f"{s} median | {s} worst" for s in stores) + " |")
    print("|---|" + "---:|---:|" * len(stores))
    for i, (label, _, _) in enumerate(results[stores[0]]):
        cells = " | ".join(f"{results[s][i][1]:.1f} | {results[s][i][2]:.1f}" for s in stores)
        print(f"| {label} | {cells} |")


if __name__ == "__main__":
    main()
