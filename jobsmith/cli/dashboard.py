"""``jobsmith dashboard``: the web dashboard over the store every other command uses."""

from __future__ import annotations

import click

from jobsmith.cli import Context, cli, console, pass_context
from jobsmith.cli.queue import import_task_modules, modules_option
from jobsmith.errors import JobsmithError


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
@modules_option
@pass_context
def dashboard(
    ctx: Context,
    host: str,
    port: int,
    token: str | None,
    modules: tuple[str, ...],
) -> None:
    """Serve the web dashboard: runs, queue, workers, schedule, /api, /metrics.

    The store is chosen as for every command (``--store``, ``--home``, config,
    environment); with a home (``--home DIR``, ``JOBSMITH_HOME``, or run in a scheduler's
    folder) the schedule page shows its entries."""
    try:
        from jobsmith.dashboard import check_binding, create_app, serve
        from jobsmith.dashboard.schedule import ScheduleBoard
    except ImportError as exc:
        raise JobsmithError(
            f"the dashboard needs its extra: pip install 'jobsmith[dashboard]' ({exc})"
        ) from None
    check_binding(host, token)
    import_task_modules(ctx, modules)
    store = ctx.store()
    settings = ctx.settings
    board = None
    if settings.home_is_named or settings.ini_path is not None:
        board = ScheduleBoard(ctx.load_home(), store)
    from jobsmith.queue.registry import registry

    app = create_app(store, token=token, board=board, registry=registry)
    console.print(f"jobsmith dashboard on http://{host}:{port}/ ({store.connector.description})")
    serve(app, host, port, token)
