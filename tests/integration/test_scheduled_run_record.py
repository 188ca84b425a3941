"""A job's run by the scheduler's EntryRunner and its run as ``python jobs/0/job.py`` are
one implementation (jobsmith.schedule.runrecord.ScheduledRun): the same header block, the
same closing lines, a job run of kind ``schedule`` in the run log and the same alarm.
Real job processes, a real SMTP server, SQLite and PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from jobsmith.clock import ManualClock
from jobsmith.schedule.entries import Entry
from jobsmith.schedule.execute import EntryRunner
from jobsmith.schedule.home import Home
from jobsmith.schedule.sources import open_source
from jobsmith.store import Store
from tests.conftest import SmtpServer, StoreTarget
from tests.integration.schedule_homes import add_job, make_home
from tests.integration.worker_processes import wait_for

pytestmark = pytest.mark.timeout(120)

T0 = datetime(2024, 5, 1, 8, 0, 0, tzinfo=UTC)
HEADER_KEYS = [
    "APP", "DESC", "VERSION", "TIMESTAMP", "FILE", "SCRIPT", "MACHINE", "PROCESSOR", "HOSTNAME",
    "USER", "SYSTEM_NM", "SYSTEM_RLS", "SYSTEM_VER", "PYTHON", "ID", "TRIGGER", "CONFIGS",
    "PERSONS", "RUN",
]  # fmt: skip
JOB_PY = 'import jobsmith\n\njob = jobsmith.Job(__file__)\n\nif __name__ == "__main__":\n    job.start("script.py")\n'
FAILING = "from job import job\n\nprint('Wake up, Neo...')\njob.log.info('Hello there.')\n1 / 0\n"


def header(text: str) -> dict[str, str]:
    """The header block's values by key (wrapped values joined, spaces left out)."""
    found: dict[str, str] = {}
    key = ""
    for line in text.splitlines()[2:]:
        if line.startswith("*" * 10):
            break
        label, value = line[1:15].strip(), line[15:-1].strip()
        key = label.rstrip(":") or key
        found[key] = found.get(key, "") + value.replace(" ", "")
    return found


def a_home(tmp_path: Path, target: StoreTarget, smtp_server: SmtpServer) -> Path:
    mail = {"ip": "127.0.0.1", "port": str(smtp_server.port), "address": "jobs@example.com"}
    home = make_home(tmp_path / "home", target, sections={"EMAIL": mail})
    folder = home / "jobs" / "0"
    folder.mkdir(parents=True)
    (folder / "job.py").write_text(JOB_PY)
    (folder / "script.py").write_text(FAILING)
    (folder / "config.ini").write_text("[JOB]\nversion = 2.0\npersons = ops@example.com\n")
    add_job(home, 0, "* * 8 0 0", NAME="test", DESCRIPTION="Test Job", ENVIRONMENT="python",
            FILE="jobs/0/job.py")  # fmt: skip
    return home


def entry_of(home: Home) -> Entry:
    source = open_source("file", home.schedule_path, None, home.settings.name)
    (entry,) = source.read(home.settings.timezone)
    return entry


def test_the_runner_and_job_py_write_one_record(
    tmp_path: Path, target: StoreTarget, store: Store, smtp_server: SmtpServer
) -> None:
    folder = a_home(tmp_path, target, smtp_server)
    home = Home.load(folder)
    job_folder = folder / "jobs" / "0"

    # The scheduler's way: EntryRunner starts jobs/0/job.py as a process.
    outcome = EntryRunner(home, store, ManualClock(T0)).run(entry_of(home), T0)
    assert not outcome.ok and outcome.error == "exit code 1"
    by_runner = outcome.log_path.read_text()

    # The job's own way: python jobs/0/job.py -t …, at 09:00 by its clock.
    env = {**target.env(), "JOBSMITH_CLOCK": "2024-05-01T09:00:00"}
    env.pop("JOBSMITH_HOME", None)
    direct = subprocess.run([sys.executable, "job.py", "-t", "2024-05-01/08:00:00"], cwd=job_folder,
                            env=env, text=True, capture_output=True, timeout=60)  # fmt: skip
    assert direct.returncode == 1, direct.stderr
    direct_log = job_folder / "logs" / "test_20240501090000.log"
    by_job_py = direct_log.read_text()

    assert outcome.log_path == job_folder / "logs" / "test_20240501080000.log"
    runs = []
    for text, path in ((by_runner, outcome.log_path), (by_job_py, direct_log)):
        values = header(text)
        assert list(values) == HEADER_KEYS
        assert values["APP"] == "test" and values["DESC"] == "TestJob"
        assert values["VERSION"] == "2.0" and values["PERSONS"] == "ops@example.com"
        assert values["FILE"] == str(path).replace(" ", "")
        assert values["SCRIPT"] == str(job_folder / "job.py").replace(" ", "")
        assert values["TRIGGER"] == "2024-05-0108:00:00" and values["ID"] == "0"
        configs = f"{folder / 'config.ini'},{job_folder / 'config.ini'}"
        assert values["CONFIGS"] == configs.replace(" ", "")
        lines = text.rstrip().splitlines()
        assert lines[-2].split("|", 2)[1:] in (
            ["ERROR", "JOB FAILED: exit code 1"],
            ["ERROR", "JOB FAILED: ZeroDivisionError: division by zero"],
        )
        assert lines[-1].endswith("|INFO|TIME SPENT: 0 seconds.")
        order = [
            next(i for i, line in enumerate(lines) if line.endswith(end))
            for end in ("|INFO|JOB STARTED.", "|INFO|Hello there.", "|INFO|TIME SPENT: 0 seconds.")
        ]
        assert order == sorted(order)
        assert any("|ERROR|FAIL! ERROR: ZeroDivisionError." in line for line in lines)
        run = store.runs.get(int(values["RUN"]))
        assert (run.kind, run.status, run.job_name) == ("schedule", "Failed", "test")
        runs.append(run.id)
    assert runs[0] != runs[1]
    assert store.runs.get(runs[1]).error == "ZeroDivisionError: division by zero"

    # One alarm for each run, each naming its own log file.
    assert [m.recipients for m in smtp_server.received] == [["ops@example.com"]] * 2
    for received, path in zip(smtp_server.received, (outcome.log_path, direct_log), strict=True):
        assert received.message["Subject"] == "jobsmith alarm: job 0 (test) failed"
        text = received.message.get_content()
        assert "Job trigger: 2024-05-01 08:00:00." in text
        assert f"Please check the {path} for more details." in text


