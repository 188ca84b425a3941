"""Run a program, echo what it says to the log as it says it, keep a bounded copy.

:func:`run_process` is what script tasks, commands and the scheduler run programs with::

    result = run_process(["Rscript", "load.R", "2024-01-31"], timeout=600)
    if not result.ok:
        raise result.error()

The program gets an argument list (never a shell), no standard input, and a session of its
own, so a timeout or an interrupt stops it together with every process it started.
Its standard output and error are read line by line as they arrive: each line goes to the
log (``jobsmith.process`` unless a logger is given) and into :attr:`ProcessResult.output`,
which keeps the head and the tail of long output and says how much it left out.

The scheduler runs its jobs with it too, with the hooks it needs: both streams as one
(``merge_stderr``), each line to a callback (``on_line``: the run's log file), the output
kept where the caller still has it if the wait is interrupted (``output``), the process
handed over once started (``on_start``), and the job left in the caller's session when
asked (``new_session=False``)::

    kept = BoundedOutput()
    result = run_process(argv, merge_stderr=True, log_lines=False, output=kept,
                         on_line=lambda line: logfile.write_lines([line]), on_start=remember)
"""

from __future__ import annotations

import codecs
import contextlib
import logging
import os
import shlex
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import IO

from jobsmith.errors import ProcessError

log = logging.getLogger(__name__)

MAX_OUTPUT = 64_000
"""Characters of output kept per run (half from the start, half from the end)."""
STDERR_TAIL_LINES = 20
"""Lines of standard error kept for the error message of a failed run."""
MAX_LINE = 16_000
"""A longer line is logged and kept in pieces of this size."""
CHUNK = 65_536
"""Bytes read at most at a time from each stream."""
KILL_GRACE = 5.0
"""Seconds a stopped program gets between SIGTERM and SIGKILL."""
DRAIN_WAIT = 2.0
"""Seconds to wait for output after the program exited (a background child may hold it)."""
WAIT_STEP = 0.2
"""Seconds between looks at a running program: how soon an exception raised in the waiting
thread by another one (a queue worker's timeout or cancel) stops it."""


@dataclass(frozen=True)
class ProcessResult:
    """How a program run ended."""

    argv: tuple[str, ...]
    """What was run, as shown in logs (secrets masked by the caller)."""
    label: str
    """What the program is called in the log and in errors (a script's name …)."""
    exit_code: int
    """The exit code; negative when a signal ended the program (as in :mod:`subprocess`)."""
    output: str
    """Standard output and error interleaved as they arrived, bounded to :data:`MAX_OUTPUT`."""
    stderr_tail: tuple[str, ...]
    """The last lines of standard error."""
    seconds: float
    timed_out: bool = False
    """True when the program was stopped because it ran past its timeout."""
    timeout: float | None = None

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out

    @property
    def command(self) -> str:
        return shlex.join(self.argv)

    def error(self) -> ProcessError:
        """The error describing this failed run: exit code (or timeout) and stderr's last lines."""
        if self.timed_out:
            limit = self.timeout if self.timeout is not None else self.seconds
            head = f"{self.label} did not finish within {limit:g} s and was stopped"
        elif self.exit_code < 0 and _signal_name(-self.exit_code):
            head = f"{self.label} was killed by {_signal_name(-self.exit_code)}"
        else:
            head = f"{self.label} exited with code {self.exit_code}"
        tail = "\n".join(f"  {line}" for line in self.stderr_tail)
        message = f"{head}:\n{tail}" if tail else head
        return ProcessError(message, exit_code=self.exit_code, stderr_tail=self.stderr_tail)

    def check(self) -> ProcessResult:
        """Raise :meth:`error` unless the program exited with 0; returns ``self``."""
        if not self.ok:
            raise self.error()
        return self


class BoundedOutput:
    """Lines of output, keeping the first and the last ``limit / 2`` characters each."""

    def __init__(self, limit: int = MAX_OUTPUT) -> None:
        self.head_limit = limit // 2
        self.tail_limit = limit - self.head_limit
        self.head: list[str] = []
        self.head_size = 0
        self.tail: deque[str] = deque()
        self.tail_size = 0
        self.omitted_lines = 0
        self.omitted_chars = 0

    def add(self, line: str) -> None:
        size = len(line) + 1
        if not self.tail and self.head_size + size <= self.head_limit:
            self.head.append(line)
            self.head_size += size
            return
        self.tail.append(line)
        self.tail_size += size
        while self.tail_size > self.tail_limit and len(self.tail) > 1:
            dropped = self.tail.popleft()
            self.tail_size -= len(dropped) + 1
            self.omitted_lines += 1
            self.omitted_chars += len(dropped) + 1

    def text(self) -> str:
        parts = list(self.head)
        if self.omitted_lines:
            parts.append(
                f"… {self.omitted_lines} lines ({self.omitted_chars} characters) left out …"
            )
        parts.extend(self.tail)
        return "\n".join(parts)


