"""Three schedulers on PostgreSQL, one killed with SIGKILL midway: each fire exactly once.

Six entries fire every second; three `jobsmith scheduler` processes share one home and
one store. Every planned second of every entry must be claimed by exactly one scheduler
(no gap, no repeat), each job must have run at most once per trigger (exactly once for
every fire recorded as ran), and the fires the killed scheduler left behind must be
adopted or marked interrupted by the others.
"""

from __future__ import annotations

import itertools
import os
import signal
import statistics
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from jobsmith.store import Store
from tests.conftest import StoreTarget
from tests.integration.posting_processes import ConnectionSampler
from tests.integration.schedule_homes import add_job, make_home

ENTRIES = 6
FIRES_BEFORE_KILL = 120
FIRES_IN_ALL = 300


def app_name(target: StoreTarget, number: int) -> str:
    """The application_name of one scheduler's PostgreSQL connections (PGAPPNAME)."""
    return f"scheduler{number}-{target.schema}"


def start(home: Path, target: StoreTarget, number: int) -> subprocess.Popen[bytes]:
    with (home / f"scheduler{number}.out").open("wb") as log:  # the child keeps its own copy
        return subprocess.Popen(
            [sys.executable, "-m", "jobsmith", "scheduler", "--home", str(home)],
            env={**target.env(), "PGAPPNAME": app_name(target, number)},
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip


def claimed(store: Store) -> int:
    return sum(len(store.schedules.history("scheduler", e, 100_000)) for e in range(1, ENTRIES + 1))


def wait_for(store: Store, count: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while claimed(store) < count:
        assert time.monotonic() < deadline, f"only {claimed(store)} fires after {timeout}s"
        time.sleep(0.5)


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.timeout(240)
def test_each_fire_once_with_a_scheduler_killed(tmp_path: Path, pg_target: StoreTarget) -> None:
    store = pg_target.open(deploy=True)
    home = make_home(tmp_path / "home", pg_target, {"overlap": "allow", "dead_after": "3"})
    for entry in range(1, ENTRIES + 1):
        add_job(home, entry, "* * * * *")
    schedulers = [start(home, pg_target, n) for n in range(3)]
    sampler = ConnectionSampler([app_name(pg_target, n) for n in range(3)])
    try:
        sampler.__enter__()
        wait_for(store, FIRES_BEFORE_KILL, 120)
        victim = schedulers[0]
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(10)
        killed_at = claimed(store)
        wait_for(store, FIRES_IN_ALL, 150)
        time.sleep(5)  # past dead_after: the survivors take care of the victim's fires
    finally:
        sampler.__exit__()
        for process in schedulers[1:]:
            process.send_signal(signal.SIGTERM)
        for process in schedulers:
            process.wait(60)
    assert [p.returncode for p in schedulers[1:]] == [0, 0]

    ran_lines = Counter((home / "jobs" / "triggers.txt").read_text().split())
    owners: Counter[str] = Counter()
    for entry in range(1, ENTRIES + 1):
        fires = sorted(
            store.schedules.history("scheduler", entry, 100_000), key=lambda f: f.planned_at
        )
        planned = [f.planned_at for f in fires]
        assert len(set(planned)) == len(planned), f"entry {entry}: a planned time was claimed twice"
        gaps = [(a, b) for a, b in itertools.pairwise(planned) if b - a != timedelta(seconds=1)]
        assert not gaps, f"entry {entry}: fires missing between {gaps[:3]}"
        states = Counter(f.state for f in fires)
        assert set(states) <= {"ran", "interrupted"}, states
        for fire in fires:
            owners[fire.claimed_by] += 1
            if fire.state == "ran":
                assert fire.status == "Completed" and fire.run_id is not None
    triggers = [f"{f.planned_at:%Y-%m-%d/%H:%M:%S}" for e in range(1, ENTRIES + 1)
                for f in store.schedules.history("scheduler", e, 100_000) if f.state == "ran"]  # fmt: skip
    expected = Counter(triggers)
    # every job ran once per fire recorded as ran (interrupted ones at most once)
    assert all(ran_lines[t] >= n for t, n in expected.items())
    assert max(ran_lines.values()) <= ENTRIES
    assert sum(ran_lines.values()) - sum(expected.values()) <= sum(
        1
        for e in range(1, ENTRIES + 1)
        for f in store.schedules.history("scheduler", e, 100_000)
        if f.state == "interrupted"
    )
    assert len(owners) == 3, f"all three schedulers claimed fires: {owners}"
    assert claimed(store) >= FIRES_IN_ALL and killed_at >= FIRES_BEFORE_KILL
    for n in range(3):  # a scheduler holds one connection; its run threads, one while recording
        held = sampler.held(app_name(pg_target, n))
        assert len(held) > 20 and statistics.median(held) == 1, Counter(held)
        assert max(held) <= 1 + ENTRIES, Counter(held)
    store.close()
