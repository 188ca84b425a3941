"""Homes that post to the queue, and the real processes of those tests: `jobsmith scheduler`,
`jobsmith worker`, the jobs they start, and the PostgreSQL connections they hold."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

import psycopg

from tests.conftest import PG_URL, REPO, StoreTarget
from tests.integration.schedule_homes import add_job, make_home
from tests.integration.worker_processes import wait_for

__all__ = ["JOB", "ConnectionSampler", "Processes", "add_posted_job", "posting_home", "wait_for"]

# A job that notes its pid, its trigger and its words (and can be told to sleep or fail).
JOB = """#!/usr/bin/env bash
# usage: job.sh [--sleep S] [--fail] [WORD …] --trigger T
sleep_for=0; fail=0; words=()
while [ $# -gt 0 ]; do
  case "$1" in
    --sleep) sleep_for="$2"; shift 2;;
    --fail) fail=1; shift;;
    --trigger) trigger="$2"; shift 2;;
    *) words+=("$1"); shift;;
  esac
done
here="$(dirname "$0")"
echo "$$" >> "$here/pids.txt"
echo "started $trigger (JOBSMITH_TRIGGER=$JOBSMITH_TRIGGER) words: ${words[*]}"
sleep "$sleep_for"
echo "$trigger" >> "$here/triggers.txt"
if [ "$fail" = 1 ]; then echo "failing on purpose" >&2; exit 3; fi
echo "done $trigger"
"""


def posting_home(
    folder: Path,
    target: StoreTarget,
    scheduler: Mapping[str, str] | None = None,
    sections: Mapping[str, Mapping[str, str]] | None = None,
) -> Path:
    """A home with ``mode = post`` and ``jobs/job.sh``."""
    home = make_home(folder, target, {"mode": "post", **(scheduler or {})}, sections)
    (home / "jobs" / "job.sh").write_text(JOB)
    return home


def add_posted_job(
    home: Path, entry_id: int, times: str, parameters: str = "", **extra: str
) -> None:
    """An entry that runs ``jobs/job.sh``."""
    add_job(home, entry_id, times, parameters, FILE="jobs/job.sh", **extra)


def job_pids(home: Path) -> list[int]:
    path = home / "jobs" / "pids.txt"
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


class Processes:
    """The `jobsmith` processes a test starts, stopped (or killed) when it ends."""

    def __init__(self, target: StoreTarget, folder: Path, home: Path | None = None) -> None:
        self.target = target
        self.folder = folder
        self.home = home
        self.started: list[subprocess.Popen[bytes]] = []

    def start(
        self,
        *argv: str,
        name: str,
        env: Mapping[str, str] | None = None,
        store_env: bool = True,
    ) -> subprocess.Popen[bytes]:
        """`python -m jobsmith ARGV` with the test's store (in ``JOBSMITH_STORE`` unless not
        ``store_env``), its output in ``name.out``."""
        base = self.target.env() if store_env else dict(os.environ)
        if not store_env:
            base.pop("JOBSMITH_STORE", None)
            base.pop("JOBSMITH_SCHEMA", None)
        with (self.folder / f"{name}.out").open("ab") as out:  # the child keeps its own copy
            process = subprocess.Popen(
                [sys.executable, "-m", "jobsmith", *argv],
                cwd=REPO,
                env={**base, **(env or {})},
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.started.append(process)
        return process

    def scheduler(
        self, home: Path, name: str = "scheduler", env: Mapping[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        return self.start("scheduler", "--home", str(home), name=name, env=env)

    def worker(
        self, *options: str, name: str = "worker", store_env: bool = True
    ) -> subprocess.Popen[bytes]:
        return self.start("worker", "--lease", "2", *options, name=name, store_env=store_env)

    def stop(self, process: subprocess.Popen[bytes], timeout: float = 30) -> int:
        """SIGTERM, and the exit status."""
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        return process.wait(timeout)

    def output(self, name: str) -> str:
        return (self.folder / f"{name}.out").read_text(errors="replace")

    def close(self) -> None:
        """Kill whatever is still running: these processes and the jobs they started."""
        for process in self.started:
            if process.poll() is None:
                process.kill()
                process.wait(10)
        for pid in job_pids(self.home) if self.home else []:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)


class ConnectionSampler:
    """Counts, several times a second, the PostgreSQL connections of processes started with
    ``PGAPPNAME`` set to one of ``names`` (libpq names their connections so)."""

    def __init__(self, names: list[str], every: float = 0.1) -> None:
        self.names = names
        self.every = every
        self.samples: dict[str, list[int]] = {name: [] for name in names}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> ConnectionSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        query = (
            "SELECT application_name, count(*) AS n FROM pg_stat_activity "
            "WHERE application_name = ANY(%s) GROUP BY application_name"
        )
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            while not self._stop.is_set():
                counts = Counter(
                    {name: n for name, n in conn.execute(query, (self.names,)).fetchall()}
                )
                for name in self.names:
                    self.samples[name].append(counts[name])
                time.sleep(self.every)

    def held(self, name: str) -> list[int]:
        """The samples of one process while it was connected (its start and end left out)."""
        return [n for n in self.samples[name] if n > 0]