class _Capture:
    """Collects both streams of one run; a reader thread per stream calls :meth:`read`."""

    def __init__(
        self,
        label: str,
        logger: logging.Logger | None,
        output: BoundedOutput,
        tail_lines: int,
        encoding: str,
        on_line: Callable[[str], object] | None = None,
    ) -> None:
        self.label = label
        self.logger = logger
        self.encoding = encoding
        self.output = output
        self.stderr_tail: deque[str] = deque(maxlen=tail_lines)
        self.on_line = on_line
        self.failure: Exception | None = None
        """What ``on_line`` raised first (it is not called again; the output is still read)."""
        self.lock = threading.Lock()

    def read(self, stream: IO[bytes], stderr: bool) -> None:
        """Read whatever has arrived (not waiting for a full buffer), line by line."""
        decoder = codecs.getincrementaldecoder(self.encoding)(errors="replace")
        pending = ""
        with stream:
            while chunk := os.read(stream.fileno(), CHUNK):
                lines, pending = _split(pending + decoder.decode(chunk))
                self.lines(lines, stderr)
        rest = pending + decoder.decode(b"", final=True)
        if rest:
            self.lines([rest.rstrip("\r\n")], stderr)

    def lines(self, lines: list[str], stderr: bool) -> None:
        if not lines:
            return
        if self.logger is not None and self.logger.isEnabledFor(logging.INFO):
            form = "%s (stderr) | %s" if stderr else "%s | %s"
            for line in lines:
                self.logger.info(form, self.label, line)
        with self.lock:
            for line in lines:
                self.output.add(line)
                if self.on_line is not None and self.failure is None:
                    try:
                        self.on_line(line)
                    except Exception as exc:  # raised by run_process once the program ended
                        self.failure = exc
            if stderr:
                self.stderr_tail.extend(lines)


