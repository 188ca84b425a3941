"""Graph and flow runs record which task depends on which, and the dashboard draws those
dependencies as arrows (SVG from Graphviz, or Mermaid text); older runs without them
still get a picture of their nodes. On SQLite and on PostgreSQL."""

from __future__ import annotations

import html
import io
import re
import shutil
from pathlib import Path

import pytest
import schemathesis
from schemathesis.checks import response_schema_conformance
from starlette.testclient import TestClient

from jobsmith.dashboard import create_app
from jobsmith.flow import GraphFlow, Task, run
from jobsmith.graph import DoJobber, DummyJob, Job
from jobsmith.queue.registry import registry
from jobsmith.runlog import RunLog
from jobsmith.store import Store

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")


class Plug(Job):
    def check(self) -> None:
        pass


class Kettle(Job):
    DEPS = (Plug,)

    def check(self) -> None:
        if not self.storage.get("boiled"):
            raise RuntimeError("cold")

    def run(self) -> None:
        self.storage["boiled"] = True


class Cup(Job):
    def check(self) -> None:
        pass


class Tea(DummyJob):
    DEPS = (Kettle, Cup)


class Grind(Task):
    default_provides = "grounds"

    def execute(self, beans):
        return f"ground {beans}"


class Brew(Task):
    default_provides = "coffee"

    def execute(self, grounds, water):
        raise RuntimeError("no filter")


class Pour(Task):
    def execute(self, coffee):
        return coffee


def a_graph_ran(store: Store) -> int:
    dojob = DoJobber(run_log=store, job_name="tea", stream=io.StringIO())
    dojob.configure(Tea, default_retry_delay=0)
    dojob.checknrun()
    assert dojob.success()
    return store.runs.recent(1)[0].id


def a_flow_failed(store: Store) -> int:
    flow = GraphFlow("coffee").add(Pour("pour"), Brew("brew"), Grind("grind"))
    with pytest.raises(RuntimeError, match="no filter"):
        run(flow, {"beans": "arabica", "water": 1}, run_log=store)
    return store.runs.recent(1)[0].id


@pytest.fixture
def pages(store: Store) -> TestClient:
    return TestClient(create_app(store, registry=registry))


def test_a_graph_run_records_its_dependencies(store: Store) -> None:
    run_id = a_graph_ran(store)
    assert store.runs.edges(run_id) == [("Kettle", "Plug"), ("Tea", "Cup"), ("Tea", "Kettle")]


def test_a_graph_flow_run_records_its_dependencies(store: Store) -> None:
    run_id = a_flow_failed(store)
    assert store.runs.get(run_id).kind == "flow"
    assert store.runs.edges(run_id) == [("brew", "grind"), ("pour", "brew")]
    # pour never ran: it has no task run, only its place in the dependencies
    assert "pour" not in [t.name for t in store.runs.tasks(run_id)]


def test_edges_are_kept_once_and_pruned_with_their_run(store: Store) -> None:
    log = RunLog(store)
    job_run = log.start_job("by hand", "test", kind="graph")
    log.record_edges(job_run, [("b", "a"), ("b", "a"), ("c", "b")])
    log.record_edges(job_run, [("c", "b")])
    log.record_edges(job_run, [])
    assert store.runs.edges(job_run.id) == [("b", "a"), ("c", "b")]
    log.end_job(job_run, "Completed")
    assert store.controls.prune(-60).runs == 1  # pruning the run takes its edges
    assert store.runs.edges(job_run.id) == []


def _svg_edges(svg: str) -> set[str]:
    """The arrows of a Graphviz SVG as "from->to"."""
    titles = re.findall(r'<g id="edge\d+" class="edge">\s*<title>([^<]*)</title>', svg)
    return {html.unescape(t) for t in titles}


def _mermaid_edges(page: str) -> set[str]:
    """The arrows of the Mermaid text on a run's page as "from->to"."""
    text = re.search(r'<pre class="mermaid">(.*?)</pre>', page, re.S)
    assert text, page
    mermaid = html.unescape(text.group(1))
    names = dict(re.findall(r'^\s+(n\d+)\["([^"]*)"\]$', mermaid, re.M))
    arrows = re.findall(r"^\s+(n\d+) --> (n\d+)$", mermaid, re.M)
    return {f"{names[a]}->{names[b]}" for a, b in arrows}


