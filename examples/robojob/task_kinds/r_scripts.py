import logging

import jobsmith

logging.basicConfig(level="INFO", format="[%(levelname)s] %(message)s")

with jobsmith.go(job_name="hello") as ctx:
    ctx["first parameter"] = "apples"
    ctx["second_parameter"] = "pears"
    ctx.execute_r("DoStuff.R")
    ctx.execute_r("DoStuff.R", "DoMoreStuff.R")
