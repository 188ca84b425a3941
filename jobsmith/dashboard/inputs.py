"""Reading what a request asks for: query values checked, with one clear error each."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import UTC, date, datetime, time, timedelta

from jobsmith.errors import JobsmithError
from jobsmith.queue.registry import PRIORITIES


class BadInput(JobsmithError):
    """A request value that is not what the endpoint expects (answered with 400)."""


def only(values: Mapping[str, str], allowed: Collection[str]) -> None:
    """Refuse query parameters the endpoint does not know."""
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        raise BadInput(
            f"unknown query parameter {unknown[0]!r} (expected: {', '.join(sorted(allowed))})"
        )


def text(values: Mapping[str, str], name: str) -> str | None:
    value = values.get(name, "").strip()
    return value or None


def whole(
    values: Mapping[str, str], name: str, default: int | None, low: int = 1, high: int = 10**18
) -> int | None:
    """A whole number from ``low`` to ``high``; empty or missing gives ``default``."""
    given = values.get(name, "").strip()
    if not given:
        return default
    try:
        number = int(given)
    except ValueError:
        raise BadInput(f"{name}={given!r}: expected a whole number") from None
    if not low <= number <= high:
        raise BadInput(f"{name}={given!r}: expected a whole number from {low} to {high}")
    return number


PRIORITY_RANGE = f"a whole number from {PRIORITIES[0]} to {PRIORITIES[-1]}"
"""What a priority may be (the store's 32-bit column), said the same way by the form and the API."""


def priority(values: Mapping[str, str]) -> int | None:
    """The post form's ``priority``: empty gives None (the task's); else a whole number in
    :data:`~jobsmith.queue.registry.PRIORITIES`, or an error saying the range."""
    given = values.get("priority", "").strip()
    if not given:
        return None
    try:
        number = int(given)
    except ValueError:
        number = None
    if number is None or number not in PRIORITIES:
        raise BadInput(f"priority={given!r:.60}: expected {PRIORITY_RANGE}")
    return number


def json_priority(value: object) -> int | None:
    """The API's ``priority`` field: absent or null gives None; else as :func:`priority`."""
    if value is not None and (type(value) is not int or value not in PRIORITIES):
        raise BadInput(f"field 'priority': expected {PRIORITY_RANGE}, got {value!r:.60}")
    return value


def one_of(values: Mapping[str, str], name: str, choices: Collection[str]) -> str | None:
    given = text(values, name)
    if given is not None and given not in choices:
        raise BadInput(f"{name}={given!r}: expected one of {', '.join(choices)}")
    return given


def moment(values: Mapping[str, str], name: str, end: bool = False) -> datetime | None:
    """An ISO date or time; a time without an offset is UTC. A bare date is the start of
    that day, or with ``end`` the start of the next (so ``until=2024-01-01`` includes it)."""
    given = text(values, name)
    if given is None:
        return None
    try:
        if len(given) == 10:
            day = date.fromisoformat(given)
            found = datetime.combine(day + timedelta(days=1 if end else 0), time(), UTC)
        else:
            found = datetime.fromisoformat(given.replace(" ", "T").replace("Z", "+00:00"))
    except ValueError:
        raise BadInput(
            f"{name}={given!r}: expected a date (2024-01-31) or an ISO time (2024-01-31T08:00:00Z)"
        ) from None
    return found if found.tzinfo else found.replace(tzinfo=UTC)


def task_name(given: str | None, name: str = "task") -> tuple[str, str] | None:
    """``TYPE.TASK`` split in two."""
    if given is None:
        return None
    type_key, dot, task_key = given.partition(".")
    if not dot or not type_key or not task_key:
        raise BadInput(f"{name}={given!r}: expected TYPE.TASK, e.g. reports.daily")
    return type_key, task_key
