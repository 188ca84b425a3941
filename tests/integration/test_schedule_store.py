"""The scheduler's store contract on SQLite and PostgreSQL: claims, fires, pauses, entries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from jobsmith.store import Store

T0 = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)


def claim(
    store: Store, planned: datetime, by: str = "a", kind: str = "scheduled", entry: int = 1
) -> int | None:
    with store.connector.transaction():
        store.schedules.lock_entry("main", entry)
        return store.schedules.claim(
            schedule="main", entry_id=entry, entry_name="test", planned_at=planned, kind=kind,
            state="starting", claimed_by=by, claimed_at=T0,
        )  # fmt: skip


def test_a_planned_fire_is_claimed_once(store: Store) -> None:
    first = claim(store, T0, "a")
    assert first is not None
    assert claim(store, T0, "b") is None
    assert claim(store, T0, "c", kind="catch-up") is None
    assert claim(store, T0 + timedelta(seconds=1), "b") is not None
    assert claim(store, T0, "b", entry=2) is not None  # another entry, same time
    fire = store.schedules.get(first)
    assert fire is not None and fire.claimed_by == "a" and fire.planned_at == T0


def test_manual_and_backfill_runs_may_repeat_a_trigger(store: Store) -> None:
    assert claim(store, T0, "a") is not None
    assert claim(store, T0, "me", kind="manual") is not None
    assert claim(store, T0, "me", kind="manual") is not None
    assert claim(store, T0, "me", kind="backfill") is not None
    kinds = sorted(f.kind for f in store.schedules.history("main", 1))
    assert kinds == ["backfill", "manual", "manual", "scheduled"]
    # only planned fires move the watermark
    assert store.schedules.watermarks("main") == {1: T0}


def test_fires_move_on_and_keep_what_is_not_given(store: Store) -> None:
    fire_id = claim(store, T0)
    assert fire_id is not None
    store.schedules.update(fire_id, "running", started_at=T0, run_id=42, log_path="/tmp/x.log")
    store.schedules.update(fire_id, "ran", ended_at=T0 + timedelta(seconds=3), status="Completed")
    fire = store.schedules.get(fire_id)
    assert fire is not None
    assert (fire.state, fire.run_id, fire.status, fire.log_path) == (
        "ran",
        42,
        "Completed",
        "/tmp/x.log",
    )
    assert fire.started_at == T0 and fire.ended_at == T0 + timedelta(seconds=3)
    assert store.schedules.open_fires("main", 1) == []


def test_open_fires_and_taking_a_buffered_one(store: Store) -> None:
    running = claim(store, T0)
    buffered = claim(store, T0 + timedelta(minutes=1))
    assert running is not None and buffered is not None
    store.schedules.update(running, "running")
    store.schedules.update(buffered, "buffered")
    assert [f.state for f in store.schedules.open_fires("main", 1)] == ["running", "buffered"]
    assert store.schedules.buffered_entries("main") == [1]
    taken = store.schedules.take(
        buffered, from_state="buffered", from_owner="a", state="starting", owner="b"
    )
    assert taken is not None and taken.claimed_by == "b" and taken.state == "starting"
    again = store.schedules.take(
        buffered, from_state="buffered", from_owner="a", state="starting", owner="c"
    )
    assert again is None


def test_fires_of_dead_schedulers_are_found(store: Store) -> None:
    now = T0 + timedelta(minutes=10)
    store.schedules.register_instance("alive", "main", "host", 1, now)
    store.schedules.register_instance("dead", "main", "host", 2, T0)
    store.schedules.register_instance("stopped", "main", "host", 3, now)
    store.schedules.stop_instance("stopped", now)
    mine = claim(store, T0, "alive")
    theirs = claim(store, T0 + timedelta(seconds=1), "dead")
    gone = claim(store, T0 + timedelta(seconds=2), "stopped")
    unknown = claim(store, T0 + timedelta(seconds=3), "never-registered")
    queued = claim(store, T0 + timedelta(seconds=4), "dead")
    assert queued is not None
    store.schedules.update(queued, "running", job_id="77")  # the queue looks after it
    orphans = store.schedules.orphaned("main", dead_before=now - timedelta(seconds=30))
    assert sorted(f.id for f in orphans) == sorted([theirs, gone, unknown])
    assert mine not in [f.id for f in orphans]
    live = store.schedules.live_instances("main", since=now - timedelta(seconds=30))
    assert [i.id for i in live] == ["alive"]
    store.schedules.heartbeat("dead", now)
    assert sorted(i.id for i in store.schedules.live_instances("main", since=now)) == [
        "alive",
        "dead",
    ]


def test_pause_and_resume(store: Store) -> None:
    store.schedules.pause("main", 3, "ann", T0)
    store.schedules.pause("main", 3, "bob", T0 + timedelta(hours=1))  # already paused: kept
    assert store.schedules.paused("main") == {3: (T0, "ann")}
    assert store.schedules.paused("other") == {}
    assert store.schedules.resume("main", 3) is True
    assert store.schedules.resume("main", 3) is False
    assert store.schedules.paused("main") == {}


def test_entries_kept_in_the_store_and_their_version(store: Store) -> None:
    assert store.schedules.version("main") == 0
    entry = {
        "id": 0, "name": "test", "description": "Test Job", "environment": "python",
        "file": "/srv/jobs/0/job.py", "month_day": "*", "week_day": "*", "hour": "8",
        "minute": "0", "second": "0", "parameters": "", "status": "N",
    }  # fmt: skip
    store.schedules.save_entry("main", entry, T0)
    store.schedules.save_entry("main", {**entry, "id": 1, "cron": "0 8 * * 1-5"}, T0)
    store.schedules.save_entry("main", {**entry, "status": "Y"}, T0)  # replace
    assert store.schedules.version("main") == 3
    rows = store.schedules.entries("main")
    assert [(r["id"], r["status"], r["cron"]) for r in rows] == [
        (0, "Y", None),
        (1, "N", "0 8 * * 1-5"),
    ]
    assert store.schedules.entries("other") == []
    assert store.schedules.delete_entry("main", 1) is True
    assert store.schedules.delete_entry("main", 1) is False
    assert store.schedules.version("main") == 4
    assert [r["id"] for r in store.schedules.entries("main")] == [0]


def test_history_is_newest_first_and_limited(store: Store) -> None:
    for minute in range(5):
        claim(store, T0 + timedelta(minutes=minute))
    history = store.schedules.history("main", 1, limit=3)
    assert [f.planned_at.minute for f in history] == [4, 3, 2]
