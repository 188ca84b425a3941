"""``async def`` tasks: one event loop per worker, in a thread of its own.

A slot that takes an async job hands the coroutine to the loop and waits for its result,
so the job keeps the slot (and the lease, the heartbeat, the process units) exactly as a
sync job does. A timeout or cancel interrupts the waiting slot (see
:mod:`jobsmith.queue.interrupt`); the slot then cancels the coroutine, which sees
``asyncio.CancelledError`` at its next ``await``. Many slots may wait on the one loop at
once, so async jobs of one worker run side by side.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Callable, Coroutine, Mapping
from concurrent.futures import Future
from typing import Any

STOP_WAIT = 5.0
POLL = 0.05
CANCEL_WAIT = 5.0


class EventLoopThread:
    """An asyncio loop running in a daemon thread, started on first use."""

    def __init__(self, name: str = "jobsmith-async") -> None:
        self.name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._thread is None or not self._thread.is_alive():
                self._loop = asyncio.new_event_loop()
                self._thread = threading.Thread(
                    target=self._loop.run_forever, name=self.name, daemon=True
                )
                self._thread.start()
            return self._loop

    def run(
        self,
        function: Callable[..., Coroutine[Any, Any, Any]],
        kwargs: Mapping[str, Any],
        context: contextvars.Context | None = None,
    ) -> Any:
        """Run ``function(**kwargs)`` on the loop and wait for it here; an exception
        raised in this thread while waiting cancels the coroutine, then goes on."""
        ctx = context or contextvars.copy_context()
        done = threading.Event()
        future: Future[Any] = asyncio.run_coroutine_threadsafe(
            _in_context(ctx, function, kwargs, done), self.loop()
        )
        try:
            while True:  # short waits: an interrupt reaches this thread only in Python code
                try:
                    return future.result(timeout=POLL)
                except TimeoutError:
                    continue
        except BaseException:
            future.cancel()
            done.wait(CANCEL_WAIT)  # let the coroutine run its except/finally blocks
            raise

    def close(self) -> None:
        """Stop the loop (coroutines still running are cancelled)."""
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join(STOP_WAIT)
        if not thread.is_alive():
            loop.close()


async def _in_context(
    ctx: contextvars.Context,
    function: Callable[..., Coroutine[Any, Any, Any]],
    kwargs: Mapping[str, Any],
    done: threading.Event,
) -> Any:
    """The coroutine, run in a task that carries the slot's context (current_job())."""
    task = asyncio.get_running_loop().create_task(function(**kwargs), context=ctx.copy())
    try:
        return await task
    except asyncio.CancelledError:
        task.cancel()
        await asyncio.wait([task])
        raise
    finally:
        done.set()


__all__ = ["EventLoopThread"]
