"""The dashboard's pages without a browser: a graph run's picture (SVG, or Mermaid text
without Graphviz), list fragments for the in-place refresh, forms and their errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from jobsmith.dashboard import create_app
from jobsmith.graph import DoJobber, Job
from jobsmith.queue.registry import registry
from jobsmith.store import Store
from tests.integration import dashboard_tasks  # noqa: F401  (registers dash.*)


class Kettle(Job):
    """Cold until its run boils it: fixed by the run (dark green)."""

    def check(self) -> None:
        if not self.storage.get("boiled"):
            raise RuntimeError("cold")

    def run(self) -> None:
        self.storage["boiled"] = True


class Tea(Job):
    """Never ready: failed (red)."""

    DEPS = (Kettle,)
    TRIES = 1

    def check(self) -> None:
        raise RuntimeError("no cup")

    def run(self) -> None:
        pass


def a_graph_ran(store: Store) -> int:
    graph = DoJobber(run_log=store)
    graph.configure(Tea)
    graph.checknrun()
    return store.runs.recent(1)[0].id


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


@pytest.fixture
def pages(store: Store) -> TestClient:
    return TestClient(create_app(store, registry=registry))


def test_a_graph_runs_picture_is_svg_coloured_by_outcome(store: Store, pages: TestClient) -> None:
    run_id = a_graph_ran(store)
    page = pages.get(f"/runs/{run_id}").text
    assert f'src="/runs/{run_id}/picture.svg"' in page and page.count('class="lane"') == 2
    svg = pages.get(f"/runs/{run_id}/picture.svg")
    assert svg.headers["content-type"] == "image/svg+xml"
    assert 'fill="darkgreen"' in svg.text and 'fill="red"' in svg.text
    assert ">Kettle</text>" in svg.text and ">Tea</text>" in svg.text


def test_without_graphviz_the_page_shows_mermaid_text(
    store: Store, pages: TestClient, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    run_id = a_graph_ran(store)
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` here
    page = pages.get(f"/runs/{run_id}").text
    assert '<pre class="mermaid">flowchart TD' in page and "picture.svg" not in page
    assert "Graphviz" in pages.get(f"/runs/{run_id}/picture.svg").text


def test_list_fragments_hold_only_rows(store: Store, pages: TestClient) -> None:
    a_graph_ran(store)
    whole = pages.get("/runs").text
    assert 'data-refresh="/runs?fragment=1"' in whole
    rows = pages.get("/runs", params={"fragment": "1"}).text
    assert rows.lstrip().startswith("<tr>") and "<html" not in rows and "Tea" in rows
    assert pages.get("/queue/jobs", params={"fragment": "1"}).text.strip().startswith("<tr>")
    assert (
        "No worker has run in the last hour" in pages.get("/workers", params={"fragment": "1"}).text
    )


def test_forms_check_csrf_and_arguments(store: Store, pages: TestClient, tmp_path: Path) -> None:
    form = pages.get("/post/dash.greet")
    assert form.status_code == 200
    assert '<option value="&#34;blue&#34;" >blue</option>' in form.text
    csrf = csrf_of(form.text)
    values = {"arg.path": str(tmp_path / "n"), "arg.times": "3", "arg.colour": '"purple"'}
    refused = pages.post("/post/dash.greet", data=values)
    assert refused.status_code == 403 and "CSRF" in refused.text
    wrong = pages.post("/post/dash.greet", data={**values, "csrf": csrf})
    assert (
        wrong.status_code == 422 and "argument &#39;colour&#39; is &#39;purple&#39;" in wrong.text
    )
    assert store.jobs.counts() == []
    posted = pages.post(
        "/post/dash.greet",
        data={**values, "arg.colour": '"blue"', "priority": "7", "csrf": csrf},
        follow_redirects=False,
    )
    assert posted.status_code == 303
    job = store.jobs.get(int(posted.headers["location"].split("/")[2].split("?")[0]))
    assert (job.arguments["times"], job.arguments["colour"], job.priority) == (3, "blue", 7)
    assert pages.get("/post/dash.nothing").status_code == 404


@pytest.mark.parametrize("given", ["99999999999", "-2147483649", "high", "1.5"])
def test_a_priority_out_of_range_says_the_range(
    store: Store, pages: TestClient, tmp_path: Path, given: str
) -> None:
    # 99999999999 is a whole number: the form said "expected a whole number" all the same
    csrf = csrf_of(pages.get("/post/dash.greet").text)
    values = {"arg.path": str(tmp_path / "n"), "priority": given, "csrf": csrf}
    refused = pages.post("/post/dash.greet", data=values)
    assert refused.status_code == 422
    assert (
        f"priority=&#39;{given}&#39;: expected a whole number from -2147483648 to 2147483647"
        in refused.text
    )
    assert store.jobs.counts() == []
    lowest = pages.post(
        "/post/dash.greet", data={**values, "priority": "-2147483648"}, follow_redirects=False
    )
    assert lowest.status_code == 303
    assert store.jobs.get(int(lowest.headers["location"].split("/")[2].split("?")[0])).priority == (
        -(2**31)
    )


def test_page_errors_are_pages_with_the_reason(pages: TestClient) -> None:
    bad = pages.get("/runs", params={"kind": "job", "status": "Nope"})
    assert bad.status_code == 400 and "status=&#39;Nope&#39;" in bad.text
    assert pages.get("/jobs/123").status_code == 404
    assert pages.get("/schedule").status_code == 200  # says it has no schedule
    assert pages.get("/schedule/1").status_code == 404
