"""Movie night as a goal graph: DoJobber's example on jobsmith.

Every Job checks whether its goal is met, runs only if not, and checks again. Some
goals take a few tries (the popcorn is still popping); retries are interleaved across
the graph. Try:

    python movie_night.py -v                                   # fails: dead batteries …
    python movie_night.py -v --battery-state charged --couch-space
    python movie_night.py -n                                   # dry run: checks only
    python movie_night.py --picture movie_night.svg

The run is recorded in the run log (see `jobsmith runs`). With the import changed to
`from dojobber import ...` this file runs unchanged on DoJobber 0.6.3.
"""

import argparse
import json
import sys

from jobsmith.graph import DoJobber, DummyJob, Job, RunonlyJob

MOVIES = ["Noises Off", "MST3K", "Babylon 5"]


def done(job):
    """Tidy-up note: printed so you can see cleanups unwind, newest first."""
    print(f"cleanup: {type(job).__name__}")


class CleanCouch(Job):
    """Fails its first check; the run cleans, so the recheck passes."""

    def Check(self, *args, **kwargs):
        if not self.storage.get("cleaned"):
            raise ValueError("Crumbs everywhere.")

    def Run(self, *args, **kwargs):
        self.storage["cleaned"] = True  # storage lives for one try of this Job

    def Cleanup(self):
        done(self)


class FluffPillows(RunonlyJob):
    """No way to check fluffiness: always fluff."""

    def Run(self, *args, **kwargs):
        pass


class PrepareRoom(DummyJob):
    DEPS = (CleanCouch, FluffPillows)


class FindTVRemote(Job):
    def Check(self, *args, **kwargs):
        pass

    def Run(self, *args, **kwargs):
        pass


class TurnOnTV(Job):
    DEPS = (FindTVRemote,)

    def Check(self, *args, **kwargs):
        if kwargs["battery_state"] != "charged":
            raise RuntimeError("Remote batteries are dead.")

    def Run(self, *args, **kwargs):
        pass  # take the batteries out and put them back; it rarely helps


class ValidateMovie(Job):
    def Check(self, *args, **kwargs):
        if kwargs["movie"] not in MOVIES:
            raise RuntimeError(f"{kwargs['movie']} is not on the shelf.")

    def Run(self, *args, **kwargs):
        pass


class PickTimeAndDate(Job):
    """Shares its choice with later Jobs through global storage."""

    def Check(self, *args, **kwargs):
        if not self.global_storage.get("start"):
            raise RuntimeError("No time picked yet.")

    def Run(self, *args, **kwargs):
        self.global_storage["start"] = "Friday 20:00"


class DetermineDetails(DummyJob):
    DEPS = (ValidateMovie, PickTimeAndDate)


class InviteFriends(DummyJob):
    DEPS = [DetermineDetails]  # grows: invite_friends() adds a Job per friend


class SendInvite(Job):
    """A template: invite_friends() makes one Job class per friend from it."""

    DEPS = (DetermineDetails,)
    NAME = None
    EMAIL = None

    def Check(self, *args, **kwargs):
        if self.EMAIL not in self.global_storage.get("invited", ()):
            raise RuntimeError(f"{self.NAME} is not invited yet.")

    def Run(self, *args, **kwargs):
        message = f"Come and watch {kwargs['movie']} at {self.global_storage['start']}!"
        self.global_storage.setdefault("invited", {})[self.EMAIL] = message


def invite_friends(people):
    for person in people:
        job = type(f"Invite {person['name']}", (SendInvite,), {})
        job.NAME, job.EMAIL = person["name"], person["email"]
        InviteFriends.DEPS.append(job)


class FriendsArrive(Job):
    DEPS = (InviteFriends,)

    def Check(self, *args, **kwargs):
        pass

    def Run(self, *args, **kwargs):
        pass


class InsertDVD(Job):
    DEPS = (ValidateMovie,)

    def Check(self, *args, **kwargs):
        if not self.global_storage.get("dvd_in"):
            raise RuntimeError("The tray is empty.")

    def Run(self, *args, **kwargs):
        self.global_storage["dvd_in"] = True

    def Cleanup(self):
        done(self)  # put the case back on the shelf


class SitOnCouch(Job):
    DEPS = (PrepareRoom,)

    def Check(self, *args, **kwargs):
        if not kwargs["couch_space"]:
            raise RuntimeError("No space on couch.")

    def Run(self, *args, **kwargs):
        pass


class PopcornBowl(Job):
    """The dishwasher needs a while: six tries, at least a millisecond apart."""

    TRIES = 6
    RETRY_DELAY = 0.001

    def Check(self, *args, **kwargs):
        if self.global_storage.get("bowl_waits", 0) < self.TRIES:
            raise RuntimeError("Dishwasher cycle not done yet.")

    def Run(self, *args, **kwargs):
        self.global_storage["bowl_waits"] = self.global_storage.get("bowl_waits", 0) + 1


class Popcorn(Job):
    DEPS = (PopcornBowl,)
    TRIES = 3

    def Check(self, *args, **kwargs):
        if self.global_storage.get("pops", 0) < self.TRIES:
            raise RuntimeError("Still popping...")

    def Run(self, *args, **kwargs):
        self.global_storage["pops"] = self.global_storage.get("pops", 0) + 1

    def Cleanup(self):
        done(self)  # unplug the popper


class Pizza(RunonlyJob):
    TRIES = 3

    def Run(self, *args, **kwargs):
        self.global_storage["pizza_calls"] = self.global_storage.get("pizza_calls", 0) + 1
        if self.global_storage["pizza_calls"] < self.TRIES:
            raise RuntimeError("Giordano's did not arrive yet.")


class Food(DummyJob):
    DEPS = (Popcorn, Pizza)


class StartMovie(Job):
    DEPS = (FriendsArrive, PrepareRoom, TurnOnTV, InsertDVD, SitOnCouch, Food)

    def Check(self, *args, **kwargs):
        if not self.global_storage.get("playing"):
            raise RuntimeError("Not playing yet.")

    def Run(self, *args, **kwargs):
        self.global_storage["playing"] = True


class WatchMovie(DummyJob):
    DEPS = (StartMovie,)


def parse(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--no-act", action="store_true", help="Checks only; change nothing.")
    parser.add_argument("-v", "--verbose", action="store_true", help="A line per phase.")
    parser.add_argument("-d", "--debug", action="store_true", help="Tracebacks of failures too.")
    parser.add_argument("--movie", default=MOVIES[0], help="What to watch.")
    parser.add_argument("--battery-state", default="dead", help="'charged' makes the TV work.")
    parser.add_argument("--couch-space", action="store_true", help="There is room to sit.")
    parser.add_argument("--picture", metavar="FILE", help="Write the graph (png, svg, dot…).")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse(argv)
    invite_friends(
        [
            {"name": "Wendell Bagg", "email": "bagg@example.com"},
            {"name": "Lawyer Cat", "email": "lawyercat@example.com"},
        ]
    )
    dojob = DoJobber()
    dojob.configure(
        WatchMovie, no_act=args.no_act, verbose=args.verbose, debug=args.debug,
        default_retry_delay=0,
    )  # fmt: skip
    dojob.set_args(movie=args.movie, battery_state=args.battery_state, couch_space=args.couch_space)
    dojob.checknrun()
    if args.picture:
        with open(args.picture, "wb") as picture:
            dojob.write_graph(picture, args.picture.rsplit(".", 1)[-1])
    print(json.dumps(dojob.nodestatus))
    return 0 if dojob.success() else 1


if __name__ == "__main__":
    sys.exit(main())
