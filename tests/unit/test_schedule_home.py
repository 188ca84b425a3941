"""A scheduler's home: runner's config.ini sections, jobsmith.yml, and bad values named."""

from __future__ import annotations

import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from jobsmith.errors import ConfigError
from jobsmith.schedule.entries import CatchUp
from jobsmith.schedule.home import Home


def test_defaults_without_any_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JOBSMITH_STORE", raising=False)
    home = Home.load(tmp_path)
    assert home.settings.name == "scheduler" and home.settings.catchup == CatchUp("none")
    assert home.settings.overlap == "skip" and home.settings.alarm == {"failed", "interrupted"}
    assert home.store_url == f"sqlite:///{tmp_path / '.jobsmith' / 'jobsmith.db'}"
    assert home.schedule_path == tmp_path / "schedule.tsv"
    assert home.mail is None


def test_runner_config_ini(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JOBSMITH_STORE", raising=False)
    (tmp_path / "config.ini").write_text(
        "[SCHEDULER]\nname = nightly\ndesc = Nightly jobs\ntimezone = Europe/Berlin\n"
        "catchup = all 6h 3\noverlap = buffer-one\ngrace = 2m\nalarm = failed, missed\n"
        "[ENVIRONMENT]\nVenv = venv/bin/python -u\n"
        "[EMAIL]\nip = 127.0.0.1\nport = 2525\naddress = runner@x.org\nneed_login = False\nuser = u\n"
        "[INFO]\nowner = boss@x.org\n[MANAGER]\neditor = nano\n"
        "[STORE]\nurl = sqlite:///data/jobs.db\n"
    )
    home = Home.load(tmp_path)
    s = home.settings
    assert (s.name, s.description, s.overlap, s.grace) == (
        "nightly",
        "Nightly jobs",
        "buffer-one",
        120,
    )
    assert s.timezone == ZoneInfo("Europe/Berlin") and s.catchup == CatchUp("all", 21600, 3)
    assert s.alarm == {"failed", "missed"} and s.owner == ("boss@x.org",) and s.editor == "nano"
    assert home.environments.get("venv").candidates == ((str(tmp_path / "venv/bin/python"), "-u"),)
    assert home.mail is not None
    assert (home.mail.host, home.mail.port, home.mail.sender, home.mail.login) == (
        "127.0.0.1",
        2525,
        "runner@x.org",
        False,
    )
    assert home.store_url == f"sqlite:///{tmp_path / 'data' / 'jobs.db'}"
    assert (s.mode, s.queue) == ("run", "default")


def test_posting_mode_and_its_queue(tmp_path: Path) -> None:
    (tmp_path / "config.ini").write_text("[SCHEDULER]\nmode = Post\nqueue = nightly\n")
    settings = Home.load(tmp_path).settings
    assert (settings.mode, settings.queue) == ("post", "nightly")


def test_jobsmith_yml_scheduler_section(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JOBSMITH_STORE", raising=False)
    (tmp_path / "jobsmith.yml").write_text(
        "scheduler:\n  name: yml\n  catchup: latest\n  source: store\n"
        "environments:\n  r: Rscript\nsmtp:\n  host: mail.x.org\n  sender: j@x.org\n"
    )
    home = Home.load(tmp_path)
    assert (home.settings.name, home.settings.source, home.settings.catchup.policy) == (
        "yml",
        "store",
        "latest",
    )
    assert home.environments.command("r")[0].endswith("Rscript")
    assert home.mail is not None and home.mail.host == "mail.x.org"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("overlap = sometimes", "overlap = 'sometimes': expected skip, buffer-one or allow"),
        ("timezone = Mars/Olympus", "unknown time zone 'Mars/Olympus'"),
        ("alarm = failed, always", "expected a list of failed, interrupted, missed, skipped"),
        ("source = cloud", "source = 'cloud': expected file or store"),
        ("grace = soon", "duration 'soon' is not understood"),
        ("mode = later", "mode = 'later': expected run (run due jobs here) or post"),
    ],
)
def test_bad_settings_are_named(tmp_path: Path, line: str, message: str) -> None:
    (tmp_path / "config.ini").write_text(f"[SCHEDULER]\n{line}\n")
    with pytest.raises(ConfigError) as caught:
        Home.load(tmp_path)
    assert str(caught.value).startswith(str(tmp_path / "config.ini")) and message in str(
        caught.value
    )


def test_python_is_the_interpreter_jobsmith_runs_in(tmp_path: Path) -> None:
    from jobsmith.schedule.execute import interpreter

    home = Home.load(tmp_path)
    assert interpreter("python", home) == [sys.executable]
    assert interpreter("bash", home)[0].endswith("bash")
    with pytest.raises(Exception, match="unknown environment 'cobol'"):
        interpreter("cobol", home)


def test_a_worker_runs_posted_fires_in_its_own_copy_of_the_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jobsmith.schedule import queued
    from jobsmith.schedule.home import Home
    from jobsmith.schedule.queued import serve_home, worker_home

    monkeypatch.setattr(queued, "_served", {})
    posted, copy, other = tmp_path / "posted", tmp_path / "copy", tmp_path / "other"
    for folder, name in ((posted, "nightly"), (copy, "nightly"), (other, "daily")):
        folder.mkdir()
        (folder / "config.ini").write_text(f"[SCHEDULER]\nname = {name}\n")
    monkeypatch.setenv("JOBSMITH_HOME", str(copy))  # the environment is not the way
    assert worker_home(str(posted), "nightly").folder == posted
    serve_home(Home.load(other))  # another scheduler's home
    assert worker_home(str(posted), "nightly").folder == posted
    serve_home(Home.load(tmp_path / "empty"))  # not a home at all
    assert worker_home(str(posted), "scheduler").folder == posted
    serve_home(Home.load(copy))  # `jobsmith worker --home copy`
    assert worker_home(str(posted), "nightly").folder == copy
