"""The jobrunner seed's example files (examples/jobrunner/flows/, only their imports
changed) found as jobrunner finds plugins, posted, run by a worker and shown."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, StoreTarget

pytestmark = [pytest.mark.timeout(180), pytest.mark.slow]


def jobsmith(
    target: StoreTarget, cwd: Path, *args: str, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jobsmith", *args],
        cwd=cwd,
        env={**target.env(), "COLUMNS": "200", "PYTHONPATH": str(REPO), **env},
        capture_output=True,
        text=True,
        timeout=90,
    )


def test_the_seed_example_posts_runs_and_shows_its_flow(
    target: StoreTarget, tmp_path: Path
) -> None:
    target.open().close()
    home = tmp_path / "jobrunner"
    shutil.copytree(REPO / "examples" / "jobrunner", home)
    listed = jobsmith(target, home, "post", "--help")
    assert listed.returncode == 0, listed.stderr
    assert "Registered jobs" in listed.stdout and "the_name_of_your_job" in listed.stdout
    own = jobsmith(target, home, "post", "the_name_of_your_job", "--help")
    assert "--attempts" in own.stdout and "--verbose" in own.stdout
    posted = jobsmith(target, home, "post", "the_name_of_your_job", "-v", "--attempts", "3")
    assert posted.returncode == 0, posted.stderr
    worked = jobsmith(target, home, "worker", "--burst")
    assert worked.returncode == 0, worked.stderr
    assert "1 completed" in worked.stdout
    assert "Printing the message from the store: This is the message" in worked.stderr
    shown = jobsmith(target, home, "show", "1")
    assert "flow flow_1: completed" in shown.stdout
    assert "task_1_task_name" in shown.stdout and "done" in shown.stdout


def test_plugins_are_found_in_the_folder_the_config_names(
    target: StoreTarget, tmp_path: Path
) -> None:
    target.open().close()
    shutil.copytree(REPO / "examples" / "jobrunner", tmp_path / "seed")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "jobsmith.yml").write_text("flows: ../seed\n")
    listed = jobsmith(target, elsewhere, "post", "--help")
    assert "the_name_of_your_job" in listed.stdout, listed.stderr
    nothing = jobsmith(target, tmp_path, "post", "--help")
    assert "none found" in nothing.stdout
    (elsewhere / "jobsmith.yml").write_text("flows: [a, b]\n")
    bad = jobsmith(target, elsewhere, "post", "x")
    assert bad.returncode == 1 and "flows: expected a folder name" in bad.stderr
