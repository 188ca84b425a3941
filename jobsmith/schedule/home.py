"""The home: the folder that holds a scheduler's ``config.ini``, ``schedule.tsv``, ``jobs/``
and ``logs/`` (runner's layout), and the settings read from it.

Settings come from runner's ``config.ini`` sections (MANAGER, SCHEDULER, LOG, ENVIRONMENT,
EMAIL, INFO, plus STORE) or from ``jobsmith.yml`` (``scheduler:``, ``environments:``,
``smtp:``, ``backend:``); where both set something, ``config.ini`` wins. The store and the
schema are the settings' (:mod:`jobsmith.settings`: the environment wins over both files).
See docs/schedule.md.
"""

from __future__ import annotations

import configparser
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jobsmith.clock import Clock, clock_from_env
from jobsmith.config import Config, unknown_name
from jobsmith.environments import Environments
from jobsmith.errors import ConfigError, ScheduleError
from jobsmith.inifile import LOG_KEYS, SCHEDULER_KEYS, read_runner_inis
from jobsmith.schedule.entries import OVERLAP_POLICIES, CatchUp, parse_persons
from jobsmith.schedule.expressions import parse_duration
from jobsmith.schedule.zones import zone
from jobsmith.settings import Settings, resolve_settings

if TYPE_CHECKING:
    from jobsmith.smtp import SmtpSettings

__all__ = ["ALARM_EVENTS", "Home", "SchedulerSettings", "default_home"]

CONFIG_INI = "config.ini"
ALARM_EVENTS = ("failed", "interrupted", "missed", "skipped")


@dataclass(frozen=True)
class SchedulerSettings:
    """How the scheduler of one home behaves; every value has a default."""

    name: str = "scheduler"
    description: str = "Scheduler"
    schedule: str = "schedule.tsv"
    source: str = "file"
    """``file`` (schedule.tsv) or ``store`` (the schedule kept in the store)."""
    timezone: tzinfo = field(default_factory=lambda: zone(None))
    catchup: CatchUp = field(default_factory=CatchUp)
    overlap: str = "skip"
    grace: int = 60
    """Seconds a fire may be late and still count as on time."""
    alarm: frozenset[str] = frozenset({"failed", "interrupted"})
    mode: str = "run"
    """``run`` due jobs in the scheduler's process, or ``post`` them to the queue."""
    queue: str = "default"
    """With ``mode = post``: the queue the jobs go to (``jobsmith worker -q NAME`` serves it)."""
    heartbeat: int = 5
    max_runs: int = 16
    """Runs one scheduler keeps going at once (more wait, still claimed, for a free slot)."""
    dead_after: int = 30
    """Seconds without a heartbeat after which a scheduler counts as dead."""
    showtime: bool = False
    showdelay: bool = False
    console: bool = True
    limit_by_day: bool = True
    """[LOG]: a new ``logs/<name>.log`` when the day changes."""
    limit_by_size: bool = True
    """[LOG]: a new ``logs/<name>.log`` when it has reached ``max_size`` bytes."""
    max_size: int = 10_485_760
    editor: str | None = None
    owner: tuple[str, ...] = ()
    """Persons who get every job's alarms (runner's [INFO] owner)."""


SETTING_KEYS = {
    "name": "name",
    "desc": "description",
    "description": "description",
    "schedule": "schedule",
    "source": "source",
    "timezone": "timezone",
    "catchup": "catchup",
    "overlap": "overlap",
    "grace": "grace",
    "alarm": "alarm",
    "mode": "mode",
    "queue": "queue",
    "heartbeat": "heartbeat",
    "dead_after": "dead_after",
    "max_runs": "max_runs",
}


def build_settings(values: Mapping[str, Any], where: str) -> SchedulerSettings:
    """Validate settings given as text (config.ini) or YAML values; errors name ``where``."""
    found: dict[str, Any] = {}

    for key, raw in values.items():
        name = SETTING_KEYS.get(key.lower())
        if name is None:
            raise ConfigError(f"{where}: {unknown_name(key, SETTING_KEYS, 'scheduler setting')}")
        if raw is None or str(raw).strip() == "":
            continue
        text = str(raw).strip()
        try:
            found[name] = _setting(name, text)
        except ValueError as exc:  # says what was expected
            raise ConfigError(f"{where}: {key} = {text!r}: expected {exc}") from None
        except ScheduleError as exc:  # a whole sentence, with its own "expected"
            problem = str(exc).removeprefix(f"{text!r}: ").removeprefix(f"'{text}': ")
            raise ConfigError(f"{where}: {key} = {text!r}: {problem}") from None
    return SchedulerSettings(**found)


