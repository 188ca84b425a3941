"""@task keeps the function's signature for type checkers: mypy flags a mistyped post."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from jobsmith.queue import ArgumentError, Registry

pytestmark = pytest.mark.slow

SNIPPET = """
from jobsmith import task

@task
def foo(file_path: str, number: int = 1) -> str:
    return file_path * number

@task(priority=3)
def bar(day: str) -> None: ...

foo.post(file_path="/tmp/x", number=2)                 # fine
foo.post({"file_path": "/tmp/x"}, priority=5)          # a mapping with options: fine
foo.options(priority=5).post(file_path="/tmp/x")       # options, typed arguments: fine
bar.post(day="mon")                                    # the keyword form keeps it too
length: int = len(foo("/tmp/x", 2))                    # calling runs it: returns str
foo.post(file_path=1)                                  # ERROR-1
foo.options(store=None).post(file_path="x", numbr=2)   # ERROR-2
bar.post(day=3)                                        # ERROR-3
reveal_type(foo("/tmp/x"))
"""


def run_mypy(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "snippet.py"
    path.write_text(text)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--no-incremental",
            "--config-file",
            "/dev/null",
            "--hide-error-context",
            "--no-error-summary",
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=240,
    )
    return done.stdout.splitlines()


def test_mypy_flags_a_post_whose_argument_has_the_wrong_type(tmp_path: Path) -> None:
    lines = SNIPPET.splitlines()
    found = run_mypy(tmp_path, SNIPPET)
    errors = {int(line.split(":")[1]) for line in found if ": error:" in line}
    expected = {n for n, line in enumerate(lines, 1) if "# ERROR-" in line}
    assert errors == expected, "\n".join(found)
    text = "\n".join(found)
    assert '16: error: No overload variant of "post" of "Task" matches argument type "int"' in text
    assert 'Unexpected keyword argument "numbr"' in text
    assert 'Revealed type is "str"' in text or 'Revealed type is "builtins.str"' in text


def test_positional_and_mapping_posts_give_the_same_arguments() -> None:
    registry = Registry()

    @registry.task(type_key="t")
    def foo(file_path: str, number: int = 1) -> None: ...

    assert foo.values(("/x", 2), {}) == {"file_path": "/x", "number": 2}
    assert foo.values(({"file_path": "/x"},), {"number": 3}) == {"file_path": "/x", "number": 3}
    with pytest.raises(
        ArgumentError, match=r"task t\.foo: 3 positional arguments given, it takes 2"
    ):
        foo.values(("/x", 2, 3), {})


def test_the_controls_example_passes_mypy(tmp_path: Path) -> None:
    """docs/queue.md promises typed posting, but its controls example gave mypy 12 errors
    (`report.post(day="monday", store=store)` matches no signature; `current_job()` may be
    None): a user checking code copied from it met them all."""
    example = Path(__file__).parents[2] / "examples" / "queue" / "controls.py"
    found = run_mypy(tmp_path, example.read_text())
    assert [line for line in found if ": error:" in line] == [], "\n".join(found)
