"""The queue on jobs that take real time, jobsmith beside PgQueuer and Procrastinate.

Two runs, on PostgreSQL and on SQLite, each with 2 worker processes x 4 slots:

- **mixed**: 400 sleeps in the peers' seeded order (``random.Random(7)``: 70 % 10 ms,
  25 % 100 ms, 5 % 1 s; ``MIXED_JOBS`` and ``MIXED_LONG`` change the count and the long
  sleep, for every library alike); the makespan (first start to last end) against the
  ideal, the sum of the durations / 8 slots, and against the best a first-in-first-out
  queue can do (a greedy list schedule of the same durations over 8 slots with no
  overhead: 4.85 s, 1.18x the ideal), with where the slots' idle time went (before their
  first job, between jobs, after their last). PgQueuer (batch 1 and its default 10) and
  Procrastinate run the same jobs through their scripts in ../shared/peers.
- **priority** (jobsmith only): a backlog of 1,000 low-priority 20 ms jobs, then 20
  high-priority 20 ms jobs posted one by one while it drains; for each, the time from its
  post to its start (p50 / max) against one low job's 20 ms.

    .venv/bin/python bench/queue_mixed.py [--which pg|sqlite|all] [--no-peers] [--table]
    .venv/bin/python bench/queue_mixed.py worker URL SCHEMA     (internal; MIXED_TRAIL set)

``MIXED_KEEP_TRAILS=DIR`` keeps each run's trail (one line per job: i, pid, thread, posted,
start, end) in DIR instead of deleting it.

One JSON line per result on stdout (``--table`` prints the tables after them); see
bench/README.md, and summarize_queue.py, which prints these tables beside the no-op ones.
"""

from __future__ import annotations

import argparse
import heapq
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from itertools import pairwise
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from peers_common import PEERS_DIR, load  # noqa: E402

kill_procs = load().kill_procs

from jobsmith.queue import post, post_many  # noqa: E402

JOBS = int(os.environ.get("MIXED_JOBS", "400"))
LONG = float(os.environ.get("MIXED_LONG", "1.0"))
SLOTS, PROCESSES = 4, 2
BACKLOG = int(os.environ.get("MIXED_BACKLOG", "1000"))
HIGH, LOW_SECONDS, HIGH_EVERY = 20, 0.02, 0.05
TASK = "bench.sleep"
PEERS_PYTHON = HERE.parent / ".peers-venv" / "bin" / "python"


def durations(jobs: int = JOBS, long: float = LONG) -> list[float]:
    """The peers' seeded order of sleeps (../shared/peers/pgqueuer_mixed.py)."""
    rnd = random.Random(7)
    return [rnd.choices([0.01, 0.1, long], weights=[70, 25, 5])[0] for _ in range(jobs)]


def fifo_bound(sleeps: list[float], slots: int = SLOTS * PROCESSES) -> float:
    """The best a first-in-first-out queue can do: a greedy list schedule with no overhead
    (each job, in posted order, starts on the first slot to come free); its makespan."""
    free = [0.0] * slots
    end = 0.0
    for took in sleeps:
        start = heapq.heappop(free)
        heapq.heappush(free, start + took)
        end = max(end, start + took)
    return end


def idle_breakdown(rows: list[dict[str, float]], slots: int = SLOTS * PROCESSES) -> dict:
    """Where the slots' time went between the first start and the last end (seconds of
    slot time): idle before a slot's first job, between its jobs (the queue's overhead per
    job: claim, finish, wake-up), after its last job (the tail), and slots never used."""
    if not rows:
        return {}
    first, last = min(r["start"] for r in rows), max(r["end"] for r in rows)
    by_slot: dict[tuple[int, int], list[dict[str, float]]] = {}
    for r in rows:
        by_slot.setdefault((int(r["pid"]), int(r["thread"])), []).append(r)
    before = between = after = 0.0
    gaps: list[float] = []
    for jobs in by_slot.values():
        jobs.sort(key=lambda r: r["start"])
        before += jobs[0]["start"] - first
        after += last - jobs[-1]["end"]
        gaps += [b["start"] - a["end"] for a, b in pairwise(jobs)]
    between = sum(gaps)
    return {
        "idle_before_s": round(before, 3),
        "idle_between_s": round(between, 3),
        "gap_p50_ms": round(statistics.median(gaps) * 1000, 2) if gaps else None,
        "gap_max_ms": round(max(gaps) * 1000, 1) if gaps else None,
        "idle_after_s": round(after, 3),
        "unused_slot_s": round((slots - len(by_slot)) * (last - first), 3),
    }


