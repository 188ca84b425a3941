"""``jobsmith deploy`` and ``jobsmith runs``: the store's schema and the run log."""

from __future__ import annotations

from datetime import datetime, timedelta

import click
from rich.table import Table

from jobsmith.cli import Context, cli, console, pass_context
from jobsmith.errors import NotFoundError
from jobsmith.runlog import Status

STATUS_STYLE = {
    "Completed": "green",
    "Failed": "bold red",
    "Running": "yellow",
    "Skipped": "dim",
    "Reverted": "magenta",
    "Cancelled": "dim red",
}


RUN_STATUSES = tuple(
    value for name, value in vars(Status).items() if name.isupper() and isinstance(value, str)
)
"""The statuses of the run log, for ``--status``."""


def known_status(value: str | None) -> str | None:
    """``--status`` as the run log spells it (any case); an unknown one is an error."""
    if value is None:
        return None
    for status in RUN_STATUSES:
        if status.lower() == value.strip().lower():
            return status
    raise click.BadParameter(f"unknown status {value!r}: expected one of {', '.join(RUN_STATUSES)}")


def status_text(status: str) -> str:
    style = STATUS_STYLE.get(status)
    return f"[{style}]{status}[/]" if style else status


def when(moment: datetime | None) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def took(duration: timedelta | None) -> str:
    if duration is None:
        return ""
    seconds = duration.total_seconds()
    if seconds < 1:
        return f"{seconds * 1000:.1f} ms"
    if seconds < 120:
        return f"{seconds:.2f} s"
    return str(timedelta(seconds=round(seconds)))


@cli.command()
@click.option("--reset", is_flag=True, help="Drop everything in the store first (loses all data).")
@click.option("--yes", is_flag=True, help="Do not ask before --reset.")
@pass_context
def deploy(ctx: Context, reset: bool, yes: bool) -> None:
    """Create or upgrade the store's schema (safe to run again)."""
    store = ctx.unchecked_store()
    if reset and not yes:
        click.confirm(
            f"Drop every job, run and schedule in {store.connector.description}?", abort=True
        )
    applied = store.deploy(reset=reset)
    for migration in applied:
        console.print(f"applied migration {migration.version:04d}_{migration.name}")
    console.print(
        f"[green]store ready[/] at {store.connector.description}: schema version "
        f"{store.schema_version()}" + ("" if applied else " (already current)")
    )
    store.close()


@cli.group(invoke_without_command=True)
@click.option(
    "-n",
    "--limit",
    type=click.IntRange(min=1),
    default=20,
    show_default=True,
    help="How many runs to show.",
)
@click.option("--job", "job_name", metavar="NAME", help="Only runs of this job.")
@click.option(
    "--status",
    metavar="STATUS",
    callback=lambda ctx, param, value: known_status(value),
    help="Only runs with this status: " + ", ".join(RUN_STATUSES) + ".",
)
@click.pass_context
def runs(click_ctx: click.Context, limit: int, job_name: str | None, status: str | None) -> None:
    """Recent job runs, newest first; `runs show ID` for one run's tasks."""
    if click_ctx.invoked_subcommand is not None:
        return
    ctx: Context = click_ctx.obj
    records = ctx.store().runs.recent(limit, job_name=job_name, status=status)
    table = Table(title="Job runs", title_justify="left")
    for column in ("id", "job", "kind", "environment", "status", "started", "duration"):
        table.add_column(
            column,
            justify="right" if column in ("id", "duration") else "left",
            no_wrap=column in ("started", "duration", "status", "kind"),
        )
    for run in records:
        table.add_row(
            str(run.id),
            run.job_name,
            run.kind,
            run.environment,
            status_text(run.status),
            when(run.started_at),
            took(run.duration),
        )
    if records:
        console.print(table)
    else:
        console.print("No job runs yet.")


@runs.command("show")
@click.argument("run_id")
@pass_context
def show_run(ctx: Context, run_id: str) -> None:
    """One job run (by id, guid or `latest`): its task runs and the parameter values used."""
    store = ctx.store()
    if run_id == "latest":
        newest = store.runs.recent(1)
        if not newest:
            raise NotFoundError("the run log is empty")
        run = newest[0]
    else:
        run = store.runs.get(run_id)
    console.print(
        f"[bold]Job run {run.id}[/] {run.job_name} ({run.kind}) in {run.environment}: "
        f"{status_text(run.status)}\n"
        f"guid {run.guid} · by {run.executed_by} on {run.host} (pid {run.pid})\n"
        f"started {when(run.started_at)} · ended {when(run.ended_at) or '-'} · "
        f"took {took(run.duration) or '-'}"
    )
    if run.error:
        console.print(f"[red]error:[/] {run.error}", highlight=False)
    tasks = store.runs.tasks(run.id)
    table = Table(title="Task runs", title_justify="left")
    for column in ("#", "task", "kind", "status", "took", "error"):
        table.add_column(column, overflow="fold")
    values = Table(title="Parameter values", title_justify="left")
    for column in ("#", "task", "parameter", "value"):
        values.add_column(column, overflow="fold")
    for number, task in enumerate(tasks, 1):
        table.add_row(
            str(number),
            task.name,
            task.kind,
            status_text(task.status),
            took(task.duration),
            task.error or "",
        )
        for name, value in task.parameters:
            values.add_row(str(number), task.name, name, value or "")
    console.print(table if tasks else "No task runs.")
    if values.row_count:
        console.print(values)
    for number, task in enumerate(tasks, 1):
        if task.output:
            console.rule(f"output of #{number} {task.name}", align="left")
            console.print(task.output, highlight=False, markup=False)
