"""Dependency graphs: validate nodes and their dependencies, order them, name any cycle.

Everything here is iterative, so a 10,000-deep chain or a 100,000-node graph is no
problem for Python's recursion limit. The order is a depth-first post-order: a node comes
after all of its dependencies, dependencies are visited in the order they were declared,
and starting points in the order given. That is the order DoJobber runs jobs in, and for
a linear flow it is simply the order tasks were added.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from typing import TypeVar

from jobsmith.engine.gcpause import GcPause
from jobsmith.engine.model import Node, Scope
from jobsmith.errors import CycleError, GraphError

K = TypeVar("K", bound=Hashable)

_ON_PATH, _DONE = 1, 2


def dependency_order(
    starts: Iterable[K], deps_of: Callable[[K], Iterable[K]], name: Callable[[K], str] = str
) -> list[K]:
    """Every node reachable from ``starts``, each after all of its dependencies.

    Raises :class:`~jobsmith.errors.CycleError` naming the nodes of a cycle (by
    ``name``), from the node the cycle was entered at back to itself.
    """
    order: list[K] = []
    state: dict[K, int] = {}
    for start in starts:
        if start in state:
            continue
        state[start] = _ON_PATH
        stack: list[tuple[K, Iterator[K]]] = [(start, iter(deps_of(start)))]
        while stack:
            node, pending = stack[-1]
            for dep in pending:
                seen = state.get(dep)
                if seen is None:
                    state[dep] = _ON_PATH
                    stack.append((dep, iter(deps_of(dep))))
                    break
                if seen == _ON_PATH:
                    cycle = _cycle(stack, dep)
                    raise CycleError([name(node) for node in cycle], cycle)
            else:
                stack.pop()
                state[node] = _DONE
                order.append(node)
    return order


def _cycle(stack: Sequence[tuple[K, object]], back_to: K) -> list[K]:
    """The nodes along the current path from ``back_to`` to the top, then ``back_to``."""
    path = [node for node, _ in stack]
    return [*path[path.index(back_to) :], back_to]


def check_names(names: Iterable[str], deps: Iterable[tuple[str, Iterable[str]]]) -> None:
    """Raise :class:`GraphError` when a name is used twice or a dependency names nothing."""
    known: set[str] = set()
    for node_name in names:
        if node_name in known:
            raise GraphError(f"two nodes are named {node_name!r}; names must be unique")
        known.add(node_name)
    for node_name, node_deps in deps:
        for dep in node_deps:
            if dep not in known:
                raise GraphError(f"{node_name!r} depends on {dep!r}, which is not in the graph")


def find_cycle(deps: Mapping[K, Iterable[K]]) -> list[K] | None:
    """A cycle in a mapping of node to its dependencies (as a list of nodes), or None.

    For callers with dependencies of their own (queued jobs): ``find_cycle({"a": ["b"],
    "b": ["a"]}) == ["a", "b", "a"]``.
    """
    try:
        dependency_order(deps, lambda node: deps.get(node, ()))
    except CycleError as exc:
        return exc.nodes
    return None


class Plan:
    """Nodes checked and put in run order, with their dependencies as positions.

    ``roots`` picks the nodes to reach (with everything they depend on); by default every
    node, in the order given. ``scopes`` are the retry scopes of a reverting run; a node
    belongs to the innermost scope that holds it.
    """

    def __init__(
        self,
        nodes: Iterable[Node],
        roots: Iterable[str] | None = None,
        scopes: Sequence[Scope] = (),
    ) -> None:
        with GcPause():
            self._build(list(nodes), roots, scopes)

    def _build(
        self, given: list[Node], roots: Iterable[str] | None, scopes: Sequence[Scope]
    ) -> None:
        check_names((n.name for n in given), ((n.name, n.deps) for n in given))
        by_name = {node.name: node for node in given}
        starts = [by_name[r] for r in roots] if roots is not None else given
        self.nodes: list[Node] = dependency_order(
            starts, lambda node: [by_name[d] for d in node.deps], name=_node_name
        )
        self.position: dict[str, int] = {node.name: i for i, node in enumerate(self.nodes)}
        self.deps: list[tuple[int, ...]] = [
            tuple(self.position[d] for d in node.deps) for node in self.nodes
        ]
        self.scopes = list(scopes)
        self.scope_of: list[Scope | None] = self._innermost_scopes()

    def _innermost_scopes(self) -> list[Scope | None]:
        found: list[Scope | None] = [None] * len(self.nodes)
        depth: list[int] = [-1] * len(self.nodes)
        for scope in self.scopes:
            level = _depth(scope)
            for name in scope.members:
                i = self.position.get(name)
                if i is not None and level > depth[i]:
                    found[i], depth[i] = scope, level
        return found

    def __len__(self) -> int:
        return len(self.nodes)


def _node_name(node: Node) -> str:
    return node.name


def _depth(scope: Scope) -> int:
    level = 0
    while scope.parent is not None:
        scope, level = scope.parent, level + 1
    return level
