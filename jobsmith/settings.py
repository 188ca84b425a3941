"""Settings: which store, schema, environment, config file and home a run uses.

:func:`resolve_settings` is the one place that decides, and only the edges call it: the
CLI, ``go()``, ``Manager``, a scheduler (and the job processes it starts), ``JobMaster(...)``,
a graph or flow run without a run log given. Everything below them takes a
:class:`Settings`, a :class:`~jobsmith.config.Config` or an open store as an argument.

For each setting the first of these that gives one wins (docs/jobs.md, "Settings"):

1. an argument: a CLI option (``--store``, ``--schema``, ``--config``, ``--home``) or a
   function's argument (``go(backend=…)``, ``JobMaster(db_engine=…, schema=…)``);
2. the environment: ``JOBSMITH_STORE``, ``JOBSMITH_SCHEMA``, ``JOBSMITH_ENVIRONMENT``,
   ``JOBSMITH_CONFIG``, ``JOBSMITH_HOME``;
3. the home's ``config.ini`` (``[STORE] url``, ``schema``);
4. the config file: the one named in 1 or 2, else ``jobsmith.yml`` (or ``robojob.yml``)
   in the home (``backend:``, ``environment:``);
5. the defaults: the home is the working directory, the store the SQLite file
   ``.jobsmith/jobsmith.db`` in the home, the schema ``jobsmith``, the environment
   ``default``.

The home's ``config.ini`` is read when a home is named (argument or ``JOBSMITH_HOME``), or
when the working directory is a runner home (its ``config.ini`` has a ``[STORE]`` or
``[SCHEDULER]`` section, or ``schedule.tsv`` lies beside it).
"""

from __future__ import annotations

import configparser
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from jobsmith.clock import CLOCK_VARIABLE, Clock, clock_from_env
from jobsmith.config import DEFAULT_SCHEMA, Config, load_config
from jobsmith.errors import JobsmithError
from jobsmith.inifile import runner_sections

__all__ = [
    "CONFIG_INI",
    "DEFAULT_STORE_FILE",
    "Settings",
    "home_folder",
    "parse_process_units",
    "resolve_settings",
    "system_process_units",
]

CONFIG_INI = "config.ini"
DEFAULT_STORE_FILE = Path(".jobsmith") / "jobsmith.db"

STORE_VARIABLE = "JOBSMITH_STORE"
SCHEMA_VARIABLE = "JOBSMITH_SCHEMA"
ENVIRONMENT_VARIABLE = "JOBSMITH_ENVIRONMENT"
CONFIG_VARIABLE = "JOBSMITH_CONFIG"
HOME_VARIABLE = "JOBSMITH_HOME"
PROCESS_UNITS_VARIABLES = ("JOBSMITH_SYSTEM_PROCESS_UNITS", "JOBMASTER_SYSTEM_PROCESS_UNITS")
DEFAULT_SYSTEM_UNITS = 10_000


@dataclass(frozen=True)
class Settings:
    """What :func:`resolve_settings` decided, and where each value came from."""

    store_url: str
    schema: str
    environment: str
    config: Config
    """The config file's contents, with ``store_url``, ``schema`` and ``environment`` as
    decided here."""
    home: Path
    home_is_named: bool = False
    """True when an argument or ``JOBSMITH_HOME`` named the home (not the default)."""
    ini_path: Path | None = None
    """The home's ``config.ini`` when one was read."""
    sources: Mapping[str, str] = field(default_factory=dict)
    """``store``, ``schema``, ``environment`` → ``argument``, ``JOBSMITH_STORE``,
    ``config.ini``, the config file's path, or ``default``."""
    variables: Mapping[str, str] = field(default_factory=dict)
    """The environment's ``JOBSMITH_CLOCK`` and ``JOBSMITH_SYSTEM_PROCESS_UNITS`` (or
    ``JOBMASTER_SYSTEM_PROCESS_UNITS``), read here for the code below the edge; checked
    when used (:meth:`clock`, :attr:`system_process_units`)."""

    def clock(self) -> Clock:
        """The clock ``JOBSMITH_CLOCK`` asks for (an :class:`~jobsmith.clock.OffsetClock`
        starting now), else the system clock; a clear error for a bad value."""
        return clock_from_env(self.variables)

    @property
    def system_process_units(self) -> int:
        """The host's process units: ``JOBSMITH_SYSTEM_PROCESS_UNITS``, else
        ``JOBMASTER_SYSTEM_PROCESS_UNITS``, else 10,000."""
        return system_process_units(None, self.variables)

    @property
    def store_is_default(self) -> bool:
        """True when nothing named a store (the SQLite file in the home is used)."""
        return self.sources.get("store") == "default"

    def with_store(self, url: str | None, schema: str | None = None) -> Settings:
        """These settings with another store (an argument known only later)."""
        if not url and not schema:
            return self
        sources = dict(self.sources)
        url = url or self.store_url
        schema = schema or self.schema
        if url != self.store_url:
            sources["store"] = "argument"
        config = replace(self.config, store_url=url, schema=schema)
        return replace(self, store_url=url, schema=schema, config=config, sources=sources)


