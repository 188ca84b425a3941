"""A job's arguments are checked against its task's type hints before anything is queued."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal
from uuid import UUID

import pytest

from jobsmith.queue import ALL, ArgumentError, Registry
from jobsmith.queue.arguments import arguments_from_definition

registry = Registry()


@registry.task
def foo(file_path: str, number: [1, 2, 3] = 1) -> None: ...


@registry.task(write_all=["size", "count"])
def sizes(size: Literal["S", "M", "L"], count: [1, 2], when: date | None = None) -> None: ...


def test_defaults_are_filled_in() -> None:
    assert foo.arguments.check({"file_path": "/tmp/a"}) == {"file_path": "/tmp/a", "number": 1}


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"file_path": "/tmp/a", "number": 5}, "argument 'number' is 5: Input should be 1, 2 or 3"),
        ({"number": 2}, "missing argument 'file_path'"),
        (
            {"file_path": "/tmp/a", "colour": 1},
            "unknown argument 'colour' (expected: file_path, number)",
        ),
        ({"file_path": ["not", "text"]}, "argument 'file_path' is ['not', 'text']"),
        ({"file_path": "/tmp/a", "number": ALL}, "argument 'number' is 'ALL'"),
    ],
)
def test_bad_arguments_are_clear_errors_naming_the_task(arguments: dict, message: str) -> None:
    with pytest.raises(ArgumentError) as caught:
        foo.arguments.check(arguments)
    assert str(caught.value).startswith("task test_job_arguments.foo: ")
    assert message in str(caught.value)


def test_literal_choices_are_enforced() -> None:
    with pytest.raises(ArgumentError, match="argument 'size' is 'XL'"):
        sizes.arguments.check({"size": "XL", "count": 1})


def test_all_fans_out_to_every_combination_of_options() -> None:
    checked = sizes.arguments.check({"size": ALL, "count": ALL})
    combos = sizes.arguments.fan_out(checked)
    assert len(combos) == 6
    assert {(c["size"], c["count"]) for c in combos} == {
        (s, n) for s in ("S", "M", "L") for n in (1, 2)
    }
    assert sizes.arguments.fan_out({"size": "S", "count": 1, "when": None}) == []


def test_values_are_stored_as_json_and_loaded_back_as_python() -> None:
    checked = sizes.arguments.check({"size": "M", "count": 2, "when": "2024-03-01"})
    assert checked == {"size": "M", "count": 2, "when": "2024-03-01"}
    assert sizes.arguments.load(checked)["when"] == date(2024, 3, 1)


def test_a_published_definition_checks_like_the_function() -> None:
    rebuilt = arguments_from_definition("test_job_arguments.foo", foo.definition())
    assert rebuilt.check({"file_path": "x"}) == {"file_path": "x", "number": 1}
    with pytest.raises(ArgumentError, match="Input should be 1, 2 or 3"):
        rebuilt.check({"file_path": "x", "number": 4})


def test_positional_only_and_star_parameters_cannot_be_tasks() -> None:
    with pytest.raises(ArgumentError, match="parameter 'args' must be a plain or keyword"):

        @Registry().task
        def f(*args: int) -> None: ...


@registry.task
def untyped(value, options: dict[str, Any] | None = None, items: list | None = None) -> None: ...


@registry.task
def measured(ratio: float = 1.0, when: datetime | None = None, day: date | None = None) -> None: ...


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (datetime(2024, 3, 1, 12, 0), "datetime.datetime(2024, 3, 1, 12, 0)"),
        (Decimal("1.5"), "Decimal('1.5')"),
        (UUID("12345678-1234-5678-1234-567812345678"), "UUID('12345678-1234-5678-"),
        (Path("/tmp/x"), "Path('/tmp/x')"),
        (b"raw", "b'raw'"),
        ({1, 2}, "{1, 2}"),
        (object(), "<object object at"),
    ],
)
def test_values_json_cannot_hold_are_refused_naming_the_argument(value: Any, shown: str) -> None:
    for arguments, where in [
        ({"value": value}, "argument 'value' is "),
        ({"value": 1, "options": {"k": [1, value]}}, "argument 'options' at ['k'][1] is "),
        ({"value": 1, "items": ["a", value]}, "argument 'items' at [1] is "),
    ]:
        with pytest.raises(ArgumentError) as caught:
            untyped.arguments.check(arguments)
        message = str(caught.value)
        assert message.startswith(f"task test_job_arguments.untyped: {where}"), message
        assert shown in message and "not a JSON value" in message


def test_nan_and_infinity_are_refused_typed_or_not() -> None:
    for arguments, name in [
        ({"value": float("nan")}, "value"),
        ({"value": 1, "options": {"x": float("inf")}}, "options' at ['x']"),
        ({"value": 1, "items": [float("-inf")]}, "items' at [0]"),
    ]:
        with pytest.raises(ArgumentError, match="not a JSON number") as caught:
            untyped.arguments.check(arguments)
        assert f"argument '{name}" in str(caught.value)
    with pytest.raises(ArgumentError) as caught:
        measured.arguments.check({"ratio": float("nan")})
    assert str(caught.value) == (
        "task test_job_arguments.measured: argument 'ratio' is nan, not a JSON number "
        "(NaN and infinity have no JSON form)"
    )


def test_json_values_pass_untouched_and_hinted_types_convert() -> None:
    value = {"a": [1, 2.5, None, True, "x"], "b": {}}
    assert untyped.arguments.check({"value": value}) == {
        "value": value,
        "options": None,
        "items": None,
    }
    checked = measured.arguments.check(
        {"when": datetime(2024, 3, 1, 12, 30), "day": date(2024, 3, 1)}
    )
    assert checked == {"ratio": 1.0, "when": "2024-03-01T12:30:00", "day": "2024-03-01"}
    loaded = measured.arguments.load(checked)
    assert (loaded["when"], loaded["day"]) == (datetime(2024, 3, 1, 12, 30), date(2024, 3, 1))


def test_the_definition_says_which_parameters_take_null() -> None:
    nullable = {d["name"]: d.get("nullable", False) for d in measured.definition()["parameters"]}
    assert nullable == {"ratio": False, "when": True, "day": True}
    rebuilt = arguments_from_definition("m", measured.definition())
    assert rebuilt.check({"when": None})["when"] is None
    with pytest.raises(ArgumentError, match="argument 'ratio' is None"):
        rebuilt.check({"ratio": None})