def _setting(name: str, text: str) -> Any:
    if name == "source" and text.lower() not in ("file", "store"):
        raise ValueError("file or store")
    if name == "mode" and text.lower() not in ("run", "post"):
        raise ValueError("run (run due jobs here) or post (post them to the queue)")
    if name == "overlap" and text.lower() not in OVERLAP_POLICIES:
        raise ValueError("skip, buffer-one or allow")
    if name in ("source", "mode", "overlap"):
        return text.lower()
    if name == "timezone":
        return zone(text)
    if name == "catchup":
        return CatchUp.parse(text)
    if name in ("grace", "heartbeat", "dead_after"):
        return parse_duration(text)
    if name == "max_runs":
        if not text.isdigit() or int(text) < 1:
            raise ValueError("a whole number of runs, 1 or more")
        return int(text)
    if name == "alarm":
        events = frozenset(
            e.strip().lower() for e in text.replace(";", ",").split(",") if e.strip()
        )
        unknown = events - set(ALARM_EVENTS) - {"none"}
        if unknown:
            raise ValueError(f"a list of {', '.join(ALARM_EVENTS)} (or none)")
        return events - {"none"}
    return text


@dataclass
class Home:
    """A scheduler's folder and everything configured for it."""

    folder: Path
    config: Config
    settings: SchedulerSettings
    environments: Environments
    mail: SmtpSettings | None
    """The mail server for alarms; None when none is configured."""
    store_url: str
    schema: str
    ini_path: Path

    extra_configs: tuple[Path, ...] = ()
    """Files given as ``Scheduler(config=...)``, read after ``config.ini``."""
    variables: Mapping[str, str] = field(default_factory=dict)
    """What the settings read from the environment for the code below the edge
    (``JOBSMITH_CLOCK`` …; see :attr:`jobsmith.settings.Settings.variables`)."""

    def clock(self) -> Clock:
        """The clock the settings name (``JOBSMITH_CLOCK``), else the system clock."""
        return clock_from_env(self.variables)

    @classmethod
    def load(
        cls,
        folder: str | os.PathLike[str] | None = None,
        *,
        settings: Settings | None = None,
        configs: Sequence[str | os.PathLike[str]] = (),
        overrides: Mapping[str, Any] | None = None,
    ) -> Home:
        """Read the home in ``folder`` (default ``JOBSMITH_HOME``, else the working
        directory), or the one ``settings`` name (their store and schema win).

        ``configs`` are more config.ini files, read after the home's own (their options win);
        ``overrides`` are [SCHEDULER] and [LOG] options given to the constructor, which win
        over every file (runner: "direct write to instances has a higher priority")."""
        resolved = settings or resolve_settings(home=folder)  # at an edge (a job process …)
        root = resolved.home
        config = resolved.config
        ini_path = root / CONFIG_INI
        extra = tuple(root / Path(p).expanduser() for p in configs)
        ini = read_runner_inis([ini_path, *extra])
        scheduler_given, log_given = _split_overrides(overrides or {})
        yml = config.sections.get("scheduler") or {}
        if not isinstance(yml, dict):
            raise ConfigError(f"{config.path}: section 'scheduler': expected a mapping")
        for key in yml:
            if str(key).lower() not in SETTING_KEYS:
                message = unknown_name(str(key), SETTING_KEYS, "key")
                where = config.where("scheduler", str(key))
                raise ConfigError(f"{where}: section 'scheduler': {message}")
        merged = {**yml, **_section(ini, "SCHEDULER"), **scheduler_given}
        log = {**_section(ini, "LOG"), **log_given}
        scheduler = build_settings(merged, f"{ini_path if ini.sections() else config.path}")
        scheduler = _with_flags(
            scheduler, log, _section(ini, "MANAGER"), _section(ini, "INFO"), ini_path
        )
        commands = {**config.environments, **_section(ini, "ENVIRONMENT")}
        environments = Environments(commands, source=str(ini_path), base=root)
        store_url, schema = resolved.store_url, resolved.schema
        return cls(
            folder=root,
            config=config,
            settings=scheduler,
            environments=environments,
            mail=_mail(config, _section(ini, "EMAIL"), ini_path),
            store_url=store_url,
            schema=schema,
            ini_path=ini_path,
            extra_configs=extra,
            variables=resolved.variables,
        )

    def mail_with(self, email: Mapping[str, str], where: Path) -> SmtpSettings | None:
        """The mail server with a job's own [EMAIL] options (from ``where``) over the home's."""
        if not email:
            return self.mail
        home_email = _section(read_runner_inis([self.ini_path, *self.extra_configs]), "EMAIL")
        return _mail(self.config, {**home_email, **email}, where)

    @property
    def schedule_path(self) -> Path:
        return self.folder / self.settings.schedule

    @property
    def jobs_folder(self) -> Path:
        return self.folder / "jobs"

    @property
    def logs_folder(self) -> Path:
        return self.folder / "logs"

    def path(self, text: str) -> Path:
        """A path from the schedule or config: relative ones are relative to the home."""
        candidate = Path(os.path.expanduser(text))
        return candidate if candidate.is_absolute() else self.folder / candidate


