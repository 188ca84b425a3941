"""robojob tutorial, "Failure": a task asks for a parameter nobody defined."""

import logging

import jobsmith

logging.basicConfig(level="INFO", format="[%(levelname)s] %(message)s")


def greet(name):
    print(f"Hello, {name}!")


with jobsmith.go("hello") as ctx:
    ctx.execute(greet)
