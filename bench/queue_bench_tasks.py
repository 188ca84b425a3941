"""The tasks of the queue benchmarks: the no-op job and the mixed workload's sleep
(imported by the benchmarks and their worker processes)."""

from __future__ import annotations

import os
import threading
import time

from peers_common import load

from jobsmith.queue import Registry

rec = load().rec  # the peers' recorder: every library's no-op job is timed the same way

registry = Registry()


@registry.task(type_key="bench")
def noop(enq: float = 0.0, i: int = 0) -> None:
    rec(enq)


@registry.task(type_key="bench", unique=False)
def sleep(seconds: float, i: int = 0, enq: float = 0.0) -> None:
    """The mixed workload's job: sleep, then note when it ran (queue_mixed.py)."""
    start = time.time()
    time.sleep(seconds)
    line = f"{i} {os.getpid()} {threading.get_ident()} {enq:.6f} {start:.6f} {time.time():.6f}\n"
    fd = os.open(os.environ["MIXED_TRAIL"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.write(fd, line.encode())  # one write: lines of several processes never mix
    finally:
        os.close(fd)
