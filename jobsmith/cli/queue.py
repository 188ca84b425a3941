"""``jobsmith post``, ``jobsmith worker``, ``jobsmith show``, ``jobsmith cancel``: the queue."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from jobsmith.cli import Context, cli, console, pass_context
from jobsmith.cli.runs import status_text, took, when
from jobsmith.config import closest
from jobsmith.errors import JobsmithError
from jobsmith.settings import PROCESS_UNITS_VARIABLES, parse_process_units
from jobsmith.states import JobState

if TYPE_CHECKING:
    pass

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
    the path, as ``python -m`` has it; the ``flows:`` folder too, for flow factories)."""
    from jobsmith.queue.plugins import import_modules

    for folder in (flows_folder(ctx), os.getcwd()):
        if folder not in sys.path:
            sys.path.insert(0, folder)
    import_modules([*ctx.config.imports, *modules])


def flows_folder(ctx: Context) -> str:
    """The folder whose ``flows/*/*/*.py`` hold job plugins: ``flows:`` in jobsmith.yml
    (relative to the file), else the working folder."""
    configured = ctx.config.sections.get("flows")
    if configured is None:
        return os.getcwd()
    if not isinstance(configured, str):
        where = ctx.config.path or "jobsmith.yml"
        raise JobsmithError(f"{where}: flows: expected a folder name, not {configured!r}")
    base = ctx.config.path.parent if ctx.config.path else Path.cwd()
    return str((base / configured).resolve())


def load_plugins(ctx: Context, modules: Sequence[str]) -> None:
    """Import every source of job plugins: modules, ``flows/*/*/*.py``, entry points."""
    from jobsmith.queue.plugins import import_flow_plugins, load_entry_points

    import_task_modules(ctx, modules)
    import_flow_plugins(flows_folder(ctx))
    load_entry_points()


class PostCommand(click.Command):
    """``post``, whose ``--help`` ends with the list of job plugins."""

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        from jobsmith.queue.plugins import one_line_help, plugins

        obj = ctx.find_object(Context)
        if obj is not None:
            load_plugins(obj, ctx.params.get("modules") or ())
        with formatter.section("Registered jobs (post NAME --help for their arguments)"):
            if plugins:
                formatter.write_dl([(n, one_line_help(plugins[n])) for n in sorted(plugins)])
            else:
                formatter.write_text("none found (flows/*/*/*.py, imports:, -m, entry points)")
        super().format_epilog(ctx, formatter)


# -- post ------------------------------------------------------------------------------------
@cli.command(
    cls=PostCommand,
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
)
@modules_option
@click.argument("name")
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
@pass_context
def post(ctx: Context, modules: tuple[str, ...], name: str, args: tuple[str, ...]) -> None:
    """Queue a job: `post TYPE.TASK key=value … [--priority N]`, or run a job plugin
    (`post NAME --help` shows its own arguments)."""
    from jobsmith.queue.plugins import plugins

    load_plugins(ctx, modules)
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
    arguments = _json_object(options.json_arguments) if options.json_arguments else {}
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
    elif (key := store.controls.unique_key(job.id)) is not None:
        # A unique key holds whatever the arguments: --allow-duplicate does not post past it.
        console.print(
            f"job [bold]{job.id}[/] {job.name} {shown} holds the unique key {key!r} "
            f"({queue_status(job.status)}): not posted again"
        )
    else:
        console.print(
            f"job [bold]{job.id}[/] {job.name} {shown} is already {queue_status(job.status)}: "
            "not posted again (--allow-duplicate to post anyway)"
        )
    _say_if_paused(store, job.id, job.name)


def _say_if_paused(store: Any, job_id: int, name: str) -> None:
    """A job of a paused task or queue waits until `resume`: say so, or a new user waits
    for workers that will not take it."""
    paused = store.controls.paused()
    if not paused:
        return
    held = {("task", name), ("queue", store.jobs.get(job_id).queue)}
    for found in paused:
        if (found.kind, found.name) in held:
            console.print(
                f"[magenta]{found.kind} {found.name} is paused[/]: workers take the job after "
                f"`jobsmith resume {found.kind} {found.name}`"
            )


