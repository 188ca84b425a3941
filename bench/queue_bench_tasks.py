"""The no-op task of the queue benchmark (imported by the bench and its worker processes)."""

from __future__ import annotations

from peers_common import load

from jobsmith.queue import Registry

rec = load().rec  # the peers' recorder: every library's no-op job is timed the same way

registry = Registry()


@registry.task(type_key="bench")
def noop(enq: float = 0.0, i: int = 0) -> None:
    rec(enq)
