"""A task's arguments: read from its type hints, validated with pydantic.

Type hints are what JobMaster reads: ``a: int``, ``b: str = "x"``, and a list of
options as the hint (``number: [1, 2, 3]``) or ``Literal[1, 2, 3]`` for a select-from
parameter. A job's arguments are checked when it is posted (wrong type, unknown or
missing argument, a value outside the options: a clear error, nothing queued) and again
when a worker runs it (a job posted through SQL is checked there too).

Jobs are stored as JSON. A value JSON cannot hold (a ``datetime``, ``Decimal``, set, any
object; NaN and infinity) is refused where the parameter has no type hint that converts
it, naming the argument; a hinted parameter (``when: date``) is stored in its JSON form
and the function receives the hinted type again.
"""

from __future__ import annotations

import inspect
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError, create_model

from jobsmith.errors import ParameterError

ALL = "ALL"
"""The value that fans a write_all parameter out to one job per option."""

_KINDS: tuple[tuple[type, str], ...] = (
    (bool, "boolean"),
    (int, "integer"),
    (float, "number"),
    (str, "string"),
    (list, "array"),
    (tuple, "array"),
    (set, "array"),
    (frozenset, "array"),
    (dict, "object"),
)


class ArgumentError(ParameterError):
    """A job's arguments do not fit its task."""


_UNION_TAG = re.compile(r"[\[\](),]|^(int|float|str|bool|none|list|dict|tuple|set)$")
_NOT_FINITE = "not a JSON number (NaN and infinity have no JSON form)"


class NotJsonError(ValueError):
    """A value JSON cannot hold, and where in the argument it is (``['when']``, ``[2]``)."""

    def __init__(self, where: str, what: str) -> None:
        super().__init__(f"{where} is {what}")
        self.where = where
        self.what = what


def not_json(value: Any, where: str = "") -> NotJsonError | None:
    """The first part of ``value`` that JSON cannot hold, or None when it is all JSON."""
    if value is None or isinstance(value, bool | int | str):
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else NotJsonError(where, f"{value!r}, {_NOT_FINITE}")
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = not_json(item, f"{where}[{index}]")
            if found is not None:
                return found
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return NotJsonError(where, f"a dict with the key {key!r} (JSON keys are text)")
            found = not_json(item, f"{where}[{key!r}]")
            if found is not None:
                return found
        return None
    shown = repr(value)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return NotJsonError(
        where,
        f"{shown}, not a JSON value (JSON holds text, numbers, true/false, null, lists and "
        "dicts; a type hint such as `when: datetime` converts other values)",
    )


def _only_json(value: Any) -> Any:
    found = not_json(value)
    if found is not None:
        raise found
    return value


JsonValue = Annotated[Any, AfterValidator(_only_json)]
"""What an untyped parameter accepts: any JSON value, checked (never turned into text)."""


def _only_json_not_null(value: Any) -> Any:
    if value is None:
        raise ValueError("its task's type hint does not allow None")
    return _only_json(value)


SomeJsonValue = Annotated[Any, AfterValidator(_only_json_not_null)]
"""A parameter known only from a stored definition whose hint has no JSON kind (a
``date``, a class) and does not allow None: any JSON value but null."""


def _json_only(hint: Any) -> Any:
    """``hint`` with every unconstrained part (``Any``, a bare ``list`` or ``dict``) made
    :data:`JsonValue`, so pydantic passes nothing through that JSON cannot hold."""
    if hint is Any or hint is object:
        return JsonValue
    if hint in (list, set, frozenset):
        return hint[JsonValue]
    if hint is tuple:
        return tuple[JsonValue, ...]
    if hint is dict:
        return dict[str, JsonValue]
    origin: Any = get_origin(hint)
    args = get_args(hint)
    if not args or origin in (Literal, Annotated):
        return hint
    if _is_union(hint):
        return Union[tuple(_json_only(a) for a in args)]  # noqa: UP007
    if origin is dict or (isinstance(origin, type) and issubclass(origin, Mapping)):
        key = str if args[0] is Any else args[0]
        mapping: Any = origin
        return mapping[(key, *(_json_only(a) for a in args[1:]))]
    if isinstance(origin, type) and origin.__module__ in ("builtins", "collections.abc"):
        generic: Any = origin
        try:
            return generic[tuple(a if a is Ellipsis else _json_only(a) for a in args)]
        except TypeError:  # a generic that cannot be rebuilt this way keeps its own checks
            return hint
    return hint


