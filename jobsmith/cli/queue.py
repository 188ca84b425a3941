"""``jobsmith post``, ``jobsmith worker``, ``jobsmith show``, ``jobsmith cancel``: the queue."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from jobsmith.cli import Context, cli, console, pass_context
from jobsmith.cli.runs import status_text, took, when
from jobsmith.errors import JobsmithError
from jobsmith.states import JobState

if TYPE_CHECKING:
    from jobsmith.store import Store

QUEUE_STYLE: dict[str, str] = {
    JobState.WAITING: "cyan",
    JobState.RUNNING: "yellow",
    JobState.PARKED: "magenta",
    JobState.COMPLETED: "green",
    JobState.FAILED: "bold red",
    JobState.CANCELLED: "dim red",
}
STATUSES = tuple(s.value for s in JobState)


modules_option = click.option(
    "-m",
    "--module",
    "modules",
    multiple=True,
    metavar="MODULE",
    help="Import a module that defines tasks or job plugins (repeatable; also `imports:`).",
)


def queue_status(status: str) -> str:
    style = QUEUE_STYLE.get(status)
    return f"[{style}]{status}[/]" if style else status


def import_task_modules(ctx: Context, modules: Sequence[str]) -> None:
    """Import the config's ``imports:`` and ``-m`` modules (the working directory first on
    the path, as ``python -m`` has it)."""
    from jobsmith.queue.plugins import import_modules

    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    import_modules([*ctx.config.imports, *modules])


# -- post ------------------------------------------------------------------------------------
@cli.command(
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
)
@modules_option
@click.argument("name")
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
@pass_context
def post(ctx: Context, modules: tuple[str, ...], name: str, args: tuple[str, ...]) -> None:
    """Queue a job: `post TYPE.TASK key=value … [--priority N]`, or run a job plugin
    (`post NAME --help` shows its own arguments)."""
    from jobsmith.queue.plugins import load_entry_points, plugins

    import_task_modules(ctx, modules)
    load_entry_points()
    if name in plugins:
        plugins[name](list(args))
        return
    if "." not in name:
        known = ", ".join(sorted(plugins)) or "none"
        raise JobsmithError(f"{name!r} is neither TYPE.TASK nor a job plugin (plugins: {known})")
    _post_task(ctx, name, list(args))


def _post_task(ctx: Context, name: str, args: list[str]) -> None:
    from jobsmith.queue.posting import post as post_job_of_task

    parser = argparse.ArgumentParser(prog=f"jobsmith post {name}", add_help=True)
    parser.add_argument("--priority", type=int, help="higher runs first (default: the task's)")
    parser.add_argument("--queue", help="the queue to post to (default: the task's)")
    parser.add_argument(
        "--allow-duplicate",
        action="store_true",
        help="queue it even when an identical job is active",
    )
    parser.add_argument(
        "--json", dest="json_arguments", metavar="OBJECT", help="the arguments as one JSON object"
    )
    parser.add_argument(
        "values",
        nargs="*",
        metavar="key=value",
        help="arguments (values read as JSON when they parse, else as text)",
    )
    if "-h" in args or "--help" in args:
        parser.epilog = _task_help(ctx, name)
        parser.formatter_class = argparse.RawDescriptionHelpFormatter
    options = parser.parse_args(args)
    arguments = json.loads(options.json_arguments) if options.json_arguments else {}
    arguments.update(_key_values(options.values))
    store = ctx.store()
    job = post_job_of_task(
        name,
        arguments,
        priority=options.priority,
        store=store,
        unique=False if options.allow_duplicate else None,
        queue=options.queue,
    )
    from jobsmith.queue.execute import shown_parameters

    shown = ", ".join(f"{k}={v}" for k, v in shown_parameters(job.arguments))
    if job.created:
        console.print(f"posted job [bold]{job.id}[/] {job.name} {shown} priority {job.priority}")
    else:
        console.print(
            f"job [bold]{job.id}[/] {job.name} {shown} is already {queue_status(job.status)}: "
            "not posted again (--allow-duplicate to post anyway)"
        )


def _key_values(items: Sequence[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key:
            raise JobsmithError(f"argument {item!r}: expected key=value")
        try:
            values[key] = json.loads(text)
        except ValueError:
            values[key] = text
    return values


def _task_help(ctx: Context, name: str) -> str:
    from jobsmith.queue.builtins import find_task, load_builtins
    from jobsmith.queue.registry import registry

    task = find_task(registry, name) or find_task(load_builtins(), name)
    if task is not None:
        lines = [
            f"{p.name}: {p.kind}"
            + ("" if p.required else f" = {p.default!r}")
            + (f" one of {list(p.choices)}" if p.choices else "")
            for p in task.arguments.parameters
        ]
        return (
            f"task {name}"
            + (f": {task.help}" if task.help else "")
            + "\narguments:\n  "
            + "\n  ".join(lines)
        )
    type_key, _, task_key = name.partition(".")
    definition = ctx.store().jobs.definition(type_key, task_key)
    if definition is None:
        return f"task {name} is not known here (import its module with -m)"
    lines = [
        f"{d['name']}: {d['kind']}"
        + ("" if d["required"] else f" = {d.get('default')!r}")
        + (f" one of {d['choices']}" if d.get("choices") else "")
        for d in definition["parameters"]
    ]
    return f"task {name}\narguments:\n  " + "\n  ".join(lines)


# -- worker ----------------------------------------------------------------------------------
@cli.command()
@modules_option
@click.option(
    "-c",
    "--concurrency",
    default=1,
    show_default=True,
    envvar="JOBSMITH_CONCURRENCY",
    help="Jobs run at once (threads).",
)
@click.option(
    "--process-units",
    type=int,
    envvar="JOBSMITH_SYSTEM_PROCESS_UNITS",
    help="This host's process units (default 10,000).",
)
@click.option(
    "-q",
    "--queue",
    "queues",
    multiple=True,
    metavar="QUEUE",
    help="Only jobs of this queue (repeatable).",
)
@click.option(
    "-t",
    "--task",
    "tasks",
    multiple=True,
    metavar="TYPE.TASK",
    help="Only jobs of this task (repeatable).",
)
@click.option(
    "--lease",
    default=30.0,
    show_default=True,
    envvar="JOBSMITH_LEASE",
    help="Seconds a claimed job is held without a heartbeat.",
)
@click.option(
    "--grace",
    default=30.0,
    show_default=True,
    help="Seconds running jobs may finish after SIGTERM before they are given back.",
)
@click.option(
    "--cancel-grace",
    default=3.0,
    show_default=True,
    help="Seconds a job asked to cancel may stop by itself before it is interrupted.",
)
@click.option(
    "--retention",
    metavar="AGE",
    envvar="JOBSMITH_RETENTION",
    help="Prune finished jobs and run-log rows older than AGE (30d, 12h …) every 5 minutes.",
)
@click.option("--burst", is_flag=True, help="Stop when no job this worker can run is waiting.")
@click.option(
    "--batch",
    default=200,
    show_default=True,
    help="Most jobs claimed at once (fewer when jobs are slow: about 20 ms of work).",
)
@click.option(
    "--home",
    "home_dir",
    metavar="DIR",
    type=click.Path(file_okay=False, exists=True),
    help="A scheduler's home on this machine: use its store, and run the jobs its "
    "scheduler posts (mode = post) from this folder.",
)
@pass_context
def worker(
    ctx: Context,
    modules: tuple[str, ...],
    concurrency: int,
    process_units: int | None,
    queues: tuple[str, ...],
    tasks: tuple[str, ...],
    lease: float,
    grace: float,
    cancel_grace: float,
    retention: str | None,
    burst: bool,
    batch: int,
    home_dir: str | None,
) -> None:
    """Run queued jobs until stopped (SIGTERM/Ctrl-C: finish running jobs, then exit)."""
    from jobsmith.queue.controls import parse_age
    from jobsmith.queue.worker import Worker

    import_task_modules(ctx, modules)
    store = ctx.store() if home_dir is None else _home_store(ctx, home_dir)
    options: dict[str, Any] = {
        "concurrency": concurrency,
        "system_units": process_units,
        "lease": lease,
        "grace": grace,
        "cancel_grace": cancel_grace,
        "retention": None if retention is None else parse_age(retention, "--retention"),
        "queues": queues or None,
        "tasks": tasks or None,
        "burst": burst,
        "max_batch": batch,
        "environment": ctx.config.environment,
    }
    if not burst:
        Worker(store, **options).run()
        return
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        bar = progress.add_task("jobs", total=store.jobs.waiting_count(queues or None, None))
        outcomes: list[int] = [0]

        def advance(done: Sequence[Any]) -> None:
            outcomes[0] += len(done)
            progress.update(
                bar, completed=outcomes[0], total=max(outcomes[0], progress.tasks[0].total or 0)
            )

        stats = Worker(store, on_progress=advance, **options).run()
    console.print(
        f"[green]{stats.completed} completed[/], [red]{stats.failed} failed[/], "
        f"{stats.retried} to retry, {stats.cancelled} cancelled, {stats.parked} parked"
        + (f"; {stats.note}" if stats.note else "")
    )


def _home_store(ctx: Context, home_dir: str) -> Store:
    """The store of a scheduler's home; its scheduled runs use this copy of the home."""
    from jobsmith.cli.schedule import home_store, load_home
    from jobsmith.schedule.home import HOME_VARIABLE

    home = load_home(home_dir)
    os.environ[HOME_VARIABLE] = str(home.folder)  # read by the jobsmith.scheduled_run task
    return home_store(ctx, home)


