"""docs/schedule.md runs as written: each block titled with a file is that file, each
example runs and prints the output the document shows, and the example home works."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, StoreTarget

DOC = REPO / "docs" / "schedule.md"
_BLOCK = re.compile(r'^```\w*\s+title="([^"]+)"\n(.*?)^```$', re.S | re.M)


def titled_blocks() -> dict[str, str]:
    return {title: body for title, body in _BLOCK.findall(DOC.read_text())}


def test_blocks_are_the_example_files() -> None:
    blocks = titled_blocks()
    files = [t for t in blocks if not t.startswith("output of ")]
    assert len(files) >= 6
    for title in files:
        assert (REPO / title).read_text() == blocks[title], f"{title} differs from docs/schedule.md"


@pytest.mark.parametrize(
    "example",
    [
        "examples/schedule/times.py",
        "examples/schedule/rehearsal.py",
        "examples/schedule/posting.py",
    ],
)
def test_examples_print_what_the_document_shows(example: str, tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(REPO / example)], cwd=tmp_path, text=True,
                          capture_output=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout == titled_blocks()[f"output of {example}"]


def test_the_posting_example_on_each_store(target: StoreTarget, tmp_path: Path) -> None:
    target.open(deploy=True).close()
    example = "examples/schedule/posting.py"
    done = subprocess.run([sys.executable, str(REPO / example)], cwd=tmp_path, text=True,
                          env=target.env(), capture_output=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout == titled_blocks()[f"output of {example}"]


def test_the_example_home(tmp_path: Path, target: StoreTarget) -> None:
    target.open(deploy=True).close()
    home = tmp_path / "home"
    shutil.copytree(REPO / "examples" / "schedule" / "home", home)
    env = {**target.env(), "COLUMNS": "200", "JOBSMITH_CLOCK": "2018-12-31T23:59:59"}

    def manager(*args: str) -> str:
        done = subprocess.run([sys.executable, "manager.py", *args], cwd=home, text=True,
                              capture_output=True, env=env, timeout=60)  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    assert "Test Job on Mondays" in manager("list", "jobs")
    ran = manager("run", "job", "0", "2019-01-01/08:00:00", "--yes")
    assert "Wake up, Neo..." in ran and "INFO: DONE." in ran
    assert (home / "jobs" / "0" / "logs" / "test_20181231235959.log").is_file()
    assert manager("run", "jobs", "run_jobs.txt", "--yes").count("Wake up, Neo...") == 2

    # Run directly, as the document says: the same header block and closing lines.
    folder = home / "jobs" / "0"
    direct = subprocess.run([sys.executable, "job.py", "-t", "2019-01-01/08:00:00"], cwd=folder, text=True,
                            capture_output=True, env={**env, "JOBSMITH_CLOCK": "2019-02-01T10:00:00"}, timeout=60)  # fmt: skip
    assert direct.returncode == 0, direct.stderr
    by_manager = (folder / "logs" / "test_20181231235959.log").read_text()
    by_itself = (folder / "logs" / "test_20190201100000.log").read_text()
    for text in (by_manager, by_itself):
        assert "*      TRIGGER: 2019-01-01 08:00:00" in text
        assert text.rstrip().splitlines()[-2].endswith("|INFO|JOB FINISHED.")
    assert _header_keys(by_manager) == _header_keys(by_itself)
    assert _header_keys(by_itself)[-3:] == ["CONFIGS", "PERSONS", "RUN"]


def _header_keys(text: str) -> list[str]:
    box = text.split("*" * 80)[1]
    return [line[1:15].strip().rstrip(":") for line in box.splitlines() if line[1:15].strip()]
