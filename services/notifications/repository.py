"""Every query of the notifications service."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.notifications.models import Delivery


async def delivery_exists(session: AsyncSession, key: str, recipient_id: str, channel: str) -> bool:
    row = await session.exec(
        select(Delivery.id).where(
            Delivery.notification_key == key,
            Delivery.recipient_id == recipient_id,
            Delivery.channel == channel,
        )
    )
    return row.first() is not None


async def deliveries(session: AsyncSession, *, recipient_id: str, case_id: str | None,
                     limit: int, offset: int) -> list[Delivery]:
    query = select(Delivery).where(Delivery.recipient_id == recipient_id)
    if case_id:
        query = query.where(Delivery.case_id == case_id)
    query = query.order_by(col(Delivery.created_at), col(Delivery.id)).offset(offset).limit(limit)
    return list((await session.exec(query)).all())
