"""The queue's controls: unique keys, cancel and retry, posting in your own transaction,
async tasks, retention. Run it in this folder: `python controls.py` (the store comes from
JOBSMITH_STORE, jobsmith.yml, or .jobsmith/jobsmith.db)."""

import asyncio
import sqlite3
from datetime import timedelta
from typing import Any

import jobsmith
from jobsmith import Dependency, Worker, post_many, same, task
from jobsmith.queue import Registry
from jobsmith.queue.controls import prune
from jobsmith.store import open_store

store = open_store()


@task(unique_key="report-{day}", unique_for=timedelta(hours=1))
def report(day: str) -> None:
    print(f"report for {day}")


@task
def charge(order: int) -> None:
    if order < 0:
        raise ValueError(f"order {order} does not exist")
    print(f"charged order {order}")


@task(limit_key="tenant", max_running=2, rate_limit="100/m")
def sync(tenant: str, n: int) -> None:
    """At most two jobs per tenant run at once, and 100 start per minute, on all workers."""


@task
def extract(day: str) -> None:
    raise RuntimeError(f"no data for {day}")


@task(dependencies=[Dependency(extract, 24, on_failure="continue", day=same)])
def summary(day: str) -> None:
    print(f"summary for {day}, after extract ended (even though it failed)")


@task
def part(i: int) -> int:
    return i


@task
def whole(parts: int) -> None:
    ctx = jobsmith.current_job()
    assert ctx is not None  # None outside a worker (a direct call)
    for i in range(parts):
        ctx.post(part, {"i": i})  # children: found again when this job runs again
    outcomes = ctx.wait_for_children()  # parked until every child ended
    print(f"children: {[o.status for o in outcomes]}")


@task
async def fetch(url: str) -> None:
    await asyncio.sleep(0.01)  # awaits on the worker's event loop
    print(f"fetched {url}")


# Posting options (store=, priority=, connection= ...) go through .options(...), so the
# arguments stay checked against the function's signature by mypy.
# 1. Keyed unique jobs: one job per key while it waits, runs, or completed within the hour.
first = report.options(store=store).post(day="monday")
again = report.options(store=store).post(day="monday")
print(f"unique key: job {again.id} again (created={again.created})")

# 2. Cancel and retry.
doomed = charge.options(store=store).post(order=1)
print(f"cancel: {doomed.cancel()}")  # waiting: cancelled at once
print(f"retry: {doomed.retry()}")  # a failed or cancelled job runs again

# 3. Posting in your own transaction: no job unless it commits.
connection: Any
if store.dialect == "sqlite":
    connection = sqlite3.connect(store.connector.description)
else:
    import psycopg

    connection = psycopg.connect(store.url)
charge.options(store=store, connection=connection).post(order=2)
connection.rollback()  # no job
kept = charge.options(store=store, connection=connection).post(order=3)
connection.commit()  # now it is there, and idle workers wake
connection.close()
print(f"in my transaction: job {kept.id}")

# Pause a task: workers leave its jobs waiting until it is resumed.
store.controls.pause("task", "controls.charge")
store.controls.resume("task", "controls.charge")

# 4. Async tasks run beside sync ones.
fetch.options(store=store).post(url="https://example.org")

# 5. Limits per key, dependencies that accept a failure, children.
post_many(
    [(sync, {"tenant": t, "n": n}) for t in ("acme", "globex") for n in range(3)], store=store
)
summary.options(store=store).post(day="monday")
whole.options(store=store).post(parts=3)
# A post by name from code that does not import `sync` (here: an empty registry; the same
# for the dashboard's form and SQL `CALL insert_job` on PostgreSQL) is limited the same:
# workers and deploy() publish each task's limit options with its definition.
store.jobs.publish([sync.definition()])
by_name = jobsmith.post(
    "controls.sync", {"tenant": "acme", "n": 9}, store=store, registry=Registry()
)
print(f"posted by name: key {store.jobs.get(by_name.id).limit_key}")

Worker(store, burst=True, lease=2).run()  # run everything that is waiting, then stop
print(f"report job {first.id}: {store.jobs.get(first.id).status}")

# 6. Retention: finished jobs and run-log rows older than 30 days go, in small batches.
pruned = prune(store, "30d")
print(f"pruned {pruned.jobs} jobs, {pruned.runs} runs")
print(f"within the hour: created={report.options(store=store).post(day='monday').created}")
