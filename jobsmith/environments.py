"""Environments: interpreters by name, from ``environments:`` in jobsmith.yml and defaults.

::

    environments:
      python: python3                 # a program on the PATH
      venv: /opt/jobs/venv            # a virtualenv folder (its python) or its python itself
      r: Rscript --vanilla            # a program with arguments, split as a shell would
      pwsh: C:\\Program Files\\PowerShell\\7\\pwsh.exe

Without configuration, ``python`` is the interpreter running jobsmith, ``r`` is ``Rscript``,
``pwsh`` is ``pwsh`` (else Windows PowerShell's ``powershell``), and ``bash``, ``sh``,
``java``, ``perl``, ``node`` are those programs. ``rscript`` and ``powershell`` name
``r`` and ``pwsh`` unless configured themselves. Names match fuzzily, like parameters.

A program is looked up on the PATH given (a job passes its own, with ``ctx.add_path``
folders) when it is run, not when the config is read; a missing one is an
:class:`~jobsmith.errors.InterpreterNotFoundError` that says what was searched.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from jobsmith.errors import ConfigError, InterpreterNotFoundError, UnknownEnvironmentError
from jobsmith.params import normalize

if TYPE_CHECKING:
    from jobsmith.config import Config

Command = tuple[str, ...]

DEFAULTS: dict[str, tuple[Command, ...]] = {
    "python": ((sys.executable,),),
    "r": (("Rscript",),),
    "pwsh": (("pwsh",), ("powershell",)),
    "bash": (("bash",),),
    "sh": (("sh",),),
    "java": (("java",),),
    "perl": (("perl",),),
    "node": (("node",),),
}
"""Each default environment's candidate commands, tried in order."""

ALIASES = {"rscript": "r", "powershell": "pwsh"}
"""Names that mean another environment unless configured themselves."""

EXTENSIONS: dict[str, tuple[str, Command]] = {
    ".py": ("python", ()),
    ".r": ("r", ()),
    ".ps1": ("powershell", ()),
    ".sh": ("bash", ()),
    ".bash": ("bash", ()),
    ".pl": ("perl", ()),
    ".js": ("node", ()),
    ".jar": ("java", ("-jar",)),
    ".java": ("java", ()),
}
"""The environment that runs a script, by extension, and options put before the script."""


@dataclass(frozen=True)
class Environment:
    """A named interpreter: the commands that may run it, the first one found wins."""

    name: str
    candidates: tuple[Command, ...]
    source: str
    """Where it was defined, for messages: a config file or ``"default"``."""

    def resolve(self, path: str | None = None) -> list[str]:
        """The command with its program found: an absolute path, then any arguments.

        ``path`` is the PATH to search (default: this process's ``PATH``).
        """
        for candidate in self.candidates:
            found = find_program(candidate[0], path)
            if found:
                return [found, *candidate[1:]]
        raise InterpreterNotFoundError(self._not_found(path))

    def _not_found(self, path: str | None) -> str:
        programs = " or ".join(c[0] for c in self.candidates)
        if all(_is_path(c[0]) for c in self.candidates):
            where = f"{programs} does not exist or is not executable"
        else:
            folders = ", ".join(search_path(path)) or "nothing: PATH is empty"
            where = f"cannot find {programs} (searched {folders})"
        fix = (
            f"set environments: {{{self.name}: /path/to/program}} in jobsmith.yml "
            "or add its folder to the job's PATH (ctx.add_path, path: in jobsmith.yml)"
        )
        origin = "" if self.source == "default" else f" (from {self.source})"
        return f"environment '{self.name}'{origin}: {where}; {fix}"


