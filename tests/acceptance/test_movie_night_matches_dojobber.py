"""The movie-night example: the seed's retry listing, and the same outcome on DoJobber.

The example is run as a real subprocess twice: as written (jobsmith) and with only its
import line changed to ``from dojobber import ...`` (DoJobber 0.6.3, a dev dependency).
Everything it prints must be the same: every verbose line, the cleanup order, the final
status of each Job, the exit code.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "movie_night.py"
StoreTarget = Any  # the conftest fixture's type
IMPORT = "from jobsmith.graph import DoJobber, DummyJob, Job, RunonlyJob"

# Listed in seeds/dojobber.rst under "Delay minimization".
SEED_LISTING = """\
TurnOnTV.recheck: fail "Remote batteries are dead."
SitOnCouch.recheck: fail "No space on couch."
PopcornBowl.recheck: fail "Dishwasher cycle not done yet."
Pizza.recheck: fail "Giordano's did not arrive yet."
TurnOnTV.recheck: fail "Remote batteries are dead."
SitOnCouch.recheck: fail "No space on couch."
PopcornBowl.recheck: fail "Dishwasher cycle not done yet."
Pizza.recheck: fail "Giordano's did not arrive yet."
TurnOnTV.recheck: fail "Remote batteries are dead."
SitOnCouch.recheck: fail "No space on couch."
PopcornBowl.recheck: fail "Dishwasher cycle not done yet."
PopcornBowl.recheck: fail "Dishwasher cycle not done yet."
PopcornBowl.recheck: fail "Dishwasher cycle not done yet."
Popcorn.recheck: fail "Still popping..."
Popcorn.recheck: fail "Still popping..."
"""


def run(script: Path, args: list[str], python: str, env: dict[str, str]):
    return subprocess.run(
        [python, str(script), *args], capture_output=True, text=True, env=env, timeout=120
    )


@pytest.fixture
def dojobber_copy(tmp_path: Path) -> Path:
    source = EXAMPLE.read_text()
    assert IMPORT in source
    copy = tmp_path / "movie_night_dojobber.py"
    copy.write_text(
        source.replace(IMPORT, "from dojobber import DoJobber, DummyJob, Job, RunonlyJob")
    )
    return copy


def test_verbose_run_prints_the_seeds_retry_listing(
    python: str, sqlite_target: StoreTarget
) -> None:
    done = run(EXAMPLE, ["-v"], python, sqlite_target.env())
    assert done.returncode == 1
    rechecks = [line for line in done.stderr.splitlines() if "recheck: fail" in line]
    assert "\n".join(rechecks) + "\n" == SEED_LISTING


@pytest.mark.parametrize(
    "args",
    [
        ["-v"],
        ["-v", "--battery-state", "charged", "--couch-space"],
        ["-v", "-n"],
        ["-v", "--movie", "Zardoz", "--couch-space"],
    ],
    ids=["fails", "succeeds", "dry-run", "bad-movie"],
)
def test_same_scenario_same_outcome_as_dojobber(
    args: list[str], python: str, sqlite_target: StoreTarget, dojobber_copy: Path
) -> None:
    ours = run(EXAMPLE, args, python, sqlite_target.env())
    theirs = run(dojobber_copy, args, python, sqlite_target.env())
    # DoJobber announces at import that it cannot show pictures on screen; nothing else differs.
    their_stderr = [line for line in theirs.stderr.splitlines() if not line.startswith("** ")]
    assert ours.stderr.splitlines() == their_stderr
    assert ours.stdout == theirs.stdout
    assert ours.returncode == theirs.returncode
    assert "cleanup:" in ours.stdout or "-n" in args


def test_the_graph_run_is_in_the_run_log(python: str, sqlite_target: StoreTarget) -> None:
    run(EXAMPLE, [], python, sqlite_target.env())
    store = sqlite_target.open()
    try:
        job = store.runs.recent(1)[0]
        assert (job.job_name, job.kind, job.status) == ("WatchMovie", "graph", "Failed")
        assert job.error == "2 of 20 failed: TurnOnTV, SitOnCouch"
        tasks = {t.name: t for t in store.runs.tasks(job.id)}
        assert tasks["TurnOnTV"].status == "Failed"
        assert tasks["TurnOnTV"].error == "Remote batteries are dead."
        assert tasks["TurnOnTV"].output.splitlines()[-1] == (
            'try 3: check fail "Remote batteries are dead.", run pass, '
            'recheck fail "Remote batteries are dead."'
        )
        assert tasks["PopcornBowl"].status == "Completed"
        assert len(tasks["PopcornBowl"].output.splitlines()) == 6
        assert tasks["StartMovie"].status == "Skipped"
        assert tasks["StartMovie"].error == "blocked by TurnOnTV, SitOnCouch"
        assert tasks["Pizza"].kind == "RunonlyJob"
    finally:
        store.close()


def test_the_picture_is_written(python: str, sqlite_target: StoreTarget, tmp_path: Path) -> None:
    svg = tmp_path / "movie.svg"
    done = run(EXAMPLE, ["--picture", str(svg)], python, sqlite_target.env())
    assert done.returncode == 1
    text = svg.read_text()
    assert "<svg" in text and "WatchMovie" in text and "Invite Lawyer Cat" in text
