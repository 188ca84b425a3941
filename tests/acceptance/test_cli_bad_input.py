"""Bad input on the command line is one line naming what was wrong, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, StoreTarget

pytestmark = [pytest.mark.timeout(120), pytest.mark.slow]

TASKS = "-m", "tests.integration.queue_tasks"


def jobsmith(
    target: StoreTarget, cwd: Path, *args: str, **env: str
) -> subprocess.CompletedProcess[str]:
    environ = {**target.env(), "PYTHONPATH": str(REPO), "COLUMNS": "80", **env}
    return subprocess.run(
        [sys.executable, "-m", "jobsmith", *args],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def test_bad_json_arguments(sqlite_target: StoreTarget, tmp_path: Path) -> None:
    bad = jobsmith(sqlite_target, tmp_path, "post", *TASKS, "qt.record", "--json", "{bad")
    assert one_error_line(bad).startswith("error: --json '{bad' is not JSON: Expecting property")
    listed = jobsmith(sqlite_target, tmp_path, "post", *TASKS, "qt.record", "--json", "[1,2]")
    assert one_error_line(listed) == (
        "error: --json '[1,2]' is a JSON list, expected an object of arguments such as "
        '\'{"name": "value"}\''
    )
    for given, kind in (("null", "null"), ('"x"', "text"), ("7", "number")):
        other = jobsmith(sqlite_target, tmp_path, "post", *TASKS, "qt.record", "--json", given)
        assert one_error_line(other).startswith(f"error: --json '{given}' is a JSON {kind}, ")


def test_a_module_that_raises_or_does_not_parse(sqlite_target: StoreTarget, tmp_path: Path) -> None:
    (tmp_path / "raising.py").write_text("x = 1\nraise RuntimeError('no database here')\n")
    (tmp_path / "broken.py").write_text("def f(:\n    pass\n")
    (tmp_path / "wrong_dep.py").write_text(
        "from jobsmith import Dependency, task\n\n"
        "def plain(a):\n    pass\n\n"
        "@task(dependencies=Dependency(plain))\ndef later(a: int):\n    pass\n"
    )
    raising = jobsmith(sqlite_target, tmp_path, "post", "-m", "raising", "x.y")
    assert one_error_line(raising) == (
        f"error: cannot import module 'raising': {tmp_path / 'raising.py'}, line 2: "
        "RuntimeError: no database here"
    )
    broken = jobsmith(sqlite_target, tmp_path, "worker", "-m", "broken", "--burst")
    assert one_error_line(broken) == (
        f"error: cannot import module 'broken': {tmp_path / 'broken.py'}, line 1: "
        "SyntaxError: invalid syntax"
    )
    missing = jobsmith(sqlite_target, tmp_path, "post", "-m", "not_a_module_here", "x.y")
    assert one_error_line(missing) == (
        "error: cannot import module 'not_a_module_here': ModuleNotFoundError: No module "
        "named 'not_a_module_here'"
    )
    dep = jobsmith(sqlite_target, tmp_path, "post", "-m", "wrong_dep", "wrong_dep.later", "a=1")
    assert one_error_line(dep) == (
        "error: cannot import module 'wrong_dep': Dependency(plain): expected a task (a "
        "function decorated with @task) or its name 'TYPE.TASK', got function plain"
    )


def test_process_units_that_are_not_a_number(sqlite_target: StoreTarget, tmp_path: Path) -> None:
    env = {"JOBSMITH_SYSTEM_PROCESS_UNITS": "abc"}
    bad = jobsmith(sqlite_target, tmp_path, "worker", *TASKS, "--burst", **env)
    assert one_error_line(bad) == (
        "error: JOBSMITH_SYSTEM_PROCESS_UNITS is 'abc': expected a whole number of process "
        "units (e.g. 10000)"
    )
    flag = jobsmith(sqlite_target, tmp_path, "worker", *TASKS, "--burst", "--process-units", "x")
    assert one_error_line(flag).startswith("error: --process-units is 'x'")


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (("-c", "0"), "Invalid value for '-c' / '--concurrency': 0 is not in the range x>=1."),
        (("--lease", "0.5"), "Invalid value for '--lease': 0.5 is not in the range x>=1."),
        (("--grace", "-1"), "Invalid value for '--grace': -1.0 is not in the range x>=0."),
        (("--cancel-grace", "-1"), "'--cancel-grace': -1.0 is not in the range x>=0."),
        (("--batch", "0"), "Invalid value for '--batch': 0 is not in the range x>=1."),
    ],
)
def test_worker_numbers_out_of_range_are_refused_before_it_starts(
    sqlite_target: StoreTarget, tmp_path: Path, option: tuple[str, str], message: str
) -> None:
    """Negative graces and a zero batch were taken silently; -c 0 and --lease 0 were refused
    only after the progress bar was drawn."""
    bad = jobsmith(sqlite_target, tmp_path, "worker", *TASKS, "--burst", *option)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert bad.stderr.strip().splitlines()[-1].endswith(message)
    assert "jobs" not in bad.stdout  # no progress bar: nothing started


def test_an_argument_given_twice_is_refused(target: StoreTarget, tmp_path: Path) -> None:
    """`n=1 n=2` once posted n=2 without a word."""
    target.open().close()
    twice = jobsmith(target, tmp_path, "post", *TASKS, "qt.record", "path=/x", "n=1", "n=2")
    assert one_error_line(twice) == "error: argument 'n' is given twice (n=1, n=2)"
    shown = jobsmith(target, tmp_path, "show")
    assert "The queue is empty." in shown.stdout


@pytest.mark.parametrize(
    "args",
    [
        ("runs", "--limit", "-1"),
        ("runs", "-n", "0"),
        ("show", "qt.record", "-n", "-5"),
        ("schedule", "history", "0", "-n", "-1"),
        ("schedule", "next", "-n", "0"),
    ],
)
def test_a_count_below_one_is_refused(
    target: StoreTarget, tmp_path: Path, args: tuple[str, ...]
) -> None:
    """A negative limit was a traceback on PostgreSQL (LIMIT must not be negative) and every
    row on SQLite; 0 said "No job runs yet." while there were runs."""
    target.open().close()
    bad = jobsmith(target, tmp_path, *args)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr, bad.stderr
    last = bad.stderr.strip().splitlines()[-1]
    assert (
        last.startswith("Error: Invalid value for '-n' / '--")
        and "is not in the range x>=1" in last
    )


def test_a_file_given_to_m_names_the_module_to_give(
    sqlite_target: StoreTarget, tmp_path: Path
) -> None:
    """`-m tasks.py` said "No module named 'tasks.py'; 'tasks' is not a package", and
    `-m ./tasks.py` "the 'package' argument is required to perform a relative import"."""
    (tmp_path / "jobs").mkdir()
    (tmp_path / "jobs" / "mytasks.py").write_text("from jobsmith import task\n")
    here = jobsmith(sqlite_target, tmp_path / "jobs", "worker", "-m", "mytasks.py", "--burst")
    assert one_error_line(here) == (
        "error: cannot import module 'mytasks.py': that is a file; give a module's name, as "
        "for `python -m` (-m mytasks)"
    )
    dotted = jobsmith(sqlite_target, tmp_path / "jobs", "post", "-m", "./mytasks.py", "x.y")
    assert one_error_line(dotted).endswith("(-m mytasks)")
    below = jobsmith(sqlite_target, tmp_path, "worker", "-m", "jobs/mytasks.py", "--burst")
    assert one_error_line(below).endswith("as for `python -m` (-m mytasks, run in jobs/)")
    right = jobsmith(sqlite_target, tmp_path / "jobs", "worker", "-m", "mytasks", "--burst")
    assert right.returncode == 0, right.stderr


def test_a_postgresql_server_that_is_not_there_is_one_line(
    sqlite_target: StoreTarget, tmp_path: Path
) -> None:
    """psycopg's message has a second line (the hint): it was printed as a second line."""
    from tests.conftest import free_port

    url = f"postgresql://root@127.0.0.1:{free_port()}/test"
    refused = jobsmith(sqlite_target, tmp_path, "--store", url, "show")
    line = one_error_line(refused)
    assert line.startswith(f"error: cannot connect to PostgreSQL at {url} (schema jobsmith): ")
    assert "Connection refused; Is the server running on that host" in line
