"""robojob tutorial, "Hello, world": one task, logging on."""

import logging

import jobsmith

logging.basicConfig(level="INFO", format="[%(levelname)s] %(message)s")


def greet(name):
    print(f"Hello, {name}!")


with jobsmith.go(job_name="hello") as ctx:
    ctx.execute(greet, name="world")
