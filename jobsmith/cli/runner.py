"""runner's commands on the ``jobsmith`` CLI (and in ``jobsmith.Manager``): create, list,
edit, run and delete, and ``help`` (:data:`RUNNER_HELP` lists them as runner did).
"""

from __future__ import annotations

import functools
import os
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.table import Table

from jobsmith.cli import Context, cli, console, pass_context
from jobsmith.cli.schedule import (
    HelpGroup,
    find_entry,
    home_source,
    home_store,
    load_home,
    say,
    timestamp,
)
from jobsmith.errors import ScheduleError

if TYPE_CHECKING:
    from jobsmith.schedule.home import Home

RUNNER_HELP = """
List of available commands:

create scheduler    Generate a scheduler with all elements.
create job          Generate a job with all elements.
list jobs           Show all jobs registered in the schedule.
edit schedule       Open the schedule file in the editor.

edit job            Open the job script in the editor.
run job             Execute the job by id with or without run time.
run jobs            Execute the jobs listed in the file.
delete job          Delete the job by id.

edit config         Open one of the configuration files in the editor.

scheduler           Start the scheduler.
schedule            Fires: history, pause, resume, backfill, next.

help                Show this message.

For more details type [command] help.
"""

LINE = "*" * 80


@cli.command("help")
def help_command() -> None:
    """Show runner's list of commands."""
    click.echo(RUNNER_HELP)


@cli.group(cls=HelpGroup)
def create() -> None:
    """Generate a scheduler or a job."""


@create.command("scheduler")
@click.option("--name", help="The scheduler's name [default: scheduler].")
@click.option("--description", help="Its description [default: Scheduler].")
@pass_context
def create_scheduler(ctx: Context, name: str | None, description: str | None) -> None:
    """Generate a scheduler with all elements (config.ini, scheduler.py, schedule.tsv, jobs/)."""
    from jobsmith.schedule.scaffold import create_scheduler as scaffold

    folder = ctx.home_folder(may_be_new=True)
    if name is None or description is None:
        click.echo("\nPlease follow the steps to create the scheduler.")
    name = (
        name
        if name is not None
        else click.prompt(
            "Enter the name or leave empty to use default", default="", show_default=False
        )
    )
    description = (
        description
        if description is not None
        else click.prompt(
            "Enter the description or leave empty to use default", default="", show_default=False
        )
    )
    click.echo(LINE)
    scaffold(folder, name or "scheduler", description or "Scheduler", say)


JOB_PROMPTS = [
    ("name", "Enter the name or leave empty to use default", ""),
    ("description", "Enter the short description", ""),
    ("environment", "Enter the environment or leave empty to use Python", "python"),
    ("month_day", "Enter the month day (1-31)", "*"),
    ("week_day", "Enter the week day (1-7)", "*"),
    ("hour", "Enter the hour (0-23)", "*"),
    ("minute", "Enter the minute (0-59)", "*"),
    ("second", "Enter the second (0-59)", "*"),
]


