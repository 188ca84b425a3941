"""Script and command tasks: run a program, bind its parameters, keep its output.

- :class:`ScriptExecution` runs a script with an interpreter: an environment named in
  ``environments:`` (or a default one), a command, or the one its extension implies.
- :class:`RExecution` (``ctx.execute_r``) reads the parameters from the script's first line
  (``# first - second``) and passes their values as positional arguments.
- :class:`PowerShellExecution` (``ctx.execute_powershell``) reads the ``param(...)`` block and
  passes ``-Name value`` for each.
- :class:`CommandExecution` (``ctx.execute_command``) runs an argument list.

Extra arguments may hold ``$name`` templates filled from the parameters. Programs get an
argument list, never a shell; they run with the job's environment (its PATH additions and
exported parameters). Output is echoed to the log and kept (bounded) in the run log; a
non-zero exit fails the task with the exit code and the last lines of standard error.
"""

from __future__ import annotations

import logging
import os
import shlex
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from jobsmith.environments import Environments, find_program, search_path, split_command
from jobsmith.errors import InterpreterNotFoundError, ScriptError
from jobsmith.params import MASK, bind_names, is_secret_name
from jobsmith.process import ProcessResult, run_process
from jobsmith.tasks.base import TaskExecution
from jobsmith.tasks.signatures import ScriptParameter, powershell_parameters, r_parameters
from jobsmith.tasks.template import as_text, bind_template, fill

log = logging.getLogger("jobsmith.job")

Argument = str | os.PathLike[str] | int | float
Interpreter = str | Sequence[str] | None


class ProgramExecution(TaskExecution):
    """What script and command tasks share: run in the job's environment, keep the output."""

    def __init__(
        self,
        name: str,
        arguments: Sequence[Argument] = (),
        *,
        cwd: str | os.PathLike[str] | None = None,
        timeout: float | None = None,
    ) -> None:
        super().__init__(name)
        self.arguments = tuple(arguments)
        self.cwd = cwd
        self.timeout = timeout
        self._templated: set[str] = set()
        self.label = name
        """What the program is called in the log and in errors."""

    def bind_arguments(self, context_parameters: Mapping[str, Any]) -> None:
        """Bind the ``$name`` templates in the arguments (recorded as parameters)."""
        texts = [a for a in self.arguments if isinstance(a, str)]
        bound = bind_template(texts, context_parameters, self.name)
        self._templated = set(bound)
        self.parameters.update(bound)

    def filled_arguments(self, masked: bool = False) -> list[str]:
        """The arguments with templates filled (secrets as ``***`` when ``masked``)."""
        values = {
            name: MASK if masked and is_secret_name(name) else self.parameters[name]
            for name in self._templated
        }
        return [fill(a, values) if isinstance(a, str) else _text(a) for a in self.arguments]

    def command_line(self, path: str | None = None, masked: bool = False) -> list[str]:
        """The argument list to run; ``path`` is the PATH programs are found on."""
        raise NotImplementedError

    def execute(self) -> ProcessResult:
        env = self.job.subprocess_environment() if self.job else dict(os.environ)
        path = env.get("PATH")
        argv = self.command_line(path)
        shown = self.command_line(path, masked=True)
        log.info("Running %s", shlex.join(shown))
        result = run_process(
            argv,
            env=env,
            cwd=self.cwd,
            timeout=self.timeout,
            label=self.label,
            display=shown,
        )
        self.output = result.output
        return result.check()


