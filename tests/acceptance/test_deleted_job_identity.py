"""runner reuses the highest free job id: a job created after `delete job` may get the
deleted job's id. It must not inherit that job's pause or history (issue 15)."""

from __future__ import annotations

from pathlib import Path

from tests.acceptance.test_schedule_cli import jobsmith, ok
from tests.conftest import StoreTarget

AT_EIGHT = ("--hour", "8", "--minute", "0", "--second", "0", "--active", "--no-input")


def test_a_new_job_with_a_deleted_jobs_id_starts_clean(tmp_path: Path, target: StoreTarget) -> None:
    target.open(deploy=True).close()
    home = tmp_path / "home"
    ok(jobsmith(home, target, "create", "scheduler", "--name", "s", "--description", "S"))
    ok(jobsmith(home, target, "create", "job", "--name", "first", *AT_EIGHT))
    created = ok(jobsmith(home, target, "create", "job", "--name", "old", *AT_EIGHT))
    assert "Job ID: 1" in created
    ok(jobsmith(home, target, "run", "job", "1", "--yes"))
    ok(jobsmith(home, target, "schedule", "pause", "1"))
    assert "old" in ok(jobsmith(home, target, "schedule", "history", "1"))
    ok(jobsmith(home, target, "delete", "job", "1", "--yes"))

    again = ok(jobsmith(home, target, "create", "job", "--name", "new", *AT_EIGHT))
    assert "Job ID: 1" in again  # the id is reused, as runner does
    assert "(new) has not fired yet" in ok(jobsmith(home, target, "schedule", "history", "1"))
    listed = ok(jobsmith(home, target, "list", "jobs"))
    assert "paused" not in listed
    assert "was not paused" in ok(jobsmith(home, target, "schedule", "resume", "1"))

    # the scheduler runs the new job at its time instead of recording it as paused
    clock = {"JOBSMITH_CLOCK": "2030-01-02T07:59:58@4"}
    ok(jobsmith(home, target, "scheduler", "--stop-after", "6s", env=clock))
    history = ok(jobsmith(home, target, "schedule", "history", "1"))
    assert "2030-01-02 08:00:00" in history, history
    assert "paused" not in history


def test_a_job_deleted_by_hand_from_the_schedule_leaves_nothing_to_its_successor(
    tmp_path: Path, target: StoreTarget
) -> None:
    target.open(deploy=True).close()
    home = tmp_path / "home"
    ok(jobsmith(home, target, "create", "scheduler", "--name", "s", "--description", "S"))
    ok(jobsmith(home, target, "create", "job", "--name", "old", *AT_EIGHT))
    ok(jobsmith(home, target, "run", "job", "0", "--yes"))
    ok(jobsmith(home, target, "schedule", "pause", "0"))
    # the user removes the line and the folder by hand
    schedule = home / "schedule.tsv"
    schedule.write_text(schedule.read_text().splitlines()[0] + "\n")
    for path in sorted((home / "jobs" / "0").rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() else path.unlink()
    (home / "jobs" / "0").rmdir()

    assert "Job ID: 0" in ok(jobsmith(home, target, "create", "job", "--name", "new", *AT_EIGHT))
    assert "(new) has not fired yet" in ok(jobsmith(home, target, "schedule", "history", "0"))
    assert "paused" not in ok(jobsmith(home, target, "list", "jobs"))
