"""Fuzzy names, layered scopes and built-ins, as robojob describes them."""

from __future__ import annotations

import logging

import pytest

from jobsmith.errors import MissingParameterError
from jobsmith.params import Parameters, Scope, bind_callable, bind_names, normalize


@pytest.mark.parametrize(
    "spelling", ["test value", "test_value", "@TestValue", "TEST VALUE", "Test-Value"]
)
def test_spellings_of_one_name_match(spelling: str) -> None:
    params = Parameters()
    params["test value"] = "test"
    assert params[spelling] == "test"
    assert spelling in params


def test_normalize_keeps_letters_and_digits_of_any_script() -> None:
    assert normalize("@Job Execution-ID") == "jobexecutionid"
    assert normalize("Größe 2") == "grösse2"


def test_layers_are_read_in_order() -> None:
    params = Parameters(
        config=Scope({"name": "config", "only_config": 1}),
        environment=Scope({"NAME": "env"}),
    )
    assert params["name"] == "env"
    params["name"] = "job"
    assert params["name"] == "job"
    local = params.with_locals({"Name": "local"})
    assert local["name"] == "local"
    assert params["name"] == "job", "locals must not leak into the job"
    assert local["only config"] == 1


def test_builtins_cannot_be_overwritten(caplog: pytest.LogCaptureFixture) -> None:
    params = Parameters()
    params.set_builtin("job_execution_guid", "abc")
    with caplog.at_level(logging.WARNING):
        params["job execution guid"] = ""
    assert params["job_execution_guid"] == "abc"
    assert "built in and cannot be overwritten" in caplog.text


def test_locals_do_not_shadow_builtins() -> None:
    params = Parameters()
    params.set_builtin("job_name", "hello")
    assert params.with_locals({"job_name": "other"})["job_name"] == "hello"


def test_missing_parameter_names_parameter_and_task() -> None:
    def greet(name: str) -> None: ...

    with pytest.raises(MissingParameterError) as info:
        bind_callable(greet, Parameters())
    assert "'name'" in str(info.value) and "'greet'" in str(info.value)
    assert isinstance(info.value, KeyError), "robojob raised KeyError; keep that contract"


def test_binding_uses_the_functions_spelling_and_defaults() -> None:
    def task(jobExecutionId: int, file_name: str, retries: int = 3) -> None: ...

    params = Parameters()
    params["job execution id"] = 7
    params["FILE NAME"] = "a.csv"
    assert bind_callable(task, params) == {"jobExecutionId": 7, "file_name": "a.csv"}


def test_bind_names_from_a_plain_mapping() -> None:
    assert bind_names(["@Name"], {"name": "x"}) == {"@Name": "x"}
    with pytest.raises(MissingParameterError):
        bind_names(["other"], {"name": "x"}, task="proc")


def test_as_dict_shows_every_visible_name_once() -> None:
    params = Parameters(config=Scope({"A": 1, "b": 2}))
    params["a"] = 3
    assert params.as_dict() == {"a": 3, "b": 2}
    assert len(params) == 2
