"""robojob, "Leaving early": exit with a status that is not an error."""

import logging

import jobsmith

logging.basicConfig(level="DEBUG", format="[%(levelname)s] %(message)s")

files_to_process = []

with jobsmith.go(job_name="hello") as ctx:
    if not files_to_process:
        ctx.exit("Skipped")  # Nothing to do
    else:
        for _file in files_to_process:
            pass  # do things to files here
