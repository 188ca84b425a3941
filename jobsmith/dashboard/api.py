"""The JSON API: ``/api/runs``, ``/api/jobs``, ``/api/workers``, ``/api/schedule`` and the
actions as POSTs. Bad input is a 4xx with ``{"error": "..."}`` (see :mod:`.app`)."""

from __future__ import annotations

import json
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from jobsmith.dashboard import actions, inputs, serialize
from jobsmith.dashboard.queries import jobs_page, record_id, run_story, runs_page, why_waiting
from jobsmith.dashboard.state import dashboard_of
from jobsmith.errors import ParameterError


def runs(request: Request) -> JSONResponse:
    page = runs_page(dashboard_of(request).store, request.query_params)
    return JSONResponse(
        {"runs": [serialize.run(r) for r in page.items], "next_before": page.next_before}
    )


def run(request: Request) -> JSONResponse:
    inputs.only(request.query_params, ())
    story = run_story(dashboard_of(request).store, record_id(request.path_params["id"], "run"))
    return JSONResponse(
        {
            **serialize.run(story.run),
            "tasks": [serialize.task_run(t) for t in story.tasks],
            "edges": [serialize.edge(task, on) for task, on in story.edges],
            "log_path": story.log_path,
        }
    )


def queue(request: Request) -> JSONResponse:
    inputs.only(request.query_params, ())
    counts: dict[str, dict[str, int]] = {}
    for type_key, task_key, status, n in dashboard_of(request).store.jobs.counts():
        counts.setdefault(f"{type_key}.{task_key}", {})[status] = n
    return JSONResponse({"tasks": counts})


def jobs(request: Request) -> JSONResponse:
    page = jobs_page(dashboard_of(request).store, request.query_params)
    return JSONResponse(
        {"jobs": [serialize.job(j) for j in page.items], "next_before": page.next_before}
    )


def job(request: Request) -> JSONResponse:
    inputs.only(request.query_params, ())
    store = dashboard_of(request).store
    found = store.jobs.get(record_id(request.path_params["id"], "job"))
    return JSONResponse(
        {
            **serialize.job(found),
            "why": why_waiting(store, found),
            "attempt_runs": [serialize.run(r) for r in store.views.attempts(found.id)],
            "dependants": [
                {"id": i, "task": name, "status": status}
                for i, name, status in store.views.dependants(found.id)
            ],
        }
    )


def workers(request: Request) -> JSONResponse:
    inputs.only(request.query_params, ())
    found = dashboard_of(request).store.views.workers()
    return JSONResponse({"workers": [serialize.worker(w) for w in found]})


def schedule(request: Request) -> JSONResponse:
    inputs.only(request.query_params, ())
    board = dashboard_of(request).schedule()
    return JSONResponse(
        {"schedule": board.name, "entries": [serialize.entry(v) for v in board.views()]}
    )


def schedule_entry(request: Request) -> JSONResponse:
    inputs.only(request.query_params, ("limit",))
    board = dashboard_of(request).schedule()
    entry_id = record_id(request.path_params["id"], "schedule entry")
    limit = inputs.whole(request.query_params, "limit", 50, high=500) or 50
    view = board.view(entry_id)
    history = board.history(entry_id, limit)
    return JSONResponse({**serialize.entry(view), "history": [serialize.fire(f) for f in history]})


async def _body(request: Request, required: bool = True) -> dict[str, Any]:
    """The checked JSON object of an action (an empty body is {} when allowed)."""
    dashboard_of(request).guard.check_api_post(request)
    raw = await request.body()
    if not raw.strip():
        if required:
            raise inputs.BadInput("expected a JSON object as the request body")
        return {}
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise inputs.BadInput(f"the request body is not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise inputs.BadInput(f"expected a JSON object as the request body, got {value!r:.60}")
    return value


async def post_job(request: Request) -> JSONResponse:
    body = await _body(request)
    unknown = sorted(set(body) - {"task", "arguments", "priority"})
    if unknown:
        raise inputs.BadInput(f"unknown field {unknown[0]!r} (expected task, arguments, priority)")
    task, arguments, priority = body.get("task"), body.get("arguments", {}), body.get("priority")
    if not isinstance(task, str):
        raise inputs.BadInput("field 'task': expected the task's name as TYPE.TASK")
    inputs.task_name(task)
    if not isinstance(arguments, dict):
        raise ParameterError(f"field 'arguments': expected a JSON object, got {arguments!r:.60}")
    priority = inputs.json_priority(priority)
    dash = dashboard_of(request)
    posted = await run_in_threadpool(
        actions.post_job, dash.store, task, arguments, priority, dash.registry
    )
    return JSONResponse(
        {
            "id": posted.id,
            "task": posted.name,
            "status": posted.status,
            "created": posted.created,
            "priority": posted.priority,
        },
        status_code=201 if posted.created else 200,
    )


async def cancel_job(request: Request) -> JSONResponse:
    await _body(request, required=False)
    job_id = record_id(request.path_params["id"], "job")
    result = await run_in_threadpool(actions.cancel_job, dashboard_of(request).store, job_id)
    return JSONResponse({"id": job_id, "result": result})


async def retry_job(request: Request) -> JSONResponse:
    await _body(request, required=False)
    job_id = record_id(request.path_params["id"], "job")
    await run_in_threadpool(actions.retry_job, dashboard_of(request).store, job_id)
    return JSONResponse({"id": job_id, "status": "waiting"})


async def pause_entry(request: Request) -> JSONResponse:
    await _body(request, required=False)
    entry_id = record_id(request.path_params["id"], "schedule entry")
    await run_in_threadpool(dashboard_of(request).schedule().pause, entry_id)
    return JSONResponse({"id": entry_id, "paused": True})


async def resume_entry(request: Request) -> JSONResponse:
    await _body(request, required=False)
    entry_id = record_id(request.path_params["id"], "schedule entry")
    was = await run_in_threadpool(dashboard_of(request).schedule().resume, entry_id)
    return JSONResponse({"id": entry_id, "paused": False, "was_paused": was})


async def run_entry(request: Request) -> JSONResponse:
    body = await _body(request)
    trigger = body.get("trigger")
    if not isinstance(trigger, str) or set(body) != {"trigger"}:
        raise inputs.BadInput('expected {"trigger": "2024-01-31/08:00:00"} as the body')
    entry_id = record_id(request.path_params["id"], "schedule entry")
    outcome = await run_in_threadpool(dashboard_of(request).schedule().run_now, entry_id, trigger)
    return JSONResponse(
        {"id": entry_id, "status": outcome.status, "run_id": outcome.run_id, "error": outcome.error}
    )


routes = [
    Route("/api/runs", runs),
    Route("/api/runs/{id}", run),
    Route("/api/queue", queue),
    Route("/api/jobs", jobs),
    Route("/api/jobs", post_job, methods=["POST"]),
    Route("/api/jobs/{id}", job),
    Route("/api/jobs/{id}/cancel", cancel_job, methods=["POST"]),
    Route("/api/jobs/{id}/retry", retry_job, methods=["POST"]),
    Route("/api/workers", workers),
    Route("/api/schedule", schedule),
    Route("/api/schedule/{id}", schedule_entry),
    Route("/api/schedule/{id}/pause", pause_entry, methods=["POST"]),
    Route("/api/schedule/{id}/resume", resume_entry, methods=["POST"]),
    Route("/api/schedule/{id}/run", run_entry, methods=["POST"]),
]
