"""The console listener: one line per phase, DoJobber's format, to stderr by default.

::

    FindTVRemote.check: fail
    FindTVRemote.run: pass
    FindTVRemote.recheck: pass
    TurnOnTV.recheck: fail "Remote batteries are dead."

A failed recheck (and a failed revert or cleanup) shows its message; with ``debug`` every
failure is followed by its traceback, indented.
"""

from __future__ import annotations

import logging
import sys
import traceback
from typing import IO

from jobsmith.engine.events import Listener
from jobsmith.engine.model import Node, NodeReport, Phase

_QUOTED = {Phase.RECHECK.value, Phase.REVERT.value, Phase.CLEANUP.value}


class ConsoleListener(Listener):
    """Writes a line per phase; ``stream`` defaults to ``sys.stderr`` at the time of writing."""

    def __init__(self, stream: IO[str] | None = None, *, debug: bool = False) -> None:
        self.stream = stream
        self.debug = debug

    def phase_done(self, node: Node, phase: str, error: BaseException | None) -> None:
        if phase == Phase.CLEANUP and error is None and not self.debug:
            return
        if error is None:
            line = f"{node.name}.{phase}: pass\n"
        elif phase in _QUOTED:
            line = f'{node.name}.{phase}: fail "{error}"\n'
        else:
            line = f"{node.name}.{phase}: fail\n"
        if error is not None and self.debug:
            line += "  Error was:\n  " + _traceback(error).replace("\n", "\n  ") + "\n"
        (self.stream or sys.stderr).write(line)


def _traceback(error: BaseException) -> str:
    return "".join(traceback.format_exception(error)).strip()


class LogListener(Listener):
    """Logs each try's outcome and each revert (flows use it; INFO for progress)."""

    def __init__(self, logger: logging.Logger, what: str = "Task") -> None:
        self.log, self.what = logger, what

    def try_done(self, report: NodeReport) -> None:
        if report.error is None:
            self.log.info("%s %s completed", self.what, report.node.name)
        else:
            self.log.error("%s %s failed: %s", self.what, report.node.name, report.error)

    def node_reverted(self, report: NodeReport, error: BaseException | None) -> None:
        if error is None and report.error is None:
            self.log.warning("%s %s reverted", self.what, report.node.name)
        elif error is None:
            self.log.info("%s %s: its failure was reverted", self.what, report.node.name)
        else:
            self.log.error("%s %s: revert failed: %s", self.what, report.node.name, error)
