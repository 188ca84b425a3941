"""With `source = store`, an `edit schedule` the store refuses is kept in a file that the
error names, to be fixed and loaded (issue 15)."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.acceptance.test_schedule_cli import jobsmith, ok
from tests.conftest import StoreTarget


def test_a_refused_edit_is_kept_for_fixing(tmp_path: Path, target: StoreTarget) -> None:
    target.open(deploy=True).close()
    home = tmp_path / "home"
    ok(jobsmith(home, target, "create", "scheduler", "--name", "s", "--description", "S"))
    (home / "config.ini").write_text(
        (home / "config.ini").read_text().replace("source = file", "source = store")
    )
    ok(jobsmith(home, target, "create", "job", "--no-input", "--name", "nightly", "--hour", "2"))
    # the user's edit: a new job, with hour 25 by mistake
    editor = tmp_path / "editor.py"
    editor.write_text(
        "import sys\nwith open(sys.argv[1], 'a') as f:\n"
        "    f.write('1\\tweekly\\tMy weekly job\\tpython\\tw.py\\t*\\t1\\t25\\t0\\t0\\t\\tN\\n')\n"
    )
    refused = jobsmith(
        home, target, "edit", "schedule", env={"EDITOR": f"{sys.executable} {editor}"}
    )
    assert refused.returncode == 1
    kept = home / "schedule.rejected.tsv"
    message = " ".join(refused.stderr.split())
    assert f"{kept}:3: column HOUR" in message
    assert f"Your edit is kept in {kept}" in message
    assert f"jobsmith schedule import {kept}" in message
    assert "weekly" not in ok(jobsmith(home, target, "list", "jobs"))  # nothing saved
    assert "My weekly job" in kept.read_text()

    kept.write_text(kept.read_text().replace("\t25\t", "\t8\t"))
    ok(jobsmith(home, target, "schedule", "import", str(kept)))
    listed = ok(jobsmith(home, target, "list", "jobs"))
    assert "nightly" in listed and "weekly" in listed