class Environments:
    """Environments by name: configured ones over the defaults. A plain object; build it
    from a :class:`~jobsmith.config.Config` with :meth:`from_config`."""

    def __init__(
        self,
        commands: Mapping[str, str | Sequence[str]] | None = None,
        *,
        source: str = "configuration",
        base: str | os.PathLike[str] | None = None,
        defaults: bool = True,
    ) -> None:
        """``commands`` maps names to commands (strings or lists); a relative program path
        in them, or a bare name that is a folder there, is taken from ``base`` (the config
        file's folder)."""
        self._defaults: dict[str, Environment] = {}
        if defaults:
            self._defaults = {
                name: Environment(name, candidates, "default")
                for name, candidates in DEFAULTS.items()
            }
        self._configured: dict[str, Environment] = {}
        for name, command in (commands or {}).items():
            key = normalize(name)
            if not key:
                raise ConfigError(f"{source}: environments: {name!r} is not a usable name")
            program, *rest = split_command(command, name, source)
            program = os.path.expanduser(program)
            if base is not None and not os.path.isabs(program):
                beside = os.path.join(base, program)
                # a relative path, or a bare name that is a folder here (venv: .venv)
                if _is_path(program) or os.path.isdir(beside):
                    program = beside
            parts = (program, *rest)
            self._configured[key] = Environment(name, (parts,), source)

    @classmethod
    def from_config(cls, config: Config) -> Environments:
        """The environments a config defines (``environments:``), over the defaults."""
        source = str(config.path) if config.path else "configuration"
        return cls(config.environments, source=source, base=config.home)

    def get(self, name: str) -> Environment:
        """The environment called ``name`` (fuzzy), following :data:`ALIASES`."""
        key = normalize(name)
        alias = ALIASES.get(key)
        for table in (self._configured, self._defaults):
            for candidate in (key, alias):
                if candidate and candidate in table:
                    return table[candidate]
        known = ", ".join(self.names()) or "none"
        raise UnknownEnvironmentError(
            f"unknown environment '{name}' (known: {known}); "
            "define it under environments: in jobsmith.yml"
        )

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        key = normalize(name)
        keys = {key, ALIASES.get(key)}
        return any(k in self._configured or k in self._defaults for k in keys if k)

    def command(self, name: str, *, path: str | None = None) -> list[str]:
        """The command line that starts the ``name`` interpreter, its program found on
        ``path`` (default: this process's PATH)."""
        return self.get(name).resolve(path)

    def names(self) -> list[str]:
        """Every environment's name (aliases left out)."""
        merged = {**self._defaults, **self._configured}
        return sorted(environment.name for environment in merged.values())

    def for_script(self, script: str | os.PathLike[str]) -> tuple[Environment, Command] | None:
        """The environment that runs ``script`` by its extension, with the options that go
        before the script (``-jar`` for ``.jar``), or None for an unknown extension."""
        found = EXTENSIONS.get(Path(script).suffix.lower())
        if found is None:
            return None
        name, options = found
        return self.get(name), options


def split_command(command: str | Sequence[str], name: str = "", source: str = "") -> Command:
    """A configured command as a program and its arguments.

    A string naming an existing file is taken whole (a Windows path with spaces needs no
    quotes); otherwise it is split as a shell would, without running one.
    """
    if not isinstance(command, str):
        parts = tuple(os.fspath(p) for p in command)
    elif os.path.exists(command.strip()):
        parts = (command.strip(),)
    else:
        try:
            parts = tuple(_unquote(p) for p in shlex.split(command, posix=os.name != "nt"))
        except ValueError as exc:
            raise ConfigError(f"{source}: environments: '{name}': {exc}: {command!r}") from None
    if not parts or not parts[0]:
        raise ConfigError(f"{source}: environments: '{name}': expected a command, got nothing")
    return parts


def find_program(
    program: str, path: str | None = None, *, base: str | os.PathLike[str] | None = None
) -> str | None:
    """The absolute path of ``program``: a path (or a virtualenv folder, meaning its python;
    relative ones taken from ``base``) if it exists and is executable, else the first
    match on ``path`` (default: this process's PATH)."""
    if _is_path(program):
        candidate = Path(base or ".") / Path(program).expanduser()
        if candidate.is_dir():
            candidate = _venv_python(candidate)
        if candidate.is_file() and os.access(candidate, os.X_OK):
            # Not resolve(): a virtualenv's python is a symlink that must stay one.
            return os.path.abspath(candidate)
        return None
    return shutil.which(program, path=path if path is not None else os.environ.get("PATH"))


def search_path(path: str | None = None) -> list[str]:
    """The folders a program is looked for in."""
    text = path if path is not None else os.environ.get("PATH", "")
    return [folder for folder in text.split(os.pathsep) if folder]


def _venv_python(folder: Path) -> Path:
    for relative in ("bin/python", "Scripts/python.exe"):
        if (folder / relative).is_file():
            return folder / relative
    return folder


def _is_path(program: str) -> bool:
    return os.sep in program or (os.altsep or "/") in program or program.startswith("~")


def _unquote(part: str) -> str:
    if len(part) >= 2 and part[0] == part[-1] and part[0] in "\"'":
        return part[1:-1]
    return part
