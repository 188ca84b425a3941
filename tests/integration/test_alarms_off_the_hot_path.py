"""Alarms are sent off the scheduler's tick and run threads: a mail server that accepts
connections and never answers does not make a scheduler late. The alarms are logged as
undeliverable after the SMTP timeout, and delivered when the server answers."""

from __future__ import annotations

import itertools
import logging
import socket
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from jobsmith.clock import SystemClock
from jobsmith.outbox import Outbox
from jobsmith.schedule.scheduler import Scheduler
from jobsmith.store import Store
from tests.conftest import SmtpServer, StoreTarget
from tests.integration.schedule_homes import add_job, make_home

pytestmark = pytest.mark.slow


class SilentServer:
    """Accepts TCP connections on 127.0.0.1 and never sends a byte (a hung mail server)."""

    def __init__(self) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(64)
        self.port = int(self.socket.getsockname()[1])
        self.connections: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.socket.accept()
            except OSError:
                return
            self.connections.append(conn)

    def close(self) -> None:
        self.socket.close()
        for conn in self.connections:
            conn.close()


def home_with_mail(folder: Path, target: StoreTarget, port: int) -> Path:
    home = make_home(
        folder,
        target,
        scheduler={"alarm": "failed, skipped, missed", "grace": "1", "overlap": "skip"},
        sections={
            "EMAIL": {"ip": "127.0.0.1", "port": str(port), "timeout": "2", "address": "js@test"}
        },
    )
    add_job(home, 1, "* * * * *", parameters="--fail", persons="ops@example.com")
    return home


def run_for(home: Path, store: Store, seconds: int) -> None:
    scheduler = Scheduler(home, store=store, clock=SystemClock())
    scheduler.run(until=datetime.now(UTC) + timedelta(seconds=seconds))


def fires(store: Store) -> list[tuple[datetime, str]]:
    found = reversed(store.schedules.history("scheduler", 1, 500))
    return [(f.planned_at, f.state) for f in found]


def test_a_hung_mail_server_does_not_hold_up_the_scheduler(
    tmp_path: Path,
    target: StoreTarget,
    store: Store,
    caplog: pytest.LogCaptureFixture,
    smtp_server: SmtpServer,
) -> None:
    caplog.set_level(logging.INFO)
    silent = SilentServer()
    try:
        home = home_with_mail(tmp_path / "home", target, silent.port)
        run_for(home, store, 5)  # returns once every alarm was sent or given up on
    finally:
        silent.close()
    ran = fires(store)
    assert len(ran) >= 3
    # Every second fired and ran: none skipped (a run thread stuck on SMTP would make the
    # next fire overlap it) and none missed (a tick stuck on SMTP would be late).
    assert {state for _, state in ran} == {"ran"}, ran
    planned = [moment for moment, _ in ran]
    assert all(b - a == timedelta(seconds=1) for a, b in itertools.pairwise(planned))
    undeliverable = [r for r in caplog.records if "undeliverable" in r.getMessage()]
    assert len(undeliverable) == len(ran), caplog.text
    assert "Alarm for job 1" in undeliverable[0].getMessage()

    # The same home once its mail server answers: every alarm is delivered.
    text = (
        (home / "config.ini")
        .read_text()
        .replace(f"port = {silent.port}", f"port = {smtp_server.port}")
    )
    (home / "config.ini").write_text(text)
    started, before = datetime.now(UTC), len(ran)
    run_for(home, store, 3)  # (the fires missed meanwhile are caught up by the policy)
    second = fires(store)[before:]
    assert {state for m, state in second if m >= started} == {"ran"}, second
    failed = [m for m in smtp_server.received if "failed" in str(m.message["Subject"])]
    assert len(failed) == len([1 for _, state in second if state == "ran"]) >= 2
    assert all(m.recipients == ["ops@example.com"] for m in smtp_server.received)


def test_the_outbox_sends_in_order_and_logs_what_fails(caplog: pytest.LogCaptureFixture) -> None:
    outbox = Outbox("test-outbox")
    sent: list[int] = []
    gate = threading.Event()

    def send(number: int) -> None:
        gate.wait(10)
        if number == 2:
            raise OSError("connection refused")
        sent.append(number)

    for number in range(4):
        outbox.submit(f"message {number}", lambda n=number: send(n))  # type: ignore[misc]
    assert outbox.pending == 4  # handed over; nobody waited
    gate.set()
    assert outbox.wait(10)
    assert sent == [0, 1, 3] and outbox.pending == 0
    assert "message 2 undeliverable: connection refused" in caplog.text