def resolve_settings(
    *,
    store: str | None = None,
    schema: str | None = None,
    environment: str | None = None,
    config: str | os.PathLike[str] | Config | None = None,
    home: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Decide the settings from arguments, ``environ`` (default ``os.environ``) and files,
    in the order of precedence of the module docstring."""
    env = os.environ if environ is None else environ
    folder, named_home = home_folder(home, env)
    if isinstance(config, Config):
        loaded = config
    else:
        loaded = load_config(config, environ=env, folder=folder)
    ini_path = folder / CONFIG_INI
    ini = _store_section(ini_path) if named_home or _is_runner_home(folder) else None
    sources: dict[str, str] = {}

    def pick(name: str, argument: str | None, variable: str, *rest: tuple[str, str | None]) -> str:
        for where, value in (("argument", argument), (variable, env.get(variable)), *rest):
            if value:
                sources[name] = where
                return value
        raise AssertionError("the last choice is a default")

    file_source = str(loaded.path) if loaded.path else "default"
    url = pick(
        "store",
        store,
        STORE_VARIABLE,
        (CONFIG_INI, _in_home(ini.get("url"), folder) if ini else None),
        (file_source, loaded.store_url),
        ("default", f"sqlite:///{folder / DEFAULT_STORE_FILE}"),
    )
    chosen_schema = pick(
        "schema",
        schema,
        SCHEMA_VARIABLE,
        (CONFIG_INI, ini.get("schema") if ini else None),
        (file_source, loaded.schema),
        ("default", DEFAULT_SCHEMA),
    )
    chosen_environment = pick(
        "environment",
        environment,
        ENVIRONMENT_VARIABLE,
        (file_source, loaded.environment),
    )
    final = replace(loaded, store_url=url, schema=chosen_schema, environment=chosen_environment)
    return Settings(
        store_url=url,
        schema=chosen_schema,
        environment=chosen_environment,
        config=final,
        home=folder,
        home_is_named=bool(named_home),
        ini_path=ini_path if ini is not None else None,
        sources=sources,
        variables={
            name: env[name] for name in (CLOCK_VARIABLE, *PROCESS_UNITS_VARIABLES) if name in env
        },
    )


def system_process_units(value: int | None = None, environ: Mapping[str, str] | None = None) -> int:
    """The host's process units: the argument, else ``JOBSMITH_SYSTEM_PROCESS_UNITS``, else
    ``JOBMASTER_SYSTEM_PROCESS_UNITS`` (in ``environ``, default ``os.environ``: call it at
    an edge), else 10,000; a value that is not a whole number (0 or more) is an error
    naming the argument or the variable."""
    if value is not None:
        return checked_process_units(value, "system_process_units")
    env = os.environ if environ is None else environ
    for name in PROCESS_UNITS_VARIABLES:
        if name in env:
            return parse_process_units(env[name], name)
    return DEFAULT_SYSTEM_UNITS


def checked_process_units(value: object, source: str) -> int:
    """A number of process units given in code: a whole number 0 or more (or its text)."""
    if isinstance(value, str):
        return parse_process_units(value, source)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise JobsmithError(
            f"{source} is {value!r}: expected a whole number of process units (e.g. 10000)"
        )
    return value


def parse_process_units(text: str, source: str) -> int:
    """A number of process units written as text (``10000``, ``10_000``)."""
    try:
        units = int(text.strip().replace("_", ""))
    except ValueError:
        units = -1
    if units < 0:
        raise JobsmithError(
            f"{source} is {text!r}: expected a whole number of process units (e.g. 10000)"
        )
    return units


def home_folder(
    home: str | os.PathLike[str] | None = None, environ: Mapping[str, str] | None = None
) -> tuple[Path, str | None]:
    """The home (the argument, else ``JOBSMITH_HOME``, else the working directory) and how
    it was named (``--home``'s value or the variable's; None for the default)."""
    env = os.environ if environ is None else environ
    named = os.fspath(home) if home else env.get(HOME_VARIABLE) or None
    return Path(named or Path.cwd()).resolve(), named


def _is_runner_home(folder: Path) -> bool:
    """The working directory is a runner home: config.ini with runner's sections, or
    schedule.tsv beside it (another program's config.ini is left alone)."""
    path = folder / CONFIG_INI
    if not path.is_file():
        return False
    if (folder / "schedule.tsv").exists():
        return True
    parser = configparser.ConfigParser(interpolation=None, allow_no_value=True)
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, OSError, UnicodeDecodeError):
        return False
    return any(s.upper() in ("STORE", "SCHEDULER") for s in parser.sections())


def _store_section(path: Path) -> dict[str, str]:
    ini = runner_sections(path)
    for section in ini.sections():
        if section.upper() == "STORE":
            return {k: v.strip() for k, v in ini.items(section) if v and v.strip()}
    return {}


def _in_home(url: str | None, home: Path) -> str | None:
    """A relative SQLite path in config.ini is relative to the home."""
    prefix = "sqlite:///"
    if url and url.startswith(prefix) and not os.path.isabs(url[len(prefix) :]):
        return f"{prefix}{home / url[len(prefix) :]}"
    return url
