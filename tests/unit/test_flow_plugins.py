"""jobrunner's plugins: modules flows/*/*/*.py, -v/--verbose, one-line help."""

from __future__ import annotations

import logging
from argparse import ArgumentParser
from pathlib import Path

import pytest

from jobsmith.errors import JobsmithError
from jobsmith.queue.plugins import (
    flow_plugin_modules,
    import_flow_plugins,
    one_line_help,
    parse_arguments,
)


def test_plugin_modules_are_flows_star_star_star(tmp_path: Path) -> None:
    for path in ("flows/a/job/cli.py", "flows/a/job/tasks.py", "flows/b/x/post.py"):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("")
    (tmp_path / "flows/a/too/deep").mkdir(parents=True)
    (tmp_path / "flows/a/too/deep/no.py").write_text("")
    (tmp_path / "flows/a/top.py").write_text("")
    assert flow_plugin_modules(tmp_path) == [
        "flows.a.job.cli",
        "flows.a.job.tasks",
        "flows.b.x.post",
    ]


def test_a_plugin_that_cannot_be_imported_names_its_file(tmp_path: Path) -> None:
    broken = tmp_path / "flows" / "p" / "j" / "broken_plugin_module.py"
    broken.parent.mkdir(parents=True)
    broken.write_text("raise RuntimeError('nope')\n")
    with pytest.raises(JobsmithError, match=r"broken_plugin_module.py: cannot import .*nope"):
        import_flow_plugins(tmp_path)


def test_verbose_is_added_and_sets_debug_logging() -> None:
    root = logging.getLogger()
    level = root.level
    try:
        parsed = parse_arguments(ArgumentParser(), ["-v"])
        assert parsed.verbose is True and root.level == logging.DEBUG
        parsed = parse_arguments(ArgumentParser(), [])
        assert parsed.verbose is False and root.level == logging.INFO
    finally:
        root.setLevel(level)


def test_one_line_help_is_the_docstrings_first_line() -> None:
    def job(args: object = None) -> None:
        """Post my job.

        More words."""

    assert one_line_help(job) == "Post my job."
    assert one_line_help(lambda args=None: None) == ""
