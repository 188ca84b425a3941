"""Goal graphs behave as DoJobber's README describes."""

from __future__ import annotations

import io
import logging
import os
from pathlib import Path

import pytest

from jobsmith.errors import CycleError, GraphError
from jobsmith.graph import DoJobber, DummyJob, Job, RunonlyJob


def graph(root: type, **options) -> DoJobber:
    dojob = DoJobber(run_log=False, stream=io.StringIO())
    options.setdefault("default_retry_delay", 0)
    dojob.configure(root, **options)
    return dojob


def test_check_run_recheck_and_the_verbose_lines() -> None:
    class Flaky(Job):
        def Check(self, *args, **kwargs):
            if not self.global_storage.get("done"):
                raise RuntimeError("not done")

        def Run(self, *args, **kwargs):
            self.global_storage["done"] = True

    class Broken(Job):
        DEPS = (Flaky,)
        TRIES = 1

        def Check(self, *args, **kwargs):
            raise ValueError("still broken")

        def Run(self, *args, **kwargs):
            pass

    stream = io.StringIO()
    dojob = DoJobber(run_log=False, stream=stream)
    dojob.configure(Broken, verbose=True)
    dojob.checknrun()
    assert stream.getvalue().splitlines() == [
        "Flaky.check: fail",
        "Flaky.run: pass",
        "Flaky.recheck: pass",
        "Broken.check: fail",
        "Broken.run: pass",
        'Broken.recheck: fail "still broken"',
    ]
    assert dojob.nodestatus == {"Flaky": True, "Broken": False}
    assert isinstance(dojob.nodeexceptions["Broken"], ValueError)
    assert not dojob.success() and dojob.partial_success() and dojob.failure()


def test_debug_adds_tracebacks() -> None:
    class Bad(Job):
        TRIES = 1

        def Check(self, *args, **kwargs):
            raise KeyError("missing")

        def Run(self, *args, **kwargs):
            pass

    stream = io.StringIO()
    dojob = DoJobber(run_log=False, stream=stream)
    dojob.configure(Bad, debug=True)
    dojob.checknrun()
    text = stream.getvalue()
    assert "  Error was:\n  Traceback (most recent call last):" in text
    assert "KeyError: 'missing'" in text


def test_arguments_results_and_lowercase_method_names() -> None:
    class Lower(Job):
        def check(self, *args, **kwargs):
            return (args, kwargs["movie"])

        def run(self, *args, **kwargs):
            raise AssertionError("the check passed: run must not be called")

    dojob = graph(Lower)
    dojob.set_args("arg1", movie="Zardoz")
    dojob.checknrun()
    assert dojob.success()
    assert dojob.noderesults == {"Lower": (("arg1",), "Zardoz")}


def test_storage_is_fresh_each_try_and_global_storage_is_shared() -> None:
    seen: list[tuple[dict, dict]] = []

    class Counter(Job):
        TRIES = 3

        def Check(self, *args, **kwargs):
            seen.append((dict(self.storage), dict(self.global_storage)))
            if self.global_storage.get("runs", 0) < 2:
                raise RuntimeError("again")

        def Run(self, *args, **kwargs):
            self.storage["mine"] = True
            self.global_storage["runs"] = self.global_storage.get("runs", 0) + 1

    dojob = graph(Counter)
    dojob.checknrun()
    assert dojob.success()
    # check, recheck of try 1; check, recheck of try 2: local storage starts empty each try
    assert [s for s, _ in seen] == [{}, {"mine": True}, {}, {"mine": True}]
    assert [g.get("runs", 0) for _, g in seen] == [0, 1, 1, 2]
    dojob.checknrun()  # a new checknrun starts with empty global storage again
    assert seen[4] == ({}, {})


def test_runonly_jobs_run_every_time_and_fail_in_no_act() -> None:
    runs: list[str] = []

    class Fluff(RunonlyJob):
        def Run(self, *args, **kwargs):
            runs.append("fluff")

    dojob = graph(Fluff)
    dojob.checknrun()
    dojob.checknrun()
    assert runs == ["fluff", "fluff"] and dojob.success()

    dry = graph(Fluff, no_act=True)
    dry.checknrun()
    assert runs == ["fluff", "fluff"] and dry.nodestatus == {"Fluff": False}


def test_no_act_checks_only_and_leaves_dependents_untested() -> None:
    ran: list[str] = []

    class Needed(Job):
        def Check(self, *args, **kwargs):
            raise RuntimeError("would need a run")

        def Run(self, *args, **kwargs):
            ran.append("Needed")

    class Top(DummyJob):
        DEPS = (Needed,)

    dojob = graph(Top, no_act=True)
    dojob.checknrun()
    assert ran == []
    assert dojob.nodestatus == {"Needed": False, "Top": None}


