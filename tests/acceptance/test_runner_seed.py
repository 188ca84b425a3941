"""runner's README walkthrough, end to end, as real processes with an injected clock
(JOBSMITH_CLOCK) and a real local SMTP server (aiosmtpd) that receives the alarm."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from email import message_from_bytes
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from tests.conftest import StoreTarget

SCRIPT = "from job import job\n\n# Write the code to be executed by job down below.\nprint('Wake up, Neo...')\njob.log.info('Hello there.')\n"
FAILING = "from job import job\n\ntry:\n    1/0\nexcept ZeroDivisionError:\n    job.log.error()\n    raise\n"


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.messages.append((list(envelope.rcpt_tos), envelope.content))  # type: ignore[attr-defined]
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    with socket.socket() as probe:  # a free port (the controller checks it by connecting)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def manager(
    home: Path, target: StoreTarget, *args: str, stdin: str = "", clock: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**target.env(), "COLUMNS": "200"}
    env.pop("JOBSMITH_HOME", None)
    if clock:
        env["JOBSMITH_CLOCK"] = clock
    return subprocess.run([sys.executable, "manager.py", *args], cwd=home, input=stdin, text=True,
                          capture_output=True, env=env, timeout=60)  # fmt: skip


def test_the_runner_walkthrough(
    tmp_path: Path, target: StoreTarget, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    target.open(deploy=True).close()  # `jobsmith deploy` (PostgreSQL is never deployed implicitly)
    home = tmp_path / "runner"
    home.mkdir()
    (home / "manager.py").write_text("import jobsmith\n\nmanager = jobsmith.Manager()\n")

    first = manager(home, target)
    assert f"File {home / 'config.ini'} created." in first.stdout
    assert "create scheduler    Generate a scheduler with all elements." in first.stdout
    assert (
        "Execute the job by id with or without run time."
        in manager(home, target, "run", "job", "help").stdout
    )

    created = manager(home, target, "create", "scheduler", stdin="\n\n")
    assert created.returncode == 0, created.stderr
    for name in ("scheduler.py", "config.ini", "schedule.tsv", "jobs"):
        assert (home / name).exists()
    # the store of this test, the SMTP server, UTC
    ini = (home / "config.ini").read_text().replace("timezone =\n", "timezone = UTC\n")
    ini = ini.replace(
        "url =\nschema = jobsmith\n", f"url = {target.url}\nschema = {target.schema}\n"
    )
    ini = ini.replace("ip =\n", "ip = 127.0.0.1\n").replace("port = 25\n", f"port = {port}\n")
    (home / "config.ini").write_text(ini.replace("address =\n", "address = runner@localhost\n"))

    job = manager(home, target, "create", "job", stdin="test\nTest Job\n\n\n\n8\n0\n0\nN\n")
    assert "Job ID: 0" in job.stdout and "Job test successfully added to schedule!" in job.stdout
    job_folder = home / "jobs" / "0"
    assert {p.name for p in job_folder.iterdir()} == {"job.py", "config.ini", "script.py"}
    listed = manager(home, target, "list", "jobs")
    assert "Test Job" in listed.stdout and "│ N " in listed.stdout
    assert "No job" not in manager(home, target, "list", "jobs", "inactive").stdout

    (job_folder / "script.py").write_text(SCRIPT)
    schedule = home / "schedule.tsv"
    schedule.write_text(schedule.read_text().replace("\tN\n", "\tY\n"))  # activate
    assert "test" in manager(home, target, "list", "jobs", "active").stdout

    ran = manager(
        home,
        target,
        "run",
        "job",
        "0",
        "2019-01-01/08:00:00",
        stdin="Y\n",
        clock="2018-12-31T23:59:59",
    )
    assert ran.returncode == 0, ran.stderr
    for line in (
        "REQUEST TO RUN THE JOB.",
        "ID: 0.",
        "NAME: test.",
        "DESCRIPTION: Test Job.",
        "TRIGGER: 2019-01-01/08:00:00.",
        "Wake up, Neo...",
        "DONE.",
    ):
        assert line in ran.stdout
    log = (job_folder / "logs" / "test_20181231235959.log").read_text()
    for line in ("*          APP: test", "*         DESC: Test Job", "*    TIMESTAMP: 2018-12-31 23:59:59",
                 "*           ID: 0", "*      TRIGGER: 2019-01-01 08:00:00", "|INFO|JOB STARTED.", "Wake up, Neo...",
                 "|INFO|Hello there.", "|INFO|JOB FINISHED.", "|INFO|TIME SPENT: 0 seconds."):  # fmt: skip
        assert line in log
    assert log.rstrip().endswith("TIME SPENT: 0 seconds.")

    (home / "run_jobs.txt").write_text("0 2018-12-31/08:00:00\n0 2019-01-01/08:00:00\n")
    both = manager(home, target, "run", "jobs", str(home / "run_jobs.txt"), stdin="Y\nY\n")
    assert both.returncode == 0, both.stderr
    assert (
        both.stdout.count("Wake up, Neo...") == 2 and "TRIGGER: 2018-12-31/08:00:00." in both.stdout
    )
    cancelled = manager(home, target, "run", "job", "0", stdin="N\n")
    assert "Request canceled." in cancelled.stdout and "Wake up" not in cancelled.stdout

    # Standalone, as `python jobs/0/job.py -t …`: its own log file, header and run.
    direct = subprocess.run([sys.executable, "job.py", "-t", "2019-01-01/08:00:00"], cwd=job_folder, text=True,
                            capture_output=True, env={**target.env(), "JOBSMITH_CLOCK": "2019-02-01T10:00:00"}, timeout=60)  # fmt: skip
    assert direct.returncode == 0 and "Wake up, Neo..." in direct.stdout
    assert (
        "TRIGGER: 2019-01-01 08:00:00"
        in (job_folder / "logs" / "test_20190201100000.log").read_text()
    )

    # A failing job alarms its persons.
    (job_folder / "config.ini").write_text("[JOB]\npersons = user@email.com\n")
    (job_folder / "script.py").write_text(FAILING)
    failed = manager(home, target, "run", "job", "0", "--yes", clock="2018-12-31T23:59:59")
    assert failed.returncode == 1
    failed_log = job_folder / "logs" / "test_20181231235959_2.log"
    text = failed_log.read_text()
    assert (
        "|ERROR|FAIL! ERROR: ZeroDivisionError. FILE:" in text
        and "LINE: 4. REASON: division by zero." in text
    )
    assert "|ERROR|JOB FAILED: exit code 1" in text
    ((recipients, content),) = inbox.messages
    assert recipients == ["user@email.com"]
    body = message_from_bytes(content).get_payload(decode=True).decode()
    assert body.splitlines() == [
        "Error occurred during execution.", "Job id: 0.", "Job name: test.", "Job description: Test Job.",
        "Job trigger: 2018-12-31 23:59:59.", "Details: exit code 1",
        f"Please check the {failed_log} for more details.",
    ]  # fmt: skip

    # The scheduler: job 0 at 08:00:00, with the clock set to 07:59:57.
    (job_folder / "script.py").write_text(SCRIPT)
    env = {**target.env(), "JOBSMITH_CLOCK": "2019-01-01T07:59:57"}
    process = subprocess.Popen([sys.executable, "scheduler.py"], cwd=home, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)  # fmt: skip
    scheduled = job_folder / "logs" / "test_20190101080000.log"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (
        scheduled.exists() and "TIME SPENT" in scheduled.read_text()
    ):
        time.sleep(0.2)
    process.send_signal(signal.SIGTERM)
    _, errors = process.communicate(timeout=30)
    assert process.returncode == 0, errors
    assert "TRIGGER: 2019-01-01 08:00:00" in scheduled.read_text()
    assert "Schedule loaded from" in (home / "logs" / "scheduler.log").read_text()
    history = subprocess.run([sys.executable, "-m", "jobsmith", "schedule", "history", "0", "--home", str(home)],
                             env={**target.env(), "COLUMNS": "200"}, text=True, capture_output=True, timeout=60)  # fmt: skip
    assert history.returncode == 0, history.stderr
    rows = [line for line in history.stdout.splitlines() if "2019-01-01 08:00:00" in line]
    assert any("scheduled" in r and "ran" in r and "Completed" in r for r in rows)
    assert any("manual" in r for r in rows)
    assert os.path.exists(home / "logs" / "scheduler.log")
