"""Goal graphs, DoJobber's way: small idempotent Jobs that check, run if needed, recheck.

::

    from jobsmith.graph import DoJobber, Job

    class CleanCouch(Job):
        def Check(self, *args, **kwargs):
            if not couch_is_clean():
                raise RuntimeError("crumbs everywhere")

        def Run(self, *args, **kwargs):
            vacuum()

    class WatchMovie(Job):
        DEPS = (CleanCouch,)
        ...

    dojob = DoJobber()
    dojob.configure(WatchMovie, verbose=True)
    dojob.set_args(movie="Noises Off")
    dojob.checknrun()
    print(dojob.success(), dojob.nodestatus)

Everything DoJobber's README describes works with only the import changed (``check``/
``run``/``cleanup`` are accepted beside ``Check``/``Run``/``Cleanup``). The graph runs on
:mod:`jobsmith.engine` and is recorded in the run log as a job run of kind ``graph``, with
one task run per Job. Differences from DoJobber 0.6.3, all deliberate, are listed in
``docs/graphs.md``.
"""

from __future__ import annotations

import logging
import math
import os
import shutil
import subprocess
from collections.abc import Iterable, Sequence
from functools import partial
from typing import IO, Any

from jobsmith.engine import Engine, Listener, Node, Outcome, Plan, Report, Step
from jobsmith.engine.console import ConsoleListener
from jobsmith.engine.gcpause import GcPause
from jobsmith.engine.picture import picture, write_picture
from jobsmith.engine.record import RunLogTarget, recorder_for
from jobsmith.errors import GraphError

__all__ = ["DoJobber", "DummyJob", "Job", "RunonlyJob"]

log = logging.getLogger(__name__)


class Job:
    """One idempotent goal: ``Check`` (is it done?), ``Run`` (do it), optional ``Cleanup``.

    Class attributes: ``DEPS`` (the Jobs this one needs first), ``TRIES`` (tries before
    giving up; default from ``configure``) and ``RETRY_DELAY`` (minimum seconds between
    tries). A new object is made for every try: ``self.storage`` is fresh each try,
    ``self.global_storage`` is shared by every Job of one ``checknrun``.
    """

    DEPS: Sequence[type[Job]] = ()
    TRIES: float | None = None
    RETRY_DELAY: float | None = None

    # Set on each object by the graph before its first phase, so a subclass's __init__
    # need not call ours. The underscored ones are DoJobber's "advanced" attributes: which
    # check this is, and what each phase returned or raised.
    storage: dict[str, Any] | None = None
    global_storage: dict[str, Any] | None = None
    _check_phase: str | None = None
    _check_results: Any = None
    _check_exception: BaseException | None = None
    _run_results: Any = None
    _run_exception: BaseException | None = None
    _recheck_results: Any = None
    _recheck_exception: BaseException | None = None

    def _set_storage(self, storage: dict[str, Any], global_storage: dict[str, Any]) -> None:
        self.storage = storage
        self.global_storage = global_storage


class RunonlyJob(Job):
    """A Job with only ``Run``, run on every ``checknrun``; it fails if ``Run`` raises.

    It cannot succeed in a dry run (``no_act``), since nothing is run then.
    """

    def Check(self, *_: Any, **__: Any) -> Any:
        if self._check_phase == "check":
            raise RuntimeError("Runonly node check intentionally fails first time.")
        if self._run_exception is not None:
            raise self._run_exception
        return self._run_results


class DummyJob(Job):
    """A Job that only groups its ``DEPS``; it always passes."""

    def Check(self, *_: Any, **__: Any) -> None:
        """Always pass."""

    def Run(self, *_: Any, **__: Any) -> None:
        """Always pass."""


def _method(cls: type, *names: str) -> Any:
    for name in names:
        found = getattr(cls, name, None)
        if callable(found):
            return found
    return None


