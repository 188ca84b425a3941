"""The HTML pages: server-rendered templates; lists refresh in place (static/app.js)."""

from __future__ import annotations

import shutil
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from jobsmith.dashboard import actions, inputs
from jobsmith.dashboard.queries import (
    JOB_STATUSES,
    PICTURE_KINDS,
    RUN_STATUSES,
    RunStory,
    jobs_page,
    read_log,
    record_id,
    run_story,
    runs_page,
    why_waiting,
)
from jobsmith.dashboard.security import CSRF_FIELD, SESSION_COOKIE
from jobsmith.dashboard.state import dashboard_of
from jobsmith.errors import JobsmithError
from jobsmith.queue.execute import shown_parameters
from jobsmith.store import TaskRunRecord, utcnow

templates = Jinja2Templates(
    directory=str(__import__("pathlib").Path(__file__).parent / "templates")
)


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> Response:
    context.setdefault("token_required", dashboard_of(request).guard.token is not None)
    return templates.TemplateResponse(
        request, name, {"csrf": request.state.csrf, **context}, status_code=status_code
    )


def _query(request: Request, **changes: Any) -> str:
    values = {k: v for k, v in request.query_params.items() if k != "fragment"}
    values.update({k: v for k, v in changes.items() if v is not None})
    return urlencode({k: v for k, v in values.items() if v not in ("", None)})


# -- runs --------------------------------------------------------------------------------------
def runs(request: Request) -> Response:
    store = dashboard_of(request).store
    page = runs_page(store, request.query_params, extra=("fragment",))
    more = _query(request, before=page.next_before) if page.next_before else None
    name = "runs_rows.html" if request.query_params.get("fragment") else "runs.html"
    return render(
        request,
        name,
        page=page,
        more=more,
        choices=store.views.run_choices(),
        statuses=RUN_STATUSES,
        values=request.query_params,
        refresh=f"/runs?{_query(request, fragment='1')}",
    )


