"""run_process: real programs, output streamed to the log and kept bounded, timeouts."""

from __future__ import annotations

import ctypes
import logging
import os
import sys
import threading
import time
from pathlib import Path

import pytest

from jobsmith.errors import ProcessError
from jobsmith.process import BoundedOutput, run_process

PY = sys.executable


def test_output_is_kept_and_logged_line_by_line(caplog: pytest.LogCaptureFixture) -> None:
    code = "import sys; print('one'); print('two', file=sys.stderr); print('three')"
    with caplog.at_level(logging.INFO, logger="jobsmith.process"):
        result = run_process([PY, "-c", code], label="demo")
    assert result.ok and result.exit_code == 0
    assert sorted(result.output.splitlines()) == ["one", "three", "two"]
    assert result.stderr_tail == ("two",)
    lines = [r.getMessage() for r in caplog.records if r.name == "jobsmith.process"]
    assert "demo | one" in lines and "demo | three" in lines
    assert "demo (stderr) | two" in lines
    assert lines.index("demo | one") < lines.index("demo | three")


def test_lines_reach_the_log_while_the_program_runs(caplog: pytest.LogCaptureFixture) -> None:
    seen: list[float] = []

    class Clock(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(time.monotonic())

    logger = logging.getLogger("test.process.streaming")
    logger.addHandler(Clock())
    logger.setLevel(logging.INFO)
    code = "import time; print('early'); time.sleep(1.0); print('late')"
    started = time.monotonic()
    run_process([PY, "-c", code], logger=logger)  # PYTHONUNBUFFERED is set for children
    assert len(seen) == 2
    assert seen[0] - started < 0.8, "the first line was held back until the program ended"
    assert seen[1] - seen[0] >= 0.9


def test_non_zero_exit_is_reported_with_the_end_of_stderr() -> None:
    code = (
        "import sys\n"
        "for i in range(30): print(f'noise {i}', file=sys.stderr)\n"
        "print('Error: the real reason', file=sys.stderr); sys.exit(3)"
    )
    result = run_process([PY, "-c", code], label="load.py", stderr_lines=5)
    assert not result.ok and result.exit_code == 3
    assert result.stderr_tail == (
        "noise 26",
        "noise 27",
        "noise 28",
        "noise 29",
        "Error: the real reason",
    )
    error = result.error()
    assert isinstance(error, ProcessError) and error.exit_code == 3
    assert str(error) == (
        "load.py exited with code 3:\n"
        "  noise 26\n  noise 27\n  noise 28\n  noise 29\n  Error: the real reason"
    )
    with pytest.raises(ProcessError):
        result.check()


def test_long_output_keeps_head_and_tail() -> None:
    code = "for i in range(20000): print(f'line {i:05d}')"
    result = run_process([PY, "-c", code], max_output=2000)
    lines = result.output.splitlines()
    assert lines[0] == "line 00000"
    assert lines[-1] == "line 19999"
    assert len(result.output) < 2200
    marker = next(line for line in lines if "left out" in line)
    kept = len(lines) - 1
    assert marker.startswith(f"… {20000 - kept} lines (")


def test_bounded_output_keeps_everything_that_fits() -> None:
    output = BoundedOutput(limit=100)
    for word in ("alpha", "beta", "gamma"):
        output.add(word)
    assert output.text() == "alpha\nbeta\ngamma"


def test_a_very_long_line_is_kept_in_pieces() -> None:
    result = run_process([PY, "-c", "print('x' * 50000)"], max_output=100_000)
    assert result.output.replace("\n", "") == "x" * 50000


def test_timeout_stops_the_program_and_its_children(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    code = (
        "import subprocess, sys, time\n"
        f"child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        f"open({str(pid_file)!r}, 'w').write(str(child.pid))\n"
        "print('started', flush=True); time.sleep(60)"
    )
    started = time.monotonic()
    result = run_process([PY, "-c", code], timeout=1.0, label="slow")
    assert time.monotonic() - started < 10
    assert result.timed_out and not result.ok
    assert str(result.error()) == "slow did not finish within 1 s and was stopped"
    assert "started" in result.output
    child = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child), "the program's child outlived the timeout"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie has exited; it only waits for its parent (init here) to reap it.
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split(")")[-1].split()[0] != "Z"


def test_killed_by_a_signal_is_named() -> None:
    result = run_process([PY, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"])
    assert result.exit_code == -9
    assert "was killed by SIGKILL" in str(result.error())


def test_program_that_cannot_start_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ProcessError, match=r"cannot run /no/such/program -x: No such file"):
        run_process(["/no/such/program", "-x"])
    with pytest.raises(ProcessError, match=rf"cannot run .* in {tmp_path / 'gone'}: No such file"):
        run_process([PY, "-c", "pass"], cwd=tmp_path / "gone")


def test_environment_and_working_directory_are_passed(tmp_path: Path) -> None:
    code = "import os; print(os.environ['GREETING'], os.getcwd())"
    result = run_process([PY, "-c", code], env={**os.environ, "GREETING": "hi"}, cwd=tmp_path)
    assert result.output == f"hi {tmp_path}"


def test_no_standard_input_and_no_shell(tmp_path: Path) -> None:
    code = "import sys; print(repr(sys.stdin.read())); print(sys.argv[1:])"
    result = run_process([PY, "-c", code, "$HOME", "a;b", "`x`"], timeout=10)
    assert result.output == "''\n['$HOME', 'a;b', '`x`']"


def test_display_replaces_the_command_in_results() -> None:
    result = run_process([PY, "-c", "pass", "hunter2"], display=["python", "-c", "pass", "***"])
    assert result.argv == ("python", "-c", "pass", "***")
    assert result.command == "python -c pass '***'"


def test_line_ends_bytes_and_a_last_line_without_newline() -> None:
    code = (
        "import sys, time\n"
        "out = sys.stdout.buffer\n"
        "out.write(b'windows\\r\\nprogress 10%\\rprogress 20%\\r'); out.flush(); time.sleep(0.2)\n"
        "out.write(b'\\nbad \\xff byte\\nno newline at the end'); out.flush()\n"
    )
    result = run_process([PY, "-c", code])
    assert result.output.splitlines() == [
        "windows",
        "progress 10%",
        "progress 20%",
        "bad \ufffd byte",
        "no newline at the end",
    ]


def test_a_line_split_across_reads_stays_one_line() -> None:
    code = (
        "import sys, time\n"
        "sys.stdout.write('first half, '); sys.stdout.flush(); time.sleep(0.2)\n"
        "print('second half')"
    )
    assert run_process([PY, "-c", code]).output == "first half, second half"


def test_merged_streams_keep_their_order_and_reach_the_line_callback() -> None:
    code = (
        "import sys\n"
        "for i in range(50):\n"
        "    print(f'out {i}', flush=True); print(f'err {i}', file=sys.stderr, flush=True)\n"
    )
    seen: list[str] = []
    kept = BoundedOutput()
    result = run_process([PY, "-c", code], merge_stderr=True, on_line=seen.append, output=kept)
    expected = [f"{kind} {i}" for i in range(50) for kind in ("out", "err")]
    assert seen == expected  # one pipe: the order the program wrote them
    assert result.output.splitlines() == expected and kept.text() == result.output
    assert result.stderr_tail == ()


def test_lines_need_not_be_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="jobsmith.process"):
        result = run_process([PY, "-c", "print('quiet')"], label="q", log_lines=False)
    assert result.output == "quiet"
    assert not [r for r in caplog.records if "quiet" in r.getMessage()]


def test_a_failing_line_callback_is_raised_once_the_program_ended(tmp_path: Path) -> None:
    marker = tmp_path / "ended"
    code = f"print('one'); print('two'); open({str(marker)!r}, 'w').write('x')"
    calls: list[str] = []

    def fail(line: str) -> None:
        calls.append(line)
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        run_process([PY, "-c", code], on_line=fail)
    assert calls == ["one"] and marker.exists()  # called once; the program ran to its end


def test_an_exception_raised_in_the_waiting_thread_stops_the_program(tmp_path: Path) -> None:
    """As a queue worker's cancel does: the wait looks in short steps, so it arrives at once;
    the program is stopped and the output so far stays in the caller's buffer."""

    class Cancelled(BaseException):
        pass

    waiting = threading.get_ident()
    kept = BoundedOutput()
    started: list[int] = []

    def cancel_when_it_spoke(line: str) -> None:
        ctypes.pythonapi.PyThreadState_SetAsyncExc(
            ctypes.c_ulong(waiting), ctypes.py_object(Cancelled)
        )

    marker = tmp_path / "finished"
    code = f"import time; print('working', flush=True); time.sleep(30); open({str(marker)!r}, 'w')"
    with pytest.raises(Cancelled):
        run_process(
            [PY, "-c", code],
            output=kept,
            on_line=cancel_when_it_spoke,
            on_start=lambda process: started.append(process.pid),
        )
    assert kept.text() == "working"
    assert started and not _alive(started[0])
    assert not marker.exists(), "the program was left to run to its end"


def test_outside_a_new_session_the_program_shares_our_process_group() -> None:
    code = "import os; print(os.getpgid(0))"
    assert run_process([PY, "-c", code], new_session=False).output == str(os.getpgid(0))
    assert run_process([PY, "-c", code]).output != str(os.getpgid(0))
