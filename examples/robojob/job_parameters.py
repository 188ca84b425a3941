"""robojob tutorial, "Parameters": defined on the job, in go(), bound to every task."""

import logging

import jobsmith

logging.basicConfig(level="DEBUG", format="[%(levelname)s] %(message)s")


def greet(name):
    print(f"Hello, {name}!")


with jobsmith.go("hello") as ctx:
    ctx["name"] = "world"
    ctx.execute(greet)

with jobsmith.go("hello", parameters={"name": "world"}) as ctx:
    ctx.execute(greet)
