"""`jobsmith post / worker / show / cancel` end to end, as a user runs them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, StoreTarget
from tests.integration.queue_tasks import lines

pytestmark = [pytest.mark.timeout(120), pytest.mark.slow]


def jobsmith(target: StoreTarget, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**target.env(), "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "jobsmith", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_post_run_and_show_jobs_from_the_command_line(target: StoreTarget, tmp_path: Path) -> None:
    target.open().close()  # deployed
    out = str(tmp_path / "out")
    m = ("-m", "tests.integration.queue_tasks")
    first = jobsmith(target, "post", *m, "qt.record", f"path={out}", "n=3", "--priority", "5")
    assert first.returncode == 0, first.stderr
    assert "posted job 1 qt.record" in first.stdout and "priority 5" in first.stdout
    again = jobsmith(target, "post", *m, "qt.record", f"path={out}", "n=3")
    assert "job 1 qt.record" in again.stdout and "already waiting" in again.stdout
    secret = jobsmith(target, "post", *m, "qt.boom", "password=hunter2")
    assert "password=***" in secret.stdout and "hunter2" not in secret.stdout
    bad = jobsmith(target, "post", *m, "qt.record", "n=oops")
    assert bad.returncode == 1
    assert "error: task qt.record: missing argument 'path'" in bad.stderr
    work = jobsmith(target, "worker", *m, "--burst")
    assert work.returncode == 0, work.stderr
    assert "1 completed" in work.stdout and "1 failed" in work.stdout
    assert lines(out)[0].startswith("3 ")
    counts = jobsmith(target, "show")
    assert "qt.record" in counts.stdout and "qt.boom" in counts.stdout
    one = jobsmith(target, "show", "1")
    assert "Job 1 qt.record: completed" in one.stdout and "Completed" in one.stdout
    failed = jobsmith(target, "show", "qt.boom", "--status", "failed")
    assert "RuntimeError: boom" in failed.stdout and "password=***" in failed.stdout


def test_cancel_from_the_command_line(target: StoreTarget, tmp_path: Path) -> None:
    target.open().close()
    posted = jobsmith(target, "post", "-m", "tests.integration.queue_tasks", "qt.record", "path=/x")
    assert posted.returncode == 0, posted.stderr
    cancelled = jobsmith(target, "cancel", "1")
    assert "job 1 cancelled" in cancelled.stdout
    assert "already ended (cancelled)" in jobsmith(target, "cancel", "1").stdout


def test_a_job_plugin_has_its_own_help_and_posts_a_flow(
    target: StoreTarget, tmp_path: Path
) -> None:
    target.open().close()
    plugin = ("-m", "tests.acceptance.queue_plugins")
    shown = jobsmith(target, "post", *plugin, "myjob", "--help")
    assert shown.returncode == 0
    assert "usage: jobsmith post myjob" in shown.stdout and "--attempts" in shown.stdout
    out = str(tmp_path / "flow")
    posted = jobsmith(target, "post", *plugin, "myjob", "--attempts", "2", "--path", out)
    assert posted.returncode == 0, posted.stderr
    work = jobsmith(target, "worker", *plugin, "-m", "tests.integration.queue_flows", "--burst")
    assert work.returncode == 0, work.stderr
    assert lines(out)[-1] == "task_3: from the CLI"
    unknown = jobsmith(target, "post", "nothing")
    assert unknown.returncode == 1 and "neither TYPE.TASK nor a job plugin" in unknown.stderr


def test_job_plugins_are_found_through_entry_points(target: StoreTarget, tmp_path: Path) -> None:
    """A real installed distribution's metadata (a .dist-info folder on the path)."""
    target.open().close()
    (tmp_path / "hello_plugin.py").write_text(
        "def hello(args=None):\n    print('hello from the plugin', list(args or []))\n"
    )
    info = tmp_path / "hello_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: hello-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[jobsmith.jobs]\nhello = hello_plugin:hello\n")
    env = {**target.env(), "PYTHONPATH": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "jobsmith", "post", "hello", "--loud"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "hello from the plugin ['--loud']" in done.stdout


def test_a_post_refused_by_a_unique_key_names_the_key(target: StoreTarget, tmp_path: Path) -> None:
    """--allow-duplicate does not post past a unique key: the message names the key instead
    of suggesting it (it once did, and the second post with it was refused again)."""
    target.open().close()
    m = ("-m", "tests.integration.control_tasks")
    args = ("ct.report", f"path={tmp_path / 'out'}", "day=mon")
    assert "posted job 1 ct.report" in jobsmith(target, "post", *m, *args).stdout
    for extra in ((), ("--allow-duplicate",)):
        again = jobsmith(target, "post", *m, *args, *extra)
        assert again.returncode == 0, again.stderr
        assert "job 1 ct.report" in again.stdout
        assert "holds the unique key 'report-mon' (waiting): not posted again" in again.stdout
        assert "--allow-duplicate" not in again.stdout
