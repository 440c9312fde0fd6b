"""Idempotent consumers: a handled message_id is recorded with the handler's effect."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, delete, tuple_
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.kit.db import UTCDateTime, utcnow


class InboxMessage(SQLModel, table=True):
    __tablename__ = "inbox"
    __table_args__ = (Index("ix_inbox_received_at", "received_at"),)

    consumer: str = Field(primary_key=True, max_length=200)
    message_id: str = Field(primary_key=True, max_length=200)
    message_type: str = Field(max_length=200)
    received_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


async def claim(session: AsyncSession, consumer: str, message_id: str, message_type: str) -> bool:
    """Record the message in the current transaction; False when it was handled before.

    Two concurrent deliveries both pass the check, but the primary key lets only one
    commit; the other fails, is redelivered, and is then skipped here."""
    seen = await session.exec(
        select(InboxMessage.message_id).where(
            InboxMessage.consumer == consumer, InboxMessage.message_id == message_id
        )
    )
    if seen.first() is not None:
        return False
    session.add(InboxMessage(consumer=consumer, message_id=message_id, message_type=message_type))
    return True


async def prune_received(session: AsyncSession, *, before: dt.datetime, limit: int) -> int:
    """Forget up to ``limit`` message ids received before ``before``; the caller commits.

    A message redelivered after its id is forgotten would be handled again. The default
    keep period (INBOX_KEEP_DAYS, 30) is far past any redelivery we expect: the broker
    redelivers an unacknowledged message at once and dead-letters it after DELIVERY_LIMIT
    tries, and operators replay dead letters within days. A replay older than the period
    is handled again (deploy/runbooks/PishkhanDeadLettersGrowing.md says so)."""
    batch = (
        select(InboxMessage.consumer, InboxMessage.message_id)
        .where(col(InboxMessage.received_at) < before)
        .order_by(col(InboxMessage.received_at))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    result = await session.execute(
        delete(InboxMessage)
        .where(tuple_(col(InboxMessage.consumer), col(InboxMessage.message_id)).in_(batch))
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
