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
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from jobsmith.clock import Clock, SystemClock
from jobsmith.errors import ConfigError, JobsmithError, ScheduleError
from jobsmith.outbox import Outbox
from jobsmith.process import MAX_OUTPUT, BoundedOutput, run_process
from jobsmith.runlog import RunLog, Status
from jobsmith.schedule.alarms import persons_of
from jobsmith.schedule.entries import Entry
from jobsmith.schedule.handoff import JobProcessValues
from jobsmith.schedule.home import Home
from jobsmith.schedule.jobconfig import JobSettings, job_settings
from jobsmith.schedule.runrecord import ScheduledRun, stop_reason
from jobsmith.smtp import SmtpSettings
from jobsmith.store import Store, utcnow

__all__ = ["EntryRunner", "RunOutcome", "command_for", "trigger_text"]

log = logging.getLogger(__name__)

TASK_KIND = "ScheduledRun"
OUTPUT_KEPT = MAX_OUTPUT
"""Characters of a run's output kept in the run log, head and tail (the log file has all)."""
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
    """One run under way: its record (log file, run log, alarm) and how its job runs."""

    record: ScheduledRun
    echo: Callable[[str], None] | None
    detach: bool
    on_start: Callable[[subprocess.Popen[bytes]], None] | None
    stopped: str | None = None
    """Why the run was stopped before its job ended (set when it was interrupted)."""

    @property
    def entry(self) -> Entry:
        return self.record.entry


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
        own = self._own_settings(entry)
        entry = own.apply(entry)  # [JOB] name and desc of the job's config.ini
        record = ScheduledRun.begin(
            self.home,
            entry,
            trigger,
            self.run_log,
            self.clock,
            persons=persons_of(entry, self.home, own),
            mail=self._mail(entry, own),
            version=own.version,
            configs=own.paths,
            outbox=self.outbox,
        )
        run = _Run(record, echo, detach, on_start)
        if fire_id is not None:
            self.store.schedules.update(
                fire_id,
                "running",
                started_at=utcnow(),
                run_id=record.id,
                log_path=str(record.logfile.path),
            )
        try:
            status, code, error = self._execute(run)
        except BaseException:
            if run.stopped is None:
                raise
            self._end(run, fire_id, Status.FAILED, None, run.stopped)
            raise
        return self._end(run, fire_id, status, code, error)

    def _end(
        self,
        run: _Run,
        fire_id: int | None,
        status: str,
        code: int | None,
        error: str | None,
    ) -> RunOutcome:
        """Close the log file, record the outcome, update the fire, raise the alarm."""
        record, entry = run.record, run.entry
        record.end(status, error, stopped=run.stopped is not None)
        if fire_id is not None:
            state = "interrupted" if run.stopped else "ran"
            note = error if run.stopped else None
            self.store.schedules.update(fire_id, state, ended_at=utcnow(), status=status, note=note)
        record.alarm()
        path = record.logfile.path
        shown = trigger_text(record.trigger, self.home)
        log.info("%s for %s: %s (run %d, %s)", entry.label, shown, status, record.id, path)
        return RunOutcome(status, code, record.id, path, record.seconds, error)

    def _own_settings(self, entry: Entry) -> JobSettings:
        """The job's own config.ini; one that cannot be read is logged and left out."""
        try:
            return job_settings(entry, self.home)
        except ConfigError as exc:
            log.warning("%s: its config.ini is not read: %s", entry.label, exc)
            return JobSettings()

    def _mail(self, entry: Entry, own: JobSettings) -> SmtpSettings | None:
        """The mail server of the run's alarm: the job's [EMAIL] over the home's."""
        try:
            return own.mail(self.home)
        except ConfigError as exc:
            log.warning("%s: its [EMAIL] is not read: %s", entry.label, exc)
            return self.home.mail

    def _execute(self, run: _Run) -> tuple[str, int | None, str | None]:
        """The run's task in the run log around the process; (status, exit code, error)."""
        entry, record = run.entry, run.record
        parameters = {
            "id": entry.id,
            "file": entry.file,
            "environment": entry.environment,
            "parameters": entry.parameters,
            "trigger": trigger_text(record.trigger, self.home),
            "log": str(record.logfile.path),
        }
        task = self.run_log.start_task(record.job_run, TASK_KIND, entry.name, parameters)
        code: int | None = None
        kept = BoundedOutput(OUTPUT_KEPT)
        try:
            code = self._process(command_for(entry, self.home, record.trigger), run, kept)
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
        """Run the job through :func:`jobsmith.process.run_process`: both streams in order
        into the log file (and the echo), kept in ``kept`` even if the wait is interrupted."""
        logfile, echo = run.record.logfile, run.echo
        started: list[subprocess.Popen[bytes]] = []

        def line(text: str) -> None:
            logfile.write_lines([text])
            if echo is not None:
                echo(text)

        def start(process: subprocess.Popen[bytes]) -> None:
            started.append(process)
            if run.on_start is not None:
                run.on_start(process)

        try:
            result = run_process(
                argv,
                env=self._environment(run),
                cwd=self.home.path(run.entry.file).parent,
                label=run.entry.name,
                merge_stderr=True,
                log_lines=False,
                on_line=line,
                output=kept,
                on_start=start,
                new_session=run.detach,
                stop_grace=STOP_GRACE,
            )
        except BaseException as exc:
            if started and not isinstance(exc, Exception):  # interrupted: the job was stopped
                run.stopped = stop_reason(exc)
                log.warning("%s: %s; the job was stopped", run.entry.label, run.stopped)
            raise
        return result.exit_code

    def _environment(self, run: _Run) -> dict[str, str]:
        entry, record = run.entry, run.record
        env = dict(os.environ)
        if self.home.config.paths:
            env["PATH"] = _search_path(self.home)
        values = JobProcessValues(
            store=self.home.store_url,
            schema=self.home.schema,
            home=str(self.home.folder),
            trigger=trigger_text(record.trigger, self.home),
            trigger_utc=record.trigger.astimezone(UTC).isoformat(),
            job_id=str(entry.id),
            job_name=entry.name,
            job_description=entry.description,
            persons=",".join(record.persons),
            run_id=str(record.id),
            run_log=str(record.logfile.path),
        )
        env.update(values.environ())
        env["PYTHONUNBUFFERED"] = "1"
        return env
