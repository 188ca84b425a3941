"""The ten cases of DoJobber 0.6.3's own test suite (its ``tests/test_dojobber.py``),
rewritten: the same graphs and arguments, the same expected statuses.

Each case runs on the real ``dojobber`` package (a dev dependency) and on
``jobsmith.graph`` with the run log on SQLite and on PostgreSQL, so "only the import
changed" is checked, not assumed. The graph is the movie night of DoJobber's example,
written afresh here: every Job class is made from the library under test.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import dojobber
import pytest

import jobsmith.graph
from jobsmith.store import Store
from tests.conftest import StoreTarget

SHELF = ("Noises Off", "MST3K", "Babylon 5")


@pytest.fixture(
    params=[
        "dojobber",
        "jobsmith-sqlite",
        pytest.param("jobsmith-postgresql", marks=pytest.mark.postgres),
    ]
)
def lib(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The DoJobber module under test; jobsmith's records in a store of the test's own."""
    if request.param == "dojobber":
        yield dojobber
        return
    name = "sqlite" if request.param.endswith("sqlite") else "pg"
    target: StoreTarget = request.getfixturevalue(f"{name}_target")
    store: Store = request.getfixturevalue(f"{name}_store")
    monkeypatch.setenv("JOBSMITH_STORE", target.url)
    monkeypatch.setenv("JOBSMITH_SCHEMA", target.schema)
    yield jobsmith.graph
    assert store.runs.recent(1), "jobsmith recorded no graph run"


def movie_night(lib: Any) -> SimpleNamespace:
    """The example's graph: some goals fail on purpose, some need several tries."""
    Job, DummyJob, RunonlyJob = lib.Job, lib.DummyJob, lib.RunonlyJob

    class CleanCouch(Job):
        def Check(self, *args, **kwargs):
            if not self.storage.get("vacuumed"):
                raise ValueError("crumbs on the couch")

        def Run(self, *args, **kwargs):
            self.storage["vacuumed"] = True
            self.global_storage["report"] = kwargs.get("report", {})

        def Cleanup(self):
            self.global_storage["report"]["vacuum_put_away"] = True

    class FindTVRemote(Job):
        def Check(self, *args, **kwargs):
            pass

        def Run(self, *args, **kwargs):
            pass

    class FluffPillows(RunonlyJob):
        def Run(self, *args, **kwargs):
            pass

    class PickTimeAndDate(Job):
        def Check(self, *args, **kwargs):
            assert self.global_storage["when"]

        def Run(self, *args, **kwargs):
            self.global_storage["when"] = "Friday 20:00"

    class ValidateMovie(Job):
        def Check(self, *args, **kwargs):
            if kwargs.get("movie") not in SHELF:
                raise RuntimeError(f"{kwargs.get('movie')} is not on the shelf")

        def Run(self, *args, **kwargs):
            pass

    class InsertDVD(Job):
        DEPS = (ValidateMovie,)

        def Check(self, *args, **kwargs):
            pass

        def Run(self, *args, **kwargs):
            pass

    class PrepareRoom(DummyJob):
        DEPS = (CleanCouch, FluffPillows)

    def counted(job: Any, key: str) -> None:
        job.global_storage[key] = job.global_storage.get(key, 0) + 1

    class PopcornBowl(DummyJob):  # a DummyJob with its own Check and Run, as upstream
        TRIES = 8
        RETRY_DELAY = 0.001

        def Check(self, *args, **kwargs):
            needed = kwargs.get("bowl_success_try") or self.TRIES
            if self.global_storage.get("bowl_runs", 0) < needed:
                raise RuntimeError("the dishwasher is still running")

        def Run(self, *args, **kwargs):
            counted(self, "bowl_runs")

    class Pizza(RunonlyJob):
        TRIES = 3

        def Run(self, *args, **kwargs):
            counted(self, "pizza_runs")
            needed = kwargs.get("pizza_success_try") or self.TRIES
            if self.global_storage["pizza_runs"] < needed:
                raise RuntimeError("no pizza yet")

    class Popcorn(Job):
        DEPS = (PopcornBowl,)
        TRIES = PopcornBowl.TRIES - 3  # fewer than the bowl's: tries are counted per Job

        def Check(self, *args, **kwargs):
            needed = kwargs.get("pop_success_try") or self.TRIES
            if self.global_storage.get("pop_runs", 0) < needed:
                raise RuntimeError("still popping")

        def Run(self, *args, **kwargs):
            counted(self, "pop_runs")

    class Food(DummyJob):
        DEPS = (Popcorn, Pizza)

    class SitOnCouch(Job):
        DEPS = (PrepareRoom,)

        def Check(self, *args, **kwargs):
            if not kwargs.get("couch_space"):
                raise RuntimeError("the couch is full")

        def Run(self, *args, **kwargs):
            pass

    class DetermineDetails(DummyJob):
        DEPS = (ValidateMovie, PickTimeAndDate)

    class InviteFriends(DummyJob):
        DEPS = [DetermineDetails]

    class FriendsArrive(Job):
        DEPS = (InviteFriends,)

        def Check(self, *args, **kwargs):
            pass

        def Run(self, *args, **kwargs):
            pass

    class TurnOnTV(Job):
        DEPS = (FindTVRemote,)

        def Check(self, *args, **kwargs):
            if kwargs["battery_state"] != "charged":  # a KeyError without the argument
                raise RuntimeError("the remote's batteries are flat")

        def Run(self, *args, **kwargs):
            pass

    class StartMovie(Job):
        DEPS = (FriendsArrive, PrepareRoom, TurnOnTV, InsertDVD, SitOnCouch, Food)

        def Check(self, *args, **kwargs):
            pass

        def Run(self, *args, **kwargs):
            pass

    class WatchMovie(Job):
        DEPS = (StartMovie,)

        def Check(self, *args, **kwargs):
            pass

        def Run(self, *args, **kwargs):
            pass

    return SimpleNamespace(**{k: v for k, v in locals().items() if isinstance(v, type)})


