"""Flows: how tasks (and flows inside flows) are ordered.

* :class:`LinearFlow` runs its items in the order they were added.
* :class:`GraphFlow` orders its items by data (an item that needs a name runs after the
  item that provides it) and by explicit :meth:`GraphFlow.link` calls.
* :class:`UnorderedFlow` puts no order on its items (they run in the order added; none
  may need what another provides).

Any flow may carry a retry controller (``retry=Times(3)``) that retries it as a whole.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Self, Union

from jobsmith.errors import FlowError

if TYPE_CHECKING:
    from jobsmith.flow.retry import Retry
    from jobsmith.flow.task import Task

Item = Union["Task", "Flow"]


class Flow:
    """Base of the three flows: a name, items, an optional retry controller."""

    def __init__(self, name: str, retry: Retry | None = None) -> None:
        self.name = name
        self.retry = retry
        self.items: list[Item] = []
        self._added: set[int] = set()

    def add(self, *items: Item) -> Self:
        """Add tasks or flows; returns the flow, so calls chain."""
        from jobsmith.flow.task import Task

        for item in items:
            if not isinstance(item, Task | Flow):
                raise FlowError(f"flow {self.name!r}: can only add tasks and flows, not {item!r}")
            if id(item) in self._added:
                raise FlowError(f"flow {self.name!r}: {item!r} was added twice")
            self._added.add(id(item))
            self.items.append(item)
        return self

    def __iter__(self) -> Iterator[Item]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}: {len(self.items)} items>"


class LinearFlow(Flow):
    """Items run one after another, in the order added (TaskFlow's ``linear_flow.Flow``)."""


class UnorderedFlow(Flow):
    """Items with no order between them (TaskFlow's ``unordered_flow.Flow``)."""


class GraphFlow(Flow):
    """Items ordered by the names they need and provide, and by explicit links
    (TaskFlow's ``graph_flow.Flow``)."""

    def __init__(self, name: str, retry: Retry | None = None) -> None:
        super().__init__(name, retry)
        self.links: list[tuple[Item, Item]] = []

    def link(self, before: Item, after: Item) -> Self:
        """Make ``after`` run only once ``before`` has completed."""
        for item in (before, after):
            if not any(item is existing for existing in self.items):
                raise FlowError(f"flow {self.name!r}: link {item!r}: add it to the flow first")
        self.links.append((before, after))
        return self
