"""$name templates filled from parameters; SMTP settings from config and smtp_server."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from jobsmith.config import Config, load_config
from jobsmith.errors import ConfigError, EmailError, MissingParameterError
from jobsmith.params import Parameters, Scope
from jobsmith.smtp import SmtpSettings, addresses, build_message, parse_server
from jobsmith.tasks.template import bind_template, fill, template_names


def test_template_names_in_order_once() -> None:
    assert template_names("$job_name failed", "${job_name}: $error_message, $$5") == [
        "job_name",
        "error_message",
    ]


def test_templates_bind_by_fuzzy_name() -> None:
    params = Parameters(job=Scope({"Job Name": "nightly", "error message": "boom"}))
    values = bind_template(["$job_name failed: $ErrorMessage"], params, "mail")
    assert fill("$job_name failed: $ErrorMessage ($$5, $ alone)", values) == (
        "nightly failed: boom ($5, $ alone)"
    )


def test_template_values_as_text() -> None:
    values = {"day": date(2024, 1, 31), "missing": None, "n": 3}
    assert fill("$day/$missing/$n", values) == "2024-01-31//3"


def test_undefined_template_name_names_the_task() -> None:
    with pytest.raises(MissingParameterError) as caught:
        bind_template(["Hello $nobody"], Parameters(), "greeting mail")
    assert str(caught.value) == (
        "The parameter 'nobody' is not defined (asked for by task 'greeting mail')."
    )


def config_with(tmp_path: Path, text: str) -> Config:
    (tmp_path / "jobsmith.yml").write_text(text)
    return load_config(tmp_path / "jobsmith.yml", environ={})


def test_settings_from_the_config_section(tmp_path: Path) -> None:
    config = config_with(
        tmp_path,
        "smtp:\n  host: mail.example.com\n  port: '2525'\n  tls: yes\n  username: jobs\n"
        "  password: s3cret\n  address: jobs@example.com\n  timeout: 5\n",
    )
    settings = SmtpSettings.from_config(config)
    assert settings == SmtpSettings(
        host="mail.example.com",
        port=2525,
        starttls=True,
        user="jobs",
        password="s3cret",
        timeout=5.0,
        sender="jobs@example.com",
    )
    assert "s3cret" not in repr(settings)


def test_runner_email_section_spellings(tmp_path: Path) -> None:
    config = config_with(
        tmp_path,
        "smtp:\n  ip: 127.0.0.1\n  port: 587\n  need_login: 'False'\n  user: Kenobi\n"
        "  password: 4mayBeWithYou\n  address: LukeSkywalker@email.com\n"
        "  need_debug: 'True'\n  need_tls: 'True'\n",
    )
    settings = SmtpSettings.from_config(config)
    assert (settings.host, settings.starttls, settings.login, settings.debug) == (
        "127.0.0.1",
        True,
        False,
        True,
    )
    assert settings.sender == "LukeSkywalker@email.com"


def test_smtp_server_parameter_wins_over_the_section(tmp_path: Path) -> None:
    config = config_with(tmp_path, "smtp:\n  host: mail.example.com\n  starttls: true\n")
    params = Parameters(job=Scope({"SMTP server": "relay.internal:26"}))
    settings = SmtpSettings.from_config(config, params)
    assert (settings.host, settings.port, settings.starttls) == ("relay.internal", 26, True)


def test_smtp_server_parameter_alone_is_enough() -> None:
    settings = SmtpSettings.from_config(None, {"smtp_server": "localhost"})
    assert settings.address == "localhost:25"


@pytest.mark.parametrize(
    ("server", "expected"),
    [
        ("mail", {"host": "mail", "port": 0}),
        ("mail:587", {"host": "mail", "port": 587}),
        ("[::1]:2525", {"host": "::1", "port": 2525}),
        (
            "smtp://me%40corp:p%3Ass@mail:25",
            {"host": "mail", "port": 25, "user": "me@corp", "password": "p:ss"},
        ),
        ("smtps://mail", {"host": "mail", "port": 0, "ssl": True}),
    ],
)
def test_smtp_server_forms(server: str, expected: dict[str, object]) -> None:
    assert parse_server(server) == expected


@pytest.mark.parametrize(
    ("server", "message"),
    [
        ("mail:port", "the port is not a number"),
        ("http://mail", r"expected host\[:port\] or smtp\[s\]"),
        (":25", "no host name"),
    ],
)
def test_bad_smtp_server_is_a_clear_error(server: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_server(server)


def test_usual_ports() -> None:
    assert SmtpSettings("m").effective_port == 25
    assert SmtpSettings("m", starttls=True).effective_port == 587
    assert SmtpSettings("m", ssl=True).effective_port == 465
    assert SmtpSettings("::1", port=2525).address == "[::1]:2525"


@pytest.mark.parametrize(
    ("section", "message"),
    [
        (
            "  hots: mail\n",
            r"jobsmith.yml: section 'smtp': unknown key 'hots' \(did you mean 'host'\?\)",
        ),
        ("  host: m\n  port: many\n", r"'port': expected a number, got 'many'"),
        ("  host: m\n  port: 70000\n", r"'port': 70000 is out of range"),
        ("  host: m\n  tls: maybe\n", r"'tls': expected true or false, got 'maybe'"),
    ],
)
def test_bad_smtp_section_is_a_clear_error(tmp_path: Path, section: str, message: str) -> None:
    config = config_with(tmp_path, "smtp:\n" + section)
    with pytest.raises(ConfigError, match=message):
        SmtpSettings.from_config(config)


def test_no_server_anywhere_is_a_clear_error() -> None:
    with pytest.raises(EmailError, match="set the smtp_server parameter"):
        SmtpSettings.from_config(Config(), {})


def test_addresses_from_strings_and_lists() -> None:
    assert addresses("a@x.org; Bo <b@y.org>, c@z.org") == ["a@x.org", "Bo <b@y.org>", "c@z.org"]
    assert addresses(["a@x.org", "b@y.org"]) == ["a@x.org", "b@y.org"]
    assert addresses("") == []


def test_message_headers() -> None:
    message = build_message("Jobs <jobs@example.com>", "ops@example.com", "Hi", "Body", "cc@x.org")
    assert message["From"] == "Jobs <jobs@example.com>"
    assert message["To"] == "ops@example.com"
    assert message["Cc"] == "cc@x.org"
    assert message["Message-ID"].endswith("@example.com>")
    assert message.get_content() == "Body\n"


def test_message_needs_a_sender_and_recipients() -> None:
    with pytest.raises(EmailError, match="no sender"):
        build_message(None, "a@x.org", "s", "c")
    with pytest.raises(EmailError, match="no recipients for the email 'Hi'"):
        build_message("me@x.org", [], "Hi", "c")
