"""Generated files: runner's ``create scheduler`` and ``create job``, and ``delete job``.

A home after ``create scheduler`` and ``create job``::

    config.ini          the main configuration (runner's sections)
    scheduler.py        `jobsmith.Scheduler().start()`
    schedule.tsv        the schedule
    jobs/0/job.py       the job's starter (FILE in the schedule)
    jobs/0/config.ini   the job's configuration ([JOB] persons)
    jobs/0/script.py    the job's code
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from jobsmith.environments import Environment
from jobsmith.errors import ScheduleError, UnknownEnvironmentError
from jobsmith.params import normalize
from jobsmith.schedule.entries import COLUMNS, entry_from_cells
from jobsmith.schedule.home import CONFIG_INI, Home
from jobsmith.schedule.sources import ScheduleSource
from jobsmith.schedule.tsv import ScheduleFile
from jobsmith.store import Store, utcnow

__all__ = [
    "JobSpec",
    "create_job",
    "create_scheduler",
    "delete_job",
    "ensure_config",
    "next_job_id",
]

Say = Callable[[str], None]

CONFIG_TEMPLATE = """\
# The scheduler's configuration (runner's config.ini); see docs/schedule.md.
[MANAGER]
# the editor `edit schedule`, `edit job` and `edit config` open (default: $EDITOR)
editor =

[SCHEDULER]
name = {name}
desc = {description}
schedule = schedule.tsv
# where the schedule lives: file (schedule.tsv) or store
source = file
# the schedule's time zone (an IANA name such as Europe/Berlin); empty: this machine's
timezone =
# fires missed while no scheduler ran: none | latest [WINDOW] | all [WINDOW [COUNT]]
catchup = none
# when the previous run is still going: skip | buffer-one | allow
overlap = skip
# how late (seconds, or 90s, 5m …) a fire may start and still count as on time
grace = 60
# which events send an alarm to a job's persons: failed, interrupted, missed, skipped
alarm = failed, interrupted
# run due jobs in the scheduler (run) or post them to the queue for `jobsmith worker` (post)
mode = run
# with mode = post: the queue the jobs go to
queue = default

[LOG]
# True: log to the console only; False: also to logs/<name>.log
console = False
showtime = False
showdelay = False

[ENVIRONMENT]
# name = interpreter; "python" is the Python jobsmith runs in unless set here
# venv = /srv/runner/venv/bin/python
bash = bash

[EMAIL]
ip =
port = 25
need_login = False
user =
password =
address =
need_tls = False

[INFO]
# who gets every job's alarms
owner =

[STORE]
# empty: .jobsmith/jobsmith.db in this folder; e.g. postgresql://host/db
url =
schema = jobsmith
"""

SCHEDULER_PY = """\
\"\"\"The scheduler of this folder: `python scheduler.py` (or `jobsmith scheduler`).\"\"\"

import jobsmith

scheduler = jobsmith.Scheduler()
scheduler.start()
"""

JOB_PY = """\
\"\"\"Job {id} ({name}): run by the scheduler, by `jobsmith run job {id}`, or directly:
`python job.py --trigger 2019-01-01/08:00:00`.\"\"\"

import jobsmith

job = jobsmith.Job(__file__)

if __name__ == "__main__":
    job.start("script.py")
"""

JOB_CONFIG = """\
[JOB]
# e-mail addresses that get this job's alarms
persons =
"""

SCRIPT_PY = """\
from job import job

# Write the code to be executed by job down below.
"""

JOB_SH = """\
#!{shell}
# Job {id} ({name}), run by the scheduler or `jobsmith run job {id}` as
#   {program} job.sh [PARAMETERS] --trigger 2019-01-01/08:00:00
# with JOBSMITH_TRIGGER, JOBSMITH_JOB_ID, JOBSMITH_JOB_NAME and JOBSMITH_HOME set.
# Its output goes to the run's log file; a status other than 0 fails the run.
set -eu

