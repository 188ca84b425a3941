"""Pictures of a graph: DOT text, Mermaid text, or any format Graphviz's ``dot`` renders.

Nodes are coloured by outcome as DoJobber colours them: green when the check passed,
dark green when a run fixed it, red when it failed; blocked and unreached nodes stay
white, reverted ones are magenta. Arrows point from a node to what it depends on.
When ``dot`` is not installed, an image cannot be made: :func:`write_picture` then
writes the DOT text instead and logs a warning saying so.
"""

from __future__ import annotations

import io
import logging
import os
import re
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from typing import IO, Any

from jobsmith.engine.model import Outcome
from jobsmith.errors import GraphError

log = logging.getLogger(__name__)

TEXT_FORMATS = {"dot": "dot", "gv": "dot", "mermaid": "mermaid", "mmd": "mermaid"}
DOT_TIMEOUT = 120

# fill colour, font colour
_STYLE: dict[Outcome, tuple[str, str]] = {
    Outcome.PASSED: ("green", "black"),
    Outcome.FIXED: ("darkgreen", "white"),
    Outcome.FAILED: ("red", "white"),
    Outcome.REVERTED: ("magenta", "white"),
}
_FORMAT = re.compile(r"^[A-Za-z0-9_]+(:[A-Za-z0-9_]+)*$")

Edges = Iterable[tuple[str, Iterable[str]]]
"""Each node's name with the names it depends on, in the order to draw them."""


def to_dot(edges: Edges, outcomes: Mapping[str, Outcome] | None = None, name: str = "G") -> str:
    """The graph as Graphviz DOT text."""
    outcomes = outcomes or {}
    lines = [f"digraph {_quote(name)} {{", "  node [shape=box, style=rounded];"]
    arrows: list[str] = []
    for node, deps in edges:
        style = _STYLE.get(outcomes.get(node, Outcome.PENDING))
        attrs = (
            f' [style="rounded,filled", fillcolor={style[0]}, fontcolor={style[1]}]'
            if style
            else ""
        )
        lines.append(f"  {_quote(node)}{attrs};")
        arrows.extend(f"  {_quote(node)} -> {_quote(dep)};" for dep in deps)
    return "\n".join([*lines, *arrows, "}"]) + "\n"


def to_mermaid(edges: Edges, outcomes: Mapping[str, Outcome] | None = None) -> str:
    """The graph as a Mermaid flowchart (GitHub and many wikis draw it)."""
    outcomes = outcomes or {}
    ids: dict[str, str] = {}
    lines = ["flowchart TD"]
    arrows = []
    for node, deps in edges:
        ids.setdefault(node, f"n{len(ids)}")
        label = node.replace('"', "#quot;")
        lines.append(f'  {ids[node]}["{label}"]')
        outcome = outcomes.get(node, Outcome.PENDING)
        if outcome in _STYLE:
            lines.append(f"  class {ids[node]} {outcome.value}")
        for dep in deps:
            ids.setdefault(dep, f"n{len(ids)}")
            arrows.append(f"  {ids[node]} --> {ids[dep]}")
    classes = [
        f"  classDef {outcome.value} fill:{fill},color:{font}"
        for outcome, (fill, font) in _STYLE.items()
    ]
    return "\n".join([*lines, *arrows, *classes]) + "\n"


def render(dot_text: str, fmt: str) -> bytes:
    """Run Graphviz ``dot -T<fmt>`` on DOT text; raises :class:`GraphError` if it fails."""
    if not _FORMAT.match(fmt):
        raise GraphError(f"{fmt!r} is not a picture format (try png, svg or pdf)")
    exe = shutil.which("dot")
    if exe is None:
        raise GraphError("Graphviz is not installed (no `dot` on PATH): apt-get install graphviz")
    try:
        done = subprocess.run(
            [exe, f"-T{fmt}"],
            input=dot_text.encode(),
            capture_output=True,
            timeout=DOT_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise GraphError(f"`dot -T{fmt}` took more than {DOT_TIMEOUT} s") from exc
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip()
        raise GraphError(f"`dot -T{fmt}` failed: {message}")
    return done.stdout


def picture(edges: Edges, outcomes: Mapping[str, Outcome] | None, fmt: str) -> str | bytes:
    """The picture in ``fmt``: text for dot/gv/mermaid/mmd, else bytes from ``dot``
    (or the DOT text, with a warning, when ``dot`` is not installed)."""
    edges = list(edges)
    kind = TEXT_FORMATS.get(fmt.lower())
    if kind == "mermaid":
        return to_mermaid(edges, outcomes)
    text = to_dot(edges, outcomes)
    if kind == "dot":
        return text
    if shutil.which("dot") is None:
        log.warning("Graphviz `dot` is not installed: writing the graph as DOT text, not %s", fmt)
        return text
    return render(text, fmt)


def write_picture(
    target: IO[Any] | str | os.PathLike[str],
    edges: Edges,
    outcomes: Mapping[str, Outcome] | None = None,
    fmt: str = "png",
) -> None:
    """Write the picture to an open file (binary, or text for text formats) or a path."""
    data = picture(edges, outcomes, fmt)
    if isinstance(target, str | os.PathLike):
        with open(target, "wb") as file:
            file.write(data.encode() if isinstance(data, str) else data)
        return
    if _is_text(target):
        if isinstance(data, bytes):
            if fmt.lower() != "svg":
                raise GraphError(f"a {fmt} picture is binary: open the file with 'wb', not 'w'")
            data = data.decode()
        target.write(data)
    else:
        target.write(data.encode() if isinstance(data, str) else data)


def _is_text(target: IO[Any]) -> bool:
    if isinstance(target, io.TextIOBase):
        return True
    if isinstance(target, io.BufferedIOBase | io.RawIOBase):
        return False
    return "b" not in getattr(target, "mode", "b")


def _quote(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
