"""A day of schedule in a second: a scheduler driven by a ManualClock, as in a test."""

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from jobsmith.clock import ManualClock
from jobsmith.schedule.scheduler import Scheduler

HEADER = "ID\tNAME\tDESCRIPTION\tENVIRONMENT\tFILE\tMONTH_DAY\tWEEK_DAY\tHOUR\tMINUTE\tSECOND\tPARAMETERS\tSTATUS\n"

with tempfile.TemporaryDirectory(prefix="jobsmith-rehearsal-") as folder:
    home = Path(folder)
    (home / "config.ini").write_text("[SCHEDULER]\ntimezone = UTC\n")
    (home / "hello.py").write_text("import sys\nprint('hello for', sys.argv[-1])\n")
    (home / "schedule.tsv").write_text(
        HEADER + "0\thello\tSays hello\tpython\thello.py\t*\t*\t/6\t0\t0\t\tY\n"
    )

    clock = ManualClock(datetime(2024, 5, 1, 0, 0, 1, tzinfo=UTC))
    scheduler = Scheduler(home, clock=clock)  # the store: .jobsmith/jobsmith.db in the home
    scheduler.tick()
    for _ in range(24 * 6):  # a day, ten minutes at a time
        clock.advance(timedelta(minutes=10))
        scheduler.tick()
        scheduler.wait()  # the jobs are real processes: let them end
    fires = scheduler.store.schedules.history("scheduler", 0)
    scheduler.close()

for fire in reversed(fires):
    print(f"{fire.planned_at:%Y-%m-%d %H:%M} {fire.state} {fire.status}")