@needs_dot
def test_the_picture_of_a_graph_run_has_its_arrows(store: Store, pages: TestClient) -> None:
    run_id = a_graph_ran(store)
    svg = pages.get(f"/runs/{run_id}/picture.svg")
    assert svg.status_code == 200 and svg.headers["content-type"] == "image/svg+xml"
    assert _svg_edges(svg.text) == {"Kettle->Plug", "Tea->Cup", "Tea->Kettle"}
    assert 'fill="darkgreen"' in svg.text


@needs_dot
def test_the_picture_of_a_flow_run_has_its_arrows_and_unreached_tasks(
    store: Store, pages: TestClient
) -> None:
    run_id = a_flow_failed(store)
    svg = pages.get(f"/runs/{run_id}/picture.svg").text
    assert _svg_edges(svg) == {"brew->grind", "pour->brew"}
    assert ">pour</text>" in svg and 'fill="red"' in svg


def test_without_graphviz_the_mermaid_text_has_the_arrows(
    store: Store, pages: TestClient, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    graph_id, flow_id = a_graph_ran(store), a_flow_failed(store)
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` here
    graph_page = pages.get(f"/runs/{graph_id}").text
    assert "picture.svg" not in graph_page
    assert _mermaid_edges(graph_page) == {"Kettle->Plug", "Tea->Cup", "Tea->Kettle"}
    assert _mermaid_edges(pages.get(f"/runs/{flow_id}").text) == {"brew->grind", "pour->brew"}


def test_a_run_recorded_without_dependencies_still_has_a_picture(
    store: Store, pages: TestClient, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    log = RunLog(store)  # as runs were recorded before migration 0012: no edges
    job_run = log.start_job("old graph", "test", kind="graph")
    for name in ("Plug", "Kettle"):
        log.end_task(log.start_task(job_run, "Job", name), "Completed")
    log.end_job(job_run, "Completed")
    assert store.runs.edges(job_run.id) == []
    if shutil.which("dot") is not None:
        svg = pages.get(f"/runs/{job_run.id}/picture.svg")
        assert svg.status_code == 200
        assert ">Plug</text>" in svg.text and ">Kettle</text>" in svg.text
        assert _svg_edges(svg.text) == set()
    monkeypatch.setenv("PATH", str(tmp_path))
    page = pages.get(f"/runs/{job_run.id}").text
    assert '["Plug"]' in html.unescape(page) and _mermaid_edges(page) == set()


def test_the_api_gives_a_runs_dependencies_as_its_openapi_document_says(
    store: Store, pages: TestClient
) -> None:
    graph_id, flow_id = a_graph_ran(store), a_flow_failed(store)
    log = RunLog(store)
    plain = log.start_job("plain job", "test")  # not a graph or flow: no edges
    log.end_job(plain, "Completed")
    graph = pages.get(f"/api/runs/{graph_id}").json()
    assert graph["edges"] == [
        {"task": "Kettle", "depends_on": "Plug"},
        {"task": "Tea", "depends_on": "Cup"},
        {"task": "Tea", "depends_on": "Kettle"},
    ]
    flow = pages.get(f"/api/runs/{flow_id}").json()
    assert [(e["task"], e["depends_on"]) for e in flow["edges"]] == [
        ("brew", "grind"),
        ("pour", "brew"),
    ]
    assert pages.get(f"/api/runs/{plain.id}").json()["edges"] == []

    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(store, registry=registry))
    one_run = schema["/api/runs/{id}"]["GET"]
    edges = one_run.definition.raw["responses"]["200"]["content"]["application/json"]["schema"]
    assert edges["properties"]["edges"]["items"]["required"] == ["task", "depends_on"]
    for run_id in (graph_id, flow_id, plain.id):
        case = one_run.Case(path_parameters={"id": run_id})
        case.validate_response(case.call(), checks=[response_schema_conformance])
