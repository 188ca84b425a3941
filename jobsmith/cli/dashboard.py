"""``jobsmith dashboard``: the web dashboard over the store every other command uses."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import click

from jobsmith.cli import Context, cli, console, pass_context
from jobsmith.cli.queue import import_task_modules, modules_option
from jobsmith.errors import JobsmithError
from jobsmith.store import Store, open_store

if TYPE_CHECKING:
    from jobsmith.schedule.home import Home


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--token",
    envvar="JOBSMITH_DASHBOARD_TOKEN",
    metavar="TOKEN",
    help="Every page and API call needs it (required beyond 127.0.0.1) "
    "[env JOBSMITH_DASHBOARD_TOKEN]",
)
@click.option(
    "--home",
    "home_dir",
    envvar="JOBSMITH_HOME",
    metavar="DIR",
    type=click.Path(file_okay=False),
    help="A scheduler's folder, for the schedule page [env JOBSMITH_HOME]",
)
@click.option("--store", "store_url", metavar="URL", help="Store URL (as `jobsmith --store`).")
@modules_option
@pass_context
def dashboard(
    ctx: Context,
    host: str,
    port: int,
    token: str | None,
    home_dir: str | None,
    store_url: str | None,
    modules: tuple[str, ...],
) -> None:
    """Serve the web dashboard: runs, queue, workers, schedule, /api, /metrics."""
    try:
        from jobsmith.dashboard import check_binding, create_app, serve
        from jobsmith.dashboard.schedule import ScheduleBoard
    except ImportError as exc:
        raise JobsmithError(
            f"the dashboard needs its extra: pip install 'jobsmith[dashboard]' ({exc})"
        ) from None
    check_binding(host, token)
    if store_url:
        ctx.store_url = store_url
    import_task_modules(ctx, modules)
    board = None
    if home_dir or os.environ.get("JOBSMITH_HOME"):
        from jobsmith.schedule.home import Home

        home = Home.load(home_dir)
        store = ctx.store() if ctx.store_url else _home_store(ctx, home)
        board = ScheduleBoard(home, store)
    else:
        store = ctx.store()
    from jobsmith.queue.registry import registry

    app = create_app(store, token=token, board=board, registry=registry)
    console.print(f"jobsmith dashboard on http://{host}:{port}/ ({store.connector.description})")
    serve(app, host, port, token)


def _home_store(ctx: Context, home: Home) -> Store:
    """The store the home names, as ``jobsmith schedule …`` opens it."""
    return open_store(home.store_url, ctx.schema or home.schema)
