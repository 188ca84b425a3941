"""docs/tasks.md runs as written: every titled code block becomes a file, every ``$`` line
of a console block is run (in a folder of its own per section), and every output line
shown under a command must appear, in order, in what it printed.

Names the examples use are made unique to this run before anything is written:
the PostgreSQL schema ``tutorial``, the MariaDB database ``jobs_demo`` and the SMTP
server ``localhost:8025`` (a real aiosmtpd started here). PowerShell is not installed on
the test machine, so a stand-in ``pwsh`` at the end of the PATH prints the arguments it
got; the PowerShell section checks them.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pymysql
import pytest

from tests.conftest import PG_URL, REPO, SmtpServer, need_postgres

DOC = REPO / "docs" / "tasks.md"
_FENCE = re.compile(r'^```(\w*)(?:\s+title="([^"]+)")?\s*$')
_HEADING = re.compile(r"^(##|###) (.+)$")


@dataclass
class Section:
    title: str
    files: dict[str, str] = field(default_factory=dict)
    commands: list[tuple[str, list[str]]] = field(default_factory=list)


def sections(text: str) -> list[Section]:
    """The sections of the document that run something."""
    found: list[Section] = []
    current = Section("(top)")
    lines = iter(text.splitlines())
    for line in lines:
        heading = _HEADING.match(line)
        if heading:
            found.append(current)
            current = Section(heading.group(2))
            continue
        fence = _FENCE.match(line)
        if not fence or not (fence.group(1) or fence.group(2)):
            continue
        body = []
        for inner in lines:
            if inner.startswith("```"):
                break
            body.append(inner)
        if fence.group(2):
            current.files[fence.group(2)] = "\n".join(body) + "\n"
        elif fence.group(1) == "console":
            for entry in body:
                if entry.startswith("$ "):
                    current.commands.append((entry[2:], []))
                elif entry.strip() and entry.strip() != "...":
                    current.commands[-1][1].append(entry.strip())
    found.append(current)
    return [s for s in found if s.commands]


SECTIONS = sections(DOC.read_text(encoding="utf-8"))
FAKE_PWSH = f"#!{sys.executable}\nimport json, sys\nprint(json.dumps(sys.argv[1:]))\n"


@pytest.fixture
def renames() -> Iterator[dict[str, str]]:
    unique = f"jobsmith_issue4_{uuid.uuid4().hex[:8]}"
    names = {"tutorial": f"{unique}_pg", "jobs_demo": f"{unique}_my"}
    yield names
    if _pg_reachable():
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{names["tutorial"]}" CASCADE')
    try:
        with pymysql.connect(host="127.0.0.1", user="root", autocommit=True) as conn:
            conn.cursor().execute(f"DROP DATABASE IF EXISTS `{names['jobs_demo']}`")
    except pymysql.err.OperationalError:
        pass


def _pg_reachable() -> bool:
    try:
        psycopg.connect(PG_URL, connect_timeout=3).close()
        return True
    except psycopg.Error:
        return False


def rename(text: str, names: dict[str, str]) -> str:
    for old, new in names.items():
        text = re.sub(rf"(?<![\w.-]){re.escape(old)}(?![\w-])", new, text)
    return text


def environment(folder: Path) -> dict[str, str]:
    stand_ins = folder.parent / "stand-ins"
    stand_ins.mkdir(exist_ok=True)
    pwsh = stand_ins / "pwsh"
    pwsh.write_text(FAKE_PWSH)
    pwsh.chmod(pwsh.stat().st_mode | stat.S_IXUSR)
    pg = psycopg.conninfo.conninfo_to_dict(PG_URL)
    env = {k: v for k, v in os.environ.items() if not k.startswith("JOBSMITH_")}
    env.update(
        PATH=os.pathsep.join([str(Path(sys.executable).parent), env["PATH"], str(stand_ins)]),
        PGHOST=str(pg.get("host", "127.0.0.1")),
        PGPORT=str(pg.get("port", "5432")),
        PGUSER=str(pg.get("user", "root")),
        PGDATABASE=str(pg.get("dbname", "test")),
        PYTHONUNBUFFERED="1",
        COLUMNS="200",
    )
    return env


def check_output(
    command: str, expected: list[str], result: subprocess.CompletedProcess[str]
) -> None:
    shown = result.stdout.splitlines()
    failing = any(line.startswith("Traceback") for line in expected)
    assert (result.returncode != 0) == failing, f"$ {command}\n{result.stdout}"
    at = 0
    for line in expected:
        if line.startswith("Traceback"):
            continue
        while at < len(shown) and line not in shown[at]:
            at += 1
        assert at < len(shown), f"$ {command}: {line!r} not in the output:\n{result.stdout}"
        at += 1


@pytest.mark.parametrize("section", SECTIONS, ids=[s.title for s in SECTIONS])
def test_docs_example_runs(
    section: Section, tmp_path: Path, renames: dict[str, str], request: pytest.FixtureRequest
) -> None:
    everything = "\n".join([*section.files.values(), *(c for c, _ in section.commands)])
    if "postgresql://" in everything or "psql" in everything:
        need_postgres()
    names = dict(renames)
    if "localhost:8025" in everything:
        server: SmtpServer = request.getfixturevalue("smtp_server")
        names["localhost:8025"] = server.address
    folder = tmp_path / "example"
    folder.mkdir()
    for name, text in section.files.items():
        (folder / rename(name, names)).write_text(rename(text, names))
    env = environment(folder)
    outputs = []
    for command, expected in section.commands:
        result = subprocess.run(
            ["bash", "-c", rename(command, names)],
            cwd=folder,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=120,
        )
        check_output(command, [rename(e, names) for e in expected], result)
        outputs.append(result.stdout)
    extra = EXTRA_CHECKS.get(section.title)
    if extra:
        extra(folder, "\n".join(outputs), request)


def _powershell(folder: Path, output: str, request: pytest.FixtureRequest) -> None:
    line = next(x for x in output.splitlines() if x.startswith("[INFO] Greet.ps1 | "))
    argv = json.loads(line.split(" | ", 1)[1])
    assert argv == [
        "-NoProfile",
        "-NonInteractive",
        "-File",
        str(folder / "Greet.ps1"),
        "-Name",
        "Dave",
    ]


def _email(folder: Path, output: str, request: pytest.FixtureRequest) -> None:
    server: SmtpServer = request.getfixturevalue("smtp_server")
    subjects = [(m.message["Subject"], m.recipients) for m in server.received]
    assert subjects == [
        ("nightly load: 42 rows", ["ops@example.com", "data@example.com"]),
        ("nightly load failed", ["ops@example.com", "data@example.com", "boss@example.com"]),
    ]
    body = server.received[1].message.get_content().strip()
    assert body == "Job nightly load failed in default: division by zero"


EXTRA_CHECKS = {"PowerShell scripts": _powershell, "Email": _email}


def test_every_section_with_files_runs_something() -> None:
    titles = {s.title for s in SECTIONS}
    assert {"R scripts", "PowerShell scripts", "Email"} <= titles
    assert len(SECTIONS) >= 7
