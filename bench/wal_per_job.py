"""WAL records per job on PostgreSQL, counted exactly, by relation: posting no-op jobs one
by one, draining them with one in-process worker (claim, run, end, run log), and running
small ``go()`` jobs (a job run and a task run each, inserted and then ended); and the
CPU a posted and a drained job cost this process and its server processes.

Makes a scratch database of its own, reads the WAL each phase wrote with pg_walinspect
(PostgreSQL 15+, a superuser) and keeps only the records of that database's relations,
so other databases' traffic on a shared server does not count; commit records (no
relation) are left out. Not a test: rerun it when the schema or the hot path changes.

    .venv/bin/python bench/wal_per_job.py [--jobs 2000] [--runs 500]
        [--server postgresql://root@127.0.0.1:5432] [--database bench_wal_per_job]
        [--fillfactor 100]
"""

from __future__ import annotations

import argparse
import os
import re
import time
from collections import Counter
from pathlib import Path
from typing import Any

import psycopg

import jobsmith
from jobsmith.queue import Registry, Worker, post
from jobsmith.store import open_store

SCHEMA = "jobsmith"

registry = Registry()


@registry.task(type_key="bench")
def noop(i: int = 0) -> None:
    return None


def empty() -> None:
    return None


def fresh_database(server: str, name: str) -> str:
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"{server}/{name}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION pg_walinspect")
    return url


def lsn(conn: psycopg.Connection[Any]) -> str:
    """Where the WAL ends now, once it is flushed that far (pg_walinspect reads no
    further; claims commit without waiting for the flush)."""
    row = conn.execute("SELECT pg_current_wal_insert_lsn()::text").fetchone()
    assert row is not None
    for _ in range(100):
        flushed = conn.execute("SELECT pg_current_wal_flush_lsn() >= %s::pg_lsn", (row[0],))
        if flushed.fetchone() == (True,):
            break
        time.sleep(0.05)
    return str(row[0])


def server_cpu(conn: psycopg.Connection[Any]) -> dict[int, float]:
    """CPU seconds used so far by each other server process of this database (read from
    /proc: the server must run on this machine)."""
    tick = os.sysconf("SC_CLK_TCK")
    found = {}
    for (pid,) in conn.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
        " AND pid <> pg_backend_pid()"
    ):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        found[pid] = (int(fields[11]) + int(fields[12])) / tick  # utime + stime
    return found


def cpu_per_job(
    what: str, mine: float, before: dict[int, float], after: dict[int, float], jobs: int
) -> None:
    spent = sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())
    print(
        f"  CPU per {what} job: this process {mine / jobs * 1e6:.0f} µs,"
        f" its server processes {spent / jobs * 1e6:.0f} µs"
    )


def records(conn: psycopg.Connection[Any], start: str, end: str) -> Counter[tuple[str, str]]:
    """(relation, record type) -> count, for the records of this database's relations."""
    db = conn.execute("SELECT oid FROM pg_database WHERE datname = current_database()")
    row = db.fetchone()
    assert row is not None
    oid = int(row[0])
    names = {
        int(r[0]): str(r[1])
        for r in conn.execute(
            "SELECT pg_relation_filenode(c.oid), c.relname FROM pg_class c "
            "WHERE pg_relation_filenode(c.oid) IS NOT NULL"
        )
    }
    found: Counter[tuple[str, str]] = Counter()
    rows = conn.execute(
        "SELECT resource_manager, record_type, block_ref "
        "FROM pg_get_wal_records_info(%s::pg_lsn, %s::pg_lsn) WHERE block_ref IS NOT NULL",
        (start, end),
    )
    for manager, kind, block_ref in rows:
        rels = {int(n) for d, n in re.findall(r"rel \d+/(\d+)/(\d+)", block_ref) if int(d) == oid}
        if rels:
            rel = names.get(min(rels), f"filenode {min(rels)}")
            found[(rel, f"{manager}/{kind}")] += 1
    return found


def show(title: str, found: Counter[tuple[str, str]], per: int) -> None:
    total = sum(found.values())
    print(f"\n{title}: {total / per:.2f} WAL records per job ({total} for {per})")
    by_rel: Counter[str] = Counter()
    for (rel, _), n in found.items():
        by_rel[rel] += n
    for rel, n in by_rel.most_common():
        kinds = ", ".join(
            f"{kind} {count / per:.2f}"
            for (r, kind), count in sorted(found.items())
            if r == rel and count / per >= 0.01
        )
        print(f"  {rel:32} {n / per:6.2f}   {kinds}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--server", default="postgresql://root@127.0.0.1:5432")
    parser.add_argument("--database", default="bench_wal_per_job")
    parser.add_argument(
        "--fillfactor", type=int, help="set job_run's fillfactor to this first (a trial)"
    )
    args = parser.parse_args()
    url = fresh_database(args.server, args.database)
    store = open_store(url, SCHEMA, deploy=True)
    if args.fillfactor:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"ALTER TABLE {SCHEMA}.job_run SET (fillfactor = {args.fillfactor:d})")
    with psycopg.connect(url, autocommit=True) as conn:
        # Each phase's WAL is read right after it: the server recycles old segments.
        a = lsn(conn)
        server, mine = server_cpu(conn), time.process_time()
        for i in range(args.jobs):
            post("bench.noop", {"i": i}, store=store, registry=registry)
        mine, after = time.process_time() - mine, server_cpu(conn)
        show("post, one by one", records(conn, a, lsn(conn)), args.jobs)
        cpu_per_job("posted", mine, server, after, args.jobs)
        a = lsn(conn)
        server, mine = server_cpu(conn), time.process_time()
        Worker(store, registry, burst=True).run()
        mine, after = time.process_time() - mine, server_cpu(conn)
        show("drain (claim, run, end, run log)", records(conn, a, lsn(conn)), args.jobs)
        cpu_per_job("drained", mine, server, after, args.jobs)
        a = lsn(conn)
        for _ in range(args.runs):
            with jobsmith.go("bench", backend=store) as ctx:
                ctx.execute(empty)
        show("go() job with one task", records(conn, a, lsn(conn)), args.runs)
    store.close()
    with psycopg.connect(f"{args.server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')


if __name__ == "__main__":
    main()
