"""Every Python example in docs/graphs.md and docs/flows.md runs, and so does the flow
example in examples/ (as real interpreters, each against a store of its own)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCS = ["docs/graphs.md", "docs/flows.md"]


def python_blocks(doc: str) -> list[tuple[str, str]]:
    text = (REPO / doc).read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    return [(f"{doc}#{i + 1}", block) for i, block in enumerate(blocks)]


EXAMPLES = [block for doc in DOCS for block in python_blocks(doc)]


def test_the_docs_have_examples() -> None:
    assert len(python_blocks("docs/graphs.md")) >= 5
    assert len(python_blocks("docs/flows.md")) >= 5


@pytest.mark.parametrize(("where", "code"), EXAMPLES, ids=[w for w, _ in EXAMPLES])
def test_doc_example_runs(
    where: str, code: str, python: str, sqlite_target, tmp_path: Path
) -> None:
    script = tmp_path / "example.py"
    script.write_text(code)
    done = subprocess.run(
        [python, str(script)],
        capture_output=True,
        text=True,
        env=sqlite_target.env(),
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 0, f"{where} failed:\n{done.stderr}"


def test_server_flow_retries_then_works_or_reverts_everything(python: str, sqlite_target) -> None:
    script = REPO / "examples" / "server_flow.py"
    ok = subprocess.run(
        [python, str(script)], capture_output=True, text=True, env=sqlite_target.env(), timeout=120
    )
    assert ok.returncode == 0, ok.stderr
    assert ok.stderr.count("terminated i-") == 2 and "attached vol-5 to i-6" in ok.stderr
    gave_up = subprocess.run(
        [python, str(script), "--attempts", "2"],
        capture_output=True,
        text=True,
        env=sqlite_target.env(),
        timeout=120,
    )
    assert gave_up.returncode == 1
    assert gave_up.stderr.splitlines()[-1] == "server_flow: gave up: i-4 is not ready yet (try 2)"
    store = sqlite_target.open()
    try:
        runs = store.runs.recent(2)
        assert [(r.job_name, r.kind, r.status) for r in runs] == [
            ("server", "flow", "Failed"),
            ("server", "flow", "Completed"),
        ]
        statuses = [t.status for t in store.runs.tasks(runs[0].id)]
        assert statuses == ["Reverted", "Reverted", "Failed"] * 2
    finally:
        store.close()
