"""Secret-looking values never reach a log or the run log in clear."""

from __future__ import annotations

import pytest

from jobsmith.params import MASK, display_value, is_secret_name, mask_text


@pytest.mark.parametrize(
    "name", ["password", "DB_PASSWORD", "api key", "secret", "AccessToken", "credentials", "pwd"]
)
def test_secret_names_are_masked(name: str) -> None:
    assert is_secret_name(name)
    assert display_value(name, "hunter2") == MASK


@pytest.mark.parametrize("name", ["name", "file path", "job_name"])
def test_other_names_are_shown(name: str) -> None:
    assert display_value(name, "world") == "world"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Driver={ODBC Driver 17};Server=db;Uid=me;Pwd=hunter2;",
            "Driver={ODBC Driver 17};Server=db;Uid=me;Pwd=***;",
        ),
        ("host=db user=me password=hunter2 dbname=x", "host=db user=me password=*** dbname=x"),
        ("postgresql://me:hunter2@db:5432/x", "postgresql://me:***@db:5432/x"),
        ("Server=db;Trusted_Connection=yes;", "Server=db;Trusted_Connection=yes;"),
    ],
)
def test_passwords_inside_connection_strings_are_masked(text: str, expected: str) -> None:
    assert mask_text(text) == expected
    assert "hunter2" not in display_value("connection string", text)


def test_long_values_are_bounded() -> None:
    shown = display_value("data", "x" * 10_000)
    assert len(shown) <= 4000


def test_non_strings_are_shown_as_repr() -> None:
    assert display_value("n", 3) == "3"
    assert display_value("items", [1, "a"]) == "[1, 'a']"
