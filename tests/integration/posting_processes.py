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
from tests.integration.schedule_homes import make_home
from tests.integration.worker_processes import wait_for

__all__ = ["ConnectionSampler", "Processes", "posting_home", "wait_for"]


def posting_home(
    folder: Path,
    target: StoreTarget,
    scheduler: Mapping[str, str] | None = None,
    sections: Mapping[str, Mapping[str, str]] | None = None,
) -> Path:
    """A home with ``mode = post``."""
    return make_home(folder, target, {"mode": "post", **(scheduler or {})}, sections)


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
