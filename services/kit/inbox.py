"""Idempotent consumers: a handled message_id is recorded with the handler's effect."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index
from sqlmodel import Field, SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.kit.db import UTCDateTime, utcnow


class InboxMessage(SQLModel, table=True):
    __tablename__ = "inbox"
    # retention prunes the inbox by age
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
