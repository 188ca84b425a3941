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


def _answers(ok: str, *errors: int) -> dict[str, Any]:
    found: dict[str, Any] = {"200": {"description": ok, "content": _json({"type": "object"})}}
    for code in (400, 401, 403, 404, *errors):
        found[str(code)] = {"description": "what was wrong", "content": _json(ERROR)}
    return found


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _get(summary: str, parameters: list[dict[str, Any]]) -> dict[str, Any]:
    return {"get": {"summary": summary, "parameters": parameters, "responses": _answers(summary)}}


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
            "/api/runs/{id}": _get("One job run with its task runs", [ID]),
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
