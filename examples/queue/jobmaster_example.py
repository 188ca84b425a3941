"""JobMaster's workflow: deploy, insert jobs, run the queue until it is empty.

Run it in this folder: `python jobmaster_example.py` (the store is JOBSMITH_STORE, or
.jobsmith/jobsmith.db here). Then `jobsmith show` lists what ran.
"""

import logging
import os
import tempfile

import nice_tasks  # noqa: F401  (registers foo, bar, baz and fan)

import jobsmith
from jobsmith import JobMaster

logging.basicConfig(level="INFO", format="[%(levelname)s] %(message)s")

# A URL or an SQLAlchemy engine; schema "jobmaster" unless told otherwise.
store_url = os.environ.get("JOBSMITH_STORE", "sqlite:///.jobsmith/jobsmith.db")
jobmaster = JobMaster(db_engine=store_url, schema=os.environ.get("JOBSMITH_SCHEMA", "jobmaster"))
jobmaster.deploy()

path = os.path.join(tempfile.mkdtemp(), "sum.txt")
# bar needs a foo job with the same file_path (foo needs a number: post one), and baz needs
# foo with number=10 and a bar with the same file_path: they wait, parked, as needed.
jobmaster.insert_job("nice_tasks", "foo", 10, {"file_path": path, "number": 10})
jobmaster.insert_job("nice_tasks", "bar", 5, {"file_path": path, "number": 1})
jobmaster.insert_job("nice_tasks", "baz", 1, {"file_path": path})
jobmaster.insert_job("nice_tasks", "fan", 1, {"a": 7, "b": "ALL"})  # one job per b

try:
    jobmaster.insert_job("nice_tasks", "bar", 1, {"file_path": path, "number": 1, "letter": "Z"})
except jobsmith.JobsmithError as error:
    print(f"refused: {error}")  # nothing was queued

jobs = jobmaster.run()  # the jobs it ran, in the order they ended; jobs.stats: the worker's
print("ran:", ", ".join(f"{job.name} {job.status}" for job in jobs))
with open(path) as f:
    print(f"{jobs.stats.completed} jobs completed; {path} holds {f.read()!r}")
