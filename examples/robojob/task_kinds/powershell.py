import logging

import jobsmith

logging.basicConfig(level="DEBUG", format="[%(levelname)s] %(message)s")

with jobsmith.go(job_name="hello") as ctx:
    ctx.execute_powershell("Greet.ps1")