# -- show and cancel -------------------------------------------------------------------------
@cli.command()
@click.argument("what", required=False)
@click.option("--status", type=click.Choice(STATUSES), help="Only jobs with this status.")
@click.option("-n", "--limit", default=30, show_default=True, help="How many jobs to list.")
@pass_context
def show(ctx: Context, what: str | None, status: str | None, limit: int) -> None:
    """The queue: counts by task and status; `show TYPE.TASK` its jobs; `show ID` one job;
    `show limits` who holds each concurrency key's slots."""
    store = ctx.store()
    if what is None:
        _show_counts(store)
    elif what == "limits":
        from jobsmith.cli.controls import show_limits

        show_limits(store)
    elif what.isdigit():
        _show_job(store, int(what))
    else:
        type_key, dot, task_key = what.partition(".")
        if not dot:
            raise JobsmithError(f"{what!r}: expected a job id or TYPE.TASK")
        _show_task(store, type_key, task_key, status, limit)


def _show_counts(store: Any) -> None:
    counts: dict[str, dict[str, int]] = {}
    for type_key, task_key, status, n in store.jobs.counts():
        counts.setdefault(f"{type_key}.{task_key}", {})[status] = n
    for paused in store.controls.paused():
        console.print(f"[magenta]paused[/] {paused.kind} {paused.name} since {when(paused.since)}")
    if not counts:
        console.print("The queue is empty.")
        return
    table = Table(title="Jobs by task and status", title_justify="left")
    table.add_column("task")
    for status in STATUSES:
        table.add_column(queue_status(status), justify="right")
    for name in sorted(counts):
        table.add_row(name, *(str(counts[name].get(s, "")) for s in STATUSES))
    console.print(table)


