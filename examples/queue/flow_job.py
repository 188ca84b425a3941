"""Post a whole flow as a job, then run it on a worker (here, in this process).

Run it in this folder: `python flow_job.py`. On a real job board, workers elsewhere run
`jobsmith worker -m myflows`.
"""

import logging

from myflows import run_my_flow

from jobsmith import Worker
from jobsmith.store import open_store

logging.basicConfig(level="INFO", format="[%(levelname)s] %(message)s")

job = run_my_flow(attempts=3)
print(f"posted flow job {job.id} ({job.arguments['factory']})")

stats = Worker(open_store(), burst=True).run()
print(f"{stats.completed} job(s) completed")
