"""Cancel a flow job while one of its tasks runs: that task is reverted first, as a failed
task is (its revert gets the failure as its result), then the completed ones, newest
first; the flow ends cancelled.

Run it in this folder: `python cancel_flow.py` (or `jobsmith cancel ID` from elsewhere).
"""

import threading
import time

from slowflows import order_flow

from jobsmith import Worker, post_job
from jobsmith.store import open_store

store = open_store()
job = post_job(order_flow, store={"order": 7}, backend=store)
flow_id = f"job:{job.id}"
worker = Worker(store, burst=True, cancel_grace=0.1)
thread = threading.Thread(target=worker.run)
thread.start()
while (state := store.flows.get(flow_id)) is None or state.current != "ship":
    time.sleep(0.05)
print(f"cancel: {job.cancel()}", flush=True)
thread.join()

state = store.flows.get(flow_id)
print(f"flow {state.status}: {state.error}")
print([(t.name, t.state) for t in store.flows.tasks(flow_id)])
