"""Running one schedule entry for one trigger time.

A run starts ``FILE`` with ``PARAMETERS`` in the entry's ENVIRONMENT (an interpreter
named in the config), adds ``--trigger YYYY-MM-DD/HH:MM:SS`` after the parameters and
sets ``JOBSMITH_TRIGGER``. It writes ``<name>_<YYYYMMDDHHMMSS>.log`` (header block, the
job's output, the time spent) next to the job's file (``jobs/0/logs/``), or in the
home's ``logs/`` for a file outside the home; records the run in the run log; updates
the fire; and sends the alarm when it fails. The scheduler, ``jobsmith run job``,
backfills and queue workers all run entries through :class:`EntryRunner`.

While the job runs, the calling thread waits in short steps, so an interruption (Ctrl+C,
or a queue worker's timeout, cancel or shutdown raised in its thread) arrives at once:
the job's process is stopped, the run is recorded as stopped (the fire *interrupted*,
the alarm raised), and the interruption goes on.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from jobsmith.clock import Clock, SystemClock
from jobsmith.errors import ConfigError, JobsmithError, ScheduleError
from jobsmith.outbox import Outbox
from jobsmith.process import MAX_OUTPUT, BoundedOutput
from jobsmith.runlog import JobRun, RunLog, Status
from jobsmith.schedule.alarms import persons_for, raise_alarm
from jobsmith.schedule.entries import Entry
from jobsmith.schedule.handoff import JobProcessValues
from jobsmith.schedule.home import Home
from jobsmith.schedule.jobconfig import JobSettings, job_settings
from jobsmith.schedule.logfile import RunLogFile, machine_items, timestamp
from jobsmith.store import Store, utcnow

__all__ = ["EntryRunner", "RunOutcome", "command_for", "trigger_text"]

log = logging.getLogger(__name__)

TASK_KIND = "ScheduledRun"
OUTPUT_KEPT = MAX_OUTPUT
"""Characters of a run's output kept in the run log, head and tail (the log file has all)."""
WAIT_STEP = 0.2
"""Seconds between looks at a running job: how soon an interruption reaches the wait."""
STOP_GRACE = 10.0
"""Seconds a stopped job has to end after SIGTERM before it is killed."""


def trigger_text(trigger: datetime, home: Home) -> str:
    """``2019-01-01/08:00:00``: the trigger as jobs receive it, in the schedule's zone."""
    return trigger.astimezone(home.settings.timezone).strftime("%Y-%m-%d/%H:%M:%S")


def interpreter(environment: str, home: Home) -> list[str]:
    """The command of a named environment: [ENVIRONMENT] / ``environments:``, or a default
    (``python`` is the Python jobsmith runs in; ``bash``, ``r``, ``java`` … by name)."""
    return home.environments.command(environment, path=_search_path(home))


def _search_path(home: Home) -> str:
    return os.pathsep.join([os.environ.get("PATH", ""), *home.config.paths])


def command_for(entry: Entry, home: Home, trigger: datetime) -> list[str]:
    """The argument list of a run (never a shell string)."""
    file = home.path(entry.file)
    if not file.is_file():
        raise ScheduleError(f"{entry.label}: FILE {file} does not exist")
    return [
        *interpreter(entry.environment, home),
        str(file),
        *entry.arguments,
        "--trigger",
        trigger_text(trigger, home),
    ]


def log_folder(entry: Entry, home: Home) -> Path:
    """``logs/`` beside the job's file when it is inside the home, else the home's ``logs/``."""
    file = home.path(entry.file).resolve()
    if file.parent != home.folder and file.is_relative_to(home.folder):
        return file.parent / "logs"
    return home.logs_folder


@dataclass(frozen=True)
class RunOutcome:
    """How a run ended."""

    status: str
    exit_code: int | None
    run_id: int
    log_path: Path
    seconds: float
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == Status.COMPLETED


@dataclass
class _Run:
    """One run under way."""

    entry: Entry
    trigger: datetime
    job_run: JobRun
    logfile: RunLogFile
    echo: Callable[[str], None] | None
    detach: bool
    on_start: Callable[[subprocess.Popen[bytes]], None] | None
    version: str | None = None
    """[JOB] version of the job's config.ini, for the header."""
    stopped: str | None = None
    """Why the run was stopped before its job ended (set when it was interrupted)."""


