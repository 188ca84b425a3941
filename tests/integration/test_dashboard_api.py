"""The dashboard's JSON API and metrics on both stores: what it shows, what it changes, and
every bad input answered with a 4xx JSON error (never a 500)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from starlette.testclient import TestClient

import jobsmith
from jobsmith.dashboard import check_binding, create_app
from jobsmith.dashboard.schedule import ScheduleBoard
from jobsmith.errors import ConfigError
from jobsmith.queue.registry import registry
from jobsmith.queue.worker import run_worker
from jobsmith.schedule.home import Home
from jobsmith.store import Store, utcnow
from tests.conftest import REPO, StoreTarget
from tests.integration import dashboard_tasks
from tests.integration.schedule_homes import add_job, make_home

TOKEN = "s3cret-token"


def a_job_ran(store: Store) -> int:
    """A real job with two tasks, one given a secret; returns its run id."""

    def fetch(source: str, password: str) -> str:
        return f"fetched {source}"

    def load(target: str) -> None:
        print(f"loaded into {target}")

    with jobsmith.go("nightly_load", backend=store) as job:
        job.execute(fetch, source="s3://bucket", password="hunter2")
        job.execute(load, target="warehouse")
    return store.runs.recent(1, job_name="nightly_load")[0].id


def client(store: Store, **options: object) -> TestClient:
    return TestClient(create_app(store, registry=registry, **options))  # type: ignore[arg-type]


@pytest.fixture
def api(store: Store) -> Iterator[TestClient]:
    with client(store) as found:
        yield found


def error_of(response: object, status: int) -> str:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert set(body) == {"error"} and body["error"], body
    assert "Traceback" not in body["error"]
    return str(body["error"])


def test_runs_list_filters_pages_and_one_run(store: Store, api: TestClient) -> None:
    run_id = a_job_ran(store)
    with pytest.raises(ZeroDivisionError), jobsmith.go("broken", backend=store) as job:
        job.execute(lambda: 1 / 0)
    listed = api.get("/api/runs").json()
    assert [r["job"] for r in listed["runs"]] == ["broken", "nightly_load"]
    assert listed["runs"][0]["status"] == "Failed" and listed["next_before"] is None

    failed = api.get("/api/runs", params={"status": "Failed"}).json()["runs"]
    assert [r["job"] for r in failed] == ["broken"]
    named = api.get("/api/runs", params={"job": "nightly_load", "kind": "job"}).json()["runs"]
    assert [r["id"] for r in named] == [run_id]
    assert api.get("/api/runs", params={"until": "2000-01-01"}).json()["runs"] == []
    assert len(api.get("/api/runs", params={"since": "2000-01-01"}).json()["runs"]) == 2

    first = api.get("/api/runs", params={"limit": 1}).json()
    assert len(first["runs"]) == 1 and first["next_before"] == first["runs"][0]["id"]
    second = api.get("/api/runs", params={"limit": 1, "before": first["next_before"]}).json()
    assert [r["job"] for r in second["runs"]] == ["nightly_load"] and second["next_before"] is None

    one = api.get(f"/api/runs/{run_id}").json()
    assert [t["name"] for t in one["tasks"]] == ["fetch", "load"]
    assert one["tasks"][0]["parameters"]["password"] != "hunter2"  # masked as in the run log
    assert one["tasks"][0]["parameters"]["source"] == "s3://bucket"
    assert one["tasks"][1]["parameters"] == {"target": "warehouse"}


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ({"status": "Bogus"}, "status='Bogus'"),
        ({"limit": "ten"}, "limit='ten'"),
        ({"limit": "0"}, "limit='0'"),
        ({"limit": "501"}, "limit='501'"),
        ({"before": "-4"}, "before='-4'"),
        ({"since": "yesterday"}, "since='yesterday'"),
        ({"colour": "red"}, "unknown query parameter 'colour'"),
    ],
)
def test_bad_run_filters_are_400(api: TestClient, query: dict[str, str], names: str) -> None:
    assert names in error_of(api.get("/api/runs", params=query), 400)


def test_unknown_and_malformed_ids_are_4xx(api: TestClient) -> None:
    assert "no job run with id 999" in error_of(api.get("/api/runs/999"), 404)
    assert "run id 'x1'" in error_of(api.get("/api/runs/x1"), 400)
    assert "job id" in error_of(api.get("/api/jobs/99999999999999999999999"), 400)
    assert "no job with id 77" in error_of(api.get("/api/jobs/77"), 404)
    assert "no job with id 77" in error_of(api.post("/api/jobs/77/cancel", json={}), 404)
    assert "no job with id 77" in error_of(api.post("/api/jobs/77/retry", json={}), 404)
    error_of(api.get("/api/nothing/here"), 404)
    assert "no schedule" in error_of(api.get("/api/schedule"), 404)
    assert "'purple'" in error_of(api.get("/api/jobs", params={"status": "purple"}), 400)
    assert "TYPE.TASK" in error_of(api.get("/api/jobs", params={"task": "nodot"}), 400)


def test_post_cancel_and_run_again_through_the_api(
    store: Store, api: TestClient, tmp_path: Path
) -> None:
    notes = str(tmp_path / "notes.txt")
    posted = api.post(
        "/api/jobs", json={"task": "dash.greet", "arguments": {"path": notes, "times": 2}}
    )
    assert posted.status_code == 201, posted.text
    job_id = posted.json()["id"]
    again = api.post(
        "/api/jobs", json={"task": "dash.greet", "arguments": {"path": notes, "times": 2}}
    )
    assert again.status_code == 200 and again.json() == {**posted.json(), "created": False}

    shown = api.get(f"/api/jobs/{job_id}").json()
    assert shown["status"] == "waiting" and shown["arguments"]["times"] == "2"
    assert shown["why"].startswith("ready in queue 'default': 0 ready job(s)")
    listed = api.get("/api/jobs", params={"task": "dash.greet", "status": "waiting"}).json()
    assert [j["id"] for j in listed["jobs"]] == [job_id]
    assert api.get("/api/queue").json()["tasks"] == {"dash.greet": {"waiting": 1}}

    assert api.post(f"/api/jobs/{job_id}/cancel", json={}).json() == {
        "id": job_id,
        "result": "cancelled",
    }
    assert store.jobs.get(job_id).status == "cancelled"
    assert api.post(f"/api/jobs/{job_id}/cancel", json={}).json()["result"] == "ended"

    marker = tmp_path / "marker"
    failing = api.post(
        "/api/jobs",
        json={"task": "dash.fail_unless", "arguments": {"path": notes, "marker": str(marker)}},
    ).json()["id"]
    run_worker(store, registry, burst=True)
    assert store.jobs.get(failing).status == "failed"
    assert "only a failed or cancelled job" not in error_of(
        api.post(f"/api/jobs/{failing + 1000}/retry", json={}), 404
    )
    marker.write_text("now it works")
    assert api.post(f"/api/jobs/{failing}/retry", json={}).json() == {
        "id": failing,
        "status": "waiting",
    }
    run_worker(store, registry, burst=True)
    after = api.get(f"/api/jobs/{failing}").json()
    assert after["status"] == "completed"
    assert [r["status"] for r in after["attempt_runs"]] == ["Failed", "Completed"]
    assert "only a failed or cancelled job can be retried" in error_of(
        api.post(f"/api/jobs/{failing}/retry", json={}), 409
    )


@pytest.mark.parametrize(
    ("body", "status", "names"),
    [
        ({"task": "dash.greet", "arguments": {"path": "p", "times": "many"}}, 422, "'times'"),
        ({"task": "dash.greet", "arguments": {"path": "p", "colour": "green"}}, 422, "'colour'"),
        (
            {"task": "dash.greet", "arguments": {"path": "p", "size": 3}},
            422,
            "unknown argument 'size'",
        ),
        ({"task": "dash.greet", "arguments": {}}, 422, "missing argument 'path'"),
        ({"task": "dash.greet", "arguments": [1, 2]}, 422, "field 'arguments'"),
        ({"task": "dash.nothing", "arguments": {}}, 404, "dash.nothing"),
        ({"task": "nodot"}, 400, "TYPE.TASK"),
        ({"task": 5}, 400, "field 'task'"),
        ({"task": "dash.greet", "priority": "high"}, 400, "field 'priority'"),
        (
            {"task": "dash.greet", "priority": 99999999999},
            400,
            "field 'priority': expected a whole number from -2147483648 to 2147483647, "
            "got 99999999999",
        ),
        ({"task": "dash.greet", "when": "now"}, 400, "unknown field 'when'"),
        ([1, 2], 400, "JSON object"),
    ],
)
def test_invalid_posts_are_4xx_and_queue_nothing(
    store: Store, api: TestClient, body: object, status: int, names: str
) -> None:
    assert names in error_of(api.post("/api/jobs", json=body), status)
    assert store.jobs.counts() == []


def test_a_body_that_is_not_json_is_400(api: TestClient) -> None:
    answer = api.post("/api/jobs", content=b"{nope", headers={"content-type": "application/json"})
    assert "not JSON" in error_of(answer, 400)


def test_actions_refuse_cross_site_requests(api: TestClient) -> None:
    form = api.post("/api/jobs", content=b"task=dash.greet", headers={"content-type": "text/plain"})
    assert "JSON body" in error_of(form, 403)
    elsewhere = api.post(
        "/api/jobs", json={"task": "dash.greet"}, headers={"origin": "http://evil.example"}
    )
    assert "another origin" in error_of(elsewhere, 403)
    page_form = api.post("/jobs/1/cancel", data={"csrf": "guess"})
    assert page_form.status_code == 403 and "CSRF" in page_form.text


def test_token_rules(store: Store) -> None:
    a_job_ran(store)
    with client(store, token=TOKEN) as guarded:
        assert "missing or wrong token" in error_of(guarded.get("/api/runs"), 401)
        wrong = {"authorization": "Bearer nope"}
        assert "missing or wrong token" in error_of(guarded.get("/api/runs", headers=wrong), 401)
        error_of(guarded.get("/metrics"), 401)
        error_of(guarded.post("/api/jobs", json={"task": "dash.greet"}), 401)
        right = {"authorization": f"Bearer {TOKEN}"}
        assert guarded.get("/api/runs", headers=right).json()["runs"]
        assert guarded.get("/metrics", headers=right).status_code == 200

        page = guarded.get("/runs", follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"] == "/login?next=/runs"
        refused = guarded.post("/login", data={"token": "nope", "next": "/runs"})
        assert refused.status_code == 401 and "wrong token" in refused.text
        assert "jobsmith_session" not in guarded.cookies
        logged = guarded.post("/login", data={"token": TOKEN, "next": "/runs"})
        assert logged.status_code == 200 and "nightly_load" in logged.text
        assert guarded.cookies["jobsmith_session"] != TOKEN  # a derived value, not the token
        assert guarded.get("/api/runs").status_code == 200  # the cookie works for the API too


def test_binding_beyond_localhost_needs_a_token(sqlite_target: StoreTarget) -> None:
    check_binding("127.0.0.1", None)
    check_binding("::1", None)
    check_binding("0.0.0.0", TOKEN)
    with pytest.raises(ConfigError, match="without a token"):
        check_binding("0.0.0.0", None)
    done = subprocess.run(
        [sys.executable, "-m", "jobsmith", "dashboard", "--host", "0.0.0.0", "--port", "1"],
        env={k: v for k, v in sqlite_target.env().items() if k != "JOBSMITH_DASHBOARD_TOKEN"},
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "without a token" in done.stderr and "--token" in done.stderr


def test_workers_live_gone_and_stopped(store: Store, api: TestClient, tmp_path: Path) -> None:
    assert api.get("/api/workers").json() == {"workers": []}
    dashboard_tasks.greet.post(path=str(tmp_path / "n"), store=store)
    run_worker(store, registry, burst=True, concurrency=2, queues=["default"])
    (ran,) = api.get("/api/workers").json()["workers"]
    assert (ran["state"], ran["concurrency"], ran["queues"]) == ("stopped", 2, ["default"])
    assert ran["jobs"] == [] and ran["last_heartbeat"] and not ran["alive"]

    now = utcnow()
    store.workers.register(
        "h2:1:dead", host="h2", pid=1, concurrency=4, process_units=10, queues=None,
        lease=30, at=now - timedelta(seconds=100),
    )  # fmt: skip
    store.workers.register(
        "h1:2:live", host="h1", pid=2, concurrency=3, process_units=10, queues=None,
        lease=30, at=now,
    )  # fmt: skip
    posted = dashboard_tasks.greet.post(path=str(tmp_path / "n"), times=2, store=store)
    claimed = store.jobs.claim(worker="h1:2:live", host="h1", limit=1, system_units=10, lease=60)
    assert [c.id for c in claimed] == [posted.id]
    workers = {w["worker"]: w for w in api.get("/api/workers").json()["workers"]}
    assert [w["state"] for w in workers.values()] == ["live", "gone", "stopped"]
    live = workers["h1:2:live"]
    assert live["jobs"] == [posted.id] and live["process_units_in_use"] == 1
    assert live["concurrency"] == 3 and live["host_process_units"] == 10
    assert "jobsmith_workers_live 1.0" in api.get("/metrics").text
    page = api.get("/workers").text
    assert page.count('class="worker-live"') == 1 and page.count('class="worker-gone"') == 1


def test_metrics_are_the_numbers_the_pages_show(
    store: Store, api: TestClient, tmp_path: Path
) -> None:
    a_job_ran(store)
    notes = str(tmp_path / "n")
    dashboard_tasks.greet.post(path=notes, store=store)
    dashboard_tasks.greet.post(path=notes, times=2, store=store)
    run_worker(store, registry, burst=True)
    dashboard_tasks.greet.post(path=notes, times=3, store=store)
    text = api.get("/metrics").text
    assert 'jobsmith_jobs{status="completed",task="dash.greet"} 2.0' in text
    assert 'jobsmith_jobs{status="waiting",task="dash.greet"} 1.0' in text
    assert 'jobsmith_queue_depth{queue="default"} 1.0' in text
    assert 'jobsmith_queue_oldest_waiting_seconds{queue="default"}' in text
    assert "jobsmith_attempt_duration_seconds_count 2.0" in text
    assert 'jobsmith_attempt_duration_seconds_bucket{le="+Inf"} 2.0' in text
    assert 'jobsmith_runs{kind="job",status="Completed"} 1.0' in text
    assert 'jobsmith_runs{kind="queue",status="Completed"} 2.0' in text
    assert "jobsmith_workers_live 0.0" in text


def test_schedule_entries_pause_resume_and_run_now(
    store: Store, target: StoreTarget, tmp_path: Path
) -> None:
    home_dir = make_home(tmp_path / "home", target)
    add_job(home_dir, 0, "* * 8 0 0", parameters="hello")
    add_job(home_dir, 1, "* * * * 0", status="N")
    board = ScheduleBoard(Home.load(home_dir), store)
    with client(store, board=board) as api:
        entries = api.get("/api/schedule").json()["entries"]
        assert [e["id"] for e in entries] == [0, 1]
        assert entries[0]["words"] == "At 08:00 every day" and len(entries[0]["next"]) == 5
        assert entries[1]["next"] == [] and not entries[0]["paused"]

        assert api.post("/api/schedule/0/pause", json={}).json()["paused"] is True
        assert api.get("/api/schedule").json()["entries"][0]["paused"]
        assert api.post("/api/schedule/0/resume", json={}).json()["was_paused"] is True
        assert "no schedule entry 9" in error_of(api.post("/api/schedule/9/pause", json={}), 404)
        bad = api.post("/api/schedule/0/run", json={"trigger": "someday"})
        assert "trigger 'someday'" in error_of(bad, 400)

        ran = api.post("/api/schedule/0/run", json={"trigger": "2024-01-02/08:00:00"}).json()
        assert ran["status"] == "Completed"
        history = api.get("/api/schedule/0").json()["history"]
        assert [(f["kind"], f["run_id"]) for f in history] == [("manual", ran["run_id"])]
        run = api.get(f"/api/runs/{ran['run_id']}").json()
        assert run["kind"] == "schedule" and run["log_path"].endswith(".log")
