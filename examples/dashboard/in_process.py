"""The dashboard's API without a server: build the app over a store and call it (as a
test of your own would). `jobsmith dashboard` serves the same app over HTTP."""

from starlette.testclient import TestClient

import jobsmith
from jobsmith.dashboard import create_app
from jobsmith.flow import LinearFlow, Task, run
from jobsmith.store import open_store


def greet(name):
    print(f"hello {name}")


class Boil(Task):
    default_provides = "water"

    def execute(self):
        return "hot water"


class Brew(Task):
    def execute(self, water):
        print(f"tea from {water}")


store = open_store("sqlite:///dashboard-example.db")
with jobsmith.go("hello_dashboard", backend=store) as job:
    job.execute(greet, name="world")
run(LinearFlow("tea").add(Boil("boil"), Brew("brew")), run_log=store)

with TestClient(create_app(store)) as api:
    one = api.get("/api/runs", params={"job": "hello_dashboard", "limit": 1}).json()["runs"][0]
    print(one["job"], one["kind"], one["status"])
    tasks = api.get(f"/api/runs/{one['id']}").json()["tasks"]
    print([(t["name"], t["parameters"]["name"]) for t in tasks])
    flow = api.get("/api/runs", params={"kind": "flow", "limit": 1}).json()["runs"][0]
    print(flow["job"], api.get(f"/api/runs/{flow['id']}").json()["edges"])
    print(api.get("/api/runs", params={"status": "Done"}).json())
    metrics = api.get("/metrics").text
    print([line for line in metrics.splitlines() if line.startswith("jobsmith_runs{")])
