"""``jobsmith scheduler`` and ``jobsmith schedule …``: run the scheduler, look at its fires.

Commands work on a *home* (the folder with ``config.ini`` / ``schedule.tsv``): the working
directory, or ``--home DIR`` / ``JOBSMITH_HOME``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar

import click
from rich.markup import escape
from rich.table import Table

from jobsmith.cli import Context, cli, console, pass_context
from jobsmith.errors import NotFoundError, ScheduleError
from jobsmith.store import Store, utcnow

if TYPE_CHECKING:  # the scheduler's modules load only when a command runs
    from datetime import datetime, tzinfo

    from jobsmith.schedule.entries import Entry
    from jobsmith.schedule.home import Home
    from jobsmith.schedule.sources import ScheduleSource

F = TypeVar("F", bound=Callable[..., Any])

STATE_STYLE = {
    "ran": "green",
    "running": "yellow",
    "starting": "yellow",
    "queued": "cyan",
    "buffered": "cyan",
    "skipped": "magenta",
    "missed": "bold red",
    "interrupted": "bold red",
    "paused": "dim",
}


class HelpCommand(click.Command):
    """runner's ``COMMAND help``: a lone ``help`` argument shows the command's help."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args == ["help"]:
            click.echo(ctx.get_help())
            ctx.exit(0)
        return super().parse_args(ctx, args)


class HelpGroup(click.Group):
    """A group whose commands understand ``help`` too (``jobsmith run help``)."""

    command_class = HelpCommand

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args == ["help"]:
            click.echo(ctx.get_help())
            ctx.exit(0)
        return super().parse_args(ctx, args)


def say(text: str) -> None:
    """A manager message, as runner prints them."""
    console.print(f"[green]INFO:[/] {escape(text)}", highlight=False)


def load_home() -> Home:
    """The home of this command: ``--home DIR`` (before or after the command's name),
    ``JOBSMITH_HOME``, else the working directory."""
    context = click.get_current_context().find_object(Context)
    if context is None:  # called outside the jobsmith command
        from jobsmith.schedule.home import Home

        return Home.load()
    return context.load_home()


def home_store(ctx: Context, home: Home) -> Store:
    """The store the home names (``--store`` and ``--schema`` win); closed with the command."""
    return ctx.store()


def home_source(ctx: Context, home: Home) -> ScheduleSource:
    from jobsmith.schedule.sources import open_source

    store = home_store(ctx, home) if home.settings.source == "store" else None
    return open_source(home.settings.source, home.schedule_path, store, home.settings.name)


def timestamp(moment: datetime, tz: tzinfo) -> str:
    """A time as the scheduler's logs show it (``2019-01-01 08:00:00``) in ``tz``."""
    from jobsmith.schedule.logfile import timestamp as shown

    return shown(moment, tz)


def find_entry(source: ScheduleSource, home: Home, entry_id: str) -> Entry:
    if not entry_id.isdigit():
        raise ScheduleError(
            f"job id {entry_id!r}: expected a whole number (see `jobsmith list jobs`)"
        )
    for entry in source.read(home.settings.timezone):
        if entry.id == int(entry_id):
            return entry
    raise NotFoundError(f"there is no job {entry_id} in {source.description}")


@cli.command(cls=HelpCommand)
@click.option("--once", is_flag=True, help="Handle what is due now, wait for those runs, stop.")
@click.option("--stop-after", metavar="DURATION", help="Stop after this long (e.g. 90s, 2h).")
@pass_context
def scheduler(ctx: Context, once: bool, stop_after: str | None) -> None:
    """Run the scheduler of a home until Ctrl+C (each due job once, however many run)."""
    from jobsmith.schedule.expressions import parse_duration
    from jobsmith.schedule.scheduler import Scheduler

    home = load_home()
    clock = home.clock()
    runner = Scheduler(home, store=home_store(ctx, home), clock=clock)
    if once:
        runner.tick()
        runner.close()
        return
    until = clock.now() + timedelta(seconds=parse_duration(stop_after)) if stop_after else None
    runner.start(until)  # the same start-up and stop, with or without --stop-after


@cli.group(cls=HelpGroup)
def schedule() -> None:
    """A schedule's fires: history, pause and resume, backfill, next fires, schedulers."""


@schedule.command("history")
@click.argument("entry_id", metavar="ID")
@click.option(
    "-n",
    "--limit",
    type=click.IntRange(min=1),
    default=30,
    show_default=True,
    help="How many fires to show.",
)
@pass_context
def history(ctx: Context, entry_id: str, limit: int) -> None:
    """Every fire of one job, newest first: planned time, how it ended, its run."""
    home = load_home()
    entry = find_entry(home_source(ctx, home), home, entry_id)
    fires = home_store(ctx, home).schedules.history(home.settings.name, entry.id, limit)
    tz = home.settings.timezone
    table = Table(title=f"Fires of {entry.label}", title_justify="left")
    posted = any(fire.job_id for fire in fires)
    for column in (
        "planned",
        "kind",
        "outcome",
        "status",
        "run",
        *(["job"] if posted else []),
        "by",
        "note",
    ):
        table.add_column(column)
    for fire in fires:
        style = STATE_STYLE.get(fire.state)
        outcome = f"[{style}]{fire.state}[/]" if style else fire.state
        table.add_row(
            timestamp(fire.planned_at, tz),
            fire.kind,
            outcome,
            fire.status or "",
            "" if fire.run_id is None else str(fire.run_id),
            *([fire.job_id or ""] if posted else []),
            fire.claimed_by,
            escape(fire.note or ""),
        )
    if fires:
        console.print(table)
    else:
        console.print(f"{entry.label} has not fired yet.")