def default_home() -> Path:
    """runner's rule: the folder of the script being run (``manager.py``, ``scheduler.py``)."""
    script = sys.argv[0] if sys.argv and sys.argv[0] not in ("", "-c") else ""
    return Path(script).resolve().parent if script else Path.cwd()


def section_of(ini: configparser.ConfigParser, name: str) -> dict[str, str]:
    """The options of one section (any case), those with a value."""
    return _section(ini, name)


def _split_overrides(given: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """Constructor settings as [SCHEDULER] and [LOG] options; an unknown one is a TypeError."""
    scheduler: dict[str, str] = {}
    log: dict[str, str] = {}
    for key, value in given.items():
        if value is None:
            continue
        if key.lower() in SCHEDULER_KEYS:
            scheduler[key.lower()] = str(value)
        elif key.lower() in LOG_KEYS:
            log[key.lower()] = str(value)
        else:
            known = ", ".join(sorted(SCHEDULER_KEYS | LOG_KEYS))
            raise TypeError(f"Scheduler() got an unknown setting {key!r}; known: {known}")
    return scheduler, log


def _section(ini: configparser.ConfigParser, name: str) -> dict[str, str]:
    for section in ini.sections():
        if section.upper() == name:
            return {k: v for k, v in ini.items(section) if v is not None and v.strip() != ""}
    return {}


def _flag(
    values: Mapping[str, str], key: str, where: Path, default: bool, section: str = "LOG"
) -> bool:
    text = values.get(key)
    if text is None:
        return default
    if text.strip().lower() in ("true", "yes", "1", "on", "y"):
        return True
    if text.strip().lower() in ("false", "no", "0", "off", "n"):
        return False
    raise ConfigError(f"{where}: [{section}] {key} = {text!r}: expected True or False")


def _size(values: Mapping[str, str], key: str, where: Path, default: int) -> int:
    text = values.get(key)
    if text is None:
        return default
    if not text.strip().isdigit() or int(text) < 1:
        raise ConfigError(f"{where}: [LOG] {key} = {text!r}: expected a number of bytes, 1 or more")
    return int(text)


def _with_flags(
    settings: SchedulerSettings,
    log: Mapping[str, str],
    manager: Mapping[str, str],
    info: Mapping[str, str],
    where: Path,
) -> SchedulerSettings:
    owner = parse_persons(
        info.get("owner", ""), lambda p: ConfigError(f"{where}: [INFO] owner: {p}")
    )
    return replace(
        settings,
        showtime=_flag(log, "showtime", where, settings.showtime),
        showdelay=_flag(log, "showdelay", where, settings.showdelay),
        console=_flag(log, "console", where, settings.console),
        limit_by_day=_flag(log, "limit_by_day", where, settings.limit_by_day),
        limit_by_size=_flag(log, "limit_by_size", where, settings.limit_by_size),
        max_size=_size(log, "max_size", where, settings.max_size),
        editor=manager.get("editor") or settings.editor,
        owner=owner,
    )


def _mail(config: Config, email: Mapping[str, str], where: Path) -> SmtpSettings | None:
    """runner's [EMAIL] (ip, port, need_login, user, password, address, need_tls) over
    jobsmith.yml's ``smtp:``; None without a server."""
    values = {**config.smtp, **email}
    if not any(values.get(key) for key in ("host", "server", "ip")):
        return None
    from jobsmith.smtp import SmtpSettings  # smtplib and email load only where mail is set

    source = replace(config, path=where if email else config.path, smtp=values)
    return SmtpSettings.from_config(source, where=f"{where}: [EMAIL]" if email else None)
