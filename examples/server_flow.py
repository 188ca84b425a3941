"""A flow that undoes itself: create a volume and an instance, then attach them.

The seed's scenario (TaskFlow as jobrunner uses it): if attaching fails, the volume and
the instance are deleted again, newest first. The attach is flaky here; the flow retries
up to `--attempts` times, reverting between tries. Run it:

    python server_flow.py                 # attach fails twice, works on the third try
    python server_flow.py --attempts 2    # gives up: everything is reverted

Then `jobsmith runs show latest` lists every execution, including the reverted ones.
"""

import argparse
import itertools
import logging
import sys

from jobsmith.flow import GraphFlow, LinearFlow, Task, Times, run

log = logging.getLogger("server_flow")
ids = itertools.count(1)
flaky = {"failures_left": 2}


class CreateVolume(Task):
    default_provides = "volume"

    def execute(self, size_gb):
        volume = f"vol-{next(ids)}"
        log.info("created %s (%s GB)", volume, size_gb)
        return volume

    def revert(self, result, **kwargs):
        if isinstance(result, str):  # a Failure instead when this task itself failed
            log.info("deleted %s", result)


class CreateInstance(Task):
    default_provides = "instance"

    def execute(self, image):
        instance = f"i-{next(ids)}"
        log.info("started %s from %s", instance, image)
        return instance

    def revert(self, result, **kwargs):
        if isinstance(result, str):
            log.info("terminated %s", result)


class AttachVolume(Task):
    default_provides = "device"

    def execute(self, volume, instance, attempt):
        if flaky["failures_left"]:
            flaky["failures_left"] -= 1
            raise RuntimeError(f"{instance} is not ready yet (try {attempt})")
        log.info("attached %s to %s", volume, instance)
        return "/dev/xvdf"


def server_flow(attempts):
    """The flow factory: volume and instance in any order, then attach; retried as a whole."""
    resources = GraphFlow("resources").add(
        CreateVolume("create volume"), CreateInstance("create instance")
    )
    return LinearFlow("server", retry=Times(attempts, provides="attempt")).add(
        resources, AttachVolume("attach volume")
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, default=3)
    args = parser.parse_args(argv)
    logging.basicConfig(level="INFO", format="%(name)s: %(message)s")
    try:
        results = run(server_flow(args.attempts), store={"size_gb": 10, "image": "debian-13"})
    except RuntimeError as exc:
        log.error("gave up: %s", exc)
        return 1
    log.info("ready: %s", results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
