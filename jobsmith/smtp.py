"""Send email: :class:`SmtpSettings` (where and how) and :func:`send_email` (one message).

Used by email tasks (``ctx.send_email``, ``ctx.add_error_email``) and by the scheduler's
alarms. Settings come from the ``smtp:`` section of jobsmith.yml::

    smtp:
      host: smtp.example.com     # also: server, ip (runner's spelling)
      port: 587                  # default 25; 587 with starttls, 465 with ssl
      starttls: true             # also: tls, need_tls. Upgrade the connection with STARTTLS
      ssl: false                 # connect with TLS from the start (SMTPS)
      user: jobs                 # log in (also: username)
      password: secret           # masked in every log
      login: true                # false: do not log in even with a user (also: need_login)
      debug: false               # print the SMTP conversation (also: need_debug)
      cafile: /etc/ssl/our-ca.pem  # trust a private certificate authority
      timeout: 30                # seconds
      sender: jobs@example.com   # default sender (also: address, from)

and/or the ``smtp_server`` parameter, robojob's way: ``host``, ``host:port`` or a URL
``smtp://user:password@host:port`` (``smtps://`` for SMTPS), which wins over the
section's host, port and login.
"""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, getaddresses, make_msgid
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from jobsmith.config import unknown_name
from jobsmith.errors import ConfigError, EmailError
from jobsmith.params import bind_names, normalize

if TYPE_CHECKING:
    from jobsmith.config import Config

log = logging.getLogger(__name__)

SMTP_SERVER_PARAMETER = "smtp_server"

_KEYS = {
    "host": "host",
    "server": "host",
    "ip": "host",
    "port": "port",
    "starttls": "starttls",
    "tls": "starttls",
    "needtls": "starttls",
    "ssl": "ssl",
    "user": "user",
    "username": "user",
    "password": "password",
    "login": "login",
    "needlogin": "login",
    "debug": "debug",
    "needdebug": "debug",
    "cafile": "cafile",
    "timeout": "timeout",
    "sender": "sender",
    "address": "sender",
    "from": "sender",
}
_TRUE = {"true", "yes", "on", "1", "y"}
_FALSE = {"false", "no", "off", "0", "n", ""}

