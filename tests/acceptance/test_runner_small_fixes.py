"""Issue 15's small ones: an unknown --status, passwords in store URLs, config.ini errors
as one clean line, a bad [EMAIL] port."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import StoreTarget


def jobsmith(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "jobsmith", *args], cwd=cwd, text=True,
                          capture_output=True, timeout=60, env=env)  # fmt: skip


def test_an_unknown_status_is_an_error(tmp_path: Path, target: StoreTarget) -> None:
    target.open(deploy=True).close()
    result = jobsmith(tmp_path, "runs", "--status", "Bogus", env=target.env())
    assert result.returncode == 2
    assert "No job runs yet" not in result.stdout
    message = " ".join(result.stderr.split())
    assert "unknown status 'Bogus': expected one of Running, Completed, Failed" in message
    assert jobsmith(tmp_path, "runs", "--status", "failed", env=target.env()).returncode == 0


def test_a_postgresql_url_is_shown_without_its_password(
    tmp_path: Path, pg_target: StoreTarget
) -> None:
    url = pg_target.url.replace("postgresql://root@", "postgresql://root:s3cr3t@")
    assert "s3cr3t" in url
    env = {**pg_target.env(), "JOBSMITH_STORE": url}
    undeployed = jobsmith(tmp_path, "runs", env=env)
    assert undeployed.returncode == 1
    shown = url.replace("root:s3cr3t@", "root@")
    assert f"the store at {shown} (schema {pg_target.schema})" in " ".join(
        undeployed.stderr.split()
    )
    deployed = jobsmith(tmp_path, "deploy", env=env)
    assert f"store ready at {shown} (schema" in " ".join(deployed.stdout.split())
    for result in (undeployed, deployed):
        assert "s3cr3t" not in result.stdout + result.stderr


def error_for(tmp_path: Path, ini: str) -> str:
    (tmp_path / "config.ini").write_text(ini)
    store = f"sqlite:///{tmp_path / 'jobsmith.db'}"
    result = jobsmith(tmp_path, "--store", store, "list", "jobs")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    return " ".join(" ".join(lines).split())


def test_config_ini_errors_are_one_clean_line(tmp_path: Path) -> None:
    ini = tmp_path / "config.ini"
    no_header = error_for(tmp_path, "name = x\n[SCHEDULER]\n")
    assert no_header.startswith(f"error: {ini}:1: 'name = x' comes before any [SECTION] header")
    assert "PosixPath" not in no_header
    twice = error_for(tmp_path, "[LOG]\nconsole = True\nconsole = False\n")
    assert twice == f"error: {ini}:3: [LOG] console is set twice"
    zone = error_for(tmp_path, "[SCHEDULER]\ntimezone = Mars/Olympus\n")
    assert zone.startswith(f"error: {ini}: timezone = 'Mars/Olympus': unknown time zone")
    assert zone.count("expected") == 1
    grace = error_for(tmp_path, "[SCHEDULER]\ngrace = soon\n")
    assert grace.count("expected") == 1 and "grace = 'soon'" in grace
    flag = error_for(tmp_path, "[LOG]\nconsole = maybe\n")
    assert flag == f"error: {ini}: [LOG] console = 'maybe': expected True or False"


def test_a_bad_email_port_names_the_email_section(tmp_path: Path) -> None:
    message = error_for(tmp_path, "[EMAIL]\nip = 127.0.0.1\nport = smtp\n")
    assert f"{tmp_path / 'config.ini'}: [EMAIL]" in message
    assert "'port': expected a number, got 'smtp'" in message
    assert "section 'smtp'" not in message
