"""What posting a job gives back (:class:`PostedJob`), and the door ``Task.post`` goes
through to reach the posting code.

The registry sits below posting (posting finds tasks in it), so ``Task.post`` and
``Task.post_many`` (JobMaster's spelling) cannot import :mod:`jobsmith.queue.posting`:
they call the :class:`Poster` that posting installs here when it is imported (importing
anything from ``jobsmith.queue`` imports it).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from jobsmith.errors import JobsmithError
from jobsmith.settings import resolve_settings
from jobsmith.store import Store
from jobsmith.store.shared import shared_stores

__all__ = [
    "PostedJob",
    "Poster",
    "given_or_configured",
    "install_poster",
    "poster",
    "settings_store",
]


@dataclass(frozen=True, slots=True)
class PostedJob:
    """A queued job: ``created`` is False when an identical active job was returned."""

    id: int
    name: str
    arguments: dict[str, Any]
    priority: int
    status: str
    created: bool
    store: Store | None = field(default=None, repr=False, compare=False)

    def cancel(self) -> str:
        """Cancel this job (see :func:`jobsmith.queue.controls.cancel`)."""
        with given_or_configured(self.store) as store:
            return store.jobs.cancel(self.id)

    def retry(self) -> str:
        """Run this failed or cancelled job again (see :func:`~jobsmith.queue.controls.retry`)."""
        with given_or_configured(self.store) as store:
            return store.controls.retry(self.id)


@contextmanager
def given_or_configured(store: Store | None) -> Iterator[Store]:
    """The store given, else the one the settings name (a call without a store is an
    edge), borrowed from the process's shared stores for this call."""
    if store is not None:
        yield store
        return
    with settings_store() as borrowed:
        yield borrowed


@contextmanager
def settings_store() -> Iterator[Store]:
    """The store the settings name (:func:`~jobsmith.settings.resolve_settings`: this is
    an edge), borrowed from :data:`~jobsmith.store.shared.shared_stores`."""
    settings = resolve_settings()
    with shared_stores.borrow(settings.store_url, settings.schema) as store:
        yield store


class Poster(Protocol):
    """Queues jobs of registered tasks: what :mod:`jobsmith.queue.posting` provides."""

    def post(
        self,
        task: Any,
        arguments: Mapping[str, Any] | None = None,
        /,
        *,
        priority: int | None = None,
        store: Store | None = None,
        unique: bool | None = None,
        queue: str | None = None,
        run_after: datetime | None = None,
        unique_key: str | None = None,
        unique_for: float | timedelta | None = None,
        connection: Any = None,
    ) -> PostedJob: ...

    def post_many(
        self,
        jobs: Iterable[tuple[Any, Mapping[str, Any] | None]],
        *,
        priority: int | None = None,
        store: Store | None = None,
        unique: bool | None = None,
    ) -> list[PostedJob]: ...


_poster: Poster | None = None


def install_poster(chosen: Poster) -> None:
    """Make ``chosen`` the poster ``Task.post`` uses (posting does this on import)."""
    global _poster
    _poster = chosen


def poster() -> Poster:
    """The installed poster; a clear error if posting was never imported."""
    if _poster is None:
        raise JobsmithError(
            "posting is not loaded: import jobsmith.queue (or jobsmith) before posting a task"
        )
    return _poster
