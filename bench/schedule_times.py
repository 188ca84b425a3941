"""The scheduler's two hot paths, side by side with its peers in one run.

1. Next fire time: ``Schedule.next_after`` (cronsim underneath, plus jobsmith's
   wall-clock/DST mapping) against APScheduler 3's ``CronTrigger.get_next_fire_time``,
   croniter's ``get_next`` and cronsim alone, for the same expressions from the same
   random start times in Europe/Berlin (DST transitions included). runner's five fields
   (``Schedule.fields``) are timed too; no peer reads them.
2. Claiming fires: planned fires claimed per second by one scheduler on SQLite and
   PostgreSQL (an insert into the unique index plus the overlap check, one transaction
   each) — jobsmith only: no peer claims fires in a shared store without a leader.

Run (the peers live in ``.peers-venv``; see bench/README.md):

    flock /tmp/jobsmith-bench.lock .peers-venv/bin/python bench/schedule_times.py [--starts 5000]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
from apscheduler.triggers.cron import CronTrigger
from croniter import croniter
from cronsim import CronSim

from jobsmith.schedule import Schedule
from jobsmith.schedule.entries import Entry
from jobsmith.schedule.fires import FireClaimer
from jobsmith.schedule.policies import Planned
from jobsmith.store import open_store

PG_URL = os.environ.get("JOBSMITH_TEST_PG", "postgresql://root@127.0.0.1:5432/test")
ZONE = ZoneInfo("Europe/Berlin")
EXPRESSIONS = {
    "weekdays 08:00": ("0 8 * * 1-5", {"week_day": "1-5", "hour": "8"}),
    "every 5 minutes": ("*/5 * * * *", {"minute": "/5", "second": "0"}),
    "1st at 02:30 (DST)": ("30 2 1 * *", {"month_day": "1", "hour": "2", "minute": "30"}),
}


def starts(count: int) -> list[datetime]:
    rng = random.Random(7)
    base = datetime(2024, 1, 1, tzinfo=ZONE)
    return [base + timedelta(seconds=rng.randrange(2 * 365 * 86400)) for _ in range(count)]


def timed(function: Callable[[datetime], object], moments: list[datetime]) -> float:
    """Mean microseconds per call."""
    for moment in moments[:200]:
        function(moment)
    began = time.perf_counter()
    for moment in moments:
        function(moment)
    return (time.perf_counter() - began) / len(moments) * 1e6


def next_fire_table(count: int) -> None:
    moments = starts(count)
    print(f"\nNext fire time, mean µs per call ({count} random starts in {ZONE.key}):\n")
    print(
        f"| {'expression':<20} | {'jobsmith cron':>13} | {'jobsmith fields':>15} | {'APScheduler 3':>13} | {'croniter':>8} | {'cronsim alone':>13} | jobsmith / APScheduler | jobsmith / croniter |"
    )
    print(
        f"|{'-' * 22}|{'-' * 15}:|{'-' * 17}:|{'-' * 15}:|{'-' * 10}:|{'-' * 15}:|{'-' * 24}:|{'-' * 21}:|"
    )
    for label, (cron, fields) in EXPRESSIONS.items():
        ours = Schedule.cron(cron, tz=ZONE)
        runner = Schedule.fields(**fields, tz=ZONE)
        trigger = CronTrigger.from_crontab(cron, timezone=ZONE)
        results = {
            "jobsmith": timed(ours.next_after, moments),
            "fields": timed(runner.next_after, moments),
            "apscheduler": timed(
                lambda m, t=trigger: t.get_next_fire_time(None, m + timedelta(seconds=1)), moments
            ),
            "croniter": timed(lambda m, c=cron: croniter(c, m).get_next(datetime), moments),
            "cronsim": timed(lambda m, c=cron: next(CronSim(c, m)), moments),
        }
        print(
            f"| {label:<20} | {results['jobsmith']:>13.1f} | {results['fields']:>15.1f} | {results['apscheduler']:>13.1f} "
            f"| {results['croniter']:>8.1f} | {results['cronsim']:>13.1f} | {results['jobsmith'] / results['apscheduler']:>22.2f}x "
            f"| {results['jobsmith'] / results['croniter']:>19.2f}x |"
        )


def claim_rate(url: str, schema: str | None, fires: int) -> tuple[float, float]:
    """Fires claimed per second, and µs per claim at p50."""
    store = open_store(url, schema, deploy=True)
    claimer = FireClaimer(store, "bench", "bench-1", "skip")
    entry = Entry(1, "bench", "", "python", "x.py", Schedule.fields(tz=UTC))
    start = datetime(2024, 1, 1, tzinfo=UTC)
    samples = []
    for number in range(fires):
        began = time.perf_counter()
        claimer.claim(
            entry, Planned(start + timedelta(seconds=number), "scheduled", "missed"), start
        )
        samples.append(time.perf_counter() - began)
    store.close()
    return len(samples) / sum(samples), statistics.median(samples) * 1e6


def claim_table(fires: int) -> None:
    print(f"\nClaiming planned fires ({fires} fires, one transaction each):\n")
    print("| store      | fires/s | p50 µs |")
    print("|------------|--------:|-------:|")
    with tempfile.TemporaryDirectory() as folder:
        rate, p50 = claim_rate(f"sqlite:///{Path(folder) / 'bench.db'}", None, fires)
        print(f"| sqlite     | {rate:>7,.0f} | {p50:>6.0f} |")
    schema = f"bench_issue7_{uuid.uuid4().hex[:8]}"
    try:
        rate, p50 = claim_rate(PG_URL, schema, fires)
        print(f"| postgresql | {rate:>7,.0f} | {p50:>6.0f} |")
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--starts", type=int, default=5000)
    parser.add_argument("--fires", type=int, default=2000)
    args = parser.parse_args()
    next_fire_table(args.starts)
    claim_table(args.fires)


if __name__ == "__main__":
    main()
