"""``$name`` templates filled from parameters (email subjects and bodies, command arguments).

The syntax is :class:`string.Template`'s: ``$name`` or ``${name}``, ``$$`` for a dollar
sign; a ``$`` not followed by a name stays as it is. Names are looked up by fuzzy name
(``$job_name`` finds ``job name``); a name that is not defined is a
:class:`~jobsmith.errors.MissingParameterError` naming it and the task.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from string import Template
from typing import Any

from jobsmith.params import bind_names


def template_names(*texts: str) -> list[str]:
    """The names the texts refer to, each once, in order of appearance."""
    seen: dict[str, None] = {}
    for text in texts:
        for name in Template(text).get_identifiers():
            seen.setdefault(name, None)
    return list(seen)


def bind_template(texts: Iterable[str], parameters: Mapping[str, Any], task: str) -> dict[str, Any]:
    """Values for every name the texts refer to, keyed as written in the texts."""
    return bind_names(template_names(*texts), parameters, task)


def fill(text: str, values: Mapping[str, Any]) -> str:
    """``text`` with each ``$name`` replaced by :func:`as_text` of its value."""
    return Template(text).safe_substitute({name: as_text(value) for name, value in values.items()})


def as_text(value: Any) -> str:
    """A parameter value as it appears in a message or on a command line."""
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)
