"""The queue controls' examples (docs/queue.md, README) run as written, on both stores."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import REPO, StoreTarget

pytestmark = [pytest.mark.timeout(180), pytest.mark.slow]

FOLDER = REPO / "examples" / "queue"


def run(target: StoreTarget, script: str) -> str:
    done = subprocess.run(
        [sys.executable, script],
        cwd=FOLDER,
        env=target.env(),
        capture_output=True,
        text=True,
        timeout=150,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_controls_example(target: StoreTarget) -> None:
    target.open().close()
    out = run(target, "controls.py")
    assert "unique key: job 1 again (created=False)" in out
    assert "cancel: cancelled\nretry: waiting" in out
    assert "charged order 1" in out and "charged order 3" in out
    assert "charged order 2" not in out  # rolled back
    assert "fetched https://example.org" in out
    assert "report job 1: completed" in out
    assert "summary for monday, after extract ended (even though it failed)" in out
    assert "children: ['completed', 'completed', 'completed']" in out
    assert "posted by name: key tenant=acme" in out
    assert "within the hour: created=False" in out


def test_the_harness_example(sqlite_target: StoreTarget) -> None:
    out = run(sqlite_target, "testing_with_a_clock.py")
    assert "Failed" in out and out.rstrip().endswith("ok")
