"""Every query of the applications service."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.applications.models import Application, TimelineEntry


async def get(session: AsyncSession, application_id: str) -> Application | None:
    return await session.get(Application, application_id)


async def timeline(session: AsyncSession, application_id: str) -> list[TimelineEntry]:
    rows = await session.exec(
        select(TimelineEntry)
        .where(TimelineEntry.application_id == application_id)
        .order_by(col(TimelineEntry.seq))
    )
    return list(rows.all())


async def has_timeline_entry(session: AsyncSession, application_id: str, seq: int) -> bool:
    row = await session.exec(
        select(TimelineEntry.id).where(
            TimelineEntry.application_id == application_id, TimelineEntry.seq == seq
        )
    )
    return row.first() is not None


async def by_applicant(session: AsyncSession, national_code: str, *, limit: int, offset: int
                       ) -> list[Application]:
    rows = await session.exec(
        select(Application)
        .where(Application.national_code == national_code)
        .order_by(col(Application.created_at).desc())
        .offset(offset)
        .limit(limit)
    )
    return list(rows.all())
