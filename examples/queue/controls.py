"""The queue's controls: unique keys, cancel and retry, posting in your own transaction,
async tasks, retention. Run it in this folder: `python controls.py` (the store comes from
JOBSMITH_STORE, jobsmith.yml, or .jobsmith/jobsmith.db)."""

import asyncio
import sqlite3
from datetime import timedelta

from jobsmith import Worker, task
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


@task
async def fetch(url: str) -> None:
    await asyncio.sleep(0.01)  # awaits on the worker's event loop
    print(f"fetched {url}")


# 1. Keyed unique jobs: one job per key while it waits, runs, or completed within the hour.
first = report.post(day="monday", store=store)
again = report.post(day="monday", store=store)
print(f"unique key: job {again.id} again (created={again.created})")

# 2. Cancel and retry.
doomed = charge.post(order=1, store=store)
print(f"cancel: {doomed.cancel()}")  # waiting: cancelled at once
print(f"retry: {doomed.retry()}")  # a failed or cancelled job runs again

# 3. Posting in your own transaction: no job unless it commits.
if store.dialect == "sqlite":
    connection = sqlite3.connect(store.connector.description)
else:
    import psycopg

    connection = psycopg.connect(store.url)
charge.post(order=2, store=store, connection=connection)
connection.rollback()  # no job
kept = charge.post(order=3, store=store, connection=connection)
connection.commit()  # now it is there, and idle workers wake
connection.close()
print(f"in my transaction: job {kept.id}")

# Pause a task: workers leave its jobs waiting until it is resumed.
store.controls.pause("task", "controls.charge")
store.controls.resume("task", "controls.charge")

# 4. Async tasks run beside sync ones.
fetch.post(url="https://example.org", store=store)

Worker(store, burst=True).run()  # run everything that is waiting, then stop
print(f"report job {first.id}: {store.jobs.get(first.id).status}")

# 5. Retention: finished jobs and run-log rows older than 30 days go, in small batches.
pruned = prune(store, "30d")
print(f"pruned {pruned.jobs} jobs, {pruned.runs} runs")
print(f"within the hour: created={report.post(day='monday', store=store).created}")
