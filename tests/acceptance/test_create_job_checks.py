"""`create job` checks what it is given when it is given (issue 15): an environment it
cannot write a job for, an unknown environment, a missing --file, --cron beside the
fields, and each interactive answer as it is typed."""

from __future__ import annotations

from pathlib import Path

from tests.acceptance.test_schedule_cli import jobsmith, ok
from tests.conftest import StoreTarget


def scheduler_home(tmp_path: Path, target: StoreTarget) -> Path:
    home = tmp_path / "home"
    ok(jobsmith(home, target, "create", "scheduler", "--name", "s", "--description", "S"))
    return home


def refused(home: Path, target: StoreTarget, *args: str) -> str:
    before = (home / "schedule.tsv").read_text()
    result = jobsmith(home, target, "create", "job", "--no-input", *args)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert (home / "schedule.tsv").read_text() == before  # nothing was added
    assert not (home / "jobs" / "0").exists()
    return " ".join(result.stderr.split())


def test_a_bash_job_is_a_bash_script_that_bash_runs(
    tmp_path: Path, sqlite_target: StoreTarget
) -> None:
    home = scheduler_home(tmp_path, sqlite_target)
    out = ok(jobsmith(home, sqlite_target, "create", "job", "--environment", "bash", "--no-input"))
    script = home / "jobs" / "0" / "job.sh"
    assert f"File {script} created." in out
    assert not (home / "jobs" / "0" / "job.py").exists()
    assert str(script) in (home / "schedule.tsv").read_text()
    assert script.read_text().startswith("#!")
    with script.open("a") as file:
        file.write('echo "bash ran job $JOBSMITH_JOB_ID for $JOBSMITH_TRIGGER"\n')
    ran = jobsmith(home, sqlite_target, "run", "job", "0", "2019-01-01/08:00:00", "--yes")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "bash ran job 0 for 2019-01-01/08:00:00" in ran.stdout
    assert "command not found" not in ran.stdout + ran.stderr


def test_environments_it_cannot_write_a_job_for_are_refused(
    tmp_path: Path, sqlite_target: StoreTarget
) -> None:
    home = scheduler_home(tmp_path, sqlite_target)
    java = refused(home, sqlite_target, "--environment", "java")
    assert "Python and shell environments only" in java and "--file" in java
    nosuch = refused(home, sqlite_target, "--environment", "nosuch")
    assert "environment 'nosuch' is unknown" in nosuch
    assert "[ENVIRONMENT]" in nosuch and str(home / "config.ini") in nosuch
    # an unknown environment is refused for a file of one's own too
    program = tmp_path / "Main.jar"
    program.write_text("")
    assert "'nosuch' is unknown" in refused(
        home, sqlite_target, "--environment", "nosuch", "--file", str(program)
    )
    # and a known one with a file of one's own is fine
    ok(jobsmith(home, sqlite_target, "create", "job", "--no-input", "--environment", "java",
                "--file", str(program)))  # fmt: skip


def test_a_missing_file_is_refused_when_the_job_is_created(
    tmp_path: Path, sqlite_target: StoreTarget
) -> None:
    home = scheduler_home(tmp_path, sqlite_target)
    message = refused(home, sqlite_target, "--file", "/missing.py")
    assert "--file /missing.py: no such file /missing.py" in message


def test_cron_beside_the_time_fields_is_refused(tmp_path: Path, sqlite_target: StoreTarget) -> None:
    home = scheduler_home(tmp_path, sqlite_target)
    message = refused(home, sqlite_target, "--cron", "0 8 * * *", "--hour", "9", "--minute", "5")
    assert "--cron and --hour and --minute" in message and "not several" in message
    assert "--every and --second" in refused(home, sqlite_target, "--every", "5m", "--second", "0")
    assert "--hour 25: HOUR" in refused(home, sqlite_target, "--hour", "25")
    assert "--cron 99 * * * *" in refused(home, sqlite_target, "--cron", "99 * * * *")


def test_each_answer_is_checked_when_it_is_given(
    tmp_path: Path, sqlite_target: StoreTarget
) -> None:
    home = scheduler_home(tmp_path, sqlite_target)
    answers = [
        "test",  # name
        "Test Job",  # description
        "nosuch",  # environment: unknown, asked again
        "",  # → python
        "",  # month day
        "",  # week day
        "25",  # hour: out of range, asked again
        "8",
        "0",  # minute
        "0",  # second
        "maybe",  # activate: asked again
        "y",
    ]
    result = jobsmith(home, sqlite_target, "create", "job", stdin="\n".join(answers) + "\n")
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert out.count("Enter the hour (0-23)") == 2
    assert out.count("Enter the environment or leave empty to use Python") == 2
    assert "'25': 25 is out of range" in out
    assert out.index("'25': 25 is out of range") < out.index("Enter the minute")
    assert "environment 'nosuch' is unknown" in out
    line = (home / "schedule.tsv").read_text().splitlines()[1].split("\t")
    assert line[1:3] == ["test", "Test Job"] and line[3] == "python" and line[7] == "8"
    assert line[11] == "Y"  # STATUS


def test_the_python_api_refuses_cron_beside_the_fields_too(tmp_path: Path) -> None:
    import pytest

    from jobsmith.errors import ScheduleError
    from jobsmith.schedule.home import Home
    from jobsmith.schedule.scaffold import JobSpec, create_job, create_scheduler
    from jobsmith.schedule.sources import open_source

    create_scheduler(tmp_path, "s", "S", lambda text: None)
    home = Home.load(tmp_path)
    source = open_source("file", home.schedule_path, None, "s")
    with pytest.raises(ScheduleError, match="CRON, HOUR: give either a cron expression"):
        create_job(home, source, JobSpec(cron="0 8 * * *", hour="9"), lambda text: None)
    assert source.read(home.settings.timezone) == []
    assert create_job(home, source, JobSpec(cron="0 8 * * *"), lambda text: None) == 0
