"""A job's own configuration: runner's ``jobs/<id>/config.ini``, then any files given as
``Job(config=[...])``, then the ``Job(...)`` constructor's settings (which win)::

    [JOB]
    name = test               ; the job's name in its logs and alarms (default: NAME)
    desc = Test Job           ; its description (default: DESCRIPTION)
    version = 1.2             ; VERSION in its log header (default: None)
    persons = obi@wan.example ; who gets its alarms, beside PERSONS and [INFO] owner

    [GENERAL]
    persons = …               ; read as [JOB] persons (runner's README names both)

    [EMAIL]                   ; the mail server of its alarms and job.email: these
    ip = smtp.example.com     ; options over the home's [EMAIL]

The sections and keys are listed in :data:`jobsmith.schedule.inikeys.JOB_KEYS`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jobsmith.errors import ConfigError
from jobsmith.inifile import read_runner_inis
from jobsmith.schedule.entries import Entry, parse_persons
from jobsmith.schedule.home import Home, section_of

if TYPE_CHECKING:
    from jobsmith.smtp import SmtpSettings

__all__ = ["JobSettings", "job_config_path", "job_settings"]

CONSTRUCTOR_KEYS = frozenset({"name", "desc", "description", "version", "persons"})
"""What ``Job(...)`` takes as settings: the [JOB] options of
:data:`jobsmith.schedule.inikeys.JOB_KEYS`."""


@dataclass(frozen=True)
class JobSettings:
    """What a job's own configuration says; None / empty: not set."""

    name: str | None = None
    description: str | None = None
    version: str | None = None
    persons: tuple[str, ...] = ()
    email: Mapping[str, str] = field(default_factory=dict)
    paths: tuple[Path, ...] = ()
    """The files read, in order."""

    def apply(self, entry: Entry) -> Entry:
        """The entry with this configuration's name and description."""
        return replace(
            entry,
            name=self.name or entry.name,
            description=self.description if self.description is not None else entry.description,
        )

    def mail(self, home: Home) -> SmtpSettings | None:
        """The mail server: this job's [EMAIL] over the home's."""
        where = self.paths[-1] if self.paths else home.ini_path
        return home.mail_with(self.email, where)


def job_config_path(entry: Entry, home: Home) -> Path | None:
    """``config.ini`` beside the job's file, when the job has a folder of its own."""
    path = home.path(entry.file).parent / "config.ini"
    return path if path.parent != home.folder else None


def job_settings(
    entry: Entry,
    home: Home,
    configs: Sequence[str | os.PathLike[str]] = (),
    given: Mapping[str, Any] | None = None,
) -> JobSettings:
    """Read the job's config.ini, then ``configs``, then the constructor's ``given``."""
    own = job_config_path(entry, home)
    paths = [own] if own is not None else []
    extra = [home.path(os.fspath(p)) for p in configs]
    ini = read_runner_inis([*paths, *extra], required=len(paths))
    where = ", ".join(str(p) for p in [*paths, *extra] if p.is_file()) or str(home.ini_path)
    job = section_of(ini, "JOB")
    general = section_of(ini, "GENERAL").get("persons", "")
    job["persons"] = f"{general}, {job.get('persons', '')}".strip(", ")
    for key, value in (given or {}).items():
        if key.lower() not in CONSTRUCTOR_KEYS:
            known = ", ".join(sorted(CONSTRUCTOR_KEYS))
            raise TypeError(f"Job() got an unknown setting {key!r}; known: {known}")
        if value is not None:
            job[key.lower()] = value if isinstance(value, str) else ", ".join(value)
    persons = parse_persons(
        job.get("persons", ""), lambda p: ConfigError(f"{where}: [JOB] persons: {p}")
    )
    return JobSettings(
        name=job.get("name") or None,
        description=job.get("desc", job.get("description")),
        version=job.get("version") or None,
        persons=persons,
        email=section_of(ini, "EMAIL"),
        paths=tuple(p for p in [*paths, *extra] if p.is_file()),
    )
