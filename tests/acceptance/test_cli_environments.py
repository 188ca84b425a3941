"""`jobsmith environments` as a user types it: names, commands, where each is found."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

JOBSMITH = [sys.executable, "-m", "jobsmith.cli"]


def test_environments_shows_configured_and_default_interpreters(tmp_path: Path) -> None:
    tools = tmp_path / "tools"
    tools.mkdir()
    program = tools / "cobc"
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    (tmp_path / "jobsmith.yml").write_text(
        "environments:\n  r: Rscript --vanilla\n  cobol: cobc\n  fortran: gfortran-nowhere\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("JOBSMITH_")}
    done = subprocess.run(
        [*JOBSMITH, "environments", "--path", str(tools)],
        cwd=tmp_path,
        env={**env, "COLUMNS": "250"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    rows = {
        cells[0]: cells[1:]
        for line in done.stdout.splitlines()
        if (cells := [c.strip() for c in line.strip("│ ").split("│")]) and len(cells) == 4
    }
    config = str(tmp_path / "jobsmith.yml")
    assert rows["r"][0] == "Rscript --vanilla"
    assert rows["r"][1].endswith("/Rscript --vanilla") and rows["r"][2] == config
    assert rows["cobol"][1] == str(program)
    assert rows["fortran"][1] == "not found"
    assert rows["pwsh"][0] == "pwsh | powershell" and rows["pwsh"][2] == "default"
    assert rows["python"][1] == os.path.abspath(sys.executable)
    missing = sum(1 for cells in rows.values() if cells[1] == "not found")
    assert missing >= 1 and f"{missing} not found: set them under environments:" in done.stdout
