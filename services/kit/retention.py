"""Retention: every so often, remove what a service keeps only for a while (published outbox
rows, handled message ids, and whatever rules the service adds), in short batches.

Each batch is its own transaction of at most RETENTION_BATCH rows, so a run never holds a
lock for long, even over a large backlog; a run goes on until a batch comes back short.
Several replicas may prune the same tables: a row is removed once, the others find less."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from sqlmodel.ext.asyncio.session import AsyncSession

from services.kit import inbox, outbox
from services.kit.db import Database, utcnow
from services.kit.loop import LoopOwner, PollingLoop
from services.kit.metrics import KitMetrics

log = logging.getLogger(__name__)


class Prune(Protocol):
    async def __call__(self, session: AsyncSession, *, before: dt.datetime, now: dt.datetime,
                       limit: int) -> int:
        """Remove (or empty) up to ``limit`` rows whose keep period ended at ``before``;
        return how many. ``now`` is the run's time, for a row to record when it was pruned.
        The caller commits."""
        ...


@dataclass(frozen=True)
class PruneRule:
    table: str  # what pishkhan_retention_pruned_total counts it under
    keep: dt.timedelta
    prune: Prune


def kit_rules(settings: Any) -> list[PruneRule]:
    """The rules of every service with an outbox and an inbox."""

    async def published(session: AsyncSession, *, before: dt.datetime, now: dt.datetime,
                        limit: int) -> int:
        return await outbox.prune_published(session, before=before, limit=limit)

    async def received(session: AsyncSession, *, before: dt.datetime, now: dt.datetime,
                       limit: int) -> int:
        return await inbox.prune_received(session, before=before, limit=limit)

    return [
        PruneRule("outbox", dt.timedelta(hours=settings.outbox_keep_hours), published),
        PruneRule("inbox", dt.timedelta(days=settings.inbox_keep_days), received),
    ]


class Retention(LoopOwner):
    def __init__(self, db: Database, metrics: KitMetrics, *, every_seconds: float, batch: int,
                 rules: Iterable[PruneRule] = ()) -> None:
        self.db = db
        self.metrics = metrics
        self.every_seconds = every_seconds
        self.batch = batch
        self.rules: list[PruneRule] = []
        self.last_run: float | None = None  # when a run last finished with every rule done
        for rule in rules:
            self.add(rule)
        self._loop = PollingLoop("retention", self._pass, poll_seconds=every_seconds)

    def add(self, rule: PruneRule) -> None:
        """A service's own rule, run after the kit's."""
        self.rules.append(rule)
        # the series exists from the start, so increase() sees the first rows pruned
        self.metrics.retention_pruned.labels(rule.table)

    def start(self) -> None:
        self.metrics.retention_period.set(self.every_seconds)
        # A fresh process counts from its start: the alert on runs that stopped should not
        # take a process still in its first run (or not yet at it) for one that never ran.
        if self.last_run is None:
            self.metrics.retention_last_run.set(time.time())
        super().start()

    async def _pass(self) -> bool:
        await self.run_once()
        return False  # the next run is a period away; a run finishes its own backlog

    async def run_once(self, now: dt.datetime | None = None) -> dict[str, int]:
        """Prune by every rule as of ``now``; return how many rows each touched. A rule
        that fails is logged and the others still run; the run then does not count as
        done (the last-run gauge keeps its time)."""
        now = now or utcnow()
        pruned: dict[str, int] = {}
        done = True
        for rule in self.rules:
            try:
                pruned[rule.table] = await self._prune(rule, now)
            except Exception:
                log.exception("retention of %s failed", rule.table)
                done = False
        if done:
            self.last_run = time.time()
            self.metrics.retention_last_run.set(self.last_run)
        touched = {table: count for table, count in pruned.items() if count}
        if touched:
            log.info("retention pruned %s", ", ".join(f"{n} {t}" for t, n in touched.items()))
        return pruned

    async def _prune(self, rule: PruneRule, now: dt.datetime) -> int:
        before = now - rule.keep
        total = 0
        while True:
            async with self.db.sessionmaker() as session:
                count = await rule.prune(session, before=before, now=now, limit=self.batch)
                await session.commit()
            total += count
            if count:
                self.metrics.retention_pruned.labels(rule.table).inc(count)
            if count < self.batch:
                return total
            await asyncio.sleep(0)  # let this process's requests and handlers in between
