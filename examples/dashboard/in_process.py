"""The dashboard's API without a server: build the app over a store and call it (as a
test of your own would). `jobsmith dashboard` serves the same app over HTTP."""

from starlette.testclient import TestClient

import jobsmith
from jobsmith.dashboard import create_app
from jobsmith.store import open_store


def greet(name):
    print(f"hello {name}")


store = open_store("sqlite:///dashboard-example.db")
with jobsmith.go("hello_dashboard", backend=store) as job:
    job.execute(greet, name="world")

with TestClient(create_app(store)) as api:
    run = api.get("/api/runs", params={"job": "hello_dashboard", "limit": 1}).json()["runs"][0]
    print(run["job"], run["kind"], run["status"])
    tasks = api.get(f"/api/runs/{run['id']}").json()["tasks"]
    print([(t["name"], t["parameters"]["name"]) for t in tasks])
    print(api.get("/api/runs", params={"status": "Done"}).json())
    metrics = api.get("/metrics").text
    print([line for line in metrics.splitlines() if line.startswith("jobsmith_runs{")])
