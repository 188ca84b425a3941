"""runner's ``config.ini``: read it, and refuse what no part of jobsmith reads.

A misspelt section or key (``[SCHEDULR]``, ``timezon =``) is an error naming the file,
the line and the closest known name; silently ignoring it would leave a setting at its
default without anyone noticing.
"""

from __future__ import annotations

import configparser
import re
from collections.abc import Collection, Mapping
from pathlib import Path

from jobsmith.config import closest
from jobsmith.errors import ConfigError
from jobsmith.params import normalize

__all__ = ["RUNNER_SECTIONS", "read_ini", "runner_sections"]

_SECTION = re.compile(r"^\s*\[([^\]]+)\]")
_KEY = re.compile(r"^([^\s#;\[=:][^=:]*?)\s*(?:[=:]|$)")

Known = Mapping[str, Collection[str] | None]
"""Section name (upper case) to the keys it may hold; None: any key (``[ENVIRONMENT]``)."""


EMAIL_KEYS = (
    *("ip", "port", "need_login", "user", "password", "address", "need_tls", "need_debug"),
    *("host", "server", "login", "username", "sender", "from", "tls", "starttls", "ssl"),
    *("debug", "cafile", "timeout"),
)
RUNNER_SECTIONS: dict[str, tuple[str, ...] | None] = {
    "MANAGER": ("editor",),
    "SCHEDULER": (
        *("name", "desc", "description", "schedule", "source", "timezone", "catchup"),
        *("overlap", "grace", "alarm", "mode", "queue", "heartbeat", "dead_after", "max_runs"),
    ),
    "LOG": ("console", "showtime", "showdelay", "limit_by_day", "limit_by_size", "max_size"),
    "ENVIRONMENT": None,  # interpreters by any name
    "EMAIL": EMAIL_KEYS,
    "INFO": ("owner",),
    "STORE": ("url", "schema"),
    "GENERAL": ("persons",),
    "JOB": ("persons", "name", "desc", "description"),
}
"""What runner's config.ini (a home's, or a job's own) may hold; anything else is an error
naming the file, the line and the closest name. A part of jobsmith that reads a new
option adds it here."""


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
        raise ConfigError(f"{path}: {exc}".replace("\n", " ")) from None
    _check(path, text, known)
    return parser


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
