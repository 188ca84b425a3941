"""``jobsmith environments``: which program each interpreter name runs on this machine."""

from __future__ import annotations

import os
import shlex

import click
from rich.table import Table

from jobsmith.cli import Context, cli, console, pass_context
from jobsmith.environments import Environments
from jobsmith.errors import InterpreterNotFoundError


@cli.command("environments")
@click.option("--path", "extra", multiple=True, metavar="FOLDER", help="Also search FOLDER.")
@pass_context
def environments_command(ctx: Context, extra: tuple[str, ...]) -> None:
    """Interpreters by name (environments: in jobsmith.yml, then defaults) and where each
    is found on the PATH jobs get (with path: from jobsmith.yml)."""
    config = ctx.config
    environments = (  # a named home adds its config.ini's [ENVIRONMENT]
        ctx.load_home().environments
        if ctx.settings.home_is_named
        else Environments.from_config(config)
    )
    path = os.pathsep.join([os.environ.get("PATH", ""), *config.paths, *extra])
    table = Table(title="Environments", title_justify="left")
    for column in ("name", "command", "runs", "from"):
        table.add_column(column, overflow="fold")
    missing = 0
    for name in environments.names():
        environment = environments.get(name)
        configured = " | ".join(shlex.join(c) for c in environment.candidates)
        try:
            runs = shlex.join(environment.resolve(path))
        except InterpreterNotFoundError:
            runs, missing = "[red]not found[/]", missing + 1
        table.add_row(name, configured, runs, environment.source)
    console.print(table)
    if missing:
        console.print(
            f"{missing} not found: set them under environments: in jobsmith.yml, "
            "or add their folders to path:"
        )