def process_alive(pid: int) -> bool:
    """Whether a process with this id runs on this machine (one of another user counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True
    return True


def _split(text: str) -> tuple[list[str], str]:
    """Complete lines (without their ends) and the unfinished rest; a line longer than
    :data:`MAX_LINE` comes out in pieces."""
    parts = text.splitlines(keepends=True)
    rest = ""
    # The last part is unfinished without a line end, or if it ends with \r (\n may follow).
    if parts and (parts[-1].endswith("\r") or not parts[-1].endswith(("\n", "\r"))):
        rest = parts.pop()
    lines = [part.rstrip("\r\n") for part in parts]
    while len(rest) > MAX_LINE:
        lines.append(rest[:MAX_LINE])
        rest = rest[MAX_LINE:]
    return lines, rest


def run_process(
    argv: Sequence[str | os.PathLike[str]],
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    timeout: float | None = None,
    logger: logging.Logger | None = None,
    label: str | None = None,
    display: Sequence[str] | None = None,
    max_output: int = MAX_OUTPUT,
    stderr_lines: int = STDERR_TAIL_LINES,
    encoding: str = "utf-8",
    merge_stderr: bool = False,
    log_lines: bool = True,
    on_line: Callable[[str], object] | None = None,
    output: BoundedOutput | None = None,
    on_start: Callable[[subprocess.Popen[bytes]], object] | None = None,
    new_session: bool = True,
    stop_grace: float = KILL_GRACE,
) -> ProcessResult:
    """Run ``argv`` to its end and return how it went; never raises for a non-zero exit.

    ``env`` is the whole environment of the program (default: ours), with
    ``PYTHONUNBUFFERED=1`` added unless set, so Python programs' lines arrive as printed.
    ``timeout`` (seconds) stops the program and every process it started (SIGTERM, then
    SIGKILL after ``stop_grace`` s); the result then has ``timed_out``. An interrupt
    (Ctrl-C) or any other exception while waiting (also one raised in this thread by
    another, e.g. a queue worker's cancel: the wait looks every :data:`WAIT_STEP` s)
    stops them too and is raised again.
    Each line is logged as ``label | line`` (``label`` defaults to the program's name;
    ``log_lines=False``: not logged); ``display`` is how the command appears in logs and
    errors (pass one with secrets masked). Raises :class:`~jobsmith.errors.ProcessError`
    if the program cannot start.

    ``merge_stderr``: standard error goes into standard output, so the lines of both stay
    in the order the program wrote them (``stderr_tail`` is then empty). ``on_line`` gets
    every line as it arrives, on a reader thread; if it raises, it is not called again and
    its exception is raised once the program ended. ``output``: keep the output in this
    buffer instead of a new one of ``max_output`` characters (the caller keeps what arrived
    even when the wait is interrupted). ``on_start`` gets the started process.
    ``new_session=False`` leaves the program in our session and process group (a Ctrl+C
    at the terminal reaches it too); a stop then signals the program alone.
    """
    args = [os.fspath(a) for a in argv]
    if not args:
        raise ProcessError("nothing to run: the command is empty")
    shown = tuple(display) if display is not None else tuple(args)
    logger = (logger or log) if log_lines else None
    kept = output if output is not None else BoundedOutput(max_output)
    capture = _Capture(
        label or os.path.basename(args[0]), logger, kept, stderr_lines, encoding, on_line
    )
    group = new_session and os.name == "posix"
    started = time.monotonic()
    proc = _start(args, shown, env, cwd, merge_stderr, group)
    streams = (
        [(proc.stdout, False)] if merge_stderr else [(proc.stdout, False), (proc.stderr, True)]
    )
    readers = [
        threading.Thread(target=capture.read, args=(stream, is_err), daemon=True)
        for stream, is_err in streams
    ]
    for reader in readers:
        reader.start()
    timed_out = False
    try:
        if on_start is not None:
            on_start(proc)
        timed_out = not _wait(proc, timeout)
        if timed_out:
            _stop(proc, group, stop_grace)
    except BaseException:
        _stop(proc, group, stop_grace)
        raise
    finally:
        _drain(readers, logger or log, capture.label)
    if capture.failure is not None:
        raise capture.failure
    return ProcessResult(
        argv=shown,
        label=capture.label,
        exit_code=proc.returncode,
        output=kept.text(),
        stderr_tail=tuple(capture.stderr_tail),
        seconds=time.monotonic() - started,
        timed_out=timed_out,
        timeout=timeout,
    )


def _wait(proc: subprocess.Popen[bytes], timeout: float | None) -> bool:
    """Wait for the program in short steps (so an exception raised in this thread arrives
    at once); False when it ran past ``timeout``."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        step = WAIT_STEP if deadline is None else min(WAIT_STEP, deadline - time.monotonic())
        try:
            proc.wait(max(step, 0))
            return True
        except subprocess.TimeoutExpired:
            if deadline is not None and time.monotonic() >= deadline:
                return False


def _start(
    args: list[str],
    shown: tuple[str, ...],
    env: Mapping[str, str] | None,
    cwd: str | os.PathLike[str] | None,
    merge_stderr: bool,
    new_session: bool,
) -> subprocess.Popen[bytes]:
    environment = dict(os.environ if env is None else env)
    environment.setdefault("PYTHONUNBUFFERED", "1")
    try:
        return subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT if merge_stderr else subprocess.PIPE,
            env=environment,
            cwd=cwd,
            start_new_session=new_session,  # its own process group, to stop it whole
        )
    except OSError as exc:
        where = f" in {os.fspath(cwd)}" if cwd is not None else ""
        raise ProcessError(f"cannot run {shlex.join(shown)}{where}: {exc.strerror or exc}") from exc


def _stop(proc: subprocess.Popen[bytes], group: bool = True, grace: float = KILL_GRACE) -> None:
    """Stop the program (with ``group``: and the processes it started): SIGTERM, then
    SIGKILL after ``grace`` seconds."""
    if os.name != "posix":
        proc.kill()
        proc.wait()
        return
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, None)):
        with contextlib.suppress(ProcessLookupError, PermissionError):  # it ended already
            if group:
                os.killpg(proc.pid, sig)
            else:
                proc.send_signal(sig)
        try:
            proc.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _drain(readers: Iterable[threading.Thread], logger: logging.Logger, label: str) -> None:
    for reader in readers:
        reader.join(DRAIN_WAIT)
        if reader.is_alive():
            logger.warning(
                "%s: its output is still open (held by a process it left running); "
                "not waiting for it",
                label,
            )
            return


def _signal_name(number: int) -> str | None:
    try:
        return signal.Signals(number).name
    except ValueError:
        return None
