"""The job a job's ``job.py`` is (runner's ``Job``): its identity, trigger, log and alarms.

``jobsmith create job`` writes::

    # jobs/0/job.py
    import jobsmith

    job = jobsmith.Job(__file__)

    if __name__ == "__main__":
        job.start("script.py")

    # jobs/0/script.py
    from job import job

    print("Wake up, Neo...")
    job.log.info("Hello there.")

Run by the scheduler or ``jobsmith run job`` (``JOBSMITH_RUN_LOG`` is set), the job's
log lines go to its output, which the runner writes into the run's log file. Run
directly (``python jobs/0/job.py -t 2019-01-01/08:00:00``), the job writes its own log
file, records the run in the run log and sends the alarm when the script fails.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import runpy
import sys
import sysconfig
import traceback
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn

from jobsmith.clock import Clock, clock_from_env
from jobsmith.errors import ConfigError, ScheduleError
from jobsmith.runlog import RunLog, Status
from jobsmith.schedule.alarms import alarm_message, send_mail
from jobsmith.schedule.entries import Entry, parse_persons
from jobsmith.schedule.expressions import Schedule
from jobsmith.schedule.handoff import JobProcessValues
from jobsmith.schedule.home import Home
from jobsmith.schedule.jobconfig import JobSettings, job_settings
from jobsmith.schedule.logfile import LINE_FORMAT, RunLogFile, timestamp
from jobsmith.schedule.manual import parse_trigger
from jobsmith.schedule.runrecord import ScheduledRun, stop_reason
from jobsmith.schedule.sources import open_source

__all__ = ["Job"]


class JobLog:
    """runner's ``job.log``: ``info``, ``warning``, ``error`` … ``error()`` with no message
    inside an ``except`` block logs the error as runner did (type, file, line, reason)."""

    def __init__(self, logger: logging.Logger) -> None:
        self.logger = logger

    def debug(self, message: str, *args: object) -> None:
        self.logger.debug(message, *args)

    def info(self, message: str = "", *args: object) -> None:
        self.logger.info(message, *args)

    def warning(self, message: str, *args: object) -> None:
        self.logger.warning(message, *args)

    def error(self, message: str | None = None, *args: object) -> None:
        self.logger.error(failure_line() if message is None else message, *args)

    def critical(self, message: str | None = None, *args: object) -> None:
        self.logger.critical(failure_line() if message is None else message, *args)


def failure_line(error: BaseException | None = None) -> str:
    """``FAIL! ERROR: ZeroDivisionError. FILE: …/script.py. LINE: 7. REASON: division by zero.``"""
    error = error or sys.exc_info()[1]
    if error is None:
        return "FAIL!"
    frame = user_frame(traceback.extract_tb(error.__traceback__))
    where = f" FILE: {frame.filename}. LINE: {frame.lineno}." if frame else ""
    return f"FAIL! ERROR: {type(error).__name__}.{where} REASON: {error}."


_LIBRARIES = tuple(
    os.path.join(folder, "")
    for folder in {str(Path(__file__).resolve().parent.parent)}  # jobsmith itself
    | {sysconfig.get_paths()[name] for name in ("stdlib", "platstdlib", "purelib", "platlib")}
)


def user_frame(frames: traceback.StackSummary) -> traceback.FrameSummary | None:
    """The innermost frame in the user's code (not in jobsmith, Python's library or an
    installed package): where the job's script went wrong. The innermost frame when all
    are library frames."""
    for frame in reversed(frames):
        name = frame.filename
        if not name.startswith("<") and not name.startswith(_LIBRARIES):
            return frame
    return frames[-1] if frames else None


class Notifier:
    """runner's ``job.email``: plain messages through the home's mail server."""

    def __init__(self, job: Job) -> None:
        self.job = job

    def notify(self, subject: str, text: str, recipient: str | list[str]) -> None:
        to = (recipient,) if isinstance(recipient, str) else tuple(recipient)
        send_mail(self.job.mail, to, subject, text)


class Job:
    """One job, as its ``job.py`` sees it."""

    def __init__(
        self,
        file: str | os.PathLike[str] | None = None,
        argv: list[str] | None = None,
        clock: Clock | None = None,
        *,
        config: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None = None,
        **settings: Any,
    ) -> None:
        """``config``: more config.ini files for this job, read after its own
        (runner's ``Job(config=[...])``); ``settings``: ``name=``, ``desc=``, ``version=``,
        ``persons=``, which win over every file (see :mod:`jobsmith.schedule.jobconfig`)."""
        self.file = Path(file or sys.argv[0]).resolve()
        self.folder = self.file.parent
        self.clock = clock or clock_from_env(os.environ)  # a job process is an edge
        options, self.args = _arguments(
            argv if argv is not None else sys.argv[1:], self.file.name, exit_on_error=argv is None
        )
        self.handed = JobProcessValues.read(os.environ)  # a job process is an edge
        """What the scheduler (or ``jobsmith run job``) that started this process passed."""
        self.home = Home.load(self.handed.home if self.handed else _home_of(self.folder))
        self.managed = self.handed is not None
        """True when a scheduler or ``jobsmith run job`` runs this job and keeps its log."""
        configs = [config] if isinstance(config, (str, os.PathLike)) else list(config or ())
        entry = self._entry()
        try:
            self.settings = job_settings(entry, self.home, configs, settings)
            self.persons = _persons(entry, self.home, self.settings, self.handed)
        except ConfigError as exc:
            if argv is not None:
                raise
            raise SystemExit(f"{self.file.name}: error: {exc}") from None
        self.entry = self.settings.apply(entry)
        self.mail = self.settings.mail(self.home)
        """The mail server of ``job.email`` and ``job.alarm()`` (the job's [EMAIL] first)."""
        self.id, self.name, self.description = (
            self.entry.id,
            self.entry.name,
            self.entry.description,
        )
        tz = self.home.settings.timezone
        try:
            self.trigger: datetime = (
                parse_trigger(options.trigger, tz)
                if options.trigger
                else self.clock.now().astimezone(tz)
            )
        except ScheduleError as exc:
            if argv is not None:
                raise
            raise SystemExit(f"{self.file.name}: error: -t/--trigger: {exc}") from None
        self.log_path: Path | None = Path(self.handed.run_log) if self.handed else None
        self.logger = logging.getLogger(f"jobsmith.job.{self.name}")
        self.log = JobLog(self.logger)
        self.email = Notifier(self)

    def _entry(self) -> Entry:
        handed = self.handed
        if handed is not None and handed.job_id.isdigit():
            return Entry(int(handed.job_id), handed.job_name or self.folder.name,
                         handed.job_description, "python", str(self.file), Schedule.fields())  # fmt: skip
        try:
            source = open_source("file", self.home.schedule_path, None, self.home.settings.name)
            for entry in source.read(self.home.settings.timezone):
                if self.home.path(entry.file).resolve() == self.file:
                    return entry
        except ScheduleError:
            pass
        name = self.folder.name if self.folder.name.isdigit() else self.file.stem
        number = int(self.folder.name) if self.folder.name.isdigit() else 0
        return Entry(
            number,
            f"job_{name}" if name.isdigit() else name,
            "",
            "python",
            str(self.file),
            Schedule.fields(),
        )

    @property
    def trigger_text(self) -> str:
        """``2019-01-01/08:00:00``."""
        return self.trigger.astimezone(self.home.settings.timezone).strftime("%Y-%m-%d/%H:%M:%S")

    def alarm(self, detail: str | None = None) -> None:
        """Send runner's alarm e-mail to the job's persons now."""
        tz = self.home.settings.timezone
        subject, text = alarm_message(
            self.entry, "failed", timestamp(self.trigger, tz), self.log_path, detail
        )
        if not self.persons:
            self.log.warning(
                "alarm not sent: the job has no persons ([JOB] persons in its config.ini)"
            )
            return
        send_mail(self.mail, self.persons, subject, text)
        self.log.info(f"ALARM SENT TO {', '.join(self.persons)}.")

    # -- running the script ------------------------------------------------------------
    def start(self, script: str | os.PathLike[str] = "script.py") -> None:
        """Run the job's script; exits with status 1 if it fails."""
        path = self.folder / script
        if self.managed:
            _log_to(self.logger, logging.StreamHandler(sys.stderr), self.clock, self.home)
            ok = self._run_script(path) is None
        else:
            ok = self._run_standalone(path)
        if not ok:
            raise SystemExit(1)

    def _run_script(self, path: Path) -> str | None:
        """Run the script in this process; None when it succeeded, else what went wrong."""
        main = sys.modules.get("__main__")
        if main is not None and getattr(main, "job", None) is self:
            sys.modules.setdefault("job", main)  # so the script's `from job import job` finds us
        sys.path.insert(0, str(self.folder))  # as `python script.py` would, for this run only
        try:
            runpy.run_path(str(path), run_name="__main__")
        except SystemExit as exit_:
            if exit_.code in (None, 0):
                return None
            return f"exit code {exit_.code}" if isinstance(exit_.code, int) else str(exit_.code)
        except Exception as exc:
            self.log.error(failure_line(exc))
            return f"{type(exc).__name__}: {exc}"
        finally:
            with contextlib.suppress(ValueError):
                sys.path.remove(str(self.folder))
        return None

    def _run_standalone(self, path: Path) -> bool:
        """Run the script as the scheduler would: through a
        :class:`~jobsmith.schedule.runrecord.ScheduledRun` of our own (log file, run log,
        alarm), with the job's log lines in the file."""
        from jobsmith.store import open_store

        store = open_store(self.home.store_url, self.home.schema, config=self.home.config)
        try:
            run = ScheduledRun.begin(
                self.home,
                self.entry,
                self.trigger,
                RunLog(store),
                self.clock,
                persons=self.persons,
                mail=self.mail,
                version=self.settings.version,
                configs=self.settings.paths,
            )
            self.log_path = run.logfile.path
            handler = _FileHandler(run.logfile)
            _log_to(self.logger, handler, self.clock, self.home)
            try:
                error = self._run_script(path)
            except BaseException as exc:  # Ctrl+C: the run is recorded as stopped
                run.end(Status.FAILED, stop_reason(exc), stopped=True)
                raise
            else:
                run.end(Status.COMPLETED if error is None else Status.FAILED, error)
            finally:
                self.logger.removeHandler(handler)
                run.alarm()
        finally:
            store.close()
        return error is None


class _FileHandler(logging.Handler):
    """Writes log records into a run's log file."""

    def __init__(self, logfile: RunLogFile) -> None:
        super().__init__()
        self.logfile = logfile

    def emit(self, record: logging.LogRecord) -> None:
        self.logfile.write_lines([self.format(record)])


def _log_to(logger: logging.Logger, handler: logging.Handler, clock: Clock, home: Home) -> None:
    tz = home.settings.timezone

    class ClockFormatter(logging.Formatter):
        def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
            return timestamp(clock.now(), tz)

    handler.setFormatter(ClockFormatter(LINE_FORMAT))
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False


class _Arguments(argparse.ArgumentParser):
    """A job's command line; a mistake is one line on stderr (exit status 2)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _arguments(
    argv: list[str], prog: str, exit_on_error: bool = True
) -> tuple[argparse.Namespace, list[str]]:
    """The options of ``job.py``; whatever else is given is passed on to the script."""
    parser = _Arguments(
        prog=prog,
        usage=f"{prog} [-h] [-t TRIGGER] [PARAMETER ...]",
        description="Run this job now, or for a trigger time, as the scheduler would.",
        epilog="Other arguments are passed on to the job's script (sys.argv, job.args).",
        exit_on_error=exit_on_error,
    )
    parser.add_argument(
        "-t",
        "-r",
        "--trigger",
        default=None,
        help="the time to run the job for: yyyy-mm-dd/hh24:mi:ss or yyyy-mm-dd (default: now)",
    )
    parser.add_argument(
        "-a", "--auto", action="store_true", help="runner's flag for runs the scheduler starts"
    )
    return parser.parse_known_args(argv)


def _home_of(folder: Path) -> Path:
    """runner's layout: ``<home>/jobs/<id>/job.py``; else the job's own folder."""
    for candidate in (folder.parent.parent, folder.parent, folder):
        if (candidate / "config.ini").is_file() and (candidate / "schedule.tsv").exists():
            return candidate
    return folder


def _persons(
    entry: Entry, home: Home, settings: JobSettings, handed: JobProcessValues | None
) -> tuple[str, ...]:
    """The scheduler's list when it runs the job, else the entry's PERSONS, the job's
    configuration's and the home's owner; the job's constructor and extra files add theirs."""
    if handed is not None:
        found = list(parse_persons(handed.persons, lambda p: ScheduleError(p)))
    else:
        found = [*entry.persons, *home.settings.owner]
    return tuple(dict.fromkeys([*found, *settings.persons]))
