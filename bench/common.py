"""Helpers the benchmarks share: timing, a scratch store, the table."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def timed(fn: Callable[[], Any], repeat: int = 1) -> float:
    """The best of ``repeat`` runs, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def timed_fresh(build: Callable[[], Any], work: Callable[[Any], Any], repeat: int = 1) -> float:
    """The best of ``repeat`` runs of ``work(build())``, timing only ``work``."""
    best = float("inf")
    for _ in range(repeat):
        made = build()
        start = time.perf_counter()
        work(made)
        best = min(best, time.perf_counter() - start)
    return best


def scratch_store(url: str | None = None):
    """A fresh store for the run log: the URL given, else a SQLite file in a temp folder."""
    from jobsmith.store import open_store

    if url:
        return open_store(url, "bench_issue5", deploy=True)
    folder = Path(tempfile.mkdtemp(prefix="jobsmith-bench-issue5-"))
    return open_store(f"sqlite:///{folder / 'bench.db'}")


def table(title: str, header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(row: list[str]) -> str:
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([f"\n{title}\n", line(header), rule, *map(line, rows)])


def seconds(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"


def ratio(peer: float | None, ours: float) -> str:
    return "-" if peer is None else f"{peer / ours:.0f}x"
