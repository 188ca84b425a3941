"""Every section and option of runner's ``config.ini`` files that jobsmith reads, in one
place: the home's (``config.ini`` beside ``schedule.tsv``) and a job's own
(``jobs/<id>/config.ini``, and files given as ``Job(config=[...])``). Validation of
unknown sections and keys uses these; the modules that read a section take its keys from
here. ``None`` means any option name is allowed (``[ENVIRONMENT]`` names interpreters).
"""

from __future__ import annotations

__all__ = ["EMAIL_KEYS", "HOME_KEYS", "JOB_KEYS", "LOG_KEYS", "SCHEDULER_KEYS"]

SCHEDULER_KEYS = frozenset(
    {
        "name",
        "desc",
        "description",
        "schedule",
        "source",
        "timezone",
        "catchup",
        "overlap",
        "grace",
        "alarm",
        "mode",
        "queue",
        "heartbeat",
        "dead_after",
        "max_runs",
    }
)
"""[SCHEDULER]: see :class:`jobsmith.schedule.home.SchedulerSettings`."""

LOG_KEYS = frozenset(
    {"console", "showtime", "showdelay", "limit_by_day", "limit_by_size", "max_size"}
)
"""[LOG]: the scheduler's own log (``logs/<name>.log``) and what it shows."""

EMAIL_KEYS = frozenset(
    {
        # runner's spellings
        "ip",
        "port",
        "need_login",
        "user",
        "password",
        "address",
        "need_debug",
        "need_tls",
        # jobsmith.yml's smtp: spellings, accepted here too (see jobsmith.smtp)
        "host",
        "server",
        "starttls",
        "tls",
        "ssl",
        "username",
        "login",
        "debug",
        "cafile",
        "timeout",
        "sender",
        "from",
    }
)
"""[EMAIL]: the mail server for alarms and ``job.email`` (a job's own over the home's)."""

HOME_KEYS: dict[str, frozenset[str] | None] = {
    "MANAGER": frozenset({"editor"}),
    "SCHEDULER": SCHEDULER_KEYS,
    "LOG": LOG_KEYS,
    "ENVIRONMENT": None,
    "EMAIL": EMAIL_KEYS,
    "INFO": frozenset({"owner"}),
    "STORE": frozenset({"url", "schema"}),
}
"""The home's config.ini (and files given as ``Scheduler(config=...)``)."""

JOB_KEYS: dict[str, frozenset[str] | None] = {
    "JOB": frozenset({"name", "desc", "description", "version", "persons"}),
    "GENERAL": frozenset({"persons"}),
    "EMAIL": EMAIL_KEYS,
}
"""A job's own config.ini (and files given as ``Job(config=[...])``)."""
