"""One order of precedence for the settings (jobsmith/settings.py), used by every edge: the
CLI with --home/--store/--schema before or after the command, a runner home's config.ini
[STORE], go() closing the store it opened, graphs and flows without a usable default store.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

import jobsmith
from jobsmith.flow import LinearFlow, Task, run
from jobsmith.graph import DoJobber, Job
from jobsmith.settings import resolve_settings
from tests.conftest import StoreTarget

JOBSMITH = [sys.executable, "-m", "jobsmith.cli"]


def clean_environ() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("JOBSMITH_")}


def cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*JOBSMITH, *args],
        env={**(env or clean_environ()), "COLUMNS": "200"},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def runner_home(folder: Path, target: StoreTarget) -> Path:
    folder.mkdir()
    (folder / "config.ini").write_text(
        f"[SCHEDULER]\nname = nightly\n\n[STORE]\nurl = {target.url}\nschema = {target.schema}\n"
    )
    (folder / "schedule.tsv").write_text("")
    return folder


# -- the order of precedence ----------------------------------------------------------------
def test_argument_beats_environment_beats_config_ini_beats_yml_beats_default(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    default = resolve_settings(home=home, environ={})
    assert default.store_url == f"sqlite:///{home / '.jobsmith' / 'jobsmith.db'}"
    assert default.store_is_default and default.schema == "jobsmith"

    (home / "jobsmith.yml").write_text(
        "environment: test\nbackend: {url: sqlite:///yml.db, schema: from_yml}\n"
    )
    from_yml = resolve_settings(home=home, environ={})
    assert from_yml.store_url == f"sqlite:///{home / 'yml.db'}"
    assert (from_yml.schema, from_yml.environment) == ("from_yml", "test")
    assert from_yml.sources["store"] == str(home / "jobsmith.yml")

    (home / "config.ini").write_text("[STORE]\nurl = sqlite:///ini.db\nschema = from_ini\n")
    from_ini = resolve_settings(home=home, environ={})
    assert (from_ini.store_url, from_ini.schema) == (f"sqlite:///{home / 'ini.db'}", "from_ini")
    assert from_ini.sources["store"] == "config.ini"

    environ = {"JOBSMITH_STORE": "sqlite:////tmp/env.db", "JOBSMITH_SCHEMA": "from_env"}
    from_env = resolve_settings(home=home, environ=environ)
    assert (from_env.store_url, from_env.schema) == ("sqlite:////tmp/env.db", "from_env")
    assert from_env.config.store_url == from_env.store_url  # below the edge sees the same

    argued = resolve_settings(home=home, environ=environ, store="sqlite:////tmp/arg.db")
    assert argued.store_url == "sqlite:////tmp/arg.db" and argued.sources["store"] == "argument"


def test_the_home_comes_from_jobsmith_home_and_another_program_s_config_ini_is_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.ini").write_text("[STORE]\nurl = sqlite:///ini.db\n")
    assert resolve_settings(environ={"JOBSMITH_HOME": str(home)}).home == home
    elsewhere = tmp_path / "project"
    elsewhere.mkdir()
    (elsewhere / "config.ini").write_text("[database]\nhost = x\n")  # not runner's
    monkeypatch.chdir(elsewhere)
    assert resolve_settings(environ={}).store_is_default


# -- the CLI --------------------------------------------------------------------------------
def test_runs_and_deploy_in_a_runner_home_use_its_store(
    target: StoreTarget, tmp_path: Path
) -> None:
    home = runner_home(tmp_path / "home", target)
    deployed = cli("deploy", cwd=home)
    assert deployed.returncode == 0, deployed.stderr
    # the home's store is the one deployed
    with target.open(deploy=False) as store, jobsmith.go("in-the-home", backend=store) as ctx:
        ctx.execute(lambda: None)
    shown = cli("runs", cwd=home)
    assert shown.returncode == 0, shown.stderr
    assert "in-the-home" in shown.stdout
    if target.dialect == "postgresql":
        assert not (home / ".jobsmith").exists()  # no stray SQLite file


@pytest.mark.parametrize("where", ["before", "after"])
def test_home_store_and_schema_options_before_or_after_the_command(
    target: StoreTarget, tmp_path: Path, where: str
) -> None:
    home = runner_home(tmp_path / "home", target)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert cli("--home", str(home), "deploy", cwd=elsewhere).returncode == 0
    with target.open(deploy=False) as store, jobsmith.go("optioned", backend=store) as ctx:
        ctx.execute(lambda: None)

    options = ["--home", str(home)]
    args = [*options, "runs"] if where == "before" else ["runs", *options]
    done = cli(*args, cwd=elsewhere)
    assert done.returncode == 0, done.stderr
    assert "optioned" in done.stdout

    options = ["--store", target.url, "--schema", target.schema]
    for command in (["runs"], ["runs", "show", "latest"]):
        args = [*options, *command] if where == "before" else [*command, *options]
        done = cli(*args, cwd=elsewhere)
        assert done.returncode == 0, f"{args}: {done.stderr}"
        assert "optioned" in done.stdout
    spelled = cli("runs", f"--schema={target.schema}", f"--store={target.url}", cwd=elsewhere)
    assert "optioned" in spelled.stdout, spelled.stderr


@pytest.mark.parametrize("where", ["before", "after"])
def test_worker_and_schedule_commands_take_the_global_home_before_or_after_their_name(
    target: StoreTarget, tmp_path: Path, where: str
) -> None:
    home = runner_home(tmp_path / "home", target)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert cli("--home", str(home), "deploy", cwd=elsewhere).returncode == 0

    def at_home(*command: str) -> list[str]:
        options = ["--home", str(home)]
        return [*options, *command] if where == "before" else [*command, *options]

    worked = cli(*at_home("worker", "--burst"), cwd=elsewhere)
    assert worked.returncode == 0, worked.stderr
    history = cli(*at_home("schedule", "history", "7"), cwd=elsewhere)
    assert history.returncode == 1
    assert f"there is no job 7 in {home / 'schedule.tsv'}" in history.stderr
    listed = cli(*at_home("schedule", "schedulers"), cwd=elsewhere)
    assert listed.returncode == 0, listed.stderr
    assert not (elsewhere / ".jobsmith").exists()  # the home's store, not one made here

    gone = cli("schedule", "next", "--home", str(tmp_path / "typo"), cwd=elsewhere)
    assert gone.returncode == 1
    assert f"error: --home {tmp_path / 'typo'}: no such folder" in gone.stderr
    assert not (tmp_path / "typo").exists()


def test_every_command_s_help_lists_the_store_and_configuration_options(tmp_path: Path) -> None:
    for command in (["worker"], ["schedule", "history"], ["runs"], ["run", "job"]):
        shown = cli(*command, "--help", cwd=tmp_path)
        assert shown.returncode == 0, shown.stderr
        assert "--home" in shown.stdout.split("Store and configuration")[1], command
        option_lines = [
            line for line in shown.stdout.splitlines() if line.strip().startswith("--home")
        ]
        assert len(option_lines) == 1, command  # one option, not a copy


def test_a_typo_in_the_home_s_config_ini_stops_the_command_with_its_line(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.ini").write_text("[SCHEDULER]\nname = x\ntimezon = UTC\n")
    done = cli("runs", "--home", str(home), cwd=tmp_path)
    assert done.returncode == 1
    assert (
        f"{home / 'config.ini'}:3: unknown key 'timezon' (did you mean 'timezone'?)" in done.stderr
    )


# -- values below the edge come from the settings, not the environment ------------------------
def test_clock_and_process_units_come_from_the_settings_not_from_code_below_the_edge(
    tmp_path: Path, sqlite_target: StoreTarget, monkeypatch: pytest.MonkeyPatch
) -> None:
    environ = {"JOBSMITH_CLOCK": "2019-01-01T07:59:55", "JOBMASTER_SYSTEM_PROCESS_UNITS": "300"}
    settings = resolve_settings(home=tmp_path, environ=environ)
    assert settings.clock().now().isoformat().startswith("2019-01-01T07:59:5")
    assert settings.system_process_units == 300
    assert resolve_settings(home=tmp_path, environ={}).system_process_units == 10_000
    bad = resolve_settings(home=tmp_path, environ={"JOBSMITH_CLOCK": "tomorrow"})
    with pytest.raises(jobsmith.ConfigError, match="JOBSMITH_CLOCK='tomorrow': expected an ISO"):
        bad.clock()

    monkeypatch.setenv("JOBSMITH_SYSTEM_PROCESS_UNITS", "12")
    monkeypatch.setenv("JOBSMITH_CLOCK", "2019-01-01T07:59:55")
    with sqlite_target.open() as store:
        assert jobsmith.Worker(store).system_units == 10_000  # below the edge: no environment
        master = jobsmith.JobMaster(db_engine=sqlite_target.url)  # an edge
        assert master.system_process_units == 12
    home = tmp_path / "home"
    home.mkdir()
    from jobsmith.schedule.home import Home

    assert Home.load(home).clock().now().year == 2019  # loaded at an edge: its settings'


# -- stores are closed by whoever opened them -----------------------------------------------
def test_go_keeps_one_open_store_per_url_and_leaves_a_given_one_open(
    sqlite_target: StoreTarget,
) -> None:
    from jobsmith.store.shared import shared_stores

    with jobsmith.go("opened-here", backend=sqlite_target.url) as first:
        first.execute(lambda: None)
    with jobsmith.go("again", backend=sqlite_target.url) as second:
        second.execute(lambda: None)
    assert second.store is first.store  # one store for the URL, not one per job
    with sqlite_target.open() as store:
        with jobsmith.go("given", backend=store) as ctx:
            ctx.execute(lambda: None)
        assert ctx.store is store
        assert [r.job_name for r in store.runs.recent(10)][:3] == ["given", "again", "opened-here"]
    with jobsmith.JobExecution("direct", backend=sqlite_target.url) as direct:
        direct.execute(lambda: None)
    assert direct.store.connector._threads._owned == {}  # type: ignore[attr-defined]
    shared_stores.close_all()  # what interpreter exit does
    assert first.store.connector._threads._owned == {}  # type: ignore[attr-defined]


def test_the_shared_stores_close_idle_ones_beyond_the_limit_never_a_lent_one(
    tmp_path: Path,
) -> None:
    from jobsmith.store.shared import SharedStores

    stores = SharedStores(max_idle=1)
    urls = [f"sqlite:///{tmp_path / f'{n}.db'}" for n in range(3)]
    lent = stores.acquire(urls[0])
    with stores.borrow(urls[1]) as second:
        second.runs.recent(1)
    with stores.borrow(urls[2]) as third:
        third.runs.recent(1)
    assert len(stores) == 2  # urls[0] (lent) and urls[2]; urls[1] was closed
    assert second.connector._threads._owned == {}  # type: ignore[attr-defined]
    lent.runs.recent(1)  # still open
    stores.release(lent)
    (tmp_path / "2.db").unlink()
    for suffix in ("-wal", "-shm"):
        (tmp_path / f"2.db{suffix}").unlink(missing_ok=True)
    with stores.borrow(urls[2]) as again:  # a deleted file is opened afresh
        assert again is not third and again.runs.recent(1) == []
    stores.close_all()
    assert len(stores) == 0


def test_go_s_store_is_closed_at_interpreter_exit(tmp_path: Path) -> None:
    script = f"""
