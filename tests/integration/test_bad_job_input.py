"""Bad input to posting is refused before anything is queued, the same on both stores:
values JSON cannot hold, NaN and infinity, a priority that is not a number, and (SQL
procedure) null for a typed argument."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg
import pytest

from jobsmith.flow import LinearFlow
from jobsmith.queue import ArgumentError, Registry, Worker, post, post_job
from jobsmith.store import Store
from tests.conftest import StoreTarget

pytestmark = pytest.mark.timeout(60)

registry = Registry()
received: list[Any] = []


@registry.task(type_key="bad")
def keep(value, day: date | None = None, ratio: float = 1.0) -> None:  # type: ignore[no-untyped-def]
    received.append((value, day, ratio))


@registry.task(type_key="bad")
def typed(path: str, n: int = 0, note: str | None = None, anything=None) -> None: ...  # type: ignore[no-untyped-def]


@registry.task(type_key="bad")
def dated(day: date, until: date | None = None) -> None: ...


def empty_flow(*args: object, **kwargs: object) -> LinearFlow:
    """A flow factory for post_job (importable by name) that takes any arguments, so the
    tests below reach the check of their values (post_job checks they fit the factory)."""
    return LinearFlow("empty")


def test_a_value_json_cannot_hold_queues_nothing(store: Store) -> None:
    for value in (datetime(2024, 3, 1), Decimal("2.5"), {1, 2}, object()):
        with pytest.raises(
            ArgumentError, match=r"task bad\.keep: argument 'value' is .*, not a JSON value"
        ):
            keep.post(value=value, store=store)
    assert store.jobs.counts() == []


def test_nan_and_infinity_are_refused_with_the_same_error_on_both_stores(store: Store) -> None:
    messages = []
    for arguments in ({"value": float("nan")}, {"value": 1, "ratio": float("inf")}):
        with pytest.raises(ArgumentError) as caught:
            post(keep, arguments, store=store)
        messages.append(str(caught.value))
    assert messages == [
        "task bad.keep: argument 'value' is nan, not a JSON number (NaN and infinity have no "
        "JSON form)",
        "task bad.keep: argument 'ratio' is inf, not a JSON number (NaN and infinity have no "
        "JSON form)",
    ]
    assert store.jobs.counts() == []


def test_a_hinted_type_is_stored_as_json_and_received_as_itself(store: Store) -> None:
    received.clear()
    job = keep.post(value={"k": [1, None]}, day=date(2024, 3, 1), store=store)
    assert store.jobs.get(job.id).arguments == {
        "value": {"k": [1, None]},
        "day": "2024-03-01",
        "ratio": 1.0,
    }
    Worker(store, registry, burst=True, lease=5).run()
    assert received == [({"k": [1, None]}, date(2024, 3, 1), 1.0)]


def test_post_job_refuses_a_store_or_factory_argument_json_cannot_hold(store: Store) -> None:
    with pytest.raises(ArgumentError, match=r"argument 'store' at \['when'\] is datetime"):
        post_job(empty_flow, store={"when": datetime(2024, 3, 1)}, backend=store)
    with pytest.raises(ArgumentError, match=r"argument 'factory_args' at \[0\] is Decimal"):
        post_job(empty_flow, factory_args=(Decimal(1),), backend=store)
    with pytest.raises(ArgumentError, match=r"argument 'factory_kwargs' at \['n'\] is nan"):
        post_job(empty_flow, factory_kwargs={"n": float("nan")}, backend=store)
    assert store.jobs.counts() == []
    assert post_job(empty_flow, store={"when": "2024-03-01"}, backend=store).created


def test_a_priority_that_is_not_an_integer_is_refused(store: Store) -> None:
    for priority in ("high", 1.5, True):
        with pytest.raises(ArgumentError) as caught:
            keep.post(value=1, priority=priority, store=store)  # type: ignore[arg-type]
        assert str(caught.value) == (
            f"task bad.keep: priority is {priority!r}, expected an integer (higher runs first)"
        )
    assert store.jobs.counts() == []


def test_a_priority_the_store_cannot_hold_is_refused(store: Store) -> None:
    """Beyond 32 bits SQLite raised OverflowError and PostgreSQL 'integer out of range',
    each as a traceback of `jobsmith post --priority`."""
    for priority in (2**31, -(2**31) - 1, 10**20):
        with pytest.raises(ArgumentError) as caught:
            keep.post({"value": 1}, priority=priority, store=store)
        assert str(caught.value) == (
            f"task bad.keep: priority is {priority}, expected an integer from -2147483648 to "
            "2147483647"
        )
    assert store.jobs.counts() == []
    for priority in (2**31 - 1, -(2**31)):
        assert keep.post({"value": priority}, priority=priority, store=store).priority == priority


@pytest.mark.postgres
def test_the_sql_procedure_refuses_null_where_post_refuses_none(pg_target: StoreTarget) -> None:
    store = pg_target.open()
    store.jobs.publish([typed.definition()])
    call = f"CALL {pg_target.schema}.insert_job('bad', 'typed', 1, %s::json)"
    with psycopg.connect(pg_target.url, autocommit=True) as conn:
        for bad, name, kind in [
            ('{"path": null}', "path", "string"),
            ('{"path": "x", "n": null}', "n", "integer"),
        ]:
            with pytest.raises(psycopg.errors.InvalidParameterValue) as caught:
                conn.execute(call, (bad,))
            assert str(caught.value).splitlines()[0] == (
                f"task bad.typed: argument '{name}' is null, expected {kind}"
            )
            with pytest.raises(ArgumentError, match=f"argument '{name}' is None"):
                post(typed, {"path": "x", name: None}, store=store)
        # None where the hint allows it (Optional, untyped) is accepted by both.
        good = '{"path": "x", "note": null, "anything": null}'
        job_id = conn.execute(call, (good,)).fetchone()[0]
    assert store.jobs.get(job_id).arguments == {
        "path": "x",
        "n": 0,
        "note": None,
        "anything": None,
    }
    assert post(typed, {"path": "y", "note": None, "anything": None}, store=store).created
    store.close()


@pytest.mark.postgres
def test_the_sql_procedure_refuses_null_for_a_date_as_post_does(pg_target: StoreTarget) -> None:
    """A `date` (a hint with no JSON kind) was published as kind "any", for which the
    procedure accepted null: the worker then failed the job."""
    store = pg_target.open()
    store.jobs.publish([dated.definition()])
    call = f"CALL {pg_target.schema}.insert_job('bad', 'dated', 1, %s::json)"
    with psycopg.connect(pg_target.url, autocommit=True) as conn:
        with pytest.raises(psycopg.errors.InvalidParameterValue) as caught:
            conn.execute(call, ('{"day": null}',))
        assert str(caught.value).splitlines()[0] == (
            "task bad.dated: argument 'day' is null, expected a value (its type hint does not "
            "allow null)"
        )
        job_id = conn.execute(call, ('{"day": "2024-03-01", "until": null}',)).fetchone()[0]
    assert store.jobs.get(job_id).arguments == {"day": "2024-03-01", "until": None}
    with pytest.raises(ArgumentError, match="argument 'day' is None"):
        post(dated, {"day": None}, store=store)
    store.close()


def test_a_post_by_name_checked_against_the_definition_refuses_none_for_a_date(
    store: Store,
) -> None:
    """A process that never imported the task (``jobsmith post bad.dated day=null``) checks
    against the published definition, where a `date` is kind "any"."""
    store.jobs.publish([dated.definition()])
    with pytest.raises(ArgumentError) as caught:
        post("bad.dated", {"day": None}, store=store, registry=Registry())
    assert "argument 'day' is None" in str(caught.value)
    assert "does not allow None" in str(caught.value)
    assert store.jobs.counts() == []
    posted = post(
        "bad.dated", {"day": "2024-03-01", "until": None}, registry=Registry(), store=store
    )
    assert posted.arguments == {"day": "2024-03-01", "until": None}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"run_after": datetime(2030, 1, 1)},
            "run_after=datetime.datetime(2030, 1, 1, 0, 0): expected an aware datetime, e.g. "
            "datetime.now(UTC) + timedelta(minutes=5)",
        ),
        ({"run_after": "2030-01-01"}, "run_after='2030-01-01': expected an aware datetime"),
        ({"run_after": timedelta(minutes=5)}, "run_after=datetime.timedelta(seconds=300): "),
        ({"unique_key": "k", "unique_for": "1h"}, "unique_for='1h': expected seconds >= 0 or"),
        ({"unique_key": 5}, "unique_key=5: expected a text such as 'nightly-report'"),
        ({"unique_for": 3600}, "unique_for=3600: expected a unique_key beside it, e.g. "),
        ({"queue": 5}, "queue=5: expected a queue's name"),
        ({"unique": "no"}, "unique='no': expected True or False"),
    ],
)
def test_post_options_of_the_wrong_type_queue_nothing(
    store: Store, options: dict[str, object], message: str
) -> None:
    """A naive or text run_after, queue=5 and unique="no" were stored as given; a timedelta
    run_after and unique_for="1h" raised bare driver or ValueErrors."""
    with pytest.raises(ArgumentError) as caught:
        post(keep, {"value": 1}, store=store, **options)  # type: ignore[arg-type]
    assert str(caught.value).startswith(f"task bad.keep: {message}")
    assert store.jobs.counts() == []
    later = datetime.now(UTC) + timedelta(hours=1)
    assert post(keep, {"value": 1}, store=store, run_after=later, queue="").created
