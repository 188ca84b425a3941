"""Parameters: fuzzy names, layered scopes, binding to what a task asks for, masking.

Names match ignoring case and every character that is not a letter or a digit, so
``"test value"``, ``test_value``, ``@TestValue`` and ``TEST VALUE`` are one name.

A job's parameters are layered; a lookup takes the first layer that has the name:

1. built-ins (``job_execution_guid`` …), read-only: a write is ignored with a warning;
2. per-call locals (``ctx.execute(fn, name="x")``);
3. job values: ``go(parameters=…)`` and then ``ctx[...] = …``;
4. environment variables ``JOBSMITH_PARAM_<NAME>``;
5. the config file's ``parameters`` section.
"""

from __future__ import annotations

import inspect
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import lru_cache
from typing import Any

from jobsmith.errors import MissingParameterError

log = logging.getLogger(__name__)

MASK = "***"
MAX_LOGGED_VALUE = 4000

_SECRET_WORDS = ("password", "passwd", "pwd", "secret", "token", "key", "credential")
# "Pwd=…;" / "Password=…" inside ODBC, ADO and libpq key=value connection strings.
_KV_PASSWORD = re.compile(r"(?i)\b(password|pwd)(\s*=\s*)('[^']*'|\{[^}]*\}|[^;\s]*)")
# "scheme://user:password@host" in URLs.
_URL_PASSWORD = re.compile(r"(?i)([a-z][a-z0-9+.-]*://[^:/@\s]*:)([^@/\s]+)(@)")


@lru_cache(maxsize=4096)
def normalize(name: str) -> str:
    """The key a name matches by: lower case, letters and digits only."""
    return "".join(c for c in name.casefold() if c.isalnum())


def is_secret_name(name: str) -> bool:
    """True when a parameter's name suggests its value must not be shown."""
    key = normalize(name)
    return any(word in key for word in _SECRET_WORDS)


def mask_text(text: str) -> str:
    """Hide passwords inside connection strings and URLs; the rest stays readable."""
    text = _KV_PASSWORD.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)
    return _URL_PASSWORD.sub(lambda m: f"{m.group(1)}{MASK}{m.group(3)}", text)


def display_value(name: str, value: Any) -> str:
    """The text stored and logged for a parameter value: masked, bounded."""
    if is_secret_name(name) and value is not None:
        return MASK
    text = value if isinstance(value, str) else repr(value)
    text = mask_text(text)
    if len(text) > MAX_LOGGED_VALUE:
        text = text[: MAX_LOGGED_VALUE - 1] + "…"
    return text


def log_value(name: str, value: Any) -> str:
    """A value as log lines show it: masked, bounded, strings quoted."""
    text = display_value(name, value)
    return repr(text) if isinstance(value, str) and text != MASK else text


class Scope:
    """One layer of named values, keyed by normalized name, remembering the spelling."""

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, Any] | None = None) -> None:
        self._values: dict[str, tuple[str, Any]] = {}
        if values:
            for name, value in values.items():
                self.set(name, value)

    def set(self, name: str, value: Any) -> None:
        self._values[normalize(name)] = (name, value)

    def lookup(self, key: str) -> tuple[str, Any] | None:
        """The (spelling, value) stored under a normalized key, or None."""
        return self._values.get(key)

    def items(self) -> Iterator[tuple[str, Any]]:
        return iter(self._values.values())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and normalize(name) in self._values

    def __len__(self) -> int:
        return len(self._values)