class _JobNode:
    """Makes the steps of one Job class: a new object per try, bound to the run's args."""

    __slots__ = ("check", "cleanup", "cls", "name", "run", "run_method")

    def __init__(self, cls: type[Job], run: _Run) -> None:
        self.cls, self.run, self.name = cls, run, cls.__name__
        self.check = _method(cls, "Check", "check")
        self.run_method = _method(cls, "Run", "run")
        self.cleanup = _method(cls, "Cleanup", "cleanup")
        if self.check is None:
            raise GraphError(
                f"Job {self.name} has no Check (or check) method; "
                "a Job that only runs is a RunonlyJob"
            )

    def make_step(self) -> Step:
        job = self.cls()
        job.storage, job.global_storage = {}, self.run.global_storage
        return Step(
            check=partial(self._check, job),
            run=partial(self._run, job),
            cleanup=partial(self.cleanup, job) if self.cleanup is not None else None,
        )

    def _check(self, job: Job) -> Any:
        first = job._check_phase is None
        job._check_phase = "check" if first else "recheck"
        os.chdir(self.run.cwd)
        try:
            result = self.check(job, *self.run.args, **self.run.kwargs)
        except Exception as exc:
            if first:
                job._check_exception = exc
            else:
                job._recheck_exception = exc
            raise
        if first:
            job._check_results = result
        else:
            job._recheck_results = result
        return result

    def _run(self, job: Job) -> Any:
        os.chdir(self.run.cwd)
        if self.run_method is None:
            job._run_exception = GraphError(f"Job {self.name} has no Run (or run) method")
            raise job._run_exception
        try:
            job._run_results = self.run_method(job, *self.run.args, **self.run.kwargs)
        except Exception as exc:
            job._run_exception = exc
            raise
        return job._run_results


class _Run:
    """What every Job of one ``checknrun`` shares: arguments, global storage, the folder."""

    __slots__ = ("args", "cwd", "global_storage", "kwargs")

    def __init__(self) -> None:
        self.args: tuple[Any, ...] = ()
        self.kwargs: dict[str, Any] = {}
        self.global_storage: dict[str, Any] = {}
        self.cwd = os.path.realpath(os.curdir)

    def start(self) -> None:
        self.global_storage = {}
        self.cwd = os.path.realpath(os.curdir)


def _kind(cls: type[Job]) -> str:
    for base in (DummyJob, RunonlyJob):
        if issubclass(cls, base):
            return base.__name__
    return "Job"