def _nullable(hint: Any) -> bool:
    """Whether ``null`` is a value of this hint (SQL posting checks it)."""
    if hint is Any or hint is None or hint is type(None):
        return True
    if get_origin(hint) is Literal or _is_union(hint):
        return any(_nullable(a) for a in get_args(hint))
    return False


@dataclass(frozen=True)
class Parameter:
    """One parameter of a task, as read from the function's signature."""

    name: str
    annotation: Any
    kind: str
    required: bool
    default: Any = None
    choices: tuple[Any, ...] | None = None

    def definition(self) -> dict[str, Any]:
        """The JSON form stored with the task (SQL posting checks against it)."""
        found: dict[str, Any] = {"name": self.name, "kind": self.kind, "required": self.required}
        nullable = _nullable(self.annotation)
        if nullable or (self.kind == "any" and self.choices is None):  # a `date` refuses null
            found["nullable"] = nullable
        if not self.required and _is_json(self.default):
            found["default"] = self.default
        if self.choices is not None:
            found["choices"] = list(self.choices)
        return found


def parameters_of(function: Callable[..., Any]) -> list[Parameter]:
    """The parameters a task function declares, with types resolved from its hints."""
    found = []
    for p in inspect.signature(function).parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD, p.POSITIONAL_ONLY):
            raise ArgumentError(
                f"task {function.__qualname__}: parameter '{p.name}' must be a plain or "
                "keyword parameter (jobs pass arguments by name)"
            )
        hint = _resolve(p.annotation, function)
        choices = _choices(hint)
        if choices is not None:
            hint = Literal[choices]
        required = p.default is inspect.Parameter.empty
        default = None if required else p.default
        found.append(Parameter(p.name, hint, _kind(hint, choices), required, default, choices))
    return found


def _resolve(annotation: Any, function: Callable[..., Any]) -> Any:
    if annotation is inspect.Parameter.empty:
        return Any
    if isinstance(annotation, str):  # `from __future__ import annotations`
        try:
            return eval(annotation, getattr(function, "__globals__", {}))
        except Exception as exc:
            raise ArgumentError(
                f"task {function.__qualname__}: cannot read the type hint {annotation!r}: {exc}"
            ) from exc
    return annotation


def _choices(hint: Any) -> tuple[Any, ...] | None:
    if isinstance(hint, list | tuple | set | frozenset):  # JobMaster's `b: [1, 2, 3]`
        return tuple(hint)
    if get_origin(hint) is Literal:
        return tuple(get_args(hint))
    return None


def _kind(hint: Any, choices: tuple[Any, ...] | None) -> str:
    if choices is not None:
        return "any"
    args = [a for a in get_args(hint) if a is not type(None)] if _is_union(hint) else [hint]
    base = get_origin(args[0]) or args[0] if len(args) == 1 else None
    for python_type, kind in _KINDS:
        if isinstance(base, type) and issubclass(base, python_type):
            return kind
    return "any"


def _is_union(hint: Any) -> bool:
    origin = get_origin(hint)
    return origin is Union or type(hint).__name__ == "UnionType"


def _plain_json(hint: Any) -> bool:
    """Whether validated values of this hint are JSON values already."""
    if hint in (int, float, str, bool, type(None), JsonValue):
        return True
    if get_origin(hint) is Literal:
        return all(isinstance(a, int | float | str | bool | type(None)) for a in get_args(hint))
    if _is_union(hint):
        return all(_plain_json(a) for a in get_args(hint))
    return False


def _is_json(value: Any) -> bool:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return False
    return True


