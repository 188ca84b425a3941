"""runner's ``config.ini``: read it, and refuse what no part of jobsmith reads.

A misspelt section or key (``[SCHEDULR]``, ``timezon =``) is an error naming the file,
the line and the closest known name; silently ignoring it would leave a setting at its
default without anyone noticing.
"""

from __future__ import annotations

import ast
import configparser
import re
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path

from jobsmith.config import closest
from jobsmith.errors import ConfigError
from jobsmith.params import normalize

__all__ = [
    "EMAIL_KEYS",
    "HOME_KEYS",
    "JOB_KEYS",
    "LOG_KEYS",
    "RUNNER_SECTIONS",
    "SCHEDULER_KEYS",
    "ini_problem",
    "read_ini",
    "read_runner_inis",
    "runner_sections",
]

_SECTION = re.compile(r"^\s*\[([^\]]+)\]")
_KEY = re.compile(r"^([^\s#;\[=:][^=:]*?)\s*(?:[=:]|$)")

Known = Mapping[str, Collection[str] | None]
"""Section name (upper case) to the keys it may hold; None: any key (``[ENVIRONMENT]``)."""


SCHEDULER_KEYS = frozenset(
    {
        "name",
        "desc",
        "description",
        "schedule",
        "source",
        "timezone",
        "catchup",
        "overlap",
        "grace",
        "alarm",
        "mode",
        "queue",
        "heartbeat",
        "dead_after",
        "max_runs",
    }
)
"""[SCHEDULER]: see :class:`jobsmith.schedule.home.SchedulerSettings`."""

LOG_KEYS = frozenset(
    {"console", "showtime", "showdelay", "limit_by_day", "limit_by_size", "max_size"}
)
"""[LOG]: the scheduler's own log (``logs/<name>.log``) and what it shows."""

EMAIL_KEYS = frozenset(
    {
        # runner's spellings
        "ip",
        "port",
        "need_login",
        "user",
        "password",
        "address",
        "need_debug",
        "need_tls",
        # jobsmith.yml's smtp: spellings, accepted here too (see jobsmith.smtp)
        "host",
        "server",
        "starttls",
        "tls",
        "ssl",
        "username",
        "login",
        "debug",
        "cafile",
        "timeout",
        "sender",
        "from",
    }
)
"""[EMAIL]: the mail server for alarms and ``job.email`` (a job's own over the home's)."""

HOME_KEYS: dict[str, frozenset[str] | None] = {
    "MANAGER": frozenset({"editor"}),
    "SCHEDULER": SCHEDULER_KEYS,
    "LOG": LOG_KEYS,
    "ENVIRONMENT": None,
    "EMAIL": EMAIL_KEYS,
    "INFO": frozenset({"owner"}),
    "STORE": frozenset({"url", "schema"}),
}
"""The home's config.ini (and files given as ``Scheduler(config=...)``)."""

JOB_KEYS: dict[str, frozenset[str] | None] = {
    "JOB": frozenset({"name", "desc", "description", "version", "persons"}),
    "GENERAL": frozenset({"persons"}),
    "EMAIL": EMAIL_KEYS,
}
"""A job's own config.ini (and files given as ``Job(config=[...])``)."""

RUNNER_SECTIONS: dict[str, frozenset[str] | None] = {**HOME_KEYS, **JOB_KEYS}
"""What runner's config.ini (a home's, or a job's own) may hold; anything else is an error
naming the file, the line and the closest name. A part of jobsmith that reads a new
option adds it to the sets above."""


def runner_sections(path: Path) -> configparser.ConfigParser:
    """A runner ``config.ini`` (a home's or a job's), checked against :data:`RUNNER_SECTIONS`."""
    return read_ini(path, RUNNER_SECTIONS)


def read_ini(path: Path, known: Known) -> configparser.ConfigParser:
    """The parsed file (empty when there is none); option names are lower-cased."""
    parser = configparser.ConfigParser(interpolation=None, allow_no_value=True)
    if not path.is_file():
        return parser
    try:
        text = path.read_text(encoding="utf-8")
        parser.read_string(text, source=str(path))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except configparser.Error as exc:
        raise ConfigError(ini_problem(path, exc)) from None
    _check(path, text, known)
    return parser


def read_runner_inis(paths: Sequence[Path], required: int = 1) -> configparser.ConfigParser:
    """runner's ini files, each checked, read in order (a later file's options win). The
    first ``required`` may be missing (a home's config.ini); a missing later one is an error."""
    parser = configparser.ConfigParser(interpolation=None, allow_no_value=True)
    for index, path in enumerate(paths):
        if not path.is_file():
            if index < required:
                continue
            raise ConfigError(f"{path}: no such configuration file")
        parser.read_dict(runner_sections(path))
    return parser


def ini_problem(path: Path, error: configparser.Error) -> str:
    """A configparser error as one line naming the file and line, without Python reprs."""
    if isinstance(error, configparser.MissingSectionHeaderError):
        return (
            f"{path}:{error.lineno}: {error.line.strip()!r} comes before any [SECTION] "
            "header; expected a header such as [SCHEDULER] first"
        )
    if isinstance(error, configparser.DuplicateSectionError):
        return f"{path}:{error.lineno}: section [{error.section}] appears twice"
    if isinstance(error, configparser.DuplicateOptionError):
        return f"{path}:{error.lineno}: [{error.section}] {error.option} is set twice"
    if isinstance(error, configparser.ParsingError):
        lineno, line = error.errors[0]  # configparser keeps the line as its repr
        text = ast.literal_eval(line) if line[:1] in "'\"" else line
        return f"{path}:{lineno}: {str(text).strip()!r} is not understood; expected key = value"
    return f"{path}: {error}".replace("\n", " ")


def _check(path: Path, text: str, known: Known) -> None:
    keys: Collection[str] | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        section = _SECTION.match(line)
        if section:
            name = section.group(1).strip()
            if name.upper() not in known:
                hint = closest(name, known) or f" (expected one of: {', '.join(known)})"
                raise ConfigError(f"{path}:{number}: unknown section [{name}]{hint}")
            keys = known[name.upper()]
            continue
        key = _KEY.match(line)
        if key is None or keys is None or line[:1].isspace():
            continue  # a comment, a blank line, a continued value, or any key is fine
        name = key.group(1).strip()
        if normalize(name) not in {normalize(k) for k in keys}:
            hint = closest(name, keys) or f" (expected one of: {', '.join(keys)})"
            raise ConfigError(f"{path}:{number}: unknown key '{name}'{hint}")
