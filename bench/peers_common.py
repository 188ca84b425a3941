"""The peers' shared benchmark helpers (../shared/peers/common.py, or PEERS_DIR), loaded
under a name of its own so they never mix with bench/common.py."""

from __future__ import annotations

import importlib.util
import os
import sys

PEERS_DIR = os.environ.get(
    "PEERS_DIR",
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "peers"),
)


def load():  # type: ignore[no-untyped-def]
    """The peers' common module (one instance per process)."""
    found = sys.modules.get("peers_common_module")
    if found is None:
        spec = importlib.util.spec_from_file_location(
            "peers_common_module", os.path.join(PEERS_DIR, "common.py")
        )
        assert spec is not None and spec.loader is not None
        found = importlib.util.module_from_spec(spec)
        sys.modules["peers_common_module"] = found
        spec.loader.exec_module(found)
    return found