import atexit

def after_jobsmith_s_exit_handlers():  # registered first, so it runs last
    from jobsmith.store.shared import shared_stores
    print("open:", len(shared_stores), len(ctx.store.connector._threads._owned))

atexit.register(after_jobsmith_s_exit_handlers)
import jobsmith

with jobsmith.go("at-exit", backend="sqlite:///{tmp_path / "exit.db"}") as ctx:
    ctx.execute(lambda: None)
print("during:", len(ctx.store.connector._threads._owned))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], env=clean_environ(), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["during:", "1", "open:", "0", "0"]


# -- graphs and flows without a store -------------------------------------------------------
class Boil(Job):
    def Check(self, *args: object, **kwargs: object) -> bool:
        return bool(self.storage.get("boiled"))

    def Run(self, *args: object, **kwargs: object) -> None:
        self.storage["boiled"] = True


class Noop(Task):
    def execute(self) -> int:
        return 1


def test_graph_and_flow_run_without_a_run_log_when_the_default_store_cannot_be_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("JOBSMITH_STORE", "JOBSMITH_HOME", "JOBSMITH_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / ".jobsmith").write_text("a file where the store's folder would go")
    caplog.set_level(logging.WARNING)

    graph = DoJobber()
    graph.configure(Boil)
    graph.checknrun()
    assert graph.success()
    run(LinearFlow("tea").add(Noop("noop")))
    warnings = [r.getMessage() for r in caplog.records if "run log off" in r.getMessage()]
    assert len(warnings) == 2, caplog.text


def test_a_graph_and_a_flow_borrow_the_settings_store_and_give_it_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jobsmith.store.shared import shared_stores

    url = f"sqlite:///{tmp_path / 'graphs.db'}"
    monkeypatch.setenv("JOBSMITH_STORE", url)
    graph = DoJobber()
    graph.configure(Boil)
    graph.checknrun()
    run(LinearFlow("tea").add(Noop("noop")))
    lent = [v for k, v in shared_stores._stores.items() if k[0] == url]
    assert [entry.users for entry in lent] == [0]  # one store for both runs, given back
    assert {r.job_name for r in lent[0].store.runs.recent(10)} >= {"tea"}


def test_a_configured_store_that_cannot_be_opened_is_still_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "blocker").write_text("")
    monkeypatch.setenv("JOBSMITH_STORE", f"sqlite:///{tmp_path / 'blocker' / 'x' / 'j.db'}")
    graph = DoJobber()
    graph.configure(Boil)
    with pytest.raises(Exception):  # noqa: B017 (whatever the database says)
        graph.checknrun()