class Parameters(Mapping[str, Any]):
    """Layered parameters of one job; see the module docstring for the order.

    Reading takes the first layer holding the name. Writing goes to the job layer,
    unless the name is a built-in, in which case the write is ignored with a warning.
    """

    def __init__(
        self,
        builtins: Scope | None = None,
        job: Scope | None = None,
        environment: Scope | None = None,
        config: Scope | None = None,
        local: Scope | None = None,
    ) -> None:
        self.builtins = builtins or Scope()
        self.job = job or Scope()
        self.environment = environment or Scope()
        self.config = config or Scope()
        self.local = local

    def layers(self) -> tuple[Scope, ...]:
        """The layers in lookup order."""
        middle = (self.local,) if self.local is not None else ()
        return (self.builtins, *middle, self.job, self.environment, self.config)

    def with_locals(self, values: Mapping[str, Any] | None) -> Parameters:
        """A view with per-call values layered over the job's (which are shared, not copied)."""
        return Parameters(self.builtins, self.job, self.environment, self.config, Scope(values))

    def find(self, name: str) -> tuple[str, Any] | None:
        key = normalize(name)
        for layer in self.layers():
            found = layer.lookup(key)
            if found is not None:
                return found
        return None

    def __getitem__(self, name: str) -> Any:
        found = self.find(name)
        if found is None:
            raise MissingParameterError(name)
        return found[1]

    def __setitem__(self, name: str, value: Any) -> None:
        if name in self.builtins:
            log.warning("Parameter %s is built in and cannot be overwritten; ignored", name)
            return
        log.debug("Setting parameter %s = %s", name, log_value(name, value))
        self.job.set(name, value)

    def set_builtin(self, name: str, value: Any) -> None:
        """Set a built-in value (only jobsmith itself does this)."""
        self.builtins.set(name, value)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.find(name) is not None

    def _merged(self) -> dict[str, tuple[str, Any]]:
        merged: dict[str, tuple[str, Any]] = {}
        for layer in reversed(self.layers()):
            for spelling, value in layer.items():
                merged[normalize(spelling)] = (spelling, value)
        return merged

    def __iter__(self) -> Iterator[str]:
        return iter(spelling for spelling, _ in self._merged().values())

    def __len__(self) -> int:
        return len(self._merged())

    def as_dict(self) -> dict[str, Any]:
        """Every visible parameter under its spelling."""
        return dict(self._merged().values())


def parameter_names(fn: Callable[..., Any]) -> tuple[tuple[str, bool], ...]:
    """The names a callable asks for, each with whether it has a default."""
    return _signature_names(fn)


@lru_cache(maxsize=2048)
def _signature_names(fn: Callable[..., Any]) -> tuple[tuple[str, bool], ...]:
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return tuple(
        (p.name, p.default is not inspect.Parameter.empty)
        for p in inspect.signature(fn).parameters.values()
        if p.kind in kinds
    )


def bind_names(
    names: Iterable[tuple[str, bool]] | Iterable[str],
    parameters: Mapping[str, Any],
    task: str | None = None,
) -> dict[str, Any]:
    """Values for the names a task asks for, keyed by the task's own spelling.

    ``names`` holds plain names (all required) or ``(name, has_default)`` pairs; a name
    with a default that is not defined is left out so the default applies.
    """
    bound: dict[str, Any] = {}
    finder = parameters.find if isinstance(parameters, Parameters) else _plain_finder(parameters)
    for item in names:
        name, optional = (item, False) if isinstance(item, str) else item
        found = finder(name)
        if found is not None:
            bound[name] = found[1]
        elif not optional:
            raise MissingParameterError(name, task)
    return bound


def bind_callable(
    fn: Callable[..., Any], parameters: Mapping[str, Any], task: str | None = None
) -> dict[str, Any]:
    """Keyword arguments for ``fn`` from ``parameters``, matched by fuzzy name."""
    try:
        names = parameter_names(fn)
    except TypeError:  # unhashable callable: skip the cache
        names = _signature_names.__wrapped__(fn)
    return bind_names(names, parameters, task or getattr(fn, "__name__", repr(fn)))


def _plain_finder(values: Mapping[str, Any]) -> Callable[[str], tuple[str, Any] | None]:
    index = {normalize(k): (k, v) for k, v in values.items()}
    return lambda name: index.get(normalize(name))
