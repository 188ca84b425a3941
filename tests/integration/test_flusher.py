"""The worker's flusher (ended attempts recorded in the background) on both stores: what
waits for it is ended in one statement, in the order it came."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

from jobsmith.queue import post_many
from jobsmith.queue.flusher import Flusher
from jobsmith.states import JobState
from jobsmith.store import Store
from jobsmith.store.jobs import Ended, Outcome
from tests.integration import queue_tasks  # noqa: F401 (registers the qt.* tasks)
from tests.integration.worker_processes import wait_for


def test_the_flusher_ends_every_batch_waiting_for_it_in_one_statement(store: Store) -> None:
    post_many([("qt.record", {"path": "/dev/null", "n": n}) for n in range(3)], store=store)
    claimed = store.jobs.claim(worker="w", host="h", limit=3, system_units=10, lease=30)
    assert len(claimed) == 3
    now = time.time()
    first, second, third = ([Outcome(job, JobState.COMPLETED, now, now)] for job in claimed)
    statements: list[list[int]] = []
    held = threading.Event()
    end = store.jobs.end

    def spied_end(outcomes: Sequence[Outcome], run_log: dict[str, Any] | None) -> Ended:
        statements.append([o.job.id for o in outcomes])
        if len(statements) == 1:
            held.wait(30)  # the database is slow: two more batches come meanwhile
        return end(outcomes, run_log)

    store.jobs.end = spied_end  # type: ignore[method-assign]
    flushed: list[int] = []
    who = {"environment": "test", "executed_by": "tester", "host": "h", "pid": 1}
    flusher = Flusher(store, who, lambda outcomes, ended: flushed.extend(ended.ids))
    flusher.start()
    flusher.put(first)
    wait_for(lambda: len(statements) == 1, 10, "the first statement")
    flusher.put(second)
    flusher.put(third)
    held.set()
    flusher.close()
    ids = [job.id for job in claimed]
    assert statements == [ids[:1], ids[1:]]
    assert sorted(flushed) == ids
    assert {store.jobs.get(i).status for i in ids} == {"completed"}
