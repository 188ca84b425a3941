"""The task-kind examples of seeds/robojob.md (PowerShell, R), with `import robojob`
changed to `import jobsmith`, run as scripts on SQLite and on PostgreSQL.

PowerShell is not installed on the test machine: a stand-in ``pwsh`` on the PATH writes
``hello.txt`` the way ``Greet.ps1`` would and records the arguments it got, so the test
checks the exact command line. The seed's stored procedure tutorial runs in
tests/integration/test_procedures_postgresql.py and docs/tasks.md.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from jobsmith.store import Store
from tests.conftest import REPO, StoreTarget

EXAMPLES = REPO / "examples" / "robojob" / "task_kinds"
STAND_IN = f"""#!{sys.executable}
import json, pathlib, sys
args = sys.argv[1:]
pathlib.Path("pwsh-args.json").write_text(json.dumps(args))
name = args[args.index("-Name") + 1]
pathlib.Path("hello.txt").write_text(f"Hello, {{name}}!\\n")
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    copy = tmp_path / "task_kinds"
    shutil.copytree(EXAMPLES, copy)
    stand_ins = tmp_path / "bin"
    stand_ins.mkdir()
    (stand_ins / "pwsh").write_text(STAND_IN)
    (stand_ins / "pwsh").chmod(0o755)
    return copy


def run(target: StoreTarget, folder: Path, script: str) -> subprocess.CompletedProcess[str]:
    path = os.pathsep.join([os.environ["PATH"], str(folder.parent / "bin")])
    return subprocess.run(
        [sys.executable, script],
        cwd=folder,
        env={**target.env(), "PATH": path},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_powershell_tasks(target: StoreTarget, store: Store, folder: Path) -> None:
    done = run(target, folder, "powershell.py")
    assert done.returncode == 0, done.stderr
    assert "[DEBUG] Parameter Name = 'Dave'" in done.stderr.splitlines()
    assert json.loads((folder / "pwsh-args.json").read_text()) == [
        "-NoProfile",
        "-NonInteractive",
        "-File",
        str(folder / "Greet.ps1"),
        "-Name",
        "Dave",
    ]
    assert (folder / "hello.txt").read_text() == "Hello, Dave!\n"
    [run_record] = store.runs.recent(1)
    [task] = store.runs.tasks(run_record.id)
    assert (task.kind, task.name, task.status) == ("PowerShellExecution", "Greet.ps1", "Completed")
    assert task.parameters == (("Name", "Dave"),)


def test_r_scripts(target: StoreTarget, store: Store, folder: Path) -> None:
    done = run(target, folder, "r_scripts.py")
    assert done.returncode == 0, done.stderr
    echoed = [line for line in done.stderr.splitlines() if " | " in line]
    assert echoed == [
        "[INFO] DoStuff.R | Doing stuff with apples and pears ",
        "[INFO] DoStuff.R | Doing stuff with apples and pears ",
        "[INFO] DoMoreStuff.R | Doing more stuff with pears ",
    ]
    [run_record] = store.runs.recent(1)
    tasks = store.runs.tasks(run_record.id)
    assert [(t.kind, t.name) for t in tasks] == [
        ("RExecution", "DoStuff.R"),
        ("RExecution", "DoStuff.R"),
        ("RExecution", "DoMoreStuff.R"),
    ]
    assert tasks[2].parameters == (("second_parameter", "pears"),)
