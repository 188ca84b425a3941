"""A job's arguments are checked against its task's type hints before anything is queued."""

from __future__ import annotations

from datetime import date
from typing import Literal

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
