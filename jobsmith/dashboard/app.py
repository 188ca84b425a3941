"""The ASGI application: pages, the JSON API, ``/metrics`` and ``/openapi.json``.

Errors never come back as a traceback: bad input is a 4xx whose body says what was
wrong (JSON for the API, a page for the browser); anything unexpected is a plain 500.
"""

from __future__ import annotations

import logging
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from jobsmith.dashboard import api, pages
from jobsmith.dashboard.inputs import BadInput
from jobsmith.dashboard.metrics import metrics
from jobsmith.dashboard.openapi import openapi
from jobsmith.dashboard.schedule import ScheduleBoard
from jobsmith.dashboard.security import Forbidden, Guard, wants_json
from jobsmith.dashboard.state import Dashboard
from jobsmith.errors import JobsmithError, NotFoundError, ParameterError
from jobsmith.queue.registry import Registry
from jobsmith.store import Store

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"


def status_of(exc: Exception) -> int:
    """The HTTP status an error answers with."""
    from jobsmith.queue.controls import RetryError

    if isinstance(exc, HTTPException):
        return exc.status_code
    if isinstance(exc, Forbidden):
        return 403
    if isinstance(exc, NotFoundError | LookupError):
        return 404
    if isinstance(exc, RetryError):
        return 409
    if isinstance(exc, ParameterError):
        return 422
    if isinstance(exc, BadInput | JobsmithError):
        return 400
    return 500


async def on_error(request: Request, exc: Exception) -> Response:
    status = status_of(exc)
    if status == 500:
        log.error("dashboard: %s %s failed", request.method, request.url.path, exc_info=exc)
        message = "internal error (see the dashboard's log)"
    else:
        message = exc.detail if isinstance(exc, HTTPException) else str(exc)
    if wants_json(request) or not hasattr(request.state, "csrf"):
        if request.url.path.startswith("/static/"):
            return PlainTextResponse(message, status_code=status)
        return JSONResponse({"error": message}, status_code=status)
    return pages.render(request, "error.html", status_code=status, status=status, message=message)


def create_app(
    store: Store,
    *,
    token: str | None = None,
    board: ScheduleBoard | None = None,
    registry: Registry | None = None,
) -> Starlette:
    """The dashboard over ``store``; ``token`` guards every page and call, ``board`` is
    the schedule shown (None: no schedule page), ``registry`` adds tasks this process
    imported to the ones workers published."""
    guard = Guard(token)
    routes = [
        *api.routes,
        *pages.routes,
        Route("/metrics", metrics),
        Route("/openapi.json", openapi),
        Mount("/static", StaticFiles(directory=str(STATIC)), name="static"),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(BaseHTTPMiddleware, dispatch=guard.middleware)],
        exception_handlers={
            JobsmithError: on_error,
            Forbidden: on_error,
            HTTPException: on_error,
            Exception: on_error,
        },
    )
    app.state.dashboard = Dashboard(store, guard, board, registry)
    return app
