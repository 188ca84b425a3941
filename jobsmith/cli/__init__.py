"""The ``jobsmith`` command: parse, build objects, call the core; nothing else.

Each concept adds its commands in a module of its own (``runs.py`` …) and is listed in
:data:`COMMAND_MODULES`.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from jobsmith.config import Config
from jobsmith.errors import JobsmithError
from jobsmith.settings import HOME_VARIABLE, Settings, home_folder, resolve_settings
from jobsmith.store import Store, connector_for, open_store

if TYPE_CHECKING:
    from jobsmith.schedule.home import Home

COMMAND_MODULES = (
    "jobsmith.cli.runs",
    "jobsmith.cli.queue",
    "jobsmith.cli.controls",
    "jobsmith.cli.environments",
    "jobsmith.cli.schedule",
    "jobsmith.cli.runner",
    "jobsmith.cli.dashboard",
)
"""Modules whose import adds commands to :func:`cli`."""

PIPED_WIDTH = 100_000
"""The width of standard output when it is not a terminal (a pipe, a file): tables are
printed whole, one line per row, so `jobsmith list jobs | grep …` finds what it shows."""
RULE_WIDTH = 80
HELP_WIDTH = 76


class CliConsole(Console):
    """rich's console for the commands' output. With ``plain`` (``jobsmith --plain …``),
    a table is printed as tab-separated lines: a header line, then one line per row."""

    plain = False

    def print(self, *objects: Any, **options: Any) -> None:
        if self.plain and len(objects) == 1 and isinstance(objects[0], Table):
            self.file.write("".join(f"{line}\n" for line in tab_separated(objects[0])))
            return
        super().print(*objects, **options)

    def rule(self, title: Any = "", **options: Any) -> None:
        """A rule as wide as a terminal, also when the output is a pipe or a file."""
        if self.width <= RULE_WIDTH or self.is_terminal:
            super().rule(title, **options)
        else:
            self.print(Rule(title, **options), width=RULE_WIDTH)


def tab_separated(table: Table) -> list[str]:
    """A table as lines of tab-separated plain text (markup and styles dropped)."""

    def text(cell: object) -> str:
        plain = Text.from_markup(cell).plain if isinstance(cell, str) else str(cell)
        if isinstance(cell, Text):
            plain = cell.plain
        return " ".join(plain.split("\t")).replace("\n", " ")

    rows = [[text(column.header) for column in table.columns]]
    cells = [list(column.cells) for column in table.columns]
    rows += [[text(c[index]) for c in cells] for index in range(table.row_count)]
    return ["\t".join(row) for row in rows]


_piped = not sys.stdout.isatty() and "COLUMNS" not in os.environ  # COLUMNS still wins
console = CliConsole(width=PIPED_WIDTH if _piped else None)
err_console = Console(
    stderr=True, width=None if sys.stderr.isatty() or "COLUMNS" in os.environ else 120
)


@dataclass
class Context:
    """What every command gets: the options of the ``jobsmith`` group, resolved once into
    :class:`~jobsmith.settings.Settings` (the CLI is an edge); stores opened lazily and
    closed when the command ends."""

    store_url: str | None = None
    schema: str | None = None
    config_path: str | None = None
    home: str | None = None
    _settings: Settings | None = None
    _stores: dict[bool | str | None, Store] = field(default_factory=dict)
    _home: Home | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self.home_folder()  # a named home must exist
            self._settings = resolve_settings(
                store=self.store_url, schema=self.schema, config=self.config_path, home=self.home
            )
        return self._settings

    def home_folder(self, may_be_new: bool = False) -> Path:
        """The home (``--home`` before or after the command's name, ``JOBSMITH_HOME``, else
        here); one named that is not a folder is an error unless ``may_be_new`` (``create
        scheduler`` makes it)."""
        folder, named = home_folder(self.home)
        if named and not may_be_new and not folder.is_dir():
            where = f"--home {named}" if self.home else f"{HOME_VARIABLE}={named}"
            raise JobsmithError(f"{where}: no such folder")
        return folder

    @property
    def config(self) -> Config:
        return self.settings.config

    def store(self, deploy: bool | None = None) -> Store:
        """The store the settings name (--store, JOBSMITH_STORE, the home's config.ini,
        jobsmith.yml, else .jobsmith/jobsmith.db in the home)."""
        if deploy not in self._stores:
            settings = self.settings
            self._stores[deploy] = open_store(settings.store_url, settings.schema, deploy=deploy)
        return self._stores[deploy]

    def unchecked_store(self) -> Store:
        """The store without checking its schema (for ``deploy``)."""
        url, schema = self.settings.store_url, self.settings.schema
        store = Store(connector_for(url, schema), url, schema)
        self._stores["unchecked"] = store  # closed with the others
        return store

    def load_home(self) -> Home:
        """The home these settings name (a scheduler's folder: config.ini, schedule.tsv)."""
        if self._home is None:
            from jobsmith.schedule.home import Home

            self._home = Home.load(settings=self.settings)
        return self._home

    def close(self) -> None:
        """Close every store this command opened."""
        stores, self._stores = list(self._stores.values()), {}
        for store in stores:
            store.close()


pass_context = click.make_pass_decorator(Context)


GLOBAL_OPTIONS = ("--store", "--schema", "--config", "--home")
"""The options that choose the store and the configuration: accepted before or after the
command's name (``jobsmith --home DIR runs`` and ``jobsmith runs --home DIR``)."""


def hoist_global_options(args: list[str]) -> list[str]:
    """``args`` with :data:`GLOBAL_OPTIONS` (and their values) moved to the front, up to a
    ``--`` that ends the options."""
    front: list[str] = []
    rest: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--":
            rest += args[index:]
            break
        name = arg.split("=", 1)[0]
        if name in GLOBAL_OPTIONS:
            takes_next = "=" not in arg and index + 1 < len(args)
            front += args[index : index + 1 + takes_next]
            index += 1 + takes_next
            continue
        rest.append(arg)
        index += 1
    return front + rest


class Group(click.Group):
    """Shows a jobsmith error as one clear line instead of a traceback."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if ctx.parent is None:  # the jobsmith group itself
            args = hoist_global_options(args)
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except JobsmithError as exc:
            err_console.print(
                f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True
            )
            raise SystemExit(1) from None


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--store",
    "store_url",
    metavar="URL",
    help="Store URL: sqlite:///file.db or postgresql://… [env JOBSMITH_STORE]",
)
@click.option(
    "--schema",
    metavar="NAME",
    help="PostgreSQL schema (default jobsmith) [env JOBSMITH_SCHEMA]",
)
@click.option(
    "--config",
    "config_path",
    metavar="FILE",
    type=click.Path(dir_okay=False),
    help="Config file (default jobsmith.yml in the home) [env JOBSMITH_CONFIG]",
)
@click.option(
    "--home",
    "home",
    metavar="DIR",
    type=click.Path(file_okay=False),
    help="The home: its config.ini and jobsmith.yml choose the store and settings "
    "(default: here) [env JOBSMITH_HOME]",
)
@click.option(
    "--plain",
    is_flag=True,
    envvar="JOBSMITH_PLAIN",
    help="Print tables as tab-separated lines (a header, then a line per row) [env JOBSMITH_PLAIN]",
)
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.version_option(package_name="jobsmith")
@click.pass_context
def cli(
    ctx: click.Context,
    store_url: str | None,
    schema: str | None,
    config_path: str | None,
    plain: bool,
    home: str | None,
    verbose: int,
) -> None:
    """Run jobs written as Python code, and keep one log of every run."""
    console.plain = plain
    level = logging.WARNING - 10 * min(verbose, 2) if verbose else logging.INFO
    logging.basicConfig(
        level=level,
        format="%(message)s",
        datefmt="[%X]",
        handlers=[RichHandler(console=err_console, show_path=False, markup=False)],
    )
    ctx.obj = Context(store_url, schema, config_path, home)
    ctx.call_on_close(ctx.obj.close)


for _module in COMMAND_MODULES:
    importlib.import_module(_module)


def _global_options_help() -> str:
    """The epilog of every command's help: the options of :data:`GLOBAL_OPTIONS`, which
    are also accepted after the command's name."""
    context = click.Context(cli, info_name="jobsmith")
    records = [
        record
        for param in cli.params
        if any(name in GLOBAL_OPTIONS for name in getattr(param, "opts", ()))
        and (record := param.get_help_record(context)) is not None
    ]
    width = max(len(name) for name, _ in records) + 4
    lines = ["\b", "Store and configuration (here or before the command's name):"]
    for name, text in records:
        wrapped = textwrap.wrap(text, HELP_WIDTH - width) or [""]
        lines.append(f"  {name:<{width - 2}}{wrapped[0]}")
        lines += [" " * width + more for more in wrapped[1:]]
    return "\n".join(lines)


def _add_epilog(group: click.Group, epilog: str) -> None:
    for command in group.commands.values():
        command.epilog = f"{command.epilog}\n\n{epilog}" if command.epilog else epilog
        if isinstance(command, click.Group):
            _add_epilog(command, epilog)


_add_epilog(cli, _global_options_help())


def main() -> None:
    cli(prog_name="jobsmith")


def run_command(args: Sequence[str], prog_name: str = "jobsmith") -> int:
    """Run one ``jobsmith`` command in this process, as ``jobsmith ARGS…`` would, and
    return its exit status instead of exiting (for programs that embed the CLI, such as
    :class:`jobsmith.Manager`)."""
    try:
        cli.main(list(args), prog_name=prog_name, standalone_mode=False)
    except click.exceptions.Abort:
        console.print("[yellow]Request canceled.[/]")
        return 1
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    return 0
