"""A misspelt section or key in jobsmith.yml or config.ini is an error naming the file, the
line and the closest known name (it used to be ignored, leaving the setting at its default)."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobsmith.config import load_config
from jobsmith.errors import ConfigError
from jobsmith.schedule.home import Home
from jobsmith.smtp import SmtpSettings


def _yml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "jobsmith.yml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "environment: dev\nparmeters:\n  a: 1\n",
            ":2: unknown section 'parmeters' (did you mean 'parameters'?)",
        ),
        (
            "path: /bin\nenviroments: {r: Rscript}\n",
            ":2: unknown section 'enviroments' (did you mean 'environments'?)",
        ),
        (
            "backend:\n  url: sqlite:///x.db\n  shema: jobs\n",
            ":3: section 'backend': unknown key 'shema' (did you mean 'schema'?)",
        ),
        (
            "scheduler:\n  timezone: UTC\n  catchupp: none\n",
            ":3: section 'scheduler': unknown key 'catchupp' (did you mean 'catchup'?)",
        ),
        ("zzz: 1\n", ":1: unknown section 'zzz' (expected one of: environment, backend"),
    ],
)
def test_unknown_yml_names_are_errors(tmp_path: Path, text: str, expected: str) -> None:
    path = _yml(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        Home.load(tmp_path) if "scheduler" in text else load_config(path, environ={})
    assert str(caught.value).startswith(str(path) + expected.split(" (expected")[0])
    assert expected in str(caught.value)


def test_unknown_smtp_key_names_the_closest(tmp_path: Path) -> None:
    path = _yml(tmp_path, "smtp:\n  host: localhost\n  prot: 25\n")
    with pytest.raises(ConfigError, match=r"unknown key 'prot' \(did you mean 'port'\?\)"):
        SmtpSettings.from_config(load_config(path, environ={}))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "[SCHEDULER]\nname = s\ntimezon = UTC\n",
            ":3: unknown key 'timezon' (did you mean 'timezone'?)",
        ),
        (
            "[LOG]\nconsole = True\n\n[SCHEDULR]\nname = s\n",
            ":4: unknown section [SCHEDULR] (did you mean 'SCHEDULER'?)",
        ),
        (
            "[EMAIL]\nip = localhost\nneed_loginn = False\n",
            ":3: unknown key 'need_loginn' (did you mean 'need_login'?)",
        ),
        (
            "[STORE]\n# a comment\nurll = sqlite:///x.db\n",
            ":3: unknown key 'urll' (did you mean 'url'?)",
        ),
    ],
)
def test_unknown_ini_names_are_errors(tmp_path: Path, text: str, expected: str) -> None:
    (tmp_path / "config.ini").write_text(text)
    with pytest.raises(ConfigError) as caught:
        Home.load(tmp_path)
    assert str(caught.value) == f"{tmp_path / 'config.ini'}{expected}"


def test_runner_documented_settings_and_any_interpreter_are_known(tmp_path: Path) -> None:
    (tmp_path / "config.ini").write_text(
        "[MANAGER]\neditor = nano\n"
        "[SCHEDULER]\nname = s\ndesc = S\ntimezone = UTC\n"
        "[LOG]\nconsole = True\nlimit_by_day = True\nlimit_by_size = False\nmax_size = 10485760\n"
        "[ENVIRONMENT]\nmy_venv = /usr/bin/python3\n"
        "[EMAIL]\nip = localhost\nport = 25\nneed_login = False\nneed_debug = False\n"
        "[INFO]\nowner = a@example.com\n"
        "[GENERAL]\npersons = b@example.com\n"
        "[JOB]\nname = j\ndesc = J\npersons = c@example.com\n"
        "[STORE]\nurl =\nschema = jobsmith\n"
    )
    home = Home.load(tmp_path)
    assert home.settings.name == "s"


def test_the_scheduler_settings_are_the_known_scheduler_keys() -> None:
    from jobsmith.inifile import RUNNER_SECTIONS
    from jobsmith.schedule.home import SETTING_KEYS

    assert set(RUNNER_SECTIONS["SCHEDULER"] or ()) == set(SETTING_KEYS)