class ScriptExecution(ProgramExecution):
    """Run a script with an interpreter.

    ``interpreter`` is an environment name (``"python"``, ``"r"``, ``"venv"`` …), a command
    (``"python3 -X dev"``, ``["/opt/venv/bin/python", "-u"]``), or None: the environment
    the class names, else the one the extension implies (``.py``, ``.R``, ``.ps1``, ``.sh``,
    ``.jar`` …), else the script itself if it is executable. ``arguments`` come after the
    script (and after the parameters it declares) and may hold ``$name`` templates.
    A relative script is found from ``cwd`` (default: the working directory).
    """

    environment: ClassVar[str | None] = None
    """The environment this kind of script runs with, unless ``interpreter`` says otherwise."""
    interpreter_options: ClassVar[tuple[str, ...]] = ()
    """Options between the interpreter and the script."""
    reads_script: ClassVar[bool] = False
    """Whether the script's text declares its parameters (R, PowerShell)."""

    def __init__(
        self,
        script: str | os.PathLike[str],
        *arguments: Argument,
        interpreter: Interpreter = None,
        cwd: str | os.PathLike[str] | None = None,
        timeout: float | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(name or os.fspath(script), arguments, cwd=cwd, timeout=timeout)
        self.script = Path(script)
        self.interpreter = interpreter
        self.declared: list[ScriptParameter] = []

    @property
    def path(self) -> Path:
        """Where the script is (relative ones are taken from ``cwd``)."""
        return self.script if self.script.is_absolute() else Path(self.cwd or ".") / self.script

    def bind_parameters(self, context_parameters: Mapping[str, Any]) -> None:
        if not self.path.is_file():
            raise ScriptError(f"script {self.script} not found (looked for {self.path.absolute()})")
        self.declared = self.declared_parameters(self._read() if self.reads_script else "")
        names = [(p.name, p.optional) for p in self.declared]
        self.parameters = bind_names(names, context_parameters, self.name)
        self.bind_arguments(context_parameters)

    def declared_parameters(self, text: str) -> list[ScriptParameter]:
        """The parameters the script's text declares (none for a plain script)."""
        return []

    def parameter_arguments(self, masked: bool = False) -> list[str]:
        """The declared parameters' values as arguments: positional, in order."""
        return [self._value(p.name, masked) for p in self.declared]

    def command_line(self, path: str | None = None, masked: bool = False) -> list[str]:
        return [
            *self.interpreter_command(path),
            str(self.path.absolute()),
            *self.parameter_arguments(masked),
            *self.filled_arguments(masked),
        ]

    def interpreter_command(self, path: str | None) -> list[str]:
        """The interpreter and its options, the program found on ``path``."""
        chosen = self.interpreter if self.interpreter is not None else self.environment
        options = self.interpreter_options
        if chosen is None:
            by_extension = self.environments.for_script(self.script)
            if by_extension is None:
                return self._self_running()
            environment, extra = by_extension
            return [*environment.resolve(path), *extra, *options]
        if isinstance(chosen, str) and chosen in self.environments:
            return [*self.environments.command(chosen, path=path), *options]
        return [*_program(chosen, path, self.cwd), *options]

    def _self_running(self) -> list[str]:
        if os.access(self.path, os.X_OK):
            return []
        raise ScriptError(
            f"cannot tell which interpreter runs {self.script}: pass interpreter= "
            f"(an environment: {', '.join(self.environments.names())}, or a command), "
            "or make the script executable"
        )

    def _read(self) -> str:
        try:
            return self.path.read_text(encoding="utf-8-sig", errors="replace")
        except OSError as exc:
            raise ScriptError(f"cannot read script {self.path}: {exc.strerror}") from exc

    def _value(self, name: str, masked: bool) -> str:
        return MASK if masked and is_secret_name(name) else as_text(self.parameters[name])

    @property
    def environments(self) -> Environments:
        return self.job.environments if self.job else Environments()


class RExecution(ScriptExecution):
    """An R script run by ``Rscript`` (environment ``r``); parameters from its first line
    (``# first_parameter - second_parameter``), passed as positional arguments."""

    environment = "r"
    reads_script = True

    def declared_parameters(self, text: str) -> list[ScriptParameter]:
        return r_parameters(text)


class PowerShellExecution(ScriptExecution):
    """A PowerShell script run by ``pwsh -NoProfile -NonInteractive -File`` (environment
    ``powershell``, which is ``pwsh`` unless configured); parameters from its ``param(...)``
    block, passed as ``-Name value`` (a ``[switch]`` as ``-Name`` when true)."""

    environment = "powershell"
    interpreter_options = ("-NoProfile", "-NonInteractive", "-File")
    reads_script = True

    def declared_parameters(self, text: str) -> list[ScriptParameter]:
        return powershell_parameters(text, str(self.script))

    def parameter_arguments(self, masked: bool = False) -> list[str]:
        arguments: list[str] = []
        for parameter in self.declared:
            if parameter.name not in self.parameters:
                continue  # optional and not defined: the script's default applies
            value = self.parameters[parameter.name]
            if parameter.switch:
                arguments += [f"-{parameter.name}"] if value else []
            else:
                arguments += [f"-{parameter.name}", self._value(parameter.name, masked)]
        return arguments


class CommandExecution(ProgramExecution):
    """Run a program with arguments: ``["pg_dump", "--file", "$dump_file", "$database"]``.

    The program is found on the job's PATH; ``$name`` templates in the arguments are
    filled from the parameters. A string is refused: split it into a list yourself
    (``shlex.split``) so it is clear that no shell runs it.
    """

    def __init__(
        self,
        command: Sequence[Argument],
        *,
        cwd: str | os.PathLike[str] | None = None,
        timeout: float | None = None,
        name: str | None = None,
    ) -> None:
        if isinstance(command, str | bytes):
            raise TypeError(
                "execute_command takes a list of arguments, not a string: "
                f"e.g. {shlex.split(command) if isinstance(command, str) else [command]!r}"
            )
        if not command:
            raise ValueError("execute_command needs a program to run")
        text = " ".join(_text(a) for a in command)
        super().__init__(name or _shorten(text), command, cwd=cwd, timeout=timeout)
        self.label = os.path.basename(_text(command[0]))

    def bind_parameters(self, context_parameters: Mapping[str, Any]) -> None:
        self.parameters = {}
        self.bind_arguments(context_parameters)

    def command_line(self, path: str | None = None, masked: bool = False) -> list[str]:
        program, *rest = self.filled_arguments(masked)
        return [*_program([program], path, self.cwd), *rest]


def _program(
    command: str | Sequence[str], path: str | None, cwd: str | os.PathLike[str] | None
) -> list[str]:
    """A command given directly (not an environment), its program found on ``path``
    (a relative path to a program is taken from ``cwd``)."""
    parts = split_command(command, "interpreter", "the task")
    found = find_program(parts[0], path, base=cwd)
    if found is None:
        folders = ", ".join(search_path(path)) or "nothing: PATH is empty"
        raise InterpreterNotFoundError(
            f"program {parts[0]} not found (searched {folders}); give its full path "
            "or add its folder to the job's PATH (ctx.add_path)"
        )
    return [found, *parts[1:]]


def _text(argument: Argument) -> str:
    return os.fspath(argument) if isinstance(argument, os.PathLike) else str(argument)


def _shorten(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
