"""robojob, "Returning values": pass the job context itself to a task."""

import logging
from datetime import date

import jobsmith

logging.basicConfig(level="DEBUG", format="[%(levelname)s] %(message)s")


def set_date(ctx):
    ctx["today"] = date.today()


with jobsmith.go(job_name="hello") as ctx:
    ctx.execute(set_date, ctx=ctx)
    print(ctx["today"])
