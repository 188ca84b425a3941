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
from collections.abc import Iterable, Mapping, Sequence
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
        self, label: str, logger: logging.Logger, limit: int, tail_lines: int, encoding: str
    ) -> None:
        self.label = label
        self.logger = logger
        self.encoding = encoding
        self.output = BoundedOutput(limit)
        self.stderr_tail: deque[str] = deque(maxlen=tail_lines)
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
        if self.logger.isEnabledFor(logging.INFO):
            form = "%s (stderr) | %s" if stderr else "%s | %s"
            for line in lines:
                self.logger.info(form, self.label, line)
        with self.lock:
            for line in lines:
                self.output.add(line)
            if stderr:
                self.stderr_tail.extend(lines)


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
) -> ProcessResult:
    """Run ``argv`` to its end and return how it went; never raises for a non-zero exit.

    ``env`` is the whole environment of the program (default: ours), with
    ``PYTHONUNBUFFERED=1`` added unless set, so Python programs' lines arrive as printed.
    ``timeout`` (seconds) stops the program and every process it started (SIGTERM, then
    SIGKILL after :data:`KILL_GRACE` s); the result then has ``timed_out``. An interrupt
    (Ctrl-C) or any other exception while waiting stops them too and is raised again.
    Each line is logged as ``label | line`` (``label`` defaults to the program's name);
    ``display`` is how the command appears in logs and errors (pass one with secrets
    masked). Raises :class:`~jobsmith.errors.ProcessError` if the program cannot start.
    """
    args = [os.fspath(a) for a in argv]
    if not args:
        raise ProcessError("nothing to run: the command is empty")
    shown = tuple(display) if display is not None else tuple(args)
    logger = logger or log
    capture = _Capture(
        label or os.path.basename(args[0]), logger, max_output, stderr_lines, encoding
    )
    started = time.monotonic()
    proc = _start(args, shown, env, cwd)
    readers = [
        threading.Thread(target=capture.read, args=(stream, is_err), daemon=True)
        for stream, is_err in ((proc.stdout, False), (proc.stderr, True))
    ]
    for reader in readers:
        reader.start()
    timed_out = False
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        _stop(proc)
    except BaseException:
        _stop(proc)
        raise
    finally:
        _drain(readers, logger, capture.label)
    return ProcessResult(
        argv=shown,
        label=capture.label,
        exit_code=proc.returncode,
        output=capture.output.text(),
        stderr_tail=tuple(capture.stderr_tail),
        seconds=time.monotonic() - started,
        timed_out=timed_out,
        timeout=timeout,
    )


def _start(
    args: list[str],
    shown: tuple[str, ...],
    env: Mapping[str, str] | None,
    cwd: str | os.PathLike[str] | None,
) -> subprocess.Popen[bytes]:
    environment = dict(os.environ if env is None else env)
    environment.setdefault("PYTHONUNBUFFERED", "1")
    try:
        return subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=environment,
            cwd=cwd,
            start_new_session=os.name == "posix",  # its own process group, to stop it whole
        )
    except OSError as exc:
        where = f" in {os.fspath(cwd)}" if cwd is not None else ""
        raise ProcessError(f"cannot run {shlex.join(shown)}{where}: {exc.strerror or exc}") from exc


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop the program and the processes it started: SIGTERM, then SIGKILL."""
    if os.name != "posix":
        proc.kill()
        proc.wait()
        return
    for sig, wait in ((signal.SIGTERM, KILL_GRACE), (signal.SIGKILL, None)):
        with contextlib.suppress(ProcessLookupError):  # it ended already
            os.killpg(proc.pid, sig)
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
