"""jobsmith as others install it: the wheel, in a fresh virtual environment, with only the
dependencies it declares (no dev tools, no extras), runs a job, a graph and a queued job.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow

JOB = """
import jobsmith

def greet(name):
    print(f"hello {name}")

with jobsmith.go("wheel-job", parameters={"name": "wheel"}) as ctx:
    ctx.execute(greet)
"""

GRAPH = """
from jobsmith.graph import DoJobber, Job

class Kettle(Job):
    def Check(self, *args, **kwargs):
        return self.storage.get("boiled")
    def Run(self, *args, **kwargs):
        self.storage["boiled"] = True

class Tea(Job):
    DEPS = (Kettle,)
    def Check(self, *args, **kwargs):
        return self.storage.get("tea")
    def Run(self, *args, **kwargs):
        self.storage["tea"] = True

dojob = DoJobber()
dojob.configure(Tea)
dojob.checknrun()
print("graph succeeded:", dojob.success())
"""

TASKS = """
from pathlib import Path
from jobsmith import task

@task
def touch(name: str) -> None:
    Path(name).write_text("done")
"""

POST = """
from wheel_tasks import touch
from jobsmith.store import open_store

with open_store() as store:
    job = touch.post(name="queued.txt", store=store)
print("posted", job.id)
"""


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_the_wheel_runs_a_job_a_graph_and_a_queued_job_with_its_declared_dependencies(
    tmp_path: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JOBSMITH_", "PYTHON"))}
    dist = tmp_path / "dist"
    _run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(dist), str(REPO)],
        tmp_path,
        env,
    )
    (wheel,) = dist.glob("jobsmith-*.whl")
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], tmp_path, env)
    bin_ = venv / "bin"
    _run([str(bin_ / "pip"), "install", "--quiet", str(wheel)], tmp_path, env)

    installed = _run([str(bin_ / "pip"), "list", "--format=freeze"], tmp_path, env).lower()
    for optional in ("psycopg", "pymysql", "pyodbc", "pytest", "sqlalchemy"):
        assert f"\n{optional}==" not in f"\n{installed}", f"{optional} came without being asked"

    version = _run([str(bin_ / "jobsmith"), "--version"], tmp_path, env)
    assert "0.1.0" in version

    work = tmp_path / "work"
    work.mkdir()
    python = str(bin_ / "python")
    for name, text in {"job.py": JOB, "graph.py": GRAPH, "wheel_tasks.py": TASKS}.items():
        (work / name).write_text(textwrap.dedent(text))
    (work / "post.py").write_text(POST)

    assert "hello wheel" in _run([python, "job.py"], work, env)
    assert "graph succeeded: True" in _run([python, "graph.py"], work, env)
    assert "posted" in _run([python, "post.py"], work, env)
    _run([str(bin_ / "jobsmith"), "worker", "-m", "wheel_tasks", "--burst"], work, env)
    assert (work / "queued.txt").read_text() == "done"

    runs = _run([str(bin_ / "jobsmith"), "runs", "--limit", "10"], work, env)
    assert "wheel-job" in runs


def test_a_postgresql_store_without_psycopg_says_which_extra_to_install(tmp_path: Path) -> None:
    # The same module a wheel without the postgres extra has, with psycopg hidden.
    code = textwrap.dedent(
        """
        import sys
        sys.modules["psycopg"] = None  # as if not installed
        from jobsmith.store import open_store
        from jobsmith.errors import StoreError
        try:
            open_store("postgresql://someone:secret@localhost/db")
        except StoreError as exc:
            print(exc)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    assert "pip install 'jobsmith[postgres]'" in out
    assert "secret" not in out