def test_ctrl_c_during_a_run_by_hand_stops_the_job_and_records_it(
    tmp_path: Path, target: StoreTarget, store: Store
) -> None:
    """`jobsmith run job` keeps the job in its own process group (a Ctrl+C at the terminal
    reaches both); a SIGINT to the CLI alone stops the job too, and the run is recorded as
    stopped, its log file closed as usual."""
    home = make_home(tmp_path / "home", target)
    add_job(home, 1, "* * * * *", "--sleep 60")
    pids = home / "jobs" / "pids.txt"
    env = {**target.env(), "JOBSMITH_HOME": str(home)}
    cli = subprocess.Popen([sys.executable, "-m", "jobsmith", "run", "job", "1", "--yes"], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           start_new_session=True)  # fmt: skip
    try:
        wait_for(pids.exists, 60, "the job to start")
        job_pid = int(pids.read_text().split()[0])
        assert os.getpgid(job_pid) == os.getpgid(cli.pid)  # not a session of its own
        os.kill(cli.pid, signal.SIGINT)
        output, _ = cli.communicate(timeout=60)
    finally:
        if cli.poll() is None:
            cli.kill()
    assert cli.returncode != 0, output
    deadline = time.monotonic() + 10
    while _alive(job_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(job_pid), "the job outlived the Ctrl+C"
    assert not (home / "jobs" / "triggers.txt").exists()  # it never got to its end
    (log_path,) = (home / "jobs" / "logs").glob("job1_*.log")
    text = log_path.read_text()
    lines = text.rstrip().splitlines()
    assert "|ERROR|JOB STOPPED: stopped (KeyboardInterrupt)" in lines[-2]
    assert "|INFO|TIME SPENT: " in lines[-1]
    run = store.runs.get(int(header(text)["RUN"]))
    assert run.status == "Failed" and (run.error or "").startswith("stopped (KeyboardInterrupt)")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")  # a zombie waits only for its parent to reap it
    return stat.exists() and stat.read_text().split(")")[-1].split()[0] != "Z"


def test_ctrl_c_during_job_py_records_the_run_as_stopped_and_alarms(
    tmp_path: Path, target: StoreTarget, store: Store, smtp_server: SmtpServer
) -> None:
    folder = a_home(tmp_path, target, smtp_server)
    job_folder = folder / "jobs" / "0"
    (job_folder / "script.py").write_text(
        "import time\nprint('working', flush=True)\ntime.sleep(60)\nprint('finished')\n"
    )
    env = {**target.env(), "JOBSMITH_CLOCK": "2024-05-01T09:00:00"}
    env.pop("JOBSMITH_HOME", None)
    direct = subprocess.Popen([sys.executable, "job.py", "-t", "2024-05-01/08:00:00"], cwd=job_folder,
                              env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    try:
        assert direct.stdout is not None and direct.stdout.readline() == "working\n"
        direct.send_signal(signal.SIGINT)
        output, errors = direct.communicate(timeout=60)
    finally:
        if direct.poll() is None:
            direct.kill()
    assert direct.returncode != 0 and "finished" not in output
    text = (job_folder / "logs" / "test_20240501090000.log").read_text()
    lines = text.rstrip().splitlines()
    assert "|ERROR|JOB STOPPED: stopped (KeyboardInterrupt)" in lines[-2], errors
    assert "|INFO|TIME SPENT: " in lines[-1]
    run = store.runs.get(int(header(text)["RUN"]))
    assert run.status == "Failed" and (run.error or "").startswith("stopped (KeyboardInterrupt)")
    (received,) = smtp_server.received
    assert received.message["Subject"] == "jobsmith alarm: job 0 (test) interrupted"
    assert "The run was interrupted before it ended." in received.message.get_content()