@schedule.command("pause")
@click.argument("entry_id", metavar="ID")
@pass_context
def pause(ctx: Context, entry_id: str) -> None:
    """Hold a job: its fires are recorded as paused until it is resumed."""
    home = load_home()
    entry = find_entry(home_source(ctx, home), home, entry_id)
    home_store(ctx, home).schedules.pause(home.settings.name, entry.id, _who(), utcnow())
    say(f"{entry.label} paused.")


@schedule.command("resume")
@click.argument("entry_id", metavar="ID")
@pass_context
def resume(ctx: Context, entry_id: str) -> None:
    """Let a paused job fire again (from its next planned time)."""
    home = load_home()
    entry = find_entry(home_source(ctx, home), home, entry_id)
    if home_store(ctx, home).schedules.resume(home.settings.name, entry.id):
        say(f"{entry.label} resumed.")
    else:
        say(f"{entry.label} was not paused.")


@schedule.command("next")
@click.argument("entry_id", metavar="ID", required=False)
@click.option(
    "-n",
    "--count",
    type=click.IntRange(min=1),
    default=5,
    show_default=True,
    help="How many fires.",
)
@pass_context
def next_fires(ctx: Context, entry_id: str | None, count: int) -> None:
    """The next fires of one job, or of every active job."""
    home = load_home()
    source = home_source(ctx, home)
    entries = (
        [find_entry(source, home, entry_id)]
        if entry_id
        else [e for e in source.read(home.settings.timezone) if e.active]
    )
    now = home.clock().now()
    table = Table(title="Next fires", title_justify="left")
    for column in ("when", "job", "schedule"):
        table.add_column(column)
    found = sorted(
        ((t, e) for e in entries for t in e.schedule.upcoming(now, count)), key=lambda p: p[0]
    )
    for moment, entry in found[: count if not entry_id else None]:
        table.add_row(
            timestamp(moment, home.settings.timezone), entry.label, entry.schedule.describe()
        )
    console.print(table)


@schedule.command("backfill")
@click.argument("entry_id", metavar="ID")
@click.argument("start", metavar="FROM")
@click.argument("end", metavar="TO")
@click.option("--yes", is_flag=True, help="Do not ask before running.")
@pass_context
def backfill(ctx: Context, entry_id: str, start: str, end: str, yes: bool) -> None:
    """Run a job for each of its planned times from FROM to TO (oldest first)."""
    from jobsmith.schedule.execute import EntryRunner
    from jobsmith.schedule.manual import backfill_times, parse_trigger, run_by_hand

    home = load_home()
    tz = home.settings.timezone
    entry = find_entry(home_source(ctx, home), home, entry_id)
    first, last = parse_trigger(start, tz), parse_trigger(end, tz)
    if first > last:
        raise ScheduleError(f"backfill: FROM {start} is after TO {end} (give the earlier first)")
    times = backfill_times(entry, first, last)
    if not times:
        say(f"{entry.label} has no planned time from {start} to {end}.")
        return
    say(
        f"Backfill of {entry.label}: {len(times)} runs, {timestamp(times[0], tz)} … {timestamp(times[-1], tz)}."
    )
    if not yes:
        click.confirm("ARE YOU SURE", abort=True)
    runner = EntryRunner(home, home_store(ctx, home), home.clock())
    failed = 0
    for moment in times:
        outcome = run_by_hand(runner, entry, moment, kind="backfill")
        failed += not outcome.ok
        say(f"{timestamp(moment, tz)}: {outcome.status} (run {outcome.run_id}, {outcome.log_path})")
    if failed:
        raise ScheduleError(f"{failed} of {len(times)} backfill runs failed")


@schedule.command("schedulers")
@pass_context
def schedulers(ctx: Context) -> None:
    """The schedulers of this schedule that are alive."""
    home = load_home()
    alive = home_store(ctx, home).schedules.live_instances(
        home.settings.name, utcnow() - timedelta(seconds=home.settings.dead_after)
    )
    table = Table(title=f"Schedulers of {home.settings.name!r}", title_justify="left")
    for column in ("id", "host", "pid", "started", "last heartbeat"):
        table.add_column(column)
    for item in alive:
        tz = home.settings.timezone
        table.add_row(
            item.id,
            item.host,
            str(item.pid),
            timestamp(item.started_at, tz),
            timestamp(item.heartbeat_at, tz),
        )
    console.print(table if alive else "No scheduler is running.")


@schedule.command("import")
@click.argument("path", metavar="FILE", type=click.Path(exists=True, dir_okay=False))
@pass_context
def import_schedule(ctx: Context, path: str) -> None:
    """Replace the schedule kept in the store with a schedule.tsv file."""
    from jobsmith.schedule.sources import StoreSource
    from jobsmith.schedule.tsv import ScheduleFile

    home = load_home()
    entries = ScheduleFile(path).read(home.settings.timezone)
    source = StoreSource(home_store(ctx, home), home.settings.name)
    source.replace([e.cells for e in entries])
    say(f"{len(entries)} jobs imported into {source.description}.")


def _who() -> str:
    from jobsmith.runlog import who_and_where

    user, host = who_and_where()
    return f"{user}@{host}"
