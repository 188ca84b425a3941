"""The robojob tutorial's job, on jobsmith: tasks, parameters, a failure handled, the run log.

Run it with `make demo`, or `python hello.py` in this folder; then `jobsmith runs`.
"""

import logging
from datetime import date

import jobsmith

logging.basicConfig(level="INFO", format="[%(levelname)s] %(message)s")


def greet(name, job_execution_id):
    print(f"Hello from job run {job_execution_id}, {name}!")


def set_date(ctx):
    ctx["today"] = date.today()


def report(today, environment_name, password):
    # `password` is masked as *** in the log and in the run log.
    print(f"Reporting for {today} in {environment_name}")


with jobsmith.go("hello", parameters={"name": "world", "password": "hunter2"}) as ctx:
    ctx.execute(greet)
    ctx.execute(set_date, ctx=ctx)
    ctx.execute(report)
