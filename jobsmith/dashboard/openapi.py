"""The OpenAPI document of the JSON API (``/openapi.json``)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from jobsmith.dashboard.queries import JOB_STATUSES, RUN_STATUSES

ERROR = {"$ref": "#/components/schemas/Error"}
ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
ENTRY_ID = {**ID, "schema": {"type": "integer", "minimum": 0}}


def _query(name: str, schema: dict[str, Any], about: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": about}


PAGING = [
    _query("before", {"type": "integer", "minimum": 1}, "The last id of the page before."),
    _query("limit", {"type": "integer", "minimum": 1, "maximum": 500}, "Page size (50)."),
]


def _answers(ok: str, *errors: int, body: dict[str, Any] | None = None) -> dict[str, Any]:
    schema = body or {"type": "object"}
    found: dict[str, Any] = {"200": {"description": ok, "content": _json(schema)}}
    for code in (400, 401, 403, 404, *errors):
        found[str(code)] = {"description": "what was wrong", "content": _json(ERROR)}
    return found


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _get(
    summary: str, parameters: list[dict[str, Any]], body: dict[str, Any] | None = None
) -> dict[str, Any]:
    answers = _answers(summary, body=body)
    return {"get": {"summary": summary, "parameters": parameters, "responses": answers}}


def _post(
    summary: str, body: dict[str, Any] | None, *errors: int, entry: bool = False
) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": summary,
        "parameters": [ENTRY_ID if entry else ID],
        "responses": _answers(summary, *errors),
    }
    operation["requestBody"] = {"required": True, "content": _json(body or EMPTY)}
    return {"post": operation}


EMPTY = {"type": "object", "additionalProperties": False, "description": "{} (JSON)"}
POST_JOB = {
    "type": "object",
    "required": ["task"],
    "additionalProperties": False,
    "properties": {
        "task": {"type": "string", "description": "TYPE.TASK"},
        "arguments": {"type": "object"},
        "priority": {"type": "integer"},
    },
}

_TEXT = {"type": "string"}
_MAYBE_TEXT = {"type": "string", "nullable": True}
RUN = {
    "type": "object",
    "required": ["id", "job", "kind", "status", "tasks", "edges"],
    "properties": {
        "id": {"type": "integer"},
        "job": _TEXT,
        "kind": _TEXT,
        "status": _TEXT,
        "started": _TEXT,
        "ended": _MAYBE_TEXT,
        "error": _MAYBE_TEXT,
        "tasks": {
            "type": "array",
            "description": "Its task runs, oldest first (parameters masked as recorded).",
            "items": {"type": "object"},
        },
        "edges": {
            "type": "array",
            "description": "A graph or flow run's dependencies (empty for other runs and "
            "for runs recorded before they were): each task runs after depends_on.",
            "items": {
                "type": "object",
                "required": ["task", "depends_on"],
                "additionalProperties": False,
                "properties": {"task": _TEXT, "depends_on": _TEXT},
            },
        },
        "log_path": {**_MAYBE_TEXT, "description": "A scheduled run's log file."},
    },
}


def document() -> dict[str, Any]:
    runs = _get(
        "Job runs from the run log, newest first",
        [
            _query("job", {"type": "string"}, "Only this job."),
            _query("kind", {"type": "string"}, "job, graph, flow, queue, schedule …"),
            _query("status", {"type": "string", "enum": list(RUN_STATUSES)}, "Only this status."),
            _query("environment", {"type": "string"}, "Only this environment."),
            _query("since", {"type": "string", "format": "date"}, "Started on or after."),
            _query("until", {"type": "string", "format": "date"}, "Started on or before."),
            *PAGING,
        ],
    )
    jobs = _get(
        "Queue jobs, newest first",
        [
            _query("task", {"type": "string"}, "Only this task (TYPE.TASK)."),
            _query("status", {"type": "string", "enum": list(JOB_STATUSES)}, "Only this status."),
            *PAGING,
        ],
    )
    jobs["post"] = {
        "summary": "Post a job (checked as `jobsmith post` checks it)",
        "requestBody": {"required": True, "content": _json(POST_JOB)},
        "responses": {
            **_answers("an identical job is already active"),
            "201": {"description": "queued", "content": _json({"type": "object"})},
            "422": {"description": "invalid arguments", "content": _json(ERROR)},
        },
    }
    return {
        "openapi": "3.0.3",
        "info": {"title": "jobsmith dashboard", "version": "1"},
        "components": {
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {"error": {"type": "string"}},
                }
            },
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"token": []}, {}],
        "paths": {
            "/api/runs": runs,
            "/api/runs/{id}": _get("One job run with its task runs and dependencies", [ID], RUN),
            "/api/queue": _get("Jobs by task and status", []),
            "/api/jobs": jobs,
            "/api/jobs/{id}": _get("One job, why it waits, its attempts", [ID]),
            "/api/jobs/{id}/cancel": _post("Cancel a waiting or running job", None),
            "/api/jobs/{id}/retry": _post("Run a failed job again", None, 409),
            "/api/workers": _get("Workers of the last hour", []),
            "/api/schedule": _get("Schedule entries, next fires, last fire", []),
            "/api/schedule/{id}": _get(
                "One entry and its fire history",
                [
                    ENTRY_ID,
                    _query("limit", {"type": "integer", "minimum": 1, "maximum": 500}, "Fires."),
                ],
            ),
            "/api/schedule/{id}/pause": _post("Pause an entry", None, entry=True),
            "/api/schedule/{id}/resume": _post("Resume an entry", None, entry=True),
            "/api/schedule/{id}/run": _post(
                "Run an entry now for a trigger time",
                {
                    "type": "object",
                    "required": ["trigger"],
                    "additionalProperties": False,
                    "properties": {"trigger": {"type": "string"}},
                },
                entry=True,
            ),
        },
    }


def openapi(request: Request) -> JSONResponse:
    return JSONResponse(document())
