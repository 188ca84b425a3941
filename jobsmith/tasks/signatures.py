"""The parameters a script declares, read from its text (robojob's first-line conventions).

R: the first line is a comment listing the names, in the order the script reads them from
``commandArgs(TRUE)``: ``# first_parameter - second_parameter``. A ``#!`` line before it
is skipped. A first line that is not a comment declares nothing.

PowerShell: the script's ``param(...)`` block: ``param($One, $Two)`` on the first line as
robojob wrote it, and also what PowerShell itself accepts before and inside it (comments,
``<# help #>``, ``[CmdletBinding()]``, types, attributes, defaults, several lines). A
parameter with a default or of type ``[switch]`` is optional.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from jobsmith.errors import ScriptError

_R_NAME = re.compile(r"[A-Za-z0-9_]+")
_PS_NAME = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_PAIRS = {"(": ")", "[": "]", "{": "}"}


@dataclass(frozen=True)
class ScriptParameter:
    """One parameter a script declares."""

    name: str
    optional: bool = False
    switch: bool = False
    """A PowerShell ``[switch]``: passed as ``-Name`` when true, left out when false."""


def r_parameters(text: str) -> list[ScriptParameter]:
    """The names on an R script's first line, in order."""
    lines = text.lstrip("\ufeff").splitlines()
    if lines and lines[0].startswith("#!"):
        lines = lines[1:]
    first = lines[0].strip() if lines else ""
    if not first.startswith("#"):
        return []
    return [ScriptParameter(name) for name in _R_NAME.findall(first.lstrip("#'"))]


def powershell_parameters(text: str, source: str = "<script>") -> list[ScriptParameter]:
    """The parameters of a PowerShell script's ``param(...)`` block, in order."""
    block = _param_block(text.lstrip("\ufeff"), source)
    if block is None:
        return []
    found = []
    for item in _split_top_level(block, source):
        parameter = _powershell_parameter(item, source)
        if parameter is not None:
            found.append(parameter)
    return found


def _param_block(text: str, source: str) -> str | None:
    """The text between the parentheses of a leading ``param(...)``, or None."""
    at = _skip_preamble(text, 0, source)
    match = re.compile(r"param\s*\(", re.IGNORECASE).match(text, at)
    if match is None:
        return None
    end = _closing(text, match.end() - 1, source)
    return text[match.end() : end]


def _skip_preamble(text: str, at: int, source: str) -> int:
    """Past whitespace, comments and attributes such as ``[CmdletBinding()]``."""
    while True:
        at = _skip_space_and_comments(text, at, source)
        if at < len(text) and text[at] == "[":
            at = _closing(text, at, source) + 1
        else:
            return at


def _closing(text: str, start: int, source: str) -> int:
    """The index of the bracket closing the one at ``start``, past quotes and comments."""
    stack = [_PAIRS[text[start]]]
    at = start + 1
    while at < len(text):
        char = text[at]
        if char in "'\"":
            at = _end_of_string(text, at)
        elif char in "<#" and _comment_end(text, at, source) != at:
            at = _comment_end(text, at, source) - 1
        elif char in _PAIRS:
            stack.append(_PAIRS[char])
        elif char == stack[-1]:
            stack.pop()
            if not stack:
                return at
        at += 1
    line = text.count("\n", 0, start) + 1
    raise ScriptError(f"{source}:{line}: '{text[start]}' is never closed")


def _end_of_string(text: str, start: int) -> int:
    """The index of the quote that ends the string starting at ``start``."""
    quote = text[start]
    at = start + 1
    while at < len(text):
        if quote == '"' and text[at] == "`":
            at += 2
            continue
        if text[at] == quote:
            if text.startswith(quote * 2, at):  # '' or "" inside the string
                at += 2
                continue
            return at
        at += 1
    return len(text)


def _split_top_level(block: str, source: str) -> list[str]:
    """Split a ``param`` block at the commas that separate parameters."""
    items, start, at = [], 0, 0
    while at < len(block):
        char = block[at]
        if char in "'\"":
            at = _end_of_string(block, at)
        elif char in _PAIRS:
            at = _closing(block, at, source)
        elif char in "<#" and _comment_end(block, at, source) != at:
            at = _comment_end(block, at, source) - 1
        elif char == ",":
            items.append(block[start:at])
            start = at + 1
        at += 1
    items.append(block[start:])
    return [item for item in items if item.strip()]


def _powershell_parameter(item: str, source: str) -> ScriptParameter | None:
    """One ``[attributes][type]$Name = default`` entry."""
    at, types = 0, []
    while True:
        at = _skip_space_and_comments(item, at, source)
        if at < len(item) and item[at] == "[":
            end = _closing(item, at, source)
            types.append(item[at + 1 : end].strip().lower())
            at = end + 1
        else:
            break
    match = _PS_NAME.match(item, at)
    if match is None:
        return None
    has_default = item[match.end() :].lstrip().startswith("=")
    switch = "switch" in types or "switchparameter" in types
    return ScriptParameter(match.group(1), optional=has_default or switch, switch=switch)


def _skip_space_and_comments(text: str, at: int, source: str) -> int:
    while at < len(text):
        if text[at].isspace():
            at += 1
        elif (end := _comment_end(text, at, source)) != at:
            at = end
        else:
            break
    return at


def _comment_end(text: str, at: int, source: str) -> int:
    """Past the ``# line`` or ``<# block #>`` comment at ``at`` (``at`` itself if none)."""
    if text.startswith("<#", at):
        end = text.find("#>", at + 2)
        if end < 0:
            raise ScriptError(f"{source}: a <# comment #> is not closed")
        return end + 2
    if text.startswith("#", at):
        end = text.find("\n", at)
        return len(text) if end < 0 else end + 1
    return at