def _show_task(store: Any, type_key: str, task_key: str, status: str | None, limit: int) -> None:
    from jobsmith.queue.execute import shown_parameters

    jobs = store.jobs.of_task(type_key, task_key, status, limit)
    if not jobs:
        console.print(
            f"No jobs of {type_key}.{task_key}" + (f" with status {status}." if status else ".")
        )
        return
    table = Table(title=f"Jobs of {type_key}.{task_key} (newest first)", title_justify="left")
    for column in (
        "id",
        "status",
        "priority",
        "arguments",
        "attempts",
        "created",
        "ended",
        "error",
    ):
        table.add_column(
            column, justify="right" if column in ("id", "priority", "attempts") else "left"
        )
    for job in jobs:
        table.add_row(
            str(job.id),
            queue_status(job.status),
            str(job.priority),
            ", ".join(f"{k}={v}" for k, v in shown_parameters(job.arguments)),
            str(job.attempts),
            when(job.created_at),
            when(job.ended_at),
            job.error or "",
        )
    console.print(table)


def _show_job(store: Any, job_id: int) -> None:
    from jobsmith.queue.execute import shown_parameters

    job = store.jobs.get(job_id)
    console.print(
        f"[bold]Job {job.id}[/] {job.name}: {queue_status(job.status)} · priority {job.priority} · "
        f"queue {job.queue} · {job.process_units} process unit(s)\n"
        f"created {when(job.created_at)} · started {when(job.started_at) or '-'} · "
        f"ended {when(job.ended_at) or '-'} · attempts {job.attempts}"
        + (f" ({job.lost} lost with their worker)" if job.lost else "")
    )
    if job.status == JobState.RUNNING:
        console.print(f"held by {job.worker} until {when(job.lease_until)}")
    unique_key = store.controls.unique_key(job_id)
    if unique_key is not None:
        console.print(f"unique key {unique_key!r}", highlight=False)
    if job.cancel_requested and job.status == "running":
        console.print("[red]cancel requested[/]: its worker is stopping it")
    if job.waiting_on:
        console.print(f"parked until dependency job {job.waiting_on} ends")
    if job.run_after and job.status == JobState.WAITING:
        console.print(f"runs again after {when(job.run_after)}")
    if job.error:
        console.print(f"[red]error:[/] {job.error}", highlight=False)
    arguments = Table(title="Arguments", title_justify="left")
    arguments.add_column("name")
    arguments.add_column("value")
    for name, value in shown_parameters(job.arguments):
        arguments.add_row(name, value)
    console.print(arguments)
    attempts = store.jobs.attempts(job_id)
    if attempts:
        table = Table(title="Attempts (the run log: `jobsmith runs show ID`)", title_justify="left")
        for column in ("run", "status", "host", "started", "took", "error"):
            table.add_column(column)
        for run in (store.runs.get(run_id) for run_id in attempts):
            table.add_row(
                str(run.id),
                status_text(run.status),
                run.host,
                when(run.started_at),
                took(run.duration),
                run.error or "",
            )
        console.print(table)


@cli.command()
@click.argument("job_id", type=int)
@pass_context
def cancel(ctx: Context, job_id: int) -> None:
    """Cancel a job: at once when it waits, else its worker stops it."""
    store = ctx.store()
    result = store.jobs.cancel(job_id)
    if result == "cancelled":
        console.print(f"job {job_id} cancelled")
    elif result == "requested":
        console.print(f"job {job_id} is running: its worker was asked to stop it")
    else:
        console.print(f"job {job_id} already ended ({queue_status(store.jobs.get(job_id).status)})")
