"""Posting mode: the scheduler posts each due job to the queue and a worker runs it.

In production that is `mode = post` in config.ini, `jobsmith scheduler` on one or more
machines and `jobsmith worker` on any number. Here both run in this process, the
scheduler driven by a ManualClock, the worker in burst mode after each tick.
"""

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from jobsmith import Scheduler, Worker
from jobsmith.clock import ManualClock

HEADER = "ID\tNAME\tDESCRIPTION\tENVIRONMENT\tFILE\tMONTH_DAY\tWEEK_DAY\tHOUR\tMINUTE\tSECOND\tPARAMETERS\tSTATUS\n"

with tempfile.TemporaryDirectory(prefix="jobsmith-posting-") as folder:
    home = Path(folder)
    (home / "config.ini").write_text("[SCHEDULER]\ntimezone = UTC\nmode = post\n")
    (home / "hello.py").write_text("import sys\nprint('hello for', sys.argv[-1])\n")
    (home / "schedule.tsv").write_text(
        HEADER + "0\thello\tSays hello\tpython\thello.py\t*\t*\t/6\t0\t0\t\tY\n"
    )

    clock = ManualClock(datetime(2024, 5, 1, 0, 0, 1, tzinfo=UTC))
    scheduler = Scheduler(home, clock=clock)  # the store: the home's (or JOBSMITH_STORE)
    scheduler.tick()
    for _ in range(4):  # a day, six hours at a time
        clock.advance(timedelta(hours=6))
        scheduler.tick()  # claims the due fire and posts its job, in one transaction
        (fire,) = scheduler.store.schedules.history("scheduler", 0, limit=1)
        print(f"{fire.planned_at:%H:%M} {fire.state}: job {fire.job_id}")
        Worker(scheduler.store, tasks=["jobsmith.scheduled_run"], burst=True).run()
    fires = scheduler.store.schedules.history("scheduler", 0)
    scheduler.close()

    for fire in reversed(fires):
        said = [line for line in Path(fire.log_path).read_text().splitlines() if "hello" in line]
        print(f"{fire.planned_at:%H:%M} {fire.state} {fire.status}: {said[-1]}")
