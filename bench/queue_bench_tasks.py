"""The no-op task of the queue benchmark (imported by the bench and its worker processes)."""

from __future__ import annotations

import os
import sys

from jobsmith.queue import Registry

sys.path.insert(
    0,
    os.environ.get(
        "PEERS_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "shared", "peers")
    ),
)
from common import rec

registry = Registry()


@registry.task(type_key="bench")
def noop(enq: float = 0.0, i: int = 0) -> None:
    rec(enq)
