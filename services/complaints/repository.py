"""Every query of the complaints service."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import case, delete, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.complaints.models import (
    Attachment,
    Complaint,
    LicenseView,
    LookupFailure,
    Rating,
    TimelineEntry,
)

# the complaint is no longer being worked on
SETTLED_STATUSES = ("resolved", "rejected", "merged", "closed")


async def get(session: AsyncSession, complaint_id: str) -> Complaint | None:
    return await session.get(Complaint, complaint_id)


async def get_for_update(session: AsyncSession, complaint_id: str) -> Complaint | None:
    """The complaint, locked until the transaction ends (on PostgreSQL; SQLite serialises
    writers anyway): two steps of one complaint handled at once must not overwrite each
    other's status."""
    return await session.get(Complaint, complaint_id, with_for_update=True)


async def by_tracking_code(session: AsyncSession, tracking_code: str) -> Complaint | None:
    rows = await session.exec(select(Complaint).where(Complaint.tracking_code == tracking_code))
    return rows.first()


async def tracking_code_taken(session: AsyncSession, tracking_code: str) -> bool:
    rows = await session.exec(
        select(Complaint.id).where(Complaint.tracking_code == tracking_code))
    return rows.first() is not None


async def filed_since(session: AsyncSession, since: dt.datetime, *, mobile: str | None = None,
                      client_address: str | None = None) -> list[dt.datetime]:
    """When the complaints from this mobile (or web complaints from this address) filed
    since ``since`` were filed, oldest first."""
    query = select(Complaint.filed_at).where(col(Complaint.filed_at) >= since)
    if mobile is not None:
        query = query.where(Complaint.mobile == mobile)
    if client_address is not None:
        query = query.where(Complaint.client_address == client_address)
    rows = await session.exec(query.order_by(col(Complaint.filed_at)))
    return list(rows.all())


async def lookup_failures_since(session: AsyncSession, client_address: str,
                                since: dt.datetime) -> list[dt.datetime]:
    rows = await session.exec(
        select(LookupFailure.at)
        .where(LookupFailure.client_address == client_address, col(LookupFailure.at) >= since)
        .order_by(col(LookupFailure.at)))
    return list(rows.all())


async def forget_lookup_failures_before(session: AsyncSession, before: dt.datetime) -> None:
    stale = delete(LookupFailure).where(col(LookupFailure.at) < before)
    await session.exec(stale)  # type: ignore[call-overload]


async def timeline(session: AsyncSession, complaint_id: str) -> list[TimelineEntry]:
    rows = await session.exec(
        select(TimelineEntry)
        .where(TimelineEntry.complaint_id == complaint_id)
        .order_by(col(TimelineEntry.occurred_at), col(TimelineEntry.id)))
    return list(rows.all())


async def has_timeline_entry(session: AsyncSession, complaint_id: str, seq: int) -> bool:
    rows = await session.exec(
        select(TimelineEntry.id).where(TimelineEntry.complaint_id == complaint_id,
                                       TimelineEntry.seq == seq))
    return rows.first() is not None


async def attachments(session: AsyncSession, complaint_id: str) -> list[Attachment]:
    rows = await session.exec(
        select(Attachment).where(Attachment.complaint_id == complaint_id)
        .order_by(col(Attachment.uploaded_at), col(Attachment.id)))
    return list(rows.all())


async def attachment(session: AsyncSession, complaint_id: str, attachment_id: str
                     ) -> Attachment | None:
    found = await session.get(Attachment, attachment_id)
    return found if found is not None and found.complaint_id == complaint_id else None


async def attachment_count(session: AsyncSession, complaint_id: str) -> int:
    count = (await session.exec(
        select(func.count()).where(Attachment.complaint_id == complaint_id))).one()
    return int(count)


async def ratings(session: AsyncSession, complaint_id: str) -> list[Rating]:
    rows = await session.exec(
        select(Rating).where(Rating.complaint_id == complaint_id).order_by(col(Rating.round)))
    return list(rows.all())


async def rating(session: AsyncSession, complaint_id: str, round_: int) -> Rating | None:
    rows = await session.exec(
        select(Rating).where(Rating.complaint_id == complaint_id, Rating.round == round_))
    return rows.first()


async def page(session: AsyncSession, *, status: str | None, category: str | None,
               county: str | None, channel: str | None, limit: int, offset: int
               ) -> tuple[list[Complaint], int]:
    query = select(Complaint)
    for column, value in ((Complaint.status, status), (Complaint.category, category),
                          (Complaint.county, county), (Complaint.channel, channel)):
        if value is not None:
            query = query.where(column == value)
    total = (await session.exec(select(func.count()).select_from(query.subquery()))).one()
    rows = await session.exec(
        query.order_by(col(Complaint.filed_at).desc(), col(Complaint.id))
        .offset(offset).limit(limit))
    return list(rows.all()), int(total)


async def about_offices_of(session: AsyncSession, holder_national_code: str, *, limit: int,
                           offset: int) -> list[Complaint]:
    """Complaints about the offices whose licenses this person holds now."""
    held = select(LicenseView.number).where(
        LicenseView.holder_national_code == holder_national_code)
    rows = await session.exec(
        select(Complaint).where(col(Complaint.license_number).in_(held))
        .order_by(col(Complaint.filed_at).desc(), col(Complaint.id))
        .offset(offset).limit(limit))
    return list(rows.all())


async def license_view(session: AsyncSession, number: str) -> LicenseView | None:
    return await session.get(LicenseView, number)


async def license_of_office(session: AsyncSession, office_id: str) -> LicenseView | None:
    """The office's license: the active one if there is one, else the newest."""
    rows = await session.exec(
        select(LicenseView).where(LicenseView.office_id == office_id)
        .order_by(case((col(LicenseView.status) == "active", 0), else_=1),
                  col(LicenseView.version).desc()))
    return rows.first()


async def open_by_category_and_county(session: AsyncSession) -> list[tuple[str, str, int]]:
    rows = await session.exec(
        select(Complaint.category, Complaint.county, func.count())
        .where(col(Complaint.status).not_in(SETTLED_STATUSES))
        .group_by(col(Complaint.category), col(Complaint.county)))
    return [(category, county, int(n)) for category, county, n in rows.all()]


async def resolved_and_reopened_by_category(session: AsyncSession
                                            ) -> list[tuple[str, int, int]]:
    """Per category: complaints resolved at least once, and reopened at least once."""
    resolved = func.sum(case((col(Complaint.resolution_round) > 0, 1), else_=0))
    reopened = func.sum(case((col(Complaint.reopen_count) > 0, 1), else_=0))
    rows = await session.exec(
        select(Complaint.category, resolved, reopened).group_by(col(Complaint.category)))
    return [(category, int(r or 0), int(o or 0)) for category, r, o in rows.all()]