Recipients = str | Iterable[str]


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send email."""

    host: str
    port: int = 0
    """0 means the usual port: 465 with ``ssl``, 587 with ``starttls``, else 25."""
    starttls: bool = False
    ssl: bool = False
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    login: bool = True
    """Log in when ``user`` is set (runner's ``need_login``)."""
    debug: bool = False
    """Print the SMTP conversation to stderr (smtplib's debug output)."""
    cafile: str | None = None
    timeout: float = 30.0
    sender: str | None = None

    @property
    def effective_port(self) -> int:
        if self.port:
            return self.port
        return 465 if self.ssl else 587 if self.starttls else 25

    @property
    def address(self) -> str:
        """``host:port``, for messages."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.effective_port}"

    @classmethod
    def from_config(
        cls,
        config: Config | None = None,
        parameters: Mapping[str, Any] | None = None,
        *,
        where: str | None = None,
    ) -> SmtpSettings:
        """Settings from a config's ``smtp:`` section, with the ``smtp_server`` parameter
        (when ``parameters`` has one) over its host, port and login. Errors start with
        ``where`` (default: the config's path and section)."""
        source = where or (
            f"{config.path}: section 'smtp'" if config and config.path else "smtp settings"
        )
        values = _settings(config.smtp if config else {}, source)
        server = bind_names([(SMTP_SERVER_PARAMETER, True)], parameters or {}).get(
            SMTP_SERVER_PARAMETER
        )
        if server:
            values.update(parse_server(str(server)))
        if not values.get("host"):
            raise EmailError(
                "no SMTP server to send email with: set the smtp_server parameter "
                "(host or host:port) or host: in the smtp: section of jobsmith.yml"
            )
        return cls(**values)


def parse_server(server: str) -> dict[str, Any]:
    """``host``, ``host:port``, ``smtp://user:password@host:port`` or ``smtps://…`` as
    settings."""
    text = server.strip()
    url = urlsplit(text if "://" in text else f"smtp://{text}")
    if url.scheme not in ("smtp", "smtps"):
        raise ConfigError(f"smtp_server {text!r}: expected host[:port] or smtp[s]://host[:port]")
    try:
        port = url.port
    except ValueError:
        raise ConfigError(f"smtp_server {text!r}: the port is not a number") from None
    if not url.hostname:
        raise ConfigError(f"smtp_server {text!r}: no host name")
    found: dict[str, Any] = {"host": url.hostname, "port": port or 0}
    if url.scheme == "smtps":
        found["ssl"] = True
    if url.username:
        found["user"] = unquote(url.username)
        found["password"] = unquote(url.password or "")
    return found


def send_email(
    settings: SmtpSettings,
    sender: str | None,
    recipients: Recipients,
    subject: str,
    content: str,
    cc: Recipients = (),
    bcc: Recipients = (),
    *,
    html: bool = False,
) -> EmailMessage:
    """Send one message; returns it as sent. ``recipients``, ``cc`` and ``bcc`` are lists
    or strings of addresses separated by commas or semicolons (``Name <a@b>`` works);
    ``sender`` None uses ``settings.sender``. Raises :class:`~jobsmith.errors.EmailError`
    naming the server when it cannot be reached or refuses the message."""
    message = build_message(sender or settings.sender, recipients, subject, content, cc, html=html)
    every = [*addresses(recipients), *addresses(cc), *addresses(bcc)]
    try:
        with _connect(settings) as smtp:
            refused = smtp.send_message(
                message, from_addr=_bare(message["From"]), to_addrs=[_bare(a) for a in every]
            )
    except smtplib.SMTPRecipientsRefused as exc:
        raise EmailError(
            f"the SMTP server {settings.address} refused every recipient: "
            + ", ".join(f"{a} ({_reply(r)})" for a, r in exc.recipients.items())
        ) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise EmailError(f"cannot send email via {settings.address}: {_reply(exc)}") from exc
    for address, reply in refused.items():
        log.warning("The SMTP server %s refused %s: %s", settings.address, address, _reply(reply))
    log.info("Email %r sent to %s via %s", subject, ", ".join(every), settings.address)
    return message


def build_message(
    sender: str | None,
    recipients: Recipients,
    subject: str,
    content: str,
    cc: Recipients = (),
    *,
    html: bool = False,
) -> EmailMessage:
    """A plain-text (or HTML) message with the usual headers."""
    if not sender:
        raise EmailError("no sender: pass one, or set sender: in the smtp: section")
    to = addresses(recipients)
    if not to:
        raise EmailError(f"no recipients for the email {subject!r}")
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(to)
    if addresses(cc):
        message["Cc"] = ", ".join(addresses(cc))
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=True)
    # The sender's domain, so no DNS lookup of this host's name is needed.
    message["Message-ID"] = make_msgid(domain=_bare(sender).rpartition("@")[2] or "localhost")
    message.set_content(content, subtype="html" if html else "plain")
    return message


def addresses(value: Recipients) -> list[str]:
    """Addresses from a list, or from one string separated by commas or semicolons; one
    that is not ``name@domain`` (or ``Name <name@domain>``) is an :class:`EmailError`."""
    items = [value] if isinstance(value, str) else list(value)
    found = []
    for item in items:
        for name, address in getaddresses([str(item).replace(";", ",")]):
            if address and not _ADDRESS.match(address):
                raise EmailError(
                    f"recipient {item!r}: {address!r} is not an e-mail address; expected "
                    "name@domain or Name <name@domain>, several separated by commas or semicolons"
                )
            if address:
                found.append(_formatted(name, address))
    return found


_ADDRESS = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+$")


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    # Made only when needed: loading the system's certificates takes ~20 ms.
    context = (
        ssl.create_default_context(cafile=settings.cafile)
        if settings.ssl or settings.starttls
        else None
    )
    if settings.ssl:
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(
            settings.host, settings.effective_port, timeout=settings.timeout, context=context
        )
    else:
        smtp = smtplib.SMTP(settings.host, settings.effective_port, timeout=settings.timeout)
    try:
        smtp.set_debuglevel(1 if settings.debug else 0)
        if settings.starttls:
            smtp.starttls(context=context)
        if settings.user and settings.login:
            smtp.login(settings.user, settings.password or "")
    except BaseException:
        smtp.close()
        raise
    return smtp


def _settings(section: Mapping[str, Any], source: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, value in section.items():
        field_name = _KEYS.get(normalize(key))
        if field_name is None:
            known = sorted(set(_KEYS.values()))
            raise ConfigError(f"{source}: {unknown_name(str(key), known, 'key')}")
        values[field_name] = _convert(field_name, value, f"{source}: '{key}'")
    return values


def _convert(name: str, value: Any, where: str) -> Any:
    if name in ("starttls", "ssl", "login", "debug"):
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE | _FALSE:
            return text in _TRUE
        raise ConfigError(f"{where}: expected true or false, got {value!r}")
    if name in ("port", "timeout"):
        try:
            number = int(value) if name == "port" else float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{where}: expected a number, got {value!r}") from None
        if number < 0 or (name == "port" and number > 65535):
            raise ConfigError(f"{where}: {value!r} is out of range")
        return number
    return None if value is None else str(value)


def _formatted(name: str, address: str) -> str:
    return f"{name} <{address}>" if name else address


def _bare(address: str) -> str:
    found = getaddresses([address])
    return found[0][1] if found and found[0][1] else address


def _reply(value: Any) -> str:
    """An SMTP reply ``(code, b"text")`` or an exception as one readable line."""
    if isinstance(value, smtplib.SMTPResponseException):
        value = (value.smtp_code, value.smtp_error)
    if isinstance(value, tuple) and len(value) == 2:
        code, text = value
        text = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
        return f"{code} {text}".strip()
    if isinstance(value, OSError) and value.strerror:
        return value.strerror
    return str(value) or type(value).__name__
