"""robojob tutorial, "Failure": a task raises; the job fails and re-raises at the end."""

import logging

import jobsmith

logging.basicConfig(level="INFO", format="[%(levelname)s] %(message)s")


def fail():
    print(1 / 0)


with jobsmith.go("hello") as ctx:
    ctx.execute(fail)
