"""runner's settings that jobsmith used to ignore (issue 15): Scheduler(config=..., name=...),
Job(config=[...], name=..., desc=...), [JOB] name / desc / version, [GENERAL] persons,
[EMAIL] in a job's own config.ini, and the VERSION line of the run log header."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobsmith import Scheduler
from jobsmith import inifile as inikeys
from jobsmith.errors import ConfigError
from jobsmith.params import normalize
from jobsmith.schedule.home import SETTING_KEYS
from jobsmith.schedule.job import Job
from jobsmith.schedule.jobconfig import CONSTRUCTOR_KEYS
from jobsmith.smtp import _KEYS as SMTP_KEYS
from jobsmith.store import Store
from tests.acceptance.test_schedule_cli import jobsmith, ok
from tests.conftest import SmtpServer, StoreTarget


def test_the_known_keys_are_those_the_readers_take() -> None:
    assert set(SETTING_KEYS) == inikeys.SCHEDULER_KEYS
    assert inikeys.JOB_KEYS["JOB"] == CONSTRUCTOR_KEYS
    assert {normalize(k) for k in inikeys.EMAIL_KEYS} <= set(SMTP_KEYS)


def make_home(tmp_path: Path, target: StoreTarget) -> Path:
    home = tmp_path / "home"
    ok(jobsmith(home, target, "create", "scheduler", "--name", "main", "--description", "Main"))
    ok(jobsmith(home, target, "create", "job", "--no-input", "--name", "test",
                "--description", "Test Job"))  # fmt: skip
    return home


def test_scheduler_config_files_and_constructor_settings(
    tmp_path: Path, sqlite_target: StoreTarget, sqlite_store: Store
) -> None:
    home = make_home(tmp_path, sqlite_target)
    extra = tmp_path / "myconfig.ini"
    extra.write_text("[SCHEDULER]\nname = nightly\ndesc = From my config\n[LOG]\nconsole = True\n")
    scheduler = Scheduler(home, store=sqlite_store, config=str(extra))
    assert (scheduler.name, scheduler.settings.description) == ("nightly", "From my config")
    assert scheduler.settings.console is True
    scheduler = Scheduler(home, store=sqlite_store, config=[extra], desc="Given", console=False,
                          timezone="Europe/Berlin")  # fmt: skip
    assert (scheduler.name, scheduler.settings.description) == ("nightly", "Given")
    assert (
        scheduler.settings.console is False and str(scheduler.settings.timezone) == "Europe/Berlin"
    )
    with pytest.raises(TypeError, match="unknown setting 'colour'"):
        Scheduler(home, store=sqlite_store, colour="blue")
    with pytest.raises(ConfigError, match=r"missing\.ini: no such configuration file"):
        Scheduler(home, store=sqlite_store, config=tmp_path / "missing.ini")
    with pytest.raises(ConfigError, match="max_runs = 'many'"):
        Scheduler(home, store=sqlite_store, max_runs="many")


def test_job_config_files_and_constructor_settings(
    tmp_path: Path, sqlite_target: StoreTarget, smtp_server: SmtpServer
) -> None:
    home = make_home(tmp_path, sqlite_target)
    (home / "jobs" / "0" / "config.ini").write_text(
        "[JOB]\nname = loader\ndesc = Loads things\nversion = 1.2\n"
        "[GENERAL]\npersons = general@example.com\n"
        f"[EMAIL]\nip = 127.0.0.1\nport = {smtp_server.port}\naddress = jobs@example.com\n"
    )
    job = Job(home / "jobs" / "0" / "job.py", argv=[])
    assert (job.name, job.description, job.settings.version) == ("loader", "Loads things", "1.2")
    assert job.persons == ("general@example.com",)
    assert job.mail is not None and job.mail.port == smtp_server.port  # the job's own [EMAIL]
    assert job.mail.sender == "jobs@example.com"

    extra = tmp_path / "kenobi.ini"
    extra.write_text("[JOB]\ndesc = From Kenobi\npersons = kenobi@example.com\n")
    job = Job(home / "jobs" / "0" / "job.py", argv=[], config=[extra], name="given")
    assert (job.name, job.description) == ("given", "From Kenobi")
    assert job.persons == ("general@example.com", "kenobi@example.com")
    job.alarm()
    [mail] = smtp_server.received
    assert mail.recipients == ["general@example.com", "kenobi@example.com"]
    assert "Job name: given." in str(mail.message.get_content())
    with pytest.raises(TypeError, match="unknown setting 'colour'"):
        Job(home / "jobs" / "0" / "job.py", argv=[], colour="blue")


def test_a_scheduled_run_uses_the_jobs_own_config(
    tmp_path: Path, target: StoreTarget, smtp_server: SmtpServer
) -> None:
    target.open(deploy=True).close()
    home = make_home(tmp_path, target)
    assert "ip =\n" in (home / "config.ini").read_text()  # the home has no mail server
    folder = home / "jobs" / "0"
    (folder / "config.ini").write_text(
        "[JOB]\nname = loader\ndesc = Loads things\nversion = 2.0\npersons = ops@example.com\n"
        f"[EMAIL]\nip = 127.0.0.1\nport = {smtp_server.port}\naddress = jobs@example.com\n"
    )
    (folder / "script.py").write_text("from job import job\n\n1 / 0\n")
    ran = jobsmith(home, target, "run", "job", "0", "2019-01-01/08:00:00", "--yes")
    assert ran.returncode == 1
    [log] = (folder / "logs").iterdir()
    assert log.name.startswith("loader_")
    header = log.read_text()
    for line in ("APP: loader", "DESC: Loads things", "VERSION: 2.0"):
        assert line in header
    [mail] = smtp_server.received  # the alarm, through the job's own [EMAIL]
    assert mail.recipients == ["ops@example.com"] and mail.sender == "jobs@example.com"
    assert "Job name: loader." in str(mail.message.get_content())


def test_the_version_line_defaults_to_none(tmp_path: Path, sqlite_target: StoreTarget) -> None:
    home = make_home(tmp_path, sqlite_target)
    ok(jobsmith(home, sqlite_target, "run", "job", "0", "--yes"))
    [log] = (home / "jobs" / "0" / "logs").iterdir()
    assert "*      VERSION: None" in log.read_text()