def test_cleanup_runs_last_in_first_out_for_every_try_and_can_be_deferred() -> None:
    order: list[str] = []

    def job(name: str, deps: tuple = (), fail_first: bool = False) -> type:
        def check(self, *args, **kwargs):
            if fail_first and not self.global_storage.get(name):
                raise RuntimeError("first time")

        def run(self, *args, **kwargs):
            self.global_storage[name] = True

        def cleanup(self):
            order.append(name)

        return type(name, (Job,), {"DEPS": deps, "Check": check, "Run": run, "Cleanup": cleanup})

    a = job("A", fail_first=True)
    b = job("B", (a,))
    c = job("C", (b,))
    dojob = graph(c, cleanup=False)
    dojob.checknrun()
    assert order == []
    dojob.cleanup()
    assert order == ["C", "B", "A"]
    dojob.cleanup()  # each cleanup runs once
    assert order == ["C", "B", "A"]


def test_a_failing_cleanup_stops_the_rest_and_is_raised() -> None:
    order: list[str] = []

    class First(Job):
        def Check(self, *args, **kwargs):
            pass

        def Cleanup(self):
            order.append("First")

    class Second(Job):
        DEPS = (First,)

        def Check(self, *args, **kwargs):
            pass

        def Cleanup(self):
            raise OSError("disk gone")

    dojob = graph(Second)
    with pytest.raises(OSError, match="disk gone"):
        dojob.checknrun()
    assert order == []


def test_dynamic_jobs_added_to_deps_before_configure_are_run() -> None:
    sent: list[str] = []

    class SendInvite(Job):
        EMAIL = ""

        def Check(self, *args, **kwargs):
            if self.EMAIL not in sent:
                raise RuntimeError("not sent")

        def Run(self, *args, **kwargs):
            sent.append(self.EMAIL)

    class InviteFriends(DummyJob):
        DEPS: list[type] = []

    for email in ("a@example.com", "b@example.com"):
        InviteFriends.DEPS.append(type(f"Invite {email}", (SendInvite,), {"EMAIL": email}))
    dojob = graph(InviteFriends)
    dojob.checknrun()
    assert sent == ["a@example.com", "b@example.com"] and dojob.success()


@pytest.mark.parametrize(
    ("attrs", "message"),
    [
        ({"TRIES": 0}, "Bad.TRIES must be a number >= 1, not 0"),
        ({"TRIES": 0.9}, "Bad.TRIES must be a number >= 1, not 0.9"),
        ({"TRIES": "2"}, "Bad.TRIES must be a number >= 1, not '2'"),
        ({"RETRY_DELAY": -1}, "Bad.RETRY_DELAY must be a number of seconds >= 0, not -1"),
        ({"DEPS": 7}, "DEPS of Bad must be a list or tuple of Job classes, not 7"),
        ({"DEPS": ("Other",)}, "DEPS of Bad must hold Job classes; 'Other' is a str"),
    ],
)
def test_bad_definitions_are_refused_at_configure(attrs: dict, message: str) -> None:
    bad = type("Bad", (DummyJob,), attrs)
    with pytest.raises(GraphError, match=message.replace(".", r"\.")):
        DoJobber(run_log=False).configure(bad)


def test_defaults_apply_to_jobs_without_tries_or_delay() -> None:
    class NoTries(Job):
        def Check(self, *args, **kwargs):
            raise RuntimeError("never")

        def Run(self, *args, **kwargs):
            pass

    dojob = graph(NoTries, default_tries=2)
    dojob.checknrun()
    assert dojob.report is not None and dojob.report.nodes["NoTries"].tries == 2
    with pytest.raises(GraphError, match="default_tries"):
        DoJobber(run_log=False).configure(NoTries, default_tries=0)


def test_cycles_and_jobs_without_a_check_are_refused() -> None:
    class A(DummyJob):
        DEPS: list[type] = []

    class B(DummyJob):
        DEPS = (A,)

    A.DEPS.append(B)
    with pytest.raises(CycleError, match="dependency cycle: B -> A -> B"):
        DoJobber(run_log=False).configure(B)

    class NoCheck(Job):
        def Run(self, *args, **kwargs):
            pass

    with pytest.raises(GraphError, match="NoCheck has no Check"):
        DoJobber(run_log=False).configure(NoCheck)


def test_a_job_that_cannot_be_built_fails_its_check() -> None:
    class Fragile(Job):
        TRIES = 1

        def __init__(self):
            raise RuntimeError("no constructor for you")

        def Check(self, *args, **kwargs):
            pass

    stream = io.StringIO()
    dojob = DoJobber(run_log=False, stream=stream)
    dojob.configure(Fragile, verbose=True)
    dojob.checknrun()
    assert dojob.nodestatus == {"Fragile": False}
    assert stream.getvalue() == "Fragile.check: fail\n"


def test_checknrun_returns_to_the_starting_folder(tmp_path: Path) -> None:
    seen: list[str] = []

    class Wanderer(Job):
        def Check(self, *args, **kwargs):
            seen.append(os.getcwd())
            if len(seen) == 1:
                raise RuntimeError("go")

        def Run(self, *args, **kwargs):
            os.chdir(tmp_path)

    start = os.getcwd()
    dojob = graph(Wanderer)
    dojob.checknrun()
    assert seen == [start, start] and os.getcwd() == start


