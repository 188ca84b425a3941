"""The ``jobsmith`` command: parse, build objects, call the core; nothing else.

Each concept adds its commands in a module of its own (``runs.py`` …) and is listed in
:data:`COMMAND_MODULES`.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
from dataclasses import dataclass, field
from typing import Any

import click
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape

from jobsmith.config import Config, load_config
from jobsmith.errors import JobsmithError
from jobsmith.store import Store, connector_for, open_store, resolve_url

COMMAND_MODULES = (
    "jobsmith.cli.runs",
    "jobsmith.cli.queue",
    "jobsmith.cli.controls",
    "jobsmith.cli.environments",
    "jobsmith.cli.schedule",
    "jobsmith.cli.runner",
)
"""Modules whose import adds commands to :func:`cli`."""

# Piped output (a file, CI logs) is not squeezed into 80 columns; COLUMNS still wins.
_PIPED_WIDTH = None if sys.stdout.isatty() or "COLUMNS" in os.environ else 120
console = Console(width=_PIPED_WIDTH)
err_console = Console(stderr=True, width=_PIPED_WIDTH)


@dataclass
class Context:
    """What every command gets: the options of the ``jobsmith`` group, opened lazily."""

    store_url: str | None = None
    schema: str | None = None
    config_path: str | None = None
    _config: Config | None = None
    _stores: dict[bool | None, Store] = field(default_factory=dict)

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(self.config_path)
        return self._config

    def store(self, deploy: bool | None = None) -> Store:
        """The store named by --store / JOBSMITH_STORE / the config / the default."""
        if deploy not in self._stores:
            self._stores[deploy] = open_store(
                self.store_url, self.schema, config=self.config, deploy=deploy
            )
        return self._stores[deploy]

    def unchecked_store(self) -> Store:
        """The store without checking its schema (for ``deploy``)."""
        url = resolve_url(self.store_url, self.config)
        schema = self.schema or self.config.schema
        return Store(connector_for(url, schema), url, schema)


pass_context = click.make_pass_decorator(Context)


class Group(click.Group):
    """Shows a jobsmith error as one clear line instead of a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except JobsmithError as exc:
            err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
            raise SystemExit(1) from None


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--store",
    "store_url",
    envvar="JOBSMITH_STORE",
    metavar="URL",
    help="Store URL: sqlite:///file.db or postgresql://… [env JOBSMITH_STORE]",
)
@click.option(
    "--schema",
    envvar="JOBSMITH_SCHEMA",
    metavar="NAME",
    help="PostgreSQL schema (default jobsmith) [env JOBSMITH_SCHEMA]",
)
@click.option(
    "--config",
    "config_path",
    envvar="JOBSMITH_CONFIG",
    metavar="FILE",
    type=click.Path(dir_okay=False),
    help="Config file (default ./jobsmith.yml)",
)
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.version_option(package_name="jobsmith")
@click.pass_context
def cli(
    ctx: click.Context,
    store_url: str | None,
    schema: str | None,
    config_path: str | None,
    verbose: int,
) -> None:
    """Run jobs written as Python code, and keep one log of every run."""
    level = logging.WARNING - 10 * min(verbose, 2) if verbose else logging.INFO
    logging.basicConfig(
        level=level,
        format="%(message)s",
        datefmt="[%X]",
        handlers=[RichHandler(console=err_console, show_path=False, markup=False)],
    )
    ctx.obj = Context(store_url, schema, config_path)


for _module in COMMAND_MODULES:
    importlib.import_module(_module)


def main() -> None:
    cli(prog_name="jobsmith")
