"""Alarms: an e-mail to a job's persons when its run failed (and, if configured, when a
fire was missed, skipped or interrupted), worded as runner's alarm::

    Error occurred during execution.
    Job id: 0.
    Job name: test.
    Job description: Test Job.
    Job trigger: 2018-12-31 23:59:59.
    Please check the /srv/runner/jobs/0/logs/test_20181231235959.log for more details.

An alarm that cannot be sent is logged, never raised: a broken mail server must not stop
the scheduler.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable
from pathlib import Path

from jobsmith.errors import ConfigError, EmailError
from jobsmith.outbox import Outbox
from jobsmith.schedule.entries import Entry
from jobsmith.schedule.home import Home
from jobsmith.schedule.jobconfig import JobSettings, job_settings
from jobsmith.smtp import SmtpSettings, send_email

__all__ = [
    "AlarmDigest",
    "alarm_message",
    "persons_for",
    "persons_of",
    "raise_alarm",
    "send_alarm",
    "send_mail",
]

log = logging.getLogger(__name__)

OPENINGS = {
    "failed": "Error occurred during execution.",
    "interrupted": "The run was interrupted before it ended.",
    "missed": "A scheduled run was missed: no scheduler ran at its time.",
    "skipped": "A scheduled run was skipped: the previous run was still going.",
}


def persons_for(entry: Entry, home: Home, *, strict: bool = False) -> tuple[str, ...]:
    """Who gets the job's alarms: the entry's PERSONS, the job's own config.ini
    ([JOB] or [GENERAL] persons, as in runner) and the home's owner, without repeats. A
    job config.ini that cannot be read is logged (a ConfigError with ``strict``)."""
    try:
        settings = job_settings(entry, home)
    except ConfigError as exc:
        if strict:
            raise
        log.warning("%s: its config.ini is not read: %s", entry.label, exc)
        settings = JobSettings()
    return persons_of(entry, home, settings)


def persons_of(entry: Entry, home: Home, settings: JobSettings) -> tuple[str, ...]:
    """:func:`persons_for` with the job's configuration already read."""
    return tuple(dict.fromkeys([*entry.persons, *settings.persons, *home.settings.owner]))


def mail_for(entry: Entry, home: Home) -> SmtpSettings | None:
    """The mail server of a job's alarms: its own config.ini's [EMAIL] over the home's."""
    try:
        return job_settings(entry, home).mail(home)
    except ConfigError as exc:
        log.warning("%s: its [EMAIL] is not read: %s", entry.label, exc)
        return home.mail


def alarm_message(
    entry: Entry, event: str, trigger: str, log_path: Path | None, detail: str | None = None
) -> tuple[str, str]:
    """The subject and text of an alarm."""
    lines = [
        OPENINGS[event],
        f"Job id: {entry.id}.",
        f"Job name: {entry.name}.",
        f"Job description: {entry.description}.",
        f"Job trigger: {trigger}.",
    ]
    if detail:
        lines.append(f"Details: {detail}")
    if log_path is not None:
        lines.append(f"Please check the {log_path} for more details.")
    subject = f"jobsmith alarm: job {entry.id} ({entry.name}) {event}"
    return subject, "\n".join(lines) + "\n"


def raise_alarm(
    home: Home,
    entry: Entry,
    event: str,
    trigger: str,
    log_path: Path | None = None,
    detail: str | None = None,
    outbox: Outbox | None = None,
) -> bool:
    """Send the alarm if the home's settings ask for this event; True when it was sent
    (with an ``outbox``: handed to it, to be sent on its thread without waiting here)."""
    if event not in home.settings.alarm:
        return False
    persons = persons_for(entry, home)
    mail = mail_for(entry, home) if persons else None
    return send_alarm(entry, event, trigger, persons, mail, log_path, detail, outbox)


def send_alarm(
    entry: Entry,
    event: str,
    trigger: str,
    persons: tuple[str, ...],
    mail: SmtpSettings | None,
    log_path: Path | None = None,
    detail: str | None = None,
    outbox: Outbox | None = None,
) -> bool:
    """Send the alarm of ``event`` to ``persons`` through ``mail``; True when it was sent
    (with an ``outbox``: handed to it). Nobody to send to, no mail server or a failed
    delivery is logged, never raised."""
    if not persons:
        log.warning("%s %s, but it has no persons to alarm", entry.label, event)
        return False
    if mail is None:
        log.warning(
            "%s %s: no mail server configured ([EMAIL] ip), alarm not sent", entry.label, event
        )
        return False
    subject, text = alarm_message(entry, event, trigger, log_path, detail)
    to = ", ".join(persons)

    def deliver() -> None:
        send_mail(mail, persons, subject, text)
        log.info("Alarm sent for %s to %s", entry.label, to)

    if outbox is not None:
        outbox.submit(f"Alarm for {entry.label} ({event}) to {to}", deliver)
        return True
    try:
        deliver()
    except EmailError as exc:
        log.error("Alarm for %s not sent to %s: %s", entry.label, to, exc)
        return False
    return True


def send_mail(mail: SmtpSettings | None, to: tuple[str, ...], subject: str, text: str) -> None:
    """Send one plain-text e-mail (from the configured sender, else jobsmith@<host>)."""
    if mail is None:
        raise EmailError("no mail server: set ip in [EMAIL] of config.ini (or smtp: host)")
    send_email(mail, mail.sender or f"jobsmith@{socket.gethostname()}", to, subject, text)


class AlarmDigest:
    """Missed and skipped fires, gathered into one alarm per job and event, sent at most
    once every ``interval`` seconds: a day of downtime of a job that runs every minute is
    one e-mail, not 1440. Fires held back go into the next one."""

    def __init__(
        self,
        home: Home,
        interval: float = 600,
        send: Callable[..., bool] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.home = home
        self.interval = interval
        self.send = send or raise_alarm
        self.clock = clock
        self.pending: dict[tuple[int, str], tuple[Entry, list[str]]] = {}
        self.sent_at: dict[tuple[int, str], float] = {}

    def add(self, entry: Entry, event: str, trigger: str) -> None:
        if event in self.home.settings.alarm:
            self.pending.setdefault((entry.id, event), (entry, []))[1].append(trigger)

    def flush(self, force: bool = False) -> None:
        """Send what is due (``force``: everything, as the scheduler stops)."""
        now = self.clock()
        for key, (entry, triggers) in list(self.pending.items()):
            if not force and now - self.sent_at.get(key, -self.interval) < self.interval:
                continue
            shown = triggers[0] if len(triggers) == 1 else f"{triggers[0]} … {triggers[-1]}"
            listed = ", ".join(triggers[:5]) + (" …" if len(triggers) > 5 else "")
            detail = f"{len(triggers)} fires {key[1]}: {listed}" if len(triggers) > 1 else None
            self.send(self.home, entry, key[1], shown, None, detail)
            self.sent_at[key] = now
            del self.pending[key]
