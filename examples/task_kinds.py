"""Task kinds without any server: an R script and commands, a failure handled; the run log.

Run it in this folder with `python task_kinds.py`, then `jobsmith runs show latest`.
Stored procedures and email need a database and an SMTP server: see docs/tasks.md.
"""

import logging
import sys

import jobsmith

logging.basicConfig(level="INFO", format="[%(levelname)s] %(message)s")

with jobsmith.go("task kinds", parameters={"name": "world", "greeting": "Hello"}) as ctx:
    ctx.execute_r("greet.R")  # runs: Rscript greet.R world Hello

    # A program with arguments (a list, never a shell); $name is filled from the parameters.
    show = "import sys; print('arguments:', sys.argv[1:])"
    result = ctx.execute_command([sys.executable, "-c", show, "$name", "plain"])
    print("the command printed:", result.output)

    # A non-zero exit fails the task with the exit code and the end of stderr.
    try:
        ctx.execute_command([sys.executable, "-c", "import sys; sys.exit('no data today')"])
    except jobsmith.ProcessError as error:
        print(f"failed as expected, exit code {error.exit_code}: {error.stderr_tail[-1]}")
