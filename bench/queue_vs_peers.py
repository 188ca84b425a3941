"""jobsmith's queue measured exactly like the peer scripts in ../shared/peers (same rec(),
same N, same metrics, one JSON line per metric), on PostgreSQL and on SQLite.

    .venv/bin/python bench/queue_vs_peers.py [pg|sqlite|all]     > bench/results/jobsmith_run1.jsonl
    .venv/bin/python bench/queue_vs_peers.py worker URL SCHEMA drain|wait   (internal)

See bench/README.md for running it beside the peers and summarize_queue.py for the table.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from peers_common import load  # noqa: E402

_peers = load()
drain_stats, fresh_rec_dir, kill_procs = _peers.drain_stats, _peers.fresh_rec_dir, _peers.kill_procs
latency_stats, pg_fresh_db, report = _peers.latency_stats, _peers.pg_fresh_db, _peers.report
start_workers, wait_recs = _peers.start_workers, _peers.wait_recs

import jobsmith  # noqa: E402
from jobsmith.queue import Worker, post, post_many  # noqa: E402
from jobsmith.store import open_store  # noqa: E402

N1, NB, ND, NL = 2000, 10000, 5000, 200
PG_DB = "bench_jobsmith"
PG_URL = f"postgresql://root@127.0.0.1:5432/{PG_DB}"
SQLITE_PATH = os.path.join(tempfile.gettempdir(), f"bench_jobsmith_{os.getpid()}.db")
SCHEMA = "jobsmith"
TASK = "bench.noop"


def fresh(dialect: str):
    if dialect == "postgresql":
        pg_fresh_db(PG_DB)
        url = PG_URL
    else:
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(SQLITE_PATH + suffix):
                os.remove(SQLITE_PATH + suffix)
        url = f"sqlite:///{SQLITE_PATH}"
    store = open_store(url, SCHEMA, deploy=True)
    return store, url


def worker_main(url: str, schema: str, mode: str) -> None:
    from queue_bench_tasks import registry

    store = open_store(url, schema)
    Worker(store, registry, burst=(mode == "drain"), poll=1.0).run()


def bench(dialect: str) -> None:
    from queue_bench_tasks import registry

    lib = "jobsmith_pg" if dialect == "postgresql" else "jobsmith_sqlite"
    store, url = fresh(dialect)
    t0 = time.time()
    for i in range(N1):
        post(TASK, {"i": i}, store=store, registry=registry)
    report(
        lib,
        "enqueue_1by1",
        N1 / (time.time() - t0),
        "jobs/s",
        n=N1,
        api="jobsmith.post(name, args) (validated, unique)",
    )
    store.close()
    store, url = fresh(dialect)
    t0 = time.time()
    post_many([(TASK, {"i": i}) for i in range(NB)], store=store, registry=registry)
    report(
        lib,
        "enqueue_batch",
        NB / (time.time() - t0),
        "jobs/s",
        n=NB,
        api="jobsmith.post_many(list) (validated, unique; one statement on PG)",
    )
    store.close()
    me = [sys.executable, os.path.abspath(__file__), "worker"]
    for nproc in (1, 2):
        store, url = fresh(dialect)
        post_many([(TASK, {"i": i}) for i in range(ND)], store=store, registry=registry)
        store.close()
        d = fresh_rec_dir("jobsmith")
        t_spawn = time.time()
        procs = start_workers([*me, url, SCHEMA, "drain"], nproc, d)
        try:
            ok = wait_recs(d, ND, 150, procs)
            for p in procs:
                p.wait(30)
        finally:
            kill_procs(procs)
        st = drain_stats(d, ND, t_spawn, time.time())
        report(
            lib,
            f"drain_{nproc}proc",
            st["rate_first_to_last"],
            "jobs/s",
            n=ND,
            ok=ok,
            wall_incl_startup=round(st["rate_wall_incl_startup"], 1),
            per_proc=st["per_proc"],
            done=st["done"],
            run_log=True,
        )
    store, url = fresh(dialect)
    d = fresh_rec_dir("jobsmith_lat")
    procs = start_workers([*me, url, SCHEMA, "wait"], 1, d)
    try:
        post(TASK, {"i": -1}, store=store, registry=registry)  # warm-up
        if not wait_recs(d, 1, 30, procs):
            raise RuntimeError("worker did not start")
        time.sleep(0.5)
        for i in range(NL):
            post(TASK, {"enq": time.time(), "i": i}, store=store, registry=registry)
            time.sleep(0.02)
        ok = wait_recs(d, NL + 1, 30, procs)
    finally:
        kill_procs(procs)
    report(lib, "latency", 0.0, "ms", ok=ok, **latency_stats(d))
    store.close()
    if dialect == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(SQLITE_PATH + suffix):
                os.remove(SQLITE_PATH + suffix)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "worker":
        worker_main(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        which = sys.argv[1] if len(sys.argv) > 1 else "all"
        print(json.dumps({"versions": {"jobsmith": jobsmith.__version__}}), flush=True)
        if which in ("pg", "all"):
            bench("postgresql")
        if which in ("sqlite", "all"):
            bench("sqlite")
