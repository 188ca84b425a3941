"""From a flow to the engine: one node per task, dependencies from the flows' order and
data, one retry scope per flow with a retry controller; then checked against the store.

Ordering between items becomes dependencies between tasks: when item B comes after item
A, every task B starts with depends on every task A ends with. Everything a task needs
must come from the store or from a task that runs before it; that is checked before
anything runs, so a flow that cannot work fails whole, not halfway.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from jobsmith.engine import Node, Plan, Scope, Step, dependency_order
from jobsmith.errors import FlowError, MissingParameterError
from jobsmith.flow.patterns import Flow, GraphFlow, Item, LinearFlow, UnorderedFlow
from jobsmith.flow.retry import Retry
from jobsmith.flow.task import Failure, Task, key, provided_names, split_result


class Values:
    """The flow's store: values by fuzzy name, remembering each name's spelling."""

    __slots__ = ("_values",)

    def __init__(self, initial: Mapping[str, Any] | None = None) -> None:
        self._values: dict[str, tuple[str, Any]] = {}
        for name, value in (initial or {}).items():
            self.set(name, value)

    def get(self, found: str) -> tuple[str, Any] | None:
        return self._values.get(found)

    def set(self, name: str, value: Any) -> tuple[str, Any] | None:
        """Store a value; returns what was there before (to restore on revert)."""
        k = key(name)
        before = self._values.get(k)
        self._values[k] = (name, value)
        return before

    def restore(self, name: str, before: tuple[str, Any] | None) -> None:
        if before is None:
            self._values.pop(key(name), None)
        else:
            self._values[key(name)] = before

    def keys(self) -> builtins.set[str]:  # in this class, "set" is the method
        return set(self._values)

    def as_dict(self) -> dict[str, Any]:
        return dict(self._values.values())


class TaskRun:
    """One task in one run: binds inputs, executes, stores outputs, reverts."""

    __slots__ = (
        "args",
        "encode",
        "encoded",
        "executions",
        "failure",
        "failures",
        "inputs",
        "on_revert",
        "resumed",
        "saved",
        "step",
        "task",
        "values",
    )

    def __init__(self, task: Task, values: Values, failures: dict[str, Failure]) -> None:
        self.task, self.values, self.failures = task, values, failures
        self.args = [
            (arg, stored, key(stored), arg in task.optional)
            for arg, stored in task.rebind.items()
            if arg not in task.inject
        ]
        self.inputs: dict[str, Any] = {}
        self.failure: Failure | None = None
        self.saved: list[tuple[str, tuple[str, Any] | None]] = []
        self.executions = 0
        """How many times ``execute`` was started (in earlier processes too, when resumed)."""
        self.resumed: tuple[Any] | None = None
        """The result read back from the store when the task completed before a restart."""
        self.encode: Callable[[Any], str] | None = None
        """Turns a result into stored text (a flow that keeps state); raising fails the task."""
        self.encoded: str | None = None
        self.on_revert: Callable[[TaskRun], None] | None = None
        self.step = Step(run=self.run, revert=self.revert if task.reverts else None)

    def make_step(self) -> Step:
        return self.step

    def watch_reverts(self, on_revert: Callable[[TaskRun], None]) -> None:
        """Call ``on_revert(self)`` before this task is reverted (tasks without a revert too)."""
        self.on_revert = on_revert
        self.step = Step(run=self.run, revert=self._revert_step)

    def bind(self) -> dict[str, Any]:
        inputs = dict(self.task.inject)
        for arg, stored, found, optional in self.args:
            value = self.values.get(found)
            if value is not None:
                inputs[arg] = value[1]
            elif not optional:
                raise MissingParameterError(stored, self.task.name)
        return inputs

    def run(self) -> Any:
        self.failure, self.saved = None, []
        if self.resumed is not None:  # completed before a restart: read back, not run again
            (result,) = self.resumed
            self.resumed = None
            self.inputs = self.bind()
            for name, value in split_result(self.task, result):
                self.saved.append((name, self.values.set(name, value)))
            return result
        try:
            self.inputs = self.bind()
            self.executions += 1
            self.task.attempt = self.executions
            result = self.task.execute(**self.inputs)
            if self.encode is not None:
                self.encoded = self.encode(result)
            for name, value in split_result(self.task, result):
                self.saved.append((name, self.values.set(name, value)))
        except Exception as exc:
            self.failure = self.failures[self.task.name] = Failure(exc, self.task.name)
            raise
        return result

    def _revert_step(self, result: Any, error: BaseException | None) -> None:
        if self.on_revert is not None:
            self.on_revert(self)
        if self.task.reverts:
            self.revert(result, error)
        else:
            self.restore()

    def restore(self) -> None:
        """Take back the values this task stored."""
        for name, before in reversed(self.saved):
            self.values.restore(name, before)
        self.saved = []

    def revert(self, result: Any, error: BaseException | None) -> None:
        kwargs = dict(self.inputs)
        kwargs["result"] = self.failure if self.failure is not None else result
        kwargs["flow_failures"] = dict(self.failures)
        names = self.task.revert_names
        if names is not None:
            kwargs = {name: kwargs[name] for name in names if name in kwargs}
        self.task.revert(**kwargs)
        self.restore()


@dataclass
class _Part:
    """A compiled item: its tasks, where it starts and ends, what it needs and provides."""

    tasks: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    sinks: list[str] = field(default_factory=list)
    provides: set[str] = field(default_factory=set)
    needs: set[str] = field(default_factory=set)


class Compiled:
    """A flow ready for the engine: nodes, scopes, the store, each task's runtime."""

    def __init__(self, flow: Flow | Task, store: Mapping[str, Any] | None = None) -> None:
        self.name = flow.name
        self.values = Values(store)
        self.failures: dict[str, Failure] = {}
        self.runs: dict[str, TaskRun] = {}
        self.deps: dict[str, list[str]] = {}
        self.scopes: list[Scope] = []
        self.scope_keys: dict[str, Scope] = {}
        """Each retry scope by a key that names it in a flow's kept state."""
        self.on_scope_try: Callable[[str, int], None] | None = None
        """Told ``(key, try number)`` when a retry scope's try starts (kept state)."""
        self.retry_provides: list[str] = []
        self._part(flow, None)
        nodes = [
            Node(
                name,
                run.make_step,
                deps=tuple(dict.fromkeys(self.deps[name])),
                kind=type(run.task).__name__,
                payload=run,
            )
            for name, run in self.runs.items()
        ]
        self.plan = Plan(nodes, scopes=self.scopes)
        self._check_inputs()

    def inputs_of(self, node: Node) -> dict[str, Any]:
        """The values a task's last execution was given (for the run log)."""
        run: TaskRun = node.payload
        return run.inputs

    # -- building ------------------------------------------------------------------------
    def _part(self, item: Item, scope: Scope | None) -> _Part:
        if isinstance(item, Task):
            return self._task(item)
        inner = self._scope(item, item.retry, scope) if item.retry is not None else scope
        parts = [self._part(child, inner) for child in item.items]
        if isinstance(item, GraphFlow):
            part = self._graph(item, parts)
        elif isinstance(item, UnorderedFlow):
            part = self._unordered(item, parts)
        elif isinstance(item, LinearFlow) or type(item) is Flow:
            part = self._linear(parts)
        else:
            raise FlowError(f"{item!r} is not a task or a flow")
        if inner is not scope and inner is not None:
            inner.members = frozenset(part.tasks)
        return part

    def _task(self, task: Task) -> _Part:
        if task.name in self.runs:
            raise FlowError(f"two tasks are named {task.name!r}: give each a unique name")
        self.runs[task.name] = TaskRun(task, self.values, self.failures)
        self.deps[task.name] = []
        needs = {key(stored) for arg, stored in task.rebind.items() if arg not in task.inject}
        provides = {key(name) for name in provided_names(task)}
        name = task.name
        return _Part([name], [name], [name], provides, needs)

    def _scope(self, flow: Flow, retry: Retry, parent: Scope | None) -> Scope:
        scope_key = f"{len(self.scopes)} {flow.name} ({retry.name})"
        provides = retry.provides
        if provides:
            self.retry_provides.append(provides)

        def on_try(attempt: int) -> None:
            if provides:
                self.values.set(provides, retry.execute(attempt))
            if self.on_scope_try is not None:
                self.on_scope_try(scope_key, attempt)

        scope = Scope(
            f"{flow.name} ({retry.name})",
            frozenset(),
            decide=retry.on_failure,
            retry_delay=retry.delay,
            parent=parent,
            on_try=on_try,
        )
        self.scopes.append(scope)
        self.scope_keys[scope_key] = scope
        return scope

    def _after(self, later: _Part, earlier: _Part) -> None:
        for source in later.sources:
            self.deps[source].extend(earlier.sinks)

    def _linear(self, parts: list[_Part]) -> _Part:
        parts = [p for p in parts if p.tasks]
        whole = _Part()
        for i, part in enumerate(parts):
            if i:
                self._after(part, parts[i - 1])
            whole.tasks += part.tasks
            whole.needs |= part.needs - whole.provides
            whole.provides |= part.provides
        if parts:
            whole.sources, whole.sinks = parts[0].sources, parts[-1].sinks
        return whole

    def _unordered(self, flow: Flow, parts: list[_Part]) -> _Part:
        for i, part in enumerate(parts):
            for j, other in enumerate(parts):
                shared = part.needs & other.provides
                if i != j and shared:
                    raise FlowError(
                        f"unordered flow {flow.name!r}: {_label(flow.items[i])} needs "
                        f"{sorted(shared)}, which {_label(flow.items[j])} provides; "
                        "use a linear or graph flow to order them"
                    )
        return _union(parts, parts, parts)

    def _graph(self, flow: GraphFlow, parts: list[_Part]) -> _Part:
        index = {id(item): i for i, item in enumerate(flow.items)}
        edges: dict[int, list[int]] = {i: [] for i in range(len(parts))}
        for before_item, after_item in flow.links:
            edges[index[id(after_item)]].append(index[id(before_item)])
        provider: dict[str, int] = {}
        for i, part in enumerate(parts):
            for name in part.provides:
                if name in provider and provider[name] != i:
                    raise FlowError(
                        f"graph flow {flow.name!r}: both {_label(flow.items[provider[name]])} "
                        f"and {_label(flow.items[i])} provide {name!r}"
                    )
                provider[name] = i
        for i, part in enumerate(parts):
            edges[i] += [
                provider[n] for n in sorted(part.needs) if n in provider and provider[n] != i
            ]
        dependency_order(
            range(len(parts)), lambda i: edges[i], name=lambda i: _label(flow.items[i])
        )
        for after, befores in edges.items():
            for before in dict.fromkeys(befores):
                self._after(parts[after], parts[before])
        has_next = {b for befores in edges.values() for b in befores}
        firsts = [p for i, p in enumerate(parts) if not edges[i]]
        lasts = [p for i, p in enumerate(parts) if i not in has_next]
        return _union(parts, firsts, lasts)

    # -- checking ------------------------------------------------------------------------------
    def _check_inputs(self) -> None:
        """Every input a task needs is in the store or provided by a task before it."""
        available = self.values.keys() | {key(name) for name in self.retry_provides}
        missing = []
        for node in self.plan.nodes:
            run: TaskRun = node.payload
            for arg, stored, found, optional in run.args:
                if not optional and found not in available:
                    missing.append(f"task {run.task.name!r} needs {stored!r} (argument {arg})")
            available |= {key(name) for name in provided_names(run.task)}
        if missing:
            raise FlowError(
                f"flow {self.name!r} cannot run: "
                + "; ".join(missing)
                + " — neither the store nor an earlier task provides it"
            )


def _union(parts: list[_Part], firsts: list[_Part], lasts: list[_Part]) -> _Part:
    whole = _Part()
    for part in parts:
        whole.tasks += part.tasks
        whole.provides |= part.provides
    for part in parts:
        whole.needs |= part.needs - whole.provides
    whole.sources = [s for p in firsts for s in p.sources]
    whole.sinks = [s for p in lasts for s in p.sinks]
    return whole


def _label(item: Item) -> str:
    kind = "task" if isinstance(item, Task) else "flow"
    return f"{kind} {item.name!r}"
