"""E-mail (issue 15): a recipient that is not an address is an error when the mail or the
alarm is configured, not a message sent to its first word; a `$` that is not a
placeholder is sent as it is."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from jobsmith import JobExecution
from jobsmith.config import Config
from jobsmith.errors import EmailError
from jobsmith.schedule.home import Home
from jobsmith.schedule.job import Notifier
from jobsmith.store import Store
from tests.acceptance.test_schedule_cli import jobsmith, ok
from tests.conftest import SmtpServer, StoreTarget


def test_a_recipient_that_is_not_an_address_is_refused(
    sqlite_store: Store, smtp_server: SmtpServer
) -> None:
    with JobExecution("j", Config(), backend=sqlite_store,
                      parameters={"smtp_server": smtp_server.address}) as ctx:  # fmt: skip
        with pytest.raises(
            EmailError, match=r"recipient 'not an address': 'not' is not an e-mail address"
        ):
            ctx.add_error_email("jobs@example.com", "not an address", "failed", "see the log")
        with pytest.raises(EmailError, match="is not an e-mail address"):
            ctx.send_email("jobs@example.com", ["ops@example.com", "ops"], "s", "t")
    assert smtp_server.received == []


def test_a_dollar_that_is_no_placeholder_is_sent_as_it_is(
    sqlite_store: Store, smtp_server: SmtpServer
) -> None:
    text = "Total: $5, US$ 3, 100 $, ${ and $rows rows ($$ is one dollar sign)"
    with JobExecution("j", Config(), backend=sqlite_store,
                      parameters={"smtp_server": smtp_server.address, "rows": 7}) as ctx:  # fmt: skip
        ctx.send_email("jobs@example.com", "ops@example.com", "Cost $5", text)
    [mail] = smtp_server.received
    assert mail.message["Subject"] == "Cost $5"
    assert str(mail.message.get_content()).strip() == (
        "Total: $5, US$ 3, 100 $, ${ and 7 rows ($ is one dollar sign)"
    )


def test_runners_notify_refuses_a_recipient_that_is_not_an_address(
    tmp_path: Path, smtp_server: SmtpServer
) -> None:
    (tmp_path / "config.ini").write_text(f"[EMAIL]\nip = 127.0.0.1\nport = {smtp_server.port}\n")
    home = Home.load(tmp_path)

    class FakeJob:  # what Notifier needs of a Job
        pass

    job = FakeJob()
    job.home = home  # type: ignore[attr-defined]
    job.mail = home.mail  # type: ignore[attr-defined]
    notifier = Notifier(job)  # type: ignore[arg-type]
    with pytest.raises(EmailError, match="'not' is not an e-mail address"):
        notifier.notify("Help me", "You are my only hope", "not an address")
    notifier.notify("Help me", "You are my only hope, $5", "ObiWanKenobi@email.com")
    [mail] = smtp_server.received
    assert mail.recipients == ["ObiWanKenobi@email.com"]
    assert "my only hope, $5" in str(mail.message.get_content())


def test_job_persons_that_are_not_addresses_stop_the_job_with_one_line(
    tmp_path: Path, sqlite_target: StoreTarget
) -> None:
    home = tmp_path / "home"
    ok(jobsmith(home, sqlite_target, "create", "scheduler", "--name", "s", "--description", "S"))
    ok(jobsmith(home, sqlite_target, "create", "job", "--name", "test", "--no-input"))
    config = home / "jobs" / "0" / "config.ini"
    config.write_text("[JOB]\npersons = not an address\n")
    env = {**sqlite_target.env()}
    env.pop("JOBSMITH_HOME", None)
    result = subprocess.run([sys.executable, "jobs/0/job.py"], cwd=home, env=env, text=True,
                            capture_output=True, timeout=60)  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"job.py: error: {config}: [JOB] persons: 'not' is not an e-mail address"
    ]
    refused = jobsmith(
        home, sqlite_target, "create", "job", "--no-input", "--persons", "not an address"
    )
    assert (
        refused.returncode == 1
        and "--persons not an address: 'not' is not an e-mail address" in refused.stderr
    )