def test_write_graph_colours_nodes_by_outcome(tmp_path: Path) -> None:
    class Good(Job):
        def Check(self, *args, **kwargs):
            pass

    class Bad(Job):
        TRIES = 1
        DEPS = (Good,)

        def Check(self, *args, **kwargs):
            raise RuntimeError("no")

        def Run(self, *args, **kwargs):
            pass

    class Top(DummyJob):
        DEPS = (Bad,)

    dojob = graph(Top)
    dojob.checknrun()
    text = io.StringIO()
    dojob.write_graph(text, "dot")
    dot = text.getvalue()
    assert '"Good" [style="rounded,filled", fillcolor=green' in dot
    assert '"Bad" [style="rounded,filled", fillcolor=red' in dot
    assert '"Top";' in dot and '"Top" -> "Bad";' in dot
    mermaid = io.StringIO()
    dojob.write_graph(mermaid, "mermaid")
    assert "class n1 failed" in mermaid.getvalue()
    with open(tmp_path / "g.png", "wb") as png:
        dojob.write_graph(png)
    assert (tmp_path / "g.png").read_bytes().startswith(b"\x89PNG")
    svg = io.StringIO()
    dojob.write_graph(svg, "svg")
    assert "<svg" in svg.getvalue()
    with pytest.raises(GraphError, match="open the file with 'wb'"):
        dojob.write_graph(io.StringIO(), "png")


def test_without_graphviz_the_picture_is_dot_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # `dot` is installed here; an empty PATH is how a machine without Graphviz looks.
    monkeypatch.setenv("PATH", str(tmp_path))

    class Only(DummyJob):
        pass

    dojob = graph(Only)
    out = io.BytesIO()
    dojob.write_graph(out, "png")
    assert out.getvalue().startswith(b'digraph "G" {')
    assert "Graphviz `dot` is not installed" in caplog.text


def _cleaned_job(order: list[str]) -> type:
    class Tidy(Job):
        def Check(self, *args, **kwargs):
            pass

        def Cleanup(self):
            order.append("cleaned")

    return Tidy


def test_configure_keywords_given_to_the_constructor_are_its_defaults() -> None:
    # seeds/dojobber.rst: "You can pass the cleanup=False option to DoJobber() to prevent
    # Cleanup from happening and run it manually if you prefer"
    order: list[str] = []
    dojob = DoJobber(cleanup=False, default_retry_delay=0, run_log=False)
    dojob.configure(_cleaned_job(order))
    dojob.checknrun()
    assert order == []
    dojob.cleanup()
    assert order == ["cleaned"]
    # configure()'s own keywords win over the constructor's
    dojob = DoJobber(cleanup=False, run_log=False)
    dojob.configure(_cleaned_job(order), cleanup=True)
    dojob.checknrun()
    assert order == ["cleaned", "cleaned"]
    quiet = DoJobber(no_act=True, verbose=True, debug=False, default_tries=2, run_log=False)
    assert quiet is not None


def test_an_unknown_constructor_keyword_names_what_is_taken() -> None:
    with pytest.raises(TypeError, match=r"unexpected keyword argument\(s\) clenaup; it takes"):
        DoJobber(clenaup=False)


@pytest.mark.parametrize(("setting", "tries"), [(1, 1), (1.0, 1), (1.1, 2), (2.5, 3), (3, 3)])
def test_fractional_tries_are_counted_as_dojobber_counts_them(setting: float, tries: int) -> None:
    attempts: list[int] = []

    class Never(RunonlyJob):
        def Run(self, *args, **kwargs):
            attempts.append(1)
            raise RuntimeError("no")

    dojob = graph(Never, default_tries=setting)
    dojob.checknrun()
    assert len(attempts) == tries and dojob.nodestatus == {"Never": False}
    Never.TRIES = setting
    attempts.clear()
    dojob = graph(Never, default_tries=7)  # the class's TRIES wins over the default
    dojob.checknrun()
    assert len(attempts) == tries


def test_dojobber_loglevel_applies_to_that_instance_only(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Lone(DummyJob):
        pass

    module_logger = logging.getLogger("jobsmith.graph")
    before = module_logger.level
    caplog.set_level(logging.DEBUG)  # the handler sees everything the loggers let through
    module_logger.setLevel(logging.WARNING)  # the level the application chose
    try:
        DoJobber(dojobber_loglevel=logging.DEBUG, run_log=False).configure(Lone)
        assert [r.getMessage() for r in caplog.records] == ["processing dependencies for Lone: []"]
        caplog.clear()
        DoJobber(run_log=False).configure(Lone)  # a later instance: back to the default
        assert caplog.records == []
        assert module_logger.level == logging.WARNING
    finally:
        module_logger.setLevel(before)
