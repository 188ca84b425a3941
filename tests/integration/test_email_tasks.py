"""Email tasks against a real SMTP server (aiosmtpd) started by the test on 127.0.0.1."""

from __future__ import annotations

import logging
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword

import jobsmith
from jobsmith import JobExecution
from jobsmith.config import Config
from jobsmith.errors import EmailError, MissingParameterError
from jobsmith.smtp import SmtpSettings, send_email
from jobsmith.store import Store
from tests.conftest import SmtpServer, StoreTarget, free_port


def job(store: Store, config: Config | None = None, **parameters: Any) -> JobExecution:
    return JobExecution("nightly load", config or Config(), backend=store, parameters=parameters)


def body(mail: Any) -> str:
    """The text of a received message, with the wire's CRLF line ends as \\n."""
    return str(mail.message.get_content()).replace("\r\n", "\n")


def test_seed_send_email_with_templates(sqlite_store: Store, smtp_server: SmtpServer) -> None:
    with job(sqlite_store, smtp_server=smtp_server.address, rows=42) as ctx:
        sent = ctx.send_email(
            "Jobs <jobs@example.com>",
            ["ops@example.com", "Data Team <data@example.com>"],
            "$job_name: done",
            "Loaded $rows rows in job run $job_execution_id ($$0 cost).",
        )
    [mail] = smtp_server.received
    assert sent["Message-ID"] == mail.message["Message-ID"]
    assert mail.sender == "jobs@example.com"
    assert mail.recipients == ["ops@example.com", "data@example.com"]
    message = mail.message
    assert message["From"] == "Jobs <jobs@example.com>"
    assert message["To"] == "ops@example.com, Data Team <data@example.com>"
    assert message["Subject"] == "nightly load: done"
    assert message["Message-ID"].endswith("@example.com>")
    assert message["Date"]
    assert ctx.run is not None
    assert body(mail) == f"Loaded 42 rows in job run {ctx.run.id} ($0 cost).\n"
    [record] = sqlite_store.runs.tasks(ctx.run.id)
    assert (record.kind, record.name, record.status) == (
        "EmailExecution",
        "$job_name: done",
        "Completed",
    )
    assert dict(record.parameters) == {
        "job_name": "nightly load",
        "rows": "42",
        "job_execution_id": str(ctx.run.id),
        "smtp_server": smtp_server.address,
    }
    assert record.output == (
        "sent 'nightly load: done' to ops@example.com, Data Team <data@example.com> "
        f"via {smtp_server.address}"
    )


def test_copies_and_address_lists(sqlite_store: Store, smtp_server: SmtpServer) -> None:
    with job(sqlite_store, smtp_server=smtp_server.address) as ctx:
        ctx.send_email("me@x.org", "a@x.org; b@x.org", "s", "c", recipients_cc="boss@x.org")
    [mail] = smtp_server.received
    assert mail.recipients == ["a@x.org", "b@x.org", "boss@x.org"]
    assert (mail.message["To"], mail.message["Cc"]) == ("a@x.org, b@x.org", "boss@x.org")


