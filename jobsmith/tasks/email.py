"""Email tasks: ``ctx.send_email(...)`` and the error email of ``ctx.add_error_email(...)``.

The subject and the content are ``$name`` templates (see :mod:`jobsmith.tasks.template`)
filled from the job's parameters when the mail is sent, so an error email can say
``$job_name failed: $error_message``. The SMTP server is the ``smtp_server`` parameter or
the ``smtp:`` section of the config (see :mod:`jobsmith.smtp`).
"""

from __future__ import annotations

from collections.abc import Mapping
from email.message import EmailMessage
from typing import Any

from jobsmith.params import bind_names
from jobsmith.smtp import SMTP_SERVER_PARAMETER, Recipients, SmtpSettings, addresses, send_email
from jobsmith.tasks.base import TaskExecution
from jobsmith.tasks.template import bind_template, fill


class EmailExecution(TaskExecution):
    """Send one email; ``settings`` None reads them from the job (parameter, then config)."""

    def __init__(
        self,
        sender: str | None,
        recipients: Recipients,
        subject: str,
        content: str,
        recipients_cc: Recipients = (),
        *,
        settings: SmtpSettings | None = None,
        html: bool = False,
        name: str | None = None,
    ) -> None:
        super().__init__(name or subject)
        self.sender = sender
        self.recipients = addresses(recipients)
        self.recipients_cc = addresses(recipients_cc)
        self.subject = subject
        self.content = content
        self.html = html
        self.settings = settings
        self._values: dict[str, Any] = {}

    def bind_parameters(self, context_parameters: Mapping[str, Any]) -> None:
        self._values = bind_template([self.subject, self.content], context_parameters, self.name)
        self.parameters = dict(self._values)
        if self.settings is None:
            config = self.job.config if self.job else None
            self.settings = SmtpSettings.from_config(config, context_parameters)
            server = bind_names([(SMTP_SERVER_PARAMETER, True)], context_parameters)
            self.parameters.update(server)

    def execute(self) -> EmailMessage:
        assert self.settings is not None, "bind_parameters() reads the settings"
        message = send_email(
            self.settings,
            self.sender,
            self.recipients,
            fill(self.subject, self._values),
            fill(self.content, self._values),
            cc=self.recipients_cc,
            html=self.html,
        )
        copies = f" (cc {', '.join(self.recipients_cc)})" if self.recipients_cc else ""
        self.output = (
            f"sent {message['Subject']!r} to {', '.join(self.recipients)}{copies} "
            f"via {self.settings.address}"
        )
        return message
