"""One scheduled job run, whoever runs it: its log file, its run-log record, its alarm.

A job of a home runs in one of two ways, and both go through :class:`ScheduledRun`:
:class:`~jobsmith.schedule.execute.EntryRunner` (the scheduler, ``jobsmith run job``,
backfills and queue workers) starts the entry's FILE as a process, and a job's own
``job.py`` run directly (``python jobs/0/job.py -t 2019-01-01/08:00:00``) runs its
script in its own process. Either way the run

- writes ``<name>_<YYYYMMDDHHMMSS>.log`` in ``logs/`` beside the job's file (the home's
  ``logs/`` for a file outside the home), opened by runner's header block;
- is a job run of kind ``schedule`` in the run log;
- ends the file with ``JOB FINISHED.`` (or ``JOB FAILED: …`` / ``JOB STOPPED: …``) and
  ``TIME SPENT: N seconds.``;
- sends the alarm to the job's persons when it failed (``failed``) or was stopped
  (``interrupted``) and ``alarm`` in ``[SCHEDULER]`` asks for that event, through the
  :class:`~jobsmith.outbox.Outbox` when one is given (the scheduler's threads and a
  worker's slots do not wait for the mail server)::

    run = ScheduledRun.begin(home, entry, trigger, RunLog(store), clock, persons=persons)
    run.logfile.write_lines(["Wake up, Neo..."])      # the job's output
    run.end(Status.COMPLETED)                          # closing lines, file, run log
    run.alarm()                                        # sends only when it failed
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from jobsmith.clock import Clock
from jobsmith.outbox import Outbox
from jobsmith.runlog import JobRun, RunLog, Status
from jobsmith.schedule.alarms import send_alarm
from jobsmith.schedule.entries import Entry
from jobsmith.schedule.home import Home
from jobsmith.schedule.logfile import RunLogFile, machine_items, timestamp
from jobsmith.smtp import SmtpSettings

__all__ = ["ScheduledRun", "log_folder", "stop_reason"]

log = logging.getLogger(__name__)


def log_folder(entry: Entry, home: Home) -> Path:
    """``logs/`` beside the job's file when it is inside the home, else the home's ``logs/``."""
    file = home.path(entry.file).resolve()
    if file.parent != home.folder and file.is_relative_to(home.folder):
        return file.parent / "logs"
    return home.logs_folder


def stop_reason(exc: BaseException) -> str:
    """``stopped (KeyboardInterrupt): …``: why a run ended before its job did, from the
    interruption's message, else the first line of its docstring."""
    doc = (type(exc).__doc__ or "").strip().splitlines()
    why = str(exc) or (doc[0] if doc else type(exc).__name__)
    return f"stopped ({type(exc).__name__}): {why}"


@dataclass
class ScheduledRun:
    """A scheduled job run under way (see the module's text); made by :meth:`begin`."""

    home: Home
    entry: Entry
    trigger: datetime
    run_log: RunLog
    job_run: JobRun
    logfile: RunLogFile
    persons: tuple[str, ...]
    mail: SmtpSettings | None
    outbox: Outbox | None = None
    began: float = field(default_factory=time.monotonic)
    status: str | None = None
    """None while it runs; then :class:`~jobsmith.runlog.Status`."""
    error: str | None = None
    stopped: bool = False
    """True when it was stopped before its job ended (Ctrl+C, a worker's cancel …)."""
    seconds: float = 0.0

    @classmethod
    def begin(
        cls,
        home: Home,
        entry: Entry,
        trigger: datetime,
        run_log: RunLog,
        clock: Clock,
        *,
        persons: Iterable[str] = (),
        mail: SmtpSettings | None = None,
        version: str | None = None,
        configs: Iterable[Path] = (),
        outbox: Outbox | None = None,
    ) -> ScheduledRun:
        """Open the run's log file, start its job run, write the header and
        ``JOB STARTED.``. ``persons`` and ``mail`` get its alarm; ``version`` and
        ``configs`` (the job's own configuration files) are shown in the header."""
        tz = home.settings.timezone
        logfile = RunLogFile.create(log_folder(entry, home), entry.name, clock, tz)
        try:
            job_run = run_log.start_job(entry.name, home.config.environment, kind="schedule")
        except BaseException:
            logfile.close()
            raise
        run = cls(home, entry, trigger, run_log, job_run, logfile, tuple(persons), mail, outbox)
        shown = [p for p in (home.ini_path, home.config.path) if p and p.is_file()]
        shown += [p for p in configs if p not in shown]
        logfile.header([
            ("APP", entry.name), ("DESC", entry.description), ("VERSION", version or "None"),
            ("TIMESTAMP", timestamp(clock.now(), tz)), ("FILE", logfile.path),
            ("SCRIPT", home.path(entry.file)), *machine_items(), ("ID", entry.id),
            ("TRIGGER", timestamp(trigger, tz)),
            ("CONFIGS", ", ".join(str(p) for p in shown) or "None"),
            ("PERSONS", ", ".join(run.persons) or "None"), ("RUN", job_run.id),
        ])  # fmt: skip
        logfile.log("INFO", "JOB STARTED.")
        run.began = time.monotonic()
        return run

    @property
    def id(self) -> int:
        """The job run's id in the run log."""
        return self.job_run.id

    def end(self, status: str, error: str | None = None, *, stopped: bool = False) -> None:
        """Write the closing lines, close the log file and record the end in the run log."""
        self.status, self.error, self.stopped = status, error, stopped
        self.seconds = time.monotonic() - self.began
        if status == Status.COMPLETED:
            self.logfile.log("INFO", "JOB FINISHED.")
        else:
            self.logfile.log("ERROR", f"JOB {'STOPPED' if stopped else 'FAILED'}: {error}")
        self.logfile.log("INFO", f"TIME SPENT: {int(self.seconds)} seconds.")
        self.logfile.close()
        self.run_log.end_job(self.job_run, status, error)

    def alarm(self) -> bool:
        """After :meth:`end`: send the alarm if the run failed (``interrupted`` if it was
        stopped) and the home's settings ask for that event; True when it was sent (or,
        with an outbox, handed to it)."""
        if self.status != Status.FAILED:
            return False
        event = "interrupted" if self.stopped else "failed"
        if event not in self.home.settings.alarm:
            return False
        shown = timestamp(self.trigger, self.home.settings.timezone)
        return send_alarm(
            self.entry,
            event,
            shown,
            self.persons,
            self.mail,
            self.logfile.path,
            self.error,
            self.outbox,
        )