@create.command("job")
@click.option("--name")
@click.option("--description")
@click.option("--environment", help="An environment of [ENVIRONMENT] [default: python].")
@click.option("--month-day", help="1-31, *, /N, A-B or A,B,C")
@click.option("--week-day", help="1-7 (1 = Monday), *, /N, A-B or A,B,C")
@click.option("--hour", help="0-23 …")
@click.option("--minute", help="0-59 …")
@click.option("--second", help="0-59 …")
@click.option("--cron", help="A cron expression instead of the five fields.")
@click.option("--every", help="A fixed interval instead (90s, 5m, 1h …).")
@click.option("--parameters", default="", help="Arguments passed to the job's file.")
@click.option("--persons", default="", help="E-mail addresses that get the job's alarms.")
@click.option(
    "--file", "file_", default="", help="Schedule this existing file instead of generating one."
)
@click.option("--active/--inactive", default=None, help="Status Y or N (asked when not given).")
@click.option("--no-input", is_flag=True, help="Ask nothing: take defaults for what is not given.")
@pass_context
def create_job(
    ctx: Context,
    no_input: bool,
    active: bool | None,
    file_: str,
    **given: str | None,
) -> None:
    """Generate a job with all elements and add it to the schedule (as inactive unless --active)."""
    from jobsmith.schedule.scaffold import JobSpec
    from jobsmith.schedule.scaffold import create_job as scaffold

    home = load_home()
    values = {k: v for k, v in given.items() if v}
    timed = [f"--{k}" for k in ("cron", "every") if values.get(k)]
    fields = [f"--{k.replace('_', '-')}" for k in _TIMES if values.get(k)]
    if len(timed) > 1 or (timed and fields):
        raise ScheduleError(
            f"{' and '.join(timed + fields)}: give either --cron, --every or the five fields "
            "(--month-day, --week-day, --hour, --minute, --second), not several"
        )
    checks = _answer_checks(home, bool(file_))
    for key, value in {**values, "file": file_}.items():  # options are checked before asking
        if key in checks and value:
            _check_option(key, value, checks[key])
    asking = not no_input and any(values.get(k) is None for k, _, _ in JOB_PROMPTS)
    if asking:
        click.echo("\nFollow the instructions to create the job.\nInputs with * are mandatory.")
    for key, question, default in JOB_PROMPTS:
        if key not in values and not (timed and key in _TIMES):
            values[key] = (
                default
                if no_input
                else click.prompt(
                    question,
                    default=default,
                    show_default=False,
                    value_proc=_asking_again(checks.get(key), default),
                )
            )
    if active is None:
        active = (
            False
            if no_input
            else click.prompt(
                "Activate job (Y/N)? *", type=click.Choice(["Y", "N"], case_sensitive=False)
            ).upper()
            == "Y"
        )
    click.echo(LINE)
    spec = JobSpec(**{k: v for k, v in values.items() if v is not None}, active=active, file=file_)
    scaffold(home, home_source(ctx, home), spec, say, home_store(ctx, home))


Check = Callable[[str], object]


def _answer_checks(home: Home, own_file: bool) -> dict[str, Check]:
    """How each answer of ``create job`` is checked (each raises ScheduleError)."""
    from jobsmith.schedule.entries import parse_persons
    from jobsmith.schedule.expressions import Schedule, parse_duration
    from jobsmith.schedule.fields import parse_field
    from jobsmith.schedule.scaffold import check_environment, check_file, job_kind

    def name(text: str) -> None:
        if any(c in text for c in "/\\\0"):
            raise ScheduleError(f"{text!r}: expected a name without / or \\ (it names log files)")

    def environment(text: str) -> None:
        if own_file:
            check_environment(home, text or "python")
        else:
            job_kind(home, text or "python")

    checks: dict[str, Check] = {
        "name": name,
        "environment": environment,
        "cron": lambda text: Schedule.cron(text, tz=home.settings.timezone),
        "every": parse_duration,
        "persons": lambda text: parse_persons(text, ScheduleError),
        "file": lambda text: check_file(home, text),
    }
    for key in _TIMES:
        checks[key] = functools.partial(parse_field, key)
    return checks


def _check_option(key: str, value: str, check: Check) -> None:
    try:
        check(value)
    except (ScheduleError, ValueError) as exc:
        raise ScheduleError(f"--{key.replace('_', '-')} {value}: {exc}") from None


def _asking_again(check: Check | None, default: str) -> Callable[[str], str]:
    """A prompt's ``value_proc``: a wrong answer is shown and the question asked again."""

    def checked(text: str) -> str:
        text = text.strip()
        if check is not None:
            try:
                check(text or default)
            except (ScheduleError, ValueError) as exc:
                raise click.BadParameter(str(exc)) from None
        return text

    return checked


_TIMES = ("month_day", "week_day", "hour", "minute", "second")


@cli.group("list", cls=HelpGroup)
def list_group() -> None:
    """Show jobs."""


