"""Task kinds: what running a program, calling a procedure and sending an email cost.

Side by side in one run, each against the plain library call it wraps:

- programs: ``subprocess.run`` (baseline); jobsmith's ``run_process`` (streams each line to
  the log, keeps head and tail) and ``ctx.execute_command`` (also binds, writes the run
  log to SQLite); invoke's ``run`` (through a shell, as invoke does); plumbum; and luigi's
  ``ExternalProgramTask`` (one ``luigi.build`` with the local scheduler per run);
- stored procedures on PostgreSQL: ``cursor.execute("CALL …")`` vs ``ctx.execute_procedure``
  (reads the catalog every call, binds by name, writes the run log);
- email to a local aiosmtpd: ``smtplib`` vs ``jobsmith.send_email`` vs ``ctx.send_email``.

Run: ``flock /tmp/jobsmith-bench.lock .peers-venv/bin/python bench/task_kinds.py``
(the peers live in ``.peers-venv``, never in jobsmith's dependencies; see bench/README.md).
"""

from __future__ import annotations

import argparse
import logging
import os
import smtplib
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path

import psycopg

import jobsmith
from jobsmith.process import run_process
from jobsmith.smtp import SmtpSettings, send_email

PG_URL = os.environ.get("JOBSMITH_TEST_PG", "postgresql://root@127.0.0.1:5432/test")


def timed(runs: int, action: Callable[[], object]) -> list[float]:
    action()  # warm up
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return times


def report(title: str, rows: list[tuple[str, list[float]]]) -> None:
    base = statistics.median(rows[0][1])
    print(f"\n{title}")
    print(f"  {'implementation':<46} {'runs':>5} {'median ms':>10} {'mean ms':>9} {'ratio':>7}")
    for name, times in rows:
        median = statistics.median(times)
        print(
            f"  {name:<46} {len(times):>5} {median:>10.2f} {statistics.fmean(times):>9.2f} "
            f"{median / base:>6.2f}x"
        )


def programs(runs: int, argv: list[str], title: str, store_url: str) -> None:
    import invoke
    import luigi
    from luigi.contrib.external_program import ExternalProgramTask
    from plumbum import local

    class Program(ExternalProgramTask):
        nonce = luigi.Parameter()

        def program_args(self) -> list[str]:
            return argv

        def complete(self) -> bool:
            return False  # run every time, like the others

    shell_text = " ".join(argv)
    plumbum_command = local[argv[0]][argv[1:]]
    rows = [
        (
            "subprocess.run(capture_output=True)",
            timed(runs, lambda: subprocess.run(argv, capture_output=True, check=True)),
        )
    ]
    rows.append(("jobsmith run_process", timed(runs, lambda: run_process(argv).check())))
    with jobsmith.go("bench", backend=store_url) as ctx:
        rows.append(
            (
                "jobsmith ctx.execute_command (+ run log)",
                timed(runs, lambda: ctx.execute_command(argv)),
            )
        )
    rows.append(
        (
            "invoke.run(hide=True) (via a shell)",
            timed(runs, lambda: invoke.run(shell_text, hide=True)),
        )
    )
    rows.append(("plumbum local[...]()", timed(runs, lambda: plumbum_command())))
    luigi_runs = max(5, runs // 10)
    rows.append(
        (
            "luigi ExternalProgramTask + luigi.build",
            timed(
                luigi_runs,
                lambda: luigi.build(
                    [Program(nonce=uuid.uuid4().hex)], local_scheduler=True, log_level="ERROR"
                ),
            ),
        )
    )
    report(title, rows)


def procedures(runs: int, store_url: str) -> None:
    schema = f"bench_issue4_{uuid.uuid4().hex[:8]}"
    admin = psycopg.connect(PG_URL, autocommit=True)
    admin.execute(f'CREATE SCHEMA "{schema}"')
    try:
        admin.execute(
            f'CREATE TABLE "{schema}".hello (job_execution_id int, message text);'
            f'CREATE PROCEDURE "{schema}".greet(job_execution_id int, name text) LANGUAGE sql '
            f'AS $$ INSERT INTO "{schema}".hello VALUES (job_execution_id, name) $$'
        )
        conn = psycopg.connect(PG_URL, autocommit=True)
        call = f'CALL "{schema}".greet(%s, %s)'
        rows = [
            (
                "cursor.execute('CALL greet(%s, %s)')",
                timed(runs, lambda: conn.execute(call, (1, "x"))),
            )
        ]
        with jobsmith.go("bench", backend=store_url, parameters={"name": "x"}) as ctx:
            rows.append(
                (
                    "jobsmith ctx.execute_procedure (catalog + log)",
                    timed(runs, lambda: ctx.execute_procedure(conn, schema, "greet")),
                )
            )
        report("stored procedure call on PostgreSQL", rows)
        conn.close()
    finally:
        admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
        admin.close()


def email(runs: int, store_url: str) -> None:
    from aiosmtpd.controller import Controller

    class Sink:
        async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    try:

        def raw() -> None:
            message = EmailMessage()
            message["From"], message["To"], message["Subject"] = "a@x.org", "b@x.org", "s"
            message.set_content("body")
            with smtplib.SMTP("127.0.0.1", port) as smtp:
                smtp.send_message(message)

        settings = SmtpSettings("127.0.0.1", port)
        rows = [("smtplib.SMTP().send_message", timed(runs, raw))]
        rows.append(
            (
                "jobsmith send_email",
                timed(runs, lambda: send_email(settings, "a@x.org", "b@x.org", "s", "body")),
            )
        )
        with jobsmith.go(
            "bench", backend=store_url, parameters={"smtp_server": f"127.0.0.1:{port}"}
        ) as ctx:
            rows.append(
                (
                    "jobsmith ctx.send_email (+ templates, run log)",
                    timed(runs, lambda: ctx.send_email("a@x.org", "b@x.org", "$job_name", "body")),
                )
            )
        report("email to a local SMTP server", rows)
    finally:
        controller.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200, help="runs per implementation")
    options = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, {options.runs} runs each")
    with tempfile.TemporaryDirectory(prefix="bench_issue4_") as folder:
        store_url = f"sqlite:///{Path(folder) / 'bench.db'}"
        jobsmith.open_store(store_url).close()
        os.environ.pop("JOBSMITH_STORE", None)
        programs(options.runs, ["true"], "program start: `true`", store_url)
        programs(
            options.runs // 4,
            ["seq", "1", "20000"],
            "program output: `seq 1 20000` (20,000 lines)",
            store_url,
        )
        procedures(options.runs, store_url)
        email(options.runs // 2, store_url)


if __name__ == "__main__":
    main()
