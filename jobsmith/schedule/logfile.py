"""Per-run log files: ``logs/<name>_<YYYYMMDDHHMMSS>.log``, opened by runner's header block.

::

    ********************************************************************************
    *                                                                              *
    *          APP: test                                                           *
    *         DESC: Test Job                                                       *
    *    TIMESTAMP: 2018-12-31 23:59:59                                            *
    …
    ********************************************************************************
    2018-12-31 23:59:59|INFO|JOB STARTED.
    2018-12-31 23:59:59|INFO|Hello there.
    2018-12-31 23:59:59|INFO|JOB FINISHED.
    2018-12-31 23:59:59|INFO|TIME SPENT: 0 seconds.
"""

from __future__ import annotations

import getpass
import os
import platform
import socket
import textwrap
import threading
from collections.abc import Iterable
from datetime import datetime, tzinfo
from pathlib import Path

from jobsmith.clock import Clock

__all__ = ["LINE_FORMAT", "RunLogFile", "machine_items", "timestamp"]

WIDTH = 80
KEY_WIDTH = 13
LINE_FORMAT = "%(asctime)s|%(levelname)s|%(message)s"
"""The format of log lines (for ``logging`` handlers that write into a run's log)."""
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def timestamp(moment: datetime, tz: tzinfo) -> str:
    """``2018-12-31 23:59:59``: a time as the log shows it, in the schedule's zone."""
    return moment.astimezone(tz).strftime(TIME_FORMAT)


def machine_items() -> list[tuple[str, str]]:
    """The header's lines about where the run happens."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid()) if hasattr(os, "getuid") else "unknown"
    uname = platform.uname()
    return [
        ("MACHINE", uname.machine),
        ("PROCESSOR", uname.processor or uname.machine),
        ("HOSTNAME", socket.gethostname()),
        ("USER", user),
        ("SYSTEM_NM", uname.system),
        ("SYSTEM_RLS", uname.release),
        ("SYSTEM_VER", uname.version),
        ("PYTHON", platform.python_version()),
    ]


class RunLogFile:
    """One run's log file. Thread-safe: output is pumped in while the job runs."""

    def __init__(self, path: Path, clock: Clock, tz: tzinfo) -> None:
        self.path = path
        self.clock = clock
        self.tz = tz
        self._lock = threading.Lock()
        self._file = open(path, "a", encoding="utf-8", buffering=1)  # noqa: SIM115 - closed by close()

    @classmethod
    def create(cls, folder: Path, name: str, clock: Clock, tz: tzinfo) -> RunLogFile:
        """A new file ``<name>_<YYYYMMDDHHMMSS>.log`` in ``folder`` (``_2``, ``_3`` … when a
        run of the same job started in the same second)."""
        folder.mkdir(parents=True, exist_ok=True)
        stamp = clock.now().astimezone(tz).strftime("%Y%m%d%H%M%S")
        for number in range(1, 10_000):
            suffix = "" if number == 1 else f"_{number}"
            path = folder / f"{name}_{stamp}{suffix}.log"
            try:
                path.touch(exist_ok=False)
            except FileExistsError:
                continue
            return cls(path, clock, tz)
        raise OSError(f"{folder}: too many logs of {name} for {stamp}")

    def header(self, items: Iterable[tuple[str, object]]) -> None:
        """runner's boxed header block."""
        lines = ["*" * WIDTH, "*" + " " * (WIDTH - 2) + "*"]
        inner = WIDTH - KEY_WIDTH - 4
        for key, value in items:
            chunks = textwrap.wrap(str(value), inner, break_long_words=True) or [""]
            for index, chunk in enumerate(chunks):
                label = f"{key}:" if index == 0 else ""
                lines.append(f"*{label:>{KEY_WIDTH + 1}} {chunk:<{inner}}*")
        lines += ["*" + " " * (WIDTH - 2) + "*", "*" * WIDTH]
        self.write_lines(lines)

    def log(self, level: str, message: str) -> None:
        """``2018-12-31 23:59:59|INFO|message``."""
        stamp = timestamp(self.clock.now(), self.tz)
        self.write_lines([f"{stamp}|{level}|{line}" for line in message.splitlines() or [""]])

    def write_lines(self, lines: Iterable[str]) -> None:
        with self._lock:
            if not self._file.closed:
                self._file.write("".join(f"{line}\n" for line in lines))

    def close(self) -> None:
        with self._lock:
            self._file.close()
