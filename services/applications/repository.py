"""Every query of the applications service."""

from __future__ import annotations

from sqlalchemy import func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.applications.models import Application, Document, LicenseView, TimelineEntry
from services.contracts.applications import FINAL_STATUSES


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


async def documents(session: AsyncSession, application_id: str, *, current_only: bool = False
                    ) -> list[Document]:
    query = select(Document).where(Document.application_id == application_id)
    if current_only:
        query = query.where(col(Document.current).is_(True))
    rows = await session.exec(query.order_by(col(Document.uploaded_at), col(Document.id)))
    return list(rows.all())


async def document(session: AsyncSession, application_id: str, document_id: str
                   ) -> Document | None:
    doc = await session.get(Document, document_id)
    return doc if doc is not None and doc.application_id == application_id else None


async def visible(session: AsyncSession, *, national_code: str | None, county: str | None,
                  limit: int, offset: int) -> list[Application]:
    query = select(Application)
    if national_code is not None:
        # their own cases, and transfers that name them as the new holder
        query = query.where(or_(col(Application.national_code) == national_code,
                                col(Application.new_holder_national_code) == national_code))
    if county is not None:
        query = query.where(Application.county == county)
    rows = await session.exec(
        query.order_by(col(Application.created_at).desc()).offset(offset).limit(limit)
    )
    return list(rows.all())


async def license_view(session: AsyncSession, number: str) -> LicenseView | None:
    return await session.get(LicenseView, number)


async def open_case_for_license(session: AsyncSession, number: str, kind: str) -> bool:
    row = await session.exec(
        select(Application.id).where(
            Application.license_number == number, Application.kind == kind,
            col(Application.status).not_in(FINAL_STATUSES),
            col(Application.withdrawal_requested_at).is_(None),
        )
    )
    return row.first() is not None


async def cases_by_kind_and_status(session: AsyncSession) -> list[tuple[str, str, int]]:
    rows = await session.exec(
        select(Application.kind, Application.status, func.count())
        .group_by(col(Application.kind), col(Application.status)))
    return [(kind, status, int(n)) for kind, status, n in rows.all()]
