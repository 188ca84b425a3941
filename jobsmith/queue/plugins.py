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
import sys
import traceback
from argparse import ArgumentParser, Namespace
from collections.abc import Callable, Iterable, Sequence
from importlib.metadata import entry_points
from pathlib import Path
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
    """Parse a plugin's arguments (jobrunner's ``jobrunner.cli.parse.parse_arguments``):
    ``-v/--verbose`` is added, and logging is set up (DEBUG with it, else INFO)."""
    if not any("--verbose" in action.option_strings for action in parser._actions):
        parser.add_argument(
            "-v", "--verbose", action="store_true", help="log more (debug messages too)"
        )
    parsed = parser.parse_args(list(args) if args is not None else None)
    setup_logging(debug=bool(getattr(parsed, "verbose", False)))
    return parsed


def setup_logging(debug: bool = False) -> None:
    """Log to standard output at INFO, or DEBUG when ``debug`` (jobrunner's set-up); when
    logging is set up already (the ``jobsmith`` command), only the level changes."""
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        root.addHandler(handler)
    root.setLevel(logging.DEBUG if debug else logging.INFO)


def one_line_help(plugin: JobPlugin) -> str:
    """The first line of a plugin's docstring ("" when it has none)."""
    doc = (getattr(plugin, "__doc__", None) or "").strip()
    return doc.splitlines()[0].strip() if doc else ""


def flow_plugin_modules(folder: str | Path) -> list[str]:
    """The modules ``flows/*/*/*.py`` under ``folder``, as dotted names, sorted."""
    base = Path(folder)
    found = []
    for path in sorted((base / "flows").glob("*/*/*.py")):
        parts = path.relative_to(base).with_suffix("").parts
        if all(part.isidentifier() for part in parts):
            found.append(".".join(parts))
    return found


def import_flow_plugins(folder: str | Path) -> list[str]:
    """Import every module ``flows/*/*/*.py`` under ``folder`` (put on ``sys.path``), so the
    jobs they register with :func:`register_job` are known; returns the modules' names."""
    base = str(Path(folder).resolve())
    modules = flow_plugin_modules(base)
    if modules and base not in sys.path:
        sys.path.insert(0, base)
    for module in modules:
        try:
            importlib.import_module(module)
        except Exception as exc:
            path = Path(base, *module.split(".")).with_suffix(".py")
            raise JobsmithError(f"job plugin {path}: cannot import {module}: {exc}") from exc
    return modules


def import_modules(modules: Iterable[str]) -> None:
    """Import modules that define tasks or plugins; a failure (the module is missing, does
    not parse, or raises) is one line naming the module, and the file and line."""
    for module in modules:
        if module.endswith(".py") or "/" in module or "\\" in module:
            path = Path(module.replace("\\", "/"))
            where = "" if str(path.parent) == "." else f", run in {path.parent}/"
            raise JobsmithError(
                f"cannot import module {module!r}: that is a file; give a module's name, as "
                f"for `python -m` (-m {path.name.removesuffix('.py')}{where})"
            )
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
