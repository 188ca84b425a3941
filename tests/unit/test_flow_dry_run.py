"""Dry runs of flows: the order tasks would run in and the values they would get."""

from __future__ import annotations

import pytest

from jobsmith.errors import FlowError
from jobsmith.flow import GraphFlow, Task, dry_run


class Boom(Task):
    def execute(self, **kwargs: object) -> None:
        raise AssertionError("a dry run must not execute anything")


class Volume(Boom):
    def execute(self, size: int) -> None:  # type: ignore[override]
        raise AssertionError("a dry run must not execute anything")


class Attach(Boom):
    def execute(self, volume: str, server: str) -> None:  # type: ignore[override]
        raise AssertionError("a dry run must not execute anything")


class Server(Boom):
    def execute(self, image: str) -> None:  # type: ignore[override]
        raise AssertionError("a dry run must not execute anything")


def test_a_dry_run_lists_tasks_in_order_with_their_values() -> None:
    flow = GraphFlow("server").add(
        Attach("attach"),
        Volume("volume", provides="volume"),
        Server("server", provides="server"),
    )
    planned = dry_run(flow, {"size": 10, "image": "debian"})
    assert [str(p) for p in planned] == [  # what attach needs, by name: server, volume
        "1. server (Server) image='debian' -> server",
        "2. volume (Volume) size=10 -> volume",
        "3. attach (Attach) volume=<from volume> server=<from server>",
    ]
    assert planned[2].after == ["server", "volume"]


def test_a_dry_run_checks_the_flow_as_a_run_does() -> None:
    with pytest.raises(FlowError, match="task 'volume' needs 'size'"):
        dry_run(GraphFlow("f").add(Volume("volume")), {})