def runonly(lib: Any) -> SimpleNamespace:
    class RunonlyFails(lib.RunonlyJob):
        def Run(self, *args, **kwargs):
            raise RuntimeError("the pillows refused")

    class RunonlySucceeds(lib.RunonlyJob):
        def Run(self, *args, **kwargs):
            return "fluffed"

    return SimpleNamespace(RunonlyFails=RunonlyFails, RunonlySucceeds=RunonlySucceeds)


def broken_init(lib: Any) -> type:
    class Passful(lib.DummyJob):
        pass

    class BrokenInit(lib.RunonlyJob):
        DEPS = [Passful]

        def __init__(self):
            raise RuntimeError("cannot even start")

        def Check(self, *args, **kwargs):
            return True

    class Top00(lib.DummyJob):
        DEPS = [BrokenInit]

    return Top00


ALL_PASS = dict.fromkeys(
    [
        "CleanCouch",
        "DetermineDetails",
        "FindTVRemote",
        "FluffPillows",
        "Food",
        "FriendsArrive",
        "InsertDVD",
        "InviteFriends",
        "PickTimeAndDate",
        "Pizza",
        "Popcorn",
        "PopcornBowl",
        "PrepareRoom",
        "SitOnCouch",
        "StartMovie",
        "ValidateMovie",
        "TurnOnTV",
        "WatchMovie",
    ],
    True,
)
# No room on the couch, flat batteries: those two fail and what needs them is never tried.
COUCH_AND_TV_FAIL = {
    **ALL_PASS,
    "SitOnCouch": False,
    "TurnOnTV": False,
    "StartMovie": None,
    "WatchMovie": None,
}


def test_default_example_fails_where_it_should(lib: Any) -> None:
    g = movie_night(lib)
    dojob = lib.DoJobber()
    dojob.configure(g.WatchMovie, default_retry_delay=0)
    dojob.set_args("arg1", movie="Noises Off", battery_state="dead")
    dojob.checknrun()
    assert dojob.nodestatus == COUCH_AND_TV_FAIL
    assert not dojob.success()
    assert str(dojob.nodeexceptions["TurnOnTV"]) == "the remote's batteries are flat"


def test_everything_passes_with_room_and_charged_batteries(lib: Any) -> None:
    g = movie_night(lib)
    dojob = lib.DoJobber()
    dojob.configure(g.WatchMovie, default_retry_delay=0)
    dojob.set_args(
        "arg1", movie="MST3K", battery_state="charged", couch_space=True, unused_flag=True
    )
    dojob.checknrun()
    assert dojob.nodestatus == ALL_PASS
    assert dojob.success()


def test_a_runonly_job_whose_run_returns_succeeds_with_that_result(lib: Any) -> None:
    job = runonly(lib).RunonlySucceeds
    dojob = lib.DoJobber()
    dojob.configure(job, default_retry_delay=0)
    dojob.checknrun()
    assert dojob.success()
    assert dojob.nodestatus == {"RunonlySucceeds": True}
    assert dojob.noderesults["RunonlySucceeds"] == "fluffed"