@list_group.command("jobs")
@click.argument("which", required=False, type=click.Choice(["active", "inactive"]))
@pass_context
def list_jobs(ctx: Context, which: str | None) -> None:
    """Show all jobs registered in the schedule (or only the active or inactive ones)."""
    home = load_home()
    entries = home_source(ctx, home).read(home.settings.timezone)
    if which:
        entries = [e for e in entries if e.active == (which == "active")]
    paused = set(home_store(ctx, home).schedules.paused(home.settings.name))
    from jobsmith.schedule.entries import COLUMNS

    extra = [c for c in ("CRON", "EVERY") if any(e.cells.get(c) for e in entries)]
    table = Table(show_lines=False)
    for column in (*COLUMNS, *extra, "NEXT"):
        table.add_column(column, overflow="fold")
    now = home.clock().now()
    for entry in entries:
        upcoming = entry.schedule.next_after(now) if entry.active else None
        next_text = (
            "paused"
            if entry.id in paused
            else (timestamp(upcoming, home.settings.timezone) if upcoming else "")
        )
        table.add_row(*(entry.cells.get(c, "") for c in (*COLUMNS, *extra)), next_text)
    console.print(table)


@cli.group(cls=HelpGroup)
def edit() -> None:
    """Open the schedule, a job's script or a configuration file in the editor."""


@edit.command("schedule")
@pass_context
def edit_schedule(ctx: Context) -> None:
    """Open the schedule file in the editor (a schedule kept in the store is edited as a file)."""
    home = load_home()
    if home.settings.source != "store":
        _open_editor(home, home.schedule_path)
        return
    _edit_store_schedule(ctx, home)


@edit.command("job")
@click.argument("entry_id", metavar="ID")
@pass_context
def edit_job(ctx: Context, entry_id: str) -> None:
    """Open the job script in the editor."""
    home = load_home()
    entry = find_entry(home_source(ctx, home), home, entry_id)
    file = home.path(entry.file)
    script = file.parent / "script.py"
    _open_editor(home, script if file.name == "job.py" and script.is_file() else file)


@edit.command("config")
@click.argument("what", required=False, type=click.Choice(["job"]))
@click.argument("entry_id", metavar="[ID]", required=False)
def edit_config(what: str | None, entry_id: str | None) -> None:
    """Open config.ini in the editor (`edit config job ID`: the job's own config.ini)."""
    home = load_home()
    path = home.jobs_folder / str(entry_id) / "config.ini" if what else home.ini_path
    if what and not entry_id:
        raise ScheduleError("edit config job ID: give the job's id")
    if not path.is_file():
        raise ScheduleError(f"{path}: no such configuration file")
    _open_editor(home, path)


@cli.group("run", cls=HelpGroup)
def run_group() -> None:
    """Execute a job now for a trigger time, or the jobs listed in a file."""


@run_group.command("job")
@click.argument("entry_id", metavar="ID")
@click.argument("trigger", nargs=-1)
@click.option("--yes", is_flag=True, help="Do not ask to confirm.")
@pass_context
def run_job(ctx: Context, entry_id: str, trigger: tuple[str, ...], yes: bool) -> None:
    """Execute the job by id with or without run time.

    TRIGGER is yyyy-mm-dd/hh24:mi:ss or yyyy-mm-dd (default: now).
    """
    from jobsmith.schedule.manual import parse_trigger

    home = load_home()
    moment = (
        parse_trigger("/".join(trigger), home.settings.timezone) if trigger else home.clock().now()
    )
    if not _run_one(ctx, home, entry_id, moment, yes):
        raise SystemExit(1)


