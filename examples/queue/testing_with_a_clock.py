"""Testing tasks with jobsmith.testing.harness: the real worker on a clock moved by hand.

Run it: `python testing_with_a_clock.py` (or as a pytest test: `pytest testing_with_a_clock.py`).
"""

from datetime import timedelta

from jobsmith import task
from jobsmith.testing import harness

calls = []


@task(type_key="billing", retries=3, retry_delay=60, retry_backoff=2)
def charge(order: int) -> None:
    calls.append(order)
    if len(calls) < 3:
        raise ConnectionError("payment service unavailable")


def test_charge_is_retried_with_backoff() -> None:
    with harness() as h:  # a temporary SQLite store, a ManualClock at the current time
        job = h.post("billing.charge", {"order": 7})
        h.run_until_idle()  # the first attempt fails: a retry in 60 s
        assert h.job(job.id).status == "waiting"
        h.advance(seconds=60)
        h.run_until_idle()  # fails again: a retry in 120 s
        h.advance(timedelta(minutes=2))
        h.run_until_idle()
        assert [run.status for run in h.attempts(job.id)] == ["Failed", "Failed", "Completed"]
        print(
            "attempts:", [f"{run.started_at:%H:%M:%S} {run.status}" for run in h.attempts(job.id)]
        )


if __name__ == "__main__":
    test_charge_is_retried_with_backoff()
    print("ok")
