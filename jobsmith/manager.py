"""runner's ``Manager``: a ``manager.py`` holding ``jobsmith.Manager()`` is a CLI for its folder.

::

    # /srv/runner/manager.py
    import jobsmith

    manager = jobsmith.Manager()

    $ python manager.py create scheduler
    $ python manager.py run job 0 2019-01-01/08:00:00

The first run writes ``config.ini`` beside the script. The commands are the ``jobsmith``
CLI's (``jobsmith run job 0 …`` works the same with ``--home``).

``Manager`` is an interface beside the CLI, one layer above it: it runs the CLI's commands
through :func:`jobsmith.cli.run_command`, and the CLI never imports it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

import click

from jobsmith.cli import console, run_command
from jobsmith.cli.runner import RUNNER_HELP
from jobsmith.schedule.home import default_home
from jobsmith.schedule.scaffold import ensure_config

__all__ = ["Manager"]


class Manager:
    """Runs the command in ``argv`` (default: the script's arguments) for the folder ``home``
    (default: the folder of the running script); exits with the command's status if it failed."""

    def __init__(
        self, home: str | os.PathLike[str] | None = None, argv: Sequence[str] | None = None
    ) -> None:
        self.home = Path(home).resolve() if home is not None else default_home()
        if ensure_config(self.home):
            console.print(
                f"[green]INFO:[/] File {self.home / 'config.ini'} created.", highlight=False
            )
        args = list(sys.argv[1:] if argv is None else argv)
        self.exit_code = self.run(args)
        if self.exit_code:
            raise SystemExit(self.exit_code)

    def run(self, args: list[str]) -> int:
        """Run one command; returns its exit status."""
        if not args or args == ["help"]:
            click.echo(RUNNER_HELP)
            return 0
        prog_name = Path(sys.argv[0]).name or "manager.py"
        return run_command(["--home", str(self.home), *args], prog_name=prog_name)
