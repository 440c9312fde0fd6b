"""A background task that does one pass of work when nudged, or else every so often; it
goes again at once while a pass reports a full batch. The outbox relay and the
notification dispatcher both run on it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


class PollingLoop:
    def __init__(self, name: str, step: Callable[[], Awaitable[bool]], *,
                 poll_seconds: float) -> None:
        """``step`` does one pass and returns True when more work is waiting."""
        self.name = name
        self.step = step
        self.poll_seconds = poll_seconds
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def nudge(self) -> None:
        """There is new work: do a pass now, not at the next poll."""
        self._wake.set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                more = await self.step()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("%s pass failed", self.name)
                more = False
            if more:
                continue
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll_seconds)
            except TimeoutError:
                pass


class LoopOwner:
    """Mixin for a component whose work runs on a :class:`PollingLoop` in ``self._loop``."""

    _loop: PollingLoop

    def nudge(self) -> None:
        """There is new work: do a pass now, not at the next poll."""
        self._loop.nudge()

    def start(self) -> None:
        self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()

    @property
    def running(self) -> bool:
        return self._loop.running
