"""Posting jobs from anywhere: by task, by name, many at once, atomically with your writes.

Run it in this folder: `python posting.py`, then `jobsmith worker -m nice_tasks --burst`.
"""

from nice_tasks import foo

import jobsmith
from jobsmith import post, post_many
from jobsmith.store import open_store

store = open_store()  # JOBSMITH_STORE, jobsmith.yml, or .jobsmith/jobsmith.db

job = foo.post(file_path="/tmp/jobsmith-example.txt", number=1, store=store)
print(f"posted job {job.id}: {job.name} {job.arguments}")

again = post("nice_tasks.foo", {"file_path": "/tmp/jobsmith-example.txt", "number": 1}, store=store)
print(f"identical job: {again.id} (created={again.created})")  # the waiting one comes back

# Not unique: queued beside its twin, and the post is a bare INSERT (no dedupe probe).
twin = post("nice_tasks.foo", again.arguments, store=store, unique=False)
print(f"not unique: job {twin.id} (created={twin.created})")

jobs = post_many([("nice_tasks.fan", {"a": a, "b": 1}) for a in range(3)], priority=9, store=store)
print(f"posted {len(jobs)} jobs in one transaction")

# Posting joins an outer transaction: the job exists only if everything commits.
with store.connector.transaction():
    post("nice_tasks.foo", {"file_path": "/tmp/jobsmith-example.txt", "number": 2}, store=store)

try:
    post("nice_tasks.foo", {"file_path": "/tmp/x", "number": "two"}, store=store)
except jobsmith.JobsmithError as error:
    print(f"refused: {error}")
