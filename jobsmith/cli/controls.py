"""``jobsmith retry``, ``prune``, ``pause``, ``resume`` and ``show limits``: the queue's
controls (see docs/queue.md, "Controls")."""

from __future__ import annotations

from typing import Any

import click
from rich.table import Table

from jobsmith.cli import Context, cli, console, err_console, pass_context
from jobsmith.cli.queue import import_task_modules, modules_option, queue_status
from jobsmith.cli.runs import when
from jobsmith.config import closest


def show_limits(store: Any) -> None:
    """The concurrency keys: who holds each slot, since when, and how many jobs wait."""
    slots = store.controls.slots()
    waiting = store.controls.waiting_by_key()
    if not slots and not waiting:
        console.print("No job of a limited task is running or waiting.")
        return
    table = Table(title="Concurrency keys: who holds each slot", title_justify="left")
    for column in ("key", "slot", "job", "task", "worker", "since", "lease until", "waiting"):
        table.add_column(column)
    held: dict[str, int] = {}
    for slot in slots:
        held[slot.limit_key] = held.get(slot.limit_key, 0) + 1
        table.add_row(
            slot.limit_key,
            f"{held[slot.limit_key]}/{slot.max_running or '-'}",
            str(slot.job_id),
            slot.name,
            slot.worker or "",
            when(slot.since),
            when(slot.lease_until),
            str(waiting.get(slot.limit_key, "")),
        )
    for key in sorted(set(waiting) - set(held)):
        table.add_row(key, "-", "", "", "", "", "", str(waiting[key]))
    console.print(table)


@cli.command()
@click.argument("job_id", type=int)
@pass_context
def retry(ctx: Context, job_id: int) -> None:
    """Run a failed or cancelled job again (a new attempt; its history stays)."""
    from jobsmith.queue.controls import retry_job

    status = retry_job(ctx.store(), job_id)
    console.print(f"job {job_id} {queue_status(status)} again")


@cli.command()
@modules_option
@click.option(
    "--older-than", "older_than", required=True, metavar="AGE", help="30d, 12h, 90m, 45s, 2w."
)
@click.option("--batch", default=500, show_default=True, help="Rows deleted per transaction.")
@pass_context
def prune(ctx: Context, modules: tuple[str, ...], older_than: str, batch: int) -> None:
    """Delete finished jobs and run-log rows older than AGE (completed jobs a registered
    dependency still counts as fresh are kept: import their tasks with -m)."""
    from jobsmith.queue.controls import parse_age
    from jobsmith.queue.controls import prune as prune_store

    age = parse_age(older_than)  # a bad age is refused before the store is opened
    import_task_modules(ctx, modules)
    found = prune_store(ctx.store(), age, batch=batch)
    console.print(f"pruned {found.jobs} finished job(s) and {found.runs} run-log job run(s)")


@cli.command()
@click.argument("kind", type=click.Choice(["queue", "task"]))
@click.argument("name")
@pass_context
def pause(ctx: Context, kind: str, name: str) -> None:
    """Pause a queue or a task (`pause queue Q`, `pause task TYPE.TASK`): workers claim
    none of its jobs until `resume`; running jobs finish, waiting ones stay. Workers read
    the paused set at most once a second, so a pause (and a resume) takes effect within
    that second."""
    from jobsmith.queue.pauses import REFRESH

    store = ctx.store()
    done = store.controls.pause(kind, name)
    seen = f" (workers see it within {REFRESH:g}s; running jobs finish)"
    console.print(f"{kind} {name} " + ("paused" + seen if done else "was paused already"))
    known = _known_names(store, kind)
    if name not in known:  # a typo pauses nothing that exists: say so (it stays paused)
        err_console.print(
            f"warning: no {kind} {name!r} has jobs or published tasks in this store"
            f"{closest(name, known)}; paused anyway",
            soft_wrap=True,
        )


def _known_names(store: Any, kind: str) -> list[str]:
    """The queues, or TYPE.TASK names, of published tasks and of jobs in the store."""
    if kind == "queue":
        return store.controls.queue_names()
    names = {f"{d['type_key']}.{d['task_key']}" for d in store.jobs.definitions()}
    names.update(f"{type_key}.{task_key}" for type_key, task_key, _, _ in store.jobs.counts())
    return sorted(names)


@cli.command()
@click.argument("kind", type=click.Choice(["queue", "task"]))
@click.argument("name")
@pass_context
def resume(ctx: Context, kind: str, name: str) -> None:
    """Resume a paused queue or task (`resume queue Q`, `resume task TYPE.TASK`); workers
    see it within a second."""
    done = ctx.store().controls.resume(kind, name)
    console.print(f"{kind} {name} " + ("resumed" if done else "was not paused"))
