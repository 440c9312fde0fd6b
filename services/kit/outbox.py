"""Transactional outbox: the state change and its events commit together; a relay
publishes them with publisher confirms and only then marks them sent."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from typing import TYPE_CHECKING

from sqlalchemy import Column, Index, Text, delete, func
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.contracts.envelope import Envelope, Message
from services.kit.db import Database, UTCDateTime, utcnow
from services.kit.loop import LoopOwner, PollingLoop
from services.kit.metrics import KitMetrics

if TYPE_CHECKING:
    from services.kit.bus import Bus

log = logging.getLogger(__name__)


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "sent_at", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    message_id: str = Field(unique=True, max_length=200)
    routing_key: str = Field(max_length=200)
    correlation_id: str = Field(max_length=200)
    envelope: str = Field(sa_column=Column(Text, nullable=False))
    mandatory: bool = False
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=1000)


def stage(session: AsyncSession, envelope: Envelope, message: Message | None = None) -> None:
    """Add an outgoing message to the session's transaction."""
    mandatory = message is not None and message.KIND == "command"
    session.add(
        OutboxMessage(
            message_id=envelope.message_id,
            routing_key=envelope.type,
            correlation_id=envelope.correlation_id,
            envelope=envelope.model_dump_json(),
            mandatory=mandatory,
        )
    )


async def prune_published(session: AsyncSession, *, before: dt.datetime, limit: int) -> int:
    """Delete up to ``limit`` rows published before ``before``; never one still waiting to be
    published. The caller commits. Once sent, a row is only a record: the broker has it."""
    batch = (
        select(OutboxMessage.id)
        .where(col(OutboxMessage.sent_at).is_not(None), col(OutboxMessage.sent_at) < before)
        .order_by(col(OutboxMessage.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    result = await session.execute(
        delete(OutboxMessage)
        .where(col(OutboxMessage.id).in_(batch.scalar_subquery()))
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


class OutboxRelay(LoopOwner):
    def __init__(self, db: Database, bus: Bus, metrics: KitMetrics, *, poll_seconds: float,
                 batch: int) -> None:
        self.db = db
        self.bus = bus
        self.metrics = metrics
        self.poll_seconds = poll_seconds
        self.batch = batch
        self._loop = PollingLoop("outbox-relay", self._pass, poll_seconds=poll_seconds)

    async def _pass(self) -> bool:
        return await self.flush() >= self.batch

    async def flush(self) -> int:
        """Publish pending rows in order; stop at the first failure so order holds."""
        published = 0
        async with self.db.sessionmaker() as session:
            rows = (
                await session.exec(
                    select(OutboxMessage)
                    .where(col(OutboxMessage.sent_at).is_(None))
                    .order_by(col(OutboxMessage.id))
                    .limit(self.batch)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            for row in rows:
                try:
                    await self.bus.publish_json(
                        row.envelope,
                        routing_key=row.routing_key,
                        message_id=row.message_id,
                        correlation_id=row.correlation_id,
                        mandatory=row.mandatory,
                    )
                except Exception as exc:
                    row.attempts += 1
                    row.last_error = repr(exc)[:1000]
                    self.metrics.outbox_failures.inc()
                    log.warning("outbox publish failed for %s: %r", row.message_id, exc)
                    break
                row.sent_at = utcnow()
                row.attempts += 1
                published += 1
                self.metrics.outbox_published.labels(row.routing_key).inc()
            await session.commit()
        await self.refresh_gauges()
        return published

    async def backlog(self) -> int:
        async with self.db.sessionmaker() as session:
            count = (await session.exec(
                select(func.count()).where(col(OutboxMessage.sent_at).is_(None)))).one()
        return int(count)

    async def drain(self, timeout_seconds: float) -> int:
        """Publish until nothing is left or the time is up; return what is left."""
        deadline = time.monotonic() + timeout_seconds
        while True:
            published = await self.flush()
            left = await self.backlog()
            if left == 0 or time.monotonic() > deadline:
                return left
            if published == 0:  # the broker is not taking them: give it a moment
                await asyncio.sleep(0.5)

    async def refresh_gauges(self) -> None:
        async with self.db.sessionmaker() as session:
            count, oldest = (
                await session.exec(
                    select(func.count(), func.min(OutboxMessage.created_at)).where(
                        col(OutboxMessage.sent_at).is_(None)
                    )
                )
            ).one()
        self.metrics.outbox_backlog.set(count)
        if oldest is None:
            self.metrics.outbox_oldest_age.set(0)
        else:
            oldest = UTCDateTime().process_result_value(oldest, None) if oldest.tzinfo is None else oldest
            self.metrics.outbox_oldest_age.set((utcnow() - oldest).total_seconds())
