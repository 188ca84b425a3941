"""Each thread gets its own connection; threads that end do not leave connections behind."""

from __future__ import annotations

import os
import threading

from jobsmith.store import Store


def query_in_threads(store: Store, count: int) -> list[int]:
    seen: list[int] = []

    def work() -> None:
        row = store.connector.fetchone("SELECT 1 AS one")
        assert row is not None
        seen.append(row["one"])

    for _ in range(count):
        thread = threading.Thread(target=work)
        thread.start()
        thread.join()
    return seen


def test_connections_of_ended_threads_are_closed(store: Store) -> None:
    assert query_in_threads(store, 20) == [1] * 20
    store.connector.fetchone("SELECT 1 AS one")  # opening one more reaps the ended threads'
    assert len(store.connector._threads) <= 2  # the main thread's, and at most the last worker's


def test_a_forked_child_opens_its_own_connection(store: Store) -> None:
    store.connector.fetchone("SELECT 1 AS one")
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: must not use the parent's socket or file handle
        try:
            row = store.connector.fetchone("SELECT 2 AS two")
            os.write(write, b"ok" if row and row["two"] == 2 else b"bad")
        finally:
            os._exit(0)
    os.close(write)
    _, status = os.waitpid(pid, 0)
    assert os.read(read, 10) == b"ok" and status == 0
    assert store.connector.fetchone("SELECT 3 AS three")["three"] == 3  # the parent's still works


def test_a_thread_can_give_its_connection_back(store: Store) -> None:
    store.connector.fetchone("SELECT 1 AS one")
    assert len(store.connector._threads) == 1
    with store.connector.transaction():
        store.connector.release()  # inside a transaction: kept
        assert len(store.connector._threads) == 1
    store.connector.release()
    assert len(store.connector._threads) == 0
    assert store.connector.fetchone("SELECT 4 AS four")["four"] == 4  # opens a new one
    assert len(store.connector._threads) == 1