def fresh(dialect: str):  # type: ignore[no-untyped-def]
    from queue_vs_peers import fresh as fresh_store

    return fresh_store(dialect)


def worker_main(url: str, schema: str) -> None:
    from queue_bench_tasks import registry

    from jobsmith.queue import Worker
    from jobsmith.store import open_store

    store = open_store(url, schema)
    Worker(store, registry, concurrency=SLOTS, burst=True).run()
    store.close()


def start_workers(url: str, schema: str, trail: str) -> list[subprocess.Popen[bytes]]:
    me = [sys.executable, os.path.abspath(__file__), "worker", url, schema]
    env = {**os.environ, "MIXED_TRAIL": trail}
    return [subprocess.Popen(me, env=env) for _ in range(PROCESSES)]


def finish(procs: list[subprocess.Popen[bytes]], timeout: float) -> bool:
    deadline = time.time() + timeout
    try:
        for p in procs:
            p.wait(max(0.1, deadline - time.time()))
        return True
    except subprocess.TimeoutExpired:
        return False
    finally:
        kill_procs(procs)


def read_trail(trail: str) -> list[dict[str, float]]:
    """One row per job that ran: i, pid, thread, enq, start, end."""
    rows = []
    if os.path.exists(trail):
        for line in Path(trail).read_text().splitlines():
            i, pid, thread, enq, start, end = line.split()
            rows.append(
                {
                    "i": int(i),
                    "pid": int(pid),
                    "thread": int(thread),
                    "enq": float(enq),
                    "start": float(start),
                    "end": float(end),
                }
            )
        keep = os.environ.get("MIXED_KEEP_TRAILS")  # a folder: keep the trails to study
        if keep:
            os.replace(trail, os.path.join(keep, f"{time.time():.0f}_{os.path.basename(trail)}"))
        else:
            os.remove(trail)
    return rows


def new_trail(name: str) -> str:
    return os.path.join(tempfile.gettempdir(), f"jobsmith_{name}_{os.getpid()}.txt")


def lib_of(dialect: str) -> str:
    return "jobsmith_pg" if dialect == "postgresql" else "jobsmith_sqlite"


def mixed(dialect: str) -> dict:
    """The mixed workload on one store: makespan against the ideal."""
    from queue_bench_tasks import registry

    sleeps = durations()
    store, url = fresh(dialect)
    post_many(
        [(TASK, {"seconds": d, "i": i}) for i, d in enumerate(sleeps)],
        store=store,
        registry=registry,
    )
    store.close()
    trail = new_trail("mixed")
    ok = finish(start_workers(url, "jobsmith", trail), 300)
    rows = read_trail(trail)
    span = max(r["end"] for r in rows) - min(r["start"] for r in rows) if rows else 0.0
    ideal = sum(sleeps) / (SLOTS * PROCESSES)
    bound = fifo_bound(sleeps)
    per_proc = Counter(r["pid"] for r in rows)
    return {
        "lib": lib_of(dialect),
        "metric": "mixed_makespan",
        "ok": ok and len(rows) == len(sleeps),
        "jobs": len(sleeps),
        "done": len(rows),
        "seconds": round(span, 3),
        "ideal": round(ideal, 3),
        "ratio_to_ideal": round(span / ideal, 2),
        "fifo_bound": round(bound, 3),
        "ratio_to_fifo": round(span / bound, 2),
        "per_proc": sorted([*per_proc.values(), *[0] * PROCESSES], reverse=True)[:PROCESSES],
        "slots_used": len({(r["pid"], r["thread"]) for r in rows}),
        "slots": SLOTS * PROCESSES,
        **idle_breakdown(rows),
    }