class EntryRunner:
    """Runs entries of one home, recording each run in the store."""

    def __init__(
        self, home: Home, store: Store, clock: Clock | None = None, outbox: Outbox | None = None
    ) -> None:
        self.home = home
        self.store = store
        self.clock = clock or SystemClock()
        self.outbox = outbox
        """Where alarms go to be sent off this thread (None: sent here, e.g. by the CLI)."""
        self.run_log = RunLog(store)

    def run(
        self,
        entry: Entry,
        trigger: datetime,
        *,
        fire_id: int | None = None,
        echo: Callable[[str], None] | None = None,
        detach: bool = False,
        on_start: Callable[[subprocess.Popen[bytes]], None] | None = None,
    ) -> RunOutcome:
        """Run ``entry`` for ``trigger`` and wait for it. ``echo`` also gets every output line
        (manual runs show them); ``detach`` starts the job in a session of its own, so a
        Ctrl+C meant for the scheduler leaves it running; ``on_start`` gets the process."""
        tz = self.home.settings.timezone
        own = self._own_settings(entry)
        entry = own.apply(entry)  # [JOB] name and desc of the job's config.ini
        logfile = RunLogFile.create(log_folder(entry, self.home), entry.name, self.clock, tz)
        job_run = self.run_log.start_job(entry.name, self.home.config.environment, kind="schedule")
        run = _Run(entry, trigger, job_run, logfile, echo, detach, on_start, own.version)
        logfile.header(self._header(run))
        if fire_id is not None:
            self.store.schedules.update(
                fire_id,
                "running",
                started_at=utcnow(),
                run_id=job_run.id,
                log_path=str(logfile.path),
            )
        started = time.monotonic()
        logfile.log("INFO", "JOB STARTED.")
        try:
            status, code, error = self._execute(run)
        except BaseException:
            if run.stopped is None:
                raise
            self._end(run, fire_id, started, Status.FAILED, None, run.stopped)
            raise
        return self._end(run, fire_id, started, status, code, error)

    def _end(
        self,
        run: _Run,
        fire_id: int | None,
        started: float,
        status: str,
        code: int | None,
        error: str | None,
    ) -> RunOutcome:
        """Close the log file, record the outcome, update the fire, raise the alarm."""
        seconds = time.monotonic() - started
        tz, logfile, entry = self.home.settings.timezone, run.logfile, run.entry
        if status == Status.COMPLETED:
            logfile.log("INFO", "JOB FINISHED.")
        else:
            logfile.log("ERROR", f"JOB {'STOPPED' if run.stopped else 'FAILED'}: {error}")
        logfile.log("INFO", f"TIME SPENT: {int(seconds)} seconds.")
        logfile.close()
        self.run_log.end_job(run.job_run, status, error)
        state, event = ("interrupted", "interrupted") if run.stopped else ("ran", "failed")
        if fire_id is not None:
            note = error if run.stopped else None
            self.store.schedules.update(fire_id, state, ended_at=utcnow(), status=status, note=note)
        if status == Status.FAILED:
            shown = timestamp(run.trigger, tz)
            raise_alarm(self.home, entry, event, shown, logfile.path, error, self.outbox)
        shown = trigger_text(run.trigger, self.home)
        log.info(
            "%s for %s: %s (run %d, %s)", entry.label, shown, status, run.job_run.id, logfile.path
        )
        return RunOutcome(status, code, run.job_run.id, logfile.path, seconds, error)

    def _own_settings(self, entry: Entry) -> JobSettings:
        """The job's own config.ini; one that cannot be read is logged and left out."""
        try:
            return job_settings(entry, self.home)
        except ConfigError as exc:
            log.warning("%s: its config.ini is not read: %s", entry.label, exc)
            return JobSettings()

    def _header(self, run: _Run) -> list[tuple[str, object]]:
        tz, entry = self.home.settings.timezone, run.entry
        configs = [str(p) for p in (self.home.ini_path, self.home.config.path) if p and p.is_file()]
        job_config = self.home.path(entry.file).parent / "config.ini"
        if job_config.is_file() and job_config != self.home.ini_path:
            configs.append(str(job_config))
        return [
            ("APP", entry.name),
            ("DESC", entry.description),
            ("VERSION", run.version or "None"),
            ("TIMESTAMP", timestamp(self.clock.now(), tz)),
            ("FILE", run.logfile.path),
            ("SCRIPT", self.home.path(entry.file)),
            *machine_items(),
            ("ID", entry.id),
            ("TRIGGER", timestamp(run.trigger, tz)),
            ("CONFIGS", ", ".join(configs) or "None"),
            ("PERSONS", ", ".join(persons_for(entry, self.home)) or "None"),
            ("RUN", run.job_run.id),
        ]

    def _execute(self, run: _Run) -> tuple[str, int | None, str | None]:
        """The run's task in the run log around the process; (status, exit code, error)."""
        entry = run.entry
        parameters = {
            "id": entry.id,
            "file": entry.file,
            "environment": entry.environment,
            "parameters": entry.parameters,
            "trigger": trigger_text(run.trigger, self.home),
            "log": str(run.logfile.path),
        }
        task = self.run_log.start_task(run.job_run, TASK_KIND, entry.name, parameters)
        code: int | None = None
        kept = BoundedOutput(OUTPUT_KEPT)
        try:
            code = self._process(command_for(entry, self.home, run.trigger), run, kept)
            error = None if code == 0 else f"exit code {code}"
        except (JobsmithError, OSError) as exc:
            error = str(exc)
        except BaseException:
            if run.stopped is not None:
                self.run_log.end_task(task, Status.FAILED, run.stopped, kept.text() or None)
            raise
        status = Status.COMPLETED if error is None else Status.FAILED
        self.run_log.end_task(task, status, error, kept.text() or None)
        return status, code, error

    def _process(self, argv: list[str], run: _Run, kept: BoundedOutput) -> int:
        # Not jobsmith.process.run_process: a run's output goes into its log file as it is
        # (both streams, in order), echoed for runs by hand, and a forced stop needs the pid.
        with subprocess.Popen(
            argv,
            cwd=self.home.path(run.entry.file).parent,
            env=self._environment(run),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=run.detach,
        ) as process:
            if run.on_start is not None:
                run.on_start(process)
            assert process.stdout is not None
            failures: list[BaseException] = []
            reader = threading.Thread(
                target=self._copy_output,
                args=(process.stdout, run, kept, failures),
                name=f"{run.entry.name}-output",
                daemon=True,
            )
            reader.start()
            try:
                while reader.is_alive():  # short steps: an interruption arrives between them
                    reader.join(WAIT_STEP)
            except BaseException as exc:
                run.stopped = f"stopped ({type(exc).__name__}): {_why(exc)}"
                log.warning("%s: %s; stopping the job", run.entry.label, run.stopped)
                stop_process(process, run.detach)
                reader.join(STOP_GRACE)
                raise
            if failures:
                raise failures[0]
            return process.wait()

    @staticmethod
    def _copy_output(
        stream: IO[bytes], run: _Run, kept: BoundedOutput, failures: list[BaseException]
    ) -> None:
        """The job's output, line by line, into the log file (and the echo)."""
        try:
            for raw in stream:
                line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
                run.logfile.write_lines([line])
                if run.echo is not None:
                    run.echo(line)
                kept.add(line)
        except BaseException as exc:  # handed to the waiting thread, which raises it
            failures.append(exc)

    def _environment(self, run: _Run) -> dict[str, str]:
        entry = run.entry
        env = dict(os.environ)
        if self.home.config.paths:
            env["PATH"] = _search_path(self.home)
        values = JobProcessValues(
            store=self.home.store_url,
            schema=self.home.schema,
            home=str(self.home.folder),
            trigger=trigger_text(run.trigger, self.home),
            trigger_utc=run.trigger.astimezone(UTC).isoformat(),
            job_id=str(entry.id),
            job_name=entry.name,
            job_description=entry.description,
            persons=",".join(persons_for(entry, self.home)),
            run_id=str(run.job_run.id),
            run_log=str(run.logfile.path),
        )
        env.update(values.environ())
        env["PYTHONUNBUFFERED"] = "1"
        return env


def stop_process(process: subprocess.Popen[bytes], group: bool) -> None:
    """SIGTERM a job (its whole session when it has one), SIGKILL if it lingers."""
    for number in (signal.SIGTERM, signal.SIGKILL):
        try:
            if group and hasattr(os, "killpg"):
                os.killpg(process.pid, number)
            else:
                process.send_signal(number)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            process.wait(STOP_GRACE)
            return
        except subprocess.TimeoutExpired:
            continue


def _why(exc: BaseException) -> str:
    """What an interruption means: its message, else the first line of its docstring."""
    doc = (type(exc).__doc__ or "").strip().splitlines()
    return str(exc) or (doc[0] if doc else type(exc).__name__)