class Arguments:
    """Checks and converts the arguments of one task's jobs."""

    def __init__(self, label: str, parameters: list[Parameter], write_all: tuple[str, ...] = ()):
        self.label = label
        self.parameters = parameters
        self.names = tuple(p.name for p in parameters)
        self.write_all = write_all
        unknown = set(write_all) - set(self.names)
        if unknown:
            raise ArgumentError(
                f"task {label}: write_all names unknown parameters {sorted(unknown)}"
            )
        for name in write_all:
            param = next(p for p in parameters if p.name == name)
            if param.choices is None:
                raise ArgumentError(
                    f"task {label}: write_all parameter '{name}' needs a list of options "
                    f"as its type hint (e.g. {name}: [1, 2, 3])"
                )
        fields: dict[str, Any] = {}
        for p in parameters:
            hint = Union[Literal[ALL], p.annotation] if p.name in write_all else p.annotation  # noqa: UP007
            fields[p.name] = (_json_only(hint), ... if p.required else p.default)
        # Plain JSON types need no second pass to become JSON (model_dump(mode="json")).
        self._plain = all(_plain_json(_json_only(p.annotation)) for p in parameters)
        config = ConfigDict(extra="forbid", arbitrary_types_allowed=True, allow_inf_nan=False)
        self.model: type[BaseModel] = create_model(
            f"Arguments[{label}]", __config__=config, **fields
        )
        self._validator = self.model.__pydantic_validator__

    def check(self, values: Mapping[str, Any] | None) -> dict[str, Any]:
        """The arguments as JSON values with defaults filled in; raises
        :class:`ArgumentError` naming the task and the argument."""
        model = self._validate(values)
        if self._plain:
            return dict(model.__dict__)
        try:
            return model.model_dump(mode="json")
        except Exception:  # a default that has no JSON form stays out
            return model.model_dump(mode="json", exclude_unset=True)

    def load(self, values: Mapping[str, Any] | None) -> dict[str, Any]:
        """The arguments as the Python values the function receives."""
        return dict(self._validate(values).__dict__)

    def _validate(self, values: Mapping[str, Any] | None) -> BaseModel:
        if values is not None and not isinstance(values, Mapping):
            raise ArgumentError(
                f"task {self.label}: arguments must be a mapping of names to values, "
                f"got {type(values).__name__}"
            )
        try:
            return self._validator.validate_python(
                values if type(values) is dict else dict(values or {})
            )
        except ValidationError as exc:
            raise ArgumentError(self._message(exc)) from None

    def _message(self, exc: ValidationError) -> str:
        problems: dict[str, list[str]] = {}
        not_json: dict[str, str] = {}  # a value JSON cannot hold hides the union's other tries
        for error in exc.errors():
            name = ".".join(str(part) for part in error["loc"][:1]) or "?"
            found = error.get("ctx", {}).get("error")
            if isinstance(found, NotJsonError):
                where = self._where(error["loc"], found.where)
                not_json.setdefault(name, f"argument '{name}'{where} is {found.what}")
            elif error["type"] == "finite_number":
                where = self._where(error["loc"], "")
                shown = f"{error['input']!r}, {_NOT_FINITE}"
                not_json.setdefault(name, f"argument '{name}'{where} is {shown}")
            problems.setdefault(name, []).append(self._problem(name, error))
        found_all = [not_json.get(name) or "; ".join(p) for name, p in problems.items()]
        return f"task {self.label}: " + "; ".join(dict.fromkeys(found_all))

    def _problem(self, name: str, error: Any) -> str:
        if error["type"] == "missing":
            return f"missing argument '{name}'"
        if error["type"] == "extra_forbidden":
            expected = ", ".join(self.names) or "no arguments"
            return f"unknown argument '{name}' (expected: {expected})"
        message = str(error["msg"]).removeprefix("Value error, ")  # our validators' own words
        return f"argument '{name}' is {error['input']!r}: {message}"

    @staticmethod
    def _where(loc: tuple[int | str, ...], below: str) -> str:
        """Where in the argument, as `` at ['key'][2]`` (union member tags left out)."""
        parts = [p for p in loc[1:] if isinstance(p, int) or not _UNION_TAG.search(p)]
        path = "".join(f"[{p!r}]" for p in parts) + below
        return f" at {path}" if path else ""

    def fan_out(self, values: Mapping[str, Any]) -> list[dict[str, Any]]:
        """For a job with 'ALL' in write_all parameters: one set of arguments per
        combination of options (empty when there is nothing to fan out)."""
        combos: list[dict[str, Any]] = [dict(values)]
        fanned = False
        for p in self.parameters:
            if p.name in self.write_all and values.get(p.name) == ALL:
                fanned = True
                combos = [{**c, p.name: option} for c in combos for option in p.choices or ()]
        return combos if fanned else []

    def definitions(self) -> list[dict[str, Any]]:
        return [p.definition() for p in self.parameters]


def arguments_from_definition(label: str, definition: Mapping[str, Any]) -> Arguments:
    """A checker built from a stored task definition (a task this process did not import)."""
    types = {kind: python_type for python_type, kind in reversed(_KINDS)}
    parameters = []
    for d in definition["parameters"]:
        choices = tuple(d["choices"]) if d.get("choices") is not None else None
        hint: Any = Literal[choices] if choices else types.get(d["kind"], Any)
        if d.get("nullable") and hint is not Any:
            hint = hint | None
        elif d.get("nullable") is False and hint is Any:
            hint = SomeJsonValue
        parameters.append(
            Parameter(d["name"], hint, d["kind"], d["required"], d.get("default"), choices)
        )
    return Arguments(label, parameters, tuple(definition.get("write_all") or ()))