# Write the commands to be executed by the job down below.
"""

SHELLS = frozenset({"bash", "sh", "dash", "zsh", "ksh"})
"""Environments whose jobs ``create job`` writes as a shell script (``job.sh``)."""


def check_environment(home: Home, environment: str) -> Environment:
    """The environment called ``environment``; an unknown one is a ScheduleError."""
    try:
        return home.environments.get(environment)
    except UnknownEnvironmentError:
        known = ", ".join(home.environments.names())
        raise ScheduleError(
            f"environment {environment!r} is unknown (known: {known}); add "
            f"`{environment} = /path/to/program` under [ENVIRONMENT] in {home.ini_path}"
        ) from None


def job_kind(home: Home, environment: str) -> str:
    """What ``create job`` generates for ``environment``: ``python`` (job.py and
    script.py) or ``shell`` (job.sh). An unknown environment, or one for which jobsmith
    writes no job (Java, R …), is a :class:`ScheduleError` saying what to do instead."""
    found = check_environment(home, environment)
    program = found.candidates[0][0]
    base = Path(program).name.lower().removesuffix(".exe")
    if normalize(found.name) == "python" or base.startswith(("python", "pypy")):
        return "python"
    if Path(program).is_dir():  # a virtualenv folder: its python runs the job
        return "python"
    if base in SHELLS:
        return "shell"
    raise ScheduleError(
        f"environment {environment!r} ({program}): jobsmith generates jobs for Python and "
        "shell environments only; write the program yourself and schedule it with "
        "--file PATH (create job --file … --environment …)"
    )


def check_file(home: Home, file: str) -> None:
    """An existing file to schedule (``create job --file``), else a ScheduleError."""
    if file and not home.path(file).is_file():
        raise ScheduleError(
            f"no such file {home.path(file)}; give the file the job runs, "
            "or leave --file out to generate one"
        )


def ensure_config(folder: Path, name: str = "scheduler", description: str = "Scheduler") -> bool:
    """Write the default ``config.ini`` unless there is one; True when written."""
    path = folder / CONFIG_INI
    if path.exists():
        return False
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text(CONFIG_TEMPLATE.format(name=name, description=description), encoding="utf-8")
    return True


def create_scheduler(folder: Path, name: str, description: str, say: Say) -> None:
    """runner's ``create scheduler``: config.ini, scheduler.py, schedule.tsv and jobs/."""
    say(f"Creating scheduler {name}...")
    config = folder / CONFIG_INI
    if ensure_config(folder, name, description):
        say(f"File {config} created.")
    else:
        _set_ini(config, "SCHEDULER", {"name": name, "desc": description})
        say(f"File {config} updated.")
    _write(folder / "scheduler.py", SCHEDULER_PY, say)
    if ScheduleFile(folder / "schedule.tsv").create():
        say(f"File {folder / 'schedule.tsv'} created.")
    else:
        say(f"File {folder / 'schedule.tsv'} already exists.")
    jobs = folder / "jobs"
    if jobs.is_dir():
        say(f"Folder {jobs} already exists.")
    else:
        jobs.mkdir(parents=True)
        say(f"Folder {jobs} created.")


@dataclass
class JobSpec:
    """What ``create job`` asks for."""

    name: str = ""
    description: str = ""
    environment: str = "python"
    month_day: str = "*"
    week_day: str = "*"
    hour: str = "*"
    minute: str = "*"
    second: str = "*"
    parameters: str = ""
    active: bool = False
    cron: str = ""
    every: str = ""
    persons: str = ""
    file: str = ""
    """Empty: generate jobs/<id>/job.py; else schedule this existing file."""


def next_job_id(home: Home, source: ScheduleSource) -> int:
    """One more than the highest id in the schedule or among the job folders."""
    ids = [entry.id for entry in source.read(home.settings.timezone)]
    if home.jobs_folder.is_dir():
        ids += [int(p.name) for p in home.jobs_folder.iterdir() if p.is_dir() and p.name.isdigit()]
    return max(ids, default=-1) + 1