def _tries(value: Any, what: str) -> int:
    """How many tries ``value`` gives, as DoJobber counts them: a fraction left over after
    the whole tries is one more try (1.1 gives 2); below 1 is refused."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value < 1
    ):
        raise GraphError(f"{what} must be a number >= 1, not {value!r}")
    return math.ceil(value)


def _seconds(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise GraphError(f"{what} must be a number of seconds >= 0, not {value!r}")
    return float(value)


def _deps_of(cls: type) -> list[type]:
    deps = getattr(cls, "DEPS", ())
    if deps is None:
        return []
    if isinstance(deps, str | bytes) or not isinstance(deps, Iterable):
        raise GraphError(
            f"DEPS of {cls.__name__} must be a list or tuple of Job classes, not {deps!r}"
        )
    found = list(deps)
    for dep in found:
        if not isinstance(dep, type):
            raise GraphError(
                f"DEPS of {cls.__name__} must hold Job classes; {dep!r} is a {type(dep).__name__}"
            )
    return found


CONFIGURE_DEFAULTS: dict[str, Any] = {
    "no_act": False,
    "verbose": False,
    "debug": False,
    "cleanup": True,
    "default_tries": 3,
    "default_retry_delay": 1,
}
"""``configure()``'s keywords and DoJobber's defaults for them."""


def _instance_logger(level: int | None) -> logging.Logger:
    """A logger for one DoJobber: ``dojobber_loglevel`` applies to it alone.

    It is not registered with :mod:`logging` (so it goes away with its DoJobber) and
    hands its records to the ``jobsmith.graph`` logger's handlers and those above it.
    Without a level it is the ``jobsmith.graph`` logger itself.
    """
    if not level:  # DoJobber too takes 0 (NOTSET) as "not given"
        return log
    logger = logging.Logger(log.name, level)
    logger.parent = log
    if not log.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("DoJobber %(levelname)-19s: %(message)s"))
        logger.addHandler(handler)
    return logger


class DoJobber:
    """Runs a graph of Jobs towards its root: ``configure``, ``set_args``, ``checknrun``.

    jobsmith's additions, all optional: ``run_log`` (a :class:`~jobsmith.runlog.RunLog`,
    a :class:`~jobsmith.store.Store`, or ``False`` not to record; by default the store of
    ``jobsmith.yml`` / ``JOBSMITH_STORE`` / ``.jobsmith/jobsmith.db``), ``job_name`` (the
    root Job's name by default), ``environment`` and ``stream`` (where ``verbose`` lines
    go; standard error by default). The keywords of :meth:`configure` may be given here
    too, as its defaults (``DoJobber(cleanup=False)``, as the seed's prose does).
    """

    def __init__(
        self,
        dojobber_loglevel: int | None = None,
        *,
        run_log: RunLogTarget = None,
        job_name: str | None = None,
        environment: str | None = None,
        stream: IO[str] | None = None,
        **configure_defaults: Any,
    ) -> None:
        unknown = sorted(set(configure_defaults) - set(CONFIGURE_DEFAULTS))
        if unknown:
            raise TypeError(
                f"DoJobber() got unexpected keyword argument(s) {', '.join(unknown)}; it takes "
                "dojobber_loglevel, run_log, job_name, environment, stream and, as defaults "
                f"for configure(), {', '.join(CONFIGURE_DEFAULTS)}"
            )
        self.nodestatus: dict[str, bool | None] = {}
        self.nodeexceptions: dict[str, BaseException] = {}
        self.noderesults: dict[str, Any] = {}
        self.report: Report | None = None
        """The engine's report of the last ``checknrun``: outcome, tries, history by Job."""
        self._run_log, self._job_name, self._environment = run_log, job_name, environment
        self._stream = stream
        self._run = _Run()
        self._plan: Plan | None = None
        self._root: type | None = None
        self._defaults = {**CONFIGURE_DEFAULTS, **configure_defaults}
        self._no_act = self._verbose = self._debug = False
        self._cleanup = True
        self._engines: list[Engine] = []
        self._log = _instance_logger(dojobber_loglevel)

    def configure(
        self,
        root: type,
        no_act: bool | None = None,
        verbose: bool | None = None,
        debug: bool | None = None,
        cleanup: bool | None = None,
        default_tries: float | None = None,
        default_retry_delay: float | None = None,
    ) -> None:
        """Build the graph of Jobs from ``root`` and its ``DEPS`` (read now, so Jobs added
        to a ``DEPS`` list before this call are part of it). Refuses cycles, bad ``DEPS``,
        ``TRIES`` below 1 and negative ``RETRY_DELAY``, naming the Job.

        A keyword left out takes the value given to ``DoJobber(...)``, else DoJobber's
        default (no_act, verbose, debug False; cleanup True; default_tries 3;
        default_retry_delay 1)."""
        if not isinstance(root, type):
            raise GraphError(f"the root must be a Job class, not {root!r}")
        given = {
            "no_act": no_act,
            "verbose": verbose,
            "debug": debug,
            "cleanup": cleanup,
            "default_tries": default_tries,
            "default_retry_delay": default_retry_delay,
        }
        chosen = {k: self._defaults[k] if v is None else v for k, v in given.items()}
        tries = _tries(chosen["default_tries"], "default_tries")
        delay = _seconds(chosen["default_retry_delay"], "default_retry_delay")
        self._no_act, self._debug = bool(chosen["no_act"]), bool(chosen["debug"])
        self._verbose = bool(chosen["verbose"]) or self._debug
        self._cleanup, self._root = bool(chosen["cleanup"]), root
        with GcPause():
            self._plan = Plan(self._nodes(root, tries, delay), roots=[root.__name__])

    def _nodes(self, root: type, default_tries: int, default_delay: float) -> list[Node]:
        classes: dict[str, type] = {}
        nodes: list[Node] = []
        todo = [root]
        while todo:
            cls = todo.pop()
            name = cls.__name__
            if name in classes:
                if classes[name] is not cls:
                    raise GraphError(
                        f"two different Jobs are named {name!r} ({classes[name].__module__}."
                        f"{classes[name].__qualname__} and {cls.__module__}.{cls.__qualname__})"
                    )
                continue
            classes[name] = cls
            deps = _deps_of(cls)
            self._log.debug("processing dependencies for %s: %s", name, [d.__name__ for d in deps])
            tries = getattr(cls, "TRIES", None)
            delay = getattr(cls, "RETRY_DELAY", None)
            nodes.append(
                Node(
                    name,
                    _JobNode(cls, self._run).make_step,
                    deps=tuple(dict.fromkeys(d.__name__ for d in deps)),
                    tries=default_tries if tries is None else _tries(tries, f"{name}.TRIES"),
                    retry_delay=default_delay
                    if delay is None
                    else _seconds(delay, f"{name}.RETRY_DELAY"),
                    kind=_kind(cls),
                    payload=cls,
                )
            )
            todo.extend(reversed(deps))
        return nodes

    def set_args(self, *args: Any, **kwargs: Any) -> None:
        """The arguments every ``Check`` and ``Run`` is called with."""
        self._run.args, self._run.kwargs = args, kwargs

    def checknrun(self, node: type | str | None = None, workers: int = 1) -> None:
        """Check and run the graph (or the part ``node`` needs) until every Job succeeded
        or nothing can be retried; then run the cleanups unless configured not to.
        ``workers`` > 1 checks and runs Jobs whose dependencies are met in that many
        threads at once (their ``Check``/``Run`` must then be thread-safe)."""
        plan = self._configured()
        if node is not None:
            name = node if isinstance(node, str) else node.__name__
            if name not in plan.position:
                raise GraphError(f"{name!r} is not a Job of this graph")
            plan = Plan(plan.nodes, roots=[name])
        self._run.start()
        engine = Engine(self._listeners(), no_act=self._no_act, workers=workers)
        self._engines.append(engine)
        try:
            self.report = engine.converge(plan)
        finally:
            os.chdir(self._run.cwd)
        self._read(self.report)
        if self._cleanup:
            self.cleanup()

    def _configured(self) -> Plan:
        if self._plan is None:
            raise GraphError("call configure(RootJob, ...) before checknrun()")
        return self._plan

    def _listeners(self) -> list[Listener]:
        listeners: list[Listener] = []
        if self._verbose:
            listeners.append(ConsoleListener(self._stream, debug=self._debug))
        assert self._root is not None
        recorder = recorder_for(
            self._run_log,
            self._job_name or self._root.__name__,
            kind="graph",
            environment=self._environment,
        )
        if recorder is not None:
            listeners.append(recorder)
        return listeners

    def _read(self, report: Report) -> None:
        self.nodestatus, self.nodeexceptions, self.noderesults = {}, {}, {}
        for name, node in report.nodes.items():
            if node.outcome.succeeded:
                self.nodestatus[name] = True
                self.noderesults[name] = node.result
            elif node.outcome is Outcome.FAILED:
                self.nodestatus[name] = False
                assert node.error is not None
                self.nodeexceptions[name] = node.error
            else:
                self.nodestatus[name] = None

    def cleanup(self) -> None:
        """Run the ``Cleanup`` of every Job object tried so far, newest first, each once.

        A Cleanup that raises stops the rest and is raised (the rest stay queued).
        """
        while self._engines:
            try:
                self._engines[-1].cleanup()
            except Exception as exc:
                self._log.error("cleanup failed: %s", exc)
                raise
            self._engines.pop()

    def success(self) -> bool:
        """True when every Job of the last ``checknrun`` succeeded."""
        return bool(self.nodestatus) and all(v is True for v in self.nodestatus.values())

    def partial_success(self) -> bool:
        """True when at least one Job succeeded."""
        return any(v is True for v in self.nodestatus.values())

    def failure(self) -> bool:
        """True unless every Job succeeded."""
        return not self.success()

    def _edges(self) -> list[tuple[str, tuple[str, ...]]]:
        return [(node.name, node.deps) for node in self._configured().nodes]

    def write_graph(self, filed: IO[Any] | str | os.PathLike[str], fmt: str = "png") -> None:
        """Write a picture of the graph, coloured by the last run's outcomes.

        ``fmt`` is any Graphviz output format (png, svg, pdf …), or ``dot``/``mermaid`` for
        text. ``filed`` is a file opened for writing (binary for images) or a path.
        """
        outcomes = self.report.outcomes() if self.report else None
        write_picture(filed, self._edges(), outcomes, fmt)

    def display_graph(self) -> None:
        """Show the picture with ImageMagick's ``display`` (needs an X display)."""
        exe = shutil.which("display")
        if exe is None or not os.environ.get("DISPLAY"):
            self._log.warning("display_graph needs ImageMagick's `display` and an X display")
            return
        outcomes = self.report.outcomes() if self.report else None
        image = picture(self._edges(), outcomes, "png")
        subprocess.run([exe], input=image, check=True)
