"""Script, R, PowerShell and command tasks in real jobs: real Rscript, bash and python.

PowerShell cannot be installed on the test machine: its tests run a stand-in ``pwsh``
(a small Python program that prints the arguments it got) to prove the exact command
line jobsmith runs; the parsing of param() blocks is tested in tests/unit.
"""

from __future__ import annotations

import json
import logging
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from jobsmith import JobExecution, Status
from jobsmith.config import Config
from jobsmith.errors import (
    InterpreterNotFoundError,
    MissingParameterError,
    ProcessError,
    ScriptError,
)
from jobsmith.store import Store
from jobsmith.tasks.script import PowerShellExecution, ScriptExecution

GREET_R = """# first_parameter - second
args <- commandArgs(TRUE)
cat("first=", args[1], " second=", args[2], "\\n", sep = "")
message("R says hi on stderr")
"""


def write(folder: Path, name: str, text: str, executable: bool = False) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    if executable:
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "work"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


def job(store: Store, config: Config | None = None, **parameters: Any) -> JobExecution:
    return JobExecution("scripts", config or Config(), backend=store, parameters=parameters)


def task_runs(store: Store, execution: JobExecution) -> list[Any]:
    assert execution.run is not None
    return store.runs.tasks(execution.run.id)


def test_seed_execute_r_passes_first_line_parameters_in_order(
    store: Store, workdir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write(workdir, "DoStuff.R", GREET_R)
    with caplog.at_level(logging.INFO), job(store, Second="B") as ctx:
        ctx["first parameter"] = "A"  # fuzzy: first_parameter
        [result] = ctx.execute_r("DoStuff.R")
    assert result.exit_code == 0
    # Two pipes: the order between stdout and stderr lines is whatever arrived first.
    assert sorted(result.output.splitlines()) == ["R says hi on stderr", "first=A second=B"]
    assert result.stderr_tail == ("R says hi on stderr",)
    [record] = task_runs(store, ctx)
    assert (record.kind, record.name, record.status) == ("RExecution", "DoStuff.R", "Completed")
    assert dict(record.parameters) == {"first_parameter": "A", "second": "B"}
    assert record.output == result.output
    messages = [r.getMessage() for r in caplog.records]
    assert "DoStuff.R | first=A second=B" in messages
    assert "DoStuff.R (stderr) | R says hi on stderr" in messages
    assert any(m.startswith("Running ") and m.endswith("DoStuff.R A B") for m in messages)


def test_execute_r_runs_several_scripts_in_turn(sqlite_store: Store, workdir: Path) -> None:
    for name in ("a.R", "b.R"):
        write(workdir, name, f'# name\ncat("{name}", commandArgs(TRUE)[1], "\\n")\n')
    with job(sqlite_store, name="x") as ctx:
        results = ctx.execute_r("a.R", "b.R")
    assert [r.output for r in results] == ["a.R x ", "b.R x "]
    assert [t.name for t in task_runs(sqlite_store, ctx)] == ["a.R", "b.R"]


def test_local_parameters_win_for_one_call(sqlite_store: Store, workdir: Path) -> None:
    write(workdir, "greet.R", GREET_R)
    with job(sqlite_store, first_parameter="job", second="job") as ctx:
        [result] = ctx.execute_r("greet.R", second="local")
    assert result.output.splitlines()[0] == "first=job second=local"


def test_r_missing_parameter_names_it_and_the_script(sqlite_store: Store, workdir: Path) -> None:
    write(workdir, "greet.R", GREET_R)
    with pytest.raises(MissingParameterError) as caught, job(sqlite_store, second="B") as ctx:
        ctx.execute_r("greet.R")
    assert str(caught.value) == (
        "The parameter 'first_parameter' is not defined (asked for by task 'greet.R')."
    )
    assert ctx.run is not None and ctx.run.status == Status.FAILED


def test_r_failure_fails_the_task_with_exit_code_and_stderr(store: Store, workdir: Path) -> None:
    write(
        workdir, "fail.R", '# what\ncat("before\\n")\nstop("cannot load ", commandArgs(TRUE)[1])\n'
    )
    with pytest.raises(ProcessError) as caught, job(store, what="sales") as ctx:
        ctx.execute_r("fail.R")
    assert caught.value.exit_code == 1
    assert str(caught.value) == (
        "fail.R exited with code 1:\n  Error: cannot load sales\n  Execution halted"
    )
    [record] = task_runs(store, ctx)
    assert record.status == "Failed"
    assert record.error == str(caught.value)
    lines = (record.output or "").splitlines()
    assert sorted(lines) == ["Error: cannot load sales", "Execution halted", "before"]
    assert lines.index("Error: cannot load sales") < lines.index("Execution halted")
    assert store.runs.get(str(ctx.run.id)).error == str(caught.value)  # type: ignore[union-attr]


def test_missing_script_is_a_clear_error(sqlite_store: Store, workdir: Path) -> None:
    with pytest.raises(ScriptError) as caught, job(sqlite_store) as ctx:
        ctx.execute_r("nope.R")
    assert str(caught.value) == f"script nope.R not found (looked for {workdir / 'nope.R'})"


def test_missing_interpreter_names_the_environment(sqlite_store: Store, workdir: Path) -> None:
    write(workdir, "greet.R", GREET_R)
    config = Config(environments={"r": "NoSuchRscript"})
    with (
        pytest.raises(InterpreterNotFoundError) as caught,
        job(sqlite_store, config, first_parameter=1, second=2) as ctx,
    ):
        ctx.execute_r("greet.R")
    assert str(caught.value).startswith("environment 'r' (from configuration): cannot find")
    [record] = task_runs(sqlite_store, ctx)
    assert record.status == "Failed" and "NoSuchRscript" in (record.error or "")


def test_add_path_lets_the_job_find_its_interpreter(sqlite_store: Store, workdir: Path) -> None:
    tools = workdir.parent / "tools"
    write(tools, "my-rscript", f'#!/bin/sh\nexec {_rscript()} "$@"\n', executable=True)
    write(workdir, "greet.R", GREET_R)
    config = Config(environments={"r": "my-rscript"})
    with pytest.raises(InterpreterNotFoundError), job(sqlite_store, config) as ctx:
        ctx.execute_r("greet.R", first_parameter=1, second=2)
    with job(sqlite_store, config, first_parameter=1, second=2) as ctx:
        ctx.add_path(tools)
        [result] = ctx.execute_r("greet.R")
    assert result.argv[0] == str(tools / "my-rscript")
    assert "first=1 second=2" in result.output.splitlines()


def _rscript() -> str:
    found = subprocess.run(["which", "Rscript"], capture_output=True, text=True, check=True)
    return found.stdout.strip()


def test_exported_parameters_reach_the_script(sqlite_store: Store, workdir: Path) -> None:
    write(workdir, "env.R", 'cat(Sys.getenv("region"))\n')
    with job(sqlite_store, region="north") as ctx:
        ctx.export("region")
        [result] = ctx.execute_r("env.R")
    assert result.output == "north"


SHOW_ARGS = "import json, sys\nprint(json.dumps({'argv': sys.argv[1:], 'prefix': sys.prefix}))\n"


def test_execute_script_with_an_environment_and_templates(
    sqlite_store: Store, workdir: Path
) -> None:
    write(workdir, "show.py", SHOW_ARGS)
    with job(sqlite_store, run_date="2024-01-31") as ctx:
        result = ctx.execute_script(
            "show.py", "--day", "$run_date", "cost=$$5", interpreter="python"
        )
    assert json.loads(result.output)["argv"] == ["--day", "2024-01-31", "cost=$5"]
    assert result.argv[0] == os.path.abspath(sys.executable)
    [record] = task_runs(sqlite_store, ctx)
    assert (record.kind, dict(record.parameters)) == (
        "ScriptExecution",
        {"run_date": "2024-01-31"},
    )


def test_execute_script_in_a_configured_venv(sqlite_store: Store, workdir: Path) -> None:
    venv = workdir.parent / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    write(workdir, "show.py", SHOW_ARGS)
    with job(sqlite_store, Config(environments={"venv": str(venv)})) as ctx:
        result = ctx.execute_script("show.py", "x", interpreter="venv")
    assert json.loads(result.output) == {"argv": ["x"], "prefix": str(venv)}


def test_execute_script_picks_the_interpreter_by_extension(
    sqlite_store: Store, workdir: Path
) -> None:
    write(workdir, "count.sh", 'echo "$BASH_VERSION" | cut -c1; echo "$1"\n')
    write(workdir, "tool", "#!/bin/sh\necho self-run $1\n", executable=True)
    write(workdir, "notes.txt", "hello\n")
    with job(sqlite_store, n=7) as ctx:
        by_extension = ctx.execute_script("count.sh", "$n")
        self_run = ctx.execute_script("tool", "ok")
        with pytest.raises(ScriptError, match=r"cannot tell which interpreter runs notes.txt"):
            ctx.execute_script("notes.txt")
    assert by_extension.output.splitlines()[1] == "7"
    assert by_extension.output.splitlines()[0].isdigit()  # bash ran it
    assert self_run.output == "self-run ok"


def test_execute_command_takes_a_list_with_templates(sqlite_store: Store, workdir: Path) -> None:
    code = "import sys; print(sys.argv[1:])"
    with job(sqlite_store, table="sales", batch=3) as ctx:
        result = ctx.execute_command([sys.executable, "-c", code, "--table=$table", "$batch"])
        with pytest.raises(TypeError, match=r"not a string: e\.g\. \['ls', '-l'\]"):
            ctx.execute_command("ls -l")  # type: ignore[arg-type]
    assert result.output == "['--table=sales', '3']"
    [record] = task_runs(sqlite_store, ctx)
    assert record.kind == "CommandExecution"
    assert dict(record.parameters) == {"table": "sales", "batch": "3"}


def test_missing_program_of_a_command(sqlite_store: Store, workdir: Path) -> None:
    with (
        pytest.raises(InterpreterNotFoundError, match=r"program no-such-tool not found \(searched"),
        job(sqlite_store) as ctx,
    ):
        ctx.execute_command(["no-such-tool", "--help"])


def test_secrets_are_masked_in_the_log_and_the_run_log(
    sqlite_store: Store, workdir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    code = "import sys; print(len(sys.argv[1]))"
    with caplog.at_level(logging.INFO), job(sqlite_store, db_password="hunter2") as ctx:
        result = ctx.execute_command([sys.executable, "-c", code, "$db_password"])
    assert result.output == "7"  # the program got the real value
    assert "hunter2" not in caplog.text
    assert "'***'" in caplog.text
    [record] = task_runs(sqlite_store, ctx)
    assert dict(record.parameters) == {"db_password": "***"}
    assert "hunter2" not in " ".join(result.argv)


def test_script_timeout_fails_the_task(sqlite_store: Store, workdir: Path) -> None:
    write(workdir, "slow.py", "import time\nprint('working', flush=True)\ntime.sleep(30)\n")
    with pytest.raises(ProcessError) as caught, job(sqlite_store) as ctx:
        ctx.process_task_execution(ScriptExecution("slow.py", interpreter="python", timeout=0.5))
    assert str(caught.value) == "slow.py did not finish within 0.5 s and was stopped"
    [record] = task_runs(sqlite_store, ctx)
    assert record.output == "working"


def test_relative_script_and_program_are_taken_from_cwd(sqlite_store: Store, workdir: Path) -> None:
    elsewhere = workdir.parent / "elsewhere"
    write(elsewhere, "where.py", "import os\nprint(os.getcwd())\n")
    with job(sqlite_store) as ctx:
        result = ctx.process_task_execution(ScriptExecution("where.py", cwd=elsewhere))
    assert result.output == str(elsewhere)


# -- PowerShell: a stand-in pwsh that prints its arguments (PowerShell is not installed) --
FAKE_PWSH = f"#!{sys.executable}\nimport json, sys\nprint(json.dumps(sys.argv[1:]))\n"


@pytest.fixture
def fake_pwsh(workdir: Path) -> Path:
    return write(workdir.parent / "bin", "pwsh", FAKE_PWSH, executable=True)


def test_seed_execute_powershell_command_line(
    sqlite_store: Store, workdir: Path, fake_pwsh: Path
) -> None:
    write(workdir, "Greet.ps1", 'param($Name)\n\n"Hello, $Name!" > hello.txt\n')
    with job(sqlite_store, name="Dave") as ctx:
        ctx.add_path(fake_pwsh.parent)
        [result] = ctx.execute_powershell("Greet.ps1")
    assert result.argv[0] == str(fake_pwsh)
    assert json.loads(result.output) == [
        "-NoProfile",
        "-NonInteractive",
        "-File",
        str(workdir / "Greet.ps1"),
        "-Name",
        "Dave",
    ]
    [record] = task_runs(sqlite_store, ctx)
    assert (record.kind, dict(record.parameters)) == ("PowerShellExecution", {"Name": "Dave"})


def test_powershell_named_optional_and_switch_parameters(
    sqlite_store: Store, workdir: Path, fake_pwsh: Path
) -> None:
    write(
        workdir,
        "Load.ps1",
        "param([string]$One, [int]$Two = 2, [switch]$Force, [switch]$DryRun, $Three = 'x')\n",
    )
    config = Config(environments={"pwsh": str(fake_pwsh)})
    with job(sqlite_store, config, one="a b", force=True, dry_run=False, three=None) as ctx:
        [result] = ctx.execute_powershell("Load.ps1")
    assert json.loads(result.output)[4:] == ["-One", "a b", "-Force", "-Three", ""]


def test_powershell_missing_parameter(sqlite_store: Store, workdir: Path, fake_pwsh: Path) -> None:
    write(workdir, "Greet.ps1", "param($One, $Two)\n")
    missing = pytest.raises(MissingParameterError, match=r"'Two' is not defined .* 'Greet.ps1'")
    with missing, job(sqlite_store, one=1) as ctx:
        ctx.execute_powershell("Greet.ps1")


def test_powershell_command_line_without_running(workdir: Path, fake_pwsh: Path) -> None:
    write(workdir, "Greet.ps1", "param($One, $Two)\n")
    task = PowerShellExecution("Greet.ps1")
    task.bind_parameters({"one": 1, "TWO": "zwei"})
    assert task.command_line(path=str(fake_pwsh.parent)) == [
        str(fake_pwsh),
        "-NoProfile",
        "-NonInteractive",
        "-File",
        str(workdir / "Greet.ps1"),
        "-One",
        "1",
        "-Two",
        "zwei",
    ]