def create_job(
    home: Home, source: ScheduleSource, spec: JobSpec, say: Say, store: Store | None = None
) -> int:
    """runner's ``create job``: the job's folder and files, and its line in the schedule.

    With ``store``, whatever the store recorded under the new id (a job deleted by hand
    from schedule.tsv) is set apart as that deleted job's: the new job starts unpaused,
    with an empty history."""
    job_id = next_job_id(home, source)
    name = spec.name or f"job_{job_id:03}"
    cells = {
        "ID": str(job_id), "NAME": name, "DESCRIPTION": spec.description or f"Job {job_id}",
        "ENVIRONMENT": spec.environment or "python", "FILE": spec.file,
        "MONTH_DAY": spec.month_day, "WEEK_DAY": spec.week_day, "HOUR": spec.hour,
        "MINUTE": spec.minute, "SECOND": spec.second, "PARAMETERS": spec.parameters,
        "STATUS": "Y" if spec.active else "N", "CRON": spec.cron, "EVERY": spec.every,
        "PERSONS": spec.persons,
    }  # fmt: skip
    fields = ("MONTH_DAY", "WEEK_DAY", "HOUR", "MINUTE", "SECOND")
    given = [f for f in fields if cells[f] not in ("", "*")]
    if (spec.cron and spec.every) or ((spec.cron or spec.every) and given):
        raise ScheduleError(
            f"the new job: {', '.join(['CRON'] * bool(spec.cron) + ['EVERY'] * bool(spec.every) + given)}"
            ": give either a cron expression, an interval or the five time fields, not several"
        )
    if spec.cron or spec.every:
        cells.update(dict.fromkeys(fields, "*"))
    folder = home.jobs_folder / str(job_id)
    check_file(home, spec.file)
    check_environment(home, cells["ENVIRONMENT"])
    kind = job_kind(home, cells["ENVIRONMENT"]) if not spec.file else ""
    if not spec.file:
        cells["FILE"] = str(folder / ("job.sh" if kind == "shell" else "job.py"))
    entry_from_cells(cells, "the new job", home.settings.timezone)  # check before writing anything
    say("Creating job...")
    say(f"Job ID: {job_id}")
    if not spec.file:
        if folder.exists():
            raise ScheduleError(f"{folder} already exists; an existing job is never replaced")
        folder.mkdir(parents=True)
        say(f"Folder {folder} created.")
        _write_job_files(home, folder, kind, cells, say)
    if store is not None:
        store.schedules.retire_entry(home.settings.name, job_id, utcnow())
    source.add({c: cells[c] for c in cells if c in COLUMNS or cells[c]})
    say(f"Job {name} successfully added to schedule!")
    return job_id


def delete_job(
    home: Home, source: ScheduleSource, job_id: int, say: Say, store: Store | None = None
) -> None:
    """runner's ``delete job``: the schedule line and the job's generated folder; with
    ``store``, its pause ends and its fires stay the deleted job's (a job created later
    with the same id does not inherit them)."""
    folder = home.jobs_folder / str(job_id)
    removed = source.remove(job_id)
    if not removed and not folder.exists():
        raise ScheduleError(f"there is no job {job_id} in {source.description}")
    if store is not None:
        store.schedules.retire_entry(home.settings.name, job_id, utcnow())
    if removed:
        say(f"Record of job {job_id} in {source.description} removed.")
    if folder.is_dir():
        shutil.rmtree(folder)
        say(f"Folder {folder} removed.")


def _write_job_files(
    home: Home, folder: Path, kind: str, cells: Mapping[str, str], say: Say
) -> None:
    job_id, name = cells["ID"], cells["NAME"]
    if kind == "shell":
        program = home.environments.get(cells["ENVIRONMENT"]).candidates[0][0]
        shell = f"/usr/bin/env {Path(program).name}" if not Path(program).is_absolute() else program
        text = JOB_SH.format(id=job_id, name=name, program=program, shell=shell)
        _write(folder / "job.sh", text, say)
        (folder / "job.sh").chmod((folder / "job.sh").stat().st_mode | 0o111 & ~_umask())
    else:
        _write(folder / "job.py", JOB_PY.format(id=job_id, name=name), say)
    _write(folder / "config.ini", JOB_CONFIG, say)
    if kind != "shell":
        _write(folder / "script.py", SCRIPT_PY, say)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def _write(path: Path, text: str, say: Say) -> None:
    if path.exists():
        say(f"File {path} already exists.")
        return
    path.write_text(text, encoding="utf-8")
    say(f"File {path} created.")


def _set_ini(path: Path, section: str, values: Mapping[str, str]) -> None:
    """Set options in one section of an ini file, keeping its other lines and comments."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next((i for i, ln in enumerate(lines) if ln.strip().upper() == f"[{section}]"), None)
    if start is None:
        lines += ["", f"[{section}]", *(f"{k} = {v}" for k, v in values.items())]
    else:
        end = next(
            (i for i in range(start + 1, len(lines)) if lines[i].lstrip().startswith("[")),
            len(lines),
        )
        pending = dict(values)
        for index in range(start + 1, end):
            key = lines[index].split("=", 1)[0].strip().lower()
            if "=" in lines[index] and key in pending:
                lines[index] = f"{key} = {pending.pop(key)}"
        lines[end:end] = [f"{k} = {v}" for k, v in pending.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
