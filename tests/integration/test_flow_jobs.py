"""A whole flow as a job (jobrunner's post_job): a worker builds it and runs it."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobsmith import post_job
from jobsmith.errors import JobsmithError
from jobsmith.queue import Worker
from jobsmith.store import Store
from tests.integration.flow_crash import flaky_flow
from tests.integration.queue_flows import my_flow_factory
from tests.integration.queue_tasks import lines

pytestmark = pytest.mark.timeout(60)


def test_a_posted_flow_runs_on_a_worker_with_its_store_and_retries(
    store: Store, tmp_path: Path
) -> None:
    out = str(tmp_path / "flow")
    job = post_job(
        my_flow_factory, store={"path": out, "message": "hello"}, factory_args=(3,), backend=store
    )
    assert job.name == "jobsmith.flow"
    assert job.arguments["factory"] == "tests.integration.queue_flows:my_flow_factory"
    Worker(store, burst=True, lease=5).run()
    assert lines(out) == [
        "task_1: hello",
        "failed once",
        "reverted",
        "task_1: hello",
        "task_3: hello",
    ]
    assert store.jobs.get(job.id).status == "completed"
    flow_runs = [r for r in store.runs.recent(10) if r.kind == "flow"]
    assert [(r.job_name, r.status) for r in flow_runs] == [("flow_1", "Completed")]


def test_a_factory_workers_cannot_import_is_refused_when_posting(store: Store) -> None:
    def local_factory() -> None: ...

    with pytest.raises(JobsmithError, match="cannot be found by a worker"):
        post_job(local_factory, backend=store)


@pytest.mark.parametrize("retries", [0, 1])
def test_a_failed_flow_job_is_retried_by_the_queue_after_a_full_revert(
    store: Store, tmp_path: Path, retries: int
) -> None:
    out = str(tmp_path / "effects")
    job = post_job(flaky_flow, store={"path": out}, retries=retries, backend=store)
    Worker(store, burst=True, lease=5).run()
    first_try = ["execute task_1 attempt 1", "fail_first failed", "revert task_1 result 10"]
    stored = store.jobs.get(job.id)
    if retries:
        assert lines(out) == [*first_try, "execute task_1 attempt 1", "fail_first ok"]
        assert (stored.status, stored.attempts) == ("completed", 2)
    else:
        assert lines(out) == first_try
        assert (stored.status, stored.attempts) == ("failed", 1)
        assert "fails the first time" in (stored.error or "")


def test_post_job_refuses_bad_retries(store: Store) -> None:
    with pytest.raises(JobsmithError, match="retries must be a whole number >= 0, not -1"):
        post_job(flaky_flow, retries=-1, backend=store)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {},
            "post_job: the factory arguments do not fit my_flow_factory(attempts): missing a "
            "required argument: 'attempts'",
        ),
        (
            {"factory_args": (3,), "factory_kwargs": {"attemps": 3}},
            "post_job: the factory arguments do not fit my_flow_factory(attempts): got an "
            "unexpected keyword argument 'attemps'",
        ),
        ({"factory_args": (3,), "store": [1]}, "post_job: store must be a dict of the flow's"),
        ({"factory_args": "3"}, "post_job: factory_args must be a list or tuple of arguments"),
        ({"factory_args": (3,), "factory_kwargs": [1]}, "post_job: factory_kwargs must be a dict"),
    ],
)
def test_post_job_refuses_arguments_the_factory_cannot_take(
    store: Store, options: dict[str, object], message: str
) -> None:
    """These were posted, and failed on the worker (TypeError: missing 1 required positional
    argument), or raised a bare TypeError from dict()."""
    with pytest.raises(JobsmithError) as caught:
        post_job(my_flow_factory, backend=store, **options)  # type: ignore[arg-type]
    assert str(caught.value).startswith(message) and "\n" not in str(caught.value)
    assert store.jobs.counts() == []  # nothing was queued
