"""``go()`` and :class:`JobExecution`: run tasks now, bind their parameters, log everything.

::

    with jobsmith.go("hello") as ctx:
        ctx["name"] = "world"
        ctx.execute(greet)

The block is the job. Each task run (a Python function, a script, a stored procedure,
an email, any :class:`TaskExecution`) gets the parameters it asks for by fuzzy name and is
recorded in the run log with the values it used. An exception fails the task and the
job, runs the error handlers, is logged, and is raised again when the block ends.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cached_property
from types import TracebackType
from typing import TYPE_CHECKING, Any

from jobsmith.backend import Backend, BackendHooks, as_backend
from jobsmith.config import Config
from jobsmith.params import Parameters, Scope, log_value
from jobsmith.runlog import JobRun, RunLog, Status
from jobsmith.settings import resolve_settings
from jobsmith.store import Store, open_store, resolve_url, utcnow
from jobsmith.store.shared import shared_stores
from jobsmith.tasks.base import FunctionExecution, TaskExecution

if TYPE_CHECKING:
    from email.message import EmailMessage

    from jobsmith.environments import Environments
    from jobsmith.process import ProcessResult
    from jobsmith.smtp import Recipients
    from jobsmith.tasks.script import Argument, Interpreter

log = logging.getLogger("jobsmith.job")

BUILTINS = (
    "job_execution_guid",
    "job_execution_id",
    "job_name",
    "environment_name",
    "status",
    "error_message",
)


class JobExit(BaseException):  # a control-flow signal, like SystemExit
    """Raised by :meth:`JobExecution.exit` to leave the job early with a status."""

    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status


class JobExecution:
    """One run of a job: the context the ``with`` block works in."""

    def __init__(
        self,
        job_name: str,
        config: Config | None = None,
        environment_name: str | None = None,
        backend: Store | str | Backend | None = None,
        path: str | Iterable[str] | None = None,
        parameters: Mapping[str, Any] | None = None,
        *,
        store_url: str | None = None,
        shared_store: Store | None = None,
    ) -> None:
        """``backend`` is where the run log goes (a Store or a URL) or robojob's custom
        backend; without a store among them, ``shared_store`` (lent by
        :data:`~jobsmith.store.shared.shared_stores`, given back when the job ends: from
        ``go()``), else ``store_url``, else the config's."""
        if not isinstance(job_name, str) or not job_name.strip():
            raise TypeError(f"job_name must be a non-empty string, got {job_name!r}")
        self.job_name = job_name
        self.config = config or Config()
        self.environment_name = environment_name or self.config.environment
        target, hooks = as_backend(backend)
        self._hooks: BackendHooks | None = hooks
        if shared_store is not None and not isinstance(target, Store):
            target = shared_store  # go() borrowed the store the URL or the settings name
        elif target is None:
            target = store_url
        self._shared = target is shared_store is not None
        """The store was lent by the shared stores: given back when the job ends."""
        self._owns_store = not isinstance(target, Store)
        """A store this job opened (from a URL or the config) is closed when the job ends."""
        self.store = (
            target
            if isinstance(target, Store)
            else open_store(resolve_url(target, self.config), self.config.schema)
        )
        self.run_log = RunLog(self.store)
        self.parameters = Parameters(
            config=Scope(self.config.parameters),
            environment=Scope(self.config.env_parameters),
        )
        self.exported: dict[str, str] = {}
        self.paths: list[str] = []
        self.error_handlers: list[TaskExecution] = []
        self._on_error: TaskExecution | None = None
        self.run: JobRun | None = None
        self._initial_parameters = _checked_parameters(parameters)
        for entry in [*self.config.paths, *_as_list(path)]:
            self.add_path(entry)

    # -- the job's life ---------------------------------------------------------------
    def __enter__(self) -> JobExecution:
        self.run = self.run_log.start_job(self.job_name, self.environment_name)
        builtins = {
            "job_execution_guid": self.run.guid,
            "job_execution_id": self.run.id,
            "job_name": self.job_name,
            "environment_name": self.environment_name,
            "status": Status.RUNNING,
            "error_message": None,
        }
        for name, value in builtins.items():
            self.parameters.set_builtin(name, value)
        for name, value in self._initial_parameters.items():
            self.parameters[name] = value
        log.info("Job starting: %r", self)
        if self._hooks is not None:
            self._hooks.before_job(self)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        assert self.run is not None, "the job was not started"
        if exc is None or isinstance(exc, JobExit):
            status = exc.status if isinstance(exc, JobExit) else Status.COMPLETED
            error = None
        else:
            status, error = Status.FAILED, _message(exc)
            log.error("Job failed: %s", error)
        self.parameters.set_builtin("status", status)
        self.parameters.set_builtin("error_message", error)
        if status == Status.FAILED:
            self._run_error_handlers()
        try:
            self.run_log.end_job(self.run, status, error)
        finally:
            self.close()
        log.info("Job completed with status %s", status)
        log.info("Running time: %s", self.run.duration)
        if self._hooks is not None:
            self._hooks.after_job(self)
        return isinstance(exc, JobExit)

    @property
    def status(self) -> str:
        """The job's status so far (``Running`` until the block ends)."""
        found = self.parameters.find("status")
        return "Not started" if found is None else str(found[1])

    @property
    def error_message(self) -> str | None:
        """Why the job failed (None unless it did)."""
        found = self.parameters.find("error_message")
        return None if found is None else found[1]

    def close(self) -> None:
        """Close the store if this job opened it, or give back the one ``go()`` borrowed
        (the ``with`` block does this)."""
        if self._owns_store:
            self.store.close()
        elif self._shared:
            self._shared = False
            shared_stores.release(self.store)

    def _run_error_handlers(self) -> None:
        handlers = [*self.error_handlers, *([self._on_error] if self._on_error else [])]
        for handler in handlers:
            try:
                self.process_task_execution(handler)
            except Exception as exc:  # the job's own error is the one raised
                log.error("Error handler %r failed: %s", handler, _message(exc))

    # -- parameters ---------------------------------------------------------------------
    def __getitem__(self, name: str) -> Any:
        return self.parameters[name]

    def __setitem__(self, name: str, value: Any) -> None:
        self.parameters[name] = value

    def __contains__(self, name: object) -> bool:
        return name in self.parameters

    def get(self, name: str, default: Any = None) -> Any:
        """The value of ``name``, or ``default`` when it is not defined."""
        found = self.parameters.find(name)
        return default if found is None else found[1]

    def export(self, name: str) -> None:
        """Make the current value of ``name`` an environment variable of subprocesses."""
        value = self.parameters[name]
        self.exported[name] = "" if value is None else str(value)
        log.debug("Exporting parameter %s = %s", name, log_value(name, value))

    def add_path(self, path: str | os.PathLike[str]) -> None:
        """Add a folder to the PATH that subprocesses see (not this process's)."""
        text = os.fspath(path)
        if text and text not in self.paths:
            self.paths.append(text)

    def subprocess_environment(self) -> dict[str, str]:
        """The environment subprocesses run with: ours, extra PATH entries, exports."""
        env = dict(os.environ)
        if self.paths:
            env["PATH"] = os.pathsep.join([env.get("PATH", ""), *self.paths]).strip(os.pathsep)
        env.update(self.exported)
        return env

    def exit(self, status: str = Status.COMPLETED) -> None:
        """Leave the job now with ``status`` (not an error: use an exception for that)."""
        raise JobExit(status)

    # -- tasks ----------------------------------------------------------------------------
    def add_error_handler(self, task: TaskExecution | Callable[..., Any]) -> None:
        """Run ``task`` as the last task of the job, only if the job fails."""
        self.error_handlers.append(_as_task(task))

    @property
    def on_error(self) -> TaskExecution | None:
        """The task run if the job fails, after those of :meth:`add_error_handler`.

        Assigning replaces it (the last assignment wins); ``None`` clears it."""
        return self._on_error

    @on_error.setter
    def on_error(self, task: TaskExecution | Callable[..., Any] | None) -> None:
        self._on_error = None if task is None else _as_task(task)

    def execute(self, function: Callable[..., Any], **local_parameters: Any) -> Any:
        """Call ``function`` with the parameters it asks for; returns what it returns."""
        return self.process_task_execution(FunctionExecution(function), local_parameters)

    # -- task kinds: each a thin call into its module in jobsmith.tasks -----------------------
    # (imported when first used: a job that sends no email never loads smtplib)
    @cached_property
    def environments(self) -> Environments:
        """The interpreters scripts run with: the config's ``environments:`` over defaults."""
        from jobsmith.environments import Environments

        return Environments.from_config(self.config)

    def execute_r(
        self, *scripts: str | os.PathLike[str], **local_parameters: Any
    ) -> list[ProcessResult]:
        """Run R scripts in turn; each one's first line names its positional parameters."""
        from jobsmith.tasks.script import RExecution

        return [self.process_task_execution(RExecution(s), local_parameters) for s in scripts]

    def execute_powershell(
        self, *scripts: str | os.PathLike[str], **local_parameters: Any
    ) -> list[ProcessResult]:
        """Run PowerShell scripts in turn; each one's ``param(...)`` names its parameters."""
        from jobsmith.tasks.script import PowerShellExecution

        return [
            self.process_task_execution(PowerShellExecution(s), local_parameters) for s in scripts
        ]

    def execute_script(
        self,
        script: str | os.PathLike[str],
        *arguments: Argument,
        interpreter: Interpreter = None,
        **local_parameters: Any,
    ) -> ProcessResult:
        """Run a script with an environment (``interpreter="venv"``), a command, or the
        interpreter its extension implies; ``arguments`` may hold ``$name`` templates."""
        from jobsmith.tasks.script import ScriptExecution

        task = ScriptExecution(script, *arguments, interpreter=interpreter)
        return self.process_task_execution(task, local_parameters)

    def execute_command(
        self, command: Sequence[Argument], **local_parameters: Any
    ) -> ProcessResult:
        """Run a program with arguments (a list, never a shell string); ``$name`` templates
        in the arguments are filled from the parameters."""
        from jobsmith.tasks.script import CommandExecution

        return self.process_task_execution(CommandExecution(command), local_parameters)

    def execute_procedure(
        self, connection: Any, schema: str | None, *procedures: str, **local_parameters: Any
    ) -> list[Any]:
        """Call stored procedures in turn over a DB-API connection, binding the parameters
        the catalog lists by fuzzy name; returns each one's result (OUT values or rows)."""
        from jobsmith.tasks.procedure import ProcedureExecution

        return [
            self.process_task_execution(
                ProcedureExecution(connection, schema, procedure), local_parameters
            )
            for procedure in procedures
        ]

    def send_email(
        self,
        sender: str | None,
        recipients: Recipients,
        subject: str,
        content: str,
        recipients_cc: Recipients = (),
        **local_parameters: Any,
    ) -> EmailMessage:
        """Send an email now; ``subject`` and ``content`` are ``$name`` templates.
        Returns the message as sent."""
        from jobsmith.tasks.email import EmailExecution

        task = EmailExecution(sender, recipients, subject, content, recipients_cc)
        sent: EmailMessage = self.process_task_execution(task, local_parameters)
        return sent

    def add_error_email(
        self,
        sender: str | None,
        recipients: Recipients,
        subject: str,
        content: str,
        recipients_cc: Recipients = (),
    ) -> None:
        """Send an email if the job fails (``$error_message`` says why); if it cannot be
        sent, that is logged and the job's own error is the one raised."""
        from jobsmith.tasks.email import EmailExecution

        self.add_error_handler(EmailExecution(sender, recipients, subject, content, recipients_cc))

    def process_task_execution(
        self, task: TaskExecution, local_parameters: Mapping[str, Any] | None = None
    ) -> Any:
        """Bind ``task``'s parameters (locals over the job's), run it, log it."""
        if self.run is None:
            raise RuntimeError("tasks run inside `with jobsmith.go(...) as ctx:`")
        scope = (
            self.parameters.with_locals(local_parameters) if local_parameters else self.parameters
        )
        task.job = self
        task.bind_parameters(scope)
        for name, value in task.parameters.items():
            log.debug("Parameter %s = %s", name, log_value(name, value))
        return self._run_task(task)

    def _run_task(self, task: TaskExecution) -> Any:
        assert self.run is not None
        log.info("Task starting: %r", task)
        record = self.run_log.start_task(self.run, task.task_type_name, task.name, task.parameters)
        task.started_on = record.started_at
        task.status = Status.RUNNING
        try:
            if self._hooks is not None:
                self._hooks.before_task(self, task)
            task.result = task.execute()
        except JobExit as exit_:  # ctx.exit() inside the task: not an error
            task.status = exit_.status
            raise
        except BaseException as exc:
            task.status, task.error_message = Status.FAILED, _message(exc)
            log.error("Task failed: %s", task.error_message)
            raise
        else:
            task.status = Status.COMPLETED
        finally:
            self.run_log.end_task(record, task.status, task.error_message, task.output)
            task.completed_on = record.ended_at
            log.info("Task completed with status %s", task.status)
            log.info("Running time: %s", record.duration)
            if self._hooks is not None:
                self._hooks.after_task(self, task)
        return task.result

    def __repr__(self) -> str:
        return f"<JobExecution: {self.run.guid if self.run else 'not started'}>"