@run_group.command("jobs")
@click.argument("path", metavar="FILE", type=click.Path(dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask to confirm each run.")
@pass_context
def run_jobs(ctx: Context, path: str, yes: bool) -> None:
    """Execute the jobs listed in the file: an id and a trigger per line."""
    from jobsmith.schedule.manual import read_run_file

    home = load_home()
    requests = read_run_file(Path(path), home.settings.timezone)
    source = home_source(ctx, home)
    for request in requests:  # every id is checked before anything runs
        try:
            find_entry(source, home, str(request.entry_id))
        except ScheduleError as exc:
            raise ScheduleError(f"{request.where}: {exc}") from None
    failed = 0
    for number, request in enumerate(requests):
        if number:
            click.echo(LINE)
        failed += not _run_one(ctx, home, str(request.entry_id), request.trigger, yes)
    if failed:
        raise ScheduleError(f"{failed} of {len(requests)} runs failed")


def _run_one(ctx: Context, home: Home, entry_id: str, moment: datetime, yes: bool) -> bool:
    """runner's confirmation block, then the run with its output shown; True if it passed."""
    from jobsmith.schedule.execute import EntryRunner, trigger_text
    from jobsmith.schedule.manual import run_by_hand

    entry = find_entry(home_source(ctx, home), home, entry_id)
    say("REQUEST TO RUN THE JOB.")
    say(f"ID: {entry.id}.")
    say(f"NAME: {entry.name}.")
    say(f"DESCRIPTION: {entry.description}.")
    say(f"TRIGGER: {trigger_text(moment, home)}.")
    if not yes and not click.confirm("ARE YOU SURE Y/N?", default=False):
        say("Request canceled.")
        return True
    runner = EntryRunner(home, home_store(ctx, home), home.clock())
    outcome = run_by_hand(runner, entry, moment, echo=lambda line: click.echo(line))
    if outcome.ok:
        say("DONE.")
    else:
        console.print(
            f"[bold red]ERROR:[/] {entry.label} failed ({outcome.error}); see {outcome.log_path}",
            highlight=False,
        )
    return outcome.ok


@cli.group("delete", cls=HelpGroup)
def delete_group() -> None:
    """Delete a job."""


@delete_group.command("job")
@click.argument("entry_id", metavar="ID")
@click.option("--yes", is_flag=True, help="Do not ask to confirm.")
@pass_context
def delete_job(ctx: Context, entry_id: str, yes: bool) -> None:
    """Delete the job by id: its line in the schedule and its generated folder."""
    from jobsmith.schedule.scaffold import delete_job as scaffold

    home = load_home()
    source = home_source(ctx, home)
    entry = find_entry(source, home, entry_id)
    console.print("[yellow]WARNING:[/] THESE CHANGES CANNOT BE UNDONE!")
    say(f"Name: {entry.name}.")
    say(f"Description: {entry.description}.")
    if not yes and not click.confirm("ARE YOU SURE Y/N?", default=False):
        say("Request canceled.")
        return
    scaffold(home, source, entry.id, say, home_store(ctx, home))
    say("Done!")


def _open_editor(home: Home, path: Path) -> None:
    editor = home.settings.editor or os.environ.get("VISUAL") or os.environ.get("EDITOR")
    editor = editor or next((e for e in ("nano", "vi", "notepad") if shutil.which(e)), None)
    if editor is None:
        raise ScheduleError("no editor: set [MANAGER] editor in config.ini or $EDITOR")
    say(f"Editing {path}...")
    subprocess.run([*shlex.split(editor), str(path)], check=False)
    say("Done!")


def _edit_store_schedule(ctx: Context, home: Home) -> None:
    """Edit a schedule kept in the store as a schedule.tsv; a broken edit changes nothing
    in the store and is kept in a file of the home, to be fixed and imported."""
    from jobsmith.schedule.sources import StoreSource
    from jobsmith.schedule.tsv import ScheduleFile

    source = home_source(ctx, home)
    assert isinstance(source, StoreSource)
    with tempfile.TemporaryDirectory(prefix="jobsmith-schedule-") as folder:
        file = ScheduleFile(Path(folder) / "schedule.tsv")
        file.create()
        for entry in source.read(home.settings.timezone):
            file.add(entry.cells)
        _open_editor(home, file.path)
        try:
            entries = file.read(home.settings.timezone)
        except ScheduleError as exc:
            kept = _keep_rejected_edit(home, file.path)
            raise ScheduleError(
                f"{str(exc).replace(str(file.path), str(kept))}; nothing was saved to "
                f"{source.description}. Your edit is kept in {kept}: fix it and load it with "
                f"`jobsmith schedule import {kept}`"
            ) from None
        source.replace([e.cells for e in entries])
    say(f"{len(entries)} jobs saved to {source.description}.")


def _keep_rejected_edit(home: Home, edited: Path) -> Path:
    """Copy a schedule edit the store refused to ``schedule.rejected.tsv`` (``_2`` … when
    an earlier one is still there) in the home."""
    for number in range(1, 1000):
        kept = home.folder / f"schedule.rejected{'' if number == 1 else f'_{number}'}.tsv"
        if not kept.exists():
            shutil.copyfile(edited, kept)
            return kept
    raise ScheduleError(f"{home.folder}: too many schedule.rejected_N.tsv files; remove some")