def priority(dialect: str) -> dict:
    """A backlog of low-priority jobs, then high-priority ones: post-to-start waits."""
    from queue_bench_tasks import registry

    store, url = fresh(dialect)
    post_many(
        [(TASK, {"seconds": LOW_SECONDS, "i": i}) for i in range(BACKLOG)],
        store=store,
        registry=registry,
        priority=0,
    )
    trail = new_trail("priority")
    procs = start_workers(url, "jobsmith", trail)
    committed: dict[int, float] = {}  # high job's i -> when its post returned (committed)
    try:
        _wait_for_lines(trail, 2 * SLOTS * PROCESSES, 60)  # both workers are draining
        for n in range(HIGH):
            args = {"seconds": LOW_SECONDS, "i": BACKLOG + n, "enq": time.time()}
            post(TASK, args, store=store, registry=registry, priority=10)
            committed[BACKLOG + n] = time.time()
            time.sleep(HIGH_EVERY)
    finally:
        ok = finish(procs, 300)
    rows = read_trail(trail)
    high = [r for r in rows if r["i"] >= BACKLOG]
    waits = sorted((r["start"] - r["enq"]) * 1000 for r in high)
    # Low jobs that started while a high job still waited, counted from the call to post
    # (a low job claimed while the post was still committing counts here too) ...
    inverted = {
        r["i"]
        for r in rows
        if r["i"] < BACKLOG and any(h["enq"] < r["start"] < h["start"] for h in high)
    }
    # ... and the strict count: low jobs *claimed* (the store's started_at) after a high
    # job's post had committed and before that high job was claimed.
    claimed = {
        job.arguments["i"]: job.started_at.timestamp()
        for job in store.jobs.of_task("bench", "sleep", limit=BACKLOG + HIGH)
        if job.started_at is not None
    }
    store.close()
    high_claims = [(committed[i], claimed[i]) for i in committed if i in claimed]
    strict = {
        i
        for i, at in claimed.items()
        if i < BACKLOG and any(posted < at < taken for posted, taken in high_claims)
    }
    return {
        "lib": lib_of(dialect),
        "metric": "priority_wait",
        "ok": ok and len(rows) == BACKLOG + HIGH,
        "backlog": BACKLOG,
        "high": len(waits),
        "p50_ms": round(statistics.median(waits), 1) if waits else None,
        "max_ms": round(max(waits), 1) if waits else None,
        "low_job_ms": LOW_SECONDS * 1000,
        "within_one_low_job": sum(1 for w in waits if w <= LOW_SECONDS * 1000),
        "low_started_while_high_waited": len(inverted),
        "low_claimed_after_high_committed": len(strict),
    }


def _wait_for_lines(trail: str, count: int, timeout: float) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if os.path.exists(trail) and len(Path(trail).read_bytes().splitlines()) >= count:
            return
        time.sleep(0.005)


PEER_RUNS = (
    ("pgqueuer_b1", "pgqueuer_mixed.py", ["1"]),
    ("pgqueuer_b10", "pgqueuer_mixed.py", ["10"]),
    ("procrastinate", "procrastinate_mixed.py", []),
)


def peers(python: Path, folder: Path) -> list[dict]:
    """The peers' mixed scripts, one after another, with the same MIXED_JOBS/MIXED_LONG."""
    if not python.exists():
        print(f"peers skipped: no {python} (make .peers-venv/.installed-stamp)", file=sys.stderr)
        return []
    found = []
    env = {**os.environ, "MIXED_JOBS": str(JOBS), "MIXED_LONG": str(LONG)}
    for lib, script, args in PEER_RUNS:
        run = subprocess.run(
            [str(python), str(folder / script), *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        rows = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
        if not rows:
            print(f"{script} failed: {run.stderr.strip()[-300:]}", file=sys.stderr)
        for row in rows:
            row["lib"] = lib
            row.setdefault("ok", row.get("done") == JOBS)
            row["jobs"] = JOBS
            if "seconds" in row:  # the same first-in-first-out bound as jobsmith's rows
                bound = fifo_bound(durations())
                row["fifo_bound"] = round(bound, 3)
                row["ratio_to_fifo"] = round(row["seconds"] / bound, 2)
            found.append(row)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--which", choices=("pg", "sqlite", "all"), default="all")
    parser.add_argument("--no-peers", action="store_true", help="jobsmith only")
    parser.add_argument("--peers-python", type=Path, default=PEERS_PYTHON)
    parser.add_argument("--peers-dir", type=Path, default=Path(PEERS_DIR))
    parser.add_argument("--table", action="store_true", help="print the tables at the end")
    options = parser.parse_args()
    dialects = {"pg": ["postgresql"], "sqlite": ["sqlite"]}.get(
        options.which, ["postgresql", "sqlite"]
    )
    rows = []
    for dialect in dialects:
        for run in (mixed, priority):
            rows.append(run(dialect))
            print(json.dumps(rows[-1]), flush=True)
    if not options.no_peers:
        for row in peers(options.peers_python, options.peers_dir):
            rows.append(row)
            print(json.dumps(row), flush=True)
    if options.table:
        from summarize_queue import mixed_tables

        print("\n" + "\n".join(mixed_tables({(r["lib"], r["metric"]): r for r in rows})))


if __name__ == "__main__":
    if sys.argv[1:2] == ["worker"]:
        worker_main(sys.argv[2], sys.argv[3])
    else:
        main()
