"""The scheduler's CLI for scripts: flags instead of prompts, pause/resume, next fires,
backfill, editing through $EDITOR, a schedule kept in the store, and clear errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import StoreTarget


def jobsmith(
    home: Path, target: StoreTarget, *args: str, env: dict[str, str] | None = None, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    environment = {**target.env(), "COLUMNS": "250", "JOBSMITH_HOME": str(home), **(env or {})}
    return subprocess.run([sys.executable, "-m", "jobsmith", *args], input=stdin, text=True,
                          capture_output=True, env=environment, timeout=60)  # fmt: skip


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_scheduler_commands_for_scripts(tmp_path: Path, target: StoreTarget) -> None:
    target.open(deploy=True).close()
    home = tmp_path / "home"
    ok(
        jobsmith(
            home,
            target,
            "create",
            "scheduler",
            "--name",
            "nightly",
            "--description",
            "Nightly jobs",
        )
    )
    ini = (home / "config.ini").read_text().replace("timezone =\n", "timezone = UTC\n")
    (home / "config.ini").write_text(
        ini.replace("url =\nschema = jobsmith\n", f"url = {target.url}\nschema = {target.schema}\n")
    )
    made = ok(
        jobsmith(
            home,
            target,
            "create",
            "job",
            "--no-input",
            "--name",
            "report",
            "--hour",
            "8",
            "--minute",
            "0",
            "--second",
            "0",
            "--active",
        )
    )
    assert "Job ID: 0" in made
    (home / "jobs" / "0" / "script.py").write_text(
        "from job import job\nprint('report for', job.trigger_text, job.args)\n"
    )
    ok(
        jobsmith(
            home,
            target,
            "create",
            "job",
            "--no-input",
            "--name",
            "weekdays",
            "--cron",
            "30 7 * * 1-5",
            "--file",
            str(home / "jobs" / "0" / "job.py"),
            "--parameters",
            "--full",
        )
    )
    listed = ok(jobsmith(home, target, "list", "jobs"))
    assert "report" in listed and "weekdays" in listed and "30 7 * * 1-5" in listed
    assert "weekdays" not in ok(jobsmith(home, target, "list", "jobs", "active"))

    upcoming = ok(
        jobsmith(
            home,
            target,
            "schedule",
            "next",
            "0",
            "-n",
            "2",
            env={"JOBSMITH_CLOCK": "2024-02-28T09:00:00"},
        )
    )
    assert (
        "2024-02-29 08:00:00" in upcoming
        and "2024-03-01 08:00:00" in upcoming
        and "At 08:00 every day" in upcoming
    )

    ok(jobsmith(home, target, "schedule", "pause", "0"))
    assert "paused" in ok(jobsmith(home, target, "list", "jobs"))
    assert "resumed" in ok(jobsmith(home, target, "schedule", "resume", "0"))

    filled = ok(
        jobsmith(
            home, target, "schedule", "backfill", "0", "2024-01-01", "2024-01-03/23:59:59", "--yes"
        )
    )
    assert filled.count("Completed") == 3
    history = ok(jobsmith(home, target, "schedule", "history", "0"))
    assert history.count("backfill") == 3 and "2024-01-02 08:00:00" in history
    logs = sorted(p.name for p in (home / "jobs" / "0" / "logs").iterdir())
    assert len(logs) == 3
    # FROM after TO once said "has no planned time" and exited 0
    reversed_ = jobsmith(home, target, "schedule", "backfill", "0", "2024-01-03", "2024-01-01")
    assert reversed_.returncode == 1 and reversed_.stderr.strip() == (
        "error: backfill: FROM 2024-01-03 is after TO 2024-01-01 (give the earlier first)"
    )

    # run job: --trigger reaches the job after PARAMETERS
    ran = ok(jobsmith(home, target, "run", "job", "1", "2024-03-04", "--yes"))
    assert "report for 2024-03-04/00:00:00 ['--full']" in ran

    # edit schedule through $EDITOR (here a script that activates job 1)
    editor = tmp_path / "editor.py"
    editor.write_text(
        "import pathlib, re, sys\np = pathlib.Path(sys.argv[1])\n"
        "p.write_text(re.sub(r'\\tN(\\t|$)', r'\\tY\\1', p.read_text(), flags=re.M))\n"
    )
    ok(jobsmith(home, target, "edit", "schedule", env={"EDITOR": f"{sys.executable} {editor}"}))
    assert "weekdays" in ok(jobsmith(home, target, "list", "jobs", "active"))

    # errors reach the user as one clear line
    missing = jobsmith(home, target, "run", "job", "9", "--yes")
    assert missing.returncode == 1 and "error: there is no job 9 in" in missing.stderr
    bad = jobsmith(home, target, "run", "job", "0", "yesterday", "--yes")
    assert (
        "error: trigger 'yesterday' is not understood: expected YYYY-MM-DD/HH:MM:SS" in bad.stderr
    )
    (tmp_path / "runs.txt").write_text("0 2024-01-01\n0 soon\n")
    bad_file = jobsmith(home, target, "run", "jobs", str(tmp_path / "runs.txt"), "--yes")
    assert f"error: {tmp_path / 'runs.txt'}:2: trigger 'soon' is not understood" in bad_file.stderr
    assert len(list((home / "jobs" / "0" / "logs").iterdir())) == 4  # nothing of the bad file ran

    # the schedule kept in the store: import the file, switch the source, edit from the CLI
    ok(jobsmith(home, target, "schedule", "import", str(home / "schedule.tsv")))
    (home / "config.ini").write_text(
        (home / "config.ini").read_text().replace("source = file", "source = store")
    )
    (home / "schedule.tsv").unlink()
    assert "weekdays" in ok(jobsmith(home, target, "list", "jobs"))
    ok(jobsmith(home, target, "create", "job", "--no-input", "--name", "hourly", "--every", "1h"))
    assert "1h" in ok(jobsmith(home, target, "list", "jobs"))
    ok(jobsmith(home, target, "delete", "job", "2", "--yes"))
    assert "hourly" not in ok(jobsmith(home, target, "list", "jobs"))
    assert not (home / "jobs" / "2").exists()
