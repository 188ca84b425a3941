"""robojob tutorial: a task that runs only when the job fails."""

import logging

import jobsmith

logging.basicConfig(level="INFO", format="[%(levelname)s] %(message)s")


def fail():
    print(1 / 0)


def handle_error():
    print("Job failed")


with jobsmith.go("hello") as ctx:
    ctx.add_error_handler(handle_error)
    ctx.execute(fail)