def test_smtp_section_of_the_config_file(
    smtp_server: SmtpServer, sqlite_target: StoreTarget, tmp_path: Path, monkeypatch: Any
) -> None:
    (tmp_path / "jobsmith.yml").write_text(
        f"backend: {sqlite_target.url}\n"
        f"smtp:\n  host: 127.0.0.1\n  port: {smtp_server.port}\n  sender: jobs@example.com\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("JOBSMITH_STORE", raising=False)
    with jobsmith.go("configured") as ctx:
        ctx.send_email(None, "ops@example.com", "Hello", "from $job_name")
    [mail] = smtp_server.received
    assert mail.sender == "jobs@example.com"
    assert body(mail) == "from configured\n"


def test_error_email_on_failure_says_why(sqlite_store: Store, smtp_server: SmtpServer) -> None:
    with (
        pytest.raises(ZeroDivisionError),
        job(sqlite_store, smtp_server=smtp_server.address) as ctx,
    ):
        ctx.add_error_email(
            "jobs@example.com",
            ["ops@example.com"],
            "$job_name failed",
            "Job $job_name ($environment_name) ended $status: $error_message",
            recipients_cc=["boss@example.com"],
        )
        ctx.execute(lambda: 1 / 0)
    [mail] = smtp_server.received
    assert mail.message["Subject"] == "nightly load failed"
    assert body(mail) == ("Job nightly load (default) ended Failed: division by zero\n")
    assert mail.recipients == ["ops@example.com", "boss@example.com"]
    assert ctx.run is not None
    kinds = [(t.kind, t.status) for t in sqlite_store.runs.tasks(ctx.run.id)]
    assert kinds == [("FunctionExecution", "Failed"), ("EmailExecution", "Completed")]


def test_no_error_email_when_the_job_succeeds(sqlite_store: Store, smtp_server: SmtpServer) -> None:
    with job(sqlite_store, smtp_server=smtp_server.address) as ctx:
        ctx.add_error_email("jobs@example.com", "ops@example.com", "failed", "$error_message")
        ctx.execute(lambda: None)
    assert smtp_server.received == []


def test_unreachable_server_never_hides_the_jobs_own_error(
    sqlite_store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    nowhere = f"127.0.0.1:{free_port()}"
    with (
        caplog.at_level(logging.ERROR),
        pytest.raises(ZeroDivisionError),
        job(sqlite_store, smtp_server=nowhere) as ctx,
    ):
        ctx.add_error_email("jobs@example.com", "ops@example.com", "failed", "$error_message")
        ctx.execute(lambda: 1 / 0)
    assert f"cannot send email via {nowhere}: Connection refused" in caplog.text
    assert ctx.run is not None
    assert sqlite_store.runs.get(str(ctx.run.id)).error == "division by zero"


def test_unreachable_server_fails_the_email_task(sqlite_store: Store) -> None:
    nowhere = f"127.0.0.1:{free_port()}"
    with pytest.raises(EmailError) as caught, job(sqlite_store, smtp_server=nowhere) as ctx:
        ctx.send_email("jobs@example.com", "ops@example.com", "s", "c")
    assert str(caught.value) == f"cannot send email via {nowhere}: Connection refused"
    assert ctx.run is not None
    [record] = sqlite_store.runs.tasks(ctx.run.id)
    assert (record.status, record.error) == ("Failed", str(caught.value))


def test_missing_template_parameter(sqlite_store: Store, smtp_server: SmtpServer) -> None:
    with (
        pytest.raises(MissingParameterError, match=r"'customer' is not defined .* 'Hi \$customer'"),
        job(sqlite_store, smtp_server=smtp_server.address) as ctx,
    ):
        ctx.send_email("a@x.org", "b@x.org", "Hi $customer", "c")
    assert smtp_server.received == []


def test_no_smtp_server_configured(sqlite_store: Store) -> None:
    missing = pytest.raises(EmailError, match="no SMTP server to send email with")
    with missing, job(sqlite_store) as ctx:
        ctx.send_email("a@x.org", "b@x.org", "s", "c")


def test_send_email_outside_a_job(smtp_server: SmtpServer) -> None:
    settings = SmtpSettings("127.0.0.1", smtp_server.port, sender="alarm@example.com")
    sent = send_email(settings, None, "ops@example.com", "Alarm", "Job 0 failed.", cc="x@y.org")
    [mail] = smtp_server.received
    assert mail.message["Subject"] == sent["Subject"] == "Alarm"
    assert mail.recipients == ["ops@example.com", "x@y.org"]


# -- STARTTLS and login: a certificate made for the test with openssl -------------------
@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True,
        capture_output=True,
        timeout=60,
    )  # fmt: skip
    return key, cert


@pytest.fixture
def tls_smtp_server(certificate: tuple[Path, Path]) -> Iterator[SmtpServer]:
    import ssl

    key, cert = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"jobs", b"s3cret")
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd replies

    server = SmtpServer()
    controller = server.start(
        tls_context=context, require_starttls=True, authenticator=authenticate, auth_required=True
    )
    yield server
    controller.stop()


def test_starttls_and_login_from_the_config(
    sqlite_store: Store,
    tls_smtp_server: SmtpServer,
    certificate: tuple[Path, Path],
    caplog: pytest.LogCaptureFixture,
) -> None:
    smtp = {
        "host": "127.0.0.1",
        "port": tls_smtp_server.port,
        "starttls": True,
        "user": "jobs",
        "password": "s3cret",
        "cafile": str(certificate[1]),
    }
    with caplog.at_level(logging.DEBUG), job(sqlite_store, Config(smtp=smtp)) as ctx:
        ctx.send_email("jobs@example.com", "ops@example.com", "secure", "body")
    assert [m.message["Subject"] for m in tls_smtp_server.received] == ["secure"]
    assert "s3cret" not in caplog.text


def test_wrong_password_is_a_clear_error(
    sqlite_store: Store, tls_smtp_server: SmtpServer, certificate: tuple[Path, Path]
) -> None:
    settings = SmtpSettings(
        "127.0.0.1",
        tls_smtp_server.port,
        starttls=True,
        user="jobs",
        password="wrong",
        cafile=str(certificate[1]),
    )
    with pytest.raises(EmailError) as caught:
        send_email(settings, "a@x.org", "b@x.org", "s", "c")
    assert str(caught.value) == (
        f"cannot send email via {tls_smtp_server.address}: 535 5.7.8 Authentication credentials invalid"
    )
