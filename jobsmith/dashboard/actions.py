"""What the dashboard changes, through the same functions as the CLI: cancel a job
(``jobsmith cancel``), run a failed job again, post a job checked as ``jobsmith post``
checks it, and the form a task's typed parameters make."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jobsmith.queue.posting import PostedJob, post
from jobsmith.queue.registry import Registry
from jobsmith.store import Store

NO_VALUE = ""


@dataclass(frozen=True)
class Field:
    """One input of the posting form, from a task parameter's definition."""

    name: str
    kind: str
    required: bool
    default: Any
    choices: list[Any] | None

    @property
    def default_text(self) -> str:
        if self.required or self.default is None:
            return NO_VALUE
        return self.default if isinstance(self.default, str) else json.dumps(self.default)

    def option_value(self, choice: Any) -> str:
        """A choice as the select list sends it (JSON, so 1 and "1" stay apart)."""
        return json.dumps(choice)


@dataclass(frozen=True)
class TaskForm:
    """What posting one task asks for."""

    name: str
    help: str | None
    priority: int
    fields: list[Field]


def task_forms(store: Store, registry: Registry | None = None) -> dict[str, TaskForm]:
    """Every task that can be posted here: the ones imported in this process and the ones
    workers published to the store (their definitions carry the typed parameters)."""
    found: dict[str, TaskForm] = {}
    definitions = list(store.jobs.definitions())
    if registry is not None:
        definitions += registry.definitions()
    for d in definitions:
        name = f"{d['type_key']}.{d['task_key']}"
        fields = [
            Field(p["name"], p["kind"], p["required"], p.get("default"), p.get("choices"))
            for p in d["parameters"]
        ]
        found[name] = TaskForm(name, d.get("help"), int(d.get("priority") or 0), fields)
    return dict(sorted(found.items()))


def form_arguments(form: TaskForm, values: Mapping[str, Any]) -> dict[str, Any]:
    """The job arguments a filled-in form gives. A select sends JSON; a text field of a
    string parameter is taken as typed; others are read as JSON when they parse (as
    ``jobsmith post key=value`` reads them), else as text for the check to judge. An
    empty field of an optional parameter is left out (its default applies)."""
    arguments: dict[str, Any] = {}
    for field in form.fields:
        raw = values.get(f"arg.{field.name}")
        if not isinstance(raw, str) or (raw == NO_VALUE and not field.required):
            continue
        if field.kind == "string" and not field.choices:
            arguments[field.name] = raw
            continue
        try:
            arguments[field.name] = json.loads(raw)
        except ValueError:
            arguments[field.name] = raw
    return arguments


def post_job(
    store: Store,
    task: str,
    arguments: Mapping[str, Any] | None,
    priority: int | None = None,
    registry: Registry | None = None,
) -> PostedJob:
    """Queue a job exactly as ``jobsmith post`` does (raises ArgumentError, UnknownTaskError)."""
    return post(task, arguments, priority=priority, store=store, registry=registry)


def cancel_job(store: Store, job_id: int) -> str:
    """As ``jobsmith cancel``: ``cancelled``, ``requested`` (running) or ``ended``."""
    return store.jobs.cancel(job_id)


def retry_job(store: Store, job_id: int) -> str:
    """As ``jobsmith retry``: a failed or cancelled job runs again (its status now)."""
    from jobsmith.queue.controls import retry_job as retry

    return retry(store, job_id)