def test_environments_with_home_shows_the_home_s_interpreters(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.ini").write_text("[ENVIRONMENT]\nmy_venv = /usr/bin/env\n")
    done = cli("environments", "--home", str(home), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "my_venv" in done.stdout


EVERY_COMMAND = [
    ["show"],
    ["show", "u.report"],
    ["post", "u.report", "day=mon"],
    ["runs"],
    ["list", "jobs"],
    ["cancel", "1"],
    ["retry", "1"],
    ["prune", "--older-than", "1d"],
    ["pause", "queue", "q"],
    ["resume", "queue", "q"],
    ["deploy"],
    ["environments"],
    ["edit", "schedule"],
    ["delete", "job", "x"],
    ["run", "job", "x"],
    ["schedule", "schedulers"],
    ["worker", "--burst"],
    ["scheduler"],
    ["dashboard"],
]


@pytest.mark.parametrize("how", ["before", "after", "variable"])
def test_every_command_refuses_a_home_that_is_not_a_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], how: str
) -> None:
    # `jobsmith --home /tmp/nonexist show` made /tmp/nonexist/.jobsmith/jobsmith.db and said
    # "The queue is empty."
    from jobsmith.cli import run_command

    missing = tmp_path / "nonexist"
    monkeypatch.chdir(tmp_path)
    for name in [k for k in os.environ if k.startswith("JOBSMITH_")]:
        monkeypatch.delenv(name)
    if how == "variable":
        monkeypatch.setenv("JOBSMITH_HOME", str(missing))
    named = "JOBSMITH_HOME=" if how == "variable" else "--home "
    for command in EVERY_COMMAND:
        options = [] if how == "variable" else ["--home", str(missing)]
        args = [*options, *command] if how == "before" else [*command, *options]
        assert run_command(args) == 1, command
        assert f"error: {named}{missing}: no such folder" in capsys.readouterr().err, command
    assert not missing.exists() and not (tmp_path / ".jobsmith").exists()
