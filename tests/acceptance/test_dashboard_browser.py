"""The dashboard in a real headless Chromium (Debian's, driven by Playwright): a real
``jobsmith dashboard`` server, real jobs, a real worker subprocess, a real scheduler.
The tests also take screenshots of the main pages: into a temporary folder, or into docs/
(the pictures docs/dashboard.md shows) with JOBSMITH_SCREENSHOTS=docs (`make screenshots`),
so an ordinary test run leaves the work tree as it was."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from jobsmith.clock import ManualClock
from jobsmith.schedule.scheduler import Scheduler
from jobsmith.store import Store
from tests.conftest import REPO, StoreTarget, free_port
from tests.integration.queue_tasks import lines
from tests.integration.schedule_homes import add_job, make_home, triggers

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
TASKS = "tests.integration.dashboard_tasks"
DOCS = REPO / "docs"
SHOTS = DOCS if os.environ.get("JOBSMITH_SCREENSHOTS") == "docs" else Path(tempfile.mkdtemp())
T0 = datetime(2024, 5, 1, 8, 0, 0, tzinfo=UTC)


def jobsmith(target: StoreTarget, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "jobsmith", *args],
        env={**target.env(), "COLUMNS": "200"},
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def burst_worker(target: StoreTarget) -> None:
    """A real worker process that runs what is queued, then stops."""
    jobsmith(target, "worker", "-m", TASKS, "--burst")


class Server:
    """``jobsmith dashboard`` as a subprocess on a free port."""

    def __init__(
        self, target: StoreTarget, home: Path | None = None, token: str | None = None
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = ["dashboard", "--port", str(self.port), "-m", TASKS]
        args += ["--home", str(home)] if home else []
        args += ["--token", token] if token else []
        ready = urllib.request.Request(f"{self.url}/api/runs")
        if token:
            ready.add_header("Authorization", f"Bearer {token}")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "jobsmith", *args],
            env=target.env(),
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(ready, timeout=5) as answer:
                    assert answer.status == 200
                    return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("the dashboard did not start") from None
                time.sleep(0.1)

    def stop(self) -> str:
        self.process.terminate()
        try:
            _, err = self.process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            _, err = self.process.communicate()
        return err.decode(errors="replace")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        found = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield found
        found.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, timezone_id="Asia/Tokyo")
    found = context.new_page()
    found.set_default_timeout(20_000)
    yield found
    context.close()


def serve(
    target: StoreTarget, home: Path | None = None, token: str | None = None
) -> Iterator[Server]:
    server = Server(target, home, token)
    yield server
    errors = server.stop()
    assert "Traceback" not in errors, errors


@pytest.fixture
def server(sqlite_target: StoreTarget, sqlite_store: Store) -> Iterator[Server]:
    yield from serve(sqlite_target)


def shot(page: Page, name: str) -> None:
    path = SHOTS / f"dashboard-{name}.png"
    page.screenshot(path=str(path), full_page=False)
    assert path.stat().st_size > 10_000, f"{path} is too small to be a screenshot of a page"


def test_runs_page_to_a_runs_task_timeline(
    page: Page, server: Server, sqlite_target: StoreTarget
) -> None:
    done = subprocess.run(
        [sys.executable, "hello.py"],
        cwd=REPO / "examples",
        env=sqlite_target.env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    page.goto(f"{server.url}/runs")
    row = page.locator("#runs tbody tr").first
    job_name = row.locator("td").nth(1).inner_text()
    assert row.locator(".status").inner_text() == "Completed"
    started = row.locator("time").first
    assert started.get_attribute("datetime")
    assert "UTC" not in started.inner_text()  # shown in the viewer's zone by the page's script
    shot(page, "runs")
    row.locator("a").nth(1).click()
    page.wait_for_url(f"{server.url}/runs/*")
    expect(page.locator("h1")).to_contain_text(job_name)
    lanes = page.locator("#timeline .lane")
    assert lanes.count() >= 1
    assert page.locator("#timeline .bar").first.get_attribute("title")
    assert page.locator("section.task").count() == lanes.count()
    shot(page, "run")


def test_cancel_a_waiting_job_and_run_a_failed_one_again(
    page: Page, server: Server, sqlite_target: StoreTarget, tmp_path: Path
) -> None:
    notes, marker = tmp_path / "notes.txt", tmp_path / "marker"
    jobsmith(
        sqlite_target, "post", "-m", TASKS, "dash.fail_unless", f"path={notes}", f"marker={marker}"
    )
    burst_worker(sqlite_target)
    assert lines(str(notes)) == ["attempt"]
    jobsmith(sqlite_target, "post", "-m", TASKS, "dash.greet", f"path={notes}", "times=7")

    page.goto(f"{server.url}/queue")
    shot(page, "queue")
    page.goto(f"{server.url}/jobs/2")
    assert page.locator("#job-status").inner_text() == "waiting"
    page.click("#cancel")
    expect(page.locator("#done")).to_have_text("cancelled")
    expect(page.locator("#job-status")).to_have_text("cancelled")

    page.goto(f"{server.url}/jobs/1")
    assert page.locator("#job-status").inner_text() == "failed"
    assert "no marker file" in page.locator("pre.error").inner_text()
    marker.write_text("ready")
    page.click("#retry")
    expect(page.locator("#done")).to_have_text("queued to run again")
    expect(page.locator("#job-status")).to_have_text("waiting")
    burst_worker(sqlite_target)
    page.reload()
    expect(page.locator("#job-status")).to_have_text("completed")
    statuses = page.locator("#attempts tr td:nth-child(2)").all_inner_texts()
    assert statuses == ["Failed", "Completed"]
    shot(page, "job")
    assert lines(str(notes)) == ["attempt", "attempt"]  # the cancelled greeting never ran
    page.goto(f"{server.url}/workers")
    expect(page.locator("#workers tr.worker-stopped")).to_have_count(2)  # the two bursts
    shot(page, "workers")


def test_post_a_job_from_the_form(
    page: Page, server: Server, sqlite_target: StoreTarget, tmp_path: Path
) -> None:
    notes = tmp_path / "notes.txt"
    page.goto(f"{server.url}/queue")
    page.click("#tasks >> text=dash.greet")
    page.fill("#arg-path", str(notes))
    page.fill("#arg-times", "lots")
    page.click("#submit")
    expect(page.locator("#error")).to_contain_text("argument 'times' is 'lots'")
    assert page.locator("#arg-path").input_value() == str(notes)  # what was typed stays
    page.fill("#arg-times", "4")
    page.select_option("#arg-colour", label="blue")
    shot(page, "post")
    page.click("#submit")
    expect(page.locator("#done")).to_have_text("posted")
    expect(page.locator("#job-status")).to_have_text("waiting")
    burst_worker(sqlite_target)
    page.reload()
    expect(page.locator("#job-status")).to_have_text("completed")
    assert lines(str(notes)) == ["greet 4 blue"]


def test_pause_a_schedule_entry_and_the_scheduler_skips_it(
    page: Page, sqlite_target: StoreTarget, sqlite_store: Store, tmp_path: Path
) -> None:
    home = make_home(tmp_path / "home", sqlite_target)
    add_job(home, 1, "* * * * *")
    add_job(home, 2, "* * 8 0 0", description="Morning report")
    scheduler = Scheduler(home, store=sqlite_store, clock=ManualClock(T0))
    clock: ManualClock = scheduler.clock  # type: ignore[assignment]
    for server in serve(sqlite_target, home):
        scheduler.tick()
        clock.advance(seconds=1)
        scheduler.tick()
        assert scheduler.wait(30)

        page.goto(f"{server.url}/schedule")
        assert page.locator("#entries tbody tr").count() == 2
        assert "At 08:00 every day" in page.locator("#entries tbody tr").nth(1).inner_text()
        shot(page, "schedule")
        page.click("#entries >> text=job1")
        expect(page.locator("#next li")).to_have_count(5)
        page.click("#pause")
        expect(page.locator("#paused")).to_have_text("paused")

        clock.advance(seconds=1)
        scheduler.tick()
        assert scheduler.wait(30)
        page.reload()
        expect(page.locator("#history tr td:nth-child(3)")).to_have_text(["paused", "ran"])
        shot(page, "entry")
        page.click("#resume")
        expect(page.locator("#done")).to_have_text("resumed")
        expect(page.locator("#paused")).to_have_count(0)
    scheduler.close()
    fires = sqlite_store.schedules.history("scheduler", 1)
    assert [f.state for f in fires] == ["paused", "ran"]


def test_run_a_schedule_entry_now_for_a_trigger_time(
    page: Page, sqlite_target: StoreTarget, sqlite_store: Store, tmp_path: Path
) -> None:
    home = make_home(tmp_path / "home", sqlite_target)
    add_job(home, 1, "* * 8 0 0", parameters="hello", description="Morning report")
    for server in serve(sqlite_target, home):
        page.goto(f"{server.url}/schedule/1")
        expect(page.locator("#history")).to_contain_text("No fire yet.")
        page.click("#run-now")  # no trigger time: refused, saying what to give
        expect(page.locator("#error")).to_contain_text("give the trigger time")
        assert triggers(home) == []

        page.goto(f"{server.url}/schedule/1")
        page.fill("#trigger", "2024-01-31/08:00:00")
        page.click("#run-now")
        expect(page.locator("#done")).to_contain_text("ran: Completed (run ")
        assert triggers(home) == ["2024-01-31/08:00:00"]  # the real job ran, for that time
        fires = page.locator("#history tr.fire-ran")
        expect(fires).to_have_count(1)
        assert "2024-01-31" in fires.locator("time").first.get_attribute("datetime")  # type: ignore[operator]
        fires.locator("a").click()  # to the run it recorded
        page.wait_for_url(f"{server.url}/runs/*")
        expect(page.locator(".status").first).to_have_text("Completed")
    (fire,) = sqlite_store.schedules.history("scheduler", 1)
    assert (fire.state, fire.status) == ("ran", "Completed")


def test_the_login_form_with_a_token(
    page: Page, browser: Browser, sqlite_target: StoreTarget, sqlite_store: Store
) -> None:
    token = "s3cret-dashboard-token"
    for server in serve(sqlite_target, token=token):
        page.goto(f"{server.url}/queue")
        page.wait_for_url(f"{server.url}/login?next=/queue")
        page.fill("#token", "wrong")
        page.click("#login")
        expect(page.locator("p.error")).to_have_text("wrong token")
        assert page.context.cookies(server.url) == [] or all(
            c["name"] != "jobsmith_session" for c in page.context.cookies(server.url)
        )

        page.fill("#token", token)
        page.click("#login")
        page.wait_for_url(f"{server.url}/queue")  # back where it was going
        expect(page.locator("h1")).to_contain_text("Queue")
        session = {c["name"]: c for c in page.context.cookies(server.url)}["jobsmith_session"]
        assert token not in session["value"] and session["httpOnly"]
        assert page.request.get(f"{server.url}/api/runs").status == 200  # the cookie is enough

        other = browser.new_context()  # another browser without the cookie: sent to log in
        try:
            assert other.request.get(f"{server.url}/api/runs").status == 401
            stranger = other.new_page()
            stranger.goto(f"{server.url}/runs")
            stranger.wait_for_url(f"{server.url}/login?next=/runs")
        finally:
            other.close()

        page.click("text=Log out")
        page.wait_for_url(f"{server.url}/login")
        page.goto(f"{server.url}/workers")
        page.wait_for_url(f"{server.url}/login?next=/workers")
