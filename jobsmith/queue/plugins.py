"""Job plugins for ``jobsmith post NAME …`` (jobrunner's ``register_job``).

::

    from argparse import ArgumentParser
    from jobsmith import register_job, parse_arguments, post_job

    def parse_myjob_arguments(args=None):
        parser = ArgumentParser(prog="jobsmith post myjob")
        parser.add_argument("--attempts", "-a", type=int, default=10)
        return parse_arguments(parser, args=args)

    @register_job()
    def myjob(args=None):
        args = parse_myjob_arguments(args=args)
        post_job(my_flow_factory, store={...}, factory_args=(args.attempts,))

``jobsmith post myjob --attempts 3`` calls ``myjob(["--attempts", "3"])``;
``jobsmith post myjob --help`` shows the plugin's own help. Plugins are found in the
modules of the ``imports:`` list in jobsmith.yml (and ``-m MODULE``) and through the
``jobsmith.jobs`` entry point group of installed packages.
"""

from __future__ import annotations

import importlib
import logging
import traceback
from argparse import ArgumentParser, Namespace
from collections.abc import Callable, Iterable, Sequence
from importlib.metadata import entry_points
from typing import Any

from jobsmith.errors import JobsmithError

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "jobsmith.jobs"

JobPlugin = Callable[..., Any]

plugins: dict[str, JobPlugin] = {}
"""Registered job plugins by name."""


def register_job(name: str | None = None) -> Callable[[JobPlugin], JobPlugin]:
    """Register a function ``f(args=None)`` as ``jobsmith post NAME`` (default: its name)."""

    def register(function: JobPlugin) -> JobPlugin:
        plugins[name or function.__name__] = function
        return function

    return register


def parse_arguments(parser: ArgumentParser, args: Sequence[str] | None = None) -> Namespace:
    """Parse a plugin's arguments (jobrunner's ``jobrunner.cli.parse.parse_arguments``)."""
    return parser.parse_args(list(args) if args is not None else None)


def import_modules(modules: Iterable[str]) -> None:
    """Import modules that define tasks or plugins; a failure (the module is missing, does
    not parse, or raises) is one line naming the module, and the file and line."""
    for module in modules:
        try:
            importlib.import_module(module)
        except JobsmithError as exc:
            raise JobsmithError(f"cannot import module {module!r}: {exc}") from exc
        except SyntaxError as exc:
            where = f"{exc.filename}, line {exc.lineno}"
            raise JobsmithError(
                f"cannot import module {module!r}: {where}: {type(exc).__name__}: {exc.msg}"
            ) from exc
        except Exception as exc:
            raise JobsmithError(f"cannot import module {module!r}: {_failure(exc)}") from exc


def _failure(exc: BaseException) -> str:
    """``file, line N: Error: message`` for the innermost frame of an exception."""
    frames = traceback.extract_tb(exc.__traceback__)
    inner = [
        f
        for f in frames
        if not f.filename.startswith("<") and f.filename not in (__file__, importlib.__file__)
    ]
    where = f"{inner[-1].filename}, line {inner[-1].lineno}: " if inner else ""
    return f"{where}{type(exc).__name__}: {exc}"


def load_entry_points() -> None:
    """Import every plugin published under the ``jobsmith.jobs`` entry point group."""
    for point in entry_points(group=ENTRY_POINT_GROUP):
        try:
            loaded = point.load()
        except Exception as exc:  # one broken package must not hide the others
            log.warning("job plugin %s (%s) failed to load: %s", point.name, point.value, exc)
            continue
        if callable(loaded) and point.name not in plugins:
            plugins[point.name] = loaded