def test_a_runonly_job_whose_run_raises_fails_with_that_error(lib: Any) -> None:
    job = runonly(lib).RunonlyFails
    dojob = lib.DoJobber()
    dojob.configure(job, default_retry_delay=0, default_tries=1.1)  # a float, as upstream
    dojob.checknrun()
    assert not dojob.success()
    assert dojob.nodestatus == {"RunonlyFails": False}
    assert str(dojob.nodeexceptions["RunonlyFails"]) == "the pillows refused"


@pytest.mark.parametrize("name", ["RunonlyFails", "RunonlySucceeds"])
def test_a_runonly_job_fails_a_dry_run_whatever_its_run_would_do(lib: Any, name: str) -> None:
    job = getattr(runonly(lib), name)
    dojob = lib.DoJobber()
    dojob.configure(job, no_act=True)
    dojob.checknrun()
    assert dojob.nodestatus == {name: False}
    assert str(dojob.nodeexceptions[name]) == ("Runonly node check intentionally fails first time.")


def test_cleanups_run_after_checknrun(lib: Any) -> None:
    g = movie_night(lib)
    dojob = lib.DoJobber()
    dojob.configure(g.WatchMovie, default_retry_delay=0)
    report: dict[str, bool] = {}
    dojob.set_args("arg1", report=report)
    dojob.checknrun()
    assert report["vacuum_put_away"]


def test_cleanup_false_defers_the_cleanups_until_asked(lib: Any) -> None:
    g = movie_night(lib)
    dojob = lib.DoJobber()
    dojob.configure(g.WatchMovie, cleanup=False, default_retry_delay=0)
    report: dict[str, bool] = {}
    dojob.set_args("arg1", report=report)
    dojob.checknrun()
    assert not report.get("vacuum_put_away")
    dojob.cleanup()
    assert report["vacuum_put_away"]


@pytest.mark.parametrize(
    ("root", "ran_success", "ran_partial"),
    [("WatchMovie", False, True), ("PrepareRoom", True, True), ("TurnOnTV", False, True)],
)
def test_success_and_partial_success_of_subgraphs(
    lib: Any, root: str, ran_success: bool, ran_partial: bool
) -> None:
    dojob = lib.DoJobber()
    dojob.configure(getattr(movie_night(lib), root), default_retry_delay=0)
    dojob.set_args()  # no movie, no battery state (TurnOnTV's check raises KeyError)
    assert not dojob.success()  # nothing ran yet
    dojob.checknrun()
    assert bool(dojob.success()) is ran_success
    assert bool(dojob.partial_success()) is ran_partial


RETRY_BASE = {
    **COUCH_AND_TV_FAIL,
    "Food": True,
    "Pizza": True,
    "PopcornBowl": True,
    "Popcorn": True,
}


@pytest.mark.parametrize(
    ("late", "changed"),
    [
        ((), {}),  # each succeeds on its last try
        (("bowl",), {"Food": None, "PopcornBowl": False, "Popcorn": None}),
        (("pop",), {"Food": None, "Popcorn": False}),
        (("pizza", "pop"), {"Food": None, "Pizza": False, "Popcorn": False}),
    ],
    ids=["all-in-time", "bowl-late", "popcorn-late", "pizza-and-popcorn-late"],
)
def test_retries_are_counted_per_job(
    lib: Any, late: tuple[str, ...], changed: dict[str, bool | None]
) -> None:
    g = movie_night(lib)
    tries = {"bowl": g.PopcornBowl.TRIES, "pop": g.Popcorn.TRIES, "pizza": g.Pizza.TRIES}
    succeed_at = {f"{k}_success_try": n + (k in late) for k, n in tries.items()}
    dojob = lib.DoJobber()
    dojob.configure(g.WatchMovie, default_retry_delay=0)
    dojob.set_args("arg1", movie="Noises Off", battery_state="dead", **succeed_at)
    dojob.checknrun()
    assert dojob.nodestatus == {**RETRY_BASE, **changed}


def test_a_job_that_cannot_be_built_fails_and_blocks_only_what_needs_it(lib: Any) -> None:
    dojob = lib.DoJobber(dojobber_loglevel=logging.NOTSET)
    dojob.configure(broken_init(lib), default_retry_delay=0, default_tries=1)
    dojob.checknrun()
    assert dojob.nodestatus == {"BrokenInit": False, "Passful": True, "Top00": None}
