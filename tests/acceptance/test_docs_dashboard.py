"""docs/dashboard.md runs as written: its example is the file, prints what the document
shows, and every screenshot it links exists."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

DOC = REPO / "docs" / "dashboard.md"
_BLOCK = re.compile(r'^```\w*\s+title="([^"]+)"\n(.*?)^```$', re.S | re.M)
EXAMPLE = "examples/dashboard/in_process.py"


def blocks() -> dict[str, str]:
    return dict(_BLOCK.findall(DOC.read_text()))


def test_the_example_is_the_file_and_prints_what_the_document_shows(tmp_path: Path) -> None:
    assert (REPO / EXAMPLE).read_text() == blocks()[EXAMPLE]
    done = subprocess.run([sys.executable, str(REPO / EXAMPLE)], cwd=tmp_path, text=True,
                          capture_output=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout == blocks()[f"output of {EXAMPLE}"]


def test_linked_screenshots_exist() -> None:
    images = re.findall(r"\]\((dashboard-[\w-]+\.png)\)", DOC.read_text())
    assert len(images) == 8
    for image in images:
        assert (DOC.parent / image).stat().st_size > 5_000, image
    readme = (REPO / "README.md").read_text()
    assert "docs/dashboard.md" in readme and "docs/dashboard-runs.png" in readme