def go(
    job_name: str,
    config_path: str | os.PathLike[str] | None = None,
    environment_name: str | None = None,
    backend: Store | str | Backend | None = None,
    path: str | Iterable[str] | None = None,
    parameters: Mapping[str, Any] | None = None,
) -> JobExecution:
    """Start describing a job: use the result as a context manager.

    ``config_path`` names the config file (default: ``jobsmith.yml`` or ``robojob.yml`` in
    the working directory); ``backend`` is a store URL or an open :class:`Store` (default:
    the config's, ``JOBSMITH_STORE`` or ``.jobsmith/jobsmith.db``; a URL's store is
    borrowed from the process's shared stores, kept open for the next job and closed at
    exit: :mod:`jobsmith.store.shared`) or robojob's custom
    backend, an object with ``before_task_execution`` and ``after_task_execution`` (called
    around every task beside the run log; see :mod:`jobsmith.backend`); ``path`` adds folders to
    the PATH of subprocesses; ``parameters`` are job parameters (built-in names are ignored).
    """
    if not isinstance(job_name, str) or not job_name.strip():
        raise TypeError(f"go(job_name=...) must be a non-empty string, got {job_name!r}")
    _checked_parameters(parameters)  # refused before a store is opened
    target, _ = as_backend(backend)  # a backend of the wrong kind is refused before anything
    settings = resolve_settings(
        config=config_path,
        environment=environment_name,
        store=target if isinstance(target, str) else None,
    )
    if isinstance(target, Store):
        return JobExecution(
            job_name, settings.config, settings.environment, backend, path, parameters
        )
    # one open store per URL for the process (closed at exit), not one per job
    store = shared_stores.acquire(settings.store_url, settings.schema)
    try:
        return JobExecution(
            job_name,
            settings.config,
            settings.environment,
            backend,
            path,
            parameters,
            shared_store=store,
        )
    except BaseException:
        shared_stores.release(store)
        raise


def _as_task(task: TaskExecution | Callable[..., Any]) -> TaskExecution:
    if isinstance(task, TaskExecution):
        return task
    if callable(task):
        return FunctionExecution(task)
    raise TypeError(f"expected a TaskExecution or a callable, got {type(task).__name__}")


def _checked_parameters(parameters: object) -> dict[str, Any]:
    """The job's parameters: a mapping of names to values (``{"day": "mon"}``) or None."""
    if parameters is None:
        return {}
    if not isinstance(parameters, Mapping):
        raise TypeError(
            "parameters must be a mapping of names to values (e.g. {'day': 'mon'}), "
            f"got {type(parameters).__name__} {parameters!r}"
        )
    for name in parameters:
        if not isinstance(name, str) or not name:
            raise TypeError(f"parameters: a name must be a non-empty string, got {name!r}")
    return dict(parameters)


def _as_list(path: str | Iterable[str] | None) -> list[str]:
    if path is None:
        return []
    return [path] if isinstance(path, str | os.PathLike) else list(path)


def _message(exc: BaseException) -> str:
    text = str(exc)
    return text if text else type(exc).__name__


__all__ = ["BUILTINS", "JobExecution", "JobExit", "go", "utcnow"]