def timeline(tasks: list[TaskRunRecord], start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Each task run's bar: where it starts and how wide it is, in percent of the run."""
    span = max((end - start).total_seconds(), 1e-6)
    bars = []
    for task in tasks:
        left = (task.started_at - start).total_seconds() / span * 100
        finish = task.ended_at or end
        width = max((finish - task.started_at).total_seconds() / span * 100, 0.5)
        bars.append(
            {"task": task, "left": round(max(left, 0), 2), "width": round(min(width, 100), 2)}
        )
    return bars


def run(request: Request) -> Response:
    store = dashboard_of(request).store
    story = run_story(store, record_id(request.path_params["id"], "run"))
    ends = [t.ended_at or utcnow() for t in story.tasks]
    end = story.run.ended_at or max([utcnow(), *ends])
    return render(
        request,
        "run.html",
        run=story.run,
        bars=timeline(story.tasks, story.run.started_at, end),
        log_path=story.log_path,
        log=read_log(story.log_path),
        picture=story.run.kind in PICTURE_KINDS and bool(story.tasks),
        has_dot=shutil.which("dot") is not None,
        mermaid=_mermaid(story) if story.run.kind in PICTURE_KINDS else None,
    )


def _outcomes(story: RunStory) -> tuple[list[tuple[str, tuple[str, ...]]], dict[str, Any]]:
    """The nodes with what each depends on (as recorded when the run started; runs
    recorded before that have none, and are drawn as nodes only), and their outcomes.
    A node with no task run (a flow's task never reached) is drawn without a colour."""
    from jobsmith.engine.model import Outcome

    colour = {
        "Completed": Outcome.FIXED,
        "Failed": Outcome.FAILED,
        "Reverted": Outcome.REVERTED,
        "Skipped": Outcome.BLOCKED,
    }
    deps: dict[str, list[str]] = {t.name: [] for t in story.tasks}
    for node, dep in story.edges:
        deps.setdefault(node, []).append(dep)
        deps.setdefault(dep, [])
    outcomes = {t.name: colour.get(t.status, Outcome.PENDING) for t in story.tasks}
    return [(n, tuple(d)) for n, d in deps.items()], outcomes


def _mermaid(story: RunStory) -> str:
    from jobsmith.engine.picture import to_mermaid

    edges, outcomes = _outcomes(story)
    return to_mermaid(edges, outcomes)


def picture(request: Request) -> Response:
    """A graph or flow run's nodes, and the arrows from each to what it depends on, as SVG
    from Graphviz (404 when ``dot`` is missing: the page shows the Mermaid text instead)."""
    from jobsmith.engine.picture import render as render_dot
    from jobsmith.engine.picture import to_dot

    story = run_story(dashboard_of(request).store, record_id(request.path_params["id"], "run"))
    if shutil.which("dot") is None:
        raise inputs.BadInput("Graphviz `dot` is not installed here: the page shows Mermaid text")
    edges, outcomes = _outcomes(story)
    svg = render_dot(to_dot(edges, outcomes, name=story.run.job_name), "svg")
    return Response(svg, media_type="image/svg+xml")


# -- queue -------------------------------------------------------------------------------------
def queue(request: Request) -> Response:
    dash = dashboard_of(request)
    counts: dict[str, dict[str, int]] = {}
    for type_key, task_key, status, n in dash.store.jobs.counts():
        counts.setdefault(f"{type_key}.{task_key}", {})[status] = n
    forms = actions.task_forms(dash.store, dash.registry)
    return render(request, "queue.html", counts=counts, statuses=JOB_STATUSES, forms=forms)


def jobs(request: Request) -> Response:
    page = jobs_page(dashboard_of(request).store, request.query_params, extra=("fragment",))
    more = _query(request, before=page.next_before) if page.next_before else None
    name = "jobs_rows.html" if request.query_params.get("fragment") else "jobs.html"
    return render(
        request,
        name,
        page=page,
        more=more,
        statuses=JOB_STATUSES,
        values=request.query_params,
        shown=shown_parameters,
        refresh=f"/queue/jobs?{_query(request, fragment='1')}",
    )


def job(request: Request) -> Response:
    store = dashboard_of(request).store
    found = store.jobs.get(record_id(request.path_params["id"], "job"))
    return render(
        request,
        "job.html",
        job=found,
        arguments=shown_parameters(found.arguments),
        why=why_waiting(store, found),
        attempts=store.views.attempts(found.id),
        dependants=store.views.dependants(found.id),
        done=request.query_params.get("done"),
    )


async def _form(request: Request) -> dict[str, Any]:
    form = await request.form()
    dashboard_of(request).guard.check_form(request, form.get(CSRF_FIELD))
    return dict(form)


async def cancel(request: Request) -> Response:
    await _form(request)
    job_id = record_id(request.path_params["id"], "job")
    result = await run_in_threadpool(actions.cancel_job, dashboard_of(request).store, job_id)
    told = {
        "cancelled": "cancelled",
        "requested": "cancel requested: its worker stops it",
        "ended": "it had already ended",
    }
    return RedirectResponse(f"/jobs/{job_id}?{urlencode({'done': told[result]})}", status_code=303)


async def retry(request: Request) -> Response:
    await _form(request)
    job_id = record_id(request.path_params["id"], "job")
    await run_in_threadpool(actions.retry_job, dashboard_of(request).store, job_id)
    return RedirectResponse(f"/jobs/{job_id}?done=queued+to+run+again", status_code=303)


def _task_form(request: Request) -> actions.TaskForm:
    dash = dashboard_of(request)
    name = request.path_params["task"]
    forms = actions.task_forms(dash.store, dash.registry)
    if name not in forms:
        from jobsmith.errors import NotFoundError

        raise NotFoundError(f"no task {name!r} is known here (a worker publishes its tasks)")
    return forms[name]


def post_form(request: Request) -> Response:
    return render(request, "post.html", form=_task_form(request), values={}, error=None)


async def post_submit(request: Request) -> Response:
    values = await _form(request)
    form = await run_in_threadpool(_task_form, request)
    dash = dashboard_of(request)
    try:
        priority = inputs.priority(values)
        arguments = actions.form_arguments(form, values)
        posted = await run_in_threadpool(
            actions.post_job, dash.store, form.name, arguments, priority, dash.registry
        )
    except JobsmithError as exc:
        return render(
            request, "post.html", status_code=422, form=form, values=values, error=str(exc)
        )
    done = "posted" if posted.created else "already+active:+not+posted+again"
    return RedirectResponse(f"/jobs/{posted.id}?done={done}", status_code=303)


# -- workers and schedule ----------------------------------------------------------------------
def workers(request: Request) -> Response:
    found = dashboard_of(request).store.views.workers()
    name = "workers_rows.html" if request.query_params.get("fragment") else "workers.html"
    return render(request, name, workers=found, refresh="/workers?fragment=1")


def schedule(request: Request) -> Response:
    board = dashboard_of(request).board
    views = board.views() if board else []
    return render(request, "schedule.html", board=board, views=views)


def schedule_entry(request: Request) -> Response:
    board = dashboard_of(request).schedule()
    entry_id = record_id(request.path_params["id"], "schedule entry")
    return render(
        request,
        "entry.html",
        board=board,
        view=board.view(entry_id),
        history=board.history(entry_id),
        done=request.query_params.get("done"),
    )


async def schedule_action(request: Request) -> Response:
    values = await _form(request)
    board = dashboard_of(request).schedule()
    entry_id = record_id(request.path_params["id"], "schedule entry")
    action = request.path_params["action"]
    if action not in ("pause", "resume", "run"):
        from jobsmith.errors import NotFoundError

        raise NotFoundError(f"no schedule action {action!r} (pause, resume or run)")
    if action == "pause":
        await run_in_threadpool(board.pause, entry_id)
        done = "paused"
    elif action == "resume":
        await run_in_threadpool(board.resume, entry_id)
        done = "resumed"
    else:
        trigger = str(values.get("trigger") or "").strip()
        if not trigger:
            raise inputs.BadInput("trigger: give the trigger time, e.g. 2024-01-31/08:00:00")
        outcome = await run_in_threadpool(board.run_now, entry_id, trigger)
        done = f"ran: {outcome.status} (run {outcome.run_id})"
    return RedirectResponse(f"/schedule/{entry_id}?{urlencode({'done': done})}", status_code=303)


# -- login -------------------------------------------------------------------------------------
def login_form(request: Request) -> Response:
    return render(request, "login.html", error=None, next=_next(request.query_params.get("next")))


def _next(target: str | None) -> str:
    return target if target and target.startswith("/") and not target.startswith("//") else "/"


async def login(request: Request) -> Response:
    form = await request.form()
    guard = dashboard_of(request).guard
    target = _next(str(form.get("next") or "/"))
    if guard.token is None:
        return RedirectResponse(target, status_code=303)
    if not guard.password_ok(str(form.get("token") or "")):
        return render(request, "login.html", status_code=401, error="wrong token", next=target)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(SESSION_COOKIE, guard.session_value(), httponly=True, samesite="strict")
    return response


async def logout(request: Request) -> Response:
    await _form(request)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


def home(request: Request) -> Response:
    return RedirectResponse("/runs", status_code=303)


routes = [
    Route("/", home),
    Route("/runs", runs),
    Route("/runs/{id}", run),
    Route("/runs/{id}/picture.svg", picture),
    Route("/queue", queue),
    Route("/queue/jobs", jobs),
    Route("/jobs/{id}", job),
    Route("/jobs/{id}/cancel", cancel, methods=["POST"]),
    Route("/jobs/{id}/retry", retry, methods=["POST"]),
    Route("/post/{task}", post_form),
    Route("/post/{task}", post_submit, methods=["POST"]),
    Route("/workers", workers),
    Route("/schedule", schedule),
    Route("/schedule/{id}", schedule_entry),
    Route("/schedule/{id}/{action:str}", schedule_action, methods=["POST"]),
    Route("/login", login_form),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
]