JSON_KINDS = {
    list: "list",
    str: "text",
    int: "number",
    float: "number",
    bool: "true/false",
    type(None): "null",
}


def _json_object(text: str) -> dict[str, Any]:
    try:
        found = json.loads(text)
    except ValueError as exc:
        raise JobsmithError(f"--json {text!r} is not JSON: {exc}") from None
    if not isinstance(found, dict):
        kind = JSON_KINDS.get(type(found), type(found).__name__)
        raise JobsmithError(
            f"--json {text!r} is a JSON {kind}, expected an object of "
            'arguments such as \'{"name": "value"}\''
        )
    return found


def _key_values(items: Sequence[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    given: dict[str, str] = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key:
            raise JobsmithError(f"argument {item!r}: expected key=value")
        if key in given:
            raise JobsmithError(f"argument {key!r} is given twice ({given[key]}, {item})")
        given[key] = item
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


def _process_units(text: str | None, ctx: Context) -> int:
    """``--process-units`` (or ``JOBSMITH_SYSTEM_PROCESS_UNITS``), else the settings'
    (``JOBMASTER_SYSTEM_PROCESS_UNITS``, else 10,000)."""
    if text is None:
        return ctx.settings.system_process_units
    source = click.get_current_context().get_parameter_source("process_units")
    from_env = source is click.core.ParameterSource.ENVIRONMENT
    return parse_process_units(text, PROCESS_UNITS_VARIABLES[0] if from_env else "--process-units")


# -- worker ----------------------------------------------------------------------------------
@cli.command()
@modules_option
@click.option(
    "-c",
    "--concurrency",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    envvar="JOBSMITH_CONCURRENCY",
    help="Jobs run at once (threads).",
)
@click.option(
    "--process-units",
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
    type=click.FloatRange(min=1),
    default=30.0,
    show_default=True,
    envvar="JOBSMITH_LEASE",
    help="Seconds a claimed job is held without a heartbeat.",
)
@click.option(
    "--grace",
    type=click.FloatRange(min=0),
    default=30.0,
    show_default=True,
    help="Seconds running jobs may finish after SIGTERM before they are given back.",
)
@click.option(
    "--cancel-grace",
    type=click.FloatRange(min=0),
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
    type=click.IntRange(min=1),
    default=200,
    show_default=True,
    help="Most jobs claimed at once (fewer when jobs are slow: about 20 ms of work).",
)
@pass_context
def worker(
    ctx: Context,
    modules: tuple[str, ...],
    concurrency: int,
    process_units: str | None,
    queues: tuple[str, ...],
    tasks: tuple[str, ...],
    lease: float,
    grace: float,
    cancel_grace: float,
    retention: str | None,
    burst: bool,
    batch: int,
) -> None:
    """Run queued jobs until stopped (SIGTERM/Ctrl-C: finish running jobs, then exit).

    With --home DIR (a scheduler's home on this machine), use its store and run the jobs
    its scheduler posts (mode = post) from this folder."""
    from jobsmith.queue.controls import parse_age
    from jobsmith.queue.worker import Worker

    kept = None if retention is None else parse_age(retention, "--retention")  # before the store
    import_task_modules(ctx, modules)
    store = ctx.store()  # --home (before or after `worker`) names the home and its store
    serves: str | None = None
    if ctx.settings.home_is_named:
        from jobsmith.schedule.queued import serve_home

        home = ctx.load_home()
        serve_home(home)  # its scheduler's posted runs use this copy of the home
        if home.settings.mode == "post":
            serves = f"the posted runs of scheduler {home.settings.name!r} and flow jobs"
    elif modules:  # e.g. a module of flows (run by the built-in flow task), no @task of its own
        serves = f"flow jobs and the other built-in tasks (no @task in {', '.join(modules)})"
    options: dict[str, Any] = {
        "concurrency": concurrency,
        "system_units": _process_units(process_units, ctx),
        "lease": lease,
        "grace": grace,
        "cancel_grace": cancel_grace,
        "retention": kept,
        "queues": queues or None,
        "tasks": tasks or None,
        "burst": burst,
        "max_batch": batch,
        "environment": ctx.config.environment,
        "serves": serves,
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
        outcomes: list[int] = [0]

        def advance(done: Sequence[Any]) -> None:
            outcomes[0] += len(done)
            progress.update(
                bar, completed=outcomes[0], total=max(outcomes[0], progress.tasks[0].total or 0)
            )

        worker = Worker(store, on_progress=advance, **options)
        # the jobs of the queues and tasks it serves (-q, -t, the imported tasks), no others
        bar = progress.add_task("jobs", total=store.jobs.waiting_count(worker.queues, worker.tasks))
        stats = worker.run()
    console.print(
        f"[green]{stats.completed} completed[/], [red]{stats.failed} failed[/], "
        f"{stats.retried} to retry, {stats.cancelled} cancelled, {stats.parked} parked"
        + (f"; {stats.note}" if stats.note else "")
    )


# -- show and cancel -------------------------------------------------------------------------
@cli.command()
@click.argument("what", required=False)
@click.option("--status", type=click.Choice(STATUSES), help="Only jobs with this status.")
@click.option(
    "-n",
    "--limit",
    type=click.IntRange(min=1),
    default=30,
    show_default=True,
    help="How many jobs to list.",
)
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
            hint = closest(what, ["limits"])  # `show limit`
            raise JobsmithError(f"{what!r}: expected a job id, TYPE.TASK or limits{hint}")
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
    _show_running_flows(store)


def _show_running_flows(store: Any) -> None:
    """Running flow jobs with their flow's name and the task running now (jobrunner's
    ``show``)."""
    from jobsmith.queue.flows import flow_state_id

    jobs = store.jobs.of_task("jobsmith", "flow", "running", 100)
    states = store.flows.many([flow_state_id(job.id) for job in jobs])
    if not states:
        return
    table = Table(title="Running flows", title_justify="left")
    for column in ("job", "flow", "state", "task", "worker"):
        table.add_column(column)
    for job in jobs:
        state = states.get(flow_state_id(job.id))
        if state is not None:
            table.add_row(str(job.id), state.name, state.status, state.current or "", job.worker)
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
    if (job.type_key, job.task_key) == ("jobsmith", "flow"):
        _show_flow_state(store, job.id)
    unique_key = store.controls.unique_key(job_id)
    if unique_key is not None:
        console.print(f"unique key {unique_key!r}", highlight=False)
    if job.limit_key is not None:
        most = f", at most {job.max_running} running" if job.max_running else ""
        console.print(
            f"limit key {job.limit_key!r}{most} (`jobsmith show limits`)", highlight=False
        )
    if job.cancel_requested and job.status == "running":
        console.print("[red]cancel requested[/]: its worker is stopping it")
    if job.parent_id is not None:
        console.print(f"posted by job {job.parent_id} (ctx.post)")
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


def _show_flow_state(store: Any, job_id: int) -> None:
    from jobsmith.queue.flows import flow_state_id

    state = store.flows.get(flow_state_id(job_id))
    if state is None:
        return
    console.print(
        f"flow [bold]{state.name}[/]: {state.status}"
        + (f" · task [bold]{state.current}[/]" if state.current else ""),
        highlight=False,
    )
    table = Table(title="Flow tasks", title_justify="left")
    for column in ("task", "state", "executions"):
        table.add_column(column)
    for task in store.flows.tasks(flow_state_id(job_id)):
        table.add_row(task.name, task.state, str(task.attempt))
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
