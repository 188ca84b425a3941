"""Full garbage collections paused while a big graph runs.

CPython's collector rescans every long-lived object in a full collection, and a run
keeps many alive (the graph, its Job classes, a report per node), so in a 100,000-node
run full collections cost more than the nodes themselves. While a run is on, automatic
collection is paused and the engine collects the young generations itself every
``every`` tries: garbage made by a try is still freed soon, only full collections wait
until the run ends. Nothing changes when the collector was already disabled.

The collector is one switch for the whole process, so runs in several threads share one
pause: the first run to start turns automatic collection off (if it was on), the last one
to end turns it back on; a run never turns it on under another that is still going.
"""

from __future__ import annotations

import gc
import threading
from types import TracebackType

_lock = threading.Lock()
_runs = 0
"""Runs inside a pause right now, in every thread."""
_disabled_by_us = False


class GcPause:
    """Use as a context manager around a run; call :meth:`tick` once per try."""

    __slots__ = ("count", "every", "paused")

    def __init__(self, every: int = 2000) -> None:
        self.every = every
        self.count = 0
        self.paused = False

    def __enter__(self) -> GcPause:
        global _runs, _disabled_by_us
        with _lock:
            if _runs == 0:
                _disabled_by_us = gc.isenabled()
                if _disabled_by_us:
                    gc.disable()
            _runs += 1
            self.paused = _disabled_by_us
        return self

    def tick(self) -> None:
        self.count += 1
        if self.paused and self.count % self.every == 0:
            gc.collect(1)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        global _runs, _disabled_by_us
        with _lock:
            _runs -= 1
            if _runs == 0 and _disabled_by_us:
                _disabled_by_us = False
                gc.enable()
