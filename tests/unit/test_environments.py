"""Environments: named interpreters from config over defaults, found on a given PATH."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from jobsmith.config import Config, load_config
from jobsmith.environments import Environments, find_program, split_command
from jobsmith.errors import ConfigError, InterpreterNotFoundError, UnknownEnvironmentError


def make_program(folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    program = folder / name
    program.write_text("#!/bin/sh\necho stand-in\n")
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    return program


def test_python_defaults_to_the_running_interpreter() -> None:
    assert Environments().command("python") == [os.path.abspath(sys.executable)]


def test_defaults_are_found_on_the_path() -> None:
    environments = Environments()
    assert environments.command("bash")[0].endswith("/bash")
    assert environments.command("R")[0].endswith("/Rscript")  # names match fuzzily
    assert environments.command("rscript") == environments.command("r")  # alias


def test_configured_command_with_arguments_wins(tmp_path: Path) -> None:
    make_program(tmp_path / "bin", "Rscript")
    environments = Environments({"r": "Rscript --vanilla"})
    assert environments.command("r", path=str(tmp_path / "bin")) == [
        str(tmp_path / "bin" / "Rscript"),
        "--vanilla",
    ]


def test_alias_follows_a_configured_target_unless_configured_itself(tmp_path: Path) -> None:
    pwsh = make_program(tmp_path, "pwsh7")
    assert Environments({"pwsh": str(pwsh)}).command("powershell") == [str(pwsh)]
    other = make_program(tmp_path, "winps")
    both = Environments({"pwsh": str(pwsh), "PowerShell": str(other)})
    assert both.command("powershell") == [str(other)]


def test_default_pwsh_falls_back_to_windows_powershell(tmp_path: Path) -> None:
    make_program(tmp_path, "powershell")
    assert Environments().command("pwsh", path=str(tmp_path)) == [str(tmp_path / "powershell")]


def test_venv_folder_means_its_python(tmp_path: Path) -> None:
    python = make_program(tmp_path / "venv" / "bin", "python")
    environments = Environments({"venv": str(tmp_path / "venv")})
    assert environments.command("venv") == [str(python)]


def test_config_file_environments_relative_to_the_file(tmp_path: Path) -> None:
    python = make_program(tmp_path / "envs" / "bin", "python")
    (tmp_path / "jobsmith.yml").write_text(
        "environments:\n  venv: envs/bin/python -u\n  java: java\n"
    )
    environments = Environments.from_config(load_config(tmp_path / "jobsmith.yml", environ={}))
    assert environments.command("venv") == [str(python), "-u"]
    assert "venv" in environments and "java" in environments and "cobol" not in environments


def test_a_bare_folder_name_beside_the_config_is_a_venv(tmp_path: Path) -> None:
    python = make_program(tmp_path / ".venv" / "bin", "python")
    environments = Environments({"venv": ".venv", "java": "java"}, base=tmp_path)
    assert environments.command("venv") == [str(python)]
    assert environments.get("java").candidates == (("java",),)  # no such folder: on PATH


def test_a_path_with_spaces_is_taken_whole(tmp_path: Path) -> None:
    program = make_program(tmp_path / "Program Files" / "R", "Rscript")
    assert split_command(str(program)) == (str(program),)
    assert split_command('"/opt/my tools/run" -x') == ("/opt/my tools/run", "-x")


def test_missing_program_says_what_was_searched(tmp_path: Path) -> None:
    environments = Environments({"r": "NoSuchRscript"}, source="/etc/jobs/jobsmith.yml")
    folders = os.pathsep.join([str(tmp_path / "a"), str(tmp_path / "b")])
    with pytest.raises(InterpreterNotFoundError) as caught:
        environments.command("r", path=folders)
    message = str(caught.value)
    assert message.startswith("environment 'r' (from /etc/jobs/jobsmith.yml): cannot find")
    assert f"NoSuchRscript (searched {tmp_path / 'a'}, {tmp_path / 'b'})" in message
    assert "ctx.add_path" in message


def test_missing_default_program_names_every_candidate(tmp_path: Path) -> None:
    with pytest.raises(InterpreterNotFoundError, match=r"cannot find pwsh or powershell"):
        Environments().command("pwsh", path=str(tmp_path))


def test_missing_configured_path(tmp_path: Path) -> None:
    with pytest.raises(InterpreterNotFoundError) as caught:
        Environments({"venv": str(tmp_path / "nope" / "python")}).command("venv")
    assert f"{tmp_path / 'nope' / 'python'} does not exist or is not executable" in str(
        caught.value
    )


def test_unknown_environment_lists_the_known_ones() -> None:
    with pytest.raises(UnknownEnvironmentError) as caught:
        Environments({"venv": "python3"}).get("ruby")
    message = str(caught.value)
    assert message.startswith("unknown environment 'ruby' (known: bash, java, node, perl,")
    assert "venv" in message
    assert isinstance(caught.value, ConfigError | LookupError)


def test_bad_configured_command_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"environments: 'r': expected a command"):
        Environments({"r": "   "})
    with pytest.raises(ConfigError, match=r"environments: 'r': No closing quotation"):
        Environments({"r": '"/opt/R'})


def test_script_extensions_pick_the_environment() -> None:
    environments = Environments()
    assert environments.for_script("load.R")[0].name == "r"  # type: ignore[index]
    assert environments.for_script("Greet.ps1")[0].name == "pwsh"  # type: ignore[index]
    assert environments.for_script("job.jar")[1] == ("-jar",)  # type: ignore[index]
    assert environments.for_script("notes.txt") is None


def test_find_program_needs_an_executable_file(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.write_text("x")
    assert find_program(str(plain)) is None
    assert find_program("plain", path=str(tmp_path)) is None
    assert find_program(str(make_program(tmp_path, "tool"))) == str(tmp_path / "tool")
    assert find_program("./tool", base=tmp_path) == str(tmp_path / "tool")


def test_from_config_without_environments_has_defaults() -> None:
    assert Environments.from_config(Config()).names() == [
        "bash",
        "java",
        "node",
        "perl",
        "pwsh",
        "python",
        "r",
        "sh",
    ]
