"""Every query of the licensing service."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.licensing.models import Finding, License, Office


async def license_for_application(session: AsyncSession, application_id: str) -> License | None:
    return (await session.exec(select(License).where(License.application_id == application_id))).first()


async def license_by_number(session: AsyncSession, number: str) -> tuple[License, Office] | None:
    row = (
        await session.exec(
            select(License, Office).join(Office, col(Office.id) == col(License.office_id)).where(
                License.number == number)
        )
    ).first()
    return (row[0], row[1]) if row else None


async def licenses(session: AsyncSession, *, application_id: str | None, county: str | None,
                   limit: int, offset: int) -> list[tuple[License, Office]]:
    query = select(License, Office).join(Office, col(Office.id) == col(License.office_id))
    if application_id:
        query = query.where(License.application_id == application_id)
    if county:
        query = query.where(Office.county == county)
    query = query.order_by(col(License.id)).offset(offset).limit(limit)
    return [(lic, off) for lic, off in (await session.exec(query)).all()]


async def findings(session: AsyncSession, *, county: str | None, kind: str | None, limit: int,
                   offset: int) -> list[Finding]:
    query = select(Finding)
    if county is not None:
        query = query.where(Finding.county == county)
    if kind:
        query = query.where(Finding.kind == kind)
    rows = await session.exec(query.order_by(col(Finding.id)).offset(offset).limit(limit))
    return list(rows.all())
