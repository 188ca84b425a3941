"""The scenario both graph benchmarks share: layers of trivial Jobs, each needing the
whole layer before it. Built for any DoJobber-compatible module (``dojobber`` or
``jobsmith.graph``), so both sides run the very same classes' code."""

from __future__ import annotations

from types import ModuleType


def layered(lib: ModuleType, nodes: int, width: int = 10) -> type:
    """``nodes`` Jobs in layers of ``width``; each checks (fails), runs, rechecks (passes).

    Returns the root: a DummyJob needing the last layer.
    """
    done: set[type] = set()

    def check(self, *args, **kwargs):
        if type(self) not in done:
            raise RuntimeError("not done")

    def run(self, *args, **kwargs):
        done.add(type(self))

    previous: list[type] = []
    for layer in range(nodes // width):
        current = [
            type(f"J{layer}_{i}", (lib.Job,), {"DEPS": tuple(previous), "Check": check, "Run": run})
            for i in range(width)
        ]
        previous = current
    return type("Root", (lib.DummyJob,), {"DEPS": tuple(previous)})
