"""Full garbage collections paused while a big graph runs.

CPython's collector rescans every long-lived object in a full collection, and a run
keeps many alive (the graph, its Job classes, a report per node), so in a 100,000-node
run full collections cost more than the nodes themselves. While a run is on, automatic
collection is paused and the engine collects the young generations itself every
``every`` tries: garbage made by a try is still freed soon, only full collections wait
until the run ends. Nothing changes when the collector was already disabled.
"""

from __future__ import annotations

import gc
from types import TracebackType


class GcPause:
    """Use as a context manager around a run; call :meth:`tick` once per try."""

    __slots__ = ("count", "every", "paused")

    def __init__(self, every: int = 2000) -> None:
        self.every = every
        self.count = 0
        self.paused = False

    def __enter__(self) -> GcPause:
        self.paused = gc.isenabled()
        if self.paused:
            gc.disable()
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
        if self.paused:
            gc.enable()
