"""runner's `FAIL!` line names the user's file and line, also when the error was raised
inside jobsmith or Python's library (issue 15)."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

from jobsmith.schedule.job import failure_line


def fail_line(script: Path) -> str:
    try:
        runpy.run_path(str(script))
    except Exception as exc:
        return failure_line(exc)
    raise AssertionError("the script did not fail")


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("x = 1\ny = x / 0\n", "ZeroDivisionError"),
        ("import json\n\njson.loads('{bad')\n", "JSONDecodeError"),
        (
            "from jobsmith.schedule.alarms import send_mail\n\nsend_mail(None, ('a@b.c',), 's', 't')\n",
            "EmailError",
        ),
    ],
)
def test_the_fail_line_points_at_the_users_script(tmp_path: Path, body: str, error: str) -> None:
    script = tmp_path / "script.py"
    script.write_text(body)
    line = fail_line(script)
    last = len(body.splitlines())
    assert line.startswith(f"FAIL! ERROR: {error}. FILE: {script}. LINE: {last}. REASON: ")


def test_inside_an_except_block_of_the_users_code(tmp_path: Path) -> None:
    script = tmp_path / "script.py"
    script.write_text("def run():\n    return int('x')\n\nrun()\n")
    assert f"FILE: {script}. LINE: 2." in fail_line(script)
